//! `baton-sidecar run`'s settings: flags, `BATON_*` variables and a TOML file, merged in
//! that order of precedence, then checked into a [`Config`].

use std::{fs, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use alloy_primitives::{Address, U256};
use baton_preconf::{BlsPublicKey, RollupId};
use eyre::{WrapErr, bail, eyre};
use serde::Deserialize;

use crate::{
    config::{BuilderConfig, CommitterKey, Config, JournalBackend, RollupSource, ValidatorKeys},
    journal::RedisOptions,
    keys::{self, DelegateKey},
    ledger::Limits,
    pbs::{RelayEndpoint, Timing},
};

/// Flags of `run`. Each also reads a `BATON_*` variable; anything unset falls back to the
/// TOML file given with `--config` (same names, `-` and `.` written as `_`), then to the
/// devnet default.
#[derive(Debug, clap::Args, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunArgs {
    /// A TOML file with any of these settings.
    #[arg(long, env = "BATON_CONFIG")]
    #[serde(skip)]
    pub(crate) config: Option<PathBuf>,
    /// Journal folder [default: .baton-sidecar].
    #[arg(long, env = "BATON_DATA_DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Journal promises in this Redis instead of the data folder, shared with the other
    /// sidecars of the same validators; one at a time holds the signing lease.
    #[arg(long = "journal.redis-url", env = "BATON_JOURNAL_REDIS_URL")]
    pub(crate) journal_redis_url: Option<String>,
    /// Key prefix in Redis shared by the sidecars of one operator
    /// [default: sidecar-<committer address>].
    #[arg(
        long = "journal.redis-namespace",
        env = "BATON_JOURNAL_REDIS_NAMESPACE"
    )]
    pub(crate) journal_redis_namespace: Option<String>,
    /// Signing lease time to live, in ms [default: 3000].
    #[arg(long = "journal.lease-ms", env = "BATON_JOURNAL_LEASE_MS")]
    pub(crate) journal_lease_ms: Option<u64>,
    /// Accept a Redis that does not fsync every write (loses promises if Redis crashes;
    /// for benchmarks) [default: false].
    #[arg(
        long = "journal.redis-allow-volatile",
        env = "BATON_JOURNAL_REDIS_ALLOW_VOLATILE",
        num_args = 0..=1,
        default_missing_value = "true"
    )]
    pub(crate) journal_redis_allow_volatile: Option<bool>,
    /// JSON-RPC listen address [default: 127.0.0.1:18550].
    #[arg(long = "rpc.addr", env = "BATON_RPC_ADDR")]
    pub(crate) rpc_addr: Option<SocketAddr>,
    /// Beacon node REST API [default: http://127.0.0.1:5052].
    #[arg(long = "beacon.url", env = "BATON_BEACON_URL")]
    pub(crate) beacon_url: Option<String>,
    /// L1 chain id [default: 3151908].
    #[arg(long = "chain.id", env = "BATON_CHAIN_ID")]
    pub(crate) chain_id: Option<u64>,
    /// Seconds per slot [default: 2].
    #[arg(long = "chain.seconds-per-slot", env = "BATON_CHAIN_SECONDS_PER_SLOT")]
    pub(crate) chain_seconds_per_slot: Option<u64>,
    /// Slots per epoch [default: 8].
    #[arg(long = "chain.slots-per-epoch", env = "BATON_CHAIN_SLOTS_PER_EPOCH")]
    pub(crate) chain_slots_per_epoch: Option<u64>,
    /// The Slasher contract (EIP-712 verifying contract). Required.
    #[arg(long, env = "BATON_SLASHER")]
    pub(crate) slasher: Option<Address>,
    /// The committer's key: a web3 secret-storage (v3) keystore, or a file holding the hex
    /// private key. Required.
    #[arg(long = "committer.key-file", env = "BATON_COMMITTER_KEY_FILE")]
    pub(crate) committer_key_file: Option<PathBuf>,
    /// Password file of the committer keystore (trailing newline ignored); none for a hex key.
    #[arg(
        long = "committer.password-file",
        env = "BATON_COMMITTER_PASSWORD_FILE"
    )]
    pub(crate) committer_password_file: Option<PathBuf>,
    /// The delegate's EIP-2335 BLS keystore, which will sign constraints [default: none].
    #[arg(long = "delegate.keystore", env = "BATON_DELEGATE_KEYSTORE")]
    pub(crate) delegate_keystore: Option<PathBuf>,
    /// Password file of the delegate keystore.
    #[arg(long = "delegate.password-file", env = "BATON_DELEGATE_PASSWORD_FILE")]
    pub(crate) delegate_password_file: Option<PathBuf>,
    /// Validator BLS public keys served, comma-separated. Required.
    #[arg(
        long = "validator.pubkeys",
        env = "BATON_VALIDATOR_PUBKEYS",
        value_delimiter = ','
    )]
    pub(crate) validator_pubkeys: Option<Vec<BlsPublicKey>>,
    /// L1 execution client JSON-RPC: head, accounts, the RollupInbox
    /// [default: http://127.0.0.1:8545].
    #[arg(long = "l1.rpc", env = "BATON_L1_RPC")]
    pub(crate) l1_rpc: Option<String>,
    /// How often the L1 head is polled, in ms [default: 250].
    #[arg(long = "l1.head-poll-ms", env = "BATON_L1_HEAD_POLL_MS")]
    pub(crate) l1_head_poll_ms: Option<u64>,
    /// The RollupInbox: sequence every rollup registered there.
    #[arg(long = "rollup-inbox", env = "BATON_ROLLUP_INBOX")]
    pub(crate) rollup_inbox: Option<Address>,
    /// Rollups sequenced when no --rollup-inbox is given, as `id=l2ChainId`,
    /// comma-separated [default: 1=167001,2=167002].
    #[arg(long, env = "BATON_ROLLUPS", value_delimiter = ',')]
    pub(crate) rollups: Option<Vec<RollupArg>>,
    /// L2 JSON-RPC of rollups whose transactions are checked against their senders' L2
    /// nonce and balance, as `id=url`, comma-separated [default: none].
    #[arg(
        long = "rollup.l2-rpc",
        env = "BATON_ROLLUP_L2_RPC",
        value_delimiter = ','
    )]
    pub(crate) rollup_l2_rpc: Option<Vec<String>>,
    /// Promises close this many ms before the slot [default: 500].
    #[arg(long = "deadline-ms", env = "BATON_DEADLINE_MS")]
    pub(crate) deadline_ms: Option<u64>,
    /// Slots ahead promises are sold [default: 32].
    #[arg(long = "window-slots", env = "BATON_WINDOW_SLOTS")]
    pub(crate) window_slots: Option<u64>,
    /// L1 gas promised per slot at most [default: 15000000].
    #[arg(long = "limits.gas-per-slot", env = "BATON_LIMITS_GAS_PER_SLOT")]
    pub(crate) limits_gas_per_slot: Option<u64>,
    /// Transactions per rollup batch [default: 1024].
    #[arg(long = "limits.batch-txs", env = "BATON_LIMITS_BATCH_TXS")]
    pub(crate) limits_batch_txs: Option<u64>,
    /// Bytes per rollup batch [default: 120000].
    #[arg(long = "limits.batch-bytes", env = "BATON_LIMITS_BATCH_BYTES")]
    pub(crate) limits_batch_bytes: Option<u64>,
    /// Blobs promised per slot at most [default: 6].
    #[arg(long = "limits.blobs-per-slot", env = "BATON_LIMITS_BLOBS_PER_SLOT")]
    pub(crate) limits_blobs_per_slot: Option<u64>,
    /// Fee per rollup transaction, in wei [default: 0].
    #[arg(long = "fee.per-rollup-tx", env = "BATON_FEE_PER_ROLLUP_TX")]
    pub(crate) fee_per_rollup_tx: Option<U256>,
    /// Minimum inclusion tip in an empty slot, wei per gas [default: 1000000000].
    #[arg(long = "pricing.base-tip-wei", env = "BATON_PRICING_BASE_TIP_WEI")]
    pub(crate) pricing_base_tip_wei: Option<u128>,
    /// The Registry contract (operator commands).
    #[arg(long, env = "BATON_REGISTRY")]
    pub(crate) registry: Option<Address>,
    /// Key of the operator account that registers, posts collateral and withdraws: a web3
    /// keystore or a hex key file [default: the committer key].
    #[arg(long = "operator.key-file", env = "BATON_OPERATOR_KEY_FILE")]
    pub(crate) operator_key_file: Option<PathBuf>,
    /// Password file of the operator keystore.
    #[arg(long = "operator.password-file", env = "BATON_OPERATOR_PASSWORD_FILE")]
    pub(crate) operator_password_file: Option<PathBuf>,
    /// EIP-2335 validator keystores: files, or folders whose `*.json` files are keystores,
    /// comma-separated (operator commands; with `--builder.addr`, `run` keeps their
    /// delegations published and serves their slots).
    #[arg(
        long = "validator.keystores",
        env = "BATON_VALIDATOR_KEYSTORES",
        value_delimiter = ','
    )]
    pub(crate) validator_keystores: Option<Vec<PathBuf>>,
    /// Password file of the validator keystores [default: asked on the terminal].
    #[arg(
        long = "validator.password-file",
        env = "BATON_VALIDATOR_PASSWORD_FILE"
    )]
    pub(crate) validator_password_file: Option<PathBuf>,
    /// Relays, comma-separated, as `0x<relay BLS public key>@http://host:port` (the key
    /// checks their bids; `delegate` also takes bare URLs) [default: none].
    #[arg(long, env = "BATON_RELAYS", value_delimiter = ',')]
    pub(crate) relays: Option<Vec<String>>,
    /// Serve the builder API (the beacon node's builder URL) here, seal our slots at their
    /// deadline and send constraints to the relays [default: off]. Needs the delegate key.
    #[arg(long = "builder.addr", env = "BATON_BUILDER_ADDR")]
    pub(crate) builder_addr: Option<SocketAddr>,
    /// How long each relay gets to answer header_with_proofs, in ms [default: 600].
    #[arg(
        long = "builder.relay-timeout-ms",
        env = "BATON_BUILDER_RELAY_TIMEOUT_MS"
    )]
    pub(crate) builder_relay_timeout_ms: Option<u64>,
    /// The whole getHeader answer, fallback included, in ms [default: 900].
    #[arg(long = "builder.budget-ms", env = "BATON_BUILDER_BUDGET_MS")]
    pub(crate) builder_budget_ms: Option<u64>,
    /// How long a relay gets to deliver a signed block's payload, in ms [default: 2000].
    #[arg(
        long = "builder.payload-timeout-ms",
        env = "BATON_BUILDER_PAYLOAD_TIMEOUT_MS"
    )]
    pub(crate) builder_payload_timeout_ms: Option<u64>,
    /// Priority fee of rollup batch transactions, wei per gas [default: 1000000000].
    #[arg(long = "builder.batch-tip-wei", env = "BATON_BUILDER_BATCH_TIP_WEI")]
    pub(crate) builder_batch_tip_wei: Option<u128>,
    /// Fault for end-to-end tests only: every sealed slot leaves its last promised L1
    /// transaction out (a broken promise the Slasher must punish) [default: off].
    #[arg(long = "fault.drop-promised-tx", env = "BATON_FAULT_DROP_PROMISED_TX")]
    #[serde(default)]
    pub(crate) fault_drop_promised_tx: bool,
    /// The execution client's Engine API, for the fallback block [default: no fallback].
    #[arg(long = "l1.engine-url", env = "BATON_L1_ENGINE_URL")]
    pub(crate) l1_engine_url: Option<String>,
    /// File with the Engine API's JWT secret (hex).
    #[arg(long = "l1.jwt-secret", env = "BATON_L1_JWT_SECRET")]
    pub(crate) l1_jwt_secret: Option<PathBuf>,
    /// Calls per second from one client IP, 0 for no limit [default: 2000].
    #[arg(long = "rate-limit.per-ip", env = "BATON_RATE_LIMIT_PER_IP")]
    pub(crate) rate_limit_per_ip: Option<u32>,
    /// Promise requests per second from one wallet, 0 for no limit [default: 100].
    #[arg(long = "rate-limit.per-wallet", env = "BATON_RATE_LIMIT_PER_WALLET")]
    pub(crate) rate_limit_per_wallet: Option<u32>,
    /// Products auctioned in every owned slot, comma-separated or repeated:
    /// `top:<rollup>:<k>`, `whole:<rollup>`, `bundle:<r1>+<r2>[+…]:<k>`, each optionally
    /// `@<reserve wei>` [default: none, no auction].
    #[arg(
        long = "market.products",
        env = "BATON_MARKET_PRODUCTS",
        value_delimiter = ','
    )]
    pub(crate) market_products: Option<Vec<crate::market::ProductSpec>>,
    /// A slot's auction closes this many ms before its promise deadline [default: 3000].
    #[arg(long = "market.close-ms", env = "BATON_MARKET_CLOSE_MS")]
    pub(crate) market_close_ms: Option<u64>,
    /// Where winning bids' payments go [default: the committer address].
    #[arg(long = "market.fee-recipient", env = "BATON_MARKET_FEE_RECIPIENT")]
    pub(crate) market_fee_recipient: Option<Address>,
}

