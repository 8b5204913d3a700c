//! A cross-rollup bundle: one promise over positions in both rollups' batches of a slot,
//! shown on both soft heads, then derived into both rollups from the same L1 block.

use alloy::{
    primitives::{Address, B256, U256, keccak256, utils::parse_ether},
    providers::Provider,
};
use baton_preconf::{
    Commitment, CommitmentKind, Placement, Position, RollupId, Slot, node::NodeHandle,
};
use serde_json::{Value, json};

use crate::world::{L2_CHAINS, World, key, l2_transfer};

const DAVE: Address = Address::repeat_byte(0xda);

/// Signs, as the committer, a sequencing promise for `placements` in `slot`.
pub(crate) fn promise(
    world: &World,
    slot: Slot,
    placements: &[(u64, u64, B256)],
) -> baton_preconf::SignedCommitment {
    Commitment {
        kind: CommitmentKind::Sequencing,
        slot,
        validator_pubkey: world.validator.public_key(),
        committer: world.committer.address(),
        request_id: keccak256(slot.0.to_be_bytes()),
        fee: U256::ZERO,
        tx_hashes: vec![],
        placements: placements
            .iter()
            .map(|&(rollup, position, tx_hash)| Placement {
                rollup_id: RollupId(rollup),
                position: Position(position),
                tx_hash,
            })
            .collect(),
    }
    .sign(&world.committer, &world.domain)
    .expect("sign")
}

/// Serves the node's JSON-RPC on a free port; returns its URL.
async fn serve(handle: &NodeHandle) -> eyre::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(baton_preconf::node::serve(
        listener,
        handle.clone(),
        std::future::pending(),
    ));
    Ok(url)
}

async fn rpc(url: &str, method: &str, params: Value) -> eyre::Result<Value> {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    Ok(alloy::transports::http::reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await?
        .json()
        .await?)
}

fn origin_and_txs(handle: &NodeHandle, rollup: u64) -> Vec<(B256, Slot, Vec<B256>)> {
    handle
        .derived_blocks(RollupId(rollup))
        .into_iter()
        .map(|b| (b.l1.hash, b.slot, b.transactions))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_rollup_bundle_lands_in_both_rollups_from_the_same_l1_block() -> eyre::Result<()> {
    let world = World::start().await?;
    let alice = key(5);
    let s0 = world.next_free_slot().await?;
    let opted_in = s0;
    let open = Slot(s0.0 + 1);
    world.beacon.set(opted_in, world.validator.public_key());
    world.beacon.set(open, world.outsider_validator);
    let (mut node, handle) = world.node(&[1, 2]).await?;
    node.sync().await?;

    // The bundle: alice pays dave on both rollups, promised at position 0 of each batch.
    let on_1 = l2_transfer(&alice, L2_CHAINS[0], 0, DAVE, parse_ether("1")?);
    let on_2 = l2_transfer(&alice, L2_CHAINS[1], 0, DAVE, parse_ether("2")?);
    let signed = promise(
        &world,
        opted_in,
        &[(1, 0, keccak256(&on_1)), (2, 0, keccak256(&on_2))],
    );
    // Handed in and read back over the node's JSON-RPC.
    let url = serve(&handle).await?;
    let added = rpc(&url, "baton_addCommitment", json!([signed])).await?;
    assert_eq!(added["result"], json!([]), "slot not decided yet: {added}");
    for (rollup, tx) in [(1, &on_1), (2, &on_2)] {
        let served = rpc(&url, "baton_softHead", json!([rollup.to_string()])).await?;
        let soft = handle.soft_head(RollupId(rollup)).unwrap();
        assert_eq!(
            served["result"],
            serde_json::to_value(&soft)?,
            "served soft head"
        );
        assert_eq!(soft.safe.l2_number, 0);
        let pending: Vec<_> = soft
            .pending
            .iter()
            .map(|p| (p.slot, p.position, p.tx_hash))
            .collect();
        assert_eq!(
            pending,
            vec![(opted_in, Position(0), keccak256(tx))],
            "rollup {rollup} soft head"
        );
    }
    let unknown = rpc(&url, "baton_softHead", json!(["7"])).await?;
    assert_eq!(unknown["error"]["code"], 2001, "{unknown}");

    // The committer seals both batches into the slot's block.
    let sent = vec![
        world
            .send_batch(&world.committer, 1, opted_in, vec![on_1.clone()])
            .await?,
        world
            .send_batch(&world.committer, 2, opted_in, vec![on_2.clone()])
            .await?,
    ];
    let l1_block = world.mine_slot(opted_in, &sent).await?;
    let report = node.sync().await?;
    assert_eq!(report.l2_blocks, 2);
    assert_eq!(
        origin_and_txs(&handle, 1),
        vec![(l1_block, opted_in, vec![keccak256(&on_1)])]
    );
    assert_eq!(
        origin_and_txs(&handle, 2),
        vec![(l1_block, opted_in, vec![keccak256(&on_2)])]
    );
    for (rollup, eth) in [(1, "1"), (2, "2")] {
        assert_eq!(
            world.l2_provider(rollup).get_balance(DAVE).await?,
            parse_ether(eth)?
        );
        let soft = handle.soft_head(RollupId(rollup)).unwrap();
        assert!(soft.pending.is_empty(), "the promise left the soft head");
        assert_eq!(soft.safe.origin.map(|o| o.hash), Some(l1_block));
    }
    let judged = handle.judged();
    assert_eq!(judged.len(), 2);
    assert!(
        judged
            .iter()
            .all(|j| j.divergence.is_none() && j.decided_by.hash == l1_block)
    );
    let metrics = alloy::transports::http::reqwest::get(format!("{url}/metrics"))
        .await?
        .text()
        .await?;
    assert!(
        metrics.contains("baton_node_promises_kept_total 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("baton_node_l2_blocks_total 2"),
        "{metrics}"
    );
    let verdicts = rpc(&url, "baton_promiseVerdicts", json!([])).await?;
    assert_eq!(verdicts["result"], serde_json::to_value(&judged)?);

    // The same in an open slot, sealed by anyone: both batches from one submitter.
    let again_1 = l2_transfer(&alice, L2_CHAINS[0], 1, DAVE, parse_ether("3")?);
    let again_2 = l2_transfer(&alice, L2_CHAINS[1], 1, DAVE, parse_ether("4")?);
    let anyone = key(8);
    let sent = vec![
        world
            .send_batch(&anyone, 2, open, vec![again_2.clone()])
            .await?,
        world
            .send_batch(&anyone, 1, open, vec![again_1.clone()])
            .await?,
    ];
    let l1_block_2 = world.mine_slot(open, &sent).await?;
    node.sync().await?;
    let second = |rollup| origin_and_txs(&handle, rollup).last().cloned().unwrap();
    assert_eq!(second(1), (l1_block_2, open, vec![keccak256(&again_1)]));
    assert_eq!(second(2), (l1_block_2, open, vec![keccak256(&again_2)]));
    assert_eq!(
        world.l2_provider(1).get_balance(DAVE).await?,
        parse_ether("4")?
    );
    assert_eq!(
        world.l2_provider(2).get_balance(DAVE).await?,
        parse_ether("6")?
    );
    Ok(())
}
