//! `status`: the operator's registration, collateral, exit state, disputes and slashes,
//! each validator key's state, and the sidecar's next owned slots.

use std::fmt;

use alloy::primitives::{Address, U256, utils::format_ether};
use baton_preconf::BlsPublicKey;

use super::{OperatorAccount, OperatorError, human_duration, pubkey_hash, revert_reason};

/// A validator key's state in the Registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidatorStatus {
    /// Not bound to any live operator.
    Unregistered,
    /// Bound to this operator; counts once the fraud window ends at this time.
    Pending {
        /// Unix time it becomes active.
        active_at: u64,
    },
    /// Bound to this operator and usable for promises.
    Active,
    /// Bound to this operator but not usable (the operator is exiting or under-collateralised).
    Inactive,
    /// Bound to another live operator.
    OtherOperator(Address),
}

/// Everything `status` reports.
#[derive(Debug, Clone)]
pub struct OperatorStatus {
    /// The operator account.
    pub operator: Address,
    /// Its registered committer (zero when not an operator).
    pub committer: Address,
    /// Collateral posted.
    pub collateral: U256,
    /// The Registry's minimum.
    pub min_collateral: U256,
    /// Disputes open against it.
    pub open_disputes: u32,
    /// When opt-out was requested and when withdrawal is possible.
    pub exit: Option<(u64, u64)>,
    /// Slashes so far: count and total wei.
    pub slashes: (usize, U256),
    /// Each validator asked about.
    pub validators: Vec<(BlsPublicKey, ValidatorStatus)>,
    /// The latest block's time.
    pub now: u64,
    /// The sidecar's next owned slots, or why they could not be read.
    pub next_slots: Result<Vec<(u64, BlsPublicKey)>, String>,
}

/// Reads the operator's state, its `validators`' states, and the next slots the sidecar at
/// `sidecar_url` sells.
pub async fn status(
    account: &OperatorAccount,
    validators: &[BlsPublicKey],
    sidecar_url: &str,
) -> Result<OperatorStatus, OperatorError> {
    let registry = account.registry();
    let call = |what: &str, e: alloy::contract::Error| {
        OperatorError::chain(
            format!("reading {what} from the Registry"),
            revert_reason(&e),
        )
    };
    let (op, params) = account.read().await?;
    let now = account.now().await?;
    let (min_collateral, fraud_window) = (params.min_collateral, params.fraud_window);
    let exit = (op.optOutRequestedAt != 0).then(|| {
        (
            op.optOutRequestedAt.to::<u64>(),
            super::withdrawable_at(&op, params, now),
        )
    });
    let slashed = registry
        .Slashed_filter()
        .topic1(account.operator)
        .from_block(0)
        .query()
        .await
        .map_err(|e| OperatorError::chain("reading Slashed events", e))?;
    let slashes = (
        slashed.len(),
        slashed.iter().map(|(event, _)| event.amount).sum(),
    );

    let mut states = Vec::with_capacity(validators.len());
    for key in validators {
        let hash = pubkey_hash(key);
        let bound = registry
            .validatorKey(hash)
            .call()
            .await
            .map_err(|e| call("a validator key", e))?;
        let state = if bound.operator == Address::ZERO {
            ValidatorStatus::Unregistered
        } else {
            let holder = registry
                .operatorOf(bound.operator)
                .call()
                .await
                .map_err(|e| call("the key's operator", e))?;
            let live = holder.committer != Address::ZERO && holder.epoch == bound.epoch;
            if !live {
                ValidatorStatus::Unregistered
            } else if bound.operator != account.operator {
                ValidatorStatus::OtherOperator(bound.operator)
            } else if registry
                .isActive(hash)
                .call()
                .await
                .map_err(|e| call("isActive", e))?
            {
                ValidatorStatus::Active
            } else {
                let active_at = bound.registeredAt.to::<u64>() + fraud_window;
                if active_at > now {
                    ValidatorStatus::Pending { active_at }
                } else {
                    ValidatorStatus::Inactive
                }
            }
        };
        states.push((*key, state));
    }
    Ok(OperatorStatus {
        operator: account.operator,
        committer: op.committer,
        collateral: U256::from(op.collateral),
        min_collateral,
        open_disputes: op.openDisputes,
        exit,
        slashes,
        validators: states,
        now,
        next_slots: next_slots(sidecar_url).await,
    })
}

async fn next_slots(url: &str) -> Result<Vec<(u64, BlsPublicKey)>, String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct SlotInfo {
        slot: baton_preconf::Slot,
        validator_pubkey: BlsPublicKey,
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        result: Vec<SlotInfo>,
    }
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()
        .map_err(|e| e.to_string())?;
    let answer: Answer = http
        .post(url)
        .json(
            &serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "baton_slots", "params": []}),
        )
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("sidecar not reachable at {url}: {e}"))?
        .json()
        .await
        .map_err(|e| format!("sidecar at {url} answered oddly: {e}"))?;
    Ok(answer
        .result
        .into_iter()
        .take(8)
        .map(|s| (s.slot.0, s.validator_pubkey))
        .collect())
}

impl fmt::Display for OperatorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "operator     {}", self.operator)?;
        if self.committer == Address::ZERO {
            writeln!(f, "registered   no (run `baton-sidecar register`)")?;
        } else {
            writeln!(f, "committer    {}", self.committer)?;
            writeln!(
                f,
                "collateral   {} ETH (minimum {} ETH){}",
                format_ether(self.collateral),
                format_ether(self.min_collateral),
                if self.collateral < self.min_collateral {
                    " — below the minimum: keys are inactive"
                } else {
                    ""
                }
            )?;
        }
        match self.exit {
            None => writeln!(f, "exit         not requested")?,
            Some((_, ready)) if ready > self.now => writeln!(
                f,
                "exit         requested; withdraw from {} (in {})",
                super::exit::utc(ready),
                human_duration(ready - self.now)
            )?,
            Some(_) => writeln!(f, "exit         requested; withdraw is possible now")?,
        }
        writeln!(f, "disputes     {} open", self.open_disputes)?;
        writeln!(
            f,
            "slashes      {} ({} ETH)",
            self.slashes.0,
            format_ether(self.slashes.1)
        )?;
        let active = self
            .validators
            .iter()
            .filter(|(_, s)| *s == ValidatorStatus::Active)
            .count();
        writeln!(
            f,
            "validators   {} given, {active} active",
            self.validators.len()
        )?;
        for (key, state) in &self.validators {
            let text = match state {
                ValidatorStatus::Unregistered => "not registered".to_owned(),
                ValidatorStatus::Pending { active_at } => format!(
                    "registered, active in {}",
                    human_duration(active_at.saturating_sub(self.now))
                ),
                ValidatorStatus::Active => "active".to_owned(),
                ValidatorStatus::Inactive => "registered, inactive".to_owned(),
                ValidatorStatus::OtherOperator(op) => format!("registered to operator {op}"),
            };
            writeln!(f, "  {key}  {text}")?;
        }
        match &self.next_slots {
            Ok(slots) if slots.is_empty() => write!(f, "next slots   none in the sidecar's window"),
            Ok(slots) => {
                write!(f, "next slots  ")?;
                for (slot, _) in slots {
                    write!(f, " {slot}")?;
                }
                Ok(())
            }
            Err(why) => write!(f, "next slots   unknown: {why}"),
        }
    }
}
