//! Real traffic against a running devnet (`baton-devnet demo`, and the first promise `up`
//! shows): L1 inclusion promises from both sidecars, rollup promises on both rollups, a
//! cross-rollup bundle, each verified as a wallet would and followed until it lands (L1
//! block and index; the L2 receipt the rollup node's derivation produced).

use std::time::Duration;

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::eip2718::Encodable2718,
    network::TxSignerSync,
    primitives::{Address, B256, Bytes, TxKind, U256, keccak256},
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use baton_preconf::{
    BatonDomain, ChainSpec, RollupId, Slot,
    client::{L1View, Outcome, Promise, SidecarClient, Wallet},
};
use eyre::WrapErr;
use serde::Serialize;

use crate::{
    DevnetInfo,
    world::{FIRST_WALLET, dev_signer},
};

/// Where a promised transaction landed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Landed {
    /// What was promised.
    pub what: String,
    /// The promise's slot.
    pub slot: u64,
    /// The transaction.
    pub tx: B256,
    /// Its L1 block (for a rollup transaction: the block of its batch).
    pub block: u64,
    /// Its index in that block (for a rollup transaction: its position in the batch).
    pub index: u64,
    /// For a rollup transaction, its L2 block once derived.
    pub l2_block: Option<u64>,
}

/// The devnet's chain spec.
pub fn chain(info: &DevnetInfo) -> ChainSpec {
    ChainSpec {
        seconds_per_slot: info.seconds_per_slot,
        slots_per_epoch: info.slots_per_epoch,
        ..ChainSpec::devnet(info.l1_chain_id, info.genesis_time)
    }
}

fn wallet(info: &DevnetInfo, signer: PrivateKeySigner, sidecar: usize) -> eyre::Result<Wallet> {
    let url = &info
        .sidecars
        .get(sidecar)
        .ok_or_else(|| eyre::eyre!("no sidecar {sidecar}"))?
        .rpc_url;
    wallet_at(info, signer, url)
}

/// A wallet signing with `signer` that asks the sidecar at `url`.
pub fn wallet_at(info: &DevnetInfo, signer: PrivateKeySigner, url: &str) -> eyre::Result<Wallet> {
    let domain = BatonDomain {
        chain_id: info.l1_chain_id,
        verifying_contract: info.contracts.slasher,
    };
    Ok(Wallet::new(
        signer,
        domain,
        SidecarClient::new(url)?,
        L1View::connect(
            &info.l1_rpc,
            info.contracts.registry,
            info.contracts.rollup_inbox,
            chain(info),
        )?,
    ))
}

/// A signed EIP-1559 transfer of 1 gwei to `to` on `chain_id` (network form).
pub fn transfer(
    signer: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: Address,
) -> eyre::Result<Bytes> {
    let mut tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 50_000_000_000,
        max_priority_fee_per_gas: 3_000_000_000,
        to: TxKind::Call(to),
        value: U256::from(1_000_000_000u64),
        ..Default::default()
    };
    let signature = signer.sign_transaction_sync(&mut tx)?;
    Ok(TxEnvelope::from(tx.into_signed(signature))
        .encoded_2718()
        .into())
}

/// `address`'s next nonce at the node `rpc`'s latest block.
pub async fn nonce(rpc: &str, address: Address) -> eyre::Result<u64> {
    let provider = ProviderBuilder::new().connect_http(rpc.parse()?);
    Ok(provider.get_transaction_count(address).await?)
}

/// Waits (about a minute at most) for a slot sidecar `sidecar` sells, with a registered
/// committer, that starts at least [`LEAD`] from now (sooner ones may close while asking).
async fn next_slot(info: &DevnetInfo, sidecar: usize) -> eyre::Result<Slot> {
    slot_ahead(info, sidecar, LEAD).await
}

