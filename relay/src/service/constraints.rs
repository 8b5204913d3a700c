//! The constraints API, relay side (step ④): delegations from proposers, constraints
//! signed by the proposer or its delegate for the slot, and reading them back (public
//! messages to anyone, restricted ones to a named receiver that proves its key).

use std::collections::HashSet;

use baton_preconf::{
    BlsPublicKey, BlsSignature, Slot,
    bls::{compute_signing_root, constraints_domain, verify_batch},
    constraints::{CONSTRAINT_TYPE_INCLUSION, SignedConstraints, SignedDelegation},
    ssz::hash_tree_root,
    transaction::decode_l1_transaction,
};

use super::{Relay, show, submit::leaf};
use crate::{
    clock::ms_into_slot,
    error::RelayError,
    sharing::SharedEvent,
    state::constraints::{Added, ConstrainedTx},
};

/// Most constraints messages in one request.
pub const MAX_MESSAGES_PER_REQUEST: usize = 64;

impl Relay {
    fn check_constraints_slot(&self, slot: Slot) -> Result<BlsPublicKey, RelayError> {
        let current = self.current_slot();
        if slot < current {
            return Err(RelayError::SlotClosed {
                slot: slot.0,
                reason: format!("slot {slot} is in the past (current {current})"),
            });
        }
        let into = ms_into_slot(&self.chain, slot, self.now_ms());
        if into > self.timing.constraints_cutoff_ms as i64 {
            return Err(RelayError::SlotClosed {
                slot: slot.0,
                reason: format!("constraints closed {into} ms into the slot"),
            });
        }
        self.duties
            .get(slot)
            .map(|d| d.pubkey)
            .ok_or(RelayError::UnknownProposer { slot: slot.0 })
    }

    /// Checks and stores a proposer's delegation; returns whether it was new.
    pub fn delegate(&self, delegation: SignedDelegation) -> Result<bool, RelayError> {
        self.delegate_and_share(delegation, true)
    }

    fn delegate_and_share(
        &self,
        delegation: SignedDelegation,
        share: bool,
    ) -> Result<bool, RelayError> {
        let slot = delegation.message.slot;
        let proposer = self.check_constraints_slot(slot)?;
        if delegation.message.proposer != proposer {
            return Err(RelayError::WrongProposer {
                slot: slot.0,
                expected: show(proposer),
                got: show(delegation.message.proposer),
            });
        }
        if delegation.message.delegate.to_blst().is_err() {
            return Err(RelayError::DelegationSignature);
        }
        delegation
            .verify(self.chain.genesis_fork_version)
            .map_err(|_| RelayError::DelegationSignature)?;
        let new = self.constraints.add_delegation(delegation.clone());
        if new && share {
            self.share(SharedEvent::Delegation(delegation));
        }
        Ok(new)
    }

    /// Checks and stores constraints messages, all for one slot, all or nothing.
    /// Bids of the slot that do not prove the new set drop out of the auction.
    pub fn add_constraints(&self, messages: Vec<SignedConstraints>) -> Result<usize, RelayError> {
        self.add_constraints_and_share(messages, true)
    }

