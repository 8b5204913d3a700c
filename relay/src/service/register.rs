//! `POST /eth/v1/builder/validators`: verify every new registration's BLS signature in
//! one batch, then store them all, or none.

use baton_preconf::{BlsPublicKey, bls::verify_batch, ssz::SignedValidatorRegistration};

use super::{Relay, show};
use crate::{error::RelayError, sharing::SharedEvent, state::registrations::registration_key};

/// Most registrations in one request.
pub const MAX_REGISTRATIONS: usize = 10_000;
/// How far ahead of the relay's clock a registration may be timestamped.
const MAX_FUTURE_SECONDS: u64 = 10;

impl Relay {
    /// Checks and stores registrations; returns how many changed the store. Identical
    /// repeats are not verified again (validators re-send every epoch).
    pub fn register(
        &self,
        registrations: Vec<SignedValidatorRegistration>,
    ) -> Result<usize, RelayError> {
        let len = registrations.len();
        if len == 0 || len > MAX_REGISTRATIONS {
            return Err(RelayError::BadCount {
                what: "registrations",
                len,
                max: MAX_REGISTRATIONS,
            });
        }
        let now = self.now_ms() / 1000;
        let mut fresh = Vec::new();
        let mut items = Vec::new();
        for (index, registration) in registrations.into_iter().enumerate() {
            let message = &registration.message;
            if message.timestamp > now + MAX_FUTURE_SECONDS {
                return Err(RelayError::RegistrationFromFuture {
                    index,
                    timestamp: message.timestamp,
                    now,
                });
            }
            if message.gas_limit == 0 {
                return Err(RelayError::RegistrationInvalid {
                    index,
                    reason: "gas_limit is zero".to_owned(),
                });
            }
            let key = registration_key(&registration);
            if key.to_blst().is_err() {
                return Err(RelayError::RegistrationInvalid {
                    index,
                    reason: format!("pubkey {key} is not a valid BLS public key"),
                });
            }
            if !self.registrations.is_news(&registration) {
                continue;
            }
            let item = registration
                .verification_item(self.chain.genesis_fork_version)
                .map_err(|_| RelayError::Internal)?;
            items.push((index, item));
            fresh.push(registration);
        }
        if fresh.is_empty() {
            return Ok(0);
        }
        let batch: Vec<_> = items.iter().map(|(_, item)| *item).collect();
        if verify_batch(&batch).is_err() {
            // Name the first bad one.
            let (index, (pubkey, _, _)) = items
                .iter()
                .find(|(_, (pk, root, sig))| sig.verify(pk, *root).is_err())
                .copied()
                .unwrap_or((0, batch[0]));
            return Err(RelayError::RegistrationSignature {
                index,
                pubkey: show(pubkey),
            });
        }
        let changed = self.registrations.insert_verified(fresh.clone());
        crate::metrics::record_registrations(changed);
        self.share(SharedEvent::Registrations(fresh));
        Ok(changed)
    }

    /// Applies registrations another relay instance verified (verified again here: Redis
    /// is shared state, not a trusted signer).
    pub(crate) fn apply_registrations(&self, registrations: Vec<SignedValidatorRegistration>) {
        let fresh: Vec<_> = registrations
            .into_iter()
            .filter(|r| self.registrations.is_news(r))
            .collect();
        if fresh.is_empty() {
            return;
        }
        let items: Result<Vec<_>, _> = fresh
            .iter()
            .map(|r| r.verification_item(self.chain.genesis_fork_version))
            .collect();
        match items.map(|items| verify_batch(&items)) {
            Ok(Ok(())) => {
                self.registrations.insert_verified(fresh);
            }
            _ => tracing::warn!("registrations from Redis failed verification; ignored"),
        }
    }

    /// The registration of `validator`, for the data API.
    pub fn registration(&self, validator: &BlsPublicKey) -> Option<SignedValidatorRegistration> {
        self.registrations.get(validator).map(|r| (*r).clone())
    }
}