/// A rollup given on the command line: `id=l2ChainId`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct RollupArg(RollupId, u64);

impl std::str::FromStr for RollupArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (id, chain) = s
            .split_once('=')
            .ok_or_else(|| format!("rollup `{s}` must be written id=l2ChainId"))?;
        let id: u64 = id
            .trim()
            .parse()
            .map_err(|_| format!("bad rollup id in `{s}`"))?;
        let chain: u64 = chain
            .trim()
            .parse()
            .map_err(|_| format!("bad L2 chain id in `{s}`"))?;
        if id == 0 {
            return Err("rollup ids start at 1".into());
        }
        Ok(Self(RollupId(id), chain))
    }
}

impl TryFrom<String> for RollupArg {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

macro_rules! merge {
    ($cli:ident, $file:ident, $($field:ident),*) => {
        $( if $cli.$field.is_none() { $cli.$field = $file.$field.take(); } )*
    };
}

impl RunArgs {
    /// Fills every setting not given as a flag or variable from the `--config` TOML file.
    pub(crate) fn load(mut self) -> eyre::Result<Self> {
        let mut cli = std::mem::take(&mut self);
        if let Some(path) = &cli.config {
            let text =
                fs::read_to_string(path).wrap_err_with(|| format!("reading {}", path.display()))?;
            let mut file: Self =
                toml::from_str(&text).wrap_err_with(|| format!("parsing {}", path.display()))?;
            merge!(
                cli,
                file,
                data_dir,
                journal_redis_url,
                journal_redis_namespace,
                journal_lease_ms,
                journal_redis_allow_volatile,
                rpc_addr,
                beacon_url,
                l1_rpc,
                l1_head_poll_ms,
                chain_id,
                chain_seconds_per_slot,
                chain_slots_per_epoch,
                slasher,
                committer_key_file,
                committer_password_file,
                delegate_keystore,
                delegate_password_file,
                validator_pubkeys,
                rollups,
                rollup_l2_rpc,
                deadline_ms,
                window_slots,
                limits_gas_per_slot,
                limits_batch_txs,
                limits_batch_bytes,
                limits_blobs_per_slot,
                fee_per_rollup_tx,
                rate_limit_per_ip,
                rate_limit_per_wallet,
                pricing_base_tip_wei,
                rollup_inbox,
                registry,
                operator_key_file,
                operator_password_file,
                validator_keystores,
                validator_password_file,
                relays,
                builder_addr,
                builder_relay_timeout_ms,
                builder_budget_ms,
                builder_payload_timeout_ms,
                builder_batch_tip_wei,
                l1_engine_url,
                l1_jwt_secret,
                market_products,
                market_close_ms,
                market_fee_recipient
            );
        }
        Ok(cli)
    }

