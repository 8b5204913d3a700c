//! Promises the L1 does not honour: each kind of divergence reaches the event stream, the
//! verdict list and the metric, and a kept promise does not.

use alloy::primitives::{Address, keccak256, utils::parse_ether};
use baton_preconf::{
    RollupId, Slot,
    derive::Divergence,
    node::{NodeEvent, PromiseError},
};

use crate::{
    cross_rollup::promise,
    world::{L2_CHAINS, World, key, l2_transfer},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_promises_are_reported_as_divergence_events_and_metrics() -> eyre::Result<()> {
    let world = World::start().await?;
    let (alice, bob) = (key(5), key(6));
    let to = Address::repeat_byte(0xda);
    let s0 = world.next_free_slot().await?;
    let (landed, missed, after) = (s0, Slot(s0.0 + 1), Slot(s0.0 + 2));
    for s in [landed, missed, after] {
        world.beacon.set(s, world.validator.public_key());
    }
    let (mut node, handle) = world.node(&[1, 2]).await?;
    node.sync().await?;
    let mut events = handle.subscribe();

    let kept = l2_transfer(&alice, L2_CHAINS[0], 0, to, parse_ether("1")?);
    let promised_away = l2_transfer(&bob, L2_CHAINS[0], 0, to, parse_ether("1")?);
    let never_sealed = l2_transfer(&bob, L2_CHAINS[0], 1, to, parse_ether("1")?);
    let other_rollup = l2_transfer(&bob, L2_CHAINS[1], 0, to, parse_ether("1")?);
    let in_missed = l2_transfer(&alice, L2_CHAINS[0], 1, to, parse_ether("1")?);
    // Landed slot: position 0 is kept; position 1 was promised to one transaction but
    // holds another; position 2 is never filled; rollup 2 gets no batch at all.
    handle.add_commitment(&promise(&world, landed, &[(1, 0, keccak256(&kept))]))?;
    handle.add_commitment(&promise(
        &world,
        landed,
        &[
            (1, 1, keccak256(&promised_away)),
            (1, 2, keccak256(&never_sealed)),
            (2, 0, keccak256(&other_rollup)),
        ],
    ))?;
    // A slot that will have no L1 block.
    handle.add_commitment(&promise(&world, missed, &[(1, 0, keccak256(&in_missed))]))?;
    assert_eq!(handle.soft_head(RollupId(1)).unwrap().pending.len(), 4);
    assert_eq!(handle.soft_head(RollupId(2)).unwrap().pending.len(), 1);

    // A commitment not signed by its committer is refused.
    let mut forged = promise(&world, after, &[(1, 0, keccak256(&kept))]);
    forged.commitment.committer = Address::repeat_byte(1);
    assert!(handle.add_commitment(&forged).is_err());

    let usurper = l2_transfer(&alice, L2_CHAINS[0], 1, to, parse_ether("2")?);
    let sent = vec![
        world
            .send_batch(
                &world.committer,
                1,
                landed,
                vec![kept.clone(), usurper.clone()],
            )
            .await?,
    ];
    world.mine_slot(landed, &sent).await?;
    node.sync().await?;
    let mut verdicts: Vec<_> = handle
        .judged()
        .iter()
        .map(|j| (j.promise.rollup_id, j.promise.position.0, j.divergence))
        .collect();
    verdicts.sort_by_key(|v| (v.0, v.1));
    assert_eq!(
        verdicts,
        vec![
            (RollupId(1), 0, None),
            (
                RollupId(1),
                1,
                Some(Divergence::OtherTransaction {
                    actual: keccak256(&usurper)
                })
            ),
            (RollupId(1), 2, Some(Divergence::PositionEmpty { count: 2 })),
            (RollupId(2), 0, Some(Divergence::NoBatch)),
        ]
    );
    // The missed slot is decided by the next block.
    assert_eq!(handle.soft_head(RollupId(1)).unwrap().pending.len(), 1);
    world.mine_slot(after, &[]).await?;
    node.sync().await?;
    let last = handle.judged().last().copied().unwrap();
    assert_eq!(
        (last.promise.slot, last.divergence),
        (missed, Some(Divergence::SlotMissed))
    );
    assert!(handle.soft_head(RollupId(1)).unwrap().pending.is_empty());
    // A promise arriving after its slot was decided is judged at once; one for a slot
    // before the node's memory is refused.
    let late = handle.add_commitment(&promise(&world, missed, &[(1, 3, keccak256(&kept))]))?;
    assert_eq!(late[0].divergence, Some(Divergence::SlotMissed));
    assert!(matches!(
        handle.add_commitment(&promise(
            &world,
            Slot(s0.0 - 1),
            &[(1, 0, keccak256(&kept))]
        )),
        Err(baton_preconf::node::AddPromiseError::Promise(
            PromiseError::TooOld { .. }
        ))
    ));

    // Events and metrics agree: 4 divergences on the chain, 1 more judged late, 1 kept.
    let mut divergences = 0;
    let mut kept_count = 0;
    while let Ok(event) = events.try_recv() {
        if let NodeEvent::Promise(judged) = event {
            match judged.divergence {
                Some(_) => divergences += 1,
                None => kept_count += 1,
            }
        }
    }
    assert_eq!((divergences, kept_count), (5, 1));
    assert_eq!(handle.metrics().divergences_total(), 5);
    let text = handle.metrics().render();
    for line in [
        "baton_node_divergences_total{reason=\"slot_missed\"} 2",
        "baton_node_divergences_total{reason=\"no_batch\"} 1",
        "baton_node_divergences_total{reason=\"position_empty\"} 1",
        "baton_node_divergences_total{reason=\"other_transaction\"} 1",
        "baton_node_promises_kept_total 1",
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
    Ok(())
}
