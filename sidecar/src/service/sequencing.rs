//! `baton_requestSequencing`: positions in one or several rollups' batches, all or nothing.

use std::collections::HashMap;

use alloy_primitives::{Address, B256, Bytes};
use baton_preconf::{
    Commitment, CommitmentKind, Placement, RollupId, SignedCommitment, SignedRequest,
    request::CheckedBody,
    transaction::{L1Transaction, decode_l1_transaction},
};

use super::Service;
use crate::{
    journal::{JournalEntry, Reservation},
    ledger::{AccountState, L2Item},
    rpc::RpcError,
};

impl Service {
    /// `baton_requestSequencing`: promise positions in one or several rollups' batches.
    pub async fn request_sequencing(
        &self,
        request: &SignedRequest,
    ) -> Result<SignedCommitment, RpcError> {
        self.measured(self.sequencing_inner(request)).await
    }

    async fn sequencing_inner(
        &self,
        request: &SignedRequest,
    ) -> Result<SignedCommitment, RpcError> {
        let (checked, validator) = self.check_request(request)?;
        let CheckedBody::Sequencing(txs) = checked.body else {
            return Err(RpcError::InvalidParams(
                "baton_requestSequencing takes a sequencing request".into(),
            ));
        };
        let l2_items = self.check_rollup_txs(&txs)?;
        let l2_accounts = self.l2_accounts(&l2_items).await?;
        let signed = self
            .promise(|ledger| {
                self.check_not_auctioned(ledger, checked.slot, txs.iter().map(|(r, _, _)| *r))?;
                let positions = ledger.plan_sequencing(checked.slot, &txs)?;
                ledger.plan_l2(&l2_items, &l2_accounts)?;
                let commitment = Commitment {
                    kind: CommitmentKind::Sequencing,
                    slot: checked.slot,
                    validator_pubkey: validator,
                    committer: self.signer.address(),
                    request_id: checked.id,
                    fee: self.pricing().rollup_fee(txs.len()),
                    tx_hashes: vec![],
                    placements: txs
                        .iter()
                        .zip(&positions)
                        .map(|((rollup_id, _, tx_hash), position)| Placement {
                            rollup_id: *rollup_id,
                            position: *position,
                            tx_hash: *tx_hash,
                        })
                        .collect(),
                };
                Ok(Some(JournalEntry {
                    commitment,
                    reservation: Reservation::sequencing(&txs, &positions, &l2_items),
                    wallet: checked.wallet,
                }))
            })
            .await?;
        signed.ok_or(RpcError::Internal)
    }

    /// The L2 state of every (rollup, sender) in `items`.
    pub(crate) async fn l2_accounts(
        &self,
        items: &[L2Item],
    ) -> Result<HashMap<(RollupId, Address), AccountState>, RpcError> {
        let mut accounts = HashMap::new();
        for item in items {
            let key = (item.rollup_id, item.sender);
            if accounts.contains_key(&key) {
                continue;
            }
            let Some(client) = self.l2.get(&item.rollup_id) else {
                continue;
            };
            let account =
                client
                    .account(item.sender)
                    .await
                    .map_err(|e| RpcError::L2Unavailable {
                        rollup_id: item.rollup_id.0,
                        reason: e.to_string(),
                    })?;
            accounts.insert(key, account);
        }
        Ok(accounts)
    }

    /// Checks every rollup transaction ([`Self::check_rollup_tx`]); returns those of rollups
    /// whose L2 is checked, with sender, nonce and worst-case cost.
    pub(crate) fn check_rollup_txs(
        &self,
        txs: &[(RollupId, Bytes, B256)],
    ) -> Result<Vec<L2Item>, RpcError> {
        let mut l2_items = Vec::new();
        for (index, (rollup_id, raw, hash)) in txs.iter().enumerate() {
            let tx = self.check_rollup_tx(index, *rollup_id, raw, *hash)?;
            if self.l2.contains_key(rollup_id) {
                l2_items.push(L2Item {
                    rollup_id: *rollup_id,
                    sender: tx.sender,
                    nonce: tx.nonce,
                    max_cost: tx.max_cost(),
                });
            }
        }
        Ok(l2_items)
    }

    /// A rollup transaction must be a signed transaction of the rollup's L2 chain, in
    /// canonical form (its batch hash is its transaction hash), and carry no blobs.
    pub(crate) fn check_rollup_tx(
        &self,
        index: usize,
        rollup_id: RollupId,
        raw: &[u8],
        hash: alloy_primitives::B256,
    ) -> Result<L1Transaction, RpcError> {
        let Some(&l2_chain_id) = self.rollups.get(&rollup_id) else {
            return Err(RpcError::UnknownRollup(rollup_id.0));
        };
        let tx = decode_l1_transaction(raw).map_err(|e| {
            RpcError::BadRollupTransaction(format!("rollup transaction {index}: {e}"))
        })?;
        if tx.blob_count > 0 || tx.hash != hash {
            return Err(RpcError::BadRollupTransaction(format!(
                "rollup transaction {index}: must be a canonical transaction without blobs"
            )));
        }
        if tx.chain_id != Some(l2_chain_id) {
            return Err(RpcError::WrongL2ChainId {
                index,
                rollup_id: rollup_id.0,
                expected: l2_chain_id,
                got: tx.chain_id,
            });
        }
        Ok(tx)
    }
}
