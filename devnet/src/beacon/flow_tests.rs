//! The proposer flow against a fake execution client on a manual clock: local blocks,
//! root chaining through missed slots, events, late slots, published blocks.

use alloy_primitives::B256;
use baton_preconf::{
    Slot,
    bls::{DOMAIN_BEACON_PROPOSER, compute_domain, compute_signing_root},
    ssz::{SignedBlockContentsElectra, hash_tree_root},
};
use baton_relay::beacon::PayloadAttributes as RelayAttributes;
use serde_json::Value;

use super::{
    block::{BlockParts, assemble, payload_header},
    chain::{BlockSource, MissReason, SlotOutcome},
    engine::ExecutionEngine,
    error::ApiError,
    events::Topic,
    proposer::{attributes, propose},
    publish::{self, Accepted},
    testing::{at_slot, shared},
};

#[tokio::test]
async fn local_blocks_chain_their_roots_through_a_missed_slot() {
    let (shared, engine, clock) = shared(4).await;
    let (_, mut events) = shared
        .events
        .subscribe(&[Topic::Head, Topic::PayloadAttributes]);
    let anchor = shared.head();
    shared.faults.miss_slot(Slot(3));
    for slot in 1..=4 {
        at_slot(&shared, &clock, Slot(slot));
        propose(&shared, Slot(slot)).await;
    }
    let root = |slot| {
        shared
            .with_chain(|c| c.record(Slot(slot)).and_then(|r| r.block().cloned()))
            .unwrap()
            .root
    };
    let imports = engine.imports.lock().unwrap().clone();
    assert_eq!(imports.len(), 3, "slot 3 was missed");
    assert_eq!(imports[0].2, anchor.root);
    assert_eq!(imports[1].2, root(1));
    assert_eq!(imports[2].2, root(2), "slot 4 builds on slot 2's root");
    assert_eq!(
        imports.iter().map(|i| i.1).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let record = shared.with_chain(|c| c.record(Slot(3)).cloned()).unwrap();
    assert_eq!(
        record.outcome,
        SlotOutcome::Missed {
            reason: MissReason::Fault
        }
    );
    assert_eq!(record.proposer_index, shared.schedule.proposer(Slot(3)));
    assert_eq!(
        shared
            .with_chain(|c| c.record(Slot(4)).cloned())
            .unwrap()
            .block()
            .unwrap()
            .source,
        BlockSource::Local
    );
    // What the engine was asked: the slot's time, the proposer's fee recipient, the
    // parent root, and a RANDAO mix that moved with every block.
    let builds = engine.builds.lock().unwrap().clone();
    assert_eq!(builds.len(), 3);
    for ((parent, attributes), slot) in builds.iter().zip([1u64, 2, 4]) {
        assert_eq!(attributes.timestamp, super::testing::GENESIS + 2 * slot);
        let proposer = shared.schedule.proposer(Slot(slot)) as usize;
        assert_eq!(
            attributes.suggested_fee_recipient,
            shared.validators[proposer].fee_recipient
        );
        assert_ne!(*parent, B256::ZERO);
    }
    assert_eq!(builds[2].1.parent_beacon_block_root, root(2));
    assert_ne!(builds[0].1.prev_randao, builds[1].1.prev_randao);
    assert_eq!(shared.head().root, root(4));

    // Events: slot 1's head, then slot 2's attributes on it; the missed slot 3 announces
    // slot 4 on slot 2's block.
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(event);
    }
    let topics: Vec<Topic> = seen.iter().map(|e| e.topic).collect();
    use Topic::{Head, PayloadAttributes as Attrs};
    assert_eq!(topics, vec![Head, Attrs, Head, Attrs, Attrs, Head, Attrs]);
    let parsed = |i: usize| {
        let value: Value = serde_json::from_str(&seen[i].data).unwrap();
        RelayAttributes::from_event(&value["data"]).unwrap()
    };
    assert_eq!(parsed(1).proposal_slot, Slot(2));
    assert_eq!(parsed(1).parent_beacon_block_root, root(1));
    assert_eq!(parsed(4).proposal_slot, Slot(4));
    assert_eq!(parsed(4).parent_beacon_block_root, root(2));
    assert_eq!(parsed(4).parent_block_number, 2);
    assert_eq!(parsed(4).prev_randao, builds[2].1.prev_randao);
}

