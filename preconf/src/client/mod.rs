//! A wallet's client (feature `client`): ask a sidecar for promises, check every promise
//! locally before trusting it, and follow it on L1 until it is kept or broken. Steps ①,
//! ③ and ⑧ from the wallet's side.
//!
//! ```no_run
//! # async fn demo() -> Result<(), baton_preconf::client::ClientError> {
//! use baton_preconf::client::{L1View, Outcome, SidecarClient, Wallet};
//! # let (signer, domain, tx, registry, inbox, chain) = todo!();
//! let sidecar = SidecarClient::new("http://127.0.0.1:18550")?;
//! let l1 = L1View::connect("http://127.0.0.1:8545", registry, inbox, chain)?;
//! let wallet = Wallet::new(signer, domain, sidecar, l1);
//! let slot = wallet.next_slot().await?.expect("the sidecar sells a slot");
//! let promise = wallet.include(slot, vec![tx]).await?; // signed, then verified locally
//! match wallet.track(&promise, std::time::Duration::from_secs(1)).await? {
//!     Outcome::Kept { block } => println!("landed in block {block}"),
//!     Outcome::Broken { reason } => println!("broken: {reason}: dispute it"),
//! }
//! # Ok(()) }
//! ```

mod l1;
mod sidecar;
mod wallet;

pub use l1::L1View;
pub use sidecar::{AuctionedProduct, RollupCapacity, SidecarClient, SlotCapacity, SlotOffer};
pub use wallet::{Outcome, Promise, Wallet};

/// What can go wrong for a wallet.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A URL does not parse.
    #[error("bad URL {0}")]
    BadUrl(String),
    /// The sidecar could not be reached or answered garbage.
    #[error("sidecar at {url}: {reason}")]
    Transport {
        /// The sidecar.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The sidecar refused the request (its documented JSON-RPC error).
    #[error("sidecar refused ({code}): {message}")]
    Refused {
        /// The error code (see the sidecar's `docs/api.md`).
        code: i64,
        /// Its message.
        message: String,
    },
    /// Building or signing the request failed.
    #[error("request: {0}")]
    Request(#[from] crate::request::RequestError),
    /// The promise does not hold up: do not rely on it.
    #[error("the promise does not verify: {0}")]
    Unverified(String),
    /// Reading the L1 failed.
    #[error("L1: {0}")]
    L1(String),
}
