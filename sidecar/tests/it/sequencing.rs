//! Rollup sequencing promises over JSON-RPC.

use std::collections::HashMap;

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{Position, RollupId, SignedCommitment, Slot};
use baton_sidecar::{l2::L2Client, ledger::Limits};
use serde_json::{Value, json};

use crate::rollup_fixture::{
    GENESIS, call, committer, domain, error_code, l2_chain_id, l2_tx, limits, promised, request,
    sequence, signed_sequencing, start, start_with, start_with_rates, tempdir,
};

#[tokio::test]
async fn promises_are_verifiable_and_positions_first_come_first_served() {
    let dir = tempdir("fcfs");
    let sidecar = start(&dir, limits()).await;
    let wallet = PrivateKeySigner::random();

    // A cross-rollup bundle, then a single rollup transaction.
    let params = request(
        10,
        &[(1, "alpha tx 1"), (2, "beta tx 1")],
        &wallet,
        &domain(),
    );
    let parsed: baton_preconf::SignedRequest = serde_json::from_value(params.clone()).unwrap();
    let request_id = parsed.request.id(&domain()).unwrap();
    let answer = sequence(&sidecar.url, params).await;
    let signed: SignedCommitment = serde_json::from_value(answer["result"].clone())
        .unwrap_or_else(|e| panic!("{e}: {answer}"));
    signed.verify_for(&domain(), request_id, Slot(10)).unwrap();
    assert_eq!(signed.commitment.committer, committer().address());
    let positions: Vec<_> = signed
        .commitment
        .placements
        .iter()
        .map(|p| (p.rollup_id, p.position))
        .collect();
    assert_eq!(
        positions,
        vec![(RollupId(1), Position(0)), (RollupId(2), Position(0))]
    );

    let second = promised(
        &sidecar.url,
        request(10, &[(1, "alpha tx 2")], &wallet, &domain()),
    )
    .await;
    assert_eq!(second.commitment.placements[0].position, Position(1));

    // The promise can be fetched by request id.
    let fetched = call(&sidecar.url, "baton_getCommitment", json!([request_id])).await;
    assert_eq!(
        fetched["result"]["commitment"]["signature"],
        serde_json::to_value(signed.signature).unwrap()
    );
    let missing = call(&sidecar.url, "baton_getCommitment", json!([B256::ZERO])).await;
    assert_eq!(error_code(&missing), 1501);

    // Watchers list the slot's promises, in position order.
    let listed = call(
        &sidecar.url,
        "baton_commitments",
        json!([{"fromSlot": "10", "toSlot": "11"}]),
    )
    .await;
    let listed: Vec<SignedCommitment> =
        serde_json::from_value(listed["result"]["commitments"].clone()).unwrap();
    assert_eq!(listed, vec![signed, second]);
    let too_wide = json!([{"fromSlot": "0", "toSlot": "64"}]);
    let refused = call(&sidecar.url, "baton_commitments", too_wide).await;
    assert_eq!(error_code(&refused), -32602);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn every_rule_rejects_with_its_code() {
    let dir = tempdir("rules");
    let sidecar = start(&dir, limits()).await;
    let wallet = PrivateKeySigner::random();
    let client = reqwest::Client::new();

    // Transport-level faults.
    let raw = client
        .post(&sidecar.url)
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(&raw.json().await.unwrap()), -32700);
    let big = client
        .post(&sidecar.url)
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 413);
    assert_eq!(
        error_code(&call(&sidecar.url, "eth_sendBundle", json!([])).await),
        -32601
    );
    let two_params = call(&sidecar.url, "baton_requestSequencing", json!([1, 2])).await;
    assert_eq!(error_code(&two_params), -32602);
    let not_rpc: Value = client
        .post(&sidecar.url)
        .json(&json!({"id": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error_code(&not_rpc), -32600);

    // Slot rules: not ours, past the deadline, beyond the window.
    assert_eq!(
        error_code(&sequence(&sidecar.url, request(12, &[(1, "x")], &wallet, &domain())).await),
        1101
    );
    sidecar.clock.set_ms((GENESIS + 10 * 2) * 1000 - 400);
    assert_eq!(
        error_code(&sequence(&sidecar.url, request(10, &[(1, "x")], &wallet, &domain())).await),
        1102
    );
    sidecar.clock.set_ms((GENESIS + 5 * 2) * 1000);
    assert_eq!(
        error_code(&sequence(&sidecar.url, request(100, &[(1, "x")], &wallet, &domain())).await),
        1103
    );

    // Request rules: unknown rollup, malformed, bad signature.
    assert_eq!(
        error_code(&sequence(&sidecar.url, request(10, &[(9, "x")], &wallet, &domain())).await),
        1201
    );
    // Rollup transactions must be signed transactions of the rollup's own chain.
    let not_a_tx = signed_sequencing(10, &[(1, Bytes::from_static(b"x"))], &wallet);
    assert_eq!(error_code(&sequence(&sidecar.url, not_a_tx).await), 1205);
    let wrong_chain = signed_sequencing(10, &[(1, l2_tx(l2_chain_id(2), "x"))], &wallet);
    assert_eq!(error_code(&sequence(&sidecar.url, wrong_chain).await), 1204);
    // A wallet library refuses to sign these, so edit a signed request's JSON.
    let mut zero = request(10, &[(1, "x")], &wallet, &domain());
    zero["request"]["txs"][0]["rollupId"] = json!("0");
    assert_eq!(error_code(&sequence(&sidecar.url, zero).await), 1001);
    let mut dup = request(10, &[(1, "same"), (1, "other")], &wallet, &domain());
    dup["request"]["txs"][1]["tx"] = dup["request"]["txs"][0]["tx"].clone();
    assert_eq!(error_code(&sequence(&sidecar.url, dup.clone()).await), 1001);
    // A structurally invalid signature (v = 5) fails parameter parsing.
    dup["signature"] = json!(format!("0x{}", "11".repeat(64) + "05"));
    assert_eq!(error_code(&sequence(&sidecar.url, dup).await), -32602);

    // Capacity: a bundle that does not fit reserves nothing anywhere.
    for i in 0..4 {
        let ok = sequence(
            &sidecar.url,
            request(11, &[(1, &format!("fill {i}"))], &wallet, &domain()),
        )
        .await;
        assert!(ok["result"].is_object(), "{ok}");
    }
    let full = sequence(
        &sidecar.url,
        request(11, &[(2, "beta"), (1, "overflow")], &wallet, &domain()),
    )
    .await;
    assert_eq!(error_code(&full), 1202);
    let beta = promised(
        &sidecar.url,
        request(11, &[(2, "beta")], &wallet, &domain()),
    )
    .await;
    assert_eq!(
        beta.commitment.placements[0].position,
        Position(0),
        "the failed bundle took no beta position"
    );

    // The same request twice, and the same transaction again.
    let again = request(10, &[(2, "once")], &wallet, &domain());
    assert!(sequence(&sidecar.url, again.clone()).await["result"].is_object());
    assert_eq!(error_code(&sequence(&sidecar.url, again).await), 1203);

    // Batch calls answer each call.
    let batch = json!([
        { "jsonrpc": "2.0", "id": 1, "method": "baton_version", "params": [] },
        { "jsonrpc": "2.0", "id": 2, "method": "nope", "params": [] }
    ]);
    let answers: Value = client
        .post(&sidecar.url)
        .json(&batch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answers[0]["result"]["committer"],
        json!(committer().address())
    );
    assert_eq!(error_code(&answers[1]), -32601);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn restart_restores_every_promise_and_never_reuses_a_position() {
    let dir = tempdir("restart");
    let wallet = PrivateKeySigner::random();
    let mut received = Vec::new();
    {
        let sidecar = start(&dir, limits()).await;
        for i in 0..3 {
            let answer = sequence(
                &sidecar.url,
                request(10, &[(1, &format!("before {i}"))], &wallet, &domain()),
            )
            .await;
            received.push(
                serde_json::from_value::<SignedCommitment>(answer["result"].clone()).unwrap(),
            );
        }
    }
    let sidecar = start(&dir, limits()).await;
    for promise in &received {
        let fetched = call(
            &sidecar.url,
            "baton_getCommitment",
            json!([promise.commitment.request_id]),
        )
        .await;
        let restored: SignedCommitment =
            serde_json::from_value(fetched["result"]["commitment"].clone()).unwrap();
        assert_eq!(
            &restored, promise,
            "the restarted sidecar holds the identical signed promise"
        );
    }
    let next = promised(
        &sidecar.url,
        request(10, &[(1, "after")], &wallet, &domain()),
    )
    .await;
    assert_eq!(
        next.commitment.placements[0].position,
        Position(3),
        "positions continue after a restart"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn rate_limits_per_wallet_and_per_client() {
    let dir = tempdir("rates");
    let sidecar = start_with_rates(&dir, limits(), (6, 6), (2, 2)).await;
    let (alice, bob) = (PrivateKeySigner::random(), PrivateKeySigner::random());
    // Alice's burst is 2 promise requests.
    for i in 0..2 {
        assert!(
            sequence(
                &sidecar.url,
                request(10, &[(1, &format!("alice {i}"))], &alice, &domain())
            )
            .await["result"]
                .is_object()
        );
    }
    assert_eq!(
        error_code(
            &sequence(
                &sidecar.url,
                request(10, &[(1, "alice 2")], &alice, &domain())
            )
            .await
        ),
        1401
    );
    // Bob has his own budget.
    assert!(
        sequence(&sidecar.url, request(10, &[(1, "bob 0")], &bob, &domain())).await["result"]
            .is_object()
    );
    // This client has made 4 calls of its 6; the 7th call is refused whatever it is.
    assert!(call(&sidecar.url, "baton_version", json!([])).await["result"].is_object());
    assert!(call(&sidecar.url, "baton_version", json!([])).await["result"].is_object());
    assert_eq!(
        error_code(&call(&sidecar.url, "baton_version", json!([])).await),
        1401
    );
    // Time refills the budgets.
    sidecar.clock.advance_ms(1_000);
    assert!(
        sequence(
            &sidecar.url,
            request(10, &[(1, "alice 3")], &alice, &domain())
        )
        .await["result"]
            .is_object()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn fee_quotes_follow_the_curve_and_the_slot_rules() {
    let dir = tempdir("fees");
    let sidecar = start(
        &dir,
        Limits {
            gas_per_slot: 84_000,
            ..limits()
        },
    )
    .await;
    let quote = call(
        &sidecar.url,
        "baton_fee",
        json!([{ "slot": "10", "gas": "21000", "rollupTxs": "3" }]),
    )
    .await;
    // A quarter of the slot's gas: the tip doubles from the 1 gwei base.
    assert_eq!(
        quote["result"]["minPriorityFeePerGas"], "2000000000",
        "{quote}"
    );
    assert_eq!(quote["result"]["rollupFee"], "3000");
    assert_eq!(quote["result"]["l1GasLeft"], "84000");
    let too_much = call(
        &sidecar.url,
        "baton_fee",
        json!([{ "slot": "10", "gas": "84001" }]),
    )
    .await;
    assert_eq!(too_much["result"]["minPriorityFeePerGas"], Value::Null);
    assert_eq!(
        error_code(&call(&sidecar.url, "baton_fee", json!([{ "slot": "12" }])).await),
        1101
    );
    assert_eq!(
        error_code(
            &call(
                &sidecar.url,
                "baton_fee",
                json!([{ "slot": "10", "bogus": 1 }])
            )
            .await
        ),
        -32602
    );
    let slots = call(&sidecar.url, "baton_slots", json!([])).await;
    assert_eq!(slots["result"][0]["rollupTxFee"], "1000", "{slots}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn commitments_api_aliases_wrap_the_same_promises() {
    let dir = tempdir("fabric");
    let sidecar = start(&dir, limits()).await;
    let wallet = PrivateKeySigner::random();
    let client = reqwest::Client::new();
    let base = format!("{}/commitments/v0/gateway", sidecar.url);
    let signed_request = request(10, &[(1, "fabric"), (2, "fabric")], &wallet, &domain());
    let payload = Bytes::from(serde_json::to_vec(&signed_request).unwrap());
    let body = |commitment_type: u64, slasher: Address| json!({ "commitment_type": commitment_type, "payload": payload, "slasher": slasher });
    let slasher = domain().verifying_contract;

    let answer = client
        .post(format!("{base}/commitment"))
        .json(&body(2, slasher))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let wrapped: Value = answer.json().await.unwrap();
    let inner: baton_preconf::Commitment = serde_json::from_slice(
        &serde_json::from_value::<Bytes>(wrapped["commitment"]["payload"].clone()).unwrap(),
    )
    .unwrap();
    let signature: Bytes = serde_json::from_value(wrapped["signature"].clone()).unwrap();
    let signed = SignedCommitment {
        commitment: inner,
        signature: baton_preconf::EcdsaSignature::from_bytes(&signature).unwrap(),
    };
    let parsed: baton_preconf::SignedRequest = serde_json::from_value(signed_request).unwrap();
    let request_id = parsed.request.id(&domain()).unwrap();
    signed.verify_for(&domain(), request_id, Slot(10)).unwrap();
    assert_eq!(wrapped["commitment"]["commitment_type"], 2);
    assert_eq!(
        wrapped["commitment"]["request_hash"],
        json!(request_id),
        "{wrapped}"
    );
    // The same promise, fetched both ways.
    let fetched: Value = client
        .get(format!("{base}/commitment/{request_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, wrapped);
    let rpc = call(&sidecar.url, "baton_getCommitment", json!([request_id])).await;
    assert_eq!(
        rpc["result"]["commitment"],
        serde_json::to_value(&signed).unwrap()
    );

    // Slots and fees.
    let slots: Value = client
        .get(format!("{base}/slots"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(slots["slots"][0]["slot"], 10, "{slots}");
    assert_eq!(
        slots["slots"][0]["offerings"][1],
        json!({ "chain_id": l2_chain_id(1), "commitment_types": [2] })
    );
    let fee: Value = client
        .post(format!("{base}/fee"))
        .json(&body(2, slasher))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let quote: Value =
        serde_json::from_slice(&serde_json::from_value::<Bytes>(fee["payload"].clone()).unwrap())
            .unwrap();
    assert_eq!(quote["rollupFee"], "2000", "{quote}");

    // Refusals: HTTP status plus the documented code.
    for (request_body, status, code) in [
        (body(7, slasher), 400, 1003),
        (body(1, slasher), 400, 1003),
        (body(2, Address::repeat_byte(1)), 400, 1004),
    ] {
        let answer = client
            .post(format!("{base}/commitment"))
            .json(&request_body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), status);
        assert_eq!(
            error_code(&json!({ "error": answer.json::<Value>().await.unwrap() })),
            code
        );
    }
    let missing = client
        .get(format!("{base}/commitment/{}", B256::ZERO))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn l2_nonces_and_balances_count_pending_promises() {
    use alloy::providers::{ProviderBuilder, ext::AnvilApi};
    use baton_sidecar::sample::{self, Fees};
    use baton_toolchain::{Anvil, AnvilOptions};

    let l2 = Anvil::spawn(&AnvilOptions {
        chain_id: l2_chain_id(1),
        ..AnvilOptions::default()
    })
    .unwrap();
    let dir = tempdir("l2");
    let sidecar = start_with(
        &dir,
        limits(),
        (0, 0),
        (0, 0),
        HashMap::from([(RollupId(1), L2Client::connect(&l2.endpoint()).unwrap())]),
    )
    .await;
    let wallet = PrivateKeySigner::random();
    let sender = PrivateKeySigner::random();
    let fees = Fees::default();
    let cost = u128::from(fees.gas_limit) * fees.max_fee_per_gas;
    // Enough for two transactions at their caps, not three.
    ProviderBuilder::new()
        .connect_http(l2.endpoint().parse().unwrap())
        .anvil_set_balance(sender.address(), U256::from(2 * cost + 1))
        .await
        .unwrap();
    let tx = |nonce: u64, body: &str| {
        (
            1,
            sample::call(&sender, l2_chain_id(1), nonce, body.as_bytes(), fees),
        )
    };
    promised(&sidecar.url, signed_sequencing(10, &[tx(0, "a")], &wallet)).await;
    assert_eq!(
        error_code(&sequence(&sidecar.url, signed_sequencing(10, &[tx(0, "b")], &wallet)).await),
        1206,
        "nonce 0 is promised"
    );
    assert_eq!(
        error_code(&sequence(&sidecar.url, signed_sequencing(11, &[tx(2, "b")], &wallet)).await),
        1206,
        "no gaps"
    );
    promised(&sidecar.url, signed_sequencing(11, &[tx(1, "b")], &wallet)).await;
    assert_eq!(
        error_code(&sequence(&sidecar.url, signed_sequencing(11, &[tx(2, "c")], &wallet)).await),
        1207,
        "a third would overdraw the L2 balance"
    );
    // Rollup 2 has no L2 RPC configured: its transactions are checked for form only.
    promised(
        &sidecar.url,
        request(10, &[(2, "unchecked")], &wallet, &domain()),
    )
    .await;
    drop(l2);
    // The L2 is gone: promises that need it are refused, never made blind.
    assert_eq!(
        error_code(&sequence(&sidecar.url, signed_sequencing(11, &[tx(2, "d")], &wallet)).await),
        1903
    );
    std::fs::remove_dir_all(dir).unwrap();
}
