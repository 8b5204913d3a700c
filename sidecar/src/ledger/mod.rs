//! The books of our upcoming slots (steps ② and ③): rollup batch positions, L1 gas, and
//! each sender's promised nonces and worst-case spend across every pending promise.
//!
//! A request is checked against the books and reserved in one step under the caller's
//! lock, all or nothing: a cross-rollup bundle gets positions in every batch or none. The
//! journal replays into the same books on restart ([`Ledger::apply`]), so a restart never
//! hands out a position or a nonce twice.

use std::collections::{BTreeMap, HashMap};

use alloy_primitives::{Address, B256, Bytes, U256};
use baton_preconf::{Position, RollupId, Slot};

use crate::journal::{JournalEntry, Reservation};

/// Slots an L2 promise stays in the books after its slot: long enough for its batch to
/// be derived into the L2 whose state later requests are checked against.
pub const L2_RETAIN_SLOTS: u64 = 64;

/// Capacity of one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// L1 gas the sidecar may promise per slot.
    pub gas_per_slot: u64,
    /// Transactions per rollup batch.
    pub batch_max_txs: u64,
    /// Bytes of raw transactions per rollup batch.
    pub batch_max_bytes: u64,
    /// Blobs the sidecar may promise per slot.
    pub blobs_per_slot: u64,
}

/// An L1 transaction's account as the execution layer reports it at the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountState {
    /// Nonce at the head.
    pub nonce: u64,
    /// Balance at the head.
    pub balance: U256,
}

/// A reservation the books cannot make.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The rollup's batch for the slot has no room left.
    #[error(
        "rollup {rollup_id}'s batch in slot {slot} is full ({count} of {max} transactions, {bytes} of {max_bytes} bytes)"
    )]
    BatchFull {
        /// Slot.
        slot: Slot,
        /// Rollup.
        rollup_id: RollupId,
        /// Transactions already promised.
        count: u64,
        /// Limit.
        max: u64,
        /// Bytes already promised.
        bytes: u64,
        /// Byte limit.
        max_bytes: u64,
    },
    /// The slot's L1 gas is promised away.
    #[error("slot {slot} has {remaining} gas left, the bundle needs {requested}")]
    SlotGasFull {
        /// Slot.
        slot: Slot,
        /// Gas requested.
        requested: u64,
        /// Gas left.
        remaining: u64,
    },
    /// The transaction's nonce is not the sender's next one, counting earlier promises.
    #[error(
        "sender {sender} must use nonce {expected} next (counting earlier promises), not {got}"
    )]
    NonceMismatch {
        /// Sender.
        sender: Address,
        /// Nonce expected.
        expected: u64,
        /// Nonce given.
        got: u64,
    },
    /// The sender cannot pay for this and every earlier pending promise.
    #[error("sender {sender} has {balance} wei; pending promises and this one may cost {needed}")]
    InsufficientBalance {
        /// Sender.
        sender: Address,
        /// Worst case of every pending promise plus this one.
        needed: U256,
        /// Balance at the head.
        balance: U256,
    },
    /// The slot's blobs are promised away.
    #[error("slot {slot} has room for {remaining} more blobs, the bundle carries {requested}")]
    BlobsFull {
        /// Slot.
        slot: Slot,
        /// Blobs requested.
        requested: u64,
        /// Blobs left.
        remaining: u64,
    },
    /// A rollup transaction's nonce is not its sender's next on the L2, counting earlier
    /// promises.
    #[error(
        "sender {sender} must use nonce {expected} next on rollup {rollup_id} (counting earlier promises), not {got}"
    )]
    L2NonceMismatch {
        /// Rollup.
        rollup_id: RollupId,
        /// Sender.
        sender: Address,
        /// Nonce expected.
        expected: u64,
        /// Nonce given.
        got: u64,
    },
    /// A rollup transaction's sender cannot pay for it and its pending promises on the L2.
    #[error(
        "sender {sender} has {balance} wei on rollup {rollup_id}; pending promises and this one may cost {needed}"
    )]
    L2InsufficientBalance {
        /// Rollup.
        rollup_id: RollupId,
        /// Sender.
        sender: Address,
        /// Worst case of every pending promise plus this one.
        needed: U256,
        /// Balance on the L2.
        balance: U256,
    },
    /// The slot was sealed at its deadline: its batches and constraints are final.
    #[error("slot {slot} is sealed: its batches and constraints are final")]
    Sealed {
        /// Slot.
        slot: Slot,
    },
    /// The same rollup transaction is already promised in this slot.
    #[error("transaction {hash} is already promised in rollup {rollup_id}'s batch for slot {slot}")]
    AlreadyPromised {
        /// Slot.
        slot: Slot,
        /// Rollup.
        rollup_id: RollupId,
        /// The transaction hash.
        hash: B256,
    },
}

