//! The Engine API client against a real ethereumjs execution client (Prague).

// Test code: a panic is a test failure with its location, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, hex};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use baton_engine::{EngineClient, EngineError, JwtSecret, PayloadAttributes, PayloadStatus};
use baton_toolchain::{EthereumJs, EthereumJsOptions};
use serde_json::{Value, json};

const BEACON_ROOTS: &str = "0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02";

struct Chain {
    el: EthereumJs,
    engine: EngineClient,
    http: reqwest::Client,
    key: PrivateKeySigner,
}

impl Chain {
    fn start() -> Self {
        let key = PrivateKeySigner::random();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let el = EthereumJs::start(&EthereumJsOptions {
            prefunded: vec![(key.address(), U256::from(10u128.pow(24)))],
            genesis_time: now - 60,
            ..Default::default()
        })
        .expect("ethereumjs starts (npm install in the repository root installs it)");
        let engine =
            EngineClient::new(&el.engine_url(), JwtSecret::from_hex(el.jwt_hex()).unwrap());
        Self {
            el,
            engine,
            http: reqwest::Client::new(),
            key,
        }
    }

    async fn rpc(&self, method: &str, params: Value) -> Value {
        let reply: Value = self
            .http
            .post(self.el.rpc_url())
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        reply
    }

    /// Waits until the JSON-RPC answers with the genesis block; returns its hash.
    async fn head(&self) -> (B256, u64, u64) {
        for _ in 0..100 {
            let reply = self
                .rpc("eth_getBlockByNumber", json!(["latest", false]))
                .await;
            if let Some(block) = reply.get("result").filter(|r| !r.is_null()) {
                let hash: B256 = block["hash"].as_str().unwrap().parse().unwrap();
                let number = u64::from_str_radix(
                    block["number"].as_str().unwrap().trim_start_matches("0x"),
                    16,
                )
                .unwrap();
                let time = u64::from_str_radix(
                    block["timestamp"]
                        .as_str()
                        .unwrap()
                        .trim_start_matches("0x"),
                    16,
                )
                .unwrap();
                return (hash, number, time);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("ethereumjs never served its head");
    }

    fn transfer(&self, nonce: u64) -> Bytes {
        let tx = TxEip1559 {
            chain_id: self.el.chain_id(),
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 20_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to: TxKind::Call(Address::repeat_byte(0x42)),
            value: U256::from(1_000u64),
            ..Default::default()
        };
        let signature = self.key.sign_hash_sync(&tx.signature_hash()).unwrap();
        TxEnvelope::from(tx.into_signed(signature))
            .encoded_2718()
            .into()
    }
}

fn attributes(parent_time: u64, root: B256) -> PayloadAttributes {
    PayloadAttributes {
        timestamp: parent_time + 2,
        prev_randao: B256::repeat_byte(7),
        suggested_fee_recipient: Address::repeat_byte(0xfe),
        withdrawals: Vec::new(),
        parent_beacon_block_root: root,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builds_and_imports_blocks_with_pool_transactions_and_beacon_roots() {
    let chain = Chain::start();
    let (genesis, number, time) = chain.head().await;
    assert_eq!(number, 0);

    // An empty block on genesis, imported: the head moves.
    let root1 = B256::repeat_byte(0x11);
    let built = chain
        .engine
        .build(genesis, &attributes(time, root1))
        .await
        .unwrap();
    assert_eq!(built.payload.parent_hash, genesis.0);
    assert_eq!(built.payload.block_number, 1);
    assert!(built.payload.transactions.is_empty());
    chain
        .engine
        .import(&built.payload, &built.execution_requests, root1)
        .await
        .unwrap();
    let (head, number, time) = chain.head().await;
    assert_eq!((head, number), (built.block_hash(), 1));

    // EIP-4788: the beacon roots contract returns our root for the block's timestamp.
    let stored = chain
        .rpc(
            "eth_call",
            json!([{"to": BEACON_ROOTS, "data": format!("0x{:064x}", time)}, "latest"]),
        )
        .await;
    assert_eq!(
        stored["result"].as_str().unwrap(),
        format!("{root1:#x}"),
        "{stored}"
    );

    // Two transactions in the pool end up in the next payload, in nonce order.
    let txs = [chain.transfer(0), chain.transfer(1)];
    for tx in &txs {
        let sent = chain.rpc("eth_sendRawTransaction", json!([tx])).await;
        assert!(sent.get("result").is_some(), "{sent}");
    }
    let root2 = B256::repeat_byte(0x22);
    let built = chain
        .engine
        .build(head, &attributes(time, root2))
        .await
        .unwrap();
    let included: Vec<Vec<u8>> = built
        .payload
        .transactions
        .iter()
        .map(|t| t.to_vec())
        .collect();
    assert_eq!(included, txs.iter().map(|t| t.to_vec()).collect::<Vec<_>>());
    assert!(built.block_value > U256::ZERO, "tips pay the fee recipient");
    assert_eq!(built.payload.fee_recipient, [0xfe; 20]);

    // A payload whose transaction was swapped: the client says INVALID (block hash no
    // longer matches), and `import` refuses it.
    let mut tampered = built.payload.clone();
    tampered.transactions[1] = tampered.transactions[0].clone();
    let status = chain
        .engine
        .new_payload(&tampered, &built.execution_requests, root2)
        .await
        .unwrap();
    assert!(matches!(status, PayloadStatus::Invalid(_)), "{status:?}");
    assert!(
        chain
            .engine
            .import(&tampered, &built.execution_requests, root2)
            .await
            .is_err()
    );

    // The genuine one imports; the receipts are there.
    chain
        .engine
        .import(&built.payload, &built.execution_requests, root2)
        .await
        .unwrap();
    let (_, number, _) = chain.head().await;
    assert_eq!(number, 2);
    let hash = format!("0x{}", hex::encode(alloy_primitives::keccak256(&txs[1])));
    let receipt = chain.rpc("eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!(receipt["result"]["status"], "0x1", "{receipt}");
}

#[tokio::test]
async fn a_wrong_jwt_secret_is_refused() {
    let chain = Chain::start();
    let (genesis, _, _) = chain.head().await;
    let wrong = EngineClient::new(&chain.el.engine_url(), JwtSecret::random());
    let err = wrong.forkchoice_updated(genesis, None).await.unwrap_err();
    assert!(matches!(err, EngineError::Unauthorized), "{err}");
    // The right secret works on the same endpoint.
    assert_eq!(
        chain
            .engine
            .forkchoice_updated(genesis, None)
            .await
            .unwrap(),
        None
    );
}
