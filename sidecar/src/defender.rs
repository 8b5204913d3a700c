//! Answering disputes against this operator (step ⑧, the operator's side).
//!
//! Anyone may open a bonded dispute on an L1 inclusion promise. The defender follows the
//! Slasher's `DisputeOpened` events; for each one naming our operator it finds the promise
//! in the service (by slot and EIP-712 digest) and defends it with the chain's evidence:
//! MPT proofs that every promised transaction is in the slot's block, or an account proof
//! that the user spent a promised nonce before the slot. A promise we really broke has no
//! defence; that is logged and counted, and the dispute ends in a slash.
//!
//! The operator key pays (never the committer, whose nonces the sealed batches use).

use std::{collections::HashSet, sync::Arc, time::Duration};

use alloy::{
    network::EthereumWallet,
    providers::{Provider, ProviderBuilder},
    rpc::types::Filter,
    signers::local::PrivateKeySigner,
    sol_types::SolEvent,
};
use alloy_primitives::{Address, B256};
use baton_contracts::Slasher;
use baton_preconf::Slot;
use baton_watch::{Defence, SlasherClient, WatchError};

use crate::{metrics, service::Service};

/// Most blocks one `eth_getLogs` call covers.
const MAX_LOG_RANGE: u64 = 256;
/// Most disputes answered per round (the rest wait for the next one).
const MAX_PER_ROUND: usize = 64;

/// Follows disputes against `operator` and defends each one, every `poll`, until aborted.
pub async fn defend_disputes(
    service: Arc<Service>,
    l1_rpc: String,
    slasher: Address,
    key: PrivateKeySigner,
    poll: Duration,
) {
    let operator = key.address();
    let url = match l1_rpc.parse() {
        Ok(url) => url,
        Err(e) => {
            tracing::error!(error = %e, "disputes are not answered: bad --l1.rpc");
            return;
        }
    };
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(key))
        .connect_http(url);
    let client = SlasherClient::new(slasher, provider.clone());
    let mut next_block = None;
    let mut handled: HashSet<B256> = HashSet::new();
    let mut retry: HashSet<B256> = HashSet::new();
    tracing::info!(%operator, %slasher, "answering disputes against this operator");
    loop {
        match round(
            &service,
            &client,
            operator,
            &mut next_block,
            (&mut handled, &mut retry),
        )
        .await
        {
            Ok(()) => {}
            Err(e) => tracing::warn!(error = %e, "reading disputes failed; retrying"),
        }
        tokio::time::sleep(poll).await;
    }
}

async fn round<P: Provider + Clone>(
    service: &Service,
    client: &SlasherClient<P>,
    operator: Address,
    next_block: &mut Option<u64>,
    (handled, retry): (&mut HashSet<B256>, &mut HashSet<B256>),
) -> Result<(), WatchError> {
    let head = client.evidence().provider().get_block_number().await?;
    // Start a little behind the head the first time: a restart may follow a dispute.
    let from = next_block.unwrap_or_else(|| head.saturating_sub(MAX_LOG_RANGE));
    if from > head {
        return Ok(());
    }
    let to = head.min(from + MAX_LOG_RANGE - 1);
    let filter = Filter::new()
        .address(client.address())
        .event_signature(Slasher::DisputeOpened::SIGNATURE_HASH)
        .from_block(from)
        .to_block(to);
    let logs = client.evidence().provider().get_logs(&filter).await?;
    for log in logs {
        // Some clients ignore topic filters: check the event here.
        if log.address() != client.address()
            || log.topics().first() != Some(&Slasher::DisputeOpened::SIGNATURE_HASH)
        {
            continue;
        }
        let Ok(event) = log.log_decode::<Slasher::DisputeOpened>() else {
            continue;
        };
        let event = event.inner.data;
        if event.operator == operator && !handled.contains(&event.digest) {
            retry.insert(event.digest);
        }
    }
    *next_block = Some(to + 1);
    // New disputes and those whose defence failed for a passing reason (an RPC error).
    let due: Vec<B256> = retry.iter().copied().take(MAX_PER_ROUND).collect();
    for digest in due {
        if defend_one(service, client, digest).await {
            retry.remove(&digest);
            handled.insert(digest);
        }
    }
    Ok(())
}

/// Answers one dispute; `false` when it should be tried again (a passing failure).
async fn defend_one<P: Provider + Clone>(
    service: &Service,
    client: &SlasherClient<P>,
    digest: B256,
) -> bool {
    let view = match client.dispute(digest).await {
        Ok(view) => view,
        Err(e) => {
            tracing::warn!(%digest, error = %e, "reading a dispute failed");
            return false;
        }
    };
    let Some((signed, txs)) = service.disputed(Slot(view.slot.0), digest) else {
        tracing::error!(%digest, slot = %view.slot, "a dispute names a promise this sidecar has no record of");
        metrics::dispute_answered("unknown");
        return true;
    };
    match client.defend(&signed, &txs).await {
        Ok(Defence::Included { block }) => {
            tracing::info!(%digest, slot = %view.slot, block, "dispute defended: every promised transaction is in the slot's block");
            metrics::dispute_answered("defended");
            true
        }
        Ok(Defence::NonceSpent { leg, block }) => {
            tracing::info!(%digest, slot = %view.slot, block, leg, "dispute defended: the user spent the promised nonce before the slot");
            metrics::dispute_answered("defended");
            true
        }
        Err(WatchError::Undefendable { reason }) => {
            tracing::error!(%digest, slot = %view.slot, %reason, "dispute cannot be defended: the promise was broken");
            metrics::dispute_answered("undefendable");
            true
        }
        Err(e) => {
            // A refusal by the contract is final (the window closed, already answered);
            // anything else is tried again next round.
            let fin = matches!(e, WatchError::Refused { .. } | WatchError::Reverted { .. });
            tracing::error!(%digest, slot = %view.slot, error = %e, retry = !fin, "defending a dispute failed");
            metrics::dispute_answered("error");
            fin
        }
    }
}
