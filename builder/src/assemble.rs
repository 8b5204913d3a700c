//! From a built payload to what each relay receives (step ⑤): which constrained
//! transactions made it into the payload, and per relay either a submission (with the
//! multiproof of exactly that relay's constraints, or plain when it has none) or the
//! reason to hold back. No I/O.

use std::collections::HashSet;

use alloy_primitives::{B256, keccak256};
use baton_preconf::ssz::{
    BeaconJson, ExecutionPayload, InclusionMultiProof, ProveError, SubmitBlockRequestElectra,
    prove_transactions,
};
use serde_json::Value;

use crate::book::SlotConstraints;

/// Where a submission goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /relay/v1/builder/blocks`: the relay holds no constraints for the slot.
    Blocks,
    /// `POST /constraints/v0/relay/blocks_with_proofs`.
    BlocksWithProofs,
}

impl Route {
    /// The relay path.
    pub const fn path(self) -> &'static str {
        match self {
            Self::Blocks => "/relay/v1/builder/blocks",
            Self::BlocksWithProofs => "/constraints/v0/relay/blocks_with_proofs",
        }
    }
}

/// One relay's submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// The relay (index in the configured list).
    pub relay: usize,
    /// The route.
    pub route: Route,
    /// The JSON body.
    pub body: Value,
    /// Constrained transactions the proof covers.
    pub proven: usize,
}

/// What to do for one relay.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Send this.
    Submit(Submission),
    /// Hold back: the payload lacks constrained transactions this relay requires.
    Withhold {
        /// The relay.
        relay: usize,
        /// The constrained transactions not in the payload.
        missing: Vec<B256>,
    },
}

/// Why no plan could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssembleError {
    /// Proving failed although the transactions are in the payload.
    #[error(transparent)]
    Prove(#[from] ProveError),
}

/// Hashes of the payload's transactions.
pub fn payload_hashes(payload: &ExecutionPayload) -> HashSet<B256> {
    payload
        .transactions
        .iter()
        .map(|tx| keccak256(tx.as_slice()))
        .collect()
}

/// The constrained transactions of `constraints` missing from `payload`, in order.
pub fn missing(payload: &ExecutionPayload, constraints: &SlotConstraints) -> Vec<B256> {
    let present = payload_hashes(payload);
    constraints
        .all
        .iter()
        .map(|t| t.hash)
        .filter(|h| !present.contains(h))
        .collect()
}

