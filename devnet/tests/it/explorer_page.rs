//! The explorer on a real L1: ethereumjs driven by the beacon service (local blocks), the
//! contracts deployed on it, a few transfers, and a real sidecar's promises (one kept,
//! two broken, one still open); the page loaded in headless Chromium, its rendered DOM
//! checked against the beacon service's records, and a screenshot kept in
//! `target/test-artifacts/explorer.png`.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, TxKind, U256, hex};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use baton_contracts::DeployParams;
use baton_devnet::{
    beacon::{BeaconConfig, BeaconService, SlotRecord, ValidatorSetup},
    explorer::{
        BeaconSource, ContractAddresses, Explorer, ExplorerSources, RollupSource, SidecarSource,
    },
};
use baton_preconf::{RollupId, Slot};
use baton_toolchain::{Headless, repository_root};
use serde_json::{Value, json};

use crate::{
    beacon_fixture::{now, rpc, start_l1, wait_for_slot},
    explorer_sidecar::{self, shown},
};

fn transfer(key: &PrivateKeySigner, chain_id: u64, nonce: u64) -> String {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 20_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(Address::repeat_byte(0x42)),
        value: U256::from(1_000 + nonce),
        ..Default::default()
    };
    let signature = key.sign_hash_sync(&tx.signature_hash()).unwrap();
    hex::encode_prefixed(TxEnvelope::from(tx.into_signed(signature)).encoded_2718())
}

