//! End-to-end derivation throughput of the rollup node (feature `client`): a long L1
//! history on a real anvil L1 (with Baton's contracts) is derived into a real anvil L2,
//! through JSON-RPC, as a node catching up would.
//!
//! Run: `cargo bench -p baton-preconf --features client --bench node_sync -- [slots] [txs]`
//! (defaults: 1000 slots, a batch of 20 transfers in every second slot). Prints the figures
//! that go in docs/benchmarks.md.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout
)]

use std::{sync::Arc, time::Instant};

use alloy::{
    consensus::{EthereumTxEnvelope, SignableTransaction, TxEip1559, TxEip4844},
    eips::{BlockNumberOrTag, eip2718::Encodable2718},
    network::EthereumWallet,
    primitives::{Address, Bytes, TxKind, U256, keccak256},
    providers::{Provider, ProviderBuilder, ext::AnvilApi},
    signers::{SignerSync, local::PrivateKeySigner},
};
use baton_contracts::{DeployParams, RollupInbox, deploy_all};
use baton_preconf::{
    BatonDomain, BlsPublicKey, BlsSecretKey, ChainSpec, RollupId, Slot,
    node::{BeaconError, BoxFuture, NodeConfig, ProposerSchedule, RollupConfig, RollupNode},
};
use baton_toolchain::{Anvil, AnvilOptions};

const L2_CHAIN: u64 = 901;
const SENDERS: usize = 64;

/// Every slot is proposed by one validator that never opted in: every slot is open, and
/// the node still asks the `Registry` for every slot that carries a batch.
#[derive(Debug)]
struct OneProposer(BlsPublicKey);

impl ProposerSchedule for OneProposer {
    fn proposer(&self, _slot: Slot) -> BoxFuture<'_, Result<Option<BlsPublicKey>, BeaconError>> {
        Box::pin(async move { Ok(Some(self.0)) })
    }
}

fn transfer(from: &PrivateKeySigner, nonce: u64) -> Bytes {
    let tx = TxEip1559 {
        chain_id: L2_CHAIN,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 2_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(Address::repeat_byte(0xda)),
        value: U256::from(1u64),
        ..Default::default()
    };
    let sig = from.sign_hash_sync(&tx.signature_hash()).unwrap();
    let envelope: EthereumTxEnvelope<TxEip4844> = tx.into_signed(sig).into();
    envelope.encoded_2718().into()
}

/// Signs as `key`; estimates gas (setup, with automine on).
fn estimating(key: &PrivateKeySigner, url: &str) -> impl Provider + Clone + use<> {
    ProviderBuilder::default()
        .with_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(EthereumWallet::from(key.clone()))
        .connect_http(url.parse().expect("URL"))
}

