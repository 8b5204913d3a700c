//! The builder's configuration, built by the binary from flags and `BATON_BUILDER_*`
//! variables. Secrets and URLs redact themselves in `Debug`.

use std::{fmt, net::SocketAddr, sync::Arc};

use baton_engine::JwtSecret;
use baton_preconf::BlsSecretKey;
use baton_relay::config::SensitiveUrl;

/// The key block submissions are signed with. Never printed.
#[derive(Clone)]
pub struct BuilderKey(pub Arc<BlsSecretKey>);

impl fmt::Debug for BuilderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BuilderKey(<redacted>, public {})", self.0.public_key())
    }
}

/// Deliberate misbehaviour for end-to-end tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// Leave the slot's last constrained transaction out (not sent to the pool, not
    /// proven) and submit anyway, so the relay's proof check refuses the block.
    pub drop_constraint: bool,
}

/// Everything [`crate::run()`] needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Beacon node REST API: genesis, fork, proposer duties, `payload_attributes` events.
    pub beacon_url: String,
    /// Relays: constraints come from them and blocks go to them.
    pub relays: Vec<String>,
    /// The execution client's JSON-RPC (its transaction pool).
    pub el_rpc: SensitiveUrl,
    /// The execution client's Engine API.
    pub el_engine_url: SensitiveUrl,
    /// The Engine API's JWT secret.
    pub jwt: JwtSecret,
    /// The builder's BLS key.
    pub key: BuilderKey,
    /// Where `GET /metrics` is served.
    pub metrics_addr: SocketAddr,
    /// Seconds per slot.
    pub seconds_per_slot: u64,
    /// Slots per epoch.
    pub slots_per_epoch: u64,
    /// A slot's block is rebuilt for new constraints until this many ms after the slot
    /// starts (the relays' getHeader cut-off).
    pub cutoff_ms: u64,
    /// The fee recipient of built blocks, if not the proposer's.
    pub coinbase: Option<alloy_primitives::Address>,
    /// Fault switches.
    pub faults: Faults,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let key = BuilderKey(Arc::new(BlsSecretKey::from_ikm(&[4; 32]).unwrap()));
        let text = format!("{key:?}");
        assert!(text.contains("redacted"));
        assert!(!text.contains(&hex::encode(key.0.to_bytes())));
        let config = Config {
            beacon_url: "http://127.0.0.1:5052".into(),
            relays: vec!["http://127.0.0.1:18560".into()],
            el_rpc: SensitiveUrl("http://user:rpc-password@10.0.0.2:8545".into()),
            el_engine_url: SensitiveUrl("http://10.0.0.2:8551".into()),
            jwt: JwtSecret::from_hex(&"ab".repeat(32)).unwrap(),
            key,
            metrics_addr: "127.0.0.1:9100".parse().unwrap(),
            seconds_per_slot: 2,
            slots_per_epoch: 8,
            cutoff_ms: 3000,
            coinbase: None,
            faults: Faults::default(),
        };
        let text = format!("{config:?}");
        assert!(!text.contains("rpc-password"), "{text}");
        assert!(!text.contains(&"ab".repeat(32)), "{text}");
        assert!(!text.contains(&hex::encode(config.key.0.to_bytes())));
    }
}
