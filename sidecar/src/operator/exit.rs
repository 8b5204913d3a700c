//! `opt-out` and `withdraw`: leaving the Registry. Withdrawal waits for the exit delay
//! (and the fraud window of the latest registration) and for open disputes to close;
//! when it is too early, the refusal says until when.

use alloy::primitives::{Address, B256, U256};

use super::{OperatorAccount, OperatorError, human_duration};

/// What an exit step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitReport {
    /// The transaction.
    pub tx: B256,
    /// For `opt-out`: when withdrawal becomes possible. For `withdraw`: zero.
    pub withdrawable_at: u64,
    /// For `withdraw`: the collateral returned.
    pub amount: U256,
}

/// `time` (Unix seconds) as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc(time: u64) -> String {
    let days = time / 86_400;
    let secs = time % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

async fn ready_at(account: &OperatorAccount) -> Result<(u64, u64, u32, U256), OperatorError> {
    let (op, params) = account.read().await?;
    if op.committer == Address::ZERO {
        return Err(OperatorError::Refused(format!(
            "{} is not a registered operator",
            account.operator
        )));
    }
    let now = account.now().await?;
    Ok((
        op.optOutRequestedAt.to::<u64>(),
        super::withdrawable_at(&op, params, now),
        op.openDisputes,
        U256::from(op.collateral),
    ))
}

/// Requests the exit: the operator's keys stop counting at once; collateral can be
/// withdrawn after the exit delay.
pub async fn opt_out(account: &OperatorAccount) -> Result<ExitReport, OperatorError> {
    let (requested, ready, _, _) = ready_at(account).await?;
    if requested != 0 {
        return Err(OperatorError::Refused(format!(
            "opt-out was already requested; withdraw from {}",
            utc(ready)
        )));
    }
    let request = account
        .registry()
        .requestOptOut()
        .into_transaction_request();
    let tx = account.send(request, "requestOptOut").await?;
    let (_, ready, _, _) = ready_at(account).await?;
    Ok(ExitReport {
        tx,
        withdrawable_at: ready,
        amount: U256::ZERO,
    })
}

/// Withdraws the collateral once the exit is ready; explains plainly when it is not.
pub async fn withdraw(account: &OperatorAccount) -> Result<ExitReport, OperatorError> {
    let (requested, ready, disputes, collateral) = ready_at(account).await?;
    if requested == 0 {
        return Err(OperatorError::Refused(
            "no exit requested: run `baton-sidecar opt-out` first, then withdraw after the exit delay".into(),
        ));
    }
    let now = account.now().await?;
    if now < ready {
        return Err(OperatorError::Refused(format!(
            "too early: the collateral can be withdrawn from {} (in {}); nothing was sent",
            utc(ready),
            human_duration(ready - now)
        )));
    }
    if disputes > 0 {
        return Err(OperatorError::Refused(format!(
            "{disputes} dispute(s) are open against this operator; withdraw after they close"
        )));
    }
    let request = account.registry().withdraw().into_transaction_request();
    let tx = account.send(request, "withdraw").await?;
    Ok(ExitReport {
        tx,
        withdrawable_at: 0,
        amount: collateral,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
    }
}
