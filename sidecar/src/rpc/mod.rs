//! The wallet-facing JSON-RPC 2.0 API over HTTP (step ①), and the eth-fabric Commitments
//! API as REST aliases of it. Methods, fields and error codes are documented in
//! `docs/api.md`.

mod commitments_api;
mod error;
mod market_api;
mod server;

pub use commitments_api::{TYPE_INCLUSION, TYPE_SEQUENCING};
pub use error::RpcError;
pub use server::{MAX_BATCH, MAX_BODY_BYTES, router, serve};