    /// The committer key (`--committer.key-file`, with `--committer.password-file` for a
    /// keystore).
    pub(crate) fn committer(&self) -> eyre::Result<alloy_signer_local::PrivateKeySigner> {
        let key_file = self
            .committer_key_file
            .as_deref()
            .ok_or_else(|| eyre!("--committer.key-file (BATON_COMMITTER_KEY_FILE) is required"))?;
        // Key errors never carry secret material.
        keys::load_committer(key_file, self.committer_password_file.as_deref())
            .wrap_err_with(|| format!("loading the committer key from {}", key_file.display()))
    }

    /// The delegate key, if `--delegate.keystore` is given.
    pub(crate) fn delegate(&self) -> eyre::Result<Option<DelegateKey>> {
        match (&self.delegate_keystore, &self.delegate_password_file) {
            (Some(keystore), Some(password)) => Ok(Some(DelegateKey::new(
                keys::load_bls_keystore(keystore, password).wrap_err_with(|| {
                    format!("loading the delegate key from {}", keystore.display())
                })?,
            ))),
            (Some(_), None) => bail!(
                "--delegate.keystore needs --delegate.password-file (BATON_DELEGATE_PASSWORD_FILE)"
            ),
            (None, Some(_)) => bail!("--delegate.password-file given without --delegate.keystore"),
            (None, None) => Ok(None),
        }
    }

