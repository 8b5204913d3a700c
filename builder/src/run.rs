//! `baton-builder`'s main loop: read the chain from the beacon node, follow its
//! `payload_attributes` events and every relay's constraints stream (reconnecting), and
//! serve `GET /metrics` until shutdown.

use std::{future::Future, sync::Arc, time::Duration};

use axum::{Router, routing::get};
use baton_engine::EngineClient;
use baton_preconf::{ChainId, ChainSpec, clock::SystemClock};
use baton_relay::beacon::{BeaconClient, BeaconError};
use tokio::sync::mpsc;

use crate::{
    config::Config,
    pool::Pool,
    relay_client::{Receiver, RelayClient},
    service::{Builder, Parts},
};

/// Pause before reconnecting a stream.
const RECONNECT: Duration = Duration::from_millis(500);

/// Starting or running the builder failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The beacon node could not be read at start.
    #[error(transparent)]
    Beacon(#[from] BeaconError),
    /// No relay configured.
    #[error("no relay configured (--relay-url)")]
    NoRelay,
    /// The chain timing is zero.
    #[error("--chain.seconds-per-slot and --chain.slots-per-epoch must be non-zero")]
    Chain,
    /// Binding or serving the metrics address failed.
    #[error("serving metrics on {addr}: {source}")]
    Serve {
        /// The address.
        addr: std::net::SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

async fn follow_attributes(beacon: BeaconClient, builder: Arc<Builder>) {
    let (sink, mut events) = mpsc::channel(64);
    let apply = {
        let builder = builder.clone();
        tokio::spawn(async move {
            while let Some(attributes) = events.recv().await {
                builder.announce(attributes);
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
        tokio::time::sleep(RECONNECT).await;
    }
}

async fn follow_constraints(relay: usize, client: RelayClient, builder: Arc<Builder>) {
    let (sink, mut messages) = mpsc::channel(256);
    let apply = {
        let builder = builder.clone();
        tokio::spawn(async move {
            while let Some(message) = messages.recv().await {
                builder.ingest(relay, message).await;
            }
        })
    };
    loop {
        if let Err(error) = client.stream_constraints(&sink).await {
            tracing::warn!(%error, "constraints stream failed; reconnecting");
        }
        if apply.is_finished() {
            return;
        }
        tokio::time::sleep(RECONNECT).await;
    }
}

/// Runs the builder until `shutdown` resolves.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    if config.relays.is_empty() {
        return Err(RunError::NoRelay);
    }
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
    chain.validate().map_err(|_| RunError::Chain)?;
    let receiver = Receiver::new(config.key.0.clone(), chain.genesis_fork_version);
    let relays: Vec<RelayClient> = config
        .relays
        .iter()
        .map(|u| RelayClient::new(u).with_receiver(receiver.clone()))
        .collect();
    let builder = Arc::new(Builder::new(Parts {
        chain,
        key: config.key.clone(),
        engine: EngineClient::new(&config.el_engine_url.0, config.jwt.clone()),
        pool: Pool::new(&config.el_rpc.0),
        beacon: beacon.clone(),
        relays: relays.clone(),
        faults: config.faults,
        cutoff_ms: config.cutoff_ms,
        coinbase: config.coinbase,
        clock: Arc::new(SystemClock),
    }));
    let mut tasks = vec![tokio::spawn(follow_attributes(beacon, builder.clone()))];
    for (i, client) in relays.into_iter().enumerate() {
        tasks.push(tokio::spawn(follow_constraints(i, client, builder.clone())));
    }

    let addr = config.metrics_addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| RunError::Serve { addr, source })?;
    let addr = listener.local_addr().unwrap_or(addr);
    tracing::info!(
        %addr,
        builder_pubkey = %config.key.0.public_key(),
        relays = ?config.relays.iter().map(|r| RelayClient::new(r).name()).collect::<Vec<_>>(),
        engine = %config.el_engine_url,
        faults = ?config.faults,
        "builder running"
    );
    let metrics = builder.metrics().clone();
    let app = Router::new()
        .route(
            "/metrics",
            get(move || {
                let metrics = metrics.clone();
                async move { metrics.render() }
            }),
        )
        .route("/health", get(|| async { "ok" }));
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|source| RunError::Serve { addr, source });
    for task in tasks {
        task.abort();
    }
    tracing::info!("builder stopped");
    result
}
