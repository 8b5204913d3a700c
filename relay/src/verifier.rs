//! Builder signatures verified on long-lived threads (step ⑤). A submission hands its
//! signature over and goes on hashing its payload meanwhile; starting a thread per
//! submission instead costs a clone, a stack and, on a busy virtual machine, often more
//! than a millisecond before the new thread first runs.

use std::sync::{
    Mutex, OnceLock,
    mpsc::{self, Receiver, SyncSender},
};

use alloy_primitives::B256;
use baton_preconf::{BlsPublicKey, BlsSignature, bls::BlsError};

/// Verifying threads.
const THREADS: usize = 2;
/// Jobs queued before a submission waits to hand one over.
const QUEUE: usize = 256;

type Job = (
    BlsPublicKey,
    B256,
    BlsSignature,
    SyncSender<Result<(), BlsError>>,
);

struct Pool {
    jobs: SyncSender<Job>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let (jobs, queue) = mpsc::sync_channel::<Job>(QUEUE);
        let queue = std::sync::Arc::new(Mutex::new(queue));
        for i in 0..THREADS {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("bls-verify-{i}"))
                .spawn(move || {
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        let Ok((key, root, signature, answer)) = job else {
                            return;
                        };
                        let _ = answer.send(signature.verify(&key, root));
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a signature verifier thread");
            }
        }
        Pool { jobs }
    })
}

/// A verification under way.
#[derive(Debug)]
pub struct Pending(Receiver<Result<(), BlsError>>);

impl Pending {
    /// Waits for the outcome.
    pub fn wait(self) -> Result<(), BlsError> {
        self.0.recv().unwrap_or(Err(BlsError::VerificationFailed))
    }
}

/// Starts verifying `signature` by `key` over `signing_root`; verifies on the calling
/// thread if the pool is gone.
pub fn verify(key: BlsPublicKey, signing_root: B256, signature: BlsSignature) -> Pending {
    let (answer, outcome) = mpsc::sync_channel(1);
    if let Err(mpsc::SendError((key, root, signature, answer))) =
        pool().jobs.send((key, signing_root, signature, answer))
    {
        let _ = answer.send(signature.verify(&key, root));
    }
    Pending(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim;

    #[test]
    fn verifies_good_and_refuses_bad() {
        let key = sim::bls_key(7);
        let root = B256::repeat_byte(3);
        let signature = key.sign(root);
        let pending: Vec<_> = (0..8)
            .map(|i| {
                let root = if i % 2 == 0 { root } else { B256::ZERO };
                verify(key.public_key(), root, signature)
            })
            .collect();
        let outcomes: Vec<bool> = pending.into_iter().map(|p| p.wait().is_ok()).collect();
        assert_eq!(
            outcomes,
            [true, false, true, false, true, false, true, false]
        );
    }
}
