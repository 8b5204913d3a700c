//! A deployed, populated contract system on a fresh anvil: one operator with collateral,
//! its committer, one validator key bound with a real proof of possession, a challenger
//! and a wallet user. Shared by the slashing scenarios.

use alloy::{
    consensus::Header,
    eips::eip2718::Encodable2718,
    network::EthereumWallet,
    primitives::{B256, Bytes, U256, keccak256, utils::parse_ether},
    providers::{Provider, ProviderBuilder, ext::AnvilApi},
    rlp::Encodable,
    signers::local::PrivateKeySigner,
    sol_types::SolValue,
};
use baton_contracts::{DeployParams, Deployed, ISlasher, Registry, Slasher, deploy_all};
use baton_preconf::{BatonDomain, BlsSecretKey, Commitment, SignedCommitment};
use baton_toolchain::{Anvil, AnvilOptions};

pub(crate) const SECONDS_PER_SLOT: u64 = 12;

pub(crate) struct World {
    pub(crate) anvil: Anvil,
    pub(crate) params: DeployParams,
    pub(crate) deployed: Deployed,
    pub(crate) operator: PrivateKeySigner,
    pub(crate) committer: PrivateKeySigner,
    pub(crate) challenger: PrivateKeySigner,
    pub(crate) user: PrivateKeySigner,
    pub(crate) validator: BlsSecretKey,
    pub(crate) domain: BatonDomain,
}

/// A provider signing as `key`, reading the nonce from the node before every send (tests
/// send transactions that revert at estimation; a cached nonce would leave a gap).
pub(crate) fn provider_for(key: &PrivateKeySigner, anvil: &Anvil) -> impl Provider + Clone + use<> {
    ProviderBuilder::default()
        .with_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(EthereumWallet::from(key.clone()))
        .connect_http(anvil.endpoint().parse().expect("anvil URL"))
}

impl World {
    pub(crate) async fn start() -> eyre::Result<Self> {
        let anvil = Anvil::spawn(&AnvilOptions::default())?;
        let key = |i: usize| -> eyre::Result<PrivateKeySigner> { Ok(Anvil::DEV_KEYS[i].parse()?) };
        let (deployer, operator, committer, challenger, user) =
            (key(0)?, key(1)?, key(2)?, key(3)?, key(4)?);
        let provider = provider_for(&deployer, &anvil);
        let genesis = provider
            .get_block_by_number(Default::default())
            .await?
            .expect("block")
            .header
            .timestamp;
        let params = DeployParams::devnet(genesis, SECONDS_PER_SLOT);
        let deployed = deploy_all(&provider, deployer.address(), &params).await?;
        let domain = BatonDomain {
            chain_id: anvil.chain_id(),
            verifying_contract: deployed.slasher,
        };

        let registry = Registry::new(deployed.registry, provider_for(&operator, &anvil));
        let receipt = registry
            .registerOperator(committer.address())
            .value(parse_ether("10")?)
            .send()
            .await?
            .get_receipt()
            .await?;
        eyre::ensure!(receipt.status(), "registerOperator reverted");
        let validator = BlsSecretKey::from_ikm(&[0x5a; 32])?;
        let pop_message = registry.popMessage(committer.address()).call().await?;
        let pop = validator.sign_message(&pop_message);
        let record: Vec<u8> = [validator.public_key().0.as_slice(), pop.0.as_slice()].concat();
        let receipt = registry
            .registerValidators(record.into())
            .send()
            .await?
            .get_receipt()
            .await?;
        eyre::ensure!(receipt.status(), "registerValidators reverted");
        // Keys count only after the fraud window.
        provider
            .anvil_increase_time(params.fraud_window + 1)
            .await?;
        provider.anvil_mine(Some(1), None).await?;
        eyre::ensure!(
            registry
                .committerOf(validator.public_key().keccak())
                .call()
                .await?
                == committer.address(),
            "validator key not active"
        );
        Ok(Self {
            anvil,
            params,
            deployed,
            operator,
            committer,
            challenger,
            user,
            validator,
            domain,
        })
    }

