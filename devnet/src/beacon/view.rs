//! A read-only view of a running beacon service for readers in the same process (the
//! explorer): the chain parameters, the validators and the slot records, without HTTP.

use std::sync::Arc;

use alloy_primitives::Address;
use baton_preconf::{BlsPublicKey, ChainSpec, Slot};

use super::{
    builder_client::redact,
    chain::{Head, SlotRecord},
    service::Shared,
};

/// A validator as readers see it (no key material; credentials removed from the URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorInfo {
    /// Validator index.
    pub index: u64,
    /// Public key.
    pub pubkey: BlsPublicKey,
    /// Where its blocks pay.
    pub fee_recipient: Address,
    /// Its builder URL, if any.
    pub builder_url: Option<String>,
}

/// Cheap to clone; keeps reading the service's state after the handle is dropped (the
/// records then stop growing).
#[derive(Clone)]
pub struct BeaconView {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for BeaconView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BeaconView")
            .field("validators", &self.shared.validators.len())
            .finish_non_exhaustive()
    }
}

impl BeaconView {
    pub(super) const fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// The chain parameters.
    pub fn spec(&self) -> &ChainSpec {
        &self.shared.spec
    }

    /// The slot running now.
    pub fn current_slot(&self) -> Slot {
        self.shared.current_slot()
    }

    /// The head block.
    pub fn head(&self) -> Head {
        self.shared.head()
    }

    /// Records of slots `from..=to`, at most `limit`.
    pub fn records(&self, from: Slot, to: Slot, limit: usize) -> Vec<SlotRecord> {
        self.shared.with_chain(|c| c.records(from, to, limit))
    }

    /// Every validator.
    pub fn validators(&self) -> Vec<ValidatorInfo> {
        self.shared
            .validators
            .iter()
            .map(|v| ValidatorInfo {
                index: v.index,
                pubkey: v.pubkey,
                fee_recipient: v.fee_recipient,
                builder_url: v.builder_url.as_deref().map(redact),
            })
            .collect()
    }
}
