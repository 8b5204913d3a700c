//! Paths with no game: equivocation, a broken sequencing promise, a missed slot.

use alloy::{
    primitives::{B256, Bytes, U256, keccak256},
    providers::{Provider, ext::AnvilApi},
};
use baton_contracts::{Registry, RollupInbox};
use baton_preconf::{BatchTree, Commitment, CommitmentKind, Placement, Position, RollupId, Slot};

use crate::fixture::{World, to_sol};

fn sequencing(world: &World, slot: u64, request: u8, placements: Vec<Placement>) -> Commitment {
    Commitment {
        kind: CommitmentKind::Sequencing,
        slot: Slot(slot),
        validator_pubkey: world.validator.public_key(),
        committer: world.committer.address(),
        request_id: B256::repeat_byte(request),
        fee: U256::from(1_000u64),
        tx_hashes: vec![],
        placements,
    }
}

fn at(rollup: u64, position: u64, tx_hash: B256) -> Placement {
    Placement {
        rollup_id: RollupId(rollup),
        position: Position(position),
        tx_hash,
    }
}

#[tokio::test]
async fn equivocation_signed_in_rust_is_slashed_on_chain() -> eyre::Result<()> {
    let world = World::start().await?;
    let slasher = world.slasher_as(&world.challenger);
    let registry = Registry::new(world.deployed.registry, world.provider(&world.operator));
    assert_eq!(registry.slasher().call().await?, world.deployed.slasher);
    assert_eq!(
        slasher.domainSeparator().call().await?,
        world.domain.separator(),
        "EIP-712 domain differs"
    );

    let a = world.sign(sequencing(
        &world,
        50,
        1,
        vec![at(1, 0, B256::repeat_byte(0xaa))],
    ))?;
    let b = world.sign(sequencing(
        &world,
        50,
        2,
        vec![at(1, 0, B256::repeat_byte(0xbb))],
    ))?;
    let (ca, sa) = to_sol(&a);
    let (cb, sb) = to_sol(&b);
    assert_eq!(
        slasher.digestOf(ca.clone()).call().await?,
        a.commitment.digest(&world.domain)
    );

    let before = world.collateral().await?;
    let provider = world.provider(&world.challenger);
    let balance_before = provider.get_balance(world.challenger.address()).await?;
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
    eprintln!(
        "gas (full transaction): slashEquivocation = {}",
        receipt.gas_used
    );
    assert_eq!(
        before - world.collateral().await?,
        world.params.safety_penalty
    );
    let gas = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    let reward = provider.get_balance(world.challenger.address()).await? + gas - balance_before;
    assert_eq!(
        reward,
        world.params.safety_penalty * U256::from(world.params.challenger_share_bps)
            / U256::from(10_000u64)
    );

    // The same evidence cannot be replayed.
    assert!(
        slasher
            .slashEquivocation(ca, sa, U256::ZERO, cb, sb, U256::ZERO)
            .send()
            .await
            .is_err()
    );
    Ok(())
}

