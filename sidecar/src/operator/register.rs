//! `register`: become an operator (committer and collateral) and bind validator keys,
//! each with its proof of possession over the Registry's `popMessage(committer)`.

use std::fmt;

use alloy::{
    primitives::{Address, B256, Bytes, U256},
    providers::Provider,
};
use baton_preconf::{BlsPublicKey, BlsSecretKey, BlsSignature};

use super::{OperatorAccount, OperatorError, human_duration, pubkey_hash, revert_reason};

/// Most keys in one `registerValidators` transaction (each costs about 25k gas).
pub const MAX_BATCH: usize = 200;

/// What `register` will do, shown before anything is sent.
#[derive(Debug, Clone)]
pub struct RegisterPlan {
    /// The sending account.
    pub operator: Address,
    /// The committer the keys delegate to.
    pub committer: Address,
    /// Collateral to post with `registerOperator`, when the account is not an operator yet.
    pub new_operator_collateral: Option<U256>,
    /// Keys to bind with their proofs of possession, in order.
    pub keys: Vec<(BlsPublicKey, BlsSignature)>,
    /// Keys given that are already bound to this operator (skipped).
    pub already_ours: Vec<BlsPublicKey>,
    /// Keys per transaction.
    pub batch_size: usize,
    /// Gas the transactions need, estimated.
    pub gas: u64,
    /// Gas price now (wei).
    pub gas_price: u128,
    /// Seconds until new keys count (the fraud window).
    pub fraud_window: u64,
}

impl RegisterPlan {
    /// Transactions `register` will send.
    pub fn transactions(&self) -> usize {
        usize::from(self.new_operator_collateral.is_some())
            + self.keys.len().div_ceil(self.batch_size)
    }

    /// The estimated fee plus collateral, in wei.
    pub fn cost(&self) -> U256 {
        U256::from(self.gas) * U256::from(self.gas_price)
            + self.new_operator_collateral.unwrap_or_default()
    }
}

fn eth(wei: U256) -> String {
    alloy::primitives::utils::format_ether(wei)
}

impl fmt::Display for RegisterPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "operator   {}", self.operator)?;
        writeln!(f, "committer  {}", self.committer)?;
        if let Some(collateral) = self.new_operator_collateral {
            writeln!(
                f,
                "1. registerOperator with {} ETH collateral",
                eth(collateral)
            )?;
        }
        let batches = self.keys.len().div_ceil(self.batch_size);
        if batches > 0 {
            writeln!(
                f,
                "{}. registerValidators: {} keys in {batches} transaction(s) of up to {}",
                usize::from(self.new_operator_collateral.is_some()) + 1,
                self.keys.len(),
                self.batch_size
            )?;
        }
        if !self.already_ours.is_empty() {
            writeln!(
                f,
                "   ({} keys already registered to this operator are skipped)",
                self.already_ours.len()
            )?;
        }
        writeln!(
            f,
            "cost: about {} ETH ({} gas at {} gwei){}",
            eth(self.cost()),
            self.gas,
            self.gas_price / 1_000_000_000,
            if self.new_operator_collateral.is_some() {
                " including the collateral"
            } else {
                ""
            }
        )?;
        write!(
            f,
            "new keys count after the fraud window ({})",
            human_duration(self.fraud_window)
        )
    }
}

