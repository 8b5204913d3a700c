//! Per-client and per-wallet rate limits (token buckets) for the JSON-RPC API.
//!
//! Memory is bounded: at most [`MAX_TRACKED`] keys are tracked; when the table is full,
//! idle (refilled) buckets are dropped, and if every bucket is busy a new key is refused
//! rather than letting untrusted traffic grow the table.

use std::{collections::HashMap, hash::Hash, sync::Mutex};

/// Most keys one limiter tracks.
pub const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated_ms: u64,
}

/// A token-bucket limiter keyed by `K` (an IP address, a wallet).
#[derive(Debug)]
pub struct RateLimiter<K> {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Eq + Hash + Copy> RateLimiter<K> {
    /// Allows `per_second` calls per key on average, `burst` at once. `per_second == 0`
    /// disables the limiter.
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::default(),
        }
    }

    /// Takes one token for `key` at `now_ms`; `false` when the key is over its rate.
    pub fn allow(&self, key: K, now_ms: u64) -> bool {
        if self.per_second == 0.0 {
            return true;
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            return false;
        };
        if !buckets.contains_key(&key) && buckets.len() >= MAX_TRACKED {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| refill(b, now_ms, rate, burst) < burst);
            if buckets.len() >= MAX_TRACKED {
                return false;
            }
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: self.burst,
            updated_ms: now_ms,
        });
        let tokens = refill(bucket, now_ms, self.per_second, self.burst);
        if tokens >= 1.0 {
            bucket.tokens = tokens - 1.0;
            bucket.updated_ms = now_ms;
            true
        } else {
            false
        }
    }

    /// Keys currently tracked.
    pub fn tracked(&self) -> usize {
        self.buckets.lock().map_or(0, |b| b.len())
    }
}

fn refill(bucket: &Bucket, now_ms: u64, per_second: f64, burst: f64) -> f64 {
    let elapsed = now_ms.saturating_sub(bucket.updated_ms) as f64 / 1000.0;
    (bucket.tokens + elapsed * per_second).min(burst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_steady_rate() {
        let limiter = RateLimiter::new(10, 3);
        assert!((0..3).all(|_| limiter.allow(1u8, 0)));
        assert!(!limiter.allow(1u8, 0), "burst exhausted");
        assert!(limiter.allow(2u8, 0), "keys are independent");
        assert!(!limiter.allow(1u8, 50), "half a token after 50 ms");
        assert!(limiter.allow(1u8, 100), "one token after 100 ms at 10/s");
        assert!(!limiter.allow(1u8, 100));
    }

    #[test]
    fn disabled_limiter_allows_everything() {
        let limiter = RateLimiter::new(0, 0);
        assert!((0..1000).all(|i| limiter.allow(i, 0)));
        assert_eq!(limiter.tracked(), 0);
    }

    #[test]
    fn the_table_is_bounded() {
        let limiter = RateLimiter::new(1, 1);
        for key in 0..MAX_TRACKED as u32 {
            assert!(limiter.allow(key, 0));
        }
        // Every bucket is busy (just used): a new key is refused, the table does not grow.
        assert!(!limiter.allow(u32::MAX, 0));
        assert_eq!(limiter.tracked(), MAX_TRACKED);
        // A second later every bucket has refilled: idle ones are dropped to make room.
        assert!(limiter.allow(u32::MAX, 1_000));
        assert_eq!(limiter.tracked(), 1);
    }
}
