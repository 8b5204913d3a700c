//! The L1 inclusion game: a bonded dispute, defended with MPT proofs from the real block,
//! or with an account proof that the user spent its own nonce; undefended, it slashes.

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::eip2718::Encodable2718,
    primitives::{Address, B256, Bytes, TxKind, U256, keccak256},
    providers::{Provider, ext::AnvilApi},
    signers::{SignerSync, local::PrivateKeySigner},
};
use baton_contracts::ISlasher;
use baton_preconf::{Commitment, CommitmentKind, Slot, mpt::prove_transaction};

use crate::fixture::{World, to_sol};

/// `ISlasher.DisputeState` values (the ABI carries the enum as `uint8`).
const DEFENDED: u8 = 2;
const SLASHED: u8 = 3;

/// A signed 1559 transfer from `signer` with `nonce`, raw (EIP-2718).
fn transfer(signer: &PrivateKeySigner, chain_id: u64, nonce: u64, value: u64) -> Bytes {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(Address::repeat_byte(0x99)),
        value: U256::from(value),
        ..Default::default()
    };
    let sig = signer.sign_hash_sync(&tx.signature_hash()).expect("sign");
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
}

fn inclusion(world: &World, slot: u64, tx_hashes: Vec<B256>) -> Commitment {
    Commitment {
        kind: CommitmentKind::Inclusion,
        slot: Slot(slot),
        validator_pubkey: world.validator.public_key(),
        committer: world.committer.address(),
        request_id: keccak256(slot.to_be_bytes()),
        fee: U256::from(1_000u64),
        tx_hashes,
        placements: vec![],
    }
}

async fn open(world: &World, promise: &baton_preconf::SignedCommitment) -> eyre::Result<B256> {
    let (c, sig) = to_sol(promise);
    let slasher = world.slasher_as(&world.challenger);
    let receipt = slasher
        .openDispute(c, sig)
        .value(world.params.dispute_bond)
        .send()
        .await?
        .get_receipt()
        .await?;
    eyre::ensure!(receipt.status(), "openDispute reverted");
    eprintln!(
        "gas (full transaction): openDispute ({} tx) = {}",
        promise.commitment.tx_hashes.len(),
        receipt.gas_used
    );
    Ok(promise.commitment.digest(&world.domain))
}

#[tokio::test]
async fn kept_inclusion_promise_is_defended_with_mpt_proofs() -> eyre::Result<()> {
    let world = World::start().await?;
    let provider = world.provider(&world.user);
    let chain_id = world.anvil.chain_id();
    let nonce = provider.get_transaction_count(world.user.address()).await?;
    let bundle = [
        transfer(&world.user, chain_id, nonce, 1),
        transfer(&world.user, chain_id, nonce + 1, 2),
    ];
    let slot = world.future_slot(1).await?;
    let promise = world.sign(inclusion(
        &world,
        slot,
        bundle.iter().map(keccak256).collect(),
    ))?;

    // The bundle lands in the slot's block (with other traffic around it).
    provider.anvil_set_auto_mine(false).await?;
    let filler = transfer(
        &world.challenger,
        chain_id,
        provider
            .get_transaction_count(world.challenger.address())
            .await?,
        3,
    );
    for raw in [&filler, &bundle[0], &bundle[1]] {
        // Mined below, with the slot's block.
        let _pending = provider.send_raw_transaction(raw).await?;
    }
    provider
        .anvil_set_next_block_timestamp(world.slot_time(slot))
        .await?;
    provider.anvil_mine(Some(1), None).await?;
    provider.anvil_set_auto_mine(true).await?;
    let slot_block = provider.get_block_number().await?;
    // Disputes open strictly after the slot's time; estimation runs on the latest block.
    world.mine_at(world.slot_time(slot) + 1).await?;
    let (txs, transactions_root) = world.block_transactions(slot_block).await?;
    assert_eq!(txs.len(), 3);

    let digest = open(&world, &promise).await?;
    let inclusions: Vec<ISlasher::TxInclusion> = bundle
        .iter()
        .map(|raw| {
            let index = txs
                .iter()
                .position(|t| t == raw)
                .expect("promised tx in block");
            let proof = prove_transaction(&txs, index).expect("proof");
            proof
                .verify(transactions_root)
                .expect("proof verifies in Rust");
            ISlasher::TxInclusion {
                index: U256::from(index),
                proof: proof.nodes,
            }
        })
        .collect();

    let defender = world.slasher_as(&world.operator);
    let op = world.provider(&world.operator);
    let balance_before = op.get_balance(world.operator.address()).await?;
    let collateral_before = world.collateral().await?;
    let receipt = defender
        .defendInclusion(
            digest,
            promise.commitment.tx_hashes.clone(),
            world.header_rlp(slot_block).await?,
            inclusions,
        )
        .send()
        .await?
        .get_receipt()
        .await?;
    assert!(receipt.status(), "defence reverted");
    eprintln!(
        "gas (full transaction): defendInclusion (2-tx bundle, 3-tx block) = {}",
        receipt.gas_used
    );
    let dispute = world.slasher_as(&world.user).dispute(digest).call().await?;
    assert_eq!(dispute.state, DEFENDED);
    let gas = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(
        op.get_balance(world.operator.address()).await? + gas - balance_before,
        world.params.dispute_bond,
        "bond pays the defender"
    );
    assert_eq!(
        world.collateral().await?,
        collateral_before,
        "an honest operator loses nothing"
    );
    Ok(())
}

