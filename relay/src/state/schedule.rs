//! Who proposes which slot (beacon proposer duties) and what each slot's block builds on
//! (payload attributes), kept for the few slots the relay serves.

use std::{collections::BTreeMap, sync::Arc, sync::RwLock};

use baton_preconf::Slot;

use crate::beacon::{PayloadAttributes, ProposerDuty};

/// Proposer duties by slot.
#[derive(Debug, Default)]
pub struct Duties {
    slots: RwLock<BTreeMap<Slot, ProposerDuty>>,
}

impl Duties {
    /// Records a duty.
    pub fn insert(&self, duty: ProposerDuty) {
        if let Ok(mut slots) = self.slots.write() {
            slots.insert(duty.slot, duty);
        }
    }

    /// The proposer of `slot`, if known.
    pub fn get(&self, slot: Slot) -> Option<ProposerDuty> {
        self.slots.read().ok().and_then(|s| s.get(&slot).copied())
    }

    /// Duties in `from..=to`.
    pub fn between(&self, from: Slot, to: Slot) -> Vec<ProposerDuty> {
        if from > to {
            return Vec::new();
        }
        self.slots
            .read()
            .map(|s| s.range(from..=to).map(|(_, d)| *d).collect())
            .unwrap_or_default()
    }

    /// Forgets duties before `slot`.
    pub fn prune_before(&self, slot: Slot) {
        if let Ok(mut slots) = self.slots.write() {
            *slots = slots.split_off(&slot);
        }
    }
}

/// Payload attributes by proposal slot (the latest event for a slot wins: a reorg
/// re-announces it with another parent).
#[derive(Debug, Default)]
pub struct Heads {
    slots: RwLock<BTreeMap<Slot, Arc<PayloadAttributes>>>,
}

impl Heads {
    /// Records the attributes of a slot.
    pub fn insert(&self, attributes: PayloadAttributes) {
        crate::metrics::set_head_slot(attributes.proposal_slot.0);
        if let Ok(mut slots) = self.slots.write() {
            slots.insert(attributes.proposal_slot, Arc::new(attributes));
        }
    }

    /// The attributes of `slot`, if announced.
    pub fn get(&self, slot: Slot) -> Option<Arc<PayloadAttributes>> {
        self.slots.read().ok().and_then(|s| s.get(&slot).cloned())
    }

    /// Forgets slots before `slot`.
    pub fn prune_before(&self, slot: Slot) {
        if let Ok(mut slots) = self.slots.write() {
            *slots = slots.split_off(&slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use baton_preconf::BlsPublicKey;

    use super::*;

    #[test]
    fn duties_range_and_prune() {
        let duties = Duties::default();
        for slot in 1..=5 {
            duties.insert(ProposerDuty {
                pubkey: BlsPublicKey([slot as u8; 48]),
                validator_index: slot,
                slot: Slot(slot),
            });
        }
        assert_eq!(duties.between(Slot(2), Slot(3)).len(), 2);
        assert!(duties.between(Slot(3), Slot(2)).is_empty());
        duties.prune_before(Slot(4));
        assert!(duties.get(Slot(3)).is_none());
        assert_eq!(duties.get(Slot(4)).map(|d| d.validator_index), Some(4));
    }
}
