//! The devnet's explorer page: a timeline of slots (proposer, opted in or not, which
//! builder won or the fallback) and every promise the sidecars made with its status
//! (promised, sealed, included, broken, disputed, slashed) and links between L1 and L2.
//! It watches steps ④–⑧ from outside; it owns none.
//!
//! [`Explorer::serve`] starts it on an address with [`ExplorerSources`] (the beacon
//! service in-process or by URL, the relay, L1, the contracts, the sidecars and the
//! rollups). The page is plain HTML, CSS and JavaScript embedded in the binary; it polls
//! the JSON API (`/api/summary`, `/api/slots`, `/api/promises`, `/api/receipt`) every
//! slot. What each status means and where it comes from: `docs/explorer.md`.

mod aggregate;
mod api;
mod auctions;
mod beacon_reader;
mod cache;
mod chain_reads;
mod error;
mod http;
mod model;
mod promises;
mod slots;
mod sources;
mod status;
#[cfg(test)]
mod status_tests;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use tokio::{sync::watch, task::JoinHandle};

pub use api::MAX_TIMELINE_SLOTS;
pub use error::ExplorerError;
pub use http::UpstreamError;
pub use model::{
    BlockRef, Counts, ItemView, OnChain, OptInVia, Outcome, PromiseStatus, PromiseView,
    PromisesPage, RollupView, SlotView, SlotsPage, Summary,
};
pub use promises::MAX_PROMISE_SLOTS;
pub use sources::{BeaconSource, ContractAddresses, ExplorerSources, RollupSource, SidecarSource};

/// The explorer could not start.
#[derive(Debug, thiserror::Error)]
pub enum ExplorerStartError {
    /// A source URL does not parse.
    #[error("explorer source: {0}")]
    Source(String),
    /// The address could not be bound.
    #[error("binding {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// The explorer server.
#[derive(Debug)]
pub struct Explorer;

impl Explorer {
    /// Serves the page and its API on `addr` (port 0 picks one) until the handle is
    /// shut down or dropped.
    pub async fn serve(
        sources: ExplorerSources,
        addr: SocketAddr,
    ) -> Result<ExplorerHandle, ExplorerStartError> {
        let data = aggregate::Aggregator::new(sources)
            .map_err(|e| ExplorerStartError::Source(e.to_string()))?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ExplorerStartError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| ExplorerStartError::Bind { addr, source })?;
        let (stop, mut stopped) = watch::channel(false);
        let router = api::router(Arc::new(data));
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            if let Err(error) = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(%error, "explorer stopped");
            }
        });
        tracing::info!(url = %format!("http://{local}"), "explorer serving");
        Ok(ExplorerHandle {
            addr: local,
            stop,
            task: Some(task),
        })
    }
}

/// A running explorer; dropping it stops it.
#[derive(Debug)]
pub struct ExplorerHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl ExplorerHandle {
    /// Where it listens.
    pub const fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving and waits (at most 5 s) for open requests to finish.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for ExplorerHandle {
    fn drop(&mut self) {
        self.stop.send_replace(true);
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
