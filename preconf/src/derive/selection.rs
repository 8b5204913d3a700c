//! Which transactions of a canonical batch enter the L2 block (step ⑧): the state checks
//! of `docs/derivation.md` ("Transactions"), decided against the state at the start of the
//! block, so the outcome is known before anything executes.

use std::collections::{BTreeSet, HashMap};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use serde::{Deserialize, Serialize};

use super::l2_tx::{L2Tx, TxInvalid, decode_l2_tx};

/// The L2 block being built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L2BlockParams {
    /// The rollup's EIP-155 chain id.
    pub chain_id: u64,
    /// The block's gas limit.
    pub gas_limit: u64,
    /// The block's base fee (EIP-1559, from its parent).
    pub base_fee: u128,
}

/// What the start-of-block state says about a sender.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountState {
    /// Next nonce.
    pub nonce: u64,
    /// Balance (wei).
    pub balance: U256,
    /// Whether the account has code (a contract or an EIP-7702 delegation).
    pub has_code: bool,
}

/// The verdict on one batch transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxOutcome {
    /// Position in the batch.
    pub position: u64,
    /// Batch hash (keccak256 of the bytes).
    pub hash: B256,
    /// `None`: included; otherwise why it was skipped.
    pub skipped: Option<TxInvalid>,
}

/// The batch read as an L2 block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The transactions that enter the block, in batch order.
    pub included: Vec<L2Tx>,
    /// One outcome per batch position.
    pub outcomes: Vec<TxOutcome>,
}

/// A batch transaction after the byte-level checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchTx {
    /// Batch hash (keccak256 of the bytes).
    pub hash: B256,
    /// The decoded transaction, or why the bytes do not qualify.
    pub decoded: Result<L2Tx, TxInvalid>,
}

/// Decodes every transaction of a batch (byte-level checks only) and lists the senders
/// whose start-of-block state [`select_transactions`] needs. Bounded by the batch size.
pub fn decode_batch(txs: &[Bytes], chain_id: u64) -> (Vec<BatchTx>, BTreeSet<Address>) {
    let decoded: Vec<BatchTx> = txs
        .iter()
        .map(|raw| BatchTx {
            hash: keccak256(raw),
            decoded: decode_l2_tx(raw, chain_id),
        })
        .collect();
    let senders = decoded
        .iter()
        .filter_map(|tx| tx.decoded.as_ref().ok().map(|tx| tx.sender))
        .collect();
    (decoded, senders)
}

/// Applies the state checks in batch order. `accounts` holds the start-of-block state of
/// the senders (an absent sender is an empty account). A skipped transaction changes
/// nothing; an included one advances its sender's nonce and spends its worst-case cost.
pub fn select_transactions(
    params: L2BlockParams,
    decoded: Vec<BatchTx>,
    accounts: &HashMap<Address, AccountState>,
) -> Selection {
    let mut included = Vec::new();
    let mut outcomes = Vec::with_capacity(decoded.len());
    let mut gas_left = params.gas_limit;
    // Per sender: (next nonce, what it can still spend).
    let mut running: HashMap<Address, (u64, U256)> = HashMap::new();
    for (position, tx) in decoded.into_iter().enumerate() {
        let position = position as u64;
        let tx = match tx.decoded {
            Ok(tx) => tx,
            Err(invalid) => {
                outcomes.push(TxOutcome {
                    position,
                    hash: tx.hash,
                    skipped: Some(invalid),
                });
                continue;
            }
        };
        let account = accounts.get(&tx.sender).copied().unwrap_or_default();
        let (nonce, available) = running
            .entry(tx.sender)
            .or_insert((account.nonce, account.balance));
        let verdict = if tx.gas_limit > gas_left {
            Err(TxInvalid::BlockGasExhausted {
                gas_limit: tx.gas_limit,
                remaining: gas_left,
            })
        } else if tx.max_fee_per_gas < params.base_fee {
            Err(TxInvalid::FeeCapBelowBaseFee {
                cap: tx.max_fee_per_gas,
                base_fee: params.base_fee,
            })
        } else if account.has_code {
            Err(TxInvalid::SenderHasCode { sender: tx.sender })
        } else if tx.nonce != *nonce {
            Err(TxInvalid::NonceMismatch {
                expected: *nonce,
                got: tx.nonce,
            })
        } else if tx.max_cost > *available {
            Err(TxInvalid::InsufficientFunds {
                available: *available,
                max_cost: tx.max_cost,
            })
        } else {
            Ok(())
        };
        outcomes.push(TxOutcome {
            position,
            hash: tx.hash,
            skipped: verdict.clone().err(),
        });
        if verdict.is_ok() {
            *nonce += 1;
            *available -= tx.max_cost;
            gas_left -= tx.gas_limit;
            included.push(tx);
        }
    }
    Selection { included, outcomes }
}

#[cfg(test)]
mod tests {
    use alloy_signer_local::PrivateKeySigner;
    use proptest::prelude::*;

    use super::*;
    use crate::derive::l2_tx::tests::{CHAIN, tx_1559};

    fn signers() -> Vec<PrivateKeySigner> {
        (1..=3u8)
            .map(|i| PrivateKeySigner::from_bytes(&B256::repeat_byte(i)).unwrap())
            .collect()
    }

