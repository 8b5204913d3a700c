//! The fallback block through a real execution client's Engine API (ethereumjs, Prague):
//! promised transactions and a batch transaction go to its pool, the payload built with
//! `forkchoiceUpdated` + `getPayload` carries every one, its bid is signed over its header,
//! and once imported every promise is in the L1 block. A promise the client cannot take is
//! reported missing, with the reason read from the account (not from an error string).

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy::primitives::{Address, B256, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use baton_engine::{EngineClient, JwtSecret};
use baton_preconf::{
    BlsSecretKey, ChainSpec, RollupId, Slot,
    ssz::{PayloadAttributes, TransactionsTree},
};
use baton_sidecar::{
    execution::ExecutionState,
    keys::DelegateKey,
    pbs::{
        BatchFees, ConstrainedTx, EngineBuilder, FallbackParts, RpcPool, Sealed, SlotAttributes,
        batch_transaction, build_fallback,
    },
    sample::{self, Fees},
};
use baton_toolchain::{EthereumJs, EthereumJsOptions};
use serde_json::{Value, json};

const FORK: [u8; 4] = [0x10, 0, 0, 0x38];

async fn rpc(url: &str, method: &str, params: Value) -> Value {
    reqwest::Client::new()
        .post(url)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn quantity(value: &Value) -> u64 {
    u64::from_str_radix(value.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fallback_block_carries_every_promise_and_lands() {
    let wallet = PrivateKeySigner::random();
    let committer = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x44)).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let el = EthereumJs::start(&EthereumJsOptions {
        prefunded: vec![
            (wallet.address(), U256::from(10u128.pow(24))),
            (committer.address(), U256::from(10u128.pow(24))),
        ],
        genesis_time: now - 60,
        ..Default::default()
    })
    .expect("ethereumjs starts (npm install in the repository root installs it)");
    let mut genesis = None;
    for _ in 0..100 {
        let block = rpc(
            &el.rpc_url(),
            "eth_getBlockByNumber",
            json!(["latest", false]),
        )
        .await;
        if let Some(hash) = block["result"]["hash"].as_str() {
            genesis = Some(hash.parse::<B256>().unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let genesis = genesis.expect("ethereumjs serves its genesis block");
    let chain = ChainSpec::devnet(el.chain_id(), el.genesis_time());
    let execution = Arc::new(ExecutionState::connect(&el.rpc_url(), chain).unwrap());
    execution.refresh().await.unwrap();

    let fees = Fees {
        gas_limit: 30_000,
        max_fee_per_gas: 20_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
    };
    let mut raws: Vec<_> = (0..3)
        .map(|n| sample::call(&wallet, el.chain_id(), n, b"promised", fees))
        .collect();
    raws.push(batch_transaction(
        &committer,
        el.chain_id(),
        Address::repeat_byte(0x1b),
        (
            RollupId(1),
            Slot(31),
            &[sample::call(&wallet, 167_001, 0, b"l2", fees)],
        ),
        0,
        BatchFees {
            max_fee_per_gas: 20_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
        },
    ));
    let sealed = Sealed {
        slot: Slot(31),
        proposer: BlsSecretKey::from_ikm(&[1; 32]).unwrap().public_key(),
        constrained: raws
            .iter()
            .map(|r| ConstrainedTx::decode(r).unwrap())
            .collect(),
        constraints: None,
    };
    let root = B256::repeat_byte(0x31);
    let attributes = SlotAttributes {
        attributes: PayloadAttributes {
            proposal_slot: Slot(31),
            proposer_index: 0,
            parent_block_hash: genesis,
            parent_block_number: 0,
            parent_beacon_block_root: root,
            timestamp: el.genesis_time() + 62,
            prev_randao: B256::repeat_byte(7),
            withdrawals: Default::default(),
        },
        fee_recipient: Address::repeat_byte(0xfe),
    };
    let engine = EngineClient::new(&el.engine_url(), JwtSecret::from_hex(el.jwt_hex()).unwrap());
    let parts = FallbackParts {
        builder: Arc::new(EngineBuilder::new(engine.clone())),
        pool: Some(Arc::new(RpcPool::new(&el.rpc_url()))),
        execution: Some(execution.clone()),
        signer: DelegateKey::new(BlsSecretKey::from_ikm(&[2; 32]).unwrap()),
        genesis_fork_version: FORK,
        rebuild_until: None,
    };
    let (out, watch) = tokio::sync::watch::channel(None);
    let fallback = build_fallback(&parts, &attributes, Some(&sealed), &out)
        .await
        .unwrap();
    assert!(
        fallback.missing.is_empty(),
        "missing {:?}",
        fallback.missing
    );
    assert!(watch.borrow().is_some());
    let payload = &fallback.contents.execution_payload;
    let included: Vec<B256> = payload
        .transactions
        .iter()
        .map(|t| keccak256(t.as_slice()))
        .collect();
    for tx in &sealed.constrained {
        assert!(included.contains(&tx.hash), "{} is in the payload", tx.hash);
    }
    let bid = &fallback.signed;
    bid.verify(FORK).unwrap();
    let tree = TransactionsTree::new(&payload.transactions).unwrap();
    assert_eq!(bid.message.header.transactions_root, tree.root().0);
    assert_eq!(bid.message.header.block_hash, payload.block_hash);

    // The proposer takes it: imported, every promise has a successful receipt.
    engine
        .import(payload, &bid.message.execution_requests, root)
        .await
        .unwrap();
    for tx in &sealed.constrained {
        let receipt = rpc(&el.rpc_url(), "eth_getTransactionReceipt", json!([tx.hash])).await;
        assert_eq!(receipt["result"]["status"], "0x1", "{receipt}");
        assert_eq!(quantity(&receipt["result"]["blockNumber"]), 1);
    }

    // Next slot: a promise whose nonce leaves a gap cannot be included; the block is
    // still built (with what can be), and the promise is reported missing.
    execution.refresh().await.unwrap();
    let gap =
        ConstrainedTx::decode(&sample::call(&wallet, el.chain_id(), 9, b"gap", fees)).unwrap();
    let next = Sealed {
        slot: Slot(32),
        constrained: vec![gap.clone()],
        ..sealed
    };
    let mut attributes = attributes;
    attributes.attributes.proposal_slot = Slot(32);
    attributes.attributes.parent_block_hash = B256::from(payload.block_hash);
    attributes.attributes.parent_block_number = 1;
    attributes.attributes.timestamp += 2;
    let (out, _watch) = tokio::sync::watch::channel(None);
    let fallback = build_fallback(&parts, &attributes, Some(&next), &out)
        .await
        .unwrap();
    assert_eq!(fallback.missing, vec![gap.hash]);
    assert_eq!(fallback.contents.execution_payload.block_number, 2);
    let metrics = baton_sidecar::render_metrics();
    assert!(
        crate::pbs_fixture::sample(&metrics, "baton_sidecar_promise_alarms_total") >= 1,
        "the alarm was raised"
    );
}
