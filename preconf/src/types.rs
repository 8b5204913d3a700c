//! Domain numbers as newtypes, so a slot is never passed where a position is expected.
//!
//! Integers serialise as decimal strings ("quoted"), as the beacon and builder APIs do,
//! and deserialise from either a quoted string or a bare JSON number.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! quoted_u64_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u64);

        impl $name {
            /// The raw value.
            pub const fn get(self) -> u64 {
                self.0
            }
        }

        impl From<u64> for $name {
            fn from(value: u64) -> Self {
                Self(value)
            }
        }

        impl From<$name> for u64 {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                quoted::serialize(&self.0, serializer)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                quoted::deserialize(deserializer).map(Self)
            }
        }
    };
}

quoted_u64_newtype!(
    /// A beacon chain slot.
    Slot
);
quoted_u64_newtype!(
    /// A beacon chain epoch.
    Epoch
);
quoted_u64_newtype!(
    /// A rollup's id in the `RollupInbox` (assigned from 1).
    RollupId
);
quoted_u64_newtype!(
    /// A position in a rollup's batch (0-based).
    Position
);
quoted_u64_newtype!(
    /// An EIP-155 chain id.
    ChainId
);
quoted_u64_newtype!(
    /// An amount of execution gas.
    Gas
);
quoted_u64_newtype!(
    /// An amount in gwei (10^9 wei).
    Gwei
);
quoted_u64_newtype!(
    /// A validator's index in the beacon state.
    ValidatorIndex
);

impl Slot {
    /// The next slot.
    pub const fn next(self) -> Self {
        Self(self.0 + 1)
    }
}

impl Gwei {
    /// The amount in wei.
    pub fn to_wei(self) -> alloy_primitives::U256 {
        alloy_primitives::U256::from(self.0) * alloy_primitives::U256::from(1_000_000_000u64)
    }
}

/// Serde helpers for integers the Ethereum APIs send as decimal strings.
pub mod quoted {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Serialises as a decimal string.
    pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    /// Accepts `"123"` or `123`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either<'a> {
            Str(&'a str),
            String(String),
            Num(u64),
        }
        match Either::deserialize(deserializer)? {
            Either::Str(s) => s.parse().map_err(D::Error::custom),
            Either::String(s) => s.parse().map_err(D::Error::custom),
            Either::Num(n) => Ok(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_round_trip_and_bare_numbers() {
        let slot = Slot(123_456);
        let json = serde_json::to_string(&slot).unwrap();
        assert_eq!(json, "\"123456\"");
        assert_eq!(serde_json::from_str::<Slot>(&json).unwrap(), slot);
        assert_eq!(serde_json::from_str::<Slot>("123456").unwrap(), slot);
        assert!(serde_json::from_str::<Slot>("\"-1\"").is_err());
        assert!(serde_json::from_str::<Slot>("\"0x10\"").is_err());
        assert!(serde_json::from_str::<Slot>("\"18446744073709551616\"").is_err());
    }

    #[test]
    fn gwei_to_wei() {
        assert_eq!(
            Gwei(3).to_wei(),
            alloy_primitives::U256::from(3_000_000_000u64)
        );
    }
}
