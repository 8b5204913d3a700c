//! A sequencing promise from request to L2 finality: a wallet gets a promise from
//! `baton-sidecar run`; the rollup node takes it from the sidecar (`baton_getCommitment`)
//! into its soft head; the committer's batch lands in the slot's L1 block (the script plays
//! step ④, which the sidecar does not do yet); the node derives it into the rollup's L2,
//! and L1 finality makes it final.

use std::{
    net::TcpListener,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy::{
    consensus::{EthereumTxEnvelope, SignableTransaction, TxEip1559, TxEip4844},
    eips::{BlockNumberOrTag, eip2718::Encodable2718},
    network::EthereumWallet,
    primitives::{Address, Bytes, TxKind, keccak256, utils::parse_ether},
    providers::{Provider, ProviderBuilder, ext::AnvilApi},
    signers::{SignerSync, local::PrivateKeySigner},
};
use baton_contracts::{DeployParams, Registry, RollupInbox, deploy_all};
use baton_preconf::{
    BatonDomain, BlsSecretKey, ChainSpec, Position, Request, RollupId, RollupTransaction,
    SequencingRequest, SignedCommitment, Slot,
    client::SidecarClient,
    node::{BeaconProposers, NodeConfig, RollupConfig, RollupNode},
};
use baton_tests::Process;
use baton_toolchain::{Anvil, AnvilOptions};
use serde_json::{Value, json};

const SECONDS_PER_SLOT: u64 = 2;
const SLOTS_PER_EPOCH: u64 = 8;
const L2_CHAIN: u64 = 901;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn key(i: usize) -> PrivateKeySigner {
    Anvil::DEV_KEYS[i].parse().unwrap()
}

fn signer(key: &PrivateKeySigner, url: &str, estimate: bool) -> impl Provider + Clone + use<> {
    let builder = ProviderBuilder::default();
    let wallet = EthereumWallet::from(key.clone());
    if estimate {
        builder
            .with_gas_estimation()
            .with_simple_nonce_management()
            .fetch_chain_id()
            .wallet(wallet)
            .connect_http(url.parse().unwrap())
            .erased()
    } else {
        builder
            .with_simple_nonce_management()
            .fetch_chain_id()
            .wallet(wallet)
            .connect_http(url.parse().unwrap())
            .erased()
    }
}

fn reader(url: &str) -> impl Provider + Clone + use<> {
    ProviderBuilder::default().connect_http(url.parse().unwrap())
}

async fn rpc(url: &str, method: &str, params: Value) -> eyre::Result<Value> {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    Ok(reqwest::Client::new()
        .post(url)
        .json(&body)
        .timeout(Duration::from_secs(5))
        .send()
        .await?
        .json()
        .await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sidecar_promise_is_soft_then_safe_then_final_on_the_rollup() -> eyre::Result<()> {
    // L1 and its contracts; the operator's committer and validator are registered.
    let genesis = now() - 20;
    let l1 = Anvil::spawn(&AnvilOptions {
        genesis_timestamp: Some(genesis),
        extra_args: vec![
            "--order".into(),
            "fifo".into(),
            "--slots-in-an-epoch".into(),
            SLOTS_PER_EPOCH.to_string(),
        ],
        ..AnvilOptions::default()
    })?;
    let (deployer, operator, committer, alice) = (key(0), key(1), key(2), key(5));
    let provider = signer(&deployer, &l1.endpoint(), true);
    let params = DeployParams::devnet(genesis, SECONDS_PER_SLOT);
    let deployed = deploy_all(&provider, deployer.address(), &params).await?;
    let registry = Registry::new(deployed.registry, signer(&operator, &l1.endpoint(), true));
    registry
        .registerOperator(committer.address())
        .value(parse_ether("10")?)
        .send()
        .await?
        .get_receipt()
        .await?;
    let validator = BlsSecretKey::from_ikm(&[0x31; 32])?;
    let pop = validator.sign_message(&registry.popMessage(committer.address()).call().await?);
    let record: Vec<u8> = [validator.public_key().0.as_slice(), pop.0.as_slice()].concat();
    registry
        .registerValidators(record.into())
        .send()
        .await?
        .get_receipt()
        .await?;
    let inbox = RollupInbox::new(deployed.rollup_inbox, &provider);
    inbox
        .registerRollup(L2_CHAIN, "alpha".into())
        .send()
        .await?
        .get_receipt()
        .await?;
    // Past the registration fraud window.
    provider
        .anvil_increase_time(params.fraud_window + 1)
        .await?;
    provider.anvil_mine(Some(1), None).await?;
    provider.anvil_set_auto_mine(false).await?;
    let latest = provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await?
        .unwrap();
    let spec = ChainSpec::devnet(l1.chain_id(), genesis);
    let domain = BatonDomain {
        chain_id: l1.chain_id(),
        verifying_contract: deployed.slasher,
    };

    // The beacon stand-in (every slot is the validator's), the sidecar and the L2.
    let beacon =
        baton_sidecar::beacon::serve_stub(genesis, SLOTS_PER_EPOCH, validator.public_key()).await?;
    let dir = std::env::temp_dir().join(format!("baton-e2e-promise-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let key_file = dir.join("committer.key");
    std::fs::write(
        &key_file,
        format!("{}\n", alloy::hex::encode(committer.to_bytes())),
    )?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let sidecar_url = format!("http://127.0.0.1:{port}");
    let args = [
        "run".to_owned(),
        "--data-dir".into(),
        dir.join("data").to_string_lossy().into_owned(),
        "--rpc.addr".into(),
        format!("127.0.0.1:{port}"),
        "--beacon.url".into(),
        beacon.clone(),
        "--chain.id".into(),
        l1.chain_id().to_string(),
        "--slasher".into(),
        deployed.slasher.to_string(),
        "--committer.key-file".into(),
        key_file.to_string_lossy().into_owned(),
        "--validator.pubkeys".into(),
        validator.public_key().to_string(),
        "--l1.rpc".into(),
        l1.endpoint(),
        "--rollup-inbox".into(),
        deployed.rollup_inbox.to_string(),
    ];
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let _sidecar = Process::start("baton-sidecar", &arg_refs)?;
    let started = Instant::now();
    while !rpc(&sidecar_url, "baton_slots", json!([]))
        .await
        .is_ok_and(|a| a["result"].as_array().is_some_and(|s| !s.is_empty()))
    {
        eyre::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "sidecar not serving"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let l2 = Anvil::spawn(&AnvilOptions {
        chain_id: L2_CHAIN,
        genesis_timestamp: Some(genesis),
        extra_args: vec!["--no-mining".into(), "--order".into(), "fifo".into()],
        ..AnvilOptions::default()
    })?;

    // A slot after the L1 head (whose clock ran ahead past the fraud window) and inside
    // the sidecar's 32-slot window.
    let slot = Slot(spec.slot_at(latest.header.timestamp.max(now())).unwrap().0 + 4);
    let tx = {
        let tx = TxEip1559 {
            chain_id: L2_CHAIN,
            nonce: 0,
            gas_limit: 21_000,
            max_fee_per_gas: 2_000_000_000,
            max_priority_fee_per_gas: 1,
            to: TxKind::Call(Address::repeat_byte(0xda)),
            value: parse_ether("1")?,
            ..Default::default()
        };
        let sig = alice.sign_hash_sync(&tx.signature_hash())?;
        let envelope: EthereumTxEnvelope<TxEip4844> = tx.into_signed(sig).into();
        Bytes::from(envelope.encoded_2718())
    };

    // ①–③: the wallet's promise.
    let request = Request::Sequencing(SequencingRequest {
        slot,
        txs: vec![RollupTransaction {
            rollup_id: RollupId(1),
            tx: tx.clone(),
        }],
    })
    .sign(&PrivateKeySigner::random(), &domain)?;
    let answer = rpc(&sidecar_url, "baton_requestSequencing", json!([request])).await?;
    let promised: SignedCommitment = serde_json::from_value(answer["result"].clone())
        .map_err(|e| eyre::eyre!("no promise: {answer}: {e}"))?;
    assert_eq!(promised.commitment.committer, committer.address());

    // ⑧ soft: the node takes the promise from the sidecar by request id.
    let mut node = RollupNode::connect(
        NodeConfig {
            chain: spec.clone(),
            l1_rpc: l1.endpoint(),
            inbox: deployed.rollup_inbox,
            registry: deployed.registry,
            domain,
            start_block: latest.header.number + 1,
            rollups: vec![RollupConfig {
                id: RollupId(1),
                l2_rpc: l2.endpoint(),
            }],
            reorg_window: 64,
            max_blocks_per_sync: 1_000,
            poll_interval: Duration::from_millis(200),
        },
        Arc::new(BeaconProposers::new(&beacon, spec.clone())),
    )
    .await?;
    let handle = node.handle();
    let fetched = SidecarClient::new(&sidecar_url)?
        .commitment(promised.commitment.request_id)
        .await?
        .ok_or_else(|| eyre::eyre!("the sidecar does not know its own promise"))?;
    assert_eq!(fetched, promised);
    handle.add_commitment(&fetched)?;
    let soft = handle.soft_head(RollupId(1)).unwrap();
    assert_eq!(soft.safe.l2_number, 0);
    assert_eq!(
        soft.pending
            .iter()
            .map(|p| (p.slot, p.position, p.tx_hash))
            .collect::<Vec<_>>(),
        vec![(slot, Position(0), keccak256(&tx))]
    );

    // ④ and ⑦: the committer's batch lands in the slot's block.
    let as_committer = signer(&committer, &l1.endpoint(), false);
    let sent = RollupInbox::new(deployed.rollup_inbox, &as_committer)
        .submitBatch(1, slot.0, vec![tx.clone()])
        .gas(2_000_000)
        .max_fee_per_gas(100_000_000_000)
        .max_priority_fee_per_gas(1)
        .send()
        .await?;
    let l1_provider = reader(&l1.endpoint());
    l1_provider
        .anvil_set_next_block_timestamp(spec.slot_timestamp(slot))
        .await?;
    l1_provider.anvil_mine(Some(1), None).await?;
    let receipt = l1_provider
        .get_transaction_receipt(*sent.tx_hash())
        .await?
        .expect("batch mined");
    assert!(receipt.status());

    // ⑧ safe: derived; the promise is kept and the transaction executed on L2.
    node.sync().await?;
    let safe = handle.safe_head(RollupId(1)).unwrap();
    assert_eq!(safe.l2_number, 1);
    assert_eq!(safe.origin.map(|o| o.hash), receipt.block_hash);
    assert_eq!(safe.finalized_l2_number, Some(0), "not final yet");
    assert!(handle.soft_head(RollupId(1)).unwrap().pending.is_empty());
    let judged = handle.judged();
    assert_eq!(judged.len(), 1);
    assert_eq!(judged[0].divergence, None);
    let l2_provider = reader(&l2.endpoint());
    assert_eq!(
        l2_provider.get_balance(Address::repeat_byte(0xda)).await?,
        parse_ether("1")?
    );
    let l2_block = l2_provider
        .get_block_by_number(BlockNumberOrTag::Number(1))
        .await?
        .unwrap();
    assert_eq!(
        l2_block.transactions.hashes().collect::<Vec<_>>(),
        vec![keccak256(&tx)]
    );

    // Final: two epochs of L1 blocks later, anvil reports the batch's block finalized.
    for i in 1..=2 * SLOTS_PER_EPOCH {
        l1_provider
            .anvil_set_next_block_timestamp(spec.slot_timestamp(Slot(slot.0 + i)))
            .await?;
        l1_provider.anvil_mine(Some(1), None).await?;
    }
    node.sync().await?;
    let safe = handle.safe_head(RollupId(1)).unwrap();
    assert_eq!(safe.finalized_l2_number, Some(1), "final with its L1 block");
    assert!(
        handle
            .metrics()
            .render()
            .contains("baton_node_promises_kept_total 1")
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
