//! What both keystore formats share: the password-based key derivation (scrypt or
//! PBKDF2-HMAC-SHA256), AES-128-CTR, hex fields, and the bounds that keep a hostile
//! keystore from costing more than a few seconds and a few hundred MiB.
//!
//! | parameter | accepted | the standard keystores use |
//! |---|---|---|
//! | scrypt `n` | a power of two, `2 ≤ n` | `2^18` |
//! | scrypt memory `128·r·n` | ≤ [`SCRYPT_MAX_MEMORY`] (256 MiB) | 256 MiB (`r = 8`), 32 MiB (`r = 1`) |
//! | scrypt work `n·r·p` | ≤ [`SCRYPT_MAX_WORK`] (`2^22` BlockMix rounds) | `2^21` |
//! | PBKDF2 `c` | `1 ≤ c ≤` [`PBKDF2_MAX_ROUNDS`] (`2^22`) | `2^18` |
//! | PBKDF2 `prf` | `hmac-sha256` | `hmac-sha256` |
//! | `dklen` | 32 to 64 bytes | 32 |
//! | salt | at most [`MAX_SALT_LEN`] (256) bytes | 32 |
//!
//! Twice the standard cost is about two seconds on the project's machine, once, at startup.
//! Everything is checked before any memory is allocated or any round is run.

use std::ops::RangeInclusive;

use aes::Aes128;
use alloy_primitives::hex;
use ctr::cipher::{KeyIvInit, StreamCipher};
use rand::RngCore;
use serde::{Deserialize, Deserializer, de::DeserializeOwned};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::KeyError;

/// The most memory scrypt may use for its `V` array, `128·r·n` bytes.
pub const SCRYPT_MAX_MEMORY: u64 = 256 << 20;
/// The most BlockMix work scrypt may do, `n·r·p`.
pub const SCRYPT_MAX_WORK: u64 = 1 << 22;
/// The most PBKDF2 iterations.
pub const PBKDF2_MAX_ROUNDS: u64 = 1 << 22;
/// The longest salt accepted, in bytes.
pub const MAX_SALT_LEN: usize = 256;
/// Derived key lengths accepted: both formats use bytes `0..32` of the derived key.
const DKLEN: RangeInclusive<u64> = 32..=64;
/// Salt length of the keystores we write.
const SALT_LEN: usize = 32;
/// The derived key length of the keystores we write.
const OUR_DKLEN: usize = 32;

/// The key derivation function to encrypt a new keystore with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KdfChoice {
    /// scrypt with `n = 2^log_n`.
    Scrypt {
        /// `log2(n)`.
        log_n: u8,
        /// Block size.
        r: u32,
        /// Parallelism.
        p: u32,
    },
    /// PBKDF2-HMAC-SHA256.
    Pbkdf2 {
        /// Iterations.
        rounds: u32,
    },
}

impl KdfChoice {
    /// What `staking-deposit-cli` and geth write: scrypt `n = 2^18, r = 8, p = 1` (256 MiB,
    /// about a second).
    pub const SCRYPT_STANDARD: Self = Self::Scrypt {
        log_n: 18,
        r: 8,
        p: 1,
    };
    /// PBKDF2 with the iteration count of the EIP-2335 and web3 test vectors, `2^18`.
    pub const PBKDF2_STANDARD: Self = Self::Pbkdf2 { rounds: 1 << 18 };
    /// Cheap scrypt parameters (`n = 2^10`) for devnet and test keystores whose password
    /// is public anyway. Never for a key that protects value.
    pub const SCRYPT_INSECURE_FAST: Self = Self::Scrypt {
        log_n: 10,
        r: 8,
        p: 1,
    };
}

/// A checked key derivation function with its salt (public values: `Debug` is safe).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kdf {
    Scrypt {
        log_n: u8,
        r: u32,
        p: u32,
        dklen: usize,
        salt: Vec<u8>,
    },
    Pbkdf2 {
        rounds: u32,
        dklen: usize,
        salt: Vec<u8>,
    },
}

#[derive(Deserialize)]
struct ScryptParams {
    dklen: u64,
    n: u64,
    r: u64,
    p: u64,
    #[serde(deserialize_with = "hex_field")]
    salt: Vec<u8>,
}

#[derive(Deserialize)]
struct Pbkdf2Params {
    dklen: u64,
    c: u64,
    prf: String,
    #[serde(deserialize_with = "hex_field")]
    salt: Vec<u8>,
}

fn out_of_bounds(param: &'static str, value: u64, bound: &'static str) -> KeyError {
    KeyError::KdfBounds {
        param,
        value,
        bound,
    }
}