/// Checks everything on chain and signs the proofs of possession; sends nothing.
pub async fn plan_registration(
    account: &OperatorAccount,
    keys: &[BlsSecretKey],
    collateral: Option<U256>,
    batch_size: usize,
) -> Result<RegisterPlan, OperatorError> {
    let batch_size = batch_size.clamp(1, MAX_BATCH);
    let registry = account.registry();
    let call = |what: &str, e: alloy::contract::Error| {
        OperatorError::chain(
            format!("reading {what} from the Registry"),
            revert_reason(&e),
        )
    };
    let (op, params) = account.read().await?;
    let (min, fraud_window) = (params.min_collateral, params.fraud_window);
    let new_operator_collateral = if op.committer == Address::ZERO {
        let amount = collateral.unwrap_or(min);
        if amount < min {
            return Err(OperatorError::Refused(format!(
                "collateral {} ETH is below the Registry's minimum {} ETH; pass --collateral-wei {min} or more",
                eth(amount),
                eth(min)
            )));
        }
        if registry
            .operatorOfCommitter(account.committer)
            .call()
            .await
            .map_err(|e| call("the committer's operator", e))?
            != Address::ZERO
        {
            return Err(OperatorError::Refused(format!(
                "committer {} already belongs to another operator; use another committer key",
                account.committer
            )));
        }
        Some(amount)
    } else {
        if op.committer != account.committer {
            return Err(OperatorError::Refused(format!(
                "operator {} is registered with committer {}, not {}; use that committer key",
                account.operator, op.committer, account.committer
            )));
        }
        if op.optOutRequestedAt != 0 {
            return Err(OperatorError::Refused(format!(
                "operator {} is exiting (opt-out requested); withdraw first, then register again",
                account.operator
            )));
        }
        None
    };

    let message = registry
        .popMessage(account.committer)
        .call()
        .await
        .map_err(|e| call("popMessage", e))?;
    let mut planned = Vec::with_capacity(keys.len());
    let mut already_ours = Vec::new();
    let mut seen = std::collections::HashSet::with_capacity(keys.len());
    for key in keys {
        let public = key.public_key();
        if !seen.insert(public) {
            return Err(OperatorError::Refused(format!(
                "validator {public} is given twice"
            )));
        }
        let bound = registry
            .validatorKey(pubkey_hash(&public))
            .call()
            .await
            .map_err(|e| call("a validator key", e))?;
        if bound.operator != Address::ZERO {
            let holder = registry
                .operatorOf(bound.operator)
                .call()
                .await
                .map_err(|e| call("the key's operator", e))?;
            let live = holder.committer != Address::ZERO && holder.epoch == bound.epoch;
            if live && bound.operator == account.operator {
                already_ours.push(public);
                continue;
            }
            if live {
                return Err(OperatorError::Refused(format!(
                    "validator {public} is already registered to operator {}; nothing was sent",
                    bound.operator
                )));
            }
        }
        planned.push((public, key.sign_message(&message)));
    }

    // Gas: estimated per transaction kind, registration batches priced from the first.
    let mut gas = 0u64;
    if let Some(amount) = new_operator_collateral {
        gas += registry
            .registerOperator(account.committer)
            .value(amount)
            .estimate_gas()
            .await
            .map_err(|e| call("a gas estimate for registerOperator", e))?;
    }
    if !planned.is_empty() {
        // Keys cost the same each; without an operator yet the estimate would revert, so
        // price them at the Registry's measured ~27k gas per key plus the base.
        gas += 60_000 + 27_000 * planned.len() as u64;
    }
    let gas_price = account
        .provider
        .get_gas_price()
        .await
        .map_err(|e| OperatorError::chain("reading the gas price", e))?;
    Ok(RegisterPlan {
        operator: account.operator,
        committer: account.committer,
        new_operator_collateral,
        keys: planned,
        already_ours,
        batch_size,
        gas,
        gas_price,
        fraud_window,
    })
}

/// Carries out `plan`, calling `progress(done, total, tx hash)` after each transaction.
/// Returns the transaction hashes in order.
pub async fn register(
    account: &OperatorAccount,
    plan: &RegisterPlan,
    mut progress: impl FnMut(usize, usize, B256),
) -> Result<Vec<B256>, OperatorError> {
    let registry = account.registry();
    let total = plan.transactions();
    let mut hashes = Vec::with_capacity(total);
    if let Some(amount) = plan.new_operator_collateral {
        let request = registry
            .registerOperator(plan.committer)
            .value(amount)
            .into_transaction_request();
        let hash = account.send(request, "registerOperator").await?;
        hashes.push(hash);
        progress(hashes.len(), total, hash);
    }
    for batch in plan.keys.chunks(plan.batch_size) {
        let mut records = Vec::with_capacity(batch.len() * 144);
        for (key, pop) in batch {
            records.extend_from_slice(&key.0);
            records.extend_from_slice(&pop.0);
        }
        let request = registry
            .registerValidators(Bytes::from(records))
            .into_transaction_request();
        let hash = account.send(request, "registerValidators").await?;
        hashes.push(hash);
        progress(hashes.len(), total, hash);
    }
    Ok(hashes)
}