#[tokio::test]
async fn a_slot_already_over_is_missed_without_asking_the_engine() {
    let (shared, engine, clock) = shared(1).await;
    clock.set_ms(shared.slot_start_ms(Slot(2)));
    propose(&shared, Slot(1)).await;
    assert!(engine.builds.lock().unwrap().is_empty());
    assert_eq!(
        shared
            .with_chain(|c| c.record(Slot(1)).cloned())
            .unwrap()
            .outcome,
        SlotOutcome::Missed {
            reason: MissReason::Late
        }
    );
}

/// A full block for `slot` on the current head, signed by its proposer (what a relay
/// publishes after unblinding).
async fn published_block(
    shared: &super::service::Shared,
    engine: &dyn ExecutionEngine,
    slot: Slot,
) -> SignedBlockContentsElectra {
    let head = shared.head();
    let validator = &shared.validators[shared.schedule.proposer(slot) as usize];
    let attributes = attributes(shared, slot, &head, validator);
    let built = engine.build(head.block_hash, &attributes).await.unwrap();
    let signed = assemble(
        &shared.spec,
        &head,
        &validator.key,
        BlockParts {
            slot,
            proposer_index: validator.index,
            header: payload_header(&built.payload).unwrap(),
            blob_kzg_commitments: Default::default(),
            execution_requests: built.execution_requests,
        },
    )
    .unwrap();
    SignedBlockContentsElectra {
        signed_block: signed.block.unblind(built.payload),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_published_block_is_checked_kept_and_imported_once() {
    let (shared, engine, clock) = shared(2).await;
    at_slot(&shared, &clock, Slot(1));
    let block = published_block(&shared, engine.as_ref(), Slot(1)).await;
    let root = hash_tree_root(&block.signed_block.message).unwrap();

    // Refused: another proposer index, a bad signature, another parent.
    let mut wrong = block.clone();
    wrong.signed_block.message.proposer_index += 1;
    assert!(matches!(
        publish::accept(&shared, wrong),
        Err(ApiError::BlockRejected { .. })
    ));
    let mut wrong = block.clone();
    wrong.signed_block.message.body.graffiti = [1; 32];
    assert!(matches!(
        publish::accept(&shared, wrong),
        Err(ApiError::BlockRejected { .. })
    ));
    let mut wrong = block.clone();
    wrong.signed_block.message.parent_root = [3; 32];
    assert!(matches!(
        publish::accept(&shared, wrong),
        Err(ApiError::BlockRejected { .. })
    ));

    assert_eq!(publish::accept(&shared, block.clone()), Ok(Accepted::Kept));
    propose(&shared, Slot(1)).await;
    let record = shared.with_chain(|c| c.record(Slot(1)).cloned()).unwrap();
    let landed = record.block().unwrap();
    assert_eq!(landed.root, root);
    assert_eq!(landed.source, BlockSource::Published);
    // Only the published block was imported: no local build.
    assert_eq!(
        engine.builds.lock().unwrap().len(),
        1,
        "the one the test made"
    );
    assert_eq!(engine.imports.lock().unwrap().len(), 1);

    // The same block again is fine; another block for the slot conflicts.
    assert_eq!(
        publish::accept(&shared, block.clone()),
        Ok(Accepted::AlreadyImported)
    );
    let mut other = block;
    other.signed_block.message.body.graffiti = [2; 32];
    assert!(matches!(
        publish::accept(&shared, other),
        Err(ApiError::SlotFilled { .. })
    ));

    // The signature the service checks is the proposer domain's.
    let domain = compute_domain(
        DOMAIN_BEACON_PROPOSER,
        shared.spec.current_fork_version,
        shared.spec.genesis_validators_root,
    );
    let sig = landed.signature;
    let validator = &shared.validators[record.proposer_index as usize];
    sig.verify(&validator.pubkey, compute_signing_root(root, domain))
        .unwrap();
}