/// Signs as `key`, gas set by the caller (automine off: estimation would use the wrong
/// block time).
fn fixed_gas(key: &PrivateKeySigner, url: &str) -> impl Provider + Clone + use<> {
    ProviderBuilder::default()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(EthereumWallet::from(key.clone()))
        .connect_http(url.parse().expect("URL"))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> eyre::Result<()> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let slots = args.first().copied().unwrap_or(1_000);
    let txs_per_batch = args.get(1).copied().unwrap_or(20) as usize;

    let l1 = Anvil::spawn(&AnvilOptions {
        extra_args: vec!["--order".into(), "fifo".into()],
        ..AnvilOptions::default()
    })?;
    let deployer: PrivateKeySigner = Anvil::DEV_KEYS[0].parse()?;
    let provider = estimating(&deployer, &l1.endpoint());
    let genesis = provider
        .get_block_by_number(BlockNumberOrTag::Number(0))
        .await?
        .expect("genesis")
        .header
        .timestamp;
    let params = DeployParams::devnet(genesis, 2);
    let deployed = deploy_all(&provider, deployer.address(), &params).await?;
    let inbox = RollupInbox::new(deployed.rollup_inbox, &provider);
    inbox
        .registerRollup(L2_CHAIN, "bench".into())
        .send()
        .await?
        .get_receipt()
        .await?;
    let spec = ChainSpec::devnet(l1.chain_id(), genesis);

    let l2 = Anvil::spawn(&AnvilOptions {
        chain_id: L2_CHAIN,
        genesis_timestamp: Some(genesis),
        extra_args: vec!["--no-mining".into(), "--order".into(), "fifo".into()],
        ..AnvilOptions::default()
    })?;
    let l2_provider = fixed_gas(&deployer, &l2.endpoint());
    let senders: Vec<PrivateKeySigner> = (1..=SENDERS)
        .map(|i| PrivateKeySigner::from_bytes(&keccak256(i.to_be_bytes())).unwrap())
        .collect();
    for s in &senders {
        l2_provider
            .anvil_set_balance(s.address(), U256::from(10u128.pow(21)))
            .await?;
    }

    // The history: a batch of transfers from `submitter` in every second slot.
    println!(
        "building {slots} slots of L1 history ({txs_per_batch} transfers in every second slot)…"
    );
    let built = Instant::now();
    provider.anvil_set_auto_mine(false).await?;
    let submitter: PrivateKeySigner = Anvil::DEV_KEYS[3].parse()?;
    let as_submitter = fixed_gas(&submitter, &l1.endpoint());
    let inbox_as_submitter = RollupInbox::new(deployed.rollup_inbox, &as_submitter);
    let latest = provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await?
        .expect("latest");
    let first_slot = spec.slot_at(latest.header.timestamp).expect("slot").0 + 2;
    let start_block = latest.header.number + 1;
    let mut nonces = vec![0u64; SENDERS];
    let mut next = 0usize;
    let mut expected_txs = 0u64;
    for i in 0..slots {
        let slot = first_slot + i;
        if i % 2 == 0 {
            let txs: Vec<Bytes> = (0..txs_per_batch)
                .map(|_| {
                    let s = next % SENDERS;
                    next += 1;
                    nonces[s] += 1;
                    transfer(&senders[s], nonces[s] - 1)
                })
                .collect();
            expected_txs += txs.len() as u64;
            // Landing is checked at the end: every transfer must be derived.
            let _pending = inbox_as_submitter
                .submitBatch(1, slot, txs)
                .gas(10_000_000)
                .max_fee_per_gas(100_000_000_000)
                .max_priority_fee_per_gas(1)
                .send()
                .await?;
        }
        provider
            .anvil_set_next_block_timestamp(spec.slot_timestamp(Slot(slot)))
            .await?;
        provider.anvil_mine(Some(1), None).await?;
    }
    let head = provider.get_block_number().await?;
    println!(
        "history built in {:.1} s: L1 blocks {start_block}..={head}",
        built.elapsed().as_secs_f64()
    );

    let config = NodeConfig {
        chain: spec.clone(),
        l1_rpc: l1.endpoint(),
        inbox: deployed.rollup_inbox,
        registry: deployed.registry,
        domain: BatonDomain {
            chain_id: l1.chain_id(),
            verifying_contract: deployed.slasher,
        },
        start_block,
        rollups: vec![RollupConfig {
            id: RollupId(1),
            l2_rpc: l2.endpoint(),
        }],
        reorg_window: 64,
        max_blocks_per_sync: u64::MAX,
        poll_interval: std::time::Duration::from_millis(100),
    };
    let outsider = BlsSecretKey::from_ikm(&[9; 32])?.public_key();
    let mut node = RollupNode::connect(config, Arc::new(OneProposer(outsider))).await?;
    let handle = node.handle();
    let started = Instant::now();
    let report = node.sync().await?;
    let elapsed = started.elapsed().as_secs_f64();
    let safe = handle.safe_head(RollupId(1)).expect("followed");
    let included: u64 = handle
        .derived_blocks(RollupId(1))
        .iter()
        .map(|b| b.transactions.len() as u64)
        .sum();
    assert_eq!(
        report.derived,
        head - start_block + 1,
        "every L1 block derived"
    );
    assert_eq!(safe.l2_number, slots.div_ceil(2), "one L2 block per batch");
    assert_eq!(included, expected_txs, "every transfer included");
    println!(
        "derived {} L1 blocks into {} L2 blocks ({included} transactions) in {elapsed:.2} s: \
         {:.0} L1 blocks/s, {:.0} L2 blocks/s, {:.0} L2 transactions/s",
        report.derived,
        safe.l2_number,
        report.derived as f64 / elapsed,
        safe.l2_number as f64 / elapsed,
        included as f64 / elapsed,
    );
    Ok(())
}
