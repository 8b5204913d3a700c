//! Writes Baton's golden test vectors to `preconf/tests/vectors/`.
//!
//! Run: `cargo run -p baton-preconf --example gen_vectors`
//!
//! Every input is fixed (test keys, fixed transactions), so the output is the same on any
//! machine. `cargo test` (`tests/it/vectors.rs`) and `forge test`
//! (`contracts/test/GoldenVectors.t.sol`) re-derive every output from the inputs in these
//! files; regenerate only when a format changes on purpose, and say so in the commit.

// Every input is a constant: a failure here is a bug in the generator, and a panic with the
// location is the most useful report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{fs, path::Path};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolStruct;
use baton_preconf::{
    BatchTree, BatonDomain, BlsSecretKey, Commitment, CommitmentKind, Placement, Position,
    RollupId, Slot,
    bls::{builder_domain, constraints_domain},
    constraints::{CONSTRAINT_TYPE_INCLUSION, Constraint, ConstraintsMessage, Delegation},
    eip712, market,
    ssz::{InclusionMultiProof, TransactionsTree, ValidatorRegistrationV1, hash_tree_root},
};
use serde_json::{Value, json};

const CHAIN_ID: u64 = 3_151_908;
const FORK: [u8; 4] = [0x10, 0, 0, 0x38];

fn hex(bytes: impl AsRef<[u8]>) -> String {
    format!("0x{}", alloy_primitives::hex::encode(bytes))
}

fn domain() -> BatonDomain {
    // Anvil's first CREATE address from dev account 0 at nonce 2 (any fixed address works).
    BatonDomain {
        chain_id: CHAIN_ID,
        verifying_contract: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
            .parse()
            .unwrap(),
    }
}

fn commitment_vector(c: Commitment, key: &PrivateKeySigner) -> Value {
    let domain = domain();
    let struct_hash = c.struct_hash();
    let digest = c.digest(&domain);
    let signed = c.sign(key, &domain).expect("sign");
    let c = &signed.commitment;
    json!({
        "kind": c.kind.code(),
        "slot": c.slot.0,
        "validatorPubkey": hex(c.validator_pubkey.0),
        "committer": c.committer.to_checksum(None),
        "requestId": hex(c.request_id),
        "fee": c.fee.to_string(),
        "txHashes": c.tx_hashes.iter().map(hex).collect::<Vec<_>>(),
        "placements": c.placements.iter().map(|p| json!({
            "rollupId": p.rollup_id.0, "position": p.position.0, "txHash": hex(p.tx_hash)
        })).collect::<Vec<_>>(),
        "structHash": hex(struct_hash),
        "digest": hex(digest),
        "signature": hex(signed.signature.to_bytes()),
    })
}

