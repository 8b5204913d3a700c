//! Re-derives every output in `tests/vectors/*.json` from its inputs. The same files are
//! asserted from Solidity (`contracts/test/GoldenVectors.t.sol`).

use std::{fs, path::Path};

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolStruct;
use baton_preconf::{
    BatchTree, BatonDomain, BlsPublicKey, BlsSecretKey, BlsSignature, Commitment, CommitmentKind,
    EcdsaSignature, Placement, Position, RollupId, Slot,
    bls::{builder_domain, constraints_domain},
    constraints::{ConstraintsMessage, Delegation},
    eip712, market,
    ssz::{InclusionMultiProof, TransactionsTree, ValidatorRegistrationV1, hash_tree_root},
};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (regenerate with `cargo run -p baton-preconf --example gen_vectors`)",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

fn b256(v: &Value) -> B256 {
    v.as_str().unwrap().parse().unwrap()
}

fn bytes(v: &Value) -> Bytes {
    v.as_str().unwrap().parse().unwrap()
}

fn b256s(v: &Value) -> Vec<B256> {
    v.as_array().unwrap().iter().map(b256).collect()
}

fn u64_of(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

#[test]
fn eip712_commitments_and_requests() {
    let v = load("eip712.json");
    let domain = BatonDomain {
        chain_id: u64_of(&v["chainId"]),
        verifying_contract: v["verifyingContract"].as_str().unwrap().parse().unwrap(),
    };
    assert_eq!(domain.separator(), b256(&v["domainSeparator"]));
    let committer = PrivateKeySigner::from_bytes(&b256(&v["committerKey"])).unwrap();
    let commitments = v["commitments"].as_array().unwrap();
    assert_eq!(commitments.len(), 4);
    for c in commitments {
        let commitment = Commitment {
            kind: if u64_of(&c["kind"]) == 0 {
                CommitmentKind::Inclusion
            } else {
                CommitmentKind::Sequencing
            },
            slot: Slot(u64_of(&c["slot"])),
            validator_pubkey: BlsPublicKey::from_slice(&bytes(&c["validatorPubkey"])).unwrap(),
            committer: c["committer"].as_str().unwrap().parse::<Address>().unwrap(),
            request_id: b256(&c["requestId"]),
            fee: c["fee"].as_str().unwrap().parse::<U256>().unwrap(),
            tx_hashes: b256s(&c["txHashes"]),
            placements: c["placements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| Placement {
                    rollup_id: RollupId(u64_of(&p["rollupId"])),
                    position: Position(u64_of(&p["position"])),
                    tx_hash: b256(&p["txHash"]),
                })
                .collect(),
        };
        assert_eq!(commitment.kind.code() as u64, u64_of(&c["kind"]));
        assert_eq!(commitment.struct_hash(), b256(&c["structHash"]));
        assert_eq!(commitment.digest(&domain), b256(&c["digest"]));
        let signature = EcdsaSignature::from_bytes(&bytes(&c["signature"])).unwrap();
        assert_eq!(
            signature.recover(commitment.digest(&domain)).unwrap(),
            commitment.committer
        );
        // RFC 6979 signatures are deterministic: signing again gives the same bytes.
        let resigned = commitment.sign(&committer, &domain).unwrap();
        assert_eq!(resigned.signature, signature);
        resigned.verify(&domain).unwrap();
    }
    for r in v["requests"].as_array().unwrap() {
        let slot = u64_of(&r["slot"]);
        let digest = match r["type"].as_str().unwrap() {
            "InclusionRequest" => eip712::InclusionRequest {
                slot,
                txHashes: b256s(&r["txHashes"]),
            }
            .eip712_signing_hash(&domain.eip712()),
            "SequencingRequest" => eip712::SequencingRequest {
                slot,
                txs: r["txs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| eip712::RollupTx {
                        rollupId: u64_of(&t["rollupId"]),
                        txHash: b256(&t["txHash"]),
                    })
                    .collect(),
            }
            .eip712_signing_hash(&domain.eip712()),
            other => panic!("unknown request type {other}"),
        };
        assert_eq!(digest, b256(&r["digest"]));
    }
}

