//! Issue 11's scenarios 1 and 2 on a whole devnet: an L1 inclusion promise lands in its
//! slot's block; rollup promises on two rollups and a cross-rollup bundle get their
//! positions, and both rollups derive the bundle from the same L1 block.

use std::time::{Duration, Instant};

use alloy::providers::Provider;
use alloy_primitives::{Address, keccak256};
use baton_devnet::{
    StartFaults, demo,
    world::{FIRST_WALLET, dev_signer},
};
use baton_preconf::{
    RollupId,
    client::{L1View, Outcome},
};

use crate::support::Scenario;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_1_an_inclusion_promise_is_signed_at_once_and_lands_in_its_slot()
-> eyre::Result<()> {
    let started = Instant::now();
    let s = Scenario::start("inclusion", StartFaults::default()).await?;
    let info = s.info().clone();
    let signer = dev_signer(FIRST_WALLET)?;
    let wallet = demo::wallet_at(&info, signer.clone(), &info.sidecars[0].rpc_url)?;
    let slot = demo::slot_ahead(&info, 0, Duration::from_secs(2)).await?;
    let nonce = demo::nonce(&info.l1_rpc, signer.address()).await?;
    let tx = demo::transfer(&signer, info.l1_chain_id, nonce, Address::repeat_byte(0xe1))?;
    let asked = Instant::now();
    // The wallet client verifies the committer's EIP-712 signature, the request id, the
    // slot, the transactions, and the Registry's binding of committer to validator.
    let promise = wallet.include(slot, vec![tx.clone()]).await?;
    let latency = asked.elapsed();
    // And again by hand, with the preconf crate alone.
    promise
        .signed
        .verify_for(&s.domain(), promise.request_id, slot)?;
    assert_eq!(
        promise.signed.commitment.committer,
        info.sidecars[0].committer
    );
    let Outcome::Kept { block } = wallet.track(&promise, Duration::from_millis(250)).await? else {
        eyre::bail!("promise broken\n{}", s.evidence(slot, &promise.signed));
    };
    let reader = s.reader()?;
    let receipt = s.receipt(keccak256(&tx)).await?;
    assert_eq!(receipt.block_number, Some(block));
    let header = reader
        .get_block_by_number(block.into())
        .await?
        .ok_or_else(|| eyre::eyre!("no block {block}"))?
        .header;
    assert_eq!(
        header.timestamp,
        info.genesis_time + slot.0 * info.seconds_per_slot,
        "the block is the promised slot's"
    );
    eprintln!(
        "scenario 1: promise signed in {:.1} ms (request to verified answer, debug build); landed in slot {slot}, block {block}; {:.1} s",
        latency.as_secs_f64() * 1e3,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_2_two_rollups_and_a_bundle_get_their_positions_from_one_l1_block()
-> eyre::Result<()> {
    let started = Instant::now();
    let s = Scenario::start("sequencing", StartFaults::default()).await?;
    let info = s.info().clone();
    let slot = demo::slot_ahead(&info, 1, Duration::from_secs(3)).await?;
    // Wallet 1 on rollup 1, wallet 2 on rollup 2, wallet 3 a bundle on both, same slot.
    let plan: [(usize, &[usize]); 3] = [(1, &[0]), (2, &[1]), (3, &[0, 1])];
    let mut promises = Vec::new();
    for (wallet_index, rollups) in plan {
        let signer = dev_signer(FIRST_WALLET + wallet_index)?;
        let wallet = demo::wallet_at(&info, signer.clone(), &info.sidecars[1].rpc_url)?;
        let mut txs = Vec::new();
        for &r in rollups {
            let rollup = &info.rollups[r];
            let nonce = demo::nonce(&rollup.l2_rpc, signer.address()).await?;
            let tx = demo::transfer(
                &signer,
                rollup.l2_chain_id,
                nonce,
                Address::repeat_byte(0xe2),
            )?;
            txs.push((RollupId(rollup.id), tx));
        }
        let promise = wallet.sequence(slot, txs.clone()).await?;
        promises.push((wallet, promise, txs));
    }
    let l1 = L1View::connect(
        &info.l1_rpc,
        info.contracts.registry,
        info.contracts.rollup_inbox,
        demo::chain(&info),
    )?;
    let committer = info.sidecars[1].committer;
    let mut slot_block = None;
    for (wallet, promise, txs) in &promises {
        let Outcome::Kept { block } = wallet.track(promise, Duration::from_millis(250)).await?
        else {
            eyre::bail!("promise broken\n{}", s.evidence(slot, &promise.signed));
        };
        assert!(
            slot_block.is_none_or(|b| b == block),
            "one L1 block for the slot"
        );
        slot_block = Some(block);
        for (placement, (rollup, tx)) in promise.signed.commitment.placements.iter().zip(txs) {
            // The batch the inbox recorded for (rollup, slot, committer) holds the
            // transaction at the promised position, in the slot's block.
            let (batch_block, hashes) = l1
                .batch(*rollup, slot, committer)
                .await?
                .ok_or_else(|| eyre::eyre!("no batch for rollup {rollup} in slot {slot}"))?;
            assert_eq!(batch_block, block);
            let at = usize::try_from(placement.position.0)?;
            assert_eq!(
                hashes.get(at),
                Some(&keccak256(tx)),
                "position {at} of rollup {rollup}"
            );
            // The rollup node derived it into the rollup's L2.
            let l2 = info
                .rollups
                .iter()
                .find(|r| r.id == rollup.0)
                .ok_or_else(|| eyre::eyre!("unknown rollup"))?;
            let l2_block = demo::l2_receipt(&l2.l2_rpc, keccak256(tx)).await?;
            eprintln!(
                "scenario 2: rollup {} position {at} from L1 block {block} -> L2 block {l2_block}",
                rollup.0
            );
        }
    }
    let bundle = &promises[2].1.signed.commitment;
    assert_eq!(bundle.placements.len(), 2, "the bundle spans both rollups");
    // Positions as promised: first come, first served within each rollup.
    assert_eq!(promises[0].1.signed.commitment.placements[0].position.0, 0);
    assert_eq!(promises[1].1.signed.commitment.placements[0].position.0, 0);
    assert_eq!(bundle.placements[0].position.0, 1);
    assert_eq!(bundle.placements[1].position.0, 1);
    eprintln!(
        "scenario 2: slot {slot}; {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