    fn params(gas_limit: u64) -> L2BlockParams {
        L2BlockParams {
            chain_id: CHAIN,
            gas_limit,
            base_fee: 7,
        }
    }

    fn run(
        params: L2BlockParams,
        txs: &[Bytes],
        accounts: &HashMap<Address, AccountState>,
    ) -> Selection {
        select_transactions(params, decode_batch(txs, CHAIN).0, accounts)
    }

    fn funded(signers: &[PrivateKeySigner], balance: u64) -> HashMap<Address, AccountState> {
        signers
            .iter()
            .map(|s| {
                let state = AccountState {
                    nonce: 0,
                    balance: U256::from(balance),
                    has_code: false,
                };
                (s.address(), state)
            })
            .collect()
    }

    #[test]
    fn skips_by_state_in_batch_order() {
        let s = signers();
        let mut accounts = funded(&s, 1_000_000);
        accounts.get_mut(&s[2].address()).unwrap().has_code = true;
        let txs = vec![
            tx_1559(&s[0], 1, 0, 21_000),       // nonce gap
            tx_1559(&s[0], 0, 0, 21_000),       // ok (cost 210 000)
            tx_1559(&s[0], 1, 700_000, 21_000), // 790 000 left, needs 910 000
            tx_1559(&s[0], 1, 1, 21_000),       // ok
            tx_1559(&s[1], 0, 0, 21_000),       // ok
            tx_1559(&s[2], 0, 0, 21_000),       // sender has code
            Bytes::from_static(b"junk"),
        ];
        let out = run(params(30_000_000), &txs, &accounts);
        let hashes: Vec<B256> = out.included.iter().map(|t| t.hash).collect();
        assert_eq!(
            hashes,
            vec![keccak256(&txs[1]), keccak256(&txs[3]), keccak256(&txs[4])]
        );
        let reasons: Vec<_> = out.outcomes.iter().map(|o| o.skipped.clone()).collect();
        assert_eq!(
            reasons[0],
            Some(TxInvalid::NonceMismatch {
                expected: 0,
                got: 1
            })
        );
        assert!(matches!(
            reasons[2],
            Some(TxInvalid::InsufficientFunds { .. })
        ));
        assert_eq!(
            reasons[5],
            Some(TxInvalid::SenderHasCode {
                sender: s[2].address()
            })
        );
        assert!(matches!(reasons[6], Some(TxInvalid::Undecodable { .. })));
    }

    #[test]
    fn block_gas_and_base_fee() {
        let s = signers();
        let accounts = funded(&s, u64::MAX);
        let txs = vec![
            tx_1559(&s[0], 0, 0, 30_000),
            tx_1559(&s[1], 0, 0, 30_000), // 20 000 left
            tx_1559(&s[2], 0, 0, 21_000), // fits
        ];
        let out = run(params(50_000), &txs, &accounts);
        assert_eq!(out.included.len(), 1);
        assert_eq!(
            out.outcomes[1].skipped,
            Some(TxInvalid::BlockGasExhausted {
                gas_limit: 30_000,
                remaining: 20_000
            })
        );
        // 21 000 > 20 000 left too.
        assert!(out.outcomes[2].skipped.is_some());
        let mut high = params(50_000);
        high.base_fee = 11;
        let out = run(high, &txs[..1], &accounts);
        assert_eq!(
            out.outcomes[0].skipped,
            Some(TxInvalid::FeeCapBelowBaseFee {
                cap: 10,
                base_fee: 11
            })
        );
    }

    /// (signer 0..3, nonce 0..4, value) triples.
    fn arb_batch() -> impl Strategy<Value = Vec<(usize, u64, u64)>> {
        proptest::collection::vec((0usize..3, 0u64..4, 0u64..300_000), 0..16)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Included transactions are a subsequence of the batch in which every sender's
        /// nonces run consecutively from its state, no sender overspends, and no block gas is
        /// overdrawn; and a skipped transaction, removed from the batch, changes nothing.
        #[test]
        fn selection_invariants(batch in arb_batch(), balance in 0u64..1_500_000, gas_limit in 21_000u64..200_000) {
            let s = signers();
            let accounts = funded(&s, balance);
            let txs: Vec<Bytes> = batch.iter().map(|&(i, nonce, value)| tx_1559(&s[i], nonce, value, 21_000)).collect();
            let out = run(params(gas_limit), &txs, &accounts);
            prop_assert_eq!(out.outcomes.len(), txs.len());
            let mut next: HashMap<Address, u64> = HashMap::new();
            let mut spent: HashMap<Address, U256> = HashMap::new();
            let mut gas = 0;
            for tx in &out.included {
                let n = next.entry(tx.sender).or_insert(0);
                prop_assert_eq!(tx.nonce, *n);
                *n += 1;
                *spent.entry(tx.sender).or_default() += tx.max_cost;
                gas += tx.gas_limit;
            }
            prop_assert!(gas <= gas_limit);
            prop_assert!(spent.values().all(|v| *v <= U256::from(balance)));
            // Dropping the skipped ones yields the same block.
            let kept: Vec<Bytes> = txs.iter().zip(&out.outcomes).filter(|(_, o)| o.skipped.is_none()).map(|(t, _)| t.clone()).collect();
            let again = run(params(gas_limit), &kept, &accounts);
            prop_assert_eq!(again.included, out.included);
        }
    }
}