#[tokio::test]
async fn broken_sequencing_promise_is_slashed_and_a_kept_one_is_not() -> eyre::Result<()> {
    let world = World::start().await?;
    let provider = world.provider(&world.committer);
    // A rollup to sequence.
    let inbox = RollupInbox::new(
        world.deployed.rollup_inbox,
        world.provider(&world.committer),
    );
    inbox
        .registerRollup(167_001, "alpha".into())
        .send()
        .await?
        .get_receipt()
        .await?;

    // Promised: x at position 0 and y at position 1. The committer's batch holds [z, y].
    let (x, y, z) = (
        Bytes::from_static(b"rollup tx x"),
        Bytes::from_static(b"rollup tx y"),
        Bytes::from_static(b"rollup tx z"),
    );
    let slot = world.future_slot(1).await?;
    let promise = world.sign(sequencing(
        &world,
        slot,
        7,
        vec![at(1, 0, keccak256(&x)), at(1, 1, keccak256(&y))],
    ))?;
    provider
        .anvil_set_next_block_timestamp(world.slot_time(slot))
        .await?;
    let receipt = inbox
        .submitBatch(1, slot, vec![z.clone(), y.clone()])
        .send()
        .await?
        .get_receipt()
        .await?;
    assert!(receipt.status());
    // Slashing needs the slot to be over; estimation runs on the latest block.
    world.mine_at(world.slot_time(slot) + 1).await?;
    let hashes = [keccak256(&z), keccak256(&y)];
    let tree = BatchTree::new(&hashes)?;
    assert_eq!(
        inbox
            .batchOf(1, slot, world.committer.address())
            .call()
            .await?
            .root,
        tree.root()
    );

    let slasher = world.slasher_as(&world.challenger);
    let (c, sig) = to_sol(&promise);
    // Leg 1 (y at position 1) was kept: no slash.
    let kept = tree.prove(Position(1)).expect("position 1");
    let err = slasher
        .slashSequencing(
            c.clone(),
            sig.clone(),
            U256::from(1),
            hashes[1],
            kept.siblings,
        )
        .send()
        .await;
    assert!(err.is_err(), "a kept promise must not be slashable");

    // Leg 0 (x at position 0) was broken: z is there.
    let before = world.collateral().await?;
    let broken = tree.prove(Position(0)).expect("position 0");
    let receipt = slasher
        .slashSequencing(
            c.clone(),
            sig.clone(),
            U256::ZERO,
            hashes[0],
            broken.siblings.clone(),
        )
        .send()
        .await?
        .get_receipt()
        .await?;
    assert!(receipt.status(), "broken sequencing promise not slashed");
    eprintln!(
        "gas (full transaction): slashSequencing (2-tx batch) = {}",
        receipt.gas_used
    );
    assert_eq!(
        before - world.collateral().await?,
        world.params.safety_penalty
    );
    assert!(
        slasher
            .slashSequencing(c, sig, U256::ZERO, hashes[0], broken.siblings)
            .send()
            .await
            .is_err(),
        "replay"
    );
    Ok(())
}

#[tokio::test]
async fn missed_slot_is_a_liveness_penalty_only() -> eyre::Result<()> {
    let world = World::start().await?;
    let provider = world.provider(&world.user);
    let slot = world.future_slot(1).await?;
    let promise = world.sign(Commitment {
        kind: CommitmentKind::Inclusion,
        tx_hashes: vec![B256::repeat_byte(0x42)],
        placements: vec![],
        ..sequencing(&world, slot, 9, vec![])
    })?;
    // No block at the slot's time: one a second before, the next a second after.
    provider
        .anvil_set_next_block_timestamp(world.slot_time(slot) - 1)
        .await?;
    provider.anvil_mine(Some(1), None).await?;
    let before_number = provider.get_block_number().await?;
    provider
        .anvil_set_next_block_timestamp(world.slot_time(slot) + 1)
        .await?;
    provider.anvil_mine(Some(1), None).await?;

    let slasher = world.slasher_as(&world.challenger);
    let (c, sig) = to_sol(&promise);
    let before = world.collateral().await?;
    let receipt = slasher
        .slashLiveness(
            c.clone(),
            sig.clone(),
            world.header_rlp(before_number).await?,
            world.header_rlp(before_number + 1).await?,
        )
        .send()
        .await?
        .get_receipt()
        .await?;
    assert!(receipt.status(), "liveness penalty reverted");
    eprintln!(
        "gas (full transaction): slashLiveness = {}",
        receipt.gas_used
    );
    let taken = before - world.collateral().await?;
    assert_eq!(taken, world.params.liveness_penalty);
    assert!(taken < world.params.safety_penalty);
    // Never both: the same missed slot cannot be charged again.
    let again = slasher
        .slashLiveness(
            c,
            sig,
            world.header_rlp(before_number).await?,
            world.header_rlp(before_number + 1).await?,
        )
        .send()
        .await;
    assert!(again.is_err(), "a missed slot is charged once");
    Ok(())
}