#[derive(Debug, Default, Clone)]
struct BatchBook {
    txs: Vec<(B256, Bytes)>,
    bytes: u64,
}

#[derive(Debug, Default, Clone)]
struct SlotBook {
    /// Sealed at the deadline ([`Ledger::seal`]): nothing more is reserved.
    sealed: bool,
    /// Raw L1 transactions (network form) of the inclusion promises, in promise order.
    inclusions: Vec<Bytes>,
    gas: u64,
    blobs: u64,
    batches: HashMap<RollupId, BatchBook>,
    /// Worst-case spend each sender has promised in this slot.
    spend: HashMap<Address, U256>,
    /// Each sender's nonce after its highest promised one in this slot.
    nonces: HashMap<Address, u64>,
}

#[derive(Debug, Default, Clone, Copy)]
struct SenderBook {
    /// The nonce after the highest promised one.
    next_nonce: u64,
    /// Worst-case spend across every pending slot.
    pending_spend: U256,
}

/// One L1 transaction of an inclusion request, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L1Item {
    /// Sender.
    pub sender: Address,
    /// Nonce.
    pub nonce: u64,
    /// Gas limit.
    pub gas: u64,
    /// Blobs carried.
    pub blobs: u64,
    /// Worst-case cost.
    pub max_cost: U256,
}

/// What a slot holds when it is sealed (step ④): every promised L1 transaction and each
/// rollup's batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlotContents {
    /// Raw L1 transactions of inclusion promises (network form), in promise order.
    pub inclusions: Vec<Bytes>,
    /// Each rollup's batch, in position order, rollups in id order (empty batches left out).
    pub batches: Vec<(RollupId, Vec<Bytes>)>,
}

/// Per (rollup, L2 sender): the next nonce and worst-case spend promised in one slot.
type L2SlotBook = HashMap<(RollupId, Address), (u64, U256)>;

/// One rollup transaction checked against its L2 state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L2Item {
    /// Rollup.
    pub rollup_id: RollupId,
    /// Sender on the L2.
    pub sender: Address,
    /// Nonce.
    pub nonce: u64,
    /// Worst-case cost on the L2.
    pub max_cost: U256,
}

/// The books of every slot the sidecar has promised in.
#[derive(Debug, Clone)]
pub struct Ledger {
    limits: Limits,
    slots: BTreeMap<Slot, SlotBook>,
    senders: HashMap<Address, SenderBook>,
    /// The execution head the books are pruned to (`None` before the first head).
    head: Option<u64>,
    /// Per slot: L2 promises.
    l2: BTreeMap<Slot, L2SlotBook>,
}