fn check_dklen(dklen: u64) -> Result<usize, KeyError> {
    if !DKLEN.contains(&dklen) {
        return Err(out_of_bounds("dklen", dklen, "32 to 64 bytes"));
    }
    usize::try_from(dklen).map_err(|_| out_of_bounds("dklen", dklen, "32 to 64 bytes"))
}

fn check_salt(salt: &[u8]) -> Result<(), KeyError> {
    if salt.len() > MAX_SALT_LEN {
        return Err(out_of_bounds(
            "salt length",
            salt.len() as u64,
            "at most 256 bytes",
        ));
    }
    Ok(())
}

fn check_scrypt(n: u64, r: u64, p: u64) -> Result<(u8, u32, u32), KeyError> {
    if n < 2 || !n.is_power_of_two() {
        return Err(out_of_bounds("n", n, "a power of two, at least 2"));
    }
    if r == 0 {
        return Err(out_of_bounds("r", r, "at least 1"));
    }
    if p == 0 {
        return Err(out_of_bounds("p", p, "at least 1"));
    }
    let memory = n
        .checked_mul(r)
        .and_then(|x| x.checked_mul(128))
        .unwrap_or(u64::MAX);
    if memory > SCRYPT_MAX_MEMORY {
        return Err(out_of_bounds("128·r·n (bytes)", memory, "at most 256 MiB"));
    }
    let work = n
        .checked_mul(r)
        .and_then(|x| x.checked_mul(p))
        .unwrap_or(u64::MAX);
    if work > SCRYPT_MAX_WORK {
        return Err(out_of_bounds("n·r·p", work, "at most 2^22"));
    }
    // Both fit: r ≤ memory/256 and p ≤ work/2.
    let r = u32::try_from(r).map_err(|_| out_of_bounds("r", r, "below 2^32"))?;
    let p = u32::try_from(p).map_err(|_| out_of_bounds("p", p, "below 2^32"))?;
    Ok((n.trailing_zeros() as u8, r, p))
}

fn check_rounds(rounds: u64) -> Result<u32, KeyError> {
    if rounds == 0 || rounds > PBKDF2_MAX_ROUNDS {
        return Err(out_of_bounds("c", rounds, "1 to 2^22"));
    }
    u32::try_from(rounds).map_err(|_| out_of_bounds("c", rounds, "1 to 2^22"))
}

impl Kdf {
    /// Parses and bounds-checks a KDF named `function` with JSON `params` (the same
    /// parameter names in both formats).
    pub(crate) fn from_json(function: &str, params: Value) -> Result<Self, KeyError> {
        match function {
            "scrypt" => {
                let raw: ScryptParams = parse_json_value("kdf params", params)?;
                let (log_n, r, p) = check_scrypt(raw.n, raw.r, raw.p)?;
                let dklen = check_dklen(raw.dklen)?;
                check_salt(&raw.salt)?;
                Ok(Self::Scrypt {
                    log_n,
                    r,
                    p,
                    dklen,
                    salt: raw.salt,
                })
            }
            "pbkdf2" => {
                let raw: Pbkdf2Params = parse_json_value("kdf params", params)?;
                if raw.prf != "hmac-sha256" {
                    return Err(KeyError::Unsupported {
                        what: "PBKDF2 prf",
                        found: shorten(&raw.prf),
                    });
                }
                let rounds = check_rounds(raw.c)?;
                let dklen = check_dklen(raw.dklen)?;
                check_salt(&raw.salt)?;
                Ok(Self::Pbkdf2 {
                    rounds,
                    dklen,
                    salt: raw.salt,
                })
            }
            other => Err(KeyError::Unsupported {
                what: "kdf",
                found: shorten(other),
            }),
        }
    }

    /// A fresh KDF with a random salt, checked against the same bounds as one read from a
    /// file (we never write a keystore we would refuse to read).
    pub(crate) fn fresh(choice: KdfChoice) -> Result<Self, KeyError> {
        let mut salt = vec![0u8; SALT_LEN];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        match choice {
            KdfChoice::Scrypt { log_n, r, p } => {
                if log_n == 0 || log_n >= 64 {
                    return Err(out_of_bounds(
                        "n",
                        u64::from(log_n),
                        "2^1 to 2^63 before the memory bound",
                    ));
                }
                let (log_n, r, p) = check_scrypt(1u64 << log_n, u64::from(r), u64::from(p))?;
                Ok(Self::Scrypt {
                    log_n,
                    r,
                    p,
                    dklen: OUR_DKLEN,
                    salt,
                })
            }
            KdfChoice::Pbkdf2 { rounds } => Ok(Self::Pbkdf2 {
                rounds: check_rounds(u64::from(rounds))?,
                dklen: OUR_DKLEN,
                salt,
            }),
        }
    }

