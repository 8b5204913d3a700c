//! Step ④: at a slot's deadline, promises close and the slot is sealed. Each rollup's batch
//! becomes one `RollupInbox.submitBatch` transaction signed by the committer, and the
//! delegate key signs the constraints: every L1 inclusion promise's transaction and every
//! batch transaction must be in the slot's block.
//!
//! The seal is journaled before anything of it leaves the process; after a restart the
//! journaled seal is used as it is (same transactions, same constraints), never made again.

use std::sync::{Arc, Mutex};

use alloy::{
    consensus::{EthereumTxEnvelope, SignableTransaction, TxEip1559, TxEip4844},
    eips::Encodable2718,
    primitives::{Address, Bytes, TxKind},
    signers::SignerSync,
    sol_types::SolCall,
};
use alloy_signer_local::PrivateKeySigner;
use baton_contracts::RollupInbox;
use baton_preconf::{
    BlsPublicKey, ChainSpec, RollupId, Slot,
    constraints::{CONSTRAINT_TYPE_INCLUSION, Constraint, ConstraintsMessage, SignedConstraints},
};

use super::nonces::{BatchFees, NonceBook};
use crate::{
    execution::ExecutionState,
    journal::{SealRecord, SealedBatch},
    keys::DelegateKey,
    lookahead::SlotClock,
    metrics,
    rpc::RpcError,
    service::Service,
};

/// Gas of a `submitBatch` call, bounded from above: intrinsic and calldata at the EIP-7623
/// floor, the batch copied to memory twice (hashing and the event), two new storage slots,
/// and a Merkle root over the transaction hashes.
pub fn batch_gas_limit(txs: &[Bytes]) -> u64 {
    let calldata: u64 = 4 + 4 * 32 + txs.iter().map(|t| 64 + t.len() as u64).sum::<u64>();
    let words = 2 * calldata.div_ceil(32);
    21_000
        + 40 * calldata
        + 8 * calldata
        + 3 * words
        + words * words / 512
        + 80_000
        + 1_500 * txs.len() as u64
}

/// Sealing failed; nothing left the process.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The ledger or the journal failed.
    #[error("sealing slot {slot}: {source}")]
    Service {
        /// The slot.
        slot: u64,
        /// What failed.
        source: RpcError,
    },
    /// The constraints could not be signed (over a size bound).
    #[error("signing slot {slot}'s constraints: {reason}")]
    Constraints {
        /// The slot.
        slot: u64,
        /// What failed.
        reason: String,
    },
}

/// What sealing needs.
#[derive(Debug, Clone)]
pub struct SealParts {
    /// The service whose books are sealed and whose journal records the seal.
    pub service: Arc<Service>,
    /// Signs batch transactions.
    pub committer: PrivateKeySigner,
    /// The L1 head and the committer's nonce.
    pub execution: Arc<ExecutionState>,
    /// Signs constraints.
    pub delegate: DelegateKey,
    /// The chain (slot times, the constraints domain).
    pub chain: ChainSpec,
    /// The `RollupInbox` batches go to (`None`: batches cannot be sealed).
    pub inbox: Option<Address>,
    /// Priority fee of batch transactions (wei per gas).
    pub batch_tip_wei: u128,
    /// Fault for end-to-end tests: leave the slot's last promised L1 transaction out of
    /// the seal (its constraints, the pool, the fallback), breaking that promise.
    pub drop_promised_tx: bool,
    /// The clock.
    pub clock: Arc<dyn SlotClock>,
}

/// Seals slots.
#[derive(Debug)]
pub struct Sealer {
    parts: SealParts,
    nonces: Mutex<NonceBook>,
}

impl Sealer {
    /// A sealer; `replayed` are the journal's seals (their nonces count).
    pub fn new(parts: SealParts, replayed: &[SealRecord]) -> Self {
        let mut book = NonceBook::default();
        for seal in replayed {
            let nonces: Vec<(u64, BatchFees)> = seal
                .batches
                .iter()
                .map(|b| (b.nonce, fees_of(&b.tx)))
                .collect();
            book.record(seal.slot, &nonces);
        }
        Self {
            parts,
            nonces: Mutex::new(book),
        }
    }

