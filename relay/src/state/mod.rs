//! The relay's in-memory state: the hot path reads and writes only these. Redis
//! (`crate::sharing`) is written behind them and feeds other instances' events into them.

pub mod auction;
pub mod constraints;
pub mod history;
pub mod leaves;
pub mod registrations;
pub mod schedule;
