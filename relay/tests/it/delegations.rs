//! The operator's `delegate` step (`baton_sidecar::operator::delegate`, what
//! `baton-sidecar delegate` runs) against the real relay binary: the proposer's delegations
//! for its coming slots are accepted and served back per slot.

use std::time::{SystemTime, UNIX_EPOCH};

use alloy_primitives::Address;
use baton_preconf::ChainSpec;
use baton_relay::sim;
use baton_sidecar::beacon::BeaconClient;

use crate::harness::{SECONDS, World};

#[tokio::test]
async fn operator_delegations_reach_the_relay_and_are_served_per_slot() {
    let world = World::new().await;
    let relay = world.start_relay(None).await;
    let beacon = BeaconClient::new(world.beacon.url());
    let (genesis, fork_version) = beacon.genesis().await.unwrap();
    let mut chain = ChainSpec::devnet(1, genesis);
    chain.seconds_per_slot = SECONDS;
    chain.slots_per_epoch = 8;
    chain.genesis_fork_version = fork_version.expect("the beacon names its fork version");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let delegate = sim::bls_key(77).public_key();
    let committer = Address::repeat_byte(0xc0);

    let report = baton_sidecar::operator::delegate(
        &beacon,
        &chain,
        now,
        std::slice::from_ref(&world.proposer.key),
        delegate,
        committer,
        std::slice::from_ref(&relay.url),
    )
    .await
    .unwrap();
    // The stub's one validator proposes every slot: the rest of this epoch and all of the
    // next.
    let current = chain.slot_at(now).unwrap();
    let expected = (chain.epoch_start(chain.epoch_of(current)).0 + 2 * 8) - current.0 - 1;
    assert_eq!(report.signed.len() as u64, expected);
    assert_eq!(report.relays.len(), 1);
    assert_eq!(
        (report.relays[0].1, report.relays[0].2.as_deref()),
        (report.signed.len(), None),
        "every delegation accepted"
    );

    for signed in report.signed.iter().take(3) {
        let served = world
            .get(
                &relay,
                &format!(
                    "/constraints/v0/relay/delegations/{}",
                    signed.message.slot.0
                ),
            )
            .await;
        assert_eq!(served.status, 200);
        let text = String::from_utf8_lossy(&served.body);
        assert!(text.contains(&delegate.to_string()), "{text}");
        assert!(
            text.contains(&format!("{committer:#x}")) || text.contains(&committer.to_string()),
            "{text}"
        );
    }
    // A key that proposes nothing here delegates nothing.
    let none = baton_sidecar::operator::delegate(
        &beacon,
        &chain,
        now,
        &[sim::bls_key(99)],
        delegate,
        committer,
        std::slice::from_ref(&relay.url),
    )
    .await
    .unwrap();
    assert!(none.signed.is_empty());
}
