//! The relay's configuration, built by the binary from flags, `BATON_RELAY_*` variables
//! and a TOML file. Secrets redact themselves in `Debug`.

use std::{fmt, net::SocketAddr, sync::Arc};

use baton_preconf::BlsSecretKey;

/// The key the relay signs the bids it serves with. Never printed.
#[derive(Clone)]
pub struct RelayKey(pub Arc<BlsSecretKey>);

impl fmt::Debug for RelayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RelayKey(<redacted>, public {})", self.0.public_key())
    }
}

/// The token admin routes need. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(pub String);

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// A URL that may carry credentials (`redis://user:pass@host`): `Debug` and `Display`
/// show only scheme, host and port.
#[derive(Clone, PartialEq, Eq)]
pub struct SensitiveUrl(pub String);

impl SensitiveUrl {
    /// The URL with any user info and path removed.
    pub fn redacted(&self) -> String {
        let (scheme, rest) = self.0.split_once("://").unwrap_or(("", self.0.as_str()));
        let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
        let host = host.split('/').next().unwrap_or_default();
        format!("{scheme}://{host}")
    }
}

impl fmt::Debug for SensitiveUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SensitiveUrl({})", self.redacted())
    }
}

impl fmt::Display for SensitiveUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Cut-offs, in milliseconds relative to the start of the slot concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Builder submissions for a slot are refused this long after it starts.
    pub submission_cutoff_ms: u64,
    /// `getHeader` for a slot answers 204 this long after it starts.
    pub get_header_cutoff_ms: u64,
    /// Signed blinded blocks for a slot are refused this long after it starts.
    pub get_payload_cutoff_ms: u64,
    /// Constraints and delegations for a slot are refused this long after it starts.
    pub constraints_cutoff_ms: u64,
    /// Slots kept in memory behind the current one (then expired).
    pub keep_slots: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            submission_cutoff_ms: 3_000,
            get_header_cutoff_ms: 3_000,
            get_payload_cutoff_ms: 4_000,
            constraints_cutoff_ms: 0,
            keep_slots: 2,
        }
    }
}

/// Where the marketplace router finds offers and operators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarketConfig {
    /// Sidecars' public JSON-RPC URLs, polled for `baton_slots`.
    pub sidecars: Vec<String>,
    /// How often offers are pulled (ms).
    pub refresh_ms: u64,
    /// The `Registry` contract and the L1 JSON-RPC to read it: who operates each
    /// proposer, and which committer may sell its slots. `None`: sidecars are listed on
    /// their own word.
    pub registry: Option<RegistrySource>,
}

/// The on-chain `Registry`, read through an L1 JSON-RPC URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrySource {
    /// L1 JSON-RPC URL.
    pub l1_rpc: SensitiveUrl,
    /// The `Registry` contract.
    pub address: alloy_primitives::Address,
}

/// Everything `run` needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// HTTP listen address.
    pub http_addr: SocketAddr,
    /// Beacon node REST API.
    pub beacon_url: String,
    /// Redis, shared between relay instances; `None` runs embedded in one process.
    pub redis_url: Option<SensitiveUrl>,
    /// Key prefix in Redis (relays of different chains can share one server).
    pub redis_prefix: String,
    /// Seconds per slot.
    pub seconds_per_slot: u64,
    /// Slots per epoch.
    pub slots_per_epoch: u64,
    /// The key served bids are signed with.
    pub relay_key: RelayKey,
    /// Token for the admin routes; `None` disables them.
    pub admin_token: Option<AdminToken>,
    /// Cut-offs.
    pub timing: Timing,
    /// The slot router.
    pub market: MarketConfig,
    /// Fault for end-to-end tests: hide constraints from builders and serve unproven
    /// blocks for constrained slots (a lying relay).
    pub withhold_constraints: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let key = RelayKey(Arc::new(BlsSecretKey::from_ikm(&[4; 32]).unwrap()));
        let text = format!("{key:?}");
        assert!(text.contains("redacted"));
        assert!(!text.contains(&hex::encode(key.0.to_bytes())));
        assert_eq!(
            format!("{:?}", AdminToken("hunter2".into())),
            "AdminToken(<redacted>)"
        );
        let url = SensitiveUrl("redis://user:secret@10.0.0.1:6379/0".into());
        assert_eq!(url.to_string(), "redis://10.0.0.1:6379");
        assert!(!format!("{url:?}").contains("secret"));
    }
}
