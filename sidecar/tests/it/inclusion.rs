//! L1 inclusion promises against a real anvil L1: the sidecar reads the head and the
//! senders' accounts from it, projects fees to the slot, and accounts for every pending
//! promise's nonce and spend across slots.

use std::{collections::HashMap, sync::Arc};

use alloy::{
    consensus::{EthereumTxEnvelope, SignableTransaction, TxEip4844, TxEip7702},
    eips::{Encodable2718, eip7702::Authorization},
    primitives::{Address, Bytes, U256},
    providers::{Provider, ext::AnvilApi},
    signers::SignerSync,
};
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{BlsSecretKey, ChainSpec, CommitmentKind, SignedCommitment, Slot};
use baton_sidecar::{
    execution::ExecutionState,
    journal::FileJournal,
    ledger::{Ledger, Limits},
    lookahead::{Duties, ManualClock},
    sample::{self, Fees},
    service::{Parts, Service, ServiceConfig},
};
use serde_json::json;

use crate::rollup_fixture::{call, error_code};

use crate::l1_fixture::{
    GAS_PER_SLOT, GENESIS, HEAD_SLOT, committer, domain, max_cost, start, tempdir, transfer_fees,
};

#[tokio::test]
async fn promises_are_verifiable_and_land_with_the_head() {
    let dir = tempdir("ok");
    let l1 = start(&dir).await;
    let alice = PrivateKeySigner::random();
    l1.fund(alice.address(), 10 * max_cost()).await;
    l1.mine_in(HEAD_SLOT + 1).await;

    let txs = vec![l1.tx(&alice, 0), l1.tx(&alice, 1)];
    let params = l1.request(103, txs.clone(), &alice);
    let parsed: baton_preconf::SignedRequest = serde_json::from_value(params.clone()).unwrap();
    let request_id = parsed.request.id(&domain(l1.chain_id())).unwrap();
    let answer = call(&l1.url, "baton_requestInclusion", json!([params])).await;
    let signed: SignedCommitment = serde_json::from_value(answer["result"].clone())
        .unwrap_or_else(|e| panic!("{e}: {answer}"));
    signed
        .verify_for(&domain(l1.chain_id()), request_id, Slot(103))
        .unwrap();
    assert_eq!(signed.commitment.kind, CommitmentKind::Inclusion);
    assert_eq!(
        signed.commitment.tx_hashes,
        txs.iter()
            .map(alloy::primitives::keccak256)
            .collect::<Vec<_>>()
    );
    assert_eq!(signed.commitment.committer, committer().address());

    // The slot's gas is taken: the quote shows it.
    let quote = call(
        &l1.url,
        "baton_fee",
        json!([{ "slot": "103", "gas": "21000" }]),
    )
    .await;
    assert_eq!(
        quote["result"]["l1GasLeft"],
        (GAS_PER_SLOT - 42_000).to_string()
    );

    // The transactions land in slot 103's block; the books let go of the slot, and the
    // next promise starts from the nonce the chain now shows.
    let provider = l1.provider();
    for raw in &txs {
        let _pending = provider.send_raw_transaction(raw).await.unwrap();
    }
    l1.mine_in(103).await;
    let receipt = provider
        .get_transaction_receipt(signed.commitment.tx_hashes[1])
        .await
        .unwrap()
        .expect("the promised transaction landed");
    assert!(receipt.status());
    assert_eq!(
        error_code(&l1.include(104, vec![l1.tx(&alice, 1)], &alice).await),
        1303,
        "nonce 1 is spent on chain"
    );
    l1.promised(104, vec![l1.tx(&alice, 2)], &alice).await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn nonces_and_balances_count_every_pending_promise_across_slots() {
    let dir = tempdir("accounting");
    let l1 = start(&dir).await;
    let alice = PrivateKeySigner::random();
    // Enough for three transfers at their caps, not four.
    l1.fund(alice.address(), 3 * max_cost() + 1).await;
    l1.mine_in(HEAD_SLOT + 1).await;

    l1.promised(103, vec![l1.tx(&alice, 0)], &alice).await;
    // The next promise, in a later slot, must take the next nonce.
    assert_eq!(
        error_code(&l1.include(104, vec![l1.tx(&alice, 0)], &alice).await),
        1303
    );
    assert_eq!(
        error_code(&l1.include(104, vec![l1.tx(&alice, 2)], &alice).await),
        1303,
        "no gaps"
    );
    l1.promised(104, vec![l1.tx(&alice, 1)], &alice).await;
    l1.promised(105, vec![l1.tx(&alice, 2)], &alice).await;
    // A fourth would overdraw: the balance covers the three pending promises only.
    assert_eq!(
        error_code(&l1.include(105, vec![l1.tx(&alice, 3)], &alice).await),
        1304
    );

    // Slot 103 is missed (an empty block there): its promise is no longer pending, so its
    // spend is free again, but the later promises still hold nonces 1 and 2.
    l1.mine_in(103).await;
    assert_eq!(
        error_code(&l1.include(104, vec![l1.tx(&alice, 2)], &alice).await),
        1303
    );
    l1.promised(105, vec![l1.tx(&alice, 3)], &alice).await;

    // A restart replays the books from the journal: the same rules hold.
    let l1 = l1.restart().await;
    assert_eq!(
        error_code(&l1.include(105, vec![l1.tx(&alice, 3)], &alice).await),
        1203,
        "the promise itself survived the restart"
    );
    assert_eq!(
        error_code(&l1.include(104, vec![l1.tx(&alice, 3)], &alice).await),
        1303,
        "nonce 3 stays promised across the restart"
    );
    assert_eq!(
        error_code(&l1.include(105, vec![l1.tx(&alice, 4)], &alice).await),
        1304,
        "and so does its spend"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn every_inclusion_rule_rejects_with_its_code() {
    let dir = tempdir("rules");
    let l1 = start(&dir).await;
    let alice = PrivateKeySigner::random();
    l1.fund(alice.address(), 100 * max_cost()).await;
    l1.mine_in(HEAD_SLOT + 1).await;
    let provider = l1.provider();

    // 1301: another chain.
    let other_chain = sample::call(&alice, 1, 0, &[], transfer_fees());
    assert_eq!(
        error_code(&l1.include(103, vec![other_chain], &alice).await),
        1301
    );
    // 1302: a fee cap below slot 103's worst-case base fee (head's next base fee, then up
    // an eighth per block for two more blocks).
    let head = l1.execution.head().unwrap();
    let worst = head.max_base_fee_at(Slot(103));
    assert!(worst > u128::from(head.next_base_fee), "projection rises");
    let cheap = sample::call(
        &alice,
        l1.chain_id(),
        0,
        &[],
        Fees {
            gas_limit: 21_000,
            max_fee_per_gas: worst - 1,
            max_priority_fee_per_gas: 0,
        },
    );
    assert_eq!(
        error_code(&l1.include(103, vec![cheap], &alice).await),
        1302
    );
    // 1310: the cap covers the base fee, but the tip is below the curve's minimum.
    let stingy = sample::call(
        &alice,
        l1.chain_id(),
        0,
        &[],
        Fees {
            gas_limit: 21_000,
            max_fee_per_gas: 100_000_000_000,
            max_priority_fee_per_gas: 1,
        },
    );
    assert_eq!(
        error_code(&l1.include(103, vec![stingy], &alice).await),
        1310
    );
    // 1305: more gas than the slot sells.
    let huge = sample::call(
        &alice,
        l1.chain_id(),
        0,
        &[],
        Fees {
            gas_limit: GAS_PER_SLOT + 1,
            ..Fees::default()
        },
    );
    assert_eq!(error_code(&l1.include(103, vec![huge], &alice).await), 1305);
    // 1001: below intrinsic gas.
    let tiny = sample::call(
        &alice,
        l1.chain_id(),
        0,
        &[],
        Fees {
            gas_limit: 20_999,
            ..Fees::default()
        },
    );
    assert_eq!(error_code(&l1.include(103, vec![tiny], &alice).await), 1001);

    // 1306: a contract sender; 1307: an EIP-7702 delegated sender.
    let contract = PrivateKeySigner::random();
    let delegated = PrivateKeySigner::random();
    for who in [&contract, &delegated] {
        l1.fund(who.address(), 100 * max_cost()).await;
    }
    provider
        .anvil_set_code(contract.address(), Bytes::from_static(&[0x60, 0x00, 0x00]))
        .await
        .unwrap();
    let mut designator = vec![0xef, 0x01, 0x00];
    designator.extend_from_slice(Address::repeat_byte(0x77).as_slice());
    provider
        .anvil_set_code(delegated.address(), Bytes::from(designator))
        .await
        .unwrap();
    l1.mine_in(HEAD_SLOT + 2).await;
    assert_eq!(
        error_code(&l1.include(103, vec![l1.tx(&contract, 0)], &contract).await),
        1306
    );
    assert_eq!(
        error_code(
            &l1.include(103, vec![l1.tx(&delegated, 0)], &delegated)
                .await
        ),
        1307
    );

    // 1308: a set-code transaction.
    let authorization = Authorization {
        chain_id: U256::from(l1.chain_id()),
        address: Address::repeat_byte(0x77),
        nonce: 1,
    };
    let auth_sig = alice
        .sign_hash_sync(&authorization.signature_hash())
        .unwrap();
    let set_code = TxEip7702 {
        chain_id: l1.chain_id(),
        nonce: 0,
        gas_limit: 100_000,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 2_000_000_000,
        to: Address::repeat_byte(0x33),
        authorization_list: vec![authorization.into_signed(auth_sig)],
        ..Default::default()
    };
    let sig = alice.sign_hash_sync(&set_code.signature_hash()).unwrap();
    let envelope: EthereumTxEnvelope<TxEip4844> = set_code.into_signed(sig).into();
    assert_eq!(
        error_code(
            &l1.include(103, vec![envelope.encoded_2718().into()], &alice)
                .await
        ),
        1308
    );

    // Blobs: the slot sells 3 here; a blob fee cap below the worst-case blob base fee
    // fails. (Two blobs in hex are about half of the 1 MiB request limit.)
    let blobber = PrivateKeySigner::random();
    l1.fund(blobber.address(), 1_000 * max_cost()).await;
    l1.mine_in(HEAD_SLOT + 3).await;
    let two = sample::blob_call(&blobber, l1.chain_id(), 0, 2, 1_000_000_000).unwrap();
    l1.promised(104, vec![two], &blobber).await;
    let two_more = sample::blob_call(&blobber, l1.chain_id(), 1, 2, 1_000_000_000).unwrap();
    assert_eq!(
        error_code(&l1.include(104, vec![two_more], &blobber).await),
        1309
    );
    let free = sample::blob_call(&blobber, l1.chain_id(), 1, 1, 0).unwrap();
    assert_eq!(
        error_code(&l1.include(104, vec![free], &blobber).await),
        1302
    );
    let one = sample::blob_call(&blobber, l1.chain_id(), 1, 1, 1_000_000_000).unwrap();
    l1.promised(104, vec![one], &blobber).await;

    // 1101/1102/1103: slot rules apply as for sequencing.
    assert_eq!(
        error_code(&l1.include(106, vec![l1.tx(&alice, 0)], &alice).await),
        1101
    );
    assert_eq!(
        error_code(&l1.include(200, vec![l1.tx(&alice, 0)], &alice).await),
        1103
    );

    // Nothing above reserved anything: the first valid promise takes nonce 0 and the whole
    // slot is free.
    l1.promised(103, vec![l1.tx(&alice, 0)], &alice).await;
    let quote = call(&l1.url, "baton_fee", json!([{ "slot": "103" }])).await;
    assert_eq!(
        quote["result"]["l1GasLeft"],
        (GAS_PER_SLOT - 21_000).to_string()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn no_head_means_no_inclusion_promise() {
    let dir = tempdir("nohead");
    let l1 = start(&dir).await;
    let alice = PrivateKeySigner::random();
    // A sidecar whose execution client is gone: it answers 1902, never a blind promise.
    let chain = ChainSpec::devnet(l1.chain_id(), GENESIS);
    let dead = Arc::new(ExecutionState::connect("http://127.0.0.1:9", chain).unwrap());
    assert!(dead.refresh().await.is_err());
    let dead_dir = tempdir("nohead-dead");
    let (journal, entries) = FileJournal::open(&dead_dir).unwrap();
    let duties = Arc::new(Duties::default());
    duties.insert(
        Slot(103),
        BlsSecretKey::from_ikm(&[7; 32]).unwrap().public_key(),
    );
    let (service, _) = Service::new(
        ServiceConfig {
            chain: ChainSpec::devnet(l1.chain_id(), GENESIS),
            domain: domain(l1.chain_id()),
            deadline_ms: 500,
            window_slots: 32,
            fee_per_rollup_tx: U256::ZERO,
            base_tip_wei: 1,
            rate_per_ip: (0, 0),
            rate_per_wallet: (0, 0),
        },
        committer(),
        Parts {
            journal: journal.into(),
            entries,
            ledger: Ledger::new(Limits {
                gas_per_slot: GAS_PER_SLOT,
                batch_max_txs: 1,
                batch_max_bytes: 1,
                blobs_per_slot: 0,
            }),
            duties,
            clock: Arc::new(ManualClock::new((GENESIS + HEAD_SLOT * 2 + 1) * 1000)),
            rollups: HashMap::new(),
            execution: dead,
            l2: HashMap::new(),
        },
    )
    .unwrap();
    let request: baton_preconf::SignedRequest =
        serde_json::from_value(l1.request(103, vec![l1.tx(&alice, 0)], &alice)).unwrap();
    let refused = service.request_inclusion(&request).await.unwrap_err();
    assert_eq!(refused.code(), 1902, "{refused}");
    std::fs::remove_dir_all(dir).unwrap();
    std::fs::remove_dir_all(dead_dir).unwrap();
}
