//! The wallet-facing JSON-RPC 2.0 API over HTTP (step ①). Methods, fields and error codes
//! are documented in `docs/api.md`.

mod error;
mod server;

pub use error::RpcError;
pub use server::{MAX_BATCH, MAX_BODY_BYTES, router, serve};
