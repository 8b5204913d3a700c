//! The shared marketplace's slot router (see DESIGN.md, "The shared ordering
//! marketplace"): which upcoming slot belongs to which operator's sidecar, where to reach
//! it, and what it offers. Offers are pulled from each configured sidecar's JSON-RPC
//! (`baton_version`, `baton_slots`, docs/api.md) and cached; with a `Registry` configured,
//! each proposer's operator and committer are read from it and a sidecar is listed for a
//! slot only if it signs as that committer. Wallets read the merged lookahead from
//! `GET /market/v1/lookahead`.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, RwLock},
    time::Duration,
};

use alloy::providers::{Provider, ProviderBuilder};
use alloy_primitives::Address;
use baton_contracts::Registry;
use baton_preconf::{BlsPublicKey, Slot};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::service::Relay;

/// Largest JSON-RPC answer read from a sidecar.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;
/// Most slots kept per sidecar.
const MAX_SLOTS_PER_SIDECAR: usize = 1024;

/// One slot a sidecar sells, with its prices (the fields of `baton_slots`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    /// Slot.
    pub slot: Slot,
    /// Its proposer.
    pub validator_pubkey: BlsPublicKey,
    /// L1 gas still promisable.
    pub l1_gas_left: String,
    /// Minimum tip for a 21,000-gas transfer (`null`: full).
    pub min_priority_fee_per_gas: Option<String>,
    /// Fee per rollup transaction.
    pub rollup_tx_fee: String,
    /// Products auctioned in the slot, passed through as the sidecar gave them (absent
    /// from older sidecars).
    #[serde(default)]
    pub products: Vec<Value>,
    /// Remaining capacity, passed through (absent from older sidecars).
    #[serde(default)]
    pub capacity: Option<Value>,
}

/// What one sidecar last told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidecarOffers {
    /// Its public URL.
    pub url: String,
    /// Its committer (from `baton_version`).
    pub committer: Address,
    /// Its slots.
    pub offers: Vec<Offer>,
    /// When fetched, Unix ms.
    pub fetched_at_ms: u64,
}

/// Who the `Registry` says operates a validator, and its committer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    /// The operator (holds the collateral).
    pub operator: Address,
    /// The key that signs its commitments.
    pub committer: Address,
}

/// The offers cache, and the operators read from the `Registry`.
#[derive(Debug, Default)]
pub struct Market {
    by_url: RwLock<HashMap<String, SidecarOffers>>,
    /// `None` without a `Registry`; otherwise each validator looked up, with `None` for
    /// one no active operator holds.
    operators: Option<RwLock<HashMap<BlsPublicKey, Option<Operator>>>>,
}

#[derive(Debug, Deserialize)]
struct RpcAnswer {
    id: u64,
    result: Option<Value>,
}

impl Market {
    /// A market that lists a sidecar under a slot only if the `Registry` names its
    /// committer for the slot's proposer.
    pub fn with_registry() -> Self {
        Self {
            by_url: RwLock::default(),
            operators: Some(RwLock::default()),
        }
    }

    /// Records what the `Registry` says about validators.
    pub fn set_operators(&self, found: impl IntoIterator<Item = (BlsPublicKey, Option<Operator>)>) {
        if let Some(Ok(mut operators)) = self.operators.as_ref().map(RwLock::write) {
            operators.extend(found);
        }
    }

    fn operator(&self, validator: &BlsPublicKey) -> Option<Option<Operator>> {
        let operators = self.operators.as_ref()?.read().ok()?;
        Some(operators.get(validator).copied().flatten())
    }

    /// Validators among `keys` the `Registry` has not been asked about yet.
    pub fn unknown(&self, keys: &[BlsPublicKey]) -> Vec<BlsPublicKey> {
        let Some(Ok(operators)) = self.operators.as_ref().map(RwLock::read) else {
            return Vec::new();
        };
        let unique: HashSet<BlsPublicKey> = keys.iter().copied().collect();
        unique
            .into_iter()
            .filter(|k| !operators.contains_key(k))
            .collect()
    }

