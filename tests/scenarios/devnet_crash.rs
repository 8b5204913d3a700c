//! Issue 11's scenario 6 on a whole devnet: sidecar b is SIGKILLed while three wallets
//! ask it for rollup positions, then restarted. Every promise any wallet holds is
//! honoured on L1 (its transaction at its position in the slot's batch), the restarted
//! sidecar serves each one again identically, and no position or L2 nonce was given twice.

use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use alloy_primitives::Address;
use baton_devnet::{
    DevnetInfo, StartFaults, demo,
    world::{FIRST_WALLET, dev_signer},
};
use baton_preconf::{
    Request, RollupId, RollupTransaction, SequencingRequest,
    client::{Outcome, Promise, SidecarClient},
};

use crate::support::Scenario;

/// One wallet's promises: `(promise, L2 nonce, before the kill)`.
type Held = Vec<(Promise, u64, bool)>;

/// Asks sidecar b for rollup 1 positions, one transaction at a time, until `stop`. After
/// a failed request it asks the sidecar whether that request was promised anyway (the
/// answer may have been lost in the crash) before moving on.
async fn keep_asking(
    info: DevnetInfo,
    wallet_index: usize,
    stop: Arc<AtomicBool>,
    killed: Arc<AtomicBool>,
) -> eyre::Result<Held> {
    let signer = dev_signer(FIRST_WALLET + wallet_index)?;
    let url = &info.sidecars[1].rpc_url;
    let wallet = demo::wallet_at(&info, signer.clone(), url)?;
    let sidecar = SidecarClient::new(url)?;
    let rollup = &info.rollups[0];
    let domain = baton_preconf::BatonDomain {
        chain_id: info.l1_chain_id,
        verifying_contract: info.contracts.slasher,
    };
    let mut nonce = demo::nonce(&rollup.l2_rpc, signer.address()).await?;
    let mut held = Held::new();
    // Bounded: the scenario stops the loop after a few seconds.
    for _ in 0..10_000 {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(slot) = demo::slot_ahead(&info, 1, Duration::from_secs(5)).await else {
            continue;
        };
        let tx = demo::transfer(
            &signer,
            rollup.l2_chain_id,
            nonce,
            Address::repeat_byte(0xe6),
        )?;
        let txs = vec![(RollupId(rollup.id), tx.clone())];
        let before = !killed.load(Ordering::SeqCst);
        match wallet.sequence(slot, txs).await {
            Ok(promise) => {
                held.push((promise, nonce, before));
                nonce += 1;
            }
            Err(_) => {
                // Promised before the crash, answer lost? The journal knows.
                let request = Request::Sequencing(SequencingRequest {
                    slot,
                    txs: vec![RollupTransaction {
                        rollup_id: RollupId(rollup.id),
                        tx,
                    }],
                });
                let id = request.id(&domain)?;
                for _ in 0..40 {
                    match sidecar.commitment(id).await {
                        Ok(Some(signed)) => {
                            let promise = wallet.verify(&request, signed).await?;
                            held.push((promise, nonce, before));
                            nonce += 1;
                            break;
                        }
                        Ok(None) => break,
                        Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                    }
                }
            }
        }
    }
    Ok(held)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_6_a_sidecar_killed_while_promising_keeps_every_promise() -> eyre::Result<()> {
    let started = Instant::now();
    let mut s = Scenario::start("crash", StartFaults::default()).await?;
    let info = s.info().clone();
    // Wait for sidecar b to sell slots before the traffic starts.
    demo::slot_ahead(&info, 1, Duration::from_secs(5)).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..3)
        .map(|w| tokio::spawn(keep_asking(info.clone(), w, stop.clone(), killed.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    killed.store(true, Ordering::SeqCst);
    s.devnet.kill_sidecar(1)?;
    s.devnet.restart_sidecar(1)?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop.store(true, Ordering::SeqCst);
    let mut all = Vec::new();
    for (w, task) in tasks.into_iter().enumerate() {
        for (promise, nonce, before) in task.await?? {
            all.push((w, promise, nonce, before));
        }
    }
    let before_kill = all.iter().filter(|(.., b)| *b).count();
    eyre::ensure!(
        before_kill > 0 && all.len() > before_kill,
        "promises before the kill ({before_kill}) and after it ({})",
        all.len() - before_kill
    );

    // No position and no (wallet, nonce) twice.
    let mut positions = HashSet::new();
    let mut nonces = HashSet::new();
    for (w, promise, nonce, _) in &all {
        let c = &promise.signed.commitment;
        for p in &c.placements {
            assert!(
                positions.insert((c.slot, p.rollup_id, p.position)),
                "position {} of rollup {} in slot {} given twice",
                p.position.0,
                p.rollup_id,
                c.slot
            );
        }
        assert!(
            nonces.insert((*w, *nonce)),
            "wallet {w} nonce {nonce} promised twice"
        );
    }
    // The restarted sidecar serves every promise again, identically signed.
    let sidecar = SidecarClient::new(&info.sidecars[1].rpc_url)?;
    for (_, promise, ..) in &all {
        assert_eq!(
            sidecar.commitment(promise.request_id).await?.as_ref(),
            Some(&promise.signed),
            "promise {} re-served identically",
            promise.request_id
        );
    }
    // And every one is kept on L1.
    for (w, promise, nonce, _) in &all {
        let signer = dev_signer(FIRST_WALLET + w)?;
        let wallet = demo::wallet_at(&info, signer, &info.sidecars[1].rpc_url)?;
        match wallet.track(promise, Duration::from_millis(250)).await? {
            Outcome::Kept { .. } => {}
            Outcome::Broken { reason } => eyre::bail!(
                "wallet {w} nonce {nonce}: {reason}\n{}",
                s.evidence(promise.signed.commitment.slot, &promise.signed)
            ),
        }
    }
    let hashes: Vec<_> = all
        .iter()
        .map(|(_, p, ..)| p.signed.commitment.placements[0].tx_hash)
        .collect();
    let last = hashes.last().copied().unwrap_or_default();
    demo::l2_receipt(&info.rollups[0].l2_rpc, last).await?;
    eprintln!(
        "scenario 6: {} promises ({before_kill} before the SIGKILL, {} after the restart), all re-served identically and kept, none duplicated; {:.1} s",
        all.len(),
        all.len() - before_kill,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
