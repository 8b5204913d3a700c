//! Baton's relay: the builder-API relay that enforces preconfirmation constraints.
//!
//! It will own the relay side of steps ④–⑥ of the data flow (docs/architecture.md): the
//! constraints API (delegations, signed constraints, the builders' SSE stream), block
//! submissions with inclusion proofs checked against every constraint (⑤), the proposer
//! API including `header_with_proofs` (⑥), the data API and the marketplace slot router.
//!
//! This release holds the crate's place in the workspace; the relay itself is built in
//! the issues that follow the workspace foundation (see the README's status table).

/// What this build of the relay can do, shown by `baton-relay --help`.
pub const STATUS: &str =
    "the relay (steps ④–⑥) is not built yet; this binary only reports its version";