#[test]
fn batch_roots_and_every_position_proof() {
    let v = load("batch.json");
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 6);
    for case in cases {
        let txs: Vec<Bytes> = case["txs"].as_array().unwrap().iter().map(bytes).collect();
        let hashes: Vec<B256> = txs.iter().map(alloy_primitives::keccak256).collect();
        assert_eq!(hashes, b256s(&case["txHashes"]));
        let tree = BatchTree::new(&hashes).unwrap();
        assert_eq!(tree.root(), b256(&case["root"]));
        assert_eq!(tree.count() as u64, u64_of(&case["count"]));
        for proof in case["proofs"].as_array().unwrap() {
            let position = Position(u64_of(&proof["position"]));
            let ours = tree.prove(position).unwrap();
            assert_eq!(ours.siblings, b256s(&proof["siblings"]));
            ours.verify(hashes[position.0 as usize], tree.root())
                .unwrap();
        }
    }
}

#[test]
fn ssz_transactions_root_and_multiproofs() {
    let v = load("ssz.json");
    let txs: Vec<Bytes> = v["txs"].as_array().unwrap().iter().map(bytes).collect();
    let tree = TransactionsTree::new(&txs).unwrap();
    assert_eq!(tree.root(), b256(&v["transactionsRoot"]));
    assert_eq!(
        TransactionsTree::new::<Bytes>(&[]).unwrap().root(),
        b256(&v["emptyTransactionsRoot"])
    );
    for p in v["multiproofs"].as_array().unwrap() {
        let positions: Vec<usize> = p["positions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect();
        let items: Vec<(B256, usize)> = positions
            .iter()
            .map(|&i| (alloy_primitives::keccak256(&txs[i]), i))
            .collect();
        let proof = InclusionMultiProof::generate(&tree, &items).unwrap();
        assert_eq!(proof.transaction_hashes, b256s(&p["transactionHashes"]));
        let gindexes: Vec<u64> = p["generalizedIndexes"]
            .as_array()
            .unwrap()
            .iter()
            .map(u64_of)
            .collect();
        assert_eq!(proof.generalized_indexes, gindexes);
        assert_eq!(proof.merkle_hashes, b256s(&p["merkleHashes"]));
        let constrained: Vec<(B256, Bytes)> = positions
            .iter()
            .map(|&i| (alloy_primitives::keccak256(&txs[i]), txs[i].clone()))
            .collect();
        proof.verify(tree.root(), &constrained).unwrap();
    }
}

#[test]
fn bls_domains_registrations_delegations_constraints() {
    let v = load("bls.json");
    let fork: [u8; 4] = bytes(&v["genesisForkVersion"]).as_ref().try_into().unwrap();
    assert_eq!(builder_domain(fork), b256(&v["builderDomain"]));
    assert_eq!(constraints_domain(fork), b256(&v["constraintsDomain"]));
    let proposer = BlsSecretKey::from_bytes(&bytes(&v["proposerSecretKey"])).unwrap();
    let delegate = BlsSecretKey::from_bytes(&bytes(&v["delegateSecretKey"])).unwrap();

    let reg = &v["registration"];
    let message = ValidatorRegistrationV1::new(
        bytes(&reg["message"]["feeRecipient"])
            .as_ref()
            .try_into()
            .unwrap(),
        u64_of(&reg["message"]["gasLimit"]),
        u64_of(&reg["message"]["timestamp"]),
        &BlsPublicKey::from_slice(&bytes(&reg["message"]["pubkey"])).unwrap(),
    );
    assert_eq!(
        hash_tree_root(&message).unwrap(),
        b256(&reg["hashTreeRoot"])
    );
    let signed = message.sign(&proposer, fork).unwrap();
    // BLS signatures are deterministic.
    assert_eq!(&signed.signature[..], bytes(&reg["signature"]).as_ref());
    signed.verify(fork).unwrap();

    let d = &v["delegation"];
    let delegation: Delegation = serde_json::from_value(d["message"].clone()).unwrap();
    assert_eq!(
        delegation.signing_root(fork).unwrap(),
        b256(&d["signingRoot"])
    );
    let signature = BlsSignature::from_slice(&bytes(&d["signature"])).unwrap();
    signature
        .verify(&proposer.public_key(), b256(&d["signingRoot"]))
        .unwrap();
    assert_eq!(
        delegation.sign(&proposer, fork).unwrap().signature,
        signature
    );

    let c = &v["constraints"];
    let constraints: ConstraintsMessage = serde_json::from_value(c["message"].clone()).unwrap();
    assert_eq!(
        constraints.signing_root(fork).unwrap(),
        b256(&c["signingRoot"])
    );
    let signature = BlsSignature::from_slice(&bytes(&c["signature"])).unwrap();
    signature
        .verify(&delegate.public_key(), b256(&c["signingRoot"]))
        .unwrap();
}

fn u256_of(v: &Value) -> U256 {
    v.as_str().unwrap().parse().unwrap()
}

fn market_clearing(c: &Value) -> market::SignedClearing {
    market::SignedClearing {
        clearing: market::Clearing {
            slot: Slot(u64_of(&c["slot"])),
            committer: c["committer"].as_str().unwrap().parse().unwrap(),
            bids_root: b256(&c["bidsRoot"]),
            bid_count: u64_of(&c["bidCount"]) as u32,
            awards: c["awards"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| market::Award {
                    product: market::ProductId(b256(&a["product"])),
                    bid_hash: b256(&a["bidHash"]),
                    amount: u256_of(&a["amount"]),
                    seq: u64_of(&a["seq"]) as u32,
                })
                .collect(),
        },
        signature: EcdsaSignature::from_bytes(&bytes(&c["signature"])).unwrap(),
    }
}

fn market_product(p: &Value) -> market::Product {
    let rollups: Vec<RollupId> = p["rollups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| RollupId(u64_of(r)))
        .collect();
    let positions = u64_of(&p["positions"]) as u16;
    match u64_of(&p["kind"]) {
        0 => market::Product::TopOfBatch {
            rollup: rollups[0],
            positions,
        },
        1 => market::Product::WholeBatch { rollup: rollups[0] },
        2 => market::Product::Bundle { rollups, positions },
        other => panic!("unknown product kind {other}"),
    }
}

#[test]
fn market_bids_receipts_clearing_and_unfair_clearings() {
    use market::dispute::{
        OmissionEvidence, check_ignored_product, check_lower_winner, check_omitted_bid,
    };
    let v = load("market.json");
    let domain = BatonDomain {
        chain_id: u64_of(&v["chainId"]),
        verifying_contract: v["verifyingContract"].as_str().unwrap().parse().unwrap(),
    };
    assert_eq!(domain.separator(), b256(&v["domainSeparator"]));
    for (name, encoded) in [
        ("Bid", market::typed::Bid::eip712_encode_type()),
        (
            "BidReceipt",
            market::typed::BidReceipt::eip712_encode_type(),
        ),
        ("Clearing", market::typed::Clearing::eip712_encode_type()),
        ("Award", market::typed::Award::eip712_encode_type()),
    ] {
        assert_eq!(
            alloy_primitives::keccak256(encoded.as_bytes()),
            b256(&v["typeHashes"][name])
        );
    }
    let products: Vec<market::Product> = v["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let product = market_product(p);
            product.check().unwrap();
            assert_eq!(product.id().0, b256(&p["id"]));
            product
        })
        .collect();
    assert_eq!(products.len(), 5);
    let by_id = |id: B256| products.iter().find(|p| p.id().0 == id).cloned().unwrap();

    // Bids: hashes of the raw transactions, struct hash, digest, the bidder's signature.
    let mut receipted = Vec::new();
    let receipts = v["receipts"].as_array().unwrap();
    for (b, r) in v["bids"].as_array().unwrap().iter().zip(receipts) {
        let txs: Vec<Bytes> = b["txs"].as_array().unwrap().iter().map(bytes).collect();
        let hashes: Vec<B256> = txs.iter().map(alloy_primitives::keccak256).collect();
        assert_eq!(hashes, b256s(&b["txHashes"]));
        let bid = market::Bid {
            slot: Slot(u64_of(&b["slot"])),
            validator_pubkey: BlsPublicKey::from_slice(&bytes(&b["validatorPubkey"])).unwrap(),
            product: by_id(b256(&b["product"])),
            amount: u256_of(&b["amount"]),
            tx_hashes: hashes,
            payment_tx_hash: b256(&b["paymentTxHash"]),
            bidder: b["bidder"].as_str().unwrap().parse().unwrap(),
            nonce: u64_of(&b["nonce"]),
        };
        bid.check_shape().unwrap();
        assert_eq!(bid.struct_hash(), b256(&b["structHash"]));
        assert_eq!(bid.digest(&domain), b256(&b["digest"]));
        let key = PrivateKeySigner::from_bytes(&b256(&b["bidderKey"])).unwrap();
        let signed = bid.clone().sign(&key, &domain, txs, Bytes::new()).unwrap();
        assert_eq!(
            signed.signature,
            EcdsaSignature::from_bytes(&bytes(&b["signature"])).unwrap()
        );

        // Its receipt.
        let receipt = market::BidReceipt {
            bid_hash: b256(&r["bidHash"]),
            slot: Slot(u64_of(&r["slot"])),
            product: market::ProductId(b256(&r["product"])),
            amount: u256_of(&r["amount"]),
            seq: u64_of(&r["seq"]) as u32,
            arrival_ms: u64_of(&r["arrivalMs"]),
            committer: r["committer"].as_str().unwrap().parse().unwrap(),
        };
        receipt.matches_bid(&bid, &domain).unwrap();
        assert_eq!(receipt.struct_hash(), b256(&r["structHash"]));
        assert_eq!(receipt.digest(&domain), b256(&r["digest"]));
        let signed_receipt = market::SignedReceipt {
            receipt,
            signature: EcdsaSignature::from_bytes(&bytes(&r["signature"])).unwrap(),
        };
        signed_receipt
            .verify_for(&domain, &bid, receipt.committer)
            .unwrap();
        receipted.push((
            market::ReceiptedBid {
                receipt,
                product: bid.product.clone(),
            },
            signed_receipt,
        ));
    }

    // The honest clearing is what `clear` computes; every receipt proves at its seq.
    let inputs: Vec<market::ReceiptedBid> = receipted.iter().map(|(r, _)| r.clone()).collect();
    let c = &v["clearing"];
    let signed = market_clearing(c);
    signed.verify(&domain).unwrap();
    let committer = signed.clearing.committer;
    let out = market::clear(signed.clearing.slot, committer, &inputs).unwrap();
    assert_eq!(out.clearing, signed.clearing);
    assert_eq!(out.clearing.struct_hash(), b256(&c["structHash"]));
    assert_eq!(out.clearing.digest(&domain), b256(&c["digest"]));
    for p in v["proofs"].as_array().unwrap() {
        let seq = u64_of(&p["seq"]) as u32;
        let proof = out.omission_proof(seq).unwrap();
        assert_eq!(proof.siblings, b256s(&p["siblings"]));
        assert_eq!(proof.count, u64_of(&p["count"]));
        assert_eq!(b256(&p["leaf"]), inputs[seq as usize].receipt.struct_hash());
        proof
            .verify(b256(&p["leaf"]), out.clearing.bids_root)
            .unwrap();
    }

    // The unfair clearings are caught by their faults' checks.
    let u = &v["unfair"];
    let omits = market_clearing(&u["omitsLast"]["clearing"]);
    let (_, last) = &receipted[u64_of(&u["omitsLast"]["receiptSeq"]) as usize];
    check_omitted_bid(&domain, last, &omits, &OmissionEvidence::BeyondCount).unwrap();

    let swaps = market_clearing(&u["swapsLeaf"]["clearing"]);
    let (_, victim) = &receipted[u64_of(&u["swapsLeaf"]["receiptSeq"]) as usize];
    let p = &u["swapsLeaf"]["proof"];
    let evidence = OmissionEvidence::OtherLeaf {
        leaf: b256(&p["leaf"]),
        proof: baton_preconf::PositionProof {
            position: Position(u64_of(&p["seq"])),
            count: u64_of(&p["count"]),
            siblings: b256s(&p["siblings"]),
        },
    };
    check_omitted_bid(&domain, victim, &swaps, &evidence).unwrap();
    check_lower_winner(
        &domain,
        victim,
        &swaps,
        u64_of(&u["swapsLeaf"]["lowerAwardIndex"]) as usize,
    )
    .unwrap();

    let drops = market_clearing(&u["dropsAward"]["clearing"]);
    let (ignored, ignored_receipt) = &receipted[u64_of(&u["dropsAward"]["receiptSeq"]) as usize];
    let award_products: Vec<market::Product> = drops
        .clearing
        .awards
        .iter()
        .map(|a| by_id(a.product.0))
        .collect();
    check_ignored_product(
        &domain,
        ignored_receipt,
        &ignored.product,
        &drops,
        &award_products,
    )
    .unwrap();
}
