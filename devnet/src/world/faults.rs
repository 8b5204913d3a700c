//! Fault switches the end-to-end scenarios flip on a running devnet: relay down, sidecar
//! killed (SIGKILL, as a crash) and restarted, missed slot. The relay that withholds
//! constraints and the builder that drops one are chosen at start
//! ([`crate::StartFaults`]), as is sidecar `a` dropping a promised transaction.

use std::time::Duration;

use baton_preconf::Slot;

use super::Devnet;

impl Devnet {
    /// Stops the relay (SIGTERM): builders cannot submit, sidecars get no bids.
    pub fn relay_down(&mut self) {
        self.relay.stop(Duration::from_secs(3));
    }

    /// Starts the relay again with the same arguments.
    pub fn relay_up(&mut self) -> eyre::Result<()> {
        self.relay.restart()
    }

    /// Kills sidecar `index` with SIGKILL, as a crash would.
    pub fn kill_sidecar(&mut self, index: usize) -> eyre::Result<()> {
        self.sidecars
            .get_mut(index)
            .ok_or_else(|| eyre::eyre!("no sidecar {index}"))?
            .kill();
        Ok(())
    }

    /// Starts sidecar `index` again with the same arguments (its journal restores every
    /// promise it made).
    pub fn restart_sidecar(&mut self, index: usize) -> eyre::Result<()> {
        self.sidecars
            .get_mut(index)
            .ok_or_else(|| eyre::eyre!("no sidecar {index}"))?
            .restart()
    }

    /// The proposer of `slot` proposes nothing.
    pub fn miss_slot(&self, slot: Slot) {
        self.beacon.faults().miss_slot(slot);
    }

    /// The builder process.
    pub fn builder_mut(&mut self) -> &mut super::Child {
        &mut self.builder
    }
}
