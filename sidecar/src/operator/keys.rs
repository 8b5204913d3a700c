//! `keys`: the keys this configuration can use, public parts only. Validator keystores are
//! listed from their cleartext `pubkey` field, so listing needs no password.

use std::{fmt, path::PathBuf};

use alloy::primitives::Address;
use baton_preconf::BlsPublicKey;

/// Public keys a configuration uses.
#[derive(Debug, Clone)]
pub struct KeyListing {
    /// The committer address.
    pub committer: Address,
    /// The operator account (sends Registry transactions).
    pub operator: Address,
    /// The delegate key, if configured.
    pub delegate: Option<BlsPublicKey>,
    /// Validator keystores and their public keys (or why one could not be read).
    pub validators: Vec<(PathBuf, Result<BlsPublicKey, String>)>,
}

/// Lists the keys: validator keystores are read for their `pubkey` field only.
pub fn list_keys(
    committer: Address,
    operator: Address,
    delegate: Option<BlsPublicKey>,
    keystores: &[PathBuf],
) -> KeyListing {
    let validators = keystores
        .iter()
        .map(|path| (path.clone(), keystore_pubkey(path)))
        .collect();
    KeyListing {
        committer,
        operator,
        delegate,
        validators,
    }
}

/// The public key an EIP-2335 keystore names.
pub fn keystore_pubkey(path: &std::path::Path) -> Result<BlsPublicKey, String> {
    #[derive(serde::Deserialize)]
    struct Public {
        pubkey: String,
    }
    let bytes = crate::keys::read_keystore_file(path).map_err(|e| e.to_string())?;
    let public: Public = serde_json::from_slice(&bytes)
        .map_err(|e| format!("not an EIP-2335 keystore with a pubkey: {e}"))?;
    let text = public.pubkey.trim_start_matches("0x");
    format!("0x{text}")
        .parse()
        .map_err(|_| "its pubkey is not a 48-byte BLS public key".to_owned())
}

impl fmt::Display for KeyListing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "committer  {}", self.committer)?;
        writeln!(f, "operator   {}", self.operator)?;
        match self.delegate {
            Some(key) => writeln!(f, "delegate   {key}")?,
            None => writeln!(f, "delegate   none (--delegate.keystore)")?,
        }
        write!(f, "validators {}", self.validators.len())?;
        for (path, key) in &self.validators {
            match key {
                Ok(key) => write!(f, "\n  {key}  {}", path.display())?,
                Err(why) => write!(f, "\n  unreadable {}: {why}", path.display())?,
            }
        }
        Ok(())
    }
}