fn eip712_vectors() -> Value {
    let committer = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x11)).unwrap();
    let validator = BlsSecretKey::from_ikm(&[0x21; 32]).unwrap().public_key();
    let h = |i: u8| keccak256([b'b', b'a', b't', b'o', b'n', i]);
    let base = Commitment {
        kind: CommitmentKind::Inclusion,
        slot: Slot(1_234),
        validator_pubkey: validator,
        committer: committer.address(),
        request_id: h(100),
        fee: U256::from(2_500_000_000_000u64),
        tx_hashes: vec![h(1)],
        placements: vec![],
    };
    let bundle = Commitment {
        tx_hashes: vec![h(1), h(2), h(3)],
        request_id: h(101),
        ..base.clone()
    };
    let sequencing = Commitment {
        kind: CommitmentKind::Sequencing,
        tx_hashes: vec![],
        request_id: h(102),
        placements: vec![Placement {
            rollup_id: RollupId(1),
            position: Position(0),
            tx_hash: h(4),
        }],
        ..base
    };
    // Sequencing promises override both item lists, so `..base` copies only `Copy` fields.
    let cross = Commitment {
        kind: CommitmentKind::Sequencing,
        tx_hashes: vec![],
        request_id: h(103),
        fee: U256::MAX,
        placements: vec![
            Placement {
                rollup_id: RollupId(1),
                position: Position(3),
                tx_hash: h(5),
            },
            Placement {
                rollup_id: RollupId(2),
                position: Position(0),
                tx_hash: h(6),
            },
            Placement {
                rollup_id: RollupId(2),
                position: Position(1),
                tx_hash: h(7),
            },
        ],
        ..base
    };
    let requests = vec![
        {
            let r = eip712::InclusionRequest {
                slot: 1_234,
                txHashes: vec![h(1), h(2)],
            };
            json!({"type": "InclusionRequest", "slot": 1_234, "txHashes": [hex(h(1)), hex(h(2))],
                   "digest": hex(r.eip712_signing_hash(&domain().eip712()))})
        },
        {
            let r = eip712::SequencingRequest {
                slot: 1_234,
                txs: vec![
                    eip712::RollupTx {
                        rollupId: 1,
                        txHash: h(5),
                    },
                    eip712::RollupTx {
                        rollupId: 2,
                        txHash: h(6),
                    },
                ],
            };
            json!({"type": "SequencingRequest", "slot": 1_234,
                   "txs": [{"rollupId": 1, "txHash": hex(h(5))}, {"rollupId": 2, "txHash": hex(h(6))}],
                   "digest": hex(r.eip712_signing_hash(&domain().eip712()))})
        },
    ];
    let commitments: Vec<Value> = [base, bundle, sequencing, cross]
        .into_iter()
        .map(|c| commitment_vector(c, &committer))
        .collect();
    json!({
        "chainId": CHAIN_ID,
        "verifyingContract": domain().verifying_contract.to_checksum(None),
        "domainSeparator": hex(domain().separator()),
        "committerKey": hex(B256::repeat_byte(0x11)),
        "commitments": commitments,
        "requests": requests,
    })
}

fn batch_vectors() -> Value {
    let cases: Vec<Value> = [1usize, 2, 3, 5, 8, 13]
        .into_iter()
        .map(|n| {
            let txs: Vec<Bytes> = (0..n)
                .map(|i| Bytes::from([&[0x02u8, n as u8, i as u8][..], &vec![0xab; 40 + i][..]].concat()))
                .collect();
            let hashes: Vec<B256> = txs.iter().map(keccak256).collect();
            let tree = BatchTree::new(&hashes).unwrap();
            let proofs: Vec<Value> = (0..n as u64)
                .map(|p| {
                    let proof = tree.prove(Position(p)).unwrap();
                    json!({"position": p, "siblings": proof.siblings.iter().map(hex).collect::<Vec<_>>()})
                })
                .collect();
            json!({
                "txs": txs.iter().map(hex).collect::<Vec<_>>(),
                "txHashes": hashes.iter().map(hex).collect::<Vec<_>>(),
                "root": hex(tree.root()),
                "count": n,
                "proofs": proofs,
            })
        })
        .collect();
    json!({ "cases": cases })
}

fn ssz_vectors() -> Value {
    let txs: Vec<Bytes> = (0..20u8)
        .map(|i| Bytes::from(vec![i; 60 + usize::from(i) * 7]))
        .collect();
    let tree = TransactionsTree::new(&txs).unwrap();
    let proofs: Vec<Value> = [
        vec![0usize],
        vec![19],
        vec![3, 4],
        vec![1, 9, 17],
        vec![0, 2, 5, 6, 11, 12, 19],
    ]
    .into_iter()
    .map(|positions| {
        let items: Vec<(B256, usize)> =
            positions.iter().map(|&p| (keccak256(&txs[p]), p)).collect();
        let proof = InclusionMultiProof::generate(&tree, &items).unwrap();
        json!({
            "positions": positions,
            "transactionHashes": proof.transaction_hashes.iter().map(hex).collect::<Vec<_>>(),
            "generalizedIndexes": proof.generalized_indexes,
            "merkleHashes": proof.merkle_hashes.iter().map(hex).collect::<Vec<_>>(),
        })
    })
    .collect();
    json!({
        "txs": txs.iter().map(hex).collect::<Vec<_>>(),
        "transactionsRoot": hex(tree.root()),
        "emptyTransactionsRoot": hex(TransactionsTree::new::<Bytes>(&[]).unwrap().root()),
        "multiproofs": proofs,
    })
}

