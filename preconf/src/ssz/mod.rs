//! SSZ (ssz_rs) containers of the builder API and the beacon block pieces a proposer
//! signs, the `transactions_root` of a block, and multiproofs over it.
//!
//! Steps ⑤–⑥: builders prove to the relay, and the relay to the sidecar, that every
//! constrained transaction sits in the block, with one multiproof against the payload
//! header's `transactions_root`.

mod beacon;
mod builder;
mod multiproof;
mod transactions;

pub use beacon::{
    AttestationData, AttestationElectra, AttesterSlashingElectra, BeaconBlockHeader,
    BlindedBeaconBlockBodyElectra, BlindedBeaconBlockElectra, BlsToExecutionChange, Checkpoint,
    Deposit, DepositData, Eth1Data, IndexedAttestationElectra, ProposerSlashing,
    SignedBeaconBlockHeader, SignedBlindedBeaconBlockElectra, SignedBlsToExecutionChange,
    SignedVoluntaryExit, SyncAggregate, VoluntaryExit,
};
pub(crate) use builder::pubkey_bytes as builder_pubkey_bytes;
pub use builder::{
    BlsPubkeyBytes, BlsSignatureBytes, BuilderBidDeneb, BuilderBidElectra, ConsolidationRequest,
    DepositRequest, ExecutionPayloadHeader, ExecutionRequests, SignedBuilderBidElectra,
    SignedValidatorRegistration, SszError, ValidatorRegistrationV1, WithdrawalRequest, decode,
    hash_tree_root,
};
pub use multiproof::{
    InclusionMultiProof, MAX_PROOF_LEAVES, MultiProofError, calculate_multi_merkle_root,
    helper_indices,
};
pub use transactions::{
    MAX_TRANSACTIONS_PER_PAYLOAD, TRANSACTIONS_DEPTH, TransactionsTree, transaction_leaf,
    transactions_root,
};