    /// Forgets what the `Registry` said (asked again on the next refresh).
    pub fn forget_operators(&self) {
        if let Some(Ok(mut operators)) = self.operators.as_ref().map(RwLock::write) {
            operators.clear();
        }
    }

    /// Stores what a sidecar told us.
    pub fn update(&self, offers: SidecarOffers) {
        if let Ok(mut map) = self.by_url.write() {
            map.insert(offers.url.clone(), offers);
        }
    }

    /// The upcoming slots `from..=to` with their proposers and whoever offers them.
    pub fn lookahead(&self, relay: &Relay, from: Slot, to: Slot) -> Value {
        let Ok(map) = self.by_url.read() else {
            return json!([]);
        };
        let slots: Vec<Value> = relay
            .duties
            .between(from, to)
            .into_iter()
            .map(|duty| {
                // With a Registry: only the validator's own committer may sell its slot.
                let operator = self.operator(&duty.pubkey);
                let allowed = |committer: Address| match operator {
                    None => true,
                    Some(Some(op)) => op.committer == committer,
                    Some(None) => false,
                };
                let sidecars: Vec<Value> = map
                    .values()
                    .filter(|s| allowed(s.committer))
                    .filter_map(|s| {
                        s.offers
                            .iter()
                            .find(|o| o.slot == duty.slot && o.validator_pubkey == duty.pubkey)
                            .map(|o| {
                                json!({
                                    "url": s.url,
                                    "committer": s.committer,
                                    "l1GasLeft": o.l1_gas_left,
                                    "minPriorityFeePerGas": o.min_priority_fee_per_gas,
                                    "rollupTxFee": o.rollup_tx_fee,
                                    "products": o.products,
                                    "capacity": o.capacity,
                                    "fetchedAtMs": s.fetched_at_ms.to_string(),
                                })
                            })
                    })
                    .collect();
                let (op, committer) = match operator {
                    Some(Some(op)) => (Some(op.operator), Some(op.committer)),
                    _ => (None, None),
                };
                json!({
                    "slot": duty.slot,
                    "proposerPubkey": duty.pubkey,
                    "validatorIndex": duty.validator_index.to_string(),
                    "operator": op,
                    "committer": committer,
                    "sidecars": sidecars,
                })
            })
            .collect();
        Value::Array(slots)
    }
}

/// Asks one sidecar for its committer and slots.
pub async fn fetch(
    http: &reqwest::Client,
    url: &str,
    now_ms: u64,
) -> Result<SidecarOffers, String> {
    let batch = json!([
        { "jsonrpc": "2.0", "id": 1, "method": "baton_version", "params": [] },
        { "jsonrpc": "2.0", "id": 2, "method": "baton_slots", "params": [] },
    ]);
    let response = http
        .post(url)
        .json(&batch)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| e.to_string())?;
    let bytes = crate::beacon::read_limited(response, MAX_ANSWER_BYTES).await?;
    parse(&bytes, url, now_ms)
}

