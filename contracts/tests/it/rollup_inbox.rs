//! `RollupInbox` on anvil: batches land only inside their slot, roots match `baton-preconf`.

use alloy::{
    primitives::{Bytes, U256, keccak256},
    providers::{Provider, ext::AnvilApi},
    signers::local::PrivateKeySigner,
};
use baton_contracts::RollupInbox;
use baton_toolchain::{Anvil, AnvilOptions};

use crate::fixture::provider_for;

const SECONDS_PER_SLOT: u64 = 12;

#[tokio::test]
async fn batches_land_only_in_their_slot_with_the_preconf_root() -> eyre::Result<()> {
    let anvil = Anvil::spawn(&AnvilOptions::default())?;
    let sequencer: PrivateKeySigner = Anvil::DEV_KEYS[1].parse()?;
    let outsider: PrivateKeySigner = Anvil::DEV_KEYS[2].parse()?;
    let provider = provider_for(&sequencer, &anvil);

    let genesis = provider
        .get_block_by_number(Default::default())
        .await?
        .expect("latest block")
        .header
        .timestamp;
    let inbox =
        RollupInbox::deploy(&provider, U256::from(genesis), U256::from(SECONDS_PER_SLOT)).await?;
    let receipt = inbox
        .registerRollup(167_001, "alpha".into())
        .send()
        .await?
        .get_receipt()
        .await?;
    assert!(receipt.status());

    // A batch for slot 10 mined exactly at slot 10's timestamp.
    let slot = 10u64;
    let txs: Vec<Bytes> = (0..5u8)
        .map(|i| Bytes::from(vec![0x02, i, 0xaa, 0xbb]))
        .collect();
    provider
        .anvil_set_next_block_timestamp(genesis + slot * SECONDS_PER_SLOT)
        .await?;
    let receipt = inbox
        .submitBatch(1, slot, txs.clone())
        .send()
        .await?
        .get_receipt()
        .await?;
    assert!(receipt.status(), "in-slot batch must be accepted");

    let hashes: Vec<_> = txs.iter().map(keccak256).collect();
    let expected = baton_preconf::batch_root(&hashes)?;
    let stored = inbox.batchOf(1, slot, sequencer.address()).call().await?;
    assert_eq!(
        stored.root, expected,
        "inbox root must equal baton-preconf's"
    );
    assert_eq!(stored.count, 5);
    assert_eq!(stored.blockNumber, receipt.block_number.expect("mined"));
    let event = receipt
        .decoded_log::<RollupInbox::BatchSubmitted>()
        .expect("BatchSubmitted");
    assert_eq!(event.root, expected);
    assert_eq!(event.txs, txs);

    // One second late: rejected with WrongSlotTime.
    provider
        .anvil_set_next_block_timestamp(genesis + (slot + 1) * SECONDS_PER_SLOT + 1)
        .await?;
    let err = inbox
        .submitBatch(1, slot + 1, txs.clone())
        .send()
        .await
        .expect_err("late batch must revert");
    let revert = err.as_decoded_interface_error::<RollupInbox::RollupInboxErrors>();
    assert!(
        matches!(
            revert,
            Some(RollupInbox::RollupInboxErrors::WrongSlotTime(_))
        ),
        "expected WrongSlotTime, got {err}"
    );

    // Someone else's batch for the same slot is stored apart and cannot replace ours.
    let other = provider_for(&outsider, &anvil);
    let inbox_as_outsider = RollupInbox::new(*inbox.address(), &other);
    provider
        .anvil_set_next_block_timestamp(genesis + 20 * SECONDS_PER_SLOT)
        .await?;
    inbox
        .submitBatch(1, 20, txs[..2].to_vec())
        .send()
        .await?
        .get_receipt()
        .await?;
    provider
        .anvil_set_next_block_timestamp(genesis + 21 * SECONDS_PER_SLOT)
        .await?;
    let late = inbox_as_outsider
        .submitBatch(1, 20, txs.clone())
        .send()
        .await;
    assert!(
        late.is_err(),
        "a batch for slot 20 in slot 21's block must revert"
    );
    let ours = inbox.batchOf(1, 20, sequencer.address()).call().await?;
    assert_eq!(ours.root, baton_preconf::batch_root(&hashes[..2])?);
    assert_eq!(
        inbox.batchOf(1, 20, outsider.address()).call().await?.root,
        alloy::primitives::B256::ZERO
    );
    Ok(())
}
