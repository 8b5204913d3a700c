//! What every whole-devnet scenario shares: starting a devnet in a temporary folder,
//! reading the Registry, the Slasher, metrics and the explorer, waiting for a condition,
//! and the failure report (the slot, the promise, and the tail of the devnet's logs).

use std::time::{Duration, Instant};

use alloy::{
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
};
use alloy_primitives::{Address, B256, U256};
use baton_contracts::{Registry, Slasher};
use baton_devnet::{Devnet, DevnetConfig, DevnetInfo, StartFaults, world::dev_signer};
use baton_preconf::{BatonDomain, SignedCommitment, Slot};
use baton_watch::SlasherClient;

/// Seconds an operator has to answer a dispute in these scenarios.
pub(crate) const DEFEND_WINDOW: u64 = 8;

pub(crate) struct Scenario {
    pub(crate) devnet: Devnet,
    dir: std::path::PathBuf,
}

impl Scenario {
    pub(crate) async fn start(name: &str, faults: StartFaults) -> eyre::Result<Self> {
        Self::start_with(name, faults, Vec::new()).await
    }

    /// A devnet whose sidecars auction `market_products` in every slot they own.
    pub(crate) async fn start_with(
        name: &str,
        faults: StartFaults,
        market_products: Vec<String>,
    ) -> eyre::Result<Self> {
        let dir = std::env::temp_dir().join(format!("baton-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let devnet = Devnet::start(&DevnetConfig {
            data_dir: dir.clone(),
            explorer_port: 0,
            faults,
            defend_window: DEFEND_WINDOW,
            market_products,
            ..DevnetConfig::default()
        })
        .await?;
        Ok(Self { devnet, dir })
    }

    pub(crate) fn info(&self) -> &DevnetInfo {
        &self.devnet.info
    }

    pub(crate) fn domain(&self) -> BatonDomain {
        BatonDomain {
            chain_id: self.info().l1_chain_id,
            verifying_contract: self.info().contracts.slasher,
        }
    }

    pub(crate) fn reader(&self) -> eyre::Result<impl Provider + Clone + use<>> {
        Ok(ProviderBuilder::new().connect_http(self.info().l1_rpc.parse()?))
    }

    pub(crate) fn slasher(&self) -> eyre::Result<SlasherClient<impl Provider + Clone + use<>>> {
        Ok(SlasherClient::new(
            self.info().contracts.slasher,
            self.reader()?,
        ))
    }

    /// Operator `i`'s collateral in the Registry.
    pub(crate) async fn collateral(&self, i: usize) -> eyre::Result<U256> {
        let registry = Registry::new(self.info().contracts.registry, self.reader()?);
        let op = registry.operatorOf(operator(i)?).call().await?;
        Ok(U256::from(op.collateral))
    }

    pub(crate) async fn penalty(&self, safety: bool) -> eyre::Result<U256> {
        let slasher = Slasher::new(self.info().contracts.slasher, self.reader()?);
        Ok(if safety {
            slasher.safetyPenalty().call().await?
        } else {
            slasher.livenessPenalty().call().await?
        })
    }

    /// What the devnet's logs and the chain say, for a failure report.
    pub(crate) fn evidence(&self, slot: Slot, promise: &SignedCommitment) -> String {
        let tail = |name: &str| {
            let text = std::fs::read_to_string(self.info().logs.join(format!("{name}.log")))
                .unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(15)..].join("\n")
        };
        format!(
            "slot {slot}\npromise {}\n--- watch.log\n{}\n--- sidecar-a.log\n{}\n--- sidecar-b.log\n{}",
            serde_json::to_string(promise).unwrap_or_default(),
            tail("watch"),
            tail("sidecar-a"),
            tail("sidecar-b")
        )
    }

    /// Waits (at most `limit`) until `check` holds, then returns what it found.
    pub(crate) async fn until<T>(
        &self,
        what: &str,
        limit: Duration,
        mut check: impl AsyncFnMut() -> eyre::Result<Option<T>>,
    ) -> eyre::Result<T> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(found) = check().await? {
                return Ok(found);
            }
            eyre::ensure!(Instant::now() < deadline, "{what}: not within {limit:?}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// The L1 receipt of `hash`, waited for up to 10 s: ethereumjs has answered null for
    /// a while for the receipt of a transaction in a block it already serves.
    pub(crate) async fn receipt(&self, hash: B256) -> eyre::Result<TransactionReceipt> {
        let reader = self.reader()?;
        self.until(
            &format!("the L1 receipt of {hash}"),
            Duration::from_secs(10),
            async || Ok(reader.get_transaction_receipt(hash).await?),
        )
        .await
    }

    /// `name` at `url` once it is at least `at_least` (waited for up to 10 s: a service
    /// counts an on-chain action after it reads the receipt, a moment after the chain
    /// shows the action).
    pub(crate) async fn metric_at_least(
        &self,
        url: &str,
        name: &str,
        at_least: f64,
    ) -> eyre::Result<f64> {
        let mut last = 0.0;
        let found = self
            .until(
                &format!("{name} ≥ {at_least}"),
                Duration::from_secs(10),
                async || {
                    last = self.metric(url, name).await?;
                    Ok((last >= at_least).then_some(last))
                },
            )
            .await;
        found.map_err(|e| e.wrap_err(format!("{name} stayed at {last}")))
    }

    /// The explorer's status for the promise of `sidecar` in `slot`.
    pub(crate) async fn explorer_status(
        &self,
        sidecar: &str,
        slot: Slot,
    ) -> eyre::Result<Option<String>> {
        let answer: serde_json::Value = reqwest::get(format!(
            "{}/api/promises?from={}&to={}",
            self.info().explorer_url,
            slot.0,
            slot.0
        ))
        .await?
        .json()
        .await?;
        Ok(answer["promises"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["sidecar"] == sidecar)
            .and_then(|p| p["status"].as_str().map(str::to_owned)))
    }

    pub(crate) async fn metric(&self, url: &str, name: &str) -> eyre::Result<f64> {
        let text = reqwest::get(url).await?.text().await?;
        // A labelled series by its exact line; a bare name sums every series.
        let exact = text
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok());
        Ok(exact
            .or_else(|| baton_devnet::status::counter(&text, name))
            .unwrap_or_default())
    }
}

impl Drop for Scenario {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Operator `i`'s account (dev key `1 + i`).
pub(crate) fn operator(i: usize) -> eyre::Result<Address> {
    Ok(dev_signer(1 + i)?.address())
}