    pub(crate) fn provider(&self, key: &PrivateKeySigner) -> impl Provider + Clone + use<> {
        provider_for(key, &self.anvil)
    }

    pub(crate) fn slasher_as(
        &self,
        key: &PrivateKeySigner,
    ) -> Slasher::SlasherInstance<impl Provider + Clone + use<>> {
        Slasher::new(self.deployed.slasher, self.provider(key))
    }

    pub(crate) async fn collateral(&self) -> eyre::Result<U256> {
        let registry = Registry::new(self.deployed.registry, self.provider(&self.operator));
        Ok(U256::from(
            registry
                .operatorOf(self.operator.address())
                .call()
                .await?
                .collateral,
        ))
    }

    /// The timestamp of `slot` in the contracts' clock.
    pub(crate) const fn slot_time(&self, slot: u64) -> u64 {
        self.params.genesis_time + slot * SECONDS_PER_SLOT
    }

    /// The first slot whose start is at least `margin` slots after the latest block.
    pub(crate) async fn future_slot(&self, margin: u64) -> eyre::Result<u64> {
        let latest = self
            .provider(&self.user)
            .get_block_by_number(Default::default())
            .await?
            .expect("block");
        Ok((latest.header.timestamp - self.params.genesis_time) / SECONDS_PER_SLOT + 1 + margin)
    }

    /// Mines one empty block at exactly `timestamp` (anvil may otherwise repeat a timestamp
    /// when blocks follow each other within a second).
    pub(crate) async fn mine_at(&self, timestamp: u64) -> eyre::Result<u64> {
        let provider = self.provider(&self.user);
        provider.anvil_set_next_block_timestamp(timestamp).await?;
        provider.anvil_mine(Some(1), None).await?;
        Ok(provider.get_block_number().await?)
    }

    /// Signs `commitment` as the committer.
    pub(crate) fn sign(&self, commitment: Commitment) -> eyre::Result<SignedCommitment> {
        Ok(commitment.sign(&self.committer, &self.domain)?)
    }

    /// The RLP header of block `number`, checked against the node's block hash.
    pub(crate) async fn header_rlp(&self, number: u64) -> eyre::Result<Bytes> {
        let block = self
            .provider(&self.user)
            .get_block_by_number(number.into())
            .await?
            .expect("block");
        let header: Header = block.header.inner.clone();
        let mut rlp = Vec::new();
        header.encode(&mut rlp);
        eyre::ensure!(
            keccak256(&rlp) == block.header.hash,
            "re-encoded header of block {number} hashes differently"
        );
        Ok(rlp.into())
    }

    /// Block `number`'s canonical (EIP-2718) transactions and its transactions root.
    pub(crate) async fn block_transactions(&self, number: u64) -> eyre::Result<(Vec<Bytes>, B256)> {
        let block = self
            .provider(&self.user)
            .get_block_by_number(number.into())
            .full()
            .await?
            .expect("block");
        let root = block.header.transactions_root;
        let txs = block
            .transactions
            .into_transactions()
            .map(|tx| Bytes::from(tx.inner.into_inner().encoded_2718()))
            .collect();
        Ok((txs, root))
    }
}

/// The Solidity form of a signed commitment: `baton-preconf`'s EIP-712 struct and the
/// Slasher's `ISlasher.Commitment` share one ABI layout, so the conversion is an ABI round
/// trip (which also checks that the layouts agree).
pub(crate) fn to_sol(signed: &SignedCommitment) -> (ISlasher::Commitment, Bytes) {
    let encoded = signed.commitment.to_eip712().abi_encode();
    let commitment = ISlasher::Commitment::abi_decode(&encoded).expect("same ABI layout");
    (commitment, signed.signature.to_bytes().to_vec().into())
}
