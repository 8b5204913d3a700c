//! Every promise the sidecars made for a range of slots, with the evidence of where it
//! stands: the relay's constraints before the slot, L1 receipts and the inbox's batches
//! after it, L2 receipts, and the Slasher's events.

use std::collections::{BTreeMap, HashMap, HashSet};

use alloy::sol_types::SolCall;
use alloy_consensus::{Transaction as _, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, B256, keccak256};
use baton_contracts::RollupInbox;
use baton_preconf::{
    BatonDomain, ChainSpec, CommitmentKind, RollupId, SignedCommitment, Slot,
    constraints::{CONSTRAINT_TYPE_INCLUSION, MAX_CONSTRAINTS_PER_SLOT, SignedDelegation},
    derive::{Sequencer, canonical_batches},
    transaction::decode_l1_transaction,
};
use futures_util::{StreamExt, future::join_all, stream};

use super::{
    aggregate::Aggregator,
    beacon_reader::{BeaconInfo, BeaconSlot},
    error::ExplorerError,
    http::{UpstreamError, sidecar_commitments},
    model::{PromiseView, PromisesPage},
    sources::ContractAddresses,
    status::{Evidence, LandedBatch, SlotFact, judge_commitment},
};

/// Most slots one `/api/promises` answer covers.
pub const MAX_PROMISE_SLOTS: u64 = 16;
/// Most promises one answer carries (newest slots first).
const MAX_PROMISES: usize = 256;
/// Most transactions one answer looks up.
const MAX_ITEMS: usize = 1_024;
/// Constraints messages read per slot.
const MAX_MESSAGES: usize = 64;
/// JSON-RPC calls in flight at once.
const IN_FLIGHT: usize = 16;

/// An L2 receipt lookup: the rollup, the hash, the receipt's block if any.
type L2Lookup = Result<(RollupId, B256, Option<u64>), UpstreamError>;

/// A verified promise and the sidecar that made it.
struct Made {
    sidecar: String,
    signed: SignedCommitment,
    digest: B256,
}

/// The rollup id, slot and batch hashes of a `RollupInbox.submitBatch` transaction.
fn submit_batch(canonical: &[u8], inbox: Address) -> Option<(RollupId, Slot, Vec<B256>)> {
    let tx = TxEnvelope::decode_2718(&mut &canonical[..]).ok()?;
    if tx.to() != Some(inbox) {
        return None;
    }
    let input = tx.input();
    if input.get(..4) != Some(&RollupInbox::submitBatchCall::SELECTOR[..]) {
        return None;
    }
    let call = RollupInbox::submitBatchCall::abi_decode(input).ok()?;
    Some((
        RollupId(call.rollupId),
        Slot(call.slot),
        call.txs.iter().map(keccak256).collect(),
    ))
}

