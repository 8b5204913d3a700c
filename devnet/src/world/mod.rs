//! Starting, describing and stopping the whole devnet.
//!
//! Order: the execution client (ethereumjs, Prague, from a genesis written here) and the
//! beacon service driving it; the contracts; the operators' opt-in; Redis when installed;
//! the relay and the builder; the two rollups' L2s and their node; the sidecars. Every
//! process started is stopped when [`Devnet`] drops, and recorded in `<data-dir>/pids`.

mod children;
mod engine_mux;
mod faults;
mod info;
mod operators;
mod ports;
mod roles;
mod rollups;
mod sidecars;

use std::{
    fs,
    path::PathBuf,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use baton_contracts::DeployParams;
use baton_engine::{EngineClient, JwtSecret};
use baton_toolchain::{Anvil, EthereumJs, EthereumJsOptions, Redis, Tool, locate};
pub use children::{Child, alive, binary, stop_recorded};
use engine_mux::EngineMux;
use eyre::WrapErr;
pub use info::{DevnetInfo, RollupEndpoint, SidecarInfo};
use ports::Ports;
pub use roles::{DEPLOYER, FIRST_WALLET, KEYSTORE_PASSWORD, SidecarRole, dev_signer};
pub use rollups::Rollups;

use crate::{
    DevnetConfig,
    beacon::{BeaconConfig, BeaconHandle, BeaconService, ExecutionLayer, ValidatorSetup},
    deploy,
    explorer::{
        BeaconSource, Explorer, ExplorerHandle, ExplorerSources, RollupSource, SidecarSource,
    },
};

/// A running devnet; dropping it stops every process it started.
#[derive(Debug)]
pub struct Devnet {
    // Field order is drop order: clients of a service stop before it.
    _explorer: ExplorerHandle,
    watcher: Child,
    twin: Option<Child>,
    sidecars: Vec<Child>,
    builder: Child,
    relay: Child,
    rollups: Rollups,
    beacon: BeaconHandle,
    _engine_mux: EngineMux,
    _redis: Option<Redis>,
    _l1: EthereumJs,
    /// What it offers.
    pub info: DevnetInfo,
    /// Where `info` was written.
    pub info_path: PathBuf,
    /// The pid file.
    pub pids_path: PathBuf,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[allow(clippy::needless_pass_by_value)] // Takes `&str`, numbers and addresses alike.
fn s(value: impl ToString) -> String {
    value.to_string()
}

impl Devnet {
    /// Starts everything, writes `devnet.json`.
    pub async fn start(config: &DevnetConfig) -> eyre::Result<Self> {
        let data_dir = std::path::absolute(&config.data_dir)
            .wrap_err_with(|| format!("resolving {}", config.data_dir.display()))?;
        fs::create_dir_all(&data_dir)
            .wrap_err_with(|| format!("creating {}", data_dir.display()))?;
        let pids_path = data_dir.join("pids");
        let leftover = stop_recorded(&pids_path, Duration::from_secs(3));
        if leftover > 0 {
            tracing::warn!(leftover, "stopped processes an earlier devnet left running");
        }
        let logs = data_dir.join("logs");
        let _ = fs::remove_dir_all(&logs);
        fs::create_dir_all(&logs)?;
        // Binaries first: fail before anything starts if one is missing.
        for name in [
            "baton-relay",
            "baton-builder",
            "baton-sidecar",
            "baton-watch",
        ] {
            binary(name)?;
        }

        let sidecar_roles = (0..config.sidecars)
            .map(|i| {
                let first = i as u64 * config.validators_per_sidecar;
                SidecarRole::new(i, (first..first + config.validators_per_sidecar).collect())
            })
            .collect::<eyre::Result<Vec<_>>>()?;
        let opted_in = config.sidecars as u64 * config.validators_per_sidecar;
        eyre::ensure!(
            opted_in <= config.validators,
            "{} sidecars × {} validators exceed the {} validators",
            config.sidecars,
            config.validators_per_sidecar,
            config.validators
        );

        // ⑦ The L1: ethereumjs from our genesis, slot 0 a few seconds ahead.
        let genesis_time = now() + 6;
        let prefunded = Anvil::DEV_KEYS
            .iter()
            .map(|k| {
                let signer: alloy::signers::local::PrivateKeySigner = k.parse()?;
                Ok((
                    signer.address(),
                    alloy_primitives::U256::from(10u128.pow(24)),
                ))
            })
            .collect::<eyre::Result<Vec<_>>>()?;
        let el_options = EthereumJsOptions {
            chain_id: config.l1_chain_id,
            prefunded,
            genesis_time,
            data_dir: Some(data_dir.join("l1")),
            ..EthereumJsOptions::default()
        };
        let l1 = tokio::task::spawn_blocking(move || EthereumJs::start(&el_options))
            .await?
            .wrap_err("starting the L1 execution client (ethereumjs)")?;
        if let Some(pid) = l1.pid() {
            children::record_external(&pids_path, pid)?;
        }
        let jwt = JwtSecret::from_hex(l1.jwt_hex())?;
        let engine_mux = EngineMux::start(
            tokio::net::TcpListener::bind("127.0.0.1:0").await?,
            &l1.engine_url(),
        )?;

        // Where everything will listen.
        let mut ports = Ports::default();
        let relay_addr = ports.reserve()?;
        let relay_url = format!("http://{relay_addr}");
        let sidecar_addrs = sidecar_roles
            .iter()
            .map(|_| Ok((ports.reserve()?, ports.reserve()?)))
            .collect::<eyre::Result<Vec<_>>>()?;
        let relay_key = roles::bls_key(3_000)?;
        let relay_pubkey = relay_key.public_key().to_string();

        // The beacon service: opted-in validators use their sidecar as builder URL, the
        // others the relay.
        let validators = (0..config.validators)
            .map(|index| {
                let sidecar = sidecar_roles
                    .iter()
                    .zip(&sidecar_addrs)
                    .find(|(role, _)| role.validators.contains(&index));
                ValidatorSetup {
                    fee_recipient: alloy_primitives::Address::with_last_byte(
                        u8::try_from(0x80 + index).unwrap_or(0xff),
                    ),
                    builder_url: Some(match sidecar {
                        Some((_, (_, builder))) => format!("http://{builder}"),
                        None => relay_url.clone(),
                    }),
                }
            })
            .collect();
        let execution = ExecutionLayer::new(
            EngineClient::new(engine_mux.url(), jwt.clone()),
            &l1.rpc_url(),
        );
        let mut beacon_config = BeaconConfig::devnet(
            genesis_time,
            config.l1_chain_id,
            validators,
            Arc::new(execution),
        );
        beacon_config.seconds_per_slot = config.seconds_per_slot;
        let beacon = BeaconService::start(beacon_config)
            .await
            .wrap_err("starting the beacon service")?;
        let beacon_url = beacon.url().to_owned();
        let spec = beacon.spec().clone();
        tracing::info!(%beacon_url, l1 = %l1.rpc_url(), "L1 running (ethereumjs + beacon service)");

        // Contracts and opt-in. Blocks come every slot from the beacon service.
        let params = DeployParams {
            // Validators count a few slots after registration, not 30 s.
            fraud_window: 3 * config.seconds_per_slot,
            defend_window: config.defend_window,
            ..DeployParams::devnet(genesis_time, config.seconds_per_slot)
        };
        let deployer = roles::dev_signer(DEPLOYER)?;
        let contracts = deploy(&l1.rpc_url(), Anvil::DEV_KEYS[DEPLOYER], &params)
            .await
            .wrap_err("deploying the contracts")?;
        tracing::info!(registry = %contracts.registry, inbox = %contracts.rollup_inbox, slasher = %contracts.slasher, "contracts deployed");
        let start_block = first_block(&l1.rpc_url()).await?;
        for role in &sidecar_roles {
            operators::opt_in(&l1.rpc_url(), contracts.registry, role).await?;
            tracing::info!(sidecar = %role.name, validators = ?role.validators, committer = %role.committer_address(), "operator opted in");
        }
        drop(deployer);

        // Keys on disk for the binaries.
        let keys_dir = data_dir.join("keys");
        fs::create_dir_all(&keys_dir)?;
        roles::write_bls_hex(&keys_dir.join("relay.hex"), &relay_key)?;
        roles::write_bls_hex(&keys_dir.join("builder.hex"), &roles::bls_key(2_000)?)?;
        for role in &sidecar_roles {
            role.write_keys(&keys_dir.join(format!("sidecar-{}", role.name)))?;
        }

        // Redis for the relay, when installed.
        let redis = match locate(Tool::RedisServer) {
            Ok(_) => {
                let dir = data_dir.join("redis");
                fs::create_dir_all(&dir)?;
                Some(
                    tokio::task::spawn_blocking(move || Redis::spawn_durable(&dir))
                        .await?
                        .wrap_err("starting redis-server")?,
                )
            }
            Err(_) => None,
        };
        let redis_url = redis.as_ref().map(Redis::url);
        if let Some(redis) = &redis {
            children::record_external(&pids_path, redis.pid())?;
        }

        let chain_args = [
            s("--chain.seconds-per-slot"),
            s(config.seconds_per_slot),
            s("--chain.slots-per-epoch"),
            s(spec.slots_per_epoch),
        ];
        let mut relay_args = vec![
            s("--http.addr"),
            relay_addr.clone(),
            s("--beacon.url"),
            beacon_url.clone(),
            s("--relay.key-file"),
            keys_dir.join("relay.hex").display().to_string(),
        ];
        relay_args.extend(chain_args.iter().cloned());
        if let Some(url) = &redis_url {
            relay_args.extend([s("--redis.url"), url.clone()]);
        }
        if config.faults.relay_withholds_constraints {
            relay_args.push(s("--fault.withhold-constraints"));
        }
        ports.release(&[&relay_addr]);
        let relay = Child::spawn("relay", "baton-relay", &relay_args, &logs, &pids_path)?;

        let builder_metrics_addr = ports.reserve()?;
        let mut builder_args = vec![
            s("--beacon-url"),
            beacon_url.clone(),
            s("--relay-url"),
            relay_url.clone(),
            s("--el.rpc"),
            l1.rpc_url(),
            s("--el.engine-url"),
            engine_mux.url().to_owned(),
            s("--el.jwt-secret"),
            l1.jwt_path().display().to_string(),
            s("--builder.key"),
            keys_dir.join("builder.hex").display().to_string(),
            s("--metrics-addr"),
            builder_metrics_addr.clone(),
            // Its own coinbase: its builds never share a payload (and ethereumjs's frozen
            // payload cache) with the proposers' local blocks on the one execution client.
            s("--builder.coinbase"),
            s(alloy_primitives::Address::repeat_byte(0xb1)),
        ];
        builder_args.extend(chain_args.iter().cloned());
        if config.faults.builder_drops_constraint {
            builder_args.push(s("--fault.drop-constraint"));
        }
        ports.release(&[&builder_metrics_addr]);
        let builder = Child::spawn("builder", "baton-builder", &builder_args, &logs, &pids_path)?;

        // The rollups.
        let rollups = rollups::start(
            &contracts.rollups,
            genesis_time,
            rollups::RollupsSetup {
                chain: spec.clone(),
                l1_rpc: l1.rpc_url(),
                beacon_url: beacon_url.clone(),
                inbox: contracts.rollup_inbox,
                registry: contracts.registry,
                slasher: contracts.slasher,
                start_block,
            },
        )
        .await?;
        for l2 in &rollups.l2s {
            children::record_external(&pids_path, l2.anvil.pid())?;
        }
        let l2_rpcs = rollups
            .l2s
            .iter()
            .map(|l2| format!("{}={}", l2.info.id, l2.anvil.endpoint()))
            .collect::<Vec<_>>()
            .join(",");

        // The sidecars (and sidecar a's twin, when that fault is on), then the watchtower.
        let spawned = sidecars::spawn_all(&mut sidecars::SidecarSetup {
            config,
            roles: &sidecar_roles,
            addrs: &sidecar_addrs,
            keys_dir: &keys_dir,
            data_dir: &data_dir,
            logs: &logs,
            pids: &pids_path,
            beacon_url: &beacon_url,
            l1: &l1,
            engine_url: engine_mux.url(),
            contracts: &contracts,
            l2_rpcs: &l2_rpcs,
            relay: format!("{relay_pubkey}@{relay_url}"),
            chain_args: &chain_args,
            ports: &mut ports,
        })?;
        let sidecars::Spawned {
            sidecars,
            infos: sidecar_infos,
            twin,
            twin_info,
        } = spawned;
        let watcher_metrics = ports.reserve()?;
        let watcher = sidecars::spawn_watcher(
            &l1.rpc_url(),
            &contracts,
            &keys_dir,
            sidecar_infos
                .iter()
                .chain(twin_info.as_ref())
                .map(|s| s.rpc_url.clone()),
            &watcher_metrics,
            (&logs, &pids_path),
        )?;
        ports.release(&[&watcher_metrics]);

        let mut dev_keys = vec![(s("deployer"), s(Anvil::DEV_KEYS[DEPLOYER]))];
        for (i, role) in sidecar_roles.iter().enumerate() {
            dev_keys.push((format!("operator {}", role.name), s(Anvil::DEV_KEYS[1 + i])));
            dev_keys.push((
                format!("committer {}", role.name),
                s(Anvil::DEV_KEYS[3 + i]),
            ));
        }
        dev_keys.push((s("watchtower"), s(Anvil::DEV_KEYS[sidecars::WATCHER])));
        for (i, key) in Anvil::DEV_KEYS.iter().enumerate().skip(FIRST_WALLET) {
            dev_keys.push((format!("wallet {}", i - FIRST_WALLET), s(key)));
        }
        let info = DevnetInfo {
            l1_rpc: l1.rpc_url(),
            l1_engine: l1.engine_url(),
            jwt_secret_file: l1.jwt_path(),
            l1_chain_id: config.l1_chain_id,
            genesis_time,
            seconds_per_slot: config.seconds_per_slot,
            slots_per_epoch: spec.slots_per_epoch,
            beacon_url,
            relay_url,
            relay_pubkey,
            redis_url,
            builder_metrics: format!("http://{builder_metrics_addr}/metrics"),
            rollup_node_url: rollups.node_url.clone(),
            sidecars: sidecar_infos,
            twin: twin_info,
            watch_metrics: format!("http://{watcher_metrics}/metrics"),
            challenger: roles::dev_signer(sidecars::WATCHER)?.address(),
            rollups: rollups
                .l2s
                .iter()
                .map(|l2| RollupEndpoint {
                    id: l2.info.id,
                    name: l2.info.name.clone(),
                    l2_chain_id: l2.info.l2_chain_id,
                    l2_rpc: l2.anvil.endpoint(),
                })
                .collect(),
            plain_validators: (opted_in..config.validators).collect(),
            contracts,
            dev_keys,
            logs: logs.clone(),
            explorer_url: String::new(),
        };
        let explorer = Explorer::serve(
            ExplorerSources {
                beacon: BeaconSource::InProcess(beacon.view()),
                relay_url: Some(info.relay_url.clone()),
                l1_rpc: info.l1_rpc.clone(),
                l1_chain_id: info.l1_chain_id,
                contracts: Some((&info.contracts).into()),
                sidecars: info
                    .sidecars
                    .iter()
                    .chain(info.twin.as_ref())
                    .map(|s| SidecarSource {
                        name: s.name.clone(),
                        rpc_url: s.rpc_url.clone(),
                        builder_url: (!s.builder_url.is_empty()).then(|| s.builder_url.clone()),
                    })
                    .collect(),
                rollups: info
                    .rollups
                    .iter()
                    .map(|r| RollupSource {
                        id: baton_preconf::RollupId(r.id),
                        name: r.name.clone(),
                        l2_chain_id: r.l2_chain_id,
                        l2_rpc: Some(r.l2_rpc.clone()),
                    })
                    .collect(),
            },
            std::net::SocketAddr::from(([127, 0, 0, 1], config.explorer_port)),
        )
        .await
        .map_err(|e| eyre::eyre!("starting the explorer: {e}"))?;
        let mut info = info;
        explorer.url().clone_into(&mut info.explorer_url);
        let info_path = data_dir.join("devnet.json");
        fs::write(&info_path, serde_json::to_string_pretty(&info)? + "\n")
            .wrap_err_with(|| format!("writing {}", info_path.display()))?;
        Ok(Self {
            _explorer: explorer,
            watcher,
            twin,
            sidecars,
            builder,
            relay,
            rollups,
            beacon,
            _engine_mux: engine_mux,
            _redis: redis,
            _l1: l1,
            info,
            info_path,
            pids_path,
        })
    }

    /// The beacon service (slot records, fault switches).
    pub const fn beacon(&self) -> &BeaconHandle {
        &self.beacon
    }

    /// The rollups' L2s and node.
    pub const fn rollups(&self) -> &Rollups {
        &self.rollups
    }

    /// Every child that exited on its own, with how.
    pub fn exited(&mut self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for child in self.sidecars.iter_mut().chain(self.twin.as_mut()).chain([
            &mut self.builder,
            &mut self.relay,
            &mut self.watcher,
        ]) {
            if let Some(status) = child.exited() {
                out.push((child.name().to_owned(), status));
            }
        }
        out
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        self.watcher.stop(Duration::from_secs(3));
        if let Some(twin) = &mut self.twin {
            twin.stop(Duration::from_secs(3));
        }
        for child in &mut self.sidecars {
            child.stop(Duration::from_secs(3));
        }
        self.builder.stop(Duration::from_secs(3));
        self.relay.stop(Duration::from_secs(3));
        let _ = fs::remove_file(&self.pids_path);
    }
}

/// The L1 block number now (the rollup node derives from the next one).
async fn first_block(l1_rpc: &str) -> eyre::Result<u64> {
    use alloy::providers::{Provider, ProviderBuilder};
    let provider = ProviderBuilder::new().connect_http(l1_rpc.parse()?);
    Ok(provider.get_block_number().await?)
}
