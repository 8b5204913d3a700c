//! `baton_requestInclusion`: L1 transactions promised into one of our slots, checked
//! against the execution head (worst-case fees at the slot, nonce, balance, code) and
//! against every promise already made (gas, blobs, nonces, spend across slots).

use std::collections::{HashMap, HashSet};

use alloy_primitives::{Address, U256};
use baton_preconf::{
    Commitment, CommitmentKind, SignedCommitment, SignedRequest, Slot, request::CheckedBody,
    transaction::L1Transaction,
};

use super::Service;
use crate::{
    execution::{Code, Head},
    journal::{JournalEntry, Reservation},
    ledger::{AccountState, L1Item},
    rpc::RpcError,
};

/// The intrinsic gas of the simplest transaction.
const MIN_TX_GAS: u64 = 21_000;

/// EIP-7702 set-code transactions.
const SET_CODE_TX_TYPE: u8 = 4;

/// Reads of the head state retried when the head moves under a request.
const HEAD_RETRIES: usize = 3;

impl Service {
    /// `baton_requestInclusion`: promise that L1 transactions land in a slot of ours.
    pub async fn request_inclusion(
        &self,
        request: &SignedRequest,
    ) -> Result<SignedCommitment, RpcError> {
        self.measured(self.inclusion_inner(request)).await
    }

    async fn inclusion_inner(&self, request: &SignedRequest) -> Result<SignedCommitment, RpcError> {
        let (checked, validator) = self.check_request(request)?;
        let CheckedBody::Inclusion(txs) = checked.body else {
            return Err(RpcError::InvalidParams(
                "baton_requestInclusion takes an inclusion request".into(),
            ));
        };
        let chain_id = self.config.domain.chain_id;
        for (index, tx) in txs.iter().enumerate() {
            if tx.chain_id != Some(chain_id) {
                return Err(RpcError::WrongChainId {
                    index,
                    expected: chain_id,
                    got: tx.chain_id,
                });
            }
            if tx.tx_type == SET_CODE_TX_TYPE {
                return Err(RpcError::SetCodeUnsupported(index));
            }
            if tx.gas_limit < MIN_TX_GAS {
                return Err(RpcError::MalformedRequest(format!(
                    "transaction {index}: gas limit {} is below the {MIN_TX_GAS} every transaction needs",
                    tx.gas_limit
                )));
            }
        }
        let senders: Vec<Address> = txs
            .iter()
            .map(|t| t.sender)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let items: Vec<L1Item> = txs
            .iter()
            .map(|t| L1Item {
                sender: t.sender,
                nonce: t.nonce,
                gas: t.gas_limit,
                blobs: t.blob_count as u64,
                max_cost: t.max_cost(),
            })
            .collect();

        for _ in 0..HEAD_RETRIES {
            let (head, accounts) = self
                .execution
                .accounts(&senders)
                .await
                .map_err(|e| RpcError::ExecutionUnavailable(e.to_string()))?;
            self.check_fees(checked.slot, &head, &txs)?;
            let mut states = HashMap::with_capacity(accounts.len());
            for (address, account) in &accounts {
                match account.code {
                    Code::None => {}
                    Code::Delegated(delegate) => {
                        return Err(RpcError::SenderDelegated {
                            sender: address.to_string(),
                            delegate: delegate.to_string(),
                        });
                    }
                    Code::Contract => return Err(RpcError::SenderHasCode(address.to_string())),
                }
                states.insert(
                    *address,
                    AccountState {
                        nonce: account.nonce,
                        balance: account.balance,
                    },
                );
            }
            let promised = self
                .promise(|ledger| {
                    if ledger.head() != Some(head.number) {
                        return Ok(None);
                    }
                    let gas = ledger.plan_inclusion(checked.slot, &items, &states)?;
                    let capacity = ledger.limits().gas_per_slot;
                    // Gas promised before this bundle; the curve prices the bundle on top.
                    let used = capacity.saturating_sub(ledger.gas_left(checked.slot));
                    self.check_tip(checked.slot, &head, &txs, used, gas, capacity)?;
                    Ok(Some(JournalEntry {
                        commitment: Commitment {
                            kind: CommitmentKind::Inclusion,
                            slot: checked.slot,
                            validator_pubkey: validator,
                            committer: self.signer.address(),
                            request_id: checked.id,
                            // Inclusion is paid in-protocol, by the priority fee.
                            fee: U256::ZERO,
                            tx_hashes: txs.iter().map(|t| t.hash).collect(),
                            placements: vec![],
                        },
                        reservation: Reservation::Inclusion {
                            txs: txs.iter().map(|t| t.raw.clone()).collect(),
                            gas,
                            blobs: items.iter().map(|i| i.blobs).sum(),
                            senders: items
                                .iter()
                                .map(|i| (i.sender, i.nonce, i.max_cost))
                                .collect(),
                        },
                        wallet: checked.wallet,
                    }))
                })
                .await?;
            if let Some(signed) = promised {
                return Ok(signed);
            }
        }
        Err(RpcError::ExecutionUnavailable(
            "the L1 head kept moving while the request was checked; retry".into(),
        ))
    }

    /// Every transaction's fee caps cover the worst-case base fee and blob base fee of the
    /// slot's block.
    fn check_fees(&self, slot: Slot, head: &Head, txs: &[L1Transaction]) -> Result<(), RpcError> {
        let base_fee = head.max_base_fee_at(slot);
        let blob_fee = head.max_blob_base_fee_at(slot, self.execution.blob_params());
        for (index, tx) in txs.iter().enumerate() {
            if tx.max_fee_per_gas < base_fee {
                return Err(RpcError::FeeTooLow(format!(
                    "transaction {index}: max fee per gas {} is below slot {}'s worst-case base fee {base_fee}",
                    tx.max_fee_per_gas, slot.0
                )));
            }
            if tx.blob_count > 0 && tx.max_fee_per_blob_gas.unwrap_or_default() < blob_fee {
                return Err(RpcError::FeeTooLow(format!(
                    "transaction {index}: max fee per blob gas {} is below slot {}'s worst-case blob base fee {blob_fee}",
                    tx.max_fee_per_blob_gas.unwrap_or_default(),
                    slot.0
                )));
            }
        }
        Ok(())
    }

    /// Every transaction pays at least the congestion curve's tip for the bundle's gas,
    /// even at the worst-case base fee.
    fn check_tip(
        &self,
        slot: Slot,
        head: &Head,
        txs: &[L1Transaction],
        used: u64,
        gas: u64,
        capacity: u64,
    ) -> Result<(), RpcError> {
        let base_fee = head.max_base_fee_at(slot);
        let min_tip = self.pricing().min_tip(used, gas, capacity).ok_or_else(|| {
            RpcError::SlotGasFull(format!("slot {} has no room for {gas} gas", slot.0))
        })?;
        for (index, tx) in txs.iter().enumerate() {
            let cap = tx.max_priority_fee_per_gas.unwrap_or(tx.max_fee_per_gas);
            let tip = cap.min(tx.max_fee_per_gas.saturating_sub(base_fee));
            if tip < min_tip {
                return Err(RpcError::TipTooLow(format!(
                    "transaction {index}: priority fee {tip} (at the worst-case base fee) is below slot {}'s minimum {min_tip}; see baton_fee",
                    slot.0
                )));
            }
        }
        Ok(())
    }
}
