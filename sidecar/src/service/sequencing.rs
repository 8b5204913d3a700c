//! `baton_requestSequencing`: positions in one or several rollups' batches, all or nothing.

use baton_preconf::{
    Commitment, CommitmentKind, Placement, RollupId, SignedCommitment, SignedRequest,
    request::CheckedBody, transaction::decode_l1_transaction,
};

use super::Service;
use crate::{
    journal::{JournalEntry, Reservation},
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
        for (index, (rollup_id, raw, hash)) in txs.iter().enumerate() {
            self.check_rollup_tx(index, *rollup_id, raw, *hash)?;
        }
        let signed = self
            .promise(|ledger| {
                let positions = ledger.plan_sequencing(checked.slot, &txs)?;
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
                    reservation: Reservation::Sequencing {
                        placements: txs
                            .iter()
                            .zip(&positions)
                            .map(|((r, raw, _), p)| (*r, *p, raw.clone()))
                            .collect(),
                    },
                    wallet: checked.wallet,
                }))
            })
            .await?;
        signed.ok_or(RpcError::Internal)
    }

    /// A rollup transaction must be a signed transaction of the rollup's L2 chain, in
    /// canonical form (its batch hash is its transaction hash), and carry no blobs.
    fn check_rollup_tx(
        &self,
        index: usize,
        rollup_id: RollupId,
        raw: &[u8],
        hash: alloy_primitives::B256,
    ) -> Result<(), RpcError> {
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
        Ok(())
    }
}
