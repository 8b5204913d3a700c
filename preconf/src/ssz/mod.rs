//! SSZ (ssz_rs) containers of the builder API and the beacon block pieces a proposer
//! signs, the `transactions_root` of a block, and multiproofs over it.
//!
//! Steps ⑤–⑥: builders prove to the relay, and the relay to the sidecar, that every
//! constrained transaction sits in the block, with one multiproof against the payload
//! header's `transactions_root`. Every container also has its beacon-API JSON form
//! ([`BeaconJson`]), and a payload its execution block hash ([`execution_block_hash`]).

mod attributes;
mod beacon;
mod builder;
mod json;
mod multiproof;
mod payload;
mod submission;
mod transactions;

pub use attributes::PayloadAttributes;
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
pub use json::{BeaconJson, JsonError, hex_from_json};
pub use multiproof::{
    InclusionMultiProof, MAX_PROOF_LEAVES, MultiProofError, calculate_multi_merkle_root,
    helper_indices,
};
pub use payload::{
    BYTES_PER_BLOB, BeaconBlockBodyElectra, BeaconBlockElectra, BidTrace, Blob, BlobsBundle,
    ExecutionPayload, ExecutionPayloadAndBlobsBundle, KzgBytes, MAX_BLOB_COMMITMENTS_PER_BLOCK,
    MAX_BYTES_PER_TRANSACTION, MAX_WITHDRAWALS_PER_PAYLOAD, SignedBeaconBlockElectra,
    SignedBlockContentsElectra, SubmitBlockRequestElectra, Transaction, Withdrawal,
    execution_block_hash, execution_header, requests_hash, u256_from_alloy, u256_to_alloy,
};
pub use submission::{BidTarget, ProveError, bid_trace, prove_transactions, sign_submission};
pub use transactions::{
    MAX_TRANSACTIONS_PER_PAYLOAD, TRANSACTIONS_DEPTH, TransactionsTree, transaction_leaf,
    transactions_root,
};
