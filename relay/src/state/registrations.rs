//! Validators' builder registrations (fee recipient, gas limit), newest per validator.
//! Only signature-verified registrations are stored (see `Relay::register`).

use std::{collections::HashMap, sync::Arc, sync::RwLock};

use baton_preconf::{BlsPublicKey, ssz::SignedValidatorRegistration};

/// The registration store.
#[derive(Debug, Default)]
pub struct Registrations {
    by_key: RwLock<HashMap<BlsPublicKey, Arc<SignedValidatorRegistration>>>,
}

/// The validator a registration names.
pub fn registration_key(registration: &SignedValidatorRegistration) -> BlsPublicKey {
    let mut key = [0u8; 48];
    key.copy_from_slice(&registration.message.pubkey);
    BlsPublicKey(key)
}

impl Registrations {
    /// The registration of `validator`.
    pub fn get(&self, validator: &BlsPublicKey) -> Option<Arc<SignedValidatorRegistration>> {
        self.by_key
            .read()
            .ok()
            .and_then(|m| m.get(validator).cloned())
    }

    /// Whether `registration` would change the store: not identical to the stored one and
    /// not older than it.
    pub fn is_news(&self, registration: &SignedValidatorRegistration) -> bool {
        match self.get(&registration_key(registration)) {
            Some(stored) => {
                registration.message.timestamp > stored.message.timestamp
                    || (registration.message.timestamp == stored.message.timestamp
                        && *registration != *stored)
            }
            None => true,
        }
    }

    /// Stores verified registrations (older ones than stored are ignored); returns how
    /// many changed the store.
    pub fn insert_verified(&self, registrations: Vec<SignedValidatorRegistration>) -> usize {
        let Ok(mut map) = self.by_key.write() else {
            return 0;
        };
        let mut changed = 0;
        for registration in registrations {
            let key = registration_key(&registration);
            let newer = map
                .get(&key)
                .is_none_or(|s| registration.message.timestamp >= s.message.timestamp);
            if newer {
                map.insert(key, Arc::new(registration));
                changed += 1;
            }
        }
        changed
    }

    /// Every registration (for the Redis resync).
    pub fn all(&self) -> Vec<Arc<SignedValidatorRegistration>> {
        self.by_key
            .read()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Number of validators registered.
    pub fn len(&self) -> usize {
        self.by_key.read().map(|m| m.len()).unwrap_or_default()
    }

    /// Whether none are registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use baton_preconf::ssz::ValidatorRegistrationV1;

    use super::*;

    fn registration(ts: u64, gas: u64) -> SignedValidatorRegistration {
        SignedValidatorRegistration {
            message: ValidatorRegistrationV1::new([1; 20], gas, ts, &BlsPublicKey([7; 48])),
            signature: Default::default(),
        }
    }

    #[test]
    fn newest_wins_and_identical_is_not_news() {
        let store = Registrations::default();
        assert!(store.is_news(&registration(10, 30)));
        assert_eq!(store.insert_verified(vec![registration(10, 30)]), 1);
        assert!(!store.is_news(&registration(10, 30)));
        assert!(!store.is_news(&registration(9, 31)));
        assert!(store.is_news(&registration(11, 30)));
        assert_eq!(store.insert_verified(vec![registration(9, 31)]), 0);
        assert_eq!(
            store
                .get(&BlsPublicKey([7; 48]))
                .map(|r| r.message.gas_limit),
            Some(30)
        );
        assert_eq!(store.len(), 1);
    }
}