fn bls_vectors() -> Value {
    let proposer = BlsSecretKey::from_ikm(&[0x21; 32]).unwrap();
    let delegate = BlsSecretKey::from_ikm(&[0x22; 32]).unwrap();
    let registration = ValidatorRegistrationV1::new(
        [0x33; 20],
        36_000_000,
        1_700_000_000,
        &proposer.public_key(),
    );
    let registration_root = hash_tree_root(&registration).unwrap();
    let signed_registration = registration.sign(&proposer, FORK).unwrap();
    let delegation = Delegation {
        proposer: proposer.public_key(),
        delegate: delegate.public_key(),
        committer: Address::repeat_byte(0x44),
        slot: Slot(1_234),
        metadata: Bytes::new(),
    };
    let delegation_root = delegation.signing_root(FORK).unwrap();
    let signed_delegation = delegation.sign(&proposer, FORK).unwrap();
    let constraints = ConstraintsMessage {
        proposer: proposer.public_key(),
        delegate: delegate.public_key(),
        slot: Slot(1_234),
        constraints: vec![
            Constraint {
                constraint_type: CONSTRAINT_TYPE_INCLUSION,
                payload: Bytes::from_static(&[0x02, 0x01, 0x02]),
            },
            Constraint {
                constraint_type: CONSTRAINT_TYPE_INCLUSION,
                payload: Bytes::from(vec![0x7f; 100]),
            },
        ],
        receivers: vec![],
    };
    let constraints_root = constraints.signing_root(FORK).unwrap();
    let signed_constraints = constraints.sign(&delegate, FORK).unwrap();
    json!({
        "genesisForkVersion": hex(FORK),
        "builderDomain": hex(builder_domain(FORK)),
        "constraintsDomain": hex(constraints_domain(FORK)),
        "proposerSecretKey": hex(proposer.to_bytes()),
        "delegateSecretKey": hex(delegate.to_bytes()),
        "registration": {
            "message": {
                "feeRecipient": hex([0x33; 20]), "gasLimit": 36_000_000, "timestamp": 1_700_000_000u64,
                "pubkey": hex(proposer.public_key().0)
            },
            "hashTreeRoot": hex(registration_root),
            "signature": hex(&signed_registration.signature[..]),
        },
        "delegation": {
            "message": serde_json::to_value(&signed_delegation.message).unwrap(),
            "signingRoot": hex(delegation_root),
            "signature": hex(signed_delegation.signature.0),
        },
        "constraints": {
            "message": serde_json::to_value(&signed_constraints.message).unwrap(),
            "signingRoot": hex(constraints_root),
            "signature": hex(signed_constraints.signature.0),
        },
    })
}

fn product_json(p: &market::Product) -> Value {
    json!({
        "kind": p.kind_code(),
        "rollups": p.rollups().iter().map(|r| r.0).collect::<Vec<_>>(),
        "positions": p.positions(),
        "id": hex(p.id().0),
    })
}

fn receipt_json(r: &market::SignedReceipt) -> Value {
    let d = domain();
    let x = &r.receipt;
    json!({
        "bidHash": hex(x.bid_hash), "slot": x.slot.0, "product": hex(x.product.0),
        "amount": x.amount.to_string(), "seq": x.seq, "arrivalMs": x.arrival_ms,
        "committer": x.committer.to_checksum(None),
        "structHash": hex(x.struct_hash()), "digest": hex(x.digest(&d)),
        "signature": hex(r.signature.to_bytes()),
    })
}