    /// The L1 RPC URL [default: http://127.0.0.1:8545].
    pub(crate) fn l1_rpc(&self) -> String {
        self.l1_rpc
            .clone()
            .unwrap_or_else(|| "http://127.0.0.1:8545".to_owned())
    }

    /// The sidecar's own JSON-RPC URL (from `--rpc.addr`).
    pub(crate) fn rpc_url(&self) -> String {
        format!(
            "http://{}",
            self.rpc_addr
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 18_550)))
        )
    }
}

impl RunArgs {
    /// Block production, if `--builder.addr` is given: checks the delegate key, the
    /// relays' keys and the Engine API settings, and decrypts the validator keystores.
    fn builder(&self, delegate: Option<&DelegateKey>) -> eyre::Result<Option<BuilderConfig>> {
        let Some(addr) = self.builder_addr else {
            return Ok(None);
        };
        if delegate.is_none() {
            bail!(
                "--builder.addr needs the delegate key (--delegate.keystore, --delegate.password-file): it signs constraints and the fallback bid"
            );
        }
        let relays = self
            .relays
            .iter()
            .flatten()
            .map(|r| {
                let endpoint: RelayEndpoint = r.parse().map_err(|e: String| eyre!(e))?;
                if endpoint.pubkey.is_none() {
                    bail!("relay {endpoint} needs its BLS key to check its bids: write it 0x<pubkey>@{endpoint}");
                }
                Ok(endpoint)
            })
            .collect::<eyre::Result<Vec<_>>>()?;
        if self.l1_engine_url.is_some() != self.l1_jwt_secret.is_some() {
            bail!("--l1.engine-url and --l1.jwt-secret go together");
        }
        let validator_keys = if self
            .validator_keystores
            .as_ref()
            .is_some_and(|k| !k.is_empty())
        {
            if self.validator_password_file.is_none() {
                bail!("--validator.keystores needs --validator.password-file when running");
            }
            super::operator::validator_keys(self)?
        } else {
            Vec::new()
        };
        let relay_timeout = Duration::from_millis(self.builder_relay_timeout_ms.unwrap_or(600));
        let budget = Duration::from_millis(self.builder_budget_ms.unwrap_or(900));
        if relay_timeout >= budget {
            bail!("--builder.relay-timeout-ms must be below --builder.budget-ms");
        }
        Ok(Some(BuilderConfig {
            addr,
            relays,
            timing: Timing {
                relay_timeout,
                budget,
                payload_timeout: Duration::from_millis(
                    self.builder_payload_timeout_ms.unwrap_or(2_000),
                ),
            },
            engine_url: self.l1_engine_url.clone(),
            jwt_secret: self.l1_jwt_secret.clone(),
            batch_tip_wei: self.builder_batch_tip_wei.unwrap_or(1_000_000_000),
            validator_keys: ValidatorKeys(Arc::new(validator_keys)),
            fault_drop_promised_tx: self.fault_drop_promised_tx,
        }))
    }
}

