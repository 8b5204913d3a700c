//! The auctions' clock: like the seal loop of `pbs`, but running whether or not block
//! production is on, each auction is cleared as soon as its close passes (and again after a
//! restart, for a slot whose receipts were journaled but not cleared), then its winners'
//! promises are made.

use std::sync::Arc;

use crate::service::Service;

/// Clears and settles auctions forever (abort the task to stop).
pub async fn run_auctions(service: Arc<Service>) {
    loop {
        let pause = service.auction_tick().await;
        tokio::time::sleep(pause).await;
    }
}
