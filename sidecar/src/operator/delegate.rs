//! `delegate`: the validator keys let the sidecar's delegate key sign constraints for
//! their upcoming slots (step ④). One signed delegation per (validator, slot) of the
//! current and next epoch, sent to every relay's constraints API. `run` keeps doing the
//! same for every new duty ([`crate::pbs`]), with [`sign_delegations`].

use std::{collections::HashMap, time::Duration};

use alloy::primitives::Address;
use baton_preconf::{
    BlsPublicKey, BlsSecretKey, ChainSpec, Epoch, Slot,
    constraints::{Delegation, SignedDelegation},
};

use super::OperatorError;
use crate::{
    beacon::BeaconClient,
    pbs::{RelayClient, RelayEndpoint},
};

/// What `delegate` did.
#[derive(Debug, Clone, Default)]
pub struct DelegationReport {
    /// The delegations signed, as sent.
    pub signed: Vec<SignedDelegation>,
    /// Per relay: how many it accepted, and the first refusal if any.
    pub relays: Vec<(String, usize, Option<String>)>,
}

/// Signs one delegation to `delegate` (with `committer`) for each `(slot, proposer)` whose
/// proposer key is among `validators`; others are skipped.
pub fn sign_delegations(
    validators: &[BlsSecretKey],
    duties: impl IntoIterator<Item = (Slot, BlsPublicKey)>,
    delegate: BlsPublicKey,
    committer: Address,
    genesis_fork_version: [u8; 4],
) -> Result<Vec<SignedDelegation>, OperatorError> {
    let ours: HashMap<BlsPublicKey, &BlsSecretKey> =
        validators.iter().map(|k| (k.public_key(), k)).collect();
    let mut signed = Vec::new();
    for (slot, pubkey) in duties {
        let Some(key) = ours.get(&pubkey) else {
            continue;
        };
        let delegation = Delegation {
            proposer: pubkey,
            delegate,
            committer,
            slot,
            metadata: Default::default(),
        };
        signed.push(
            delegation
                .sign(key, genesis_fork_version)
                .map_err(|err| OperatorError::Refused(format!("signing a delegation: {err}")))?,
        );
    }
    Ok(signed)
}

/// Signs delegations from `validators` to `delegate` (with `committer`) for each slot they
/// propose in the current and next epoch (from the beacon node), and posts them to
/// `relays` (URLs, or `0x<pubkey>@url`).
pub async fn delegate(
    beacon: &BeaconClient,
    chain: &ChainSpec,
    now: u64,
    validators: &[BlsSecretKey],
    delegate: BlsPublicKey,
    committer: Address,
    relays: &[String],
) -> Result<DelegationReport, OperatorError> {
    let current = chain.slot_at(now).unwrap_or_default();
    let epoch = chain.epoch_of(current);
    let mut duties = Vec::new();
    for e in [epoch, Epoch(epoch.0 + 1)] {
        let list = beacon.proposer_duties(e).await.map_err(|err| {
            OperatorError::chain(format!("reading epoch {}'s proposer duties", e.0), err)
        })?;
        duties.extend(list.into_iter().filter(|(slot, _)| *slot > current));
    }
    let signed = sign_delegations(
        validators,
        duties,
        delegate,
        committer,
        chain.genesis_fork_version,
    )?;
    let mut report = DelegationReport {
        signed,
        relays: Vec::with_capacity(relays.len()),
    };
    for relay in relays {
        let endpoint: RelayEndpoint = relay.parse().map_err(OperatorError::Refused)?;
        let client = RelayClient::new(endpoint, Duration::from_secs(5));
        let mut accepted = 0;
        let mut refusal = None;
        for delegation in &report.signed {
            match client.delegate(delegation).await {
                Ok(()) => accepted += 1,
                Err(e) => {
                    refusal.get_or_insert(e.to_string());
                }
            }
        }
        report
            .relays
            .push((client.label().to_owned(), accepted, refusal));
    }
    Ok(report)
}
