//! Baton's constraint-aware block builder (step ⑤ of the data flow, docs/architecture.md).

pub mod assemble;
pub mod book;
pub mod metrics;
pub mod pool;
pub mod relay_client;
pub mod verify;
