//! What the explorer's JSON API answers (`docs/explorer.md`). Integers travel as decimal
//! strings, bytes as `0x`-hex, field names in camelCase.

use alloy_primitives::{Address, B256};
use baton_preconf::{BlsPublicKey, CommitmentKind, Position, RollupId, Slot, types::quoted};
use serde::Serialize;

/// An L1 block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockRef {
    /// Block number.
    #[serde(with = "quoted")]
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// Transactions in it.
    #[serde(with = "quoted")]
    pub tx_count: u64,
}

/// How a validator opted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum OptInVia {
    /// The `Registry` names a committer for its key.
    Registry,
    /// Its builder URL is a sidecar's.
    BuilderUrl,
}

/// Who built a slot's block, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum Outcome {
    /// The slot is running (its block has not landed yet).
    Pending,
    /// A past slot the beacon service has no record of (before it started, or older
    /// than the records it keeps).
    Unrecorded,
    /// A relay bid won: the relay delivered this builder's payload.
    #[serde(rename_all = "camelCase")]
    Relay {
        /// The winning builder.
        builder_pubkey: BlsPublicKey,
        /// The bid's value in wei.
        value: String,
    },
    /// The proposer's sidecar served its own block (no relay delivered one).
    #[serde(rename_all = "camelCase")]
    SidecarFallback {
        /// The sidecar's name.
        sidecar: String,
    },
    /// Another builder URL delivered it, with no relay record.
    Builder {
        /// The builder URL, without credentials.
        url: String,
    },
    /// Published to the beacon service by whoever revealed it, with no relay record.
    Published,
    /// The beacon service built it locally.
    Local,
    /// No block.
    Missed {
        /// Why (`fault`, `late`, `no_payload`).
        reason: String,
    },
}

impl Outcome {
    /// The tag the JSON carries.
    pub const fn label(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Unrecorded => "unrecorded",
            Self::Relay { .. } => "relay",
            Self::SidecarFallback { .. } => "sidecarFallback",
            Self::Builder { .. } => "builder",
            Self::Published => "published",
            Self::Local => "local",
            Self::Missed { .. } => "missed",
        }
    }
}

/// One slot of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotView {
    /// The slot.
    pub slot: Slot,
    /// Unix time of its start.
    #[serde(with = "quoted")]
    pub timestamp: u64,
    /// Its proposer's validator index (`None` while the slot is pending).
    #[serde(with = "quoted_opt")]
    pub proposer_index: Option<u64>,
    /// Its proposer's key.
    pub proposer: Option<BlsPublicKey>,
    /// Whether the proposer opted in.
    pub opted_in: bool,
    /// How.
    pub opt_in_via: Option<OptInVia>,
    /// The committer the `Registry` names for the proposer.
    pub committer: Option<Address>,
    /// The proposer's builder URL (without credentials).
    pub builder_url: Option<String>,
    /// Who built the block.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The L1 block.
    pub block: Option<BlockRef>,
}

/// Where a promise stands (`docs/explorer.md` says when each applies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PromiseStatus {
    /// Signed; the slot is not sealed (its constraints do not hold it yet).
    Promised,
    /// The relay holds the slot's constraints with it; or, for a rollup transaction,
    /// its batch landed and the L2 has not shown the receipt yet.
    Sealed,
    /// Kept: on L1 in the slot's block, or at its position in the rollup's batch with
    /// its L2 receipt.
    Included,
    /// The slot's block is in (or the slot was missed) and the promise is not kept.
    Broken,
    /// An `InclusionDisputes` dispute names the commitment and is not settled.
    Disputed,
    /// A `Slasher` event names the commitment.
    Slashed,
}

impl PromiseStatus {
    /// Every status, in order.
    pub const ALL: [Self; 6] = [
        Self::Promised,
        Self::Sealed,
        Self::Included,
        Self::Broken,
        Self::Disputed,
        Self::Slashed,
    ];
}

/// One transaction a promise covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemView {
    /// The transaction hash (an L2 transaction's batch hash for sequencing).
    pub tx_hash: B256,
    /// The rollup (sequencing only).
    pub rollup_id: Option<RollupId>,
    /// Its name.
    pub rollup: Option<String>,
    /// Its L2 chain id.
    #[serde(with = "quoted_opt")]
    pub l2_chain_id: Option<u64>,
    /// The promised position (sequencing only).
    pub position: Option<Position>,
    /// This transaction's status (the promise's is the combination).
    pub status: PromiseStatus,
    /// Why, in words.
    pub reason: String,
    /// The L1 transaction: the transaction itself (inclusion) or the `submitBatch` that
    /// carried it (sequencing), once landed.
    pub l1_tx: Option<B256>,
    /// The L1 block it landed in.
    #[serde(with = "quoted_opt")]
    pub l1_block: Option<u64>,
    /// The L2 block of its receipt (sequencing).
    #[serde(with = "quoted_opt")]
    pub l2_block: Option<u64>,
}