/// Reads the answers to the `baton_version` + `baton_slots` batch.
fn parse(bytes: &[u8], url: &str, now_ms: u64) -> Result<SidecarOffers, String> {
    let answers: Vec<RpcAnswer> = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let result = |id: u64| {
        answers
            .iter()
            .find(|a| a.id == id)
            .and_then(|a| a.result.clone())
            .ok_or_else(|| format!("no result for call {id}"))
    };
    let committer: Address =
        serde_json::from_value(result(1)?.get("committer").cloned().unwrap_or(Value::Null))
            .map_err(|e| format!("baton_version: {e}"))?;
    let slots = result(2)?;
    let list = slots.as_array().ok_or("baton_slots: not an array")?;
    if list.len() > MAX_SLOTS_PER_SIDECAR {
        return Err(format!("baton_slots: {} slots", list.len()));
    }
    let offers = list
        .iter()
        .map(|v| serde_json::from_value::<Offer>(v.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("baton_slots: {e}"))?;
    Ok(SidecarOffers {
        url: url.to_owned(),
        committer,
        offers,
        fetched_at_ms: now_ms,
    })
}

/// Asks the `Registry` who operates each of `keys` (an operator that is not active,
/// opted out or under-collateralised, counts as none). Keys whose call fails are left out.
pub async fn resolve<P: Provider>(
    registry: &Registry::RegistryInstance<P>,
    keys: &[BlsPublicKey],
) -> Vec<(BlsPublicKey, Option<Operator>)> {
    let mut found = Vec::with_capacity(keys.len());
    for key in keys {
        let hash = key.keccak();
        let (active, resolved) = (
            registry.isActive(hash).call().await,
            registry.resolve(hash).call().await,
        );
        match (active, resolved) {
            (Ok(true), Ok(r)) if r.operator != Address::ZERO => found.push((
                *key,
                Some(Operator {
                    operator: r.operator,
                    committer: r.committer,
                }),
            )),
            (Ok(_), Ok(_)) => found.push((*key, None)),
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(%error, validator = %key, "cannot read the Registry");
            }
        }
    }
    found
}