    /// The function name and parameters as both formats write them.
    pub(crate) fn to_json(&self) -> (&'static str, Value) {
        match self {
            Self::Scrypt {
                log_n,
                r,
                p,
                dklen,
                salt,
            } => (
                "scrypt",
                json!({
                    "dklen": dklen,
                    "n": 1u64 << log_n,
                    "r": r,
                    "p": p,
                    "salt": hex::encode(salt),
                }),
            ),
            Self::Pbkdf2 {
                rounds,
                dklen,
                salt,
            } => (
                "pbkdf2",
                json!({
                    "dklen": dklen,
                    "c": rounds,
                    "prf": "hmac-sha256",
                    "salt": hex::encode(salt),
                }),
            ),
        }
    }

    /// Derives the decryption key from the (already normalised) password bytes.
    pub(crate) fn derive(&self, password: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        match self {
            Self::Scrypt {
                log_n,
                r,
                p,
                dklen,
                salt,
            } => {
                let params = scrypt::Params::new(*log_n, *r, *p).map_err(|_| {
                    out_of_bounds("n", 1u64 << log_n, "accepted by the scrypt implementation")
                })?;
                let mut out = Zeroizing::new(vec![0u8; *dklen]);
                // The output length was checked to be 32..=64 bytes, which scrypt accepts.
                scrypt::scrypt(password, salt, &params, &mut out).map_err(|_| {
                    out_of_bounds(
                        "dklen",
                        *dklen as u64,
                        "accepted by the scrypt implementation",
                    )
                })?;
                Ok(out)
            }
            Self::Pbkdf2 {
                rounds,
                dklen,
                salt,
            } => {
                let mut out = Zeroizing::new(vec![0u8; *dklen]);
                pbkdf2::pbkdf2_hmac::<pbkdf2::sha2::Sha256>(password, salt, *rounds, &mut out);
                Ok(out)
            }
        }
    }
}

/// Applies AES-128-CTR (128-bit big-endian counter, as geth and the EIP-2335 reference do)
/// keyed by the first 16 bytes of the derived key. Encrypts and decrypts alike.
pub(crate) fn aes_128_ctr(derived_key: &[u8], iv: &[u8; 16], data: &mut [u8]) {
    let mut key = Zeroizing::new([0u8; 16]);
    key.copy_from_slice(&derived_key[..16]);
    let mut cipher = ctr::Ctr128BE::<Aes128>::new(&(*key).into(), &(*iv).into());
    cipher.apply_keystream(data);
}

/// A fresh random IV.
pub(crate) fn fresh_iv() -> [u8; 16] {
    let mut iv = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut iv);
    iv
}

/// A random (version 4) UUID, for the `uuid` / `id` field.
pub(crate) fn fresh_uuid() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Serde helper: a hex string (with or without `0x`) as bytes. The error never repeats the
/// input.
pub(crate) fn hex_field<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    hex::decode(s.as_ref()).map_err(|_| serde::de::Error::custom("invalid hex string"))
}

/// Decodes hex from a keystore field into exactly `N` bytes.
pub(crate) fn hex_array<const N: usize>(
    field: &'static str,
    value: &str,
) -> Result<[u8; N], KeyError> {
    let raw = hex::decode(value).map_err(|_| KeyError::Malformed {
        reason: format!("{field} is not hex"),
    })?;
    raw.as_slice().try_into().map_err(|_| KeyError::Malformed {
        reason: format!("{field} must be {N} bytes, got {}", raw.len()),
    })
}

/// Parses JSON text; see [`describe_json_error`].
pub(crate) fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, KeyError> {
    serde_json::from_str(text).map_err(|e| KeyError::Malformed {
        reason: describe_json_error(&e),
    })
}

fn parse_json_value<T: DeserializeOwned>(what: &str, value: Value) -> Result<T, KeyError> {
    serde_json::from_value(value).map_err(|e| KeyError::Malformed {
        reason: format!("{what}: {}", describe_json_error(&e)),
    })
}

/// serde's messages can quote the offending value ("invalid type: string \"…\""). A file
/// that is not a keystore may hold a plain secret, so only messages that name a field, never
/// a value, are passed on; the rest become a category and a position.
fn describe_json_error(err: &serde_json::Error) -> String {
    let msg = err.to_string();
    if msg.starts_with("missing field") || msg.starts_with("invalid hex string") {
        return msg;
    }
    let kind = match err.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => "unexpected value or type",
        serde_json::error::Category::Eof => "truncated JSON",
    };
    if err.line() == 0 {
        kind.to_owned()
    } else {
        format!("{kind} at line {}, column {}", err.line(), err.column())
    }
}

/// Names read from a file, cut short so an error message stays one line.
pub(crate) fn shorten(s: &str) -> String {
    s.chars().take(32).filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests;