/// What the contracts say about a commitment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OnChain {
    /// A dispute: `open` or `defended`.
    pub dispute: Option<&'static str>,
    /// The L1 transaction that opened it.
    pub dispute_tx: Option<B256>,
    /// The slashing event (`SequencingSlashed`, `DisputeSlashed`, `LivenessSlashed`,
    /// `EquivocationSlashed`).
    pub slash: Option<&'static str>,
    /// Slashed wei.
    pub slashed_wei: Option<String>,
    /// The L1 transaction that slashed.
    pub slash_tx: Option<B256>,
}

/// One promise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PromiseView {
    /// The sidecar that made it.
    pub sidecar: String,
    /// The wallet's request id.
    pub request_id: B256,
    /// The slot.
    pub slot: Slot,
    /// Inclusion or sequencing.
    pub kind: CommitmentKind,
    /// The signer.
    pub committer: Address,
    /// The slot's proposer, as the commitment names it.
    pub validator_pubkey: BlsPublicKey,
    /// The EIP-712 digest the contracts name it by (`None` without contracts).
    pub digest: Option<B256>,
    /// Where it stands.
    pub status: PromiseStatus,
    /// Why, in words.
    pub reason: String,
    /// The transactions it covers.
    pub items: Vec<ItemView>,
    /// The slot's L1 block, once landed.
    pub l1_block: Option<BlockRef>,
    /// Disputes and slashes.
    pub on_chain: OnChain,
}

/// `/api/promises`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PromisesPage {
    /// First slot.
    pub from: Slot,
    /// Last slot.
    pub to: Slot,
    /// Newest slot first.
    pub promises: Vec<PromiseView>,
    /// Whether promises were left out (a sidecar truncated, or over the answer's limit).
    pub truncated: bool,
    /// Sources that did not answer (a sidecar, the relay), with the error.
    pub warnings: Vec<String>,
    /// Commitments dropped because their signature does not verify.
    #[serde(with = "quoted")]
    pub bad_signatures: u64,
}

/// `/api/slots`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotsPage {
    /// First slot.
    pub from: Slot,
    /// Last slot.
    pub to: Slot,
    /// The slot running now.
    pub current_slot: Slot,
    /// Newest first.
    pub slots: Vec<SlotView>,
    /// Sources that did not answer (the relay), with the error.
    pub warnings: Vec<String>,
}

/// A rollup, for the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RollupView {
    /// Id in the inbox.
    pub id: RollupId,
    /// Name.
    pub name: String,
    /// L2 chain id.
    #[serde(with = "quoted")]
    pub l2_chain_id: u64,
}

/// Counts over a window of slots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Slots by outcome label.
    pub slots: std::collections::BTreeMap<&'static str, u64>,
    /// Promises by status.
    pub promises: std::collections::BTreeMap<PromiseStatus, u64>,
}

/// `/api/summary`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// L1 chain id.
    #[serde(with = "quoted")]
    pub l1_chain_id: u64,
    /// Unix time of slot 0.
    #[serde(with = "quoted")]
    pub genesis_time: u64,
    /// Seconds per slot (the page refreshes this often).
    #[serde(with = "quoted")]
    pub seconds_per_slot: u64,
    /// The slot running now.
    pub current_slot: Slot,
    /// The latest L1 block the beacon service landed.
    pub head: Option<BlockRef>,
    /// Validators of the beacon service.
    #[serde(with = "quoted")]
    pub validators: u64,
    /// Rollups.
    pub rollups: Vec<RollupView>,
    /// Sidecar names.
    pub sidecars: Vec<String>,
    /// Whether a relay is configured.
    pub relay: bool,
    /// Contract addresses, if deployed.
    pub registry: Option<Address>,
    /// The inbox.
    pub rollup_inbox: Option<Address>,
    /// The slasher.
    pub slasher: Option<Address>,
    /// The counted window: first slot.
    pub window_from: Slot,
    /// Last slot.
    pub window_to: Slot,
    /// Counts over the window.
    pub counts: Counts,
}

/// `Option<u64>` as an optional decimal string.
mod quoted_opt {
    use serde::Serializer;

    pub(super) fn serialize<S: Serializer>(value: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }
}
