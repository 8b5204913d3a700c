//! A scripted world for the rollup node: an anvil L1 (FIFO ordering, blocks mined only by
//! the script at slot timestamps) with Baton's contracts, one operator whose validator is
//! opted in, two registered rollups each with its own anvil L2 (`--no-mining --order
//! fifo`), a beacon API stand-in serving a proposer schedule, and the node.

use std::sync::Arc;

use alloy::{
    consensus::{EthereumTxEnvelope, SignableTransaction, TxEip1559, TxEip4844},
    eips::eip2718::Encodable2718,
    network::EthereumWallet,
    primitives::{Address, B256, Bytes, TxKind, U256, utils::parse_ether},
    providers::{Provider, ProviderBuilder, ext::AnvilApi},
    signers::{SignerSync, local::PrivateKeySigner},
};
use baton_contracts::{DeployParams, Deployed, Registry, RollupInbox, deploy_all};
use baton_preconf::{
    BatonDomain, BlsPublicKey, BlsSecretKey, ChainSpec, RollupId, Slot,
    node::{BeaconProposers, NodeConfig, NodeHandle, RollupConfig, RollupNode},
};
use baton_toolchain::{Anvil, AnvilOptions};

use crate::beacon_stub::BeaconStub;

/// Seconds per slot of the scripted L1.
pub(crate) const SECONDS_PER_SLOT: u64 = 2;
/// L2 chain ids of rollups 1 and 2.
pub(crate) const L2_CHAINS: [u64; 2] = [901, 902];

/// A provider that signs as `key`, with fixed gas (transactions are sent while automine is
/// off, where estimation would run against the wrong block time).
pub(crate) fn signer_provider(key: &PrivateKeySigner, url: &str) -> impl Provider + Clone + use<> {
    ProviderBuilder::default()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(EthereumWallet::from(key.clone()))
        .connect_http(url.parse().expect("URL"))
}

/// A provider that signs as `key` and estimates gas (setup, with automine on).
fn estimating_provider(key: &PrivateKeySigner, url: &str) -> impl Provider + Clone + use<> {
    ProviderBuilder::default()
        .with_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(EthereumWallet::from(key.clone()))
        .connect_http(url.parse().expect("URL"))
}

pub(crate) fn key(i: usize) -> PrivateKeySigner {
    Anvil::DEV_KEYS[i].parse().expect("dev key")
}

pub(crate) struct World {
    pub(crate) l1: Anvil,
    pub(crate) l2: [Anvil; 2],
    pub(crate) deployed: Deployed,
    pub(crate) spec: ChainSpec,
    pub(crate) domain: BatonDomain,
    pub(crate) committer: PrivateKeySigner,
    /// The opted-in validator.
    pub(crate) validator: BlsSecretKey,
    /// A validator that never registered.
    pub(crate) outsider_validator: BlsPublicKey,
    pub(crate) beacon: BeaconStub,
    pub(crate) start_block: u64,
}

impl World {
    pub(crate) async fn start() -> eyre::Result<Self> {
        let l1 = Anvil::spawn(&AnvilOptions {
            extra_args: vec!["--order".into(), "fifo".into()],
            ..AnvilOptions::default()
        })?;
        let (deployer, operator, committer) = (key(0), key(1), key(2));
        let provider = estimating_provider(&deployer, &l1.endpoint());
        let genesis = provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Number(0))
            .await?
            .expect("genesis")
            .header
            .timestamp;
        let params = DeployParams::devnet(genesis, SECONDS_PER_SLOT);
        let deployed = deploy_all(&provider, deployer.address(), &params).await?;
        let spec = ChainSpec::devnet(l1.chain_id(), genesis);

        // The operator registers its committer and one validator (real proof of possession).
        let as_operator = estimating_provider(&operator, &l1.endpoint());
        let registry = Registry::new(deployed.registry, &as_operator);
        let receipt = registry
            .registerOperator(committer.address())
            .value(parse_ether("10")?)
            .send()
            .await?
            .get_receipt()
            .await?;
        eyre::ensure!(receipt.status(), "registerOperator reverted");
        let validator = BlsSecretKey::from_ikm(&[0x5a; 32])?;
        let pop = validator.sign_message(&registry.popMessage(committer.address()).call().await?);
        let record: Vec<u8> = [validator.public_key().0.as_slice(), pop.0.as_slice()].concat();
        let receipt = registry
            .registerValidators(record.into())
            .send()
            .await?
            .get_receipt()
            .await?;
        eyre::ensure!(receipt.status(), "registerValidators reverted");
        provider
            .anvil_increase_time(params.fraud_window + 1)
            .await?;
        provider.anvil_mine(Some(1), None).await?;

        let inbox = RollupInbox::new(deployed.rollup_inbox, &provider);
        for (chain, name) in L2_CHAINS.iter().zip(["alpha", "beta"]) {
            let receipt = inbox
                .registerRollup(*chain, name.into())
                .send()
                .await?
                .get_receipt()
                .await?;
            eyre::ensure!(receipt.status(), "registerRollup reverted");
        }
        // From here on the script decides when blocks are mined.
        provider.anvil_set_auto_mine(false).await?;
        let start_block = provider.get_block_number().await? + 1;