/// The per-relay plans for a signed `request`. A relay whose constraints are all in the
/// payload gets the block with their proof; one with no constraints gets it plain; one
/// missing any is withheld from, unless `fault_submit` (the drop-constraint fault
/// switch), in which case it gets a proof of only what is there, minus `dropped`, so the
/// relay's own check refuses it.
pub fn plan(
    request: &SubmitBlockRequestElectra,
    constraints: &SlotConstraints,
    dropped: Option<B256>,
    fault_submit: bool,
) -> Result<Vec<Plan>, AssembleError> {
    let payload = &request.execution_payload;
    let present = payload_hashes(payload);
    let body = request.to_json();
    let mut plans = Vec::with_capacity(constraints.per_relay.len());
    for (relay, required) in constraints.per_relay.iter().enumerate() {
        if required.is_empty() {
            plans.push(Plan::Submit(Submission {
                relay,
                route: Route::Blocks,
                body: body.clone(),
                proven: 0,
            }));
            continue;
        }
        let absent: Vec<B256> = required
            .iter()
            .copied()
            .filter(|h| !present.contains(h))
            .collect();
        if !absent.is_empty() && !fault_submit {
            plans.push(Plan::Withhold {
                relay,
                missing: absent,
            });
            continue;
        }
        let proven: Vec<B256> = required
            .iter()
            .copied()
            .filter(|h| present.contains(h) && Some(*h) != dropped)
            .collect();
        let proof = if proven.is_empty() {
            // Nothing left to prove: an empty proof, which the relay refuses.
            InclusionMultiProof {
                transaction_hashes: Vec::new(),
                generalized_indexes: Vec::new(),
                merkle_hashes: Vec::new(),
            }
        } else {
            prove_transactions(&payload.transactions, &proven)?
        };
        let body = request.to_json_with_proofs(&proof);
        plans.push(Plan::Submit(Submission {
            relay,
            route: Route::BlocksWithProofs,
            body,
            proven: proven.len(),
        }));
    }
    Ok(plans)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::Bytes;
    use baton_preconf::ssz::{Transaction, transactions_root};
    use ssz_rs::List;

    use super::*;
    use crate::verify::ConstrainedTx;

    fn txs() -> Vec<Bytes> {
        (0..6u8).map(|i| Bytes::from(vec![0x02, i, i, i])).collect()
    }

    fn request(in_block: &[Bytes]) -> SubmitBlockRequestElectra {
        let mut request = SubmitBlockRequestElectra::default();
        request.execution_payload.transactions = List::try_from(
            in_block
                .iter()
                .map(|t| Transaction::try_from(t.to_vec()).unwrap())
                .collect::<Vec<_>>(),
        )
        .unwrap();
        request
    }

    fn constrained(txs: &[Bytes], relays: &[&[usize]]) -> SlotConstraints {
        let mut all: Vec<ConstrainedTx> = Vec::new();
        for &i in relays.iter().flat_map(|r| r.iter()) {
            if !all.iter().any(|t| t.canonical == txs[i]) {
                all.push(ConstrainedTx {
                    hash: keccak256(&txs[i]),
                    raw: txs[i].clone(),
                    canonical: txs[i].clone(),
                });
            }
        }
        SlotConstraints {
            all,
            per_relay: relays
                .iter()
                .map(|r| r.iter().map(|&i| keccak256(&txs[i])).collect())
                .collect(),
        }
    }

    fn proof_of(plan: &Plan) -> InclusionMultiProof {
        let Plan::Submit(s) = plan else {
            panic!("not a submission: {plan:?}")
        };
        assert_eq!(s.route, Route::BlocksWithProofs);
        serde_json::from_value(s.body["proofs"].clone()).unwrap()
    }

    #[test]
    fn each_relay_gets_a_proof_of_exactly_its_constraints() {
        let txs = txs();
        let request = request(&txs[..5]);
        let root = transactions_root(&txs[..5]).unwrap();
        // Relay 0 constrained 1 and 3, relay 1 constrained 3 and 4, relay 2 nothing.
        let constraints = constrained(&txs, &[&[1, 3], &[3, 4], &[]]);
        assert!(missing(&request.execution_payload, &constraints).is_empty());
        let plans = plan(&request, &constraints, None, false).unwrap();
        assert_eq!(plans.len(), 3);
        for (relay, wanted) in [(0, [1, 3]), (1, [3, 4])] {
            let proof = proof_of(&plans[relay]);
            let set: Vec<(B256, Bytes)> = wanted
                .iter()
                .map(|&i| (keccak256(&txs[i]), txs[i].clone()))
                .collect();
            proof.verify(root, &set).unwrap();
        }
        // Relay 0's proof does not satisfy relay 1 (the sets differ).
        let relay1: Vec<(B256, Bytes)> = [3, 4]
            .iter()
            .map(|&i| (keccak256(&txs[i]), txs[i].clone()))
            .collect();
        assert!(proof_of(&plans[0]).verify(root, &relay1).is_err());
        let Plan::Submit(plain) = &plans[2] else {
            panic!("relay 2 gets a plain block")
        };
        assert_eq!(plain.route, Route::Blocks);
        assert!(plain.body.get("proofs").is_none());
    }

    #[test]
    fn a_block_missing_a_constraint_is_withheld_unless_the_fault_switch_says_so() {
        let txs = txs();
        // Transaction 5 is constrained at relay 1 but not in the block.
        let request = request(&txs[..5]);
        let root = transactions_root(&txs[..5]).unwrap();
        let constraints = constrained(&txs, &[&[1], &[2, 5]]);
        assert_eq!(
            missing(&request.execution_payload, &constraints),
            vec![keccak256(&txs[5])]
        );
        let plans = plan(&request, &constraints, None, false).unwrap();
        assert!(matches!(plans[0], Plan::Submit(_)), "relay 0 is satisfied");
        assert_eq!(
            plans[1],
            Plan::Withhold {
                relay: 1,
                missing: vec![keccak256(&txs[5])]
            }
        );

        // Fault: the missing one is left out of the proof, and the relay's own check
        // (which requires every constraint) refuses the proof.
        let dropped = Some(keccak256(&txs[5]));
        let plans = plan(&request, &constraints, dropped, true).unwrap();
        let proof = proof_of(&plans[1]);
        assert_eq!(proof.transaction_hashes, vec![keccak256(&txs[2])]);
        let relay1: Vec<(B256, Bytes)> = [2, 5]
            .iter()
            .map(|&i| (keccak256(&txs[i]), txs[i].clone()))
            .collect();
        assert!(proof.verify(root, &relay1).is_err());

        // Fault with the only constraint dropped: an empty proof.
        let constraints = constrained(&txs, &[&[5]]);
        let plans = plan(&request, &constraints, Some(keccak256(&txs[5])), true).unwrap();
        let proof = proof_of(&plans[0]);
        assert!(proof.transaction_hashes.is_empty());
    }
}
