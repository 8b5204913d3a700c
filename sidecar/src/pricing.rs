//! Prices (step ②): the congestion curve for the minimum priority fee of L1 inclusion
//! promises, and the fee per rollup transaction. Documented in `docs/api.md` (Pricing).
//!
//! The minimum tip doubles every quarter of the slot's promisable gas:
//! `min_tip(u) = base_tip · 2^(4u)` where `u` is the slot's utilization *after* the
//! requested gas is added (marginal pricing), so an empty slot costs `base_tip` and the
//! last gas of a full slot costs sixteen times that.

use alloy_primitives::U256;

/// Price parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pricing {
    /// Minimum priority fee per gas in an empty slot (wei).
    pub base_tip_wei: u128,
    /// Fee per rollup transaction (wei).
    pub rollup_tx_fee: U256,
}

/// Fixed-point scale of the curve (parts per million).
const PPM: u128 = 1_000_000;

impl Pricing {
    /// The minimum priority fee per gas for `gas` more in a slot with `used` of `capacity`
    /// promised; `None` when it does not fit.
    pub fn min_tip(&self, used: u64, gas: u64, capacity: u64) -> Option<u128> {
        let after = used.checked_add(gas)?;
        if capacity == 0 || after > capacity {
            return None;
        }
        // u in parts per million; 2^(4u) = 2^whole · 2^frac with the fraction interpolated
        // linearly between powers of two (monotone, within 6 % of the exact curve).
        let u_ppm = u128::from(after) * PPM / u128::from(capacity);
        let exponent_ppm = 4 * u_ppm;
        let whole = (exponent_ppm / PPM) as u32;
        let frac = exponent_ppm % PPM;
        let low = self.base_tip_wei.checked_mul(1u128 << whole)?;
        Some(low + low * frac / PPM)
    }

    /// The fee for `count` rollup transactions.
    pub fn rollup_fee(&self, count: usize) -> U256 {
        self.rollup_tx_fee * U256::from(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Pricing = Pricing {
        base_tip_wei: 1_000_000_000,
        rollup_tx_fee: U256::from_limbs([5, 0, 0, 0]),
    };

    #[test]
    fn empty_quarter_half_full() {
        assert_eq!(P.min_tip(0, 0, 100), Some(1_000_000_000));
        assert_eq!(P.min_tip(0, 25, 100), Some(2_000_000_000));
        assert_eq!(P.min_tip(25, 25, 100), Some(4_000_000_000));
        assert_eq!(P.min_tip(0, 100, 100), Some(16_000_000_000));
        assert_eq!(P.min_tip(90, 11, 100), None, "does not fit");
        assert_eq!(P.min_tip(0, 1, 0), None);
    }

    #[test]
    fn the_curve_only_rises() {
        let mut last = 0;
        for used in 0..=1_000u64 {
            let tip = P.min_tip(used, 0, 1_000).unwrap();
            assert!(tip >= last, "tip fell at {used}");
            last = tip;
        }
    }

    #[test]
    fn rollup_fee_is_per_transaction() {
        assert_eq!(P.rollup_fee(3), U256::from(15u64));
    }
}
