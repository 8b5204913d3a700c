//! `baton_watch::Evidence` against a real anvil chain: slot blocks found by time (a
//! proposed slot, a missed one, one not yet reached), canonical headers, and transaction
//! proofs that verify against the block's transactions root.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    providers::{Provider, ProviderBuilder, ext::AnvilApi},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use alloy_primitives::{Address, U256, keccak256};
use baton_toolchain::{Anvil, AnvilOptions};
use baton_watch::{Evidence, SlotBlock};

#[tokio::test]
async fn slot_blocks_headers_and_proofs_come_from_the_chain() -> eyre::Result<()> {
    let anvil = Anvil::spawn(&AnvilOptions::default())?;
    let key: PrivateKeySigner = Anvil::DEV_KEYS[0].parse()?;
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(key.clone()))
        .connect_http(anvil.endpoint().parse()?);
    provider.anvil_set_auto_mine(false).await?;
    let genesis = provider
        .get_block_by_number(0.into())
        .await?
        .expect("genesis")
        .header
        .timestamp;
    // Blocks at genesis + 12, + 24, then a gap (no block at + 36), then + 48; the second
    // block carries two transfers.
    let mut hashes = Vec::new();
    for (i, offset) in [12u64, 24, 48].into_iter().enumerate() {
        if i == 1 {
            for n in 0..2u64 {
                let tx = TransactionRequest::default()
                    .with_to(Address::repeat_byte(0x42))
                    .with_value(U256::from(n + 1))
                    .with_nonce(n)
                    .with_gas_limit(21_000)
                    .with_max_fee_per_gas(100_000_000_000)
                    .with_max_priority_fee_per_gas(1_000_000_000)
                    .with_chain_id(anvil.chain_id());
                hashes.push(*provider.send_transaction(tx).await?.tx_hash());
            }
        }
        provider
            .anvil_set_next_block_timestamp(genesis + offset)
            .await?;
        provider.anvil_mine(Some(1), None).await?;
    }
    let evidence = Evidence::new(provider.clone());

    assert_eq!(
        evidence.slot_block(genesis + 24).await?,
        SlotBlock::Proposed(2)
    );
    assert_eq!(
        evidence.slot_block(genesis + 48).await?,
        SlotBlock::Proposed(3)
    );
    assert_eq!(
        evidence.slot_block(genesis + 36).await?,
        SlotBlock::Missed {
            before: 2,
            after: 3
        }
    );
    assert_eq!(evidence.slot_block(genesis + 60).await?, SlotBlock::Pending);
    assert!(
        evidence.slot_block(genesis).await.is_err(),
        "before the first block"
    );

    // The canonical header hashes to the block hash.
    let rlp = evidence.header_rlp(2).await?;
    let block = provider
        .get_block_by_number(2.into())
        .await?
        .expect("block 2");
    assert_eq!(keccak256(&rlp), block.header.hash);

    // Both transfers are proven in block 2 against its transactions root; a hash that is
    // not there is reported by its index.
    let proofs = evidence
        .inclusion_proofs(2, &hashes)
        .await?
        .expect("both in block 2");
    for (proof, hash) in proofs.iter().zip(&hashes) {
        assert_eq!(proof.tx_hash(), *hash);
        proof.verify(block.header.transactions_root)?;
    }
    let missing = evidence
        .inclusion_proofs(2, &[hashes[0], keccak256(b"absent")])
        .await?;
    assert_eq!(missing, Err(1));

    // The sender's nonce after block 1 is 0, after block 2 it is 2, with account proofs.
    let (before, _) = evidence.account_proof(key.address(), 1).await?;
    let (after, proof) = evidence.account_proof(key.address(), 2).await?;
    assert_eq!((before, after), (0, 2));
    let state =
        baton_preconf::mpt::verify_account_proof(block.header.state_root, key.address(), &proof)?;
    assert_eq!(state.nonce(), 2);
    Ok(())
}
