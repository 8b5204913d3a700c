//! Starting the sidecars, sidecar `a`'s twin (a fault) and the watchtower.
//!
//! Each sidecar gets its operator's keys, its validators' keystores, the Engine API (for
//! its fallback block) and the relay. The twin is sidecar `a` started a second time with
//! the same keys and its own journal and no block production: the split brain that makes
//! an operator sign two promises for one position (equivocation). The watchtower
//! (`baton-watch`, dev key 5) follows every sidecar's promises and slashes broken ones.

use std::path::Path;

use baton_toolchain::{Anvil, EthereumJs};

use super::{Child, SidecarInfo, SidecarRole, ports::Ports, s};
use crate::{DevnetConfig, deploy::Deployment};

/// The watchtower's account among anvil's dev keys.
pub(super) const WATCHER: usize = 5;

/// What starting the sidecars needs.
pub(super) struct SidecarSetup<'a> {
    pub(super) config: &'a DevnetConfig,
    pub(super) roles: &'a [SidecarRole],
    /// Each sidecar's (JSON-RPC, builder API) address.
    pub(super) addrs: &'a [(String, String)],
    pub(super) keys_dir: &'a Path,
    pub(super) data_dir: &'a Path,
    pub(super) logs: &'a Path,
    pub(super) pids: &'a Path,
    pub(super) beacon_url: &'a str,
    pub(super) l1: &'a EthereumJs,
    pub(super) engine_url: &'a str,
    pub(super) contracts: &'a Deployment,
    pub(super) l2_rpcs: &'a str,
    /// `0x<pubkey>@<url>`.
    pub(super) relay: String,
    pub(super) chain_args: &'a [String],
    pub(super) ports: &'a mut Ports,
}

/// The sidecars started.
pub(super) struct Spawned {
    pub(super) sidecars: Vec<Child>,
    pub(super) infos: Vec<SidecarInfo>,
    pub(super) twin: Option<Child>,
    pub(super) twin_info: Option<SidecarInfo>,
}

/// The arguments every instance of `role`'s sidecar shares.
fn common_args(
    setup: &SidecarSetup<'_>,
    role: &SidecarRole,
    data: &str,
    rpc_addr: &str,
) -> eyre::Result<Vec<String>> {
    let keys = setup.keys_dir.join(format!("sidecar-{}", role.name));
    let key = |name: &str| keys.join(name).display().to_string();
    let pubkeys = role
        .validator_pubkeys()?
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let mut args = vec![
        s("run"),
        s("--data-dir"),
        setup.data_dir.join(data).display().to_string(),
        s("--rpc.addr"),
        s(rpc_addr),
        s("--beacon.url"),
        s(setup.beacon_url),
        s("--chain.id"),
        s(setup.config.l1_chain_id),
        s("--slasher"),
        s(setup.contracts.slasher),
        s("--registry"),
        s(setup.contracts.registry),
        s("--committer.key-file"),
        key("committer.hex"),
        s("--validator.pubkeys"),
        pubkeys,
        s("--l1.rpc"),
        setup.l1.rpc_url(),
        s("--rollup-inbox"),
        s(setup.contracts.rollup_inbox),
        s("--rollup.l2-rpc"),
        s(setup.l2_rpcs),
        s("--deadline-ms"),
        s(setup.config.deadline_ms),
    ];
    args.extend(setup.chain_args.iter().cloned());
    Ok(args)
}

/// Starts every sidecar, and sidecar `a`'s twin when the fault asks for it.
pub(super) fn spawn_all(setup: &mut SidecarSetup<'_>) -> eyre::Result<Spawned> {
    let mut sidecars = Vec::with_capacity(setup.roles.len());
    let mut infos = Vec::with_capacity(setup.roles.len());
    for (role, (rpc_addr, builder_addr)) in setup.roles.iter().zip(setup.addrs.iter()) {
        let keys = setup.keys_dir.join(format!("sidecar-{}", role.name));
        let key = |name: &str| keys.join(name).display().to_string();
        let mut args = common_args(setup, role, &format!("sidecar-{}", role.name), rpc_addr)?;
        args.extend([
            s("--operator.key-file"),
            key("operator.hex"),
            s("--delegate.keystore"),
            key("delegate.json"),
            s("--delegate.password-file"),
            key("password.txt"),
            s("--validator.keystores"),
            key("validators"),
            s("--validator.password-file"),
            key("password.txt"),
            s("--l1.engine-url"),
            s(setup.engine_url),
            s("--l1.jwt-secret"),
            setup.l1.jwt_path().display().to_string(),
            s("--relays"),
            setup.relay.clone(),
            s("--builder.addr"),
            builder_addr.clone(),
        ]);
        if !setup.config.market_products.is_empty() {
            args.extend([
                s("--market.products"),
                setup.config.market_products.join(","),
            ]);
        }
        if setup.config.faults.sidecar_drops_promised_tx && role.name == "a" {
            args.push(s("--fault.drop-promised-tx"));
        }
        let name = format!("sidecar-{}", role.name);
        setup.ports.release(&[rpc_addr, builder_addr]);
        sidecars.push(Child::spawn(
            &name,
            "baton-sidecar",
            &args,
            setup.logs,
            setup.pids,
        )?);
        infos.push(SidecarInfo {
            name: role.name.clone(),
            rpc_url: format!("http://{rpc_addr}"),
            builder_url: format!("http://{builder_addr}"),
            committer: role.committer_address(),
            validators: role.validators.clone(),
        });
    }
    let (mut twin, mut twin_info) = (None, None);
    if setup.config.faults.twin_sidecar
        && let Some(role) = setup.roles.first()
    {
        // Reserved here and released just before the twin binds it.
        let rpc_addr = setup.ports.reserve()?;
        let args = common_args(
            setup,
            role,
            &format!("sidecar-{}-twin", role.name),
            &rpc_addr,
        )?;
        setup.ports.release(&[&rpc_addr]);
        let name = format!("sidecar-{}-twin", role.name);
        twin = Some(Child::spawn(
            &name,
            "baton-sidecar",
            &args,
            setup.logs,
            setup.pids,
        )?);
        twin_info = Some(SidecarInfo {
            name: format!("{}-twin", role.name),
            rpc_url: format!("http://{rpc_addr}"),
            builder_url: String::new(),
            committer: role.committer_address(),
            validators: role.validators.clone(),
        });
    }
    Ok(Spawned {
        sidecars,
        infos,
        twin,
        twin_info,
    })
}

/// Starts `baton-watch run` over `sidecars`, paying with dev key [`WATCHER`].
pub(super) fn spawn_watcher(
    l1_rpc: &str,
    contracts: &Deployment,
    keys_dir: &Path,
    sidecars: impl Iterator<Item = String>,
    metrics_addr: &str,
    (logs, pids): (&Path, &Path),
) -> eyre::Result<Child> {
    let key_file = keys_dir.join("watcher.hex");
    std::fs::write(&key_file, Anvil::DEV_KEYS[WATCHER].trim_start_matches("0x"))?;
    let args = vec![
        s("run"),
        s("--l1.rpc"),
        s(l1_rpc),
        s("--slasher"),
        s(contracts.slasher),
        s("--registry"),
        s(contracts.registry),
        s("--rollup-inbox"),
        s(contracts.rollup_inbox),
        s("--key-file"),
        key_file.display().to_string(),
        s("--sidecar"),
        sidecars.collect::<Vec<_>>().join(","),
        s("--metrics.addr"),
        s(metrics_addr),
        s("--poll-ms"),
        s(500),
    ];
    Child::spawn("watch", "baton-watch", &args, logs, pids)
}
