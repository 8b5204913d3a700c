//! `RollupNode::run`: the loop a deployment uses follows new L1 blocks on its own and
//! stops when told.

use std::time::{Duration, Instant};

use alloy::primitives::{Address, keccak256, utils::parse_ether};
use baton_preconf::{RollupId, node::NodeEvent};

use crate::world::{L2_CHAINS, World, key, l2_transfer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_follows_new_l1_blocks_until_shut_down() -> eyre::Result<()> {
    let world = World::start().await?;
    let slot = world.next_free_slot().await?;
    let (node, handle) = world.node(&[1]).await?;
    let mut events = handle.subscribe();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(node.run(async move {
        let _ = stopped.await;
    }));

    let tx = l2_transfer(
        &key(5),
        L2_CHAINS[0],
        0,
        Address::repeat_byte(0xda),
        parse_ether("1")?,
    );
    let sent = vec![world.send_batch(&key(4), 1, slot, vec![tx.clone()]).await?];
    world.mine_slot(slot, &sent).await?;

    // The loop derives the block by itself (it polls every 200 ms).
    let started = Instant::now();
    let derived = loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await?? {
            NodeEvent::L2Block(block) => break block,
            _ => continue,
        }
    };
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        (derived.slot, derived.transactions.clone()),
        (slot, vec![keccak256(&tx)])
    );
    assert_eq!(handle.safe_head(RollupId(1)).unwrap().l2_number, 1);

    stop.send(()).ok();
    tokio::time::timeout(Duration::from_secs(5), running).await??;
    Ok(())
}