impl Aggregator {
    /// `/api/promises`: newest slot first.
    pub(crate) async fn promises(
        &self,
        from: Slot,
        to: Slot,
    ) -> Result<PromisesPage, ExplorerError> {
        let mut page = PromisesPage {
            from,
            to,
            promises: Vec::new(),
            truncated: false,
            warnings: Vec::new(),
            bad_signatures: 0,
        };
        let Some(contracts) = self.sources.contracts else {
            page.warnings
                .push("no contracts: commitments cannot be verified".to_owned());
            return Ok(page);
        };
        let domain = BatonDomain {
            chain_id: self.sources.l1_chain_id,
            verifying_contract: contracts.slasher,
        };
        let made = self.collect(from, to, &domain, &mut page).await;
        let info = self.beacon.info(&self.http).await?;
        let last_over = to.min(info.current_slot());
        let records: HashMap<Slot, BeaconSlot> = if from <= last_over && !made.is_empty() {
            self.beacon
                .slots(&self.http, from, last_over)
                .await?
                .into_iter()
                .map(|r| (r.slot, r))
                .collect()
        } else {
            HashMap::new()
        };
        let mut by_slot: BTreeMap<Slot, Vec<&SignedCommitment>> = BTreeMap::new();
        for m in &made {
            by_slot
                .entry(m.signed.commitment.slot)
                .or_default()
                .push(&m.signed);
        }
        let pending: Vec<_> = by_slot
            .iter()
            .map(|(slot, promised)| {
                self.evidence(*slot, records.get(slot), promised, &contracts, info)
            })
            .collect();
        let gathered = join_all(pending).await;
        let mut evidence = HashMap::new();
        for (slot, (ev, warnings)) in by_slot.keys().zip(gathered) {
            evidence.insert(*slot, ev?);
            page.warnings.extend(warnings);
        }
        let watch = {
            let mut watch = self.slasher.lock().await;
            if let Err(e) = watch.refresh(&self.l1, &contracts).await {
                page.warnings.push(format!("Slasher events: {e}"));
            }
            made.iter()
                .map(|m| (m.digest, watch.get(&m.digest)))
                .collect::<HashMap<_, _>>()
        };
        for m in made {
            let c = &m.signed.commitment;
            let ev = evidence.get(&c.slot).cloned().unwrap_or_default();
            let on_chain = watch.get(&m.digest).cloned().unwrap_or_default();
            let (status, reason, mut items) = judge_commitment(c, &ev, &on_chain);
            for item in &mut items {
                let rollup = item
                    .rollup_id
                    .and_then(|id| self.sources.rollups.iter().find(|r| r.id == id));
                item.rollup = rollup.map(|r| r.name.clone());
                item.l2_chain_id = rollup.map(|r| r.l2_chain_id);
            }
            page.promises.push(PromiseView {
                sidecar: m.sidecar,
                request_id: c.request_id,
                slot: c.slot,
                kind: c.kind,
                committer: c.committer,
                validator_pubkey: c.validator_pubkey,
                digest: Some(m.digest),
                status,
                reason,
                items,
                l1_block: records
                    .get(&c.slot)
                    .and_then(|r| r.block.as_ref().ok().map(|(b, _)| *b)),
                on_chain,
            });
        }
        Ok(page)
    }

    /// Every sidecar's verified promises for `from..=to`, newest slot first, bounded.
    async fn collect(
        &self,
        from: Slot,
        to: Slot,
        domain: &BatonDomain,
        page: &mut PromisesPage,
    ) -> Vec<Made> {
        let sidecars = &self.sources.sidecars;
        let answers = join_all(
            sidecars
                .iter()
                .map(|s| sidecar_commitments(&self.http, &s.rpc_url, from, to)),
        )
        .await;
        let mut made = Vec::new();
        for (sidecar, answer) in sidecars.iter().zip(answers) {
            let listed = match answer {
                Ok(listed) => listed,
                Err(e) => {
                    page.warnings.push(format!("sidecar {}: {e}", sidecar.name));
                    continue;
                }
            };
            page.truncated |= listed.truncated;
            for signed in listed.commitments {
                let slot = signed.commitment.slot;
                if slot < from || slot > to {
                    continue;
                }
                if signed.verify(domain).is_err() {
                    tracing::warn!(sidecar = %sidecar.name, request_id = %signed.commitment.request_id, "commitment signature does not verify; not shown");
                    page.bad_signatures += 1;
                    continue;
                }
                made.push(Made {
                    sidecar: sidecar.name.clone(),
                    digest: signed.commitment.digest(domain),
                    signed,
                });
            }
        }
        made.sort_by_key(|m| std::cmp::Reverse(m.signed.commitment.slot));
        let mut items = 0;
        let mut kept = 0;
        for m in &made {
            let c = &m.signed.commitment;
            let n = c.tx_hashes.len() + c.placements.len();
            if kept == MAX_PROMISES || items + n > MAX_ITEMS {
                break;
            }
            items += n;
            kept += 1;
        }
        page.truncated |= kept < made.len();
        made.truncate(kept);
        made
    }

