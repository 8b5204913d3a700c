//! Baton's protocol core: everything a wallet, a rollup node, the sidecar, the relay and
//! the contracts' tests must agree on, with no I/O runtime. The one exception is opt-in:
//! the `client` feature adds `client`, a wallet's client, and `node`, the reference rollup
//! node, on top of alloy's providers, reqwest and tokio.
//!
//! | module | what | data-flow steps (docs/architecture.md) |
//! |---|---|---|
//! | [`types`], [`chain_spec`], [`clock`] | slots, ids, amounts; slot ↔ time ↔ epoch; the slot clock | all |
//! | [`request`], [`transaction`] | what wallets ask for; bounded transaction decoding | ①, ② |
//! | [`commitment`], [`eip712`], [`signature`] | the signed promise (EIP-712, ECDSA) | ③, ⑧ |
//! | [`bls`], [`constraints`] | BLS keys and domains; delegations and constraints | ④ |
//! | [`ssz`] | builder-API containers, `transactions_root`, multiproofs | ⑤, ⑥ |
//! | [`batch`] | rollup batch Merkle roots and position proofs | ④, ⑦, ⑧ |
//! | [`market`] | the ordering marketplace: products, sealed bids, receipts, clearing, unfair-clearing evidence | ①–③, ⑧ |
//! | [`derive`] | rollup derivation rules: canonical batch, L2 transactions, reorgs, promises kept or broken | ⑧ |
//! | [`mpt`] | transaction-trie and account proofs for disputes | ⑧ |
//! | `client` (feature `client`) | a wallet: request, verify and track promises | ①, ③, ⑧ |
//! | `node` (feature `client`) | the rollup node: follows L1, drives each rollup's L2 execution node, serves safe and soft heads | ⑧ |
//!
//! The byte-level rules are written down in `docs/commitments.md`, `docs/derivation.md`
//! and `docs/marketplace.md`, and pinned by the golden vectors in `tests/vectors/`, which
//! the Solidity tests assert too.

pub mod batch;
pub mod bls;
pub mod chain_spec;
#[cfg(feature = "client")]
pub mod client;
pub mod clock;
pub mod commitment;
pub mod constraints;
pub mod derive;
pub mod eip712;
pub mod market;
pub mod mpt;
#[cfg(feature = "client")]
pub mod node;
pub mod request;
pub mod signature;
pub mod ssz;
pub mod transaction;
pub mod types;

pub use batch::{BatchTree, PositionProof, batch_root};
pub use bls::{BlsPublicKey, BlsSecretKey, BlsSignature};
pub use chain_spec::ChainSpec;
pub use commitment::{Commitment, CommitmentKind, Placement, SignedCommitment};
pub use eip712::BatonDomain;
pub use request::{InclusionRequest, Request, RollupTransaction, SequencingRequest, SignedRequest};
pub use signature::EcdsaSignature;
pub use types::{ChainId, Epoch, Gas, Gwei, Position, RollupId, Slot, ValidatorIndex};