    fn add_constraints_and_share(
        &self,
        messages: Vec<SignedConstraints>,
        share: bool,
    ) -> Result<usize, RelayError> {
        let len = messages.len();
        if len == 0 || len > MAX_MESSAGES_PER_REQUEST {
            return Err(RelayError::BadCount {
                what: "constraints messages",
                len,
                max: MAX_MESSAGES_PER_REQUEST,
            });
        }
        let slot = messages[0].message.slot;
        let proposer = self.check_constraints_slot(slot)?;
        let delegates = self.constraints.delegates(slot, &proposer);
        let mut items = Vec::with_capacity(len);
        let mut txs = Vec::new();
        for (index, signed) in messages.iter().enumerate() {
            let message = &signed.message;
            if message.slot != slot {
                return Err(RelayError::BadConstraint {
                    index,
                    position: 0,
                    reason: format!(
                        "all messages of a request must be for one slot ({slot}, not {})",
                        message.slot
                    ),
                });
            }
            if message.proposer != proposer {
                return Err(RelayError::WrongProposer {
                    slot: slot.0,
                    expected: show(proposer),
                    got: show(message.proposer),
                });
            }
            if message.delegate != proposer && !delegates.contains(&message.delegate) {
                return Err(RelayError::NotDelegated {
                    index,
                    signer: show(message.delegate),
                    slot: slot.0,
                });
            }
            if message.constraints.is_empty() {
                return Err(RelayError::BadConstraint {
                    index,
                    position: 0,
                    reason: "a message needs at least one constraint".to_owned(),
                });
            }
            let root = message
                .signing_root(self.chain.genesis_fork_version)
                .map_err(|e| RelayError::BadConstraint {
                    index,
                    position: 0,
                    reason: e.to_string(),
                })?;
            for (position, constraint) in message.constraints.iter().enumerate() {
                if constraint.constraint_type != CONSTRAINT_TYPE_INCLUSION {
                    return Err(RelayError::BadConstraint {
                        index,
                        position,
                        reason: format!(
                            "constraint type {} is not supported (only {CONSTRAINT_TYPE_INCLUSION}, inclusion)",
                            constraint.constraint_type
                        ),
                    });
                }
                let tx = decode_l1_transaction(&constraint.payload).map_err(|e| {
                    RelayError::BadConstraint {
                        index,
                        position,
                        reason: e.to_string(),
                    }
                })?;
                txs.push(ConstrainedTx {
                    hash: tx.hash,
                    leaf: leaf(&tx.canonical),
                    canonical: tx.canonical,
                });
            }
            items.push((message.delegate, root, signed.signature));
        }
        if verify_batch(&items).is_err() {
            let index = items
                .iter()
                .position(|(key, root, sig)| sig.verify(key, *root).is_err())
                .unwrap_or(0);
            return Err(RelayError::ConstraintsSignature { index });
        }
        match self.constraints.add(slot, messages.clone(), txs) {
            Added::Stored { total } => {
                let required: HashSet<_> = self
                    .constraints
                    .constrained(slot)
                    .iter()
                    .map(|c| c.hash)
                    .collect();
                if !self.withholding() {
                    for dropped in self.auction.drop_uncovered(slot, &required) {
                        self.payloads.remove(&dropped);
                    }
                }
                crate::metrics::record_constraints(total);
                if share {
                    self.share(SharedEvent::Constraints(messages));
                }
                Ok(total)
            }
            Added::TooMany { count } => Err(RelayError::TooManyConstraints {
                slot: slot.0,
                count,
                max: baton_preconf::constraints::MAX_CONSTRAINTS_PER_SLOT,
            }),
        }
    }

    /// Checks a receiver's proof of its key: a BLS signature over the slot's SSZ root
    /// under the constraints domain (`X-Receiver-Signature`, `X-Receiver-Pubkey`).
    pub fn check_receiver(
        &self,
        slot: Slot,
        receiver: &BlsPublicKey,
        signature: &BlsSignature,
    ) -> Result<(), RelayError> {
        let root = hash_tree_root(&slot.0).map_err(|_| RelayError::Internal)?;
        let signing_root =
            compute_signing_root(root, constraints_domain(self.chain.genesis_fork_version));
        signature
            .verify(receiver, signing_root)
            .map_err(|e| RelayError::ReceiverSignature {
                reason: e.to_string(),
            })
    }

    /// The constraints of `slot` a reader may see: public ones, and those naming
    /// `receiver` (already checked with [`Self::check_receiver`]).
    pub fn constraints_for(
        &self,
        slot: Slot,
        receiver: Option<&BlsPublicKey>,
    ) -> Vec<SignedConstraints> {
        if self.withholding() {
            return Vec::new();
        }
        self.constraints
            .messages(slot)
            .into_iter()
            .filter(|m| visible(m, receiver))
            .map(|m| (*m).clone())
            .collect()
    }

    /// The delegations of `slot`.
    pub fn delegations_for(&self, slot: Slot) -> Vec<SignedDelegation> {
        self.constraints
            .delegations(slot)
            .into_iter()
            .map(|d| (*d).clone())
            .collect()
    }

    /// Applies constraints shared by another instance: checked again like our own (Redis
    /// is shared state, not a trusted signer), not shared back.
    pub(crate) fn apply_constraints(&self, messages: Vec<SignedConstraints>) {
        if let Err(error) = self.add_constraints_and_share(messages, false) {
            tracing::debug!(%error, "shared constraints not applied");
        }
    }

    /// Applies a delegation shared by another instance.
    pub(crate) fn apply_delegation(&self, delegation: SignedDelegation) {
        if let Err(error) = self.delegate_and_share(delegation, false) {
            tracing::debug!(%error, "shared delegation not applied");
        }
    }
}

/// Whether a constraints message is visible to `receiver` (`None`: anonymous reader).
pub fn visible(message: &SignedConstraints, receiver: Option<&BlsPublicKey>) -> bool {
    message.message.receivers.is_empty()
        || receiver.is_some_and(|r| message.message.receivers.contains(r))
}