impl TryFrom<RunArgs> for Config {
    type Error = eyre::Report;

    fn try_from(cli: RunArgs) -> eyre::Result<Self> {
        let committer = cli.committer()?;
        let defender = match &cli.operator_key_file {
            Some(path) => Some(CommitterKey(
                keys::load_committer(path, cli.operator_password_file.as_deref()).wrap_err_with(
                    || format!("loading the operator key from {}", path.display()),
                )?,
            )),
            None => None,
        };
        let delegate = cli.delegate()?;
        let builder = cli.builder(delegate.as_ref())?;
        let l1_rpc = cli.l1_rpc();
        let mut validators = cli.validator_pubkeys.clone().unwrap_or_default();
        if let Some(builder) = &builder {
            for key in builder.validator_keys.0.iter() {
                if !validators.contains(&key.public_key()) {
                    validators.push(key.public_key());
                }
            }
        }
        if validators.is_empty() {
            bail!(
                "--validator.pubkeys (BATON_VALIDATOR_PUBKEYS) must name at least one validator (or, with --builder.addr, --validator.keystores)"
            );
        }
        let seconds_per_slot = cli.chain_seconds_per_slot.unwrap_or(2);
        let slots_per_epoch = cli.chain_slots_per_epoch.unwrap_or(8);
        if seconds_per_slot == 0 || slots_per_epoch == 0 {
            bail!("--chain.seconds-per-slot and --chain.slots-per-epoch must be non-zero");
        }
        let journal = match cli.journal_redis_url {
            None => JournalBackend::File,
            Some(url) => JournalBackend::Redis(RedisOptions {
                url,
                namespace: cli
                    .journal_redis_namespace
                    .unwrap_or_else(|| format!("sidecar-{}", committer.address())),
                lease: Duration::from_millis(cli.journal_lease_ms.unwrap_or(3_000).max(300)),
                allow_volatile: cli.journal_redis_allow_volatile.unwrap_or(false),
            }),
        };
        let mut l2_rpcs = Vec::new();
        for item in cli.rollup_l2_rpc.unwrap_or_default() {
            let (id, url) = item
                .split_once('=')
                .ok_or_else(|| eyre!("--rollup.l2-rpc `{item}` must be written id=url"))?;
            let id: u64 = id
                .trim()
                .parse()
                .map_err(|_| eyre!("--rollup.l2-rpc: bad rollup id in `{item}`"))?;
            l2_rpcs.push((RollupId(id), url.trim().to_owned()));
        }
        let rollups = match (cli.rollup_inbox, cli.rollups) {
            (Some(_), Some(_)) => bail!("give either --rollup-inbox or --rollups, not both"),
            (Some(inbox), None) => RollupSource::Inbox(inbox),
            (None, fixed) => RollupSource::Fixed(
                fixed
                    .unwrap_or_else(|| {
                        vec![
                            RollupArg(RollupId(1), 167_001),
                            RollupArg(RollupId(2), 167_002),
                        ]
                    })
                    .into_iter()
                    .map(|r| (r.0, r.1))
                    .collect(),
            ),
        };
        let market = crate::market::MarketConfig::new(
            cli.market_products.unwrap_or_default(),
            cli.market_close_ms
                .unwrap_or(crate::market::DEFAULT_CLOSE_MS),
            // The operator controls the committer key, so its address is a safe default.
            Some(cli.market_fee_recipient.unwrap_or(committer.address())),
            match &rollups {
                RollupSource::Fixed(list) => {
                    Some(list.iter().map(|(id, _)| *id).collect::<Vec<_>>())
                }
                // Checked against the inbox's rollups when the sidecar starts.
                RollupSource::Inbox(_) => None,
            }
            .as_deref(),
        )?;
        Ok(Self {
            market,
            rollups,
            journal,
            l2_rpcs,
            data_dir: cli
                .data_dir
                .unwrap_or_else(|| PathBuf::from(".baton-sidecar")),
            rpc_addr: cli
                .rpc_addr
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 18_550))),
            beacon_url: cli
                .beacon_url
                .unwrap_or_else(|| "http://127.0.0.1:5052".to_owned()),
            chain_id: cli.chain_id.unwrap_or(3_151_908),
            seconds_per_slot,
            slots_per_epoch,
            slasher: cli
                .slasher
                .ok_or_else(|| eyre!("--slasher (BATON_SLASHER) is required"))?,
            committer: CommitterKey(committer),
            delegate,
            validators,
            l1_rpc,
            head_poll_ms: cli.l1_head_poll_ms.unwrap_or(250).max(10),
            deadline_ms: cli.deadline_ms.unwrap_or(500),
            window_slots: cli.window_slots.unwrap_or(32),
            limits: Limits {
                gas_per_slot: cli.limits_gas_per_slot.unwrap_or(15_000_000),
                batch_max_txs: cli.limits_batch_txs.unwrap_or(1_024),
                batch_max_bytes: cli.limits_batch_bytes.unwrap_or(120_000),
                blobs_per_slot: cli.limits_blobs_per_slot.unwrap_or(6),
            },
            fee_per_rollup_tx: cli.fee_per_rollup_tx.unwrap_or_default(),
            base_tip_wei: cli.pricing_base_tip_wei.unwrap_or(1_000_000_000),
            // Bursts of a second's worth: a wallet may send a bundle of calls at once.
            rate_per_ip: {
                let r = cli.rate_limit_per_ip.unwrap_or(2_000);
                (r, r)
            },
            rate_per_wallet: {
                let r = cli.rate_limit_per_wallet.unwrap_or(100);
                (r, r)
            },
            builder,
            defender,
        })
    }
}

#[cfg(test)]
#[path = "args_tests.rs"]
mod tests;