    /// The evidence of one slot, with warnings for sources that did not answer.
    async fn evidence(
        &self,
        slot: Slot,
        record: Option<&BeaconSlot>,
        promised: &[&SignedCommitment],
        contracts: &ContractAddresses,
        info: BeaconInfo,
    ) -> (Result<Evidence, ExplorerError>, Vec<String>) {
        let mut warnings = Vec::new();
        let mut ev = Evidence::default();
        let block = match record.map(|r| &r.block) {
            None => {
                ev.slot = Some(SlotFact::Open);
                if let Err(e) = self.sealed(slot, promised, contracts, info, &mut ev).await {
                    warnings.push(format!("relay constraints of slot {slot}: {e}"));
                }
                return (Ok(ev), warnings);
            }
            Some(Err(_)) => {
                ev.slot = Some(SlotFact::Missed);
                return (Ok(ev), warnings);
            }
            Some(Ok((block, _))) => *block,
        };
        ev.slot = Some(SlotFact::Landed {
            number: block.number,
            hash: block.hash,
        });
        let landed = self
            .landed(
                block.hash,
                record.map(|r| r.proposer),
                promised,
                contracts,
                info,
                &mut ev,
            )
            .await;
        (landed.map(|()| ev), warnings)
    }

    /// What the relay's constraints for an open slot hold: only messages signed for a
    /// proposer the promises name, by the proposer or a delegate it signed for.
    async fn sealed(
        &self,
        slot: Slot,
        promised: &[&SignedCommitment],
        contracts: &ContractAddresses,
        info: BeaconInfo,
        ev: &mut Evidence,
    ) -> Result<(), UpstreamError> {
        let Some(relay) = &self.relay else {
            return Ok(());
        };
        let proposers: HashSet<_> = promised
            .iter()
            .map(|s| s.commitment.validator_pubkey)
            .collect();
        let messages = relay.constraints(&self.http, slot).await?;
        ev.constraints_read = true;
        let mut delegations: Option<Vec<SignedDelegation>> = None;
        for signed in messages.iter().take(MAX_MESSAGES) {
            let m = &signed.message;
            if m.slot != slot || !proposers.contains(&m.proposer) {
                continue;
            }
            if signed.verify(info.genesis_fork_version).is_err() {
                tracing::warn!(%slot, "relay served constraints whose signature does not verify");
                continue;
            }
            if m.delegate != m.proposer {
                if delegations.is_none() {
                    delegations = Some(relay.delegations(&self.http, slot).await?);
                }
                let authorized = delegations.iter().flatten().any(|d| {
                    d.message.proposer == m.proposer
                        && d.message.delegate == m.delegate
                        && d.message.slot == slot
                        && d.verify(info.genesis_fork_version).is_ok()
                });
                if !authorized {
                    continue;
                }
            }
            for constraint in m.constraints.iter().take(MAX_CONSTRAINTS_PER_SLOT) {
                if constraint.constraint_type != CONSTRAINT_TYPE_INCLUSION {
                    continue;
                }
                let Ok(tx) = decode_l1_transaction(&constraint.payload) else {
                    continue;
                };
                ev.sealed_l1.insert(tx.hash);
                if let Some((rollup, batch_slot, hashes)) =
                    submit_batch(&tx.canonical, contracts.rollup_inbox)
                    && batch_slot == slot
                {
                    ev.sealed_batches.insert((rollup, tx.sender), hashes);
                }
            }
        }
        Ok(())
    }