        let l2 = |chain_id| {
            Anvil::spawn(&AnvilOptions {
                chain_id,
                genesis_timestamp: Some(genesis),
                extra_args: vec!["--no-mining".into(), "--order".into(), "fifo".into()],
                ..AnvilOptions::default()
            })
        };
        let l2 = [l2(L2_CHAINS[0])?, l2(L2_CHAINS[1])?];
        let outsider_validator = BlsSecretKey::from_ikm(&[0x77; 32])?.public_key();
        let beacon = BeaconStub::serve(spec.slots_per_epoch, outsider_validator).await?;
        Ok(Self {
            domain: BatonDomain {
                chain_id: l1.chain_id(),
                verifying_contract: deployed.slasher,
            },
            l1,
            l2,
            deployed,
            spec,
            committer,
            validator,
            outsider_validator,
            beacon,
            start_block,
        })
    }

    /// The node following `rollups` (ids 1 and/or 2).
    pub(crate) async fn node(&self, rollups: &[u64]) -> eyre::Result<(RollupNode, NodeHandle)> {
        let config = NodeConfig {
            chain: self.spec.clone(),
            l1_rpc: self.l1.endpoint(),
            inbox: self.deployed.rollup_inbox,
            registry: self.deployed.registry,
            domain: self.domain,
            start_block: self.start_block,
            rollups: rollups
                .iter()
                .map(|&id| RollupConfig {
                    id: RollupId(id),
                    l2_rpc: self.l2[id as usize - 1].endpoint(),
                })
                .collect(),
            reorg_window: 64,
            max_blocks_per_sync: 1_000,
            poll_interval: std::time::Duration::from_millis(200),
        };
        let beacon = Arc::new(BeaconProposers::new(&self.beacon.url(), self.spec.clone()));
        let node = RollupNode::connect(config, beacon).await?;
        let handle = node.handle();
        Ok((node, handle))
    }

    pub(crate) fn l1_provider(&self) -> impl Provider + Clone + use<> {
        ProviderBuilder::default().connect_http(self.l1.endpoint().parse().expect("URL"))
    }

    pub(crate) fn l2_provider(&self, rollup: u64) -> impl Provider + Clone + use<> {
        ProviderBuilder::default().connect_http(
            self.l2[rollup as usize - 1]
                .endpoint()
                .parse()
                .expect("URL"),
        )
    }

    /// The first slot starting at least two slots after the latest L1 block.
    pub(crate) async fn next_free_slot(&self) -> eyre::Result<Slot> {
        let latest = self
            .l1_provider()
            .get_block_by_number(Default::default())
            .await?
            .expect("latest block");
        let slot = self
            .spec
            .slot_at(latest.header.timestamp)
            .expect("after genesis");
        Ok(Slot(slot.0 + 2))
    }

    /// Sends `submitBatch(rollup, slot, txs)` from `from` into the pool (not mined).
    pub(crate) async fn send_batch(
        &self,
        from: &PrivateKeySigner,
        rollup: u64,
        slot: Slot,
        txs: Vec<Bytes>,
    ) -> eyre::Result<B256> {
        let provider = signer_provider(from, &self.l1.endpoint());
        let inbox = RollupInbox::new(self.deployed.rollup_inbox, &provider);
        let pending = inbox
            .submitBatch(rollup, slot.0, txs)
            .gas(20_000_000)
            .max_fee_per_gas(100_000_000_000)
            .max_priority_fee_per_gas(1_000_000_000)
            .send()
            .await?;
        Ok(*pending.tx_hash())
    }

    /// Mines the L1 block of `slot` with whatever the pool holds, and checks every listed
    /// transaction landed without reverting. Returns the block hash.
    pub(crate) async fn mine_slot(&self, slot: Slot, sent: &[B256]) -> eyre::Result<B256> {
        let provider = self.l1_provider();
        provider
            .anvil_set_next_block_timestamp(self.spec.slot_timestamp(slot))
            .await?;
        provider.anvil_mine(Some(1), None).await?;
        let block = provider
            .get_block_by_number(Default::default())
            .await?
            .expect("mined block");
        eyre::ensure!(
            block.header.timestamp == self.spec.slot_timestamp(slot),
            "block time"
        );
        for hash in sent {
            let receipt = provider
                .get_transaction_receipt(*hash)
                .await?
                .ok_or_else(|| eyre::eyre!("{hash} not mined"))?;
            eyre::ensure!(receipt.status(), "{hash} reverted");
            eyre::ensure!(
                receipt.block_hash == Some(block.header.hash),
                "{hash} in another block"
            );
        }
        Ok(block.header.hash)
    }
}

/// A signed EIP-1559 transfer on L2 chain `chain_id`.
pub(crate) fn l2_transfer(
    from: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: Address,
    value: U256,
) -> Bytes {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 2_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(to),
        value,
        ..Default::default()
    };
    let signature = from.sign_hash_sync(&tx.signature_hash()).expect("sign");
    let envelope: EthereumTxEnvelope<TxEip4844> = tx.into_signed(signature).into();
    envelope.encoded_2718().into()
}