    /// Seals `slot`, proposed by our validator `proposer`: closes it in the books, builds
    /// and signs its batch transactions and constraints, and journals them. The caller
    /// sends them on only after this returns.
    pub async fn seal(&self, slot: Slot, proposer: BlsPublicKey) -> Result<SealRecord, SealError> {
        let parts = &self.parts;
        let service_err = |source| SealError::Service {
            slot: slot.0,
            source,
        };
        let mut contents = parts.service.seal_slot(slot).map_err(service_err)?;
        if parts.drop_promised_tx
            && let Some(dropped) = contents.inclusions.pop()
        {
            tracing::warn!(
                slot = slot.0,
                tx = %alloy::primitives::keccak256(&dropped),
                "fault switch: leaving a promised transaction out of the slot"
            );
        }
        let batches = self.batches(slot, &contents.batches).await;
        let mut payloads: Vec<Bytes> = contents.inclusions.clone();
        payloads.extend(batches.iter().map(|b| b.tx.clone()));
        let constraints = if payloads.is_empty() {
            None
        } else {
            Some(self.constraints(slot, proposer, payloads)?)
        };
        let record = SealRecord {
            slot,
            proposer,
            inclusions: contents.inclusions,
            batches,
            constraints,
        };
        parts
            .service
            .record_seal(&record)
            .await
            .map_err(service_err)?;
        metrics::record_slot_sealed();
        tracing::info!(
            slot = slot.0,
            inclusions = record.inclusions.len(),
            batches = record.batches.len(),
            "slot sealed"
        );
        Ok(record)
    }

    fn constraints(
        &self,
        slot: Slot,
        proposer: BlsPublicKey,
        payloads: Vec<Bytes>,
    ) -> Result<SignedConstraints, SealError> {
        let message = ConstraintsMessage {
            proposer,
            delegate: self.parts.delegate.public_key(),
            slot,
            constraints: payloads
                .into_iter()
                .map(|payload| Constraint {
                    constraint_type: CONSTRAINT_TYPE_INCLUSION,
                    payload,
                })
                .collect(),
            receivers: Vec::new(),
        };
        message
            .sign(
                self.parts.delegate.secret(),
                self.parts.chain.genesis_fork_version,
            )
            .map_err(|e| {
                metrics::record_promise_alarm();
                SealError::Constraints {
                    slot: slot.0,
                    reason: e.to_string(),
                }
            })
    }

    /// One signed `submitBatch` transaction per rollup with promised transactions. A batch
    /// that cannot be made (no inbox configured, no L1 head) raises the alarm: its
    /// promises will be broken.
    async fn batches(&self, slot: Slot, batches: &[(RollupId, Vec<Bytes>)]) -> Vec<SealedBatch> {
        if batches.is_empty() {
            return Vec::new();
        }
        let parts = &self.parts;
        let alarm = |why: &str| {
            for (rollup_id, txs) in batches {
                metrics::record_promise_alarm();
                tracing::error!(
                    slot = slot.0,
                    rollup_id = rollup_id.0,
                    txs = txs.len(),
                    why,
                    "a promised batch cannot be sealed"
                );
            }
        };
        let Some(inbox) = parts.inbox else {
            alarm("no RollupInbox configured (--rollup-inbox)");
            return Vec::new();
        };
        let committer = parts.committer.address();
        let (head, accounts) = match parts.execution.accounts(&[committer]).await {
            Ok(read) => read,
            Err(e) => {
                alarm(&format!("the committer's L1 nonce cannot be read: {e}"));
                return Vec::new();
            }
        };
        let l1_nonce = accounts.get(&committer).map_or(0, |a| a.nonce);
        let current = parts
            .chain
            .slot_at(parts.clock.now_ms() / 1000)
            .unwrap_or_default();
        let max_fee = head
            .max_base_fee_at(slot)
            .saturating_add(parts.batch_tip_wei);
        let Ok(mut book) = self.nonces.lock() else {
            alarm("internal: the nonce book is poisoned");
            return Vec::new();
        };
        let first = book.next(l1_nonce, head.slot, current);
        let mut used = Vec::with_capacity(batches.len());
        let mut sealed = Vec::with_capacity(batches.len());
        for (nonce, (rollup_id, txs)) in (first..).zip(batches) {
            let fees = book.fees(
                nonce,
                BatchFees {
                    max_fee_per_gas: max_fee,
                    max_priority_fee_per_gas: parts.batch_tip_wei,
                },
            );
            let tx = batch_transaction(
                &parts.committer,
                parts.chain.chain_id.0,
                inbox,
                (*rollup_id, slot, txs),
                nonce,
                fees,
            );
            used.push((nonce, fees));
            sealed.push(SealedBatch {
                rollup_id: *rollup_id,
                nonce,
                tx,
            });
        }
        book.record(slot, &used);
        sealed
    }
}

