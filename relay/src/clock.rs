//! What time it is, and where that falls in the slot (every step: cut-offs and expiry).
//! The clock is shared with the sidecar: see [`baton_preconf::clock`].

pub use baton_preconf::clock::{ManualClock, SlotClock, SystemClock, current_slot, ms_into_slot};