    /// Receipts, canonical batches and L2 receipts for a slot whose block landed.
    async fn landed(
        &self,
        block_hash: B256,
        proposer: Option<baton_preconf::BlsPublicKey>,
        promised: &[&SignedCommitment],
        contracts: &ContractAddresses,
        info: BeaconInfo,
        ev: &mut Evidence,
    ) -> Result<(), ExplorerError> {
        let Some((block, slot_txs)) = self.l1.block(block_hash).await? else {
            return Ok(());
        };
        ev.slot_txs = slot_txs.into_iter().collect();
        // Receipts only for what the block lacks: to say where else it landed.
        let mut l1_hashes: Vec<B256> = promised
            .iter()
            .flat_map(|s| s.commitment.tx_hashes.iter().copied())
            .filter(|h| !ev.slot_txs.contains(h))
            .collect();
        l1_hashes.sort_unstable();
        l1_hashes.dedup();
        let lookups: Vec<_> = l1_hashes
            .into_iter()
            .map(|h| async move { self.l1.receipt(h).await.map(|r| (h, r)) })
            .collect();
        let receipts: Vec<Result<(B256, Option<_>), UpstreamError>> = stream::iter(lookups)
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        for found in receipts {
            if let (h, Some(r)) = found? {
                ev.l1_receipts.insert(h, r);
            }
        }
        let placements: Vec<_> = promised
            .iter()
            .filter(|s| s.commitment.kind == CommitmentKind::Sequencing)
            .flat_map(|s| s.commitment.placements.iter().copied())
            .collect();
        if placements.is_empty() {
            return Ok(());
        }
        let logs = self
            .l1
            .inbox_logs(contracts.rollup_inbox, block_hash)
            .await?;
        let committer = match proposer {
            Some(key) => self
                .committers(vec![key])
                .await?
                .get(&key)
                .copied()
                .flatten(),
            None => None,
        };
        let sequencer = committer.map_or(Sequencer::Open, Sequencer::Committer);
        let mut spec = ChainSpec::devnet(self.sources.l1_chain_id, info.genesis_time);
        spec.seconds_per_slot = info.seconds_per_slot;
        let inbox_logs: Vec<_> = logs.iter().map(|(log, _)| log.clone()).collect();
        let batches =
            canonical_batches(&spec, contracts.rollup_inbox, block, sequencer, &inbox_logs);
        for (rollup, batch) in batches.batches {
            let l1_tx = logs
                .iter()
                .find(|(log, _)| log.log_index == batch.log_index)
                .and_then(|(_, tx)| *tx);
            ev.landed_batches.insert(
                rollup,
                LandedBatch {
                    tx_hashes: batch.txs.iter().map(keccak256).collect(),
                    l1_tx,
                },
            );
        }
        let mut lookups = Vec::new();
        for p in &placements {
            let Some(rpc) = self.l2.get(&p.rollup_id) else {
                continue;
            };
            let (rollup, hash) = (p.rollup_id, p.tx_hash);
            lookups.push(async move {
                rpc.receipt(hash)
                    .await
                    .map(|r| (rollup, hash, r.map(|r| r.block_number)))
            });
        }
        let l2_found: Vec<L2Lookup> = stream::iter(lookups)
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        for rollup in self.l2.keys() {
            ev.l2_receipts.entry(*rollup).or_default();
        }
        for found in l2_found {
            match found {
                Ok((rollup, hash, Some(number))) => {
                    ev.l2_receipts
                        .entry(rollup)
                        .or_default()
                        .insert(hash, number);
                }
                Ok(_) => {}
                // An L2 that does not answer proves nothing: judge by the batch alone.
                Err(e) => {
                    tracing::warn!(error = %e, "L2 receipt lookup failed");
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use alloy_consensus::{SignableTransaction, TxEip1559};
    use alloy_eips::eip2718::Encodable2718;
    use alloy_primitives::{Bytes, TxKind, U256};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;

    use super::*;

    #[test]
    fn submit_batch_transactions_are_recognised_by_target_and_selector() {
        let inbox = Address::repeat_byte(0x1b);
        let txs = vec![Bytes::from_static(b"one"), Bytes::from_static(b"two")];
        let input = RollupInbox::submitBatchCall {
            rollupId: 2,
            slot: 40,
            txs,
        }
        .abi_encode();
        let key = PrivateKeySigner::random();
        let encode = |to: Address, input: Vec<u8>| {
            let tx = TxEip1559 {
                chain_id: 1,
                gas_limit: 100_000,
                to: TxKind::Call(to),
                input: input.into(),
                value: U256::ZERO,
                ..Default::default()
            };
            let signature = key.sign_hash_sync(&tx.signature_hash()).unwrap();
            TxEnvelope::from(tx.into_signed(signature)).encoded_2718()
        };
        let (rollup, slot, hashes) = submit_batch(&encode(inbox, input.clone()), inbox).unwrap();
        assert_eq!((rollup, slot), (RollupId(2), Slot(40)));
        assert_eq!(hashes, vec![keccak256(b"one"), keccak256(b"two")]);
        assert!(submit_batch(&encode(Address::ZERO, input), inbox).is_none());
        assert!(submit_batch(&encode(inbox, vec![1, 2, 3, 4]), inbox).is_none());
        assert!(submit_batch(b"\x02junk", inbox).is_none());
    }
}
