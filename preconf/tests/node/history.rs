//! A scripted L1 history derived into rollup 1's L2: an opted-in slot, an open slot with
//! an invalid batch, a missed slot, invalid transactions inside batches, and a reorg. After
//! every step the derived transaction list and the L2 state are the expected ones.

use alloy::{
    primitives::{Address, B256, Bytes, U256, keccak256, utils::parse_ether},
    providers::{Provider, ext::AnvilApi},
};
use baton_preconf::{
    RollupId, Slot,
    derive::{TxInvalid, missed_slots},
    node::{NodeEvent, NodeHandle},
};

use crate::world::{L2_CHAINS, World, key, l2_transfer};

const DAVE: Address = Address::repeat_byte(0xda);

/// What rollup 1's L2 must look like.
async fn assert_l2(
    world: &World,
    handle: &NodeHandle,
    blocks: &[(Slot, Vec<B256>)],
    nonces: [u64; 3],
    dave_eth: u64,
) -> eyre::Result<()> {
    let derived = handle.derived_blocks(RollupId(1));
    let got: Vec<(Slot, Vec<B256>)> = derived
        .iter()
        .map(|b| (b.slot, b.transactions.clone()))
        .collect();
    assert_eq!(got, blocks, "derived blocks (slot, transactions)");
    let l2 = world.l2_provider(1);
    assert_eq!(
        l2.get_block_number().await?,
        blocks.len() as u64,
        "L2 height"
    );
    for (i, b) in derived.iter().enumerate() {
        let block = l2
            .get_block_by_number((i as u64 + 1).into())
            .await?
            .expect("L2 block");
        let hashes: Vec<B256> = block.transactions.hashes().collect();
        assert_eq!(
            hashes,
            b.transactions,
            "L2 block {} holds the derived transactions",
            i + 1
        );
        assert_eq!(
            block.header.timestamp,
            world.spec.slot_timestamp(b.slot),
            "L2 block time is the slot's"
        );
        assert_eq!(block.header.hash, b.hash);
    }
    for (i, expected) in nonces.into_iter().enumerate() {
        let account = key(5 + i).address();
        assert_eq!(
            l2.get_transaction_count(account).await?,
            expected,
            "nonce of L2 user {i}"
        );
    }
    assert_eq!(
        l2.get_balance(DAVE).await?,
        parse_ether(&dave_eth.to_string())?,
        "dave's L2 balance"
    );
    let safe = handle.safe_head(RollupId(1)).expect("followed");
    assert_eq!(safe.l2_number, blocks.len() as u64);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_history_opted_in_open_missed_invalid_and_reorg() -> eyre::Result<()> {
    let world = World::start().await?;
    let chain = L2_CHAINS[0];
    let (alice, bob, carol) = (key(5), key(6), key(7));
    let (committer, outsider, other) = (world.committer.clone(), key(3), key(4));
    let eth = |n: u64| parse_ether(&n.to_string()).unwrap();

    let s0 = world.next_free_slot().await?;
    let slot = |i: u64| Slot(s0.0 + i);
    // Opted-in slots: 0, 3 and 4. Slots 1 and 2 belong to a validator that never opted in.
    for i in [0, 3, 4] {
        world.beacon.set(slot(i), world.validator.public_key());
    }
    let (mut node, handle) = world.node(&[1]).await?;
    let mut events = handle.subscribe();

    // Setup blocks before the script: nothing derived.
    node.sync().await?;
    assert_l2(&world, &handle, &[], [0, 0, 0], 0).await?;

    // Slot 0, opted in: an outsider's batch comes first in the block but only the
    // committer's counts. Inside it, garbage and a nonce gap are skipped.
    let a0 = l2_transfer(&alice, chain, 0, DAVE, eth(1));
    let b0 = l2_transfer(&bob, chain, 0, DAVE, U256::ZERO);
    let a5 = l2_transfer(&alice, chain, 5, DAVE, eth(1));
    let garbage = Bytes::from_static(b"\x02not a transaction");
    let sent = vec![
        world
            .send_batch(
                &outsider,
                1,
                slot(0),
                vec![l2_transfer(&carol, chain, 0, DAVE, eth(50))],
            )
            .await?,
        world
            .send_batch(
                &committer,
                1,
                slot(0),
                vec![a0.clone(), b0.clone(), garbage, a5],
            )
            .await?,
    ];
    world.mine_slot(slot(0), &sent).await?;
    let report = node.sync().await?;
    assert_eq!(report.l2_blocks, 1);
    let mut expected = vec![(slot(0), vec![keccak256(&a0), keccak256(&b0)])];
    assert_l2(&world, &handle, &expected, [1, 1, 0], 1).await?;
    let first = &handle.derived_blocks(RollupId(1))[0];
    assert_eq!(first.submitter, committer.address());
    let skipped: Vec<_> = first
        .outcomes
        .iter()
        .filter_map(|o| o.skipped.clone())
        .collect();
    assert!(
        matches!(skipped[0], TxInvalid::Undecodable { .. }),
        "{skipped:?}"
    );
    assert_eq!(
        skipped[1],
        TxInvalid::NonceMismatch {
            expected: 1,
            got: 5
        }
    );

    // Slot 1, open: the first batch is invalid (an oversize transaction), so the second
    // (from anyone) is canonical and the committer's, third, is not.
    let a1 = l2_transfer(&alice, chain, 1, DAVE, eth(2));
    let sent = vec![
        world
            .send_batch(
                &outsider,
                1,
                slot(1),
                vec![Bytes::from(vec![0x02; 130 * 1024])],
            )
            .await?,
        world
            .send_batch(&other, 1, slot(1), vec![a1.clone()])
            .await?,
        world
            .send_batch(
                &committer,
                1,
                slot(1),
                vec![l2_transfer(&bob, chain, 1, DAVE, eth(7))],
            )
            .await?,
    ];
    world.mine_slot(slot(1), &sent).await?;
    node.sync().await?;
    expected.push((slot(1), vec![keccak256(&a1)]));
    assert_l2(&world, &handle, &expected, [2, 1, 0], 3).await?;
    assert_eq!(
        handle.derived_blocks(RollupId(1))[1].submitter,
        other.address()
    );

    // Slot 2 is missed (no L1 block); slot 3 is opted in, with a transaction for the other
    // rollup's chain that is skipped.
    let c0 = l2_transfer(&carol, chain, 0, DAVE, eth(1));
    let wrong_chain = l2_transfer(&carol, L2_CHAINS[1], 1, DAVE, eth(1));
    let fork_snapshot = world.l1_provider().anvil_snapshot().await?;
    let sent = vec![
        world
            .send_batch(&committer, 1, slot(3), vec![c0.clone(), wrong_chain])
            .await?,
    ];
    world.mine_slot(slot(3), &sent).await?;
    node.sync().await?;
    expected.push((slot(3), vec![keccak256(&c0)]));
    assert_l2(&world, &handle, &expected, [2, 1, 1], 4).await?;
    let third = &handle.derived_blocks(RollupId(1))[2];
    assert_eq!(
        third.outcomes[1].skipped,
        Some(TxInvalid::WrongChainId {
            expected: chain,
            got: L2_CHAINS[1]
        })
    );
    let missed = missed_slots(
        &world.spec,
        &handle.derived_blocks(RollupId(1))[1].l1,
        &third.l1,
    );
    assert!(missed.contains(slot(2)) && !missed.contains(slot(3)));

    // Reorg: slot 3's block is replaced by slot 4's, which carries other transactions.
    assert!(world.l1_provider().anvil_revert(fork_snapshot).await?);
    world.l1_provider().anvil_drop_all_transactions().await?;
    let c0b = l2_transfer(&carol, chain, 0, DAVE, eth(5));
    let b1 = l2_transfer(&bob, chain, 1, DAVE, U256::ZERO);
    let sent = vec![
        world
            .send_batch(&committer, 1, slot(4), vec![c0b.clone(), b1.clone()])
            .await?,
    ];
    world.mine_slot(slot(4), &sent).await?;
    let report = node.sync().await?;
    let (fork, depth) = report.reorg.expect("the reorg was noticed");
    assert_eq!(depth, 1);
    assert_eq!(fork.timestamp, world.spec.slot_timestamp(slot(1)));
    expected.pop();
    expected.push((slot(4), vec![keccak256(&c0b), keccak256(&b1)]));
    assert_l2(&world, &handle, &expected, [2, 2, 1], 8).await?;
    assert!(
        handle
            .metrics()
            .render()
            .contains("baton_node_reorgs_total 1")
    );

    // The event stream told the same story: four L2 blocks built, one reorg.
    let mut l2_blocks = 0;
    let mut reorgs = 0;
    while let Ok(event) = events.try_recv() {
        match event {
            NodeEvent::L2Block(_) => l2_blocks += 1,
            NodeEvent::Reorg { fork: f, .. } => {
                assert_eq!(f, fork);
                reorgs += 1;
            }
            NodeEvent::Promise(_) => {}
        }
    }
    assert_eq!((l2_blocks, reorgs), (4, 1));
    Ok(())
}
