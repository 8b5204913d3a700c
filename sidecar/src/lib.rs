//! Baton's preconfirmation sidecar: the service a validator operator runs next to its
//! beacon node.
//!
//! It will own steps ①–④ and ⑥ of the data flow (docs/architecture.md): the wallet-facing
//! JSON-RPC (①), validation against the beacon lookahead and execution state (②), the
//! crash-safe commitment journal and signing (③), sealing rollup batches and sending
//! constraints to relays at the slot deadline (④), and the builder-API proxy that checks
//! relay bids' proofs or serves a local fallback block (⑥).
//!
//! This release holds the crate's place in the workspace; the service itself is built in
//! the issues that follow the workspace foundation (see the README's status table).

/// What this build of the sidecar can do, shown by `baton-sidecar --help`.
pub const STATUS: &str = "the preconfirmation service (steps ①–④, ⑥) is not built yet; \
                          this binary only reports its version";
