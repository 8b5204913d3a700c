//! Builder signatures verified on long-lived threads (step ⑤). A submission hands its
//! signature over and goes on hashing its payload meanwhile; starting a thread per
//! submission instead costs a clone, a stack and, on a busy virtual machine, often more
//! than a millisecond before the new thread first runs.

use std::{
    collections::HashMap,
    sync::{
        Mutex, OnceLock,
        mpsc::{self, Receiver, SyncSender},
    },
};

use alloy_primitives::B256;
use baton_preconf::{BlsPublicKey, BlsSignature, bls::BlsError};
use blst::min_pk;

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
                    let mut keys = KeyCache::default();
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        let Ok((key, root, signature, answer)) = job else {
                            return;
                        };
                        let outcome = keys
                            .validated(&key)
                            .and_then(|key| signature.verify_validated(key, root));
                        let _ = answer.send(outcome);
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a signature verifier thread");
            }
        }
        Pool { jobs }
    })
}

/// Builders' keys already decompressed and checked (a slot's submissions come from a few
/// builders): saves a G1 decompression and subgroup check per submission. Bounded: it
/// starts over when full.
#[derive(Default)]
struct KeyCache(HashMap<BlsPublicKey, min_pk::PublicKey>);

/// Keys one verifying thread keeps checked.
const MAX_KEYS: usize = 4096;

impl KeyCache {
    fn validated(&mut self, key: &BlsPublicKey) -> Result<&min_pk::PublicKey, BlsError> {
        if !self.0.contains_key(key) {
            let checked = key.to_blst()?;
            if self.0.len() >= MAX_KEYS {
                self.0.clear();
            }
            self.0.insert(*key, checked);
        }
        self.0.get(key).ok_or(BlsError::VerificationFailed)
    }
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
        // Keys the threads keep checked: another builder's key, or bytes that are no key,
        // never pass for this signature, however often they come.
        for _ in 0..3 {
            let other = sim::bls_key(8).public_key();
            assert!(verify(other, root, signature).wait().is_err());
            assert!(
                verify(BlsPublicKey([0xff; 48]), root, signature)
                    .wait()
                    .is_err()
            );
            assert!(verify(key.public_key(), root, signature).wait().is_ok());
        }
    }
}