/// Pulls every sidecar's offers every `refresh_ms` and, with a `Registry`, who operates
/// each upcoming proposer (asked again each epoch), forever.
pub async fn follow(market: Arc<Market>, relay: Arc<Relay>, config: crate::config::MarketConfig) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap_or_default();
    let registry = config.registry.as_ref().and_then(|source| {
        let url = source.l1_rpc.0.parse().ok()?;
        Some(Registry::new(
            source.address,
            ProviderBuilder::new().connect_http(url),
        ))
    });
    if config.registry.is_some() && registry.is_none() {
        tracing::error!("the L1 RPC URL does not parse; no sidecar is listed");
    }
    let mut epoch = None;
    let mut interval = tokio::time::interval(Duration::from_millis(config.refresh_ms.max(100)));
    loop {
        interval.tick().await;
        if let Some(registry) = &registry {
            let current = relay.current_slot();
            let now = relay.chain().epoch_of(current);
            if epoch != Some(now) {
                // Registrations and opt-outs change over epochs: ask again each one.
                market.forget_operators();
                epoch = Some(now);
            }
            let last = Slot(current.0 + 2 * relay.chain().slots_per_epoch);
            let keys: Vec<BlsPublicKey> = relay
                .duties
                .between(current, last)
                .iter()
                .map(|d| d.pubkey)
                .collect();
            let unknown = market.unknown(&keys);
            if !unknown.is_empty() {
                market.set_operators(resolve(registry, &unknown).await);
            }
        }
        for url in &config.sidecars {
            match fetch(&http, url, relay.now_ms()).await {
                Ok(offers) => market.update(offers),
                Err(error) => tracing::warn!(%url, %error, "cannot read a sidecar's offers"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use baton_preconf::ChainSpec;

    use super::*;
    use crate::{
        beacon::ProposerDuty,
        clock::ManualClock,
        config::{RelayKey, Timing},
        sim,
    };

    #[test]
    fn offers_are_listed_under_the_slots_their_proposer_proposes() {
        let (ours, theirs) = (sim::bls_key(1).public_key(), sim::bls_key(2).public_key());
        let answer = json!([
            { "jsonrpc": "2.0", "id": 2, "result": [
                { "slot": "10", "validatorPubkey": ours, "l1GasLeft": "15000000",
                  "minPriorityFeePerGas": "1000000000", "rollupTxFee": "0",
                  "products": [{ "product": { "kind": "wholeBatch", "rollup": "1" },
                    "productId": "0x01", "reserveWei": "9", "closesAtMs": "5" }],
                  "capacity": { "l1GasLeft": "15000000", "rollups": [] } },
                { "slot": "11", "validatorPubkey": ours, "l1GasLeft": "0",
                  "minPriorityFeePerGas": null, "rollupTxFee": "5" }
            ]},
            { "jsonrpc": "2.0", "id": 1, "result": { "version": "0.1.0",
              "committer": "0x00000000000000000000000000000000000000c0", "chainId": "1",
              "slasher": "0x0000000000000000000000000000000000000001" } }
        ]);
        let offers = parse(answer.to_string().as_bytes(), "http://sidecar", 5).unwrap();
        assert_eq!(offers.offers.len(), 2);
        assert!(parse(b"[]", "http://x", 0).is_err());
        assert!(parse(b"{", "http://x", 0).is_err());

        let chain = ChainSpec::devnet(1, 0);
        let relay = Relay::new(
            chain,
            Timing::default(),
            RelayKey(Arc::new(sim::bls_key(9))),
            Arc::new(ManualClock::new(0)),
            None,
        );
        for (slot, pubkey) in [(10, ours), (11, theirs), (12, ours)] {
            relay.add_duty(ProposerDuty {
                pubkey,
                validator_index: slot,
                slot: Slot(slot),
            });
        }
        let market = Market::default();
        market.update(offers);
        let lookahead = market.lookahead(&relay, Slot(10), Slot(12));
        assert_eq!(lookahead.as_array().unwrap().len(), 3);
        assert_eq!(lookahead[0]["sidecars"][0]["url"], "http://sidecar");
        // The auction's fields pass through; an older sidecar's offer has none.
        assert_eq!(
            lookahead[0]["sidecars"][0]["products"][0]["reserveWei"],
            "9"
        );
        assert_eq!(
            lookahead[0]["sidecars"][0]["capacity"]["l1GasLeft"],
            "15000000"
        );
        assert_eq!(
            lookahead[0]["sidecars"][0]["minPriorityFeePerGas"],
            "1000000000"
        );
        assert_eq!(
            lookahead[0]["sidecars"][0]["committer"],
            "0x00000000000000000000000000000000000000c0"
        );
        assert!(
            lookahead[1]["sidecars"].as_array().unwrap().is_empty(),
            "slot 11 is proposed by another validator than the sidecar claims"
        );
        assert!(lookahead[2]["sidecars"].as_array().unwrap().is_empty());
        assert_eq!(
            lookahead[0]["operator"],
            Value::Null,
            "no Registry configured"
        );

        // With a Registry: listed only under validators whose committer the sidecar is.
        let checked = Market::with_registry();
        checked.update(parse(answer.to_string().as_bytes(), "http://sidecar", 5).unwrap());
        assert_eq!(checked.unknown(&[ours, theirs, ours]).len(), 2);
        let committer: Address = "0x00000000000000000000000000000000000000c0"
            .parse()
            .unwrap();
        checked.set_operators([(
            ours,
            Some(Operator {
                operator: Address::repeat_byte(0x0e),
                committer,
            }),
        )]);
        let lookahead = checked.lookahead(&relay, Slot(10), Slot(12));
        assert_eq!(lookahead[0]["sidecars"].as_array().unwrap().len(), 1);
        assert_eq!(
            lookahead[0]["operator"],
            "0x0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e"
        );
        checked.set_operators([(
            ours,
            Some(Operator {
                operator: Address::repeat_byte(0x0e),
                committer: Address::repeat_byte(0x99),
            }),
        )]);
        let lookahead = checked.lookahead(&relay, Slot(10), Slot(12));
        assert!(
            lookahead[0]["sidecars"].as_array().unwrap().is_empty(),
            "a sidecar signing as another committer is not the operator's"
        );
        checked.set_operators([(ours, None)]);
        let lookahead = checked.lookahead(&relay, Slot(10), Slot(12));
        assert!(lookahead[0]["sidecars"].as_array().unwrap().is_empty());
        assert_eq!(lookahead[0]["committer"], Value::Null);
    }
}
