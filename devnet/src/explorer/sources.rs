//! Where the explorer reads from. URLs may carry credentials, so every type here prints
//! them without the user-info part.

use std::fmt;

use alloy_primitives::Address;
use baton_preconf::RollupId;

use crate::{Deployment, beacon::BeaconView};

/// The beacon service: in this process, or over its REST API.
#[derive(Clone)]
pub enum BeaconSource {
    /// The running service's view ([`crate::beacon::BeaconHandle::view`]).
    InProcess(BeaconView),
    /// The service's REST URL (`/baton/v1/slots`, `/baton/v1/validators`, genesis, spec).
    Url(String),
}

impl fmt::Debug for BeaconSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InProcess(_) => f.write_str("BeaconSource::InProcess"),
            Self::Url(url) => write!(f, "BeaconSource::Url({})", redact(url)),
        }
    }
}

/// The deployed contracts the explorer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractAddresses {
    /// `Registry`: which validators opted in, with which committer.
    pub registry: Address,
    /// `RollupInbox`: the `BatchSubmitted` events.
    pub rollup_inbox: Address,
    /// `Slasher` (with its `InclusionDisputes`): disputes and slashes; the EIP-712
    /// verifying contract of every commitment.
    pub slasher: Address,
}

impl From<&Deployment> for ContractAddresses {
    fn from(deployment: &Deployment) -> Self {
        Self {
            registry: deployment.registry,
            rollup_inbox: deployment.rollup_inbox,
            slasher: deployment.slasher,
        }
    }
}

/// A sidecar whose promises the explorer lists.
#[derive(Clone, PartialEq, Eq)]
pub struct SidecarSource {
    /// A short name shown on the page.
    pub name: String,
    /// Its JSON-RPC URL (`baton_commitments`).
    pub rpc_url: String,
    /// The builder URL validators use to reach it, if it serves the builder API: a slot
    /// whose validator uses this URL is opted in, and a block it served without a relay
    /// delivery is its fallback block.
    pub builder_url: Option<String>,
}

impl fmt::Debug for SidecarSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SidecarSource")
            .field("name", &self.name)
            .field("rpc_url", &redact(&self.rpc_url))
            .field("builder_url", &self.builder_url.as_deref().map(redact))
            .finish()
    }
}

/// A rollup the devnet runs.
#[derive(Clone, PartialEq, Eq)]
pub struct RollupSource {
    /// Its id in the `RollupInbox`.
    pub id: RollupId,
    /// Its name.
    pub name: String,
    /// Its L2 chain id.
    pub l2_chain_id: u64,
    /// Its L2 JSON-RPC URL (receipts of promised transactions), if it runs one.
    pub l2_rpc: Option<String>,
}

impl fmt::Debug for RollupSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RollupSource")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("l2_chain_id", &self.l2_chain_id)
            .field("l2_rpc", &self.l2_rpc.as_deref().map(redact))
            .finish()
    }
}

/// Everything the explorer reads. Parts the devnet does not run are left out: without a
/// relay no slot is credited to a relay bid and nothing is sealed; without contracts
/// there is no Registry opt-in, no batch check, no dispute and no slash.
#[derive(Clone)]
pub struct ExplorerSources {
    /// The beacon service (slots, proposers, blocks).
    pub beacon: BeaconSource,
    /// The relay's base URL (data API and public constraints).
    pub relay_url: Option<String>,
    /// The L1 JSON-RPC URL.
    pub l1_rpc: String,
    /// The L1 chain id (the EIP-712 domain of commitments).
    pub l1_chain_id: u64,
    /// The deployed contracts.
    pub contracts: Option<ContractAddresses>,
    /// The sidecars, by name.
    pub sidecars: Vec<SidecarSource>,
    /// The rollups.
    pub rollups: Vec<RollupSource>,
}

impl fmt::Debug for ExplorerSources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExplorerSources")
            .field("beacon", &self.beacon)
            .field("relay_url", &self.relay_url.as_deref().map(redact))
            .field("l1_rpc", &redact(&self.l1_rpc))
            .field("l1_chain_id", &self.l1_chain_id)
            .field("contracts", &self.contracts)
            .field("sidecars", &self.sidecars)
            .field("rollups", &self.rollups)
            .finish()
    }
}

/// `url` without credentials (`scheme://user:pass@host/…` → `scheme://host/…`).
pub(crate) fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let mut out = if scheme.is_empty() {
        host.to_owned()
    } else {
        format!("{scheme}://{host}")
    };
    if !path.is_empty() {
        out.push('/');
        out.push_str(path);
    }
    out
}

/// `url` as compared with another: credentials and trailing slashes removed, lower case.
pub(crate) fn normalize(url: &str) -> String {
    redact(url).trim_end_matches('/').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            redact("http://user:secret@127.0.0.1:9000/rpc"),
            "http://127.0.0.1:9000/rpc"
        );
        assert_eq!(redact("http://127.0.0.1:9000"), "http://127.0.0.1:9000");
        assert_eq!(normalize("HTTP://a:b@Host:1/"), "http://host:1");
        let source = SidecarSource {
            name: "s".into(),
            rpc_url: "http://k:secret@h".into(),
            builder_url: Some("http://k:secret@h/b".into()),
        };
        let shown = format!("{source:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}
