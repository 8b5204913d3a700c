//! The contracts on a real anvil, driven through the Rust bindings.

mod rollup_inbox;
