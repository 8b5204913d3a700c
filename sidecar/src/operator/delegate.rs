//! `delegate`: the validator keys let the sidecar's delegate key sign constraints for
//! their upcoming slots (step ④). One signed delegation per (validator, slot) of the
//! current and next epoch, sent to every relay's constraints API.

use std::{collections::HashMap, time::Duration};

use alloy::primitives::Address;
use baton_preconf::{
    BlsPublicKey, BlsSecretKey, ChainSpec, Epoch, Slot,
    constraints::{Delegation, SignedDelegation},
};

use super::OperatorError;
use crate::beacon::BeaconClient;

/// What `delegate` did.
#[derive(Debug, Clone, Default)]
pub struct DelegationReport {
    /// The delegations signed, as sent.
    pub signed: Vec<SignedDelegation>,
    /// Per relay: how many it accepted, and the first refusal if any.
    pub relays: Vec<(String, usize, Option<String>)>,
}

/// Signs delegations from `validators` to `delegate` (with `committer`) for each slot they
/// propose in the current and next epoch (from the beacon node), and posts them to
/// `relays`.
pub async fn delegate(
    beacon: &BeaconClient,
    chain: &ChainSpec,
    now: u64,
    validators: &[BlsSecretKey],
    delegate: BlsPublicKey,
    committer: Address,
    relays: &[String],
) -> Result<DelegationReport, OperatorError> {
    let ours: HashMap<BlsPublicKey, &BlsSecretKey> =
        validators.iter().map(|k| (k.public_key(), k)).collect();
    let current = chain.slot_at(now).unwrap_or_default();
    let epoch = chain.epoch_of(current);
    let mut signed = Vec::new();
    for e in [epoch, Epoch(epoch.0 + 1)] {
        let duties = beacon.proposer_duties(e).await.map_err(|err| {
            OperatorError::chain(format!("reading epoch {}'s proposer duties", e.0), err)
        })?;
        for (slot, pubkey) in duties {
            let Some(key) = ours.get(&pubkey) else {
                continue;
            };
            if slot <= current {
                continue;
            }
            let delegation = Delegation {
                proposer: pubkey,
                delegate,
                committer,
                slot: Slot(slot.0),
                metadata: Default::default(),
            };
            signed.push(
                delegation
                    .sign(key, chain.genesis_fork_version)
                    .map_err(|err| {
                        OperatorError::Refused(format!("signing a delegation: {err}"))
                    })?,
            );
        }
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| OperatorError::chain("building the HTTP client", e))?;
    let mut report = DelegationReport {
        signed,
        relays: Vec::with_capacity(relays.len()),
    };
    for relay in relays {
        let url = format!(
            "{}/constraints/v0/builder/delegate",
            relay.trim_end_matches('/')
        );
        let mut accepted = 0;
        let mut refusal = None;
        for delegation in &report.signed {
            match http.post(&url).json(delegation).send().await {
                Ok(answer) if answer.status().is_success() => accepted += 1,
                Ok(answer) => {
                    let status = answer.status();
                    let body = answer.text().await.unwrap_or_default();
                    refusal.get_or_insert(format!(
                        "{status}: {}",
                        body.chars().take(200).collect::<String>()
                    ));
                }
                Err(e) => {
                    refusal.get_or_insert(e.to_string());
                }
            }
        }
        report.relays.push((relay.clone(), accepted, refusal));
    }
    Ok(report)
}