async fn get(url: &str) -> Value {
    let response = reqwest::get(url).await.unwrap();
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

/// The `<tr …>…</tr>` of the element with `id`.
fn row<'a>(dom: &'a str, id: &str) -> Option<&'a str> {
    let start = dom.find(&format!(r#"<tr id="{id}""#))?;
    let end = dom[start..].find("</tr>")?;
    Some(&dom[start..start + end])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_the_slots_of_a_real_l1_in_headless_chromium() {
    let chromium = Headless::locate().unwrap_or_else(|e| panic!("{e}"));
    let deployer = PrivateKeySigner::random();
    let sender = PrivateKeySigner::random();
    // Senders of promised transactions that never reach the L1.
    let (silent, later) = (PrivateKeySigner::random(), PrivateKeySigner::random());
    let genesis = now();
    let funds = U256::from(10u128.pow(22));
    let prefunded = [&deployer, &sender, &silent, &later]
        .iter()
        .map(|k| (k.address(), funds))
        .collect();
    let (el, _, layer) = start_l1(genesis, prefunded).await;
    let rpc_url = el.rpc_url();
    let validators: Vec<ValidatorSetup> = (0..4u8)
        .map(|i| ValidatorSetup {
            fee_recipient: Address::repeat_byte(0x10 + i),
            builder_url: None,
        })
        .collect();
    let config = BeaconConfig::devnet(genesis, el.chain_id(), validators, Arc::new(layer));
    let beacon = BeaconService::start(config).await.unwrap();

    // The contracts (Registry, RollupInbox with two rollups, Slasher) land through the
    // beacon service's blocks; then a few transfers. ethereumjs sometimes answers a
    // receipt with null just after the block that holds it is announced, which alloy's
    // receipt watcher reports as an error: a fresh deployment is tried again then.
    let mut attempts = 0;
    let deployment = loop {
        attempts += 1;
        match baton_devnet::deploy(
            &rpc_url,
            &hex::encode(deployer.to_bytes()),
            &DeployParams::devnet(genesis, 2),
        )
        .await
        {
            Ok(deployment) => break deployment,
            Err(e) if attempts < 3 && format!("{e:#}").contains("null response") => {
                eprintln!("deployment attempt {attempts} hit ethereumjs's late receipt: {e:#}");
            }
            Err(e) => panic!("deploying the contracts: {e:?}"),
        }
    };
    let mut sent = Vec::new();
    for nonce in 0..3 {
        let raw = transfer(&sender, el.chain_id(), nonce);
        let reply = rpc(&rpc_url, "eth_sendRawTransaction", json!([raw])).await;
        let hash: B256 = reply["result"]
            .as_str()
            .unwrap_or_else(|| panic!("{reply}"))
            .parse()
            .unwrap();
        sent.push(hash);
    }

    // A sidecar owning every upcoming slot promises, for slot `s`: a transfer that is
    // then sent to the L1 just before `s` (kept), one that is never sent (broken), a
    // rollup transaction no batch carries (broken); and, later, one still open.
    let dir = std::env::temp_dir().join(format!("baton-explorer-it-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut waited = 0;
    while rpc(&rpc_url, "eth_getTransactionReceipt", json!([sent[2]])).await["result"].is_null() {
        waited += 1;
        assert!(waited < 100, "the transfers did not land");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let current = (now() - genesis) / 2;
    let sidecar =
        explorer_sidecar::start(&dir, &beacon, &rpc_url, &deployment, current..=current + 40).await;
    let s = Slot(current + 3);
    let kept_tx = sidecar.transfer(&sender, 3);
    let kept = sidecar.include(s, kept_tx.clone()).await;
    let never_sent = sidecar.include(s, sidecar.transfer(&silent, 0)).await;
    let alpha = &deployment.rollups[0];
    let no_batch = sidecar
        .sequence(s, RollupId(alpha.id), alpha.l2_chain_id)
        .await;
    wait_for_slot(&beacon, Slot(s.0 - 1), Duration::from_secs(20)).await;
    let reply = rpc(&rpc_url, "eth_sendRawTransaction", json!([kept_tx])).await;
    assert!(reply["result"].is_string(), "{reply}");
    let last = s;
    let landed = wait_for_slot(&beacon, last, Duration::from_secs(10)).await;
    let receipt = rpc(&rpc_url, "eth_getTransactionReceipt", json!([sent[2]])).await;
    assert_eq!(receipt["result"]["status"], "0x1", "{receipt}");
    let receipt = rpc(
        &rpc_url,
        "eth_getTransactionReceipt",
        json!([kept.commitment.tx_hashes[0]]),
    )
    .await;
    assert_eq!(
        receipt["result"]["blockNumber"],
        format!("{:#x}", landed.block().unwrap().block_number),
        "the kept transfer landed in slot {s}: {receipt}"
    );

    let sources = ExplorerSources {
        beacon: BeaconSource::InProcess(beacon.view()),
        relay_url: None,
        l1_rpc: rpc_url.clone(),
        l1_chain_id: el.chain_id(),
        contracts: Some(ContractAddresses::from(&deployment)),
        sidecars: vec![SidecarSource {
            name: "sidecar-1".into(),
            rpc_url: sidecar.url.clone(),
            builder_url: None,
        }],
        rollups: deployment
            .rollups
            .iter()
            .map(|r| RollupSource {
                id: RollupId(r.id),
                name: r.name.clone(),
                l2_chain_id: r.l2_chain_id,
                l2_rpc: None,
            })
            .collect(),
    };
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let explorer = Explorer::serve(sources.clone(), loopback).await.unwrap();
    let over_rest = Explorer::serve(
        ExplorerSources {
            beacon: BeaconSource::Url(beacon.url().to_owned()),
            ..sources
        },
        loopback,
    )
    .await
    .unwrap();
    let base = explorer.url();

    // The still-open promise is made only now, for the furthest slot the page's default
    // window shows, and the promises and the page are read at once: however loaded the
    // machine, both happen in the 8 s before that slot can pass.
    let open_slot = Slot((now() - genesis) / 2 + 4);
    assert!(
        open_slot.0 - s.0 < baton_devnet::explorer::MAX_PROMISE_SLOTS,
        "slot {s} is still in the page's window at slot {open_slot}"
    );
    let open = sidecar
        .include(open_slot, sidecar.transfer(&later, 0))
        .await;
    let promises = get(&format!("{base}/api/promises?from={s}&to={open_slot}")).await;
    let url = base.clone();
    let browser = chromium.clone();
    let dom = tokio::task::spawn_blocking(move || browser.dump_dom(&url))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"));

    // The API agrees with the beacon service's records, in-process and over REST.
    let records: Vec<SlotRecord> = beacon.records(Slot(0), last);
    let first = records.first().unwrap().slot;
    let range = format!("/api/slots?from={first}&to={last}");
    let slots = get(&format!("{base}{range}")).await;
    assert_eq!(
        slots["slots"],
        get(&format!("{}{range}", over_rest.url())).await["slots"],
        "the REST reader sees the same slots"
    );
    let listed = slots["slots"].as_array().unwrap();
    assert_eq!(listed.len() as u64, last.0 - first.0 + 1);
    assert_eq!(listed[0]["slot"], last.0.to_string(), "newest first");
    let mut transfer_slot = None;
    for record in &records {
        let shown = listed
            .iter()
            .find(|s| s["slot"] == json!(record.slot))
            .unwrap();
        assert_eq!(shown["proposerIndex"], record.proposer_index.to_string());
        assert_eq!(shown["proposer"], json!(record.proposer));
        assert_eq!(shown["optedIn"], false, "nobody registered");
        let Some(block) = record.block() else {
            assert_eq!(shown["outcome"], "missed", "{shown}");
            continue;
        };
        assert_eq!(shown["outcome"], "local");
        assert_eq!(shown["block"]["number"], block.block_number.to_string());
        assert_eq!(shown["block"]["hash"], json!(block.block_hash));
        assert_eq!(shown["block"]["txCount"], block.tx_count.to_string());
        let l1 = rpc(
            &rpc_url,
            "eth_getBlockByNumber",
            json!([format!("{:#x}", block.block_number), false]),
        )
        .await;
        let hashes: Vec<B256> =
            serde_json::from_value(l1["result"]["transactions"].clone()).unwrap();
        assert_eq!(hashes.len(), block.tx_count);
        if hashes.contains(&sent[0]) {
            transfer_slot = Some((record.slot, block.block_number));
        }
    }
    let (transfer_slot, transfer_block) =
        transfer_slot.expect("the first transfer is in a listed slot");

    let summary = get(&format!("{base}/api/summary")).await;
    assert_eq!(summary["l1ChainId"], el.chain_id().to_string());
    assert_eq!(summary["validators"], "4");
    let names: Vec<&str> = summary["rollups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "beta"]);
    assert_eq!(summary["slasher"], json!(deployment.slasher));
    assert_eq!(promises["warnings"], json!([]), "{promises}");
    assert_eq!(promises["promises"].as_array().unwrap().len(), 4);
    let landed_block = landed.block().unwrap();
    let p = shown(&promises, &kept);
    assert_eq!(p["status"], "included", "{p}");
    assert_eq!(p["digest"], json!(kept.commitment.digest(&sidecar.domain)));
    assert_eq!(
        p["l1Block"]["number"],
        landed_block.block_number.to_string()
    );
    assert_eq!(p["items"][0]["l1Tx"], json!(kept.commitment.tx_hashes[0]));
    let p = shown(&promises, &never_sent);
    assert_eq!(p["status"], "broken", "{p}");
    assert!(
        p["reason"]
            .as_str()
            .unwrap()
            .contains("not in the slot's block"),
        "{p}"
    );
    let p = shown(&promises, &no_batch);
    assert_eq!(
        (&p["status"], &p["kind"]),
        (&json!("broken"), &json!("sequencing"))
    );
    assert!(
        p["reason"].as_str().unwrap().contains("no canonical batch"),
        "{p}"
    );
    assert_eq!(p["items"][0]["rollup"], "alpha");
    let p = shown(&promises, &open);
    assert_eq!(p["status"], "promised", "{p}");
    assert_eq!(
        promises["promises"][0]["slot"],
        open_slot.to_string(),
        "newest first"
    );
    let receipt = get(&format!("{base}/api/receipt?chain=l1&hash={}", sent[0])).await;
    assert_eq!(receipt["blockNumber"], format!("{transfer_block:#x}"));

    // The page, rendered by Chromium: header, a row per slot with proposer and block.
    assert!(
        dom.contains(r#"data-loaded="true""#),
        "the scripts rendered: {dom}"
    );
    assert!(
        dom.contains(&format!(r#"<dd id="l1-chain-id">{}</dd>"#, el.chain_id())),
        "chain id in the header"
    );
    assert!(
        dom.contains("alpha (id 1, chain 167001)"),
        "rollups in the header"
    );
    assert!(
        dom.contains(r#"<p id="error" role="alert" hidden="">"#),
        "no error shown"
    );
    for record in records.iter().rev().filter(|r| r.block().is_some()).take(6) {
        let block = record.block().unwrap();
        let tr = row(&dom, &format!("slot-{}", record.slot))
            .unwrap_or_else(|| panic!("no row for slot {}", record.slot));
        assert!(tr.contains("outcome-local"), "{tr}");
        assert!(
            tr.contains(&format!(r#"class="proposer">#{} "#, record.proposer_index)),
            "{tr}"
        );
        assert!(
            tr.contains(&format!(r#"class="block-number">{}<"#, block.block_number)),
            "{tr}"
        );
        assert!(
            tr.contains(r#"<span class="badge">local block</span>"#),
            "{tr}"
        );
    }
    let tr = row(&dom, &format!("slot-{transfer_slot}")).expect("the transfer's slot is shown");
    assert!(!tr.contains(r#"class="tx-count">0<"#), "{tr}");
    for (signed, status) in [
        (&kept, "included"),
        (&never_sent, "broken"),
        (&open, "promised"),
    ] {
        let id = signed.commitment.request_id;
        let start = dom
            .find(&format!(r#"data-request-id="{id}""#))
            .unwrap_or_else(|| panic!("no row for promise {id}"));
        let tr = &dom[start..start + dom[start..].find("</tr>").unwrap()];
        assert!(
            tr.contains(&format!(
                r#"<span class="badge status-{status}">{status}</span>"#
            )),
            "{tr}"
        );
    }
    assert!(
        dom.contains(r#"<p id="no-promises" hidden="">"#),
        "the table has rows"
    );

    // The screenshot, kept for people to look at.
    let artifacts = repository_root()
        .expect("tests run in the repository")
        .join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let png = artifacts.join("explorer.png");
    let (url, target) = (base.clone(), png.clone());
    tokio::task::spawn_blocking(move || chromium.screenshot(&url, &target))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        std::fs::metadata(&png).unwrap().len() > 10_000,
        "a real picture"
    );

    explorer.shutdown().await;
    over_rest.shutdown().await;
    drop(sidecar);
    beacon.shutdown().await;
    std::fs::remove_dir_all(dir).unwrap();
}