#[tokio::test]
async fn user_spent_nonce_is_a_defence_and_a_broken_promise_is_slashed() -> eyre::Result<()> {
    let world = World::start().await?;
    let provider = world.provider(&world.user);
    let chain_id = world.anvil.chain_id();
    let nonce = provider.get_transaction_count(world.user.address()).await?;
    let promised = transfer(&world.user, chain_id, nonce, 5);
    let slot = world.future_slot(2).await?;
    let user_fault = world.sign(inclusion(&world, slot, vec![keccak256(&promised)]))?;
    // A second promise in the same slot for a transaction that simply never lands.
    let stranger = PrivateKeySigner::random();
    let never = transfer(&stranger, chain_id, 0, 1);
    let broken = world.sign(inclusion(&world, slot, vec![keccak256(&never)]))?;

    // The user spends the promised nonce elsewhere before the slot.
    provider
        .send_raw_transaction(&transfer(&world.user, chain_id, nonce, 6))
        .await?
        .get_receipt()
        .await?;
    provider
        .anvil_set_next_block_timestamp(world.slot_time(slot))
        .await?;
    provider.anvil_mine(Some(1), None).await?;
    let slot_block = provider.get_block_number().await?;
    // Disputes open strictly after the slot's time; estimation runs on the latest block.
    world.mine_at(world.slot_time(slot) + 1).await?;

    let user_digest = open(&world, &user_fault).await?;
    let broken_digest = open(&world, &broken).await?;

    // Honest operator: the account proof at the parent state shows the nonce was used.
    let proof = provider
        .get_proof(world.user.address(), vec![])
        .block_id((slot_block - 1).into())
        .await?;
    assert!(proof.nonce > nonce);
    let defender = world.slasher_as(&world.operator);
    let receipt = defender
        .defendNonceSpent(
            user_digest,
            user_fault.commitment.tx_hashes.clone(),
            U256::ZERO,
            promised,
            world.header_rlp(slot_block).await?,
            world.header_rlp(slot_block - 1).await?,
            proof.account_proof,
        )
        .send()
        .await?
        .get_receipt()
        .await?;
    assert!(receipt.status(), "nonce defence reverted");
    eprintln!(
        "gas (full transaction): defendNonceSpent = {}",
        receipt.gas_used
    );
    let observer = world.slasher_as(&world.user);
    assert_eq!(observer.dispute(user_digest).call().await?.state, DEFENDED);

    // The broken promise cannot be resolved before the defence window closes...
    assert!(observer.resolveDispute(broken_digest).send().await.is_err());
    // ...and is slashed after it.
    provider
        .anvil_increase_time(world.params.defend_window + 1)
        .await?;
    provider.anvil_mine(Some(1), None).await?;
    let before = world.collateral().await?;
    let receipt = observer
        .resolveDispute(broken_digest)
        .send()
        .await?
        .get_receipt()
        .await?;
    assert!(receipt.status(), "resolveDispute reverted");
    eprintln!(
        "gas (full transaction): resolveDispute (slash) = {}",
        receipt.gas_used
    );
    assert_eq!(
        before - world.collateral().await?,
        world.params.safety_penalty
    );
    assert_eq!(observer.dispute(broken_digest).call().await?.state, SLASHED);
    Ok(())
}