/// The signed `RollupInbox.submitBatch(rollupId, slot, txs)` transaction.
pub fn batch_transaction(
    committer: &PrivateKeySigner,
    chain_id: u64,
    inbox: Address,
    (rollup_id, slot, txs): (RollupId, Slot, &[Bytes]),
    nonce: u64,
    fees: BatchFees,
) -> Bytes {
    let input = RollupInbox::submitBatchCall {
        rollupId: rollup_id.0,
        slot: slot.0,
        txs: txs.to_vec(),
    }
    .abi_encode();
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: batch_gas_limit(txs),
        max_fee_per_gas: fees.max_fee_per_gas,
        max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
        to: TxKind::Call(inbox),
        input: input.into(),
        ..Default::default()
    };
    // A local key signs a 32-byte hash without failing.
    #[allow(clippy::expect_used)]
    let signature = committer
        .sign_hash_sync(&tx.signature_hash())
        .expect("local signing of a hash");
    let envelope: EthereumTxEnvelope<TxEip4844> = tx.into_signed(signature).into();
    envelope.encoded_2718().into()
}

/// The fees a journaled batch transaction used (zero if it does not decode).
fn fees_of(raw: &Bytes) -> BatchFees {
    baton_preconf::transaction::decode_l1_transaction(raw).map_or(
        BatchFees {
            max_fee_per_gas: 0,
            max_priority_fee_per_gas: 0,
        },
        |tx| BatchFees {
            max_fee_per_gas: tx.max_fee_per_gas,
            max_priority_fee_per_gas: tx.max_priority_fee_per_gas.unwrap_or_default(),
        },
    )
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;

    use super::*;

    #[test]
    fn a_batch_transaction_calls_submit_batch_and_decodes() {
        let committer = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x44)).unwrap();
        let txs = vec![Bytes::from(vec![1u8; 120]), Bytes::from(vec![2u8; 300])];
        let fees = BatchFees {
            max_fee_per_gas: 30_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
        };
        let raw = batch_transaction(
            &committer,
            3_151_908,
            Address::repeat_byte(0x1b),
            (RollupId(2), Slot(77), &txs),
            9,
            fees,
        );
        let tx = baton_preconf::transaction::decode_l1_transaction(&raw).unwrap();
        assert_eq!(
            (tx.sender, tx.nonce, tx.chain_id),
            (committer.address(), 9, Some(3_151_908))
        );
        assert_eq!(fees_of(&raw), fees);
        assert_eq!(tx.gas_limit, batch_gas_limit(&txs));
        let call =
            <alloy::consensus::TxEnvelope as alloy::eips::Decodable2718>::decode_2718_exact(&raw)
                .unwrap();
        let input = alloy::consensus::Transaction::input(&call);
        let decoded = RollupInbox::submitBatchCall::abi_decode(input).unwrap();
        assert_eq!((decoded.rollupId, decoded.slot), (2, 77));
        assert_eq!(decoded.txs, txs);
    }

    #[test]
    fn the_gas_bound_grows_with_the_batch() {
        let small = batch_gas_limit(&[Bytes::from(vec![1u8; 100])]);
        let large = batch_gas_limit(&vec![Bytes::from(vec![1u8; 1_000]); 100]);
        assert!(small > 100_000 && small < 200_000, "{small}");
        assert!(large > small + 4_000_000, "{large}");
        assert!(large < 15_000_000, "{large}");
    }
}
