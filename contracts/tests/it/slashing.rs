//! The whole contract system on anvil: deploy in order, register an operator and a
//! validator (real BLS proof of possession), then slash an equivocation signed in Rust.

use alloy::{
    network::EthereumWallet,
    primitives::{B256, Bytes, U256, utils::parse_ether},
    providers::{Provider, ProviderBuilder, ext::AnvilApi},
    signers::local::PrivateKeySigner,
};
use baton_contracts::{DeployParams, ISlasher, Registry, Slasher, deploy_all};
use baton_preconf::{
    BatonDomain, BlsSecretKey, Commitment, CommitmentKind, Placement, Position, RollupId,
    SignedCommitment, Slot,
};
use baton_toolchain::{Anvil, AnvilOptions};

fn to_sol(signed: &SignedCommitment) -> (ISlasher::Commitment, Bytes) {
    let c = &signed.commitment;
    let commitment = ISlasher::Commitment {
        kind: c.kind.code(),
        slot: c.slot.0,
        validatorPubkey: c.validator_pubkey.0.to_vec().into(),
        committer: c.committer,
        requestId: c.request_id,
        fee: c.fee,
        txHashes: c.tx_hashes.clone(),
        placements: c
            .placements
            .iter()
            .map(|p| ISlasher::Placement {
                rollupId: p.rollup_id.0,
                position: p.position.0,
                txHash: p.tx_hash,
            })
            .collect(),
    };
    (commitment, signed.signature.to_bytes().to_vec().into())
}

#[tokio::test]
async fn equivocation_signed_in_rust_is_slashed_on_chain() -> eyre::Result<()> {
    let anvil = Anvil::spawn(&AnvilOptions::default())?;
    let deployer: PrivateKeySigner = Anvil::DEV_KEYS[0].parse()?;
    let operator: PrivateKeySigner = Anvil::DEV_KEYS[1].parse()?;
    let committer: PrivateKeySigner = Anvil::DEV_KEYS[2].parse()?;
    let challenger: PrivateKeySigner = Anvil::DEV_KEYS[3].parse()?;
    let connect = |key: &PrivateKeySigner| -> eyre::Result<_> {
        Ok(ProviderBuilder::new()
            .wallet(EthereumWallet::from(key.clone()))
            .connect_http(anvil.endpoint().parse()?))
    };
    let provider = connect(&deployer)?;
    let genesis = provider
        .get_block_by_number(Default::default())
        .await?
        .expect("block")
        .header
        .timestamp;
    let params = DeployParams::devnet(genesis, 12);
    let deployed = deploy_all(&provider, deployer.address(), &params).await?;

    let registry = Registry::new(deployed.registry, connect(&operator)?);
    assert_eq!(registry.slasher().call().await?, deployed.slasher);
    let slasher = Slasher::new(deployed.slasher, connect(&challenger)?);
    let domain = BatonDomain {
        chain_id: anvil.chain_id(),
        verifying_contract: deployed.slasher,
    };
    assert_eq!(
        slasher.domainSeparator().call().await?,
        domain.separator(),
        "EIP-712 domain differs"
    );

    // Operator registers with collateral and binds a validator key with a real PoP.
    let receipt = registry
        .registerOperator(committer.address())
        .value(parse_ether("10")?)
        .send()
        .await?
        .get_receipt()
        .await?;
    assert!(receipt.status());
    let validator = BlsSecretKey::from_ikm(&[0x5a; 32])?;
    let pop_message = registry.popMessage(committer.address()).call().await?;
    let pop = validator.sign_message(&pop_message);
    pop.verify_message(&validator.public_key(), &pop_message)?;
    let record: Vec<u8> = [validator.public_key().0.as_slice(), pop.0.as_slice()].concat();
    let receipt = registry
        .registerValidators(record.into())
        .send()
        .await?
        .get_receipt()
        .await?;
    assert!(receipt.status());
    // Keys count only after the fraud window.
    provider
        .anvil_increase_time(params.fraud_window + 1)
        .await?;
    provider.anvil_mine(Some(1), None).await?;
    let key_hash = validator.public_key().keccak();
    assert_eq!(
        registry.committerOf(key_hash).call().await?,
        committer.address()
    );

    // Two promises of position 0 of rollup 1 in slot 50, for different transactions.
    let promise = |tx: u8, request: u8| Commitment {
        kind: CommitmentKind::Sequencing,
        slot: Slot(50),
        validator_pubkey: validator.public_key(),
        committer: committer.address(),
        request_id: B256::repeat_byte(request),
        fee: U256::from(1_000u64),
        tx_hashes: vec![],
        placements: vec![Placement {
            rollup_id: RollupId(1),
            position: Position(0),
            tx_hash: B256::repeat_byte(tx),
        }],
    };
    let a = promise(0xaa, 1).sign(&committer, &domain)?;
    let b = promise(0xbb, 2).sign(&committer, &domain)?;
    let (ca, sa) = to_sol(&a);
    let (cb, sb) = to_sol(&b);
    assert_eq!(
        slasher.digestOf(ca.clone()).call().await?,
        a.commitment.digest(&domain)
    );

    let collateral_before = registry
        .operatorOf(operator.address())
        .call()
        .await?
        .collateral;
    let challenger_before = provider.get_balance(challenger.address()).await?;
    let receipt = slasher
        .slashEquivocation(
            ca.clone(),
            sa.clone(),
            U256::ZERO,
            cb.clone(),
            sb.clone(),
            U256::ZERO,
        )
        .send()
        .await?
        .get_receipt()
        .await?;
    assert!(receipt.status(), "equivocation slash reverted");
    let collateral_after = registry
        .operatorOf(operator.address())
        .call()
        .await?
        .collateral;
    assert_eq!(
        U256::from(collateral_before - collateral_after),
        params.safety_penalty,
        "safety penalty not taken"
    );
    let gas_cost = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    let reward = provider.get_balance(challenger.address()).await? + gas_cost - challenger_before;
    assert_eq!(
        reward,
        params.safety_penalty * U256::from(params.challenger_share_bps) / U256::from(10_000u64)
    );

    // The same evidence cannot be replayed.
    let replay = slasher
        .slashEquivocation(ca, sa, U256::ZERO, cb, sb, U256::ZERO)
        .send()
        .await;
    assert!(
        replay.is_err(),
        "replayed equivocation evidence must revert"
    );
    Ok(())
}
