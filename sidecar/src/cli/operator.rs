//! The operator commands' glue: keys from the configuration, a confirmation prompt,
//! progress, and plain output on stdout.

use std::{
    io::{BufRead, Write},
    path::{Path, PathBuf},
};

use alloy_primitives::{U256, utils::format_ether};
use baton_preconf::BlsSecretKey;
use eyre::{WrapErr, bail, eyre};

use super::args::RunArgs;
use crate::{
    beacon::BeaconClient,
    keys,
    lookahead::{SlotClock, SystemClock},
    operator::{self, OperatorAccount},
};

/// Most validator keystores one command reads.
const MAX_KEYSTORES: usize = 10_000;

/// `register`'s flags.
#[derive(Debug, clap::Args)]
pub(crate) struct RegisterArgs {
    #[command(flatten)]
    common: RunArgs,
    /// Collateral to post when becoming an operator, in wei [default: the Registry's minimum].
    #[arg(long = "collateral-wei")]
    collateral_wei: Option<U256>,
    /// Keys per registerValidators transaction [default: 100, at most 200].
    #[arg(long = "batch-size", default_value_t = 100)]
    batch_size: usize,
    /// Do not ask before sending.
    #[arg(long)]
    yes: bool,
}

/// Flags of commands that ask before sending.
#[derive(Debug, clap::Args)]
pub(crate) struct ConfirmArgs {
    #[command(flatten)]
    common: RunArgs,
    /// Do not ask before sending.
    #[arg(long)]
    yes: bool,
}

fn out(text: impl std::fmt::Display) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
}

