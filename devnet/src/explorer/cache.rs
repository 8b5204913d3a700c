//! A short-lived answer cache: the page polls every slot, and several tabs or tests may
//! poll at once; each answer is computed at most once per time-to-live.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Entries kept at most; past it, expired ones go first, then the oldest.
const MAX_ENTRIES: usize = 256;

/// Values by key, each valid for `ttl`.
#[derive(Debug)]
pub(crate) struct Cache<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Cache<K, V> {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The value of `key` if it is younger than the time-to-live.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.get_at(key, Instant::now())
    }

    fn get_at(&self, key: &K, now: Instant) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let (at, value) = entries.get(key)?;
        (now.duration_since(*at) < self.ttl).then(|| value.clone())
    }

    /// Stores `value` under `key`.
    pub(crate) fn put(&self, key: K, value: V) {
        self.put_at(key, value, Instant::now());
    }

    fn put_at(&self, key: K, value: V, now: Instant) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| now.duration_since(*at) < ttl);
            while entries.len() >= MAX_ENTRIES {
                let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, (at, _))| *at)
                    .map(|(k, _)| k.clone())
                else {
                    break;
                };
                entries.remove(&oldest);
            }
        }
        entries.insert(key, (now, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_the_map_stays_bounded() {
        let cache = Cache::new(Duration::from_secs(1));
        let start = Instant::now();
        cache.put_at("a".to_owned(), 1, start);
        assert_eq!(cache.get_at(&"a".to_owned(), start), Some(1));
        assert_eq!(
            cache.get_at(&"a".to_owned(), start + Duration::from_secs(2)),
            None
        );
        for i in 0..(MAX_ENTRIES + 10) {
            cache.put_at(i.to_string(), i, start + Duration::from_millis(i as u64));
        }
        assert!(cache.entries.lock().unwrap().len() <= MAX_ENTRIES);
        let last = (MAX_ENTRIES + 9).to_string();
        assert!(
            cache
                .get_at(&last, start + Duration::from_millis(500))
                .is_some()
        );
    }
}
