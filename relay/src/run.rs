//! `baton-relay`'s main loop: read the chain from the beacon node, follow proposer duties
//! and payload attributes, connect Redis if configured, pull marketplace offers, and
//! serve the API until shutdown (in-flight requests drain first).

use std::{future::Future, sync::Arc, time::Duration};

use baton_preconf::{ChainId, ChainSpec, Epoch};
use tokio::sync::mpsc;

use crate::{
    api::{AppState, serve},
    beacon::{BeaconClient, BeaconError},
    clock::SystemClock,
    config::Config,
    market::{self, Market},
    service::Relay,
    sharing,
};

/// Starting or running the relay failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The beacon node could not be read at start.
    #[error(transparent)]
    Beacon(#[from] BeaconError),
    /// The Redis URL does not parse.
    #[error("Redis URL {url}: {reason}")]
    Redis {
        /// The URL, credentials removed.
        url: String,
        /// Why.
        reason: String,
    },
    /// Binding or serving the HTTP address failed.
    #[error("serving HTTP on {addr}: {source}")]
    Serve {
        /// The address.
        addr: std::net::SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// Loads the proposer duties of the current and next epoch, and expires old state.
async fn refresh_duties(beacon: &BeaconClient, relay: &Relay) {
    let chain = relay.chain();
    let epoch = chain.epoch_of(relay.current_slot());
    for e in [epoch, Epoch(epoch.0 + 1)] {
        match beacon.proposer_duties(e).await {
            Ok(duties) => {
                for duty in duties {
                    relay.add_duty(duty);
                }
            }
            Err(error) => tracing::warn!(%error, epoch = e.0, "cannot read proposer duties"),
        }
    }
    relay.expire();
}

async fn follow_duties(beacon: BeaconClient, relay: Arc<Relay>) {
    let period = Duration::from_secs(relay.chain().seconds_per_slot.max(1));
    loop {
        tokio::time::sleep(period).await;
        refresh_duties(&beacon, &relay).await;
    }
}

async fn follow_heads(beacon: BeaconClient, relay: Arc<Relay>) {
    let (sink, mut events) = mpsc::channel(64);
    let apply = {
        let relay = relay.clone();
        tokio::spawn(async move {
            while let Some(attributes) = events.recv().await {
                relay.add_head(attributes);
            }
        })
    };
    loop {
        match beacon.stream_payload_attributes(&sink).await {
            Ok(()) => tracing::warn!("payload_attributes stream ended; reconnecting"),
            Err(error) => tracing::warn!(%error, "payload_attributes stream failed; reconnecting"),
        }
        if apply.is_finished() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Runs the relay until `shutdown` resolves.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let beacon = BeaconClient::new(&config.beacon_url);
    let info = beacon.chain_info().await?;
    let chain = ChainSpec {
        chain_id: ChainId(0),
        genesis_time: info.genesis_time,
        seconds_per_slot: config.seconds_per_slot,
        slots_per_epoch: config.slots_per_epoch,
        genesis_fork_version: info.genesis_fork_version,
        current_fork_version: info.current_fork_version,
        genesis_validators_root: info.genesis_validators_root,
    };
    let relay = Arc::new(Relay::new(
        chain,
        config.timing,
        config.relay_key.clone(),
        Arc::new(SystemClock),
        Some(beacon.clone()),
    ));
    if config.withhold_constraints {
        relay.withhold_constraints();
    }
    if let Some(url) = &config.redis_url {
        sharing::spawn(relay.clone(), url, config.redis_prefix.clone()).map_err(|e| {
            RunError::Redis {
                url: url.redacted(),
                reason: e.to_string(),
            }
        })?;
        tracing::info!(redis = %url, prefix = %config.redis_prefix, "sharing state through Redis");
    } else {
        tracing::info!("no Redis configured: running embedded in this process");
    }
    refresh_duties(&beacon, &relay).await;
    let tasks = vec![
        tokio::spawn(follow_duties(beacon.clone(), relay.clone())),
        tokio::spawn(follow_heads(beacon, relay.clone())),
    ];
    let market = Arc::new(if config.market.registry.is_some() {
        Market::with_registry()
    } else {
        Market::default()
    });
    let market_task = (!config.market.sidecars.is_empty()).then(|| {
        tokio::spawn(market::follow(
            market.clone(),
            relay.clone(),
            config.market.clone(),
        ))
    });

    let addr = config.http_addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| RunError::Serve { addr, source })?;
    let addr = listener.local_addr().unwrap_or(addr);
    tracing::info!(%addr, relay_pubkey = %relay.pubkey(), "relay serving");
    let state = AppState {
        relay: relay.clone(),
        market,
        admin: config.admin_token.clone(),
    };
    let result = serve(listener, state, shutdown)
        .await
        .map_err(|source| RunError::Serve { addr, source });
    for task in tasks.into_iter().chain(market_task) {
        task.abort();
    }
    relay.flush_shared(Duration::from_secs(2)).await;
    tracing::info!("relay stopped");
    result
}