/// Asks `question`; true on "y" or "yes".
fn confirm(question: &str) -> eyre::Result<bool> {
    {
        let mut stdout = std::io::stdout().lock();
        write!(stdout, "{question} [y/N] ")?;
        stdout.flush()?;
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

fn account(args: &RunArgs) -> eyre::Result<OperatorAccount> {
    let committer = args.committer()?;
    let operator = match &args.operator_key_file {
        Some(path) => keys::load_committer(path, args.operator_password_file.as_deref())
            .wrap_err_with(|| format!("loading the operator key from {}", path.display()))?,
        None => committer.clone(),
    };
    let registry = args.registry.ok_or_else(|| {
        eyre!("--registry (BATON_REGISTRY) is required: the Registry contract's address (the devnet writes it to .devnet/devnet.json)")
    })?;
    Ok(OperatorAccount::connect(
        &args.l1_rpc(),
        operator,
        committer.address(),
        registry,
    )?)
}

/// The keystore files named by `--validator.keystores` (folders expanded to their `*.json`).
fn keystore_files(args: &RunArgs) -> eyre::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in args.validator_keystores.iter().flatten() {
        if path.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(path)
                .wrap_err_with(|| format!("reading {}", path.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .take(MAX_KEYSTORES + 1)
                .collect();
            inside.sort();
            files.extend(inside);
        } else {
            files.push(path.clone());
        }
        if files.len() > MAX_KEYSTORES {
            bail!("more than {MAX_KEYSTORES} validator keystores given; register them in parts");
        }
    }
    Ok(files)
}

/// Decrypts every validator keystore, two at a time.
pub(crate) fn validator_keys(args: &RunArgs) -> eyre::Result<Vec<BlsSecretKey>> {
    let files = keystore_files(args)?;
    if files.is_empty() {
        bail!("no validator keystores: pass --validator.keystores (files or folders)");
    }
    let password = match &args.validator_password_file {
        Some(path) => keys::read_password_file(path)?,
        None => zeroize::Zeroizing::new(
            rpassword::prompt_password("Password of the validator keystores: ").wrap_err(
                "reading the password from the terminal (or pass --validator.password-file)",
            )?,
        ),
    };
    if files.len() > 1 {
        eprintln!("decrypting {} keystores…", files.len());
    }
    let decrypt = |path: &Path| -> eyre::Result<BlsSecretKey> {
        let bytes = keys::read_keystore_file(path)?;
        let text =
            std::str::from_utf8(&bytes).map_err(|_| eyre!("{} is not text", path.display()))?;
        keys::decrypt_bls_keystore(text, &password)
            .wrap_err_with(|| format!("decrypting {}", path.display()))
    };
    let half = files.len().div_ceil(2);
    let (first, second) = files.split_at(half);
    let (a, b) = std::thread::scope(|scope| {
        let other = scope.spawn(|| second.iter().map(|p| decrypt(p)).collect::<Vec<_>>());
        let mine: Vec<_> = first.iter().map(|p| decrypt(p)).collect();
        (mine, other.join())
    });
    let b = b.map_err(|_| eyre!("a keystore decryption thread panicked"))?;
    a.into_iter().chain(b).collect()
}

pub(crate) async fn register(args: RegisterArgs) -> eyre::Result<()> {
    let common = args.common.load()?;
    let account = account(&common)?;
    let keys = validator_keys(&common)?;
    let plan =
        operator::plan_registration(&account, &keys, args.collateral_wei, args.batch_size).await?;
    out(&plan);
    if plan.transactions() == 0 {
        out("nothing to do: every key is already registered to this operator");
        return Ok(());
    }
    if !args.yes && !confirm("Send these transactions?")? {
        bail!("cancelled; nothing was sent");
    }
    let hashes = operator::register(&account, &plan, |done, total, hash| {
        out(format!("[{done}/{total}] {hash}"));
    })
    .await?;
    out(format!(
        "registered {} validator key(s) in {} transaction(s)",
        plan.keys.len(),
        hashes.len()
    ));
    Ok(())
}

pub(crate) async fn status(args: RunArgs) -> eyre::Result<()> {
    let account = account(&args)?;
    let mut validators: Vec<_> = args.validator_pubkeys.clone().unwrap_or_default();
    for path in keystore_files(&args)? {
        validators.push(
            operator::keystore_pubkey(&path).map_err(|why| eyre!("{}: {why}", path.display()))?,
        );
    }
    let status = operator::status(&account, &validators, &args.rpc_url()).await?;
    out(status);
    Ok(())
}

pub(crate) async fn opt_out(args: ConfirmArgs) -> eyre::Result<()> {
    let common = args.common.load()?;
    let account = account(&common)?;
    if !args.yes
        && !confirm("Opt out? Your validator keys stop counting for new promises at once.")?
    {
        bail!("cancelled; nothing was sent");
    }
    let report = operator::opt_out(&account).await?;
    out(format!(
        "opt-out requested in {}; collateral withdrawable from {}",
        report.tx,
        crate::operator::utc(report.withdrawable_at)
    ));
    Ok(())
}

pub(crate) async fn withdraw(args: RunArgs) -> eyre::Result<()> {
    let account = account(&args)?;
    let report = operator::withdraw(&account).await?;
    out(format!(
        "withdrew {} ETH in {}",
        format_ether(report.amount),
        report.tx
    ));
    Ok(())
}

pub(crate) async fn delegate(args: RunArgs) -> eyre::Result<()> {
    let committer = args.committer()?;
    let delegate = args.delegate()?.ok_or_else(|| {
        eyre!("--delegate.keystore and --delegate.password-file are required: the key the sidecar signs constraints with")
    })?;
    let relays = args.relays.clone().unwrap_or_default();
    if relays.is_empty() {
        bail!("--relays (BATON_RELAYS) names no relay to send the delegations to");
    }
    let validators = validator_keys(&args)?;
    let beacon = BeaconClient::new(
        args.beacon_url
            .as_deref()
            .unwrap_or("http://127.0.0.1:5052"),
    );
    let (genesis, fork_version) = beacon.genesis().await?;
    let mut chain = baton_preconf::ChainSpec::devnet(args.chain_id.unwrap_or(3_151_908), genesis);
    if let Some(version) = fork_version {
        chain.genesis_fork_version = version;
    }
    chain.seconds_per_slot = args.chain_seconds_per_slot.unwrap_or(2);
    chain.slots_per_epoch = args.chain_slots_per_epoch.unwrap_or(8);
    let now = SystemClock.now_ms() / 1000;
    let report = operator::delegate(
        &beacon,
        &chain,
        now,
        &validators,
        delegate.public_key(),
        committer.address(),
        &relays,
    )
    .await?;
    out(format!(
        "signed {} delegation(s) to {} for the coming slots",
        report.signed.len(),
        delegate.public_key()
    ));
    let mut failed = false;
    for (relay, accepted, refusal) in &report.relays {
        match refusal {
            None => out(format!("  {relay}: {accepted} accepted")),
            Some(why) => {
                failed = true;
                out(format!("  {relay}: {accepted} accepted; refused: {why}"));
            }
        }
    }
    if failed {
        bail!("a relay refused delegations (see above)");
    }
    Ok(())
}

pub(crate) fn keys(args: &RunArgs) -> eyre::Result<()> {
    let committer = args.committer()?.address();
    let operator = match &args.operator_key_file {
        Some(path) => keys::load_committer(path, args.operator_password_file.as_deref())?.address(),
        None => committer,
    };
    let delegate = args.delegate()?.map(|d| d.public_key());
    out(operator::list_keys(
        committer,
        operator,
        delegate,
        &keystore_files(args)?,
    ));
    Ok(())
}
