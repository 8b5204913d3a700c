//! The Engine API's authentication: an HS256 JWT over `{"iat": <now>}` with a 32-byte
//! secret shared with the execution client (execution-apis `authentication.md`).

use std::{
    fmt, fs, io,
    path::Path,
    time::{SystemTime, UNIX_EPOCH},
};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why a JWT secret could not be read.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    /// The secret file could not be read.
    #[error("cannot read the JWT secret file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The OS error.
        source: io::Error,
    },
    /// The text is not 32 bytes of hex.
    #[error("a JWT secret is 32 bytes of hex (64 hex digits, optional 0x); got {0} characters")]
    Format(usize),
}

/// The 32-byte secret. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct JwtSecret([u8; 32]);

impl fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtSecret(<redacted>)")
    }
}

impl JwtSecret {
    /// From 64 hex digits, with or without `0x`, surrounding whitespace ignored.
    pub fn from_hex(text: &str) -> Result<Self, JwtError> {
        let trimmed = text.trim();
        let digits = trimmed.strip_prefix("0x").unwrap_or(trimmed);
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(digits, &mut bytes).map_err(|_| JwtError::Format(trimmed.len()))?;
        Ok(Self(bytes))
    }

    /// From a file holding the hex secret (the format execution clients write).
    pub fn read(path: &Path) -> Result<Self, JwtError> {
        let text = fs::read_to_string(path).map_err(|source| JwtError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_hex(&text)
    }

    /// A fresh random secret.
    pub fn random() -> Self {
        Self(rand::random())
    }

    /// The secret as 64 hex digits (for writing the file an execution client reads).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A token for now.
    pub fn token(&self) -> String {
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        self.token_at(iat)
    }

    /// A token issued at `iat` (seconds since the epoch); clients accept ±60 s.
    pub fn token_at(&self, iat: u64) -> String {
        let header = base64url(br#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = base64url(format!(r#"{{"iat":{iat}}}"#).as_bytes());
        let signing_input = format!("{header}.{claims}");
        // HMAC accepts a key of any length; 32 bytes cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(signing_input.as_bytes());
        let signature = base64url(&mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }
}

/// Base64url without padding (RFC 7515 §2).
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        // RFC 4648 §10 vectors, without padding.
        for (input, expected) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(input.as_bytes()), expected, "{input}");
        }
        // The URL-safe alphabet.
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn token_is_hs256_over_iat() {
        let secret = JwtSecret::from_hex(&format!("0x{}", "11".repeat(32))).unwrap();
        let token = secret.token_at(1_700_000_000);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9");
        assert_eq!(parts[1], base64url(br#"{"iat":1700000000}"#));
        // Recompute the MAC independently of token_at.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&[0x11; 32]).unwrap();
        mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
        assert_eq!(parts[2], base64url(&mac.finalize().into_bytes()));
        // A different secret gives a different signature.
        let other = JwtSecret::from_hex(&"12".repeat(32)).unwrap();
        assert_ne!(other.token_at(1_700_000_000), token);
    }

    #[test]
    fn secret_parsing_and_redaction() {
        let secret = JwtSecret::from_hex(&format!(" {}\n", "ab".repeat(32))).unwrap();
        assert_eq!(secret.to_hex(), "ab".repeat(32));
        assert!(!format!("{secret:?}").contains("abab"));
        assert!(matches!(
            JwtSecret::from_hex("abcd"),
            Err(JwtError::Format(4))
        ));
        assert!(JwtSecret::from_hex(&"zz".repeat(32)).is_err());
    }
}