fn clearing_json(c: &market::SignedClearing) -> Value {
    let d = domain();
    let x = &c.clearing;
    json!({
        "slot": x.slot.0, "committer": x.committer.to_checksum(None),
        "bidsRoot": hex(x.bids_root), "bidCount": x.bid_count,
        "awards": x.awards.iter().map(|a| json!({
            "product": hex(a.product.0), "bidHash": hex(a.bid_hash),
            "amount": a.amount.to_string(), "seq": a.seq,
        })).collect::<Vec<_>>(),
        "structHash": hex(x.struct_hash()), "digest": hex(x.digest(&d)),
        "signature": hex(c.signature.to_bytes()),
    })
}

fn proof_json(out: &market::ClearingOutcome, seq: u32, leaf: B256) -> Value {
    let proof = out.omission_proof(seq).unwrap();
    json!({
        "seq": seq, "count": proof.count, "leaf": hex(leaf),
        "siblings": proof.siblings.iter().map(hex).collect::<Vec<_>>(),
    })
}

/// One auction: products of every kind, six signed bids (a conflict and a tie), their
/// receipts, the honest clearing with every proof, and three unfair clearings.
fn market_vectors() -> Value {
    use market::Product;
    let d = domain();
    let committer = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x11)).unwrap();
    let validator = BlsSecretKey::from_ikm(&[0x21; 32]).unwrap().public_key();
    let slot = Slot(1_234);
    let top = |r, k| Product::TopOfBatch {
        rollup: RollupId(r),
        positions: k,
    };
    let whole = |r| Product::WholeBatch {
        rollup: RollupId(r),
    };
    let bundle = |rs: &[u64], k| Product::Bundle {
        rollups: rs.iter().copied().map(RollupId).collect(),
        positions: k,
    };
    let gwei = |n: u64| U256::from(n) * U256::from(1_000_000_000u64);
    let lots = [
        (top(1, 2), 10),
        (bundle(&[1, 2], 1), 12),
        (top(2, 1), 11),
        (whole(3), 5),
        (whole(3), 5),
        (top(1, 2), 9),
    ];
    let mut bids = Vec::new();
    let mut receipted = Vec::new();
    let mut signed_receipts = Vec::new();
    for (i, (product, amount)) in lots.iter().enumerate() {
        let bidder = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x61 + i as u8)).unwrap();
        let (n, _) = product.tx_count_range();
        let txs: Vec<Bytes> = (0..n)
            .map(|j| Bytes::from(format!("baton market bid {i} tx {j}").into_bytes()))
            .collect();
        let bid = market::Bid {
            slot,
            validator_pubkey: validator,
            product: product.clone(),
            amount: gwei(*amount),
            tx_hashes: txs.iter().map(keccak256).collect(),
            payment_tx_hash: keccak256(format!("payment {i}")),
            bidder: bidder.address(),
            nonce: i as u64,
        };
        let struct_hash = bid.struct_hash();
        let digest = bid.digest(&d);
        let signed = bid.sign(&bidder, &d, txs.clone(), Bytes::new()).unwrap();
        let b = &signed.bid;
        bids.push(json!({
            "slot": b.slot.0, "validatorPubkey": hex(b.validator_pubkey.0),
            "product": hex(b.product.id().0), "amount": b.amount.to_string(),
            "txs": txs.iter().map(hex).collect::<Vec<_>>(),
            "txHashes": b.tx_hashes.iter().map(hex).collect::<Vec<_>>(),
            "paymentTxHash": hex(b.payment_tx_hash), "bidder": b.bidder.to_checksum(None),
            "nonce": b.nonce, "bidderKey": hex(B256::repeat_byte(0x61 + i as u8)),
            "structHash": hex(struct_hash), "digest": hex(digest),
            "signature": hex(signed.signature.to_bytes()),
        }));
        let receipt = market::BidReceipt {
            bid_hash: digest,
            slot,
            product: product.id(),
            amount: gwei(*amount),
            seq: i as u32,
            arrival_ms: 1_700_000_000_000 + 250 * i as u64,
            committer: committer.address(),
        };
        signed_receipts.push(receipt.sign(&committer, &d).unwrap());
        receipted.push(market::ReceiptedBid {
            receipt,
            product: product.clone(),
        });
    }
    let honest = market::clear(slot, committer.address(), &receipted).unwrap();
    let proofs: Vec<Value> = receipted
        .iter()
        .map(|r| proof_json(&honest, r.receipt.seq, r.receipt.struct_hash()))
        .collect();
    let sign = |c: market::Clearing| c.sign(&committer, &d).unwrap();
    // Unfair 1: the last receipt is left out (seq 5 >= bidCount 5).
    let omits_last = market::clear(slot, committer.address(), &receipted[..5]).unwrap();
    // Unfair 2: receipt 3 (whole(3), the tie's winner) is replaced by a 1-gwei receipt, so
    // leaf 3 holds another hash and whole(3) goes to the later seq 4.
    let mut swapped = receipted.clone();
    swapped[3].receipt.amount = gwei(1);
    swapped[3].receipt.bid_hash = keccak256("a bid nobody made");
    let swaps_leaf = market::clear(slot, committer.address(), &swapped).unwrap();
    // Unfair 3: the award for whole(3), which conflicts with nothing, is dropped.
    let mut drops_award = honest.clearing.clone();
    drops_award.awards.retain(|a| a.product != whole(3).id());
    let products: Vec<Value> = [
        top(1, 2),
        bundle(&[1, 2], 1),
        top(2, 1),
        whole(3),
        bundle(&[2, 5, 9], 3),
    ]
    .iter()
    .map(product_json)
    .collect();
    json!({
        "chainId": CHAIN_ID,
        "verifyingContract": d.verifying_contract.to_checksum(None),
        "domainSeparator": hex(d.separator()),
        "committerKey": hex(B256::repeat_byte(0x11)),
        "typeHashes": {
            "Bid": hex(keccak256(market::typed::Bid::eip712_encode_type().as_bytes())),
            "BidReceipt": hex(keccak256(market::typed::BidReceipt::eip712_encode_type().as_bytes())),
            "Clearing": hex(keccak256(market::typed::Clearing::eip712_encode_type().as_bytes())),
            "Award": hex(keccak256(market::typed::Award::eip712_encode_type().as_bytes())),
        },
        "products": products,
        "bids": bids,
        "receipts": signed_receipts.iter().map(receipt_json).collect::<Vec<_>>(),
        "clearing": clearing_json(&sign(honest.clearing)),
        "proofs": proofs,
        "unfair": {
            "omitsLast": {
                "clearing": clearing_json(&sign(omits_last.clearing)),
                "receiptSeq": 5,
            },
            "swapsLeaf": {
                "clearing": clearing_json(&sign(swaps_leaf.clearing.clone())),
                "receiptSeq": 3,
                "proof": proof_json(&swaps_leaf, 3, swapped[3].receipt.struct_hash()),
                "lowerAwardIndex": swaps_leaf.clearing.awards.iter()
                    .position(|a| a.product == whole(3).id()).unwrap(),
            },
            "dropsAward": {
                "clearing": clearing_json(&sign(drops_award)),
                "receiptSeq": 3,
            },
        },
    })
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("vectors");
    fs::create_dir_all(&dir).expect("create vectors dir");
    for (name, value) in [
        ("eip712.json", eip712_vectors()),
        ("batch.json", batch_vectors()),
        ("ssz.json", ssz_vectors()),
        ("bls.json", bls_vectors()),
        ("market.json", market_vectors()),
    ] {
        let path = dir.join(name);
        fs::write(&path, serde_json::to_string_pretty(&value).unwrap() + "\n")
            .expect("write vector");
        eprintln!("wrote {}", path.display());
    }
}