/// Waits (about a minute at most) for a slot sidecar `sidecar` sells, with a registered
/// committer, that starts at least `lead` from now.
pub async fn slot_ahead(info: &DevnetInfo, sidecar: usize, lead: Duration) -> eyre::Result<Slot> {
    let client = SidecarClient::new(&info.sidecars[sidecar].rpc_url)?;
    let l1 = L1View::connect(
        &info.l1_rpc,
        info.contracts.registry,
        info.contracts.rollup_inbox,
        chain(info),
    )?;
    for _ in 0..120 {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis();
        match client.slots().await {
            Ok(offers) => {
                for offer in offers {
                    let start_ms =
                        u128::from(info.genesis_time + offer.slot.0 * info.seconds_per_slot)
                            * 1_000;
                    if start_ms < now_ms + lead.as_millis() {
                        continue;
                    }
                    if l1.committer_of(&offer.validator_pubkey).await? != Address::ZERO {
                        return Ok(offer.slot);
                    }
                }
            }
            Err(error) => tracing::debug!(%error, "no slot on offer yet"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(eyre::eyre!(
        "the sidecar offered no slot with a registered committer within a minute"
    ))
}

/// How far ahead a promised slot must start: the sidecars' 1 s sealing deadline and a
/// second to ask.
const LEAD: Duration = Duration::from_millis(2_000);

async fn receipt_index(rpc: &str, tx: B256) -> eyre::Result<(u64, u64)> {
    let provider = ProviderBuilder::new().connect_http(rpc.parse()?);
    let receipt = provider
        .get_transaction_receipt(tx)
        .await?
        .ok_or_else(|| eyre::eyre!("no receipt for {tx}"))?;
    Ok((
        receipt.block_number.unwrap_or_default(),
        receipt.transaction_index.unwrap_or_default(),
    ))
}

async fn kept(wallet: &Wallet, promise: &Promise) -> eyre::Result<u64> {
    match wallet.track(promise, Duration::from_millis(250)).await? {
        Outcome::Kept { block } => Ok(block),
        Outcome::Broken { reason } => Err(eyre::eyre!("promise broken: {reason}")),
    }
}

/// One L1 inclusion promise from sidecar `sidecar` for a transfer by dev wallet `wallet_index`,
/// followed until it lands.
pub async fn inclusion(
    info: &DevnetInfo,
    sidecar: usize,
    wallet_index: usize,
) -> eyre::Result<Landed> {
    let signer = dev_signer(FIRST_WALLET + wallet_index)?;
    let wallet = wallet(info, signer.clone(), sidecar)?;
    let slot = next_slot(info, sidecar).await?;
    let nonce = nonce(&info.l1_rpc, signer.address()).await?;
    let tx = transfer(&signer, info.l1_chain_id, nonce, Address::repeat_byte(0xb0))?;
    let hash = keccak256(&tx);
    let promise = wallet
        .include(slot, vec![tx])
        .await
        .wrap_err_with(|| format!("asking sidecar {sidecar} for an inclusion promise"))?;
    kept(&wallet, &promise).await?;
    let (block, index) = receipt_index(&info.l1_rpc, hash).await?;
    Ok(Landed {
        what: format!("L1 inclusion via sidecar {}", info.sidecars[sidecar].name),
        slot: slot.0,
        tx: hash,
        block,
        index,
        l2_block: None,
    })
}

/// The first promise `up` shows: one L1 inclusion promise from the first sidecar.
pub async fn first_promise(info: &DevnetInfo) -> eyre::Result<Landed> {
    inclusion(info, 0, 0).await
}

/// Rollup transfers (one per entry of `rollups`, in one request: a cross-rollup bundle when
/// several) promised by sidecar `sidecar`, followed until the batch lands and each
/// transaction has an L2 receipt.
pub async fn sequencing(
    info: &DevnetInfo,
    sidecar: usize,
    wallet_index: usize,
    rollups: &[usize],
) -> eyre::Result<Vec<Landed>> {
    let signer = dev_signer(FIRST_WALLET + wallet_index)?;
    let wallet = wallet(info, signer.clone(), sidecar)?;
    let slot = next_slot(info, sidecar).await?;
    let mut txs = Vec::with_capacity(rollups.len());
    for &r in rollups {
        let rollup = info
            .rollups
            .get(r)
            .ok_or_else(|| eyre::eyre!("no rollup {r}"))?;
        let nonce = nonce(&rollup.l2_rpc, signer.address()).await?;
        let tx = transfer(
            &signer,
            rollup.l2_chain_id,
            nonce,
            Address::repeat_byte(0xc0),
        )?;
        txs.push((RollupId(rollup.id), tx));
    }
    let promise = wallet.sequence(slot, txs.clone()).await?;
    let block = kept(&wallet, &promise).await?;
    let mut landed = Vec::with_capacity(txs.len());
    for ((rollup_id, tx), placement) in txs.iter().zip(&promise.signed.commitment.placements) {
        let rollup = info
            .rollups
            .iter()
            .find(|r| r.id == rollup_id.0)
            .ok_or_else(|| eyre::eyre!("unknown rollup {}", rollup_id.0))?;
        let hash = keccak256(tx);
        let l2_block = l2_receipt(&rollup.l2_rpc, hash).await?;
        landed.push(Landed {
            what: format!(
                "rollup {} ({}) via sidecar {}{}",
                rollup.id,
                rollup.name,
                info.sidecars[sidecar].name,
                if rollups.len() > 1 { ", bundle" } else { "" }
            ),
            slot: slot.0,
            tx: hash,
            block,
            index: placement.position.0,
            l2_block: Some(l2_block),
        });
    }
    Ok(landed)
}

/// Waits (about 90 s at most) for the L2 receipt the rollup node's derivation produces.
pub async fn l2_receipt(l2_rpc: &str, tx: B256) -> eyre::Result<u64> {
    let provider = ProviderBuilder::new().connect_http(l2_rpc.parse()?);
    for _ in 0..360 {
        if let Some(receipt) = provider.get_transaction_receipt(tx).await? {
            eyre::ensure!(receipt.status(), "L2 transaction {tx} reverted");
            return Ok(receipt.block_number.unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(eyre::eyre!(
        "no L2 receipt for {tx} within 90 s: the rollup node did not derive it"
    ))
}

/// The whole demo: an inclusion promise from each sidecar, a rollup promise on each rollup,
/// and a cross-rollup bundle, all at once.
pub async fn run_demo(info: &DevnetInfo) -> eyre::Result<Vec<Landed>> {
    eyre::ensure!(info.rollups.len() >= 2, "the demo needs two rollups");
    let sidecars = info.sidecars.len();
    let last = sidecars.saturating_sub(1);
    let (a, b, c, d) = tokio::join!(
        inclusion(info, 0, 1),
        inclusion(info, last, 2),
        sequencing(info, 0, 3, &[0]),
        sequencing(info, last, 3, &[1]),
    );
    let bundle = sequencing(info, 0, 0, &[0, 1]).await;
    let mut landed = vec![a?, b?];
    landed.extend(c?);
    landed.extend(d?);
    landed.extend(bundle?);
    Ok(landed)
}

/// The demo's result as a table.
pub fn table(landed: &[Landed]) -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "promise                                   slot   L1 block  index  L2 block  tx\n",
    );
    for l in landed {
        let _ = writeln!(
            out,
            "{:<41} {:<6} {:<9} {:<6} {:<9} {}",
            l.what,
            l.slot,
            l.block,
            l.index,
            l.l2_block
                .map(|b| b.to_string())
                .unwrap_or_else(|| "-".into()),
            l.tx
        );
    }
    out
}

/// What a soak run saw.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SoakReport {
    /// Slots the run lasted.
    pub slots: u64,
    /// Promises made and followed.
    pub promised: usize,
    /// Promises kept (landed as promised).
    pub kept: Vec<Landed>,
    /// Promises that failed, with why.
    pub failed: Vec<String>,
}

fn current_slot(info: &DevnetInfo) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    now.saturating_sub(info.genesis_time) / info.seconds_per_slot.max(1)
}

/// Sends traffic for `slots` slots from four wallets at once (an inclusion flow per
/// sidecar, a rollup flow per rollup, every third rollup promise a cross-rollup bundle),
/// each promise followed until it lands before the wallet asks again.
pub async fn soak(info: &DevnetInfo, slots: u64) -> SoakReport {
    let end = current_slot(info) + slots;
    let last_sidecar = info.sidecars.len().saturating_sub(1);
    let flow = |kind: usize| async move {
        let mut results: Vec<Result<Vec<Landed>, String>> = Vec::new();
        let mut round = 0usize;
        while current_slot(info) < end {
            let result = match kind {
                0 => inclusion(info, 0, 0).await.map(|l| vec![l]),
                1 => inclusion(info, last_sidecar, 1).await.map(|l| vec![l]),
                2 if round % 3 == 2 => sequencing(info, 0, 2, &[0, 1]).await,
                2 => sequencing(info, 0, 2, &[0]).await,
                _ => sequencing(info, last_sidecar, 3, &[1]).await,
            };
            if result.is_err() {
                // Let the chain (and the rollup node) move on before asking again.
                tokio::time::sleep(Duration::from_secs(info.seconds_per_slot)).await;
            }
            results.push(result.map_err(|e| format!("{e:#}")));
            round += 1;
        }
        results
    };
    let (a, b, c, d) = tokio::join!(flow(0), flow(1), flow(2), flow(3));
    let mut report = SoakReport {
        slots,
        ..SoakReport::default()
    };
    for result in a.into_iter().chain(b).chain(c).chain(d) {
        report.promised += 1;
        match result {
            Ok(landed) => report.kept.extend(landed),
            Err(reason) => report.failed.push(reason),
        }
    }
    report
}