impl Ledger {
    /// Empty books.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            slots: BTreeMap::new(),
            senders: HashMap::new(),
            head: None,
            l2: BTreeMap::new(),
        }
    }

    /// The capacity limits.
    pub const fn limits(&self) -> Limits {
        self.limits
    }

    /// Checks that `txs` (rollup, raw, hash) fit in `slot` and returns the positions they
    /// would get, in request order, without reserving anything.
    pub fn plan_sequencing(
        &self,
        slot: Slot,
        txs: &[(RollupId, Bytes, B256)],
    ) -> Result<Vec<Position>, LedgerError> {
        let book = self.slots.get(&slot);
        if book.is_some_and(|b| b.sealed) {
            return Err(LedgerError::Sealed { slot });
        }
        let mut added: HashMap<RollupId, (u64, u64)> = HashMap::new();
        let mut positions = Vec::with_capacity(txs.len());
        for (rollup_id, raw, hash) in txs {
            let batch = book.and_then(|b| b.batches.get(rollup_id));
            if batch.is_some_and(|b| b.txs.iter().any(|(h, _)| h == hash)) {
                return Err(LedgerError::AlreadyPromised {
                    slot,
                    rollup_id: *rollup_id,
                    hash: *hash,
                });
            }
            let (count, bytes) = batch.map_or((0, 0), |b| (b.txs.len() as u64, b.bytes));
            let extra = added.entry(*rollup_id).or_default();
            let position = count + extra.0;
            let new_bytes = bytes + extra.1 + raw.len() as u64;
            if position + 1 > self.limits.batch_max_txs || new_bytes > self.limits.batch_max_bytes {
                return Err(LedgerError::BatchFull {
                    slot,
                    rollup_id: *rollup_id,
                    count: count + extra.0,
                    max: self.limits.batch_max_txs,
                    bytes: bytes + extra.1,
                    max_bytes: self.limits.batch_max_bytes,
                });
            }
            extra.0 += 1;
            extra.1 += raw.len() as u64;
            positions.push(Position(position));
        }
        Ok(positions)
    }

    /// Checks an inclusion bundle against the slot's gas and each sender's nonce and
    /// balance (`accounts` from the execution layer), without reserving anything.
    pub fn plan_inclusion(
        &self,
        slot: Slot,
        items: &[L1Item],
        accounts: &HashMap<Address, AccountState>,
    ) -> Result<u64, LedgerError> {
        if self.is_sealed(slot) {
            return Err(LedgerError::Sealed { slot });
        }
        let gas: u64 = items.iter().map(|i| i.gas).sum();
        let blobs: u64 = items.iter().map(|i| i.blobs).sum();
        let used_blobs = self.slots.get(&slot).map_or(0, |b| b.blobs);
        let blobs_left = self.limits.blobs_per_slot.saturating_sub(used_blobs);
        if blobs > blobs_left {
            return Err(LedgerError::BlobsFull {
                slot,
                requested: blobs,
                remaining: blobs_left,
            });
        }
        let used = self.slots.get(&slot).map_or(0, |b| b.gas);
        let remaining = self.limits.gas_per_slot.saturating_sub(used);
        if gas > remaining {
            return Err(LedgerError::SlotGasFull {
                slot,
                requested: gas,
                remaining,
            });
        }
        let mut next: HashMap<Address, (u64, U256)> = HashMap::new();
        for item in items {
            let account = accounts.get(&item.sender).copied().unwrap_or_default();
            let book = self.senders.get(&item.sender).copied().unwrap_or_default();
            let (expected, spend) = next
                .entry(item.sender)
                .or_insert((book.next_nonce.max(account.nonce), book.pending_spend));
            if item.nonce != *expected {
                return Err(LedgerError::NonceMismatch {
                    sender: item.sender,
                    expected: *expected,
                    got: item.nonce,
                });
            }
            let needed = *spend + item.max_cost;
            if needed > account.balance {
                return Err(LedgerError::InsufficientBalance {
                    sender: item.sender,
                    needed,
                    balance: account.balance,
                });
            }
            *expected += 1;
            *spend = needed;
        }
        Ok(gas)
    }

    /// Checks rollup transactions against their senders' L2 state (`accounts`, for the
    /// rollups with an L2 RPC) and every pending L2 promise, without reserving anything.
    pub fn plan_l2(
        &self,
        items: &[L2Item],
        accounts: &HashMap<(RollupId, Address), AccountState>,
    ) -> Result<(), LedgerError> {
        let mut next: HashMap<(RollupId, Address), (u64, U256)> = HashMap::new();
        for item in items {
            let key = (item.rollup_id, item.sender);
            let Some(account) = accounts.get(&key) else {
                continue;
            };
            let (expected, spend) = next.entry(key).or_insert_with(|| {
                self.l2
                    .values()
                    .filter_map(|b| b.get(&key))
                    .fold((account.nonce, U256::ZERO), |(n, s), (bn, bs)| {
                        (n.max(*bn), s + *bs)
                    })
            });
            if item.nonce != *expected {
                return Err(LedgerError::L2NonceMismatch {
                    rollup_id: item.rollup_id,
                    sender: item.sender,
                    expected: *expected,
                    got: item.nonce,
                });
            }
            let needed = *spend + item.max_cost;
            if needed > account.balance {
                return Err(LedgerError::L2InsufficientBalance {
                    rollup_id: item.rollup_id,
                    sender: item.sender,
                    needed,
                    balance: account.balance,
                });
            }
            *expected += 1;
            *spend = needed;
        }
        Ok(())
    }

    /// Records a promise in the books: after a successful plan, and on journal replay.
    pub fn apply(&mut self, entry: &JournalEntry) {
        let book = self.slots.entry(entry.slot()).or_default();
        match &entry.reservation {
            Reservation::Sequencing {
                placements,
                l2_senders,
            } => {
                let l2 = self.l2.entry(entry.slot()).or_default();
                for (rollup_id, sender, nonce, cost) in l2_senders {
                    let (next, spend) = l2.entry((*rollup_id, *sender)).or_default();
                    *next = (*next).max(nonce + 1);
                    *spend += *cost;
                }
                for (rollup_id, position, raw) in placements {
                    let batch = book.batches.entry(*rollup_id).or_default();
                    // Positions are assigned densely; replay restores them in journal order.
                    debug_assert_eq!(batch.txs.len() as u64, position.0, "positions are dense");
                    batch
                        .txs
                        .push((alloy_primitives::keccak256(raw), raw.clone()));
                    batch.bytes += raw.len() as u64;
                }
            }
            Reservation::Inclusion {
                txs,
                gas,
                senders,
                blobs,
            } => {
                book.inclusions.extend(txs.iter().cloned());
                book.gas += gas;
                book.blobs += blobs;
                for (sender, nonce, cost) in senders {
                    let s = self.senders.entry(*sender).or_default();
                    s.next_nonce = s.next_nonce.max(nonce + 1);
                    s.pending_spend += *cost;
                    *book.spend.entry(*sender).or_default() += *cost;
                    let n = book.nonces.entry(*sender).or_default();
                    *n = (*n).max(nonce + 1);
                }
            }
        }
    }

    /// A new execution head `number`, proposed in `slot`: the slots up to it have landed
    /// (or were missed), so their promises leave the books; the head state now shows what
    /// landed.
    pub fn on_head(&mut self, number: u64, slot: Slot) {
        self.prune_before(slot.next());
        self.head = Some(number);
        let keep_from = Slot(slot.0.saturating_sub(L2_RETAIN_SLOTS));
        self.l2 = self.l2.split_off(&keep_from);
    }

    /// The execution head the books were last pruned to.
    pub const fn head(&self) -> Option<u64> {
        self.head
    }

    /// Forgets slots before `slot`: their promised spend and nonces no longer count against
    /// senders (the head state reflects what landed; what did not land is not pending).
    pub fn prune_before(&mut self, slot: Slot) {
        let kept = self.slots.split_off(&slot);
        let gone = std::mem::replace(&mut self.slots, kept);
        for book in gone.into_values() {
            for (sender, spend) in book.spend {
                let Some(s) = self.senders.get_mut(&sender) else {
                    continue;
                };
                s.pending_spend = s.pending_spend.saturating_sub(spend);
                // The next nonce is what later, still pending slots promised, if anything.
                s.next_nonce = self
                    .slots
                    .values()
                    .filter_map(|b| b.nonces.get(&sender).copied())
                    .max()
                    .unwrap_or(0);
                if s.next_nonce == 0 && s.pending_spend.is_zero() {
                    self.senders.remove(&sender);
                }
            }
        }
    }

    /// Transactions promised in `rollup_id`'s batch for `slot`, in position order.
    pub fn batch(&self, slot: Slot, rollup_id: RollupId) -> Vec<Bytes> {
        self.slots
            .get(&slot)
            .and_then(|b| b.batches.get(&rollup_id))
            .map(|b| b.txs.iter().map(|(_, raw)| raw.clone()).collect())
            .unwrap_or_default()
    }

    /// Transactions and bytes promised in `rollup_id`'s batch for `slot`.
    pub fn batch_usage(&self, slot: Slot, rollup_id: RollupId) -> (u64, u64) {
        self.slots
            .get(&slot)
            .and_then(|b| b.batches.get(&rollup_id))
            .map_or((0, 0), |b| (b.txs.len() as u64, b.bytes))
    }

    /// Seals `slot` (its deadline passed): no reservation is made in it any more, and what
    /// it holds is returned. Sealing again returns the same contents.
    pub fn seal(&mut self, slot: Slot) -> SlotContents {
        let book = self.slots.entry(slot).or_default();
        book.sealed = true;
        let mut batches: Vec<(RollupId, Vec<Bytes>)> = book
            .batches
            .iter()
            .filter(|(_, b)| !b.txs.is_empty())
            .map(|(id, b)| (*id, b.txs.iter().map(|(_, raw)| raw.clone()).collect()))
            .collect();
        batches.sort_by_key(|(id, _)| *id);
        SlotContents {
            inclusions: book.inclusions.clone(),
            batches,
        }
    }

    /// Whether `slot` is sealed.
    pub fn is_sealed(&self, slot: Slot) -> bool {
        self.slots.get(&slot).is_some_and(|b| b.sealed)
    }

    /// Gas still free in `slot`.
    pub fn gas_left(&self, slot: Slot) -> u64 {
        self.limits
            .gas_per_slot
            .saturating_sub(self.slots.get(&slot).map_or(0, |b| b.gas))
    }
}

#[cfg(test)]
mod tests;
