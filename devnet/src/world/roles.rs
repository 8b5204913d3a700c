//! Who is who on the devnet: every key is deterministic, so a restarted devnet has the
//! same accounts, validators and sidecars, and the printed dev keys stay valid.
//!
//! Execution accounts are anvil's ten dev keys ("test test … junk"). BLS keys are interop
//! keys: validators `0..n`, each sidecar's delegate `1000 + i`, the builder `2000`, the
//! relay `3000`.

use std::{fs, path::Path};

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::Address;
use baton_preconf::{BlsPublicKey, BlsSecretKey};
use baton_sidecar::keys::{KdfChoice, encrypt_bls_keystore};
use baton_toolchain::Anvil;
use eyre::WrapErr;

use crate::beacon::interop_secret_key;

/// The password of every keystore the devnet writes (a dev secret, printed on purpose).
pub const KEYSTORE_PASSWORD: &str = "baton-devnet";

/// Index of the deployer (and rollup admin) among anvil's dev keys.
pub const DEPLOYER: usize = 0;
/// Index of the first demo wallet among anvil's dev keys.
pub const FIRST_WALLET: usize = 6;

/// A dev account's signer.
pub fn dev_signer(index: usize) -> eyre::Result<PrivateKeySigner> {
    Anvil::DEV_KEYS
        .get(index)
        .ok_or_else(|| eyre::eyre!("no dev key {index}"))?
        .parse()
        .wrap_err("dev key")
}

/// A BLS key of the devnet's interop scheme.
pub(crate) fn bls_key(index: u64) -> eyre::Result<BlsSecretKey> {
    interop_secret_key(index).map_err(|e| eyre::eyre!("interop key {index}: {e}"))
}

/// One sidecar's identities.
#[derive(Debug)]
pub struct SidecarRole {
    /// Its name (`a`, `b`, …).
    pub name: String,
    /// The operator account (pays collateral): dev key `1 + i`.
    pub operator: PrivateKeySigner,
    /// The committer (signs promises and batch transactions): dev key `3 + i`.
    pub committer: PrivateKeySigner,
    /// The delegate BLS key that signs constraints.
    pub delegate: BlsSecretKey,
    /// The validator indices it serves.
    pub validators: Vec<u64>,
}

impl SidecarRole {
    /// The `i`-th sidecar, serving `validators`.
    pub fn new(i: usize, validators: Vec<u64>) -> eyre::Result<Self> {
        let name = char::from(b'a' + u8::try_from(i).wrap_err("too many sidecars")?).to_string();
        Ok(Self {
            name,
            operator: dev_signer(1 + i)?,
            committer: dev_signer(3 + i)?,
            delegate: bls_key(1_000 + i as u64)?,
            validators,
        })
    }

    /// The committer's address.
    pub fn committer_address(&self) -> Address {
        self.committer.address()
    }

    /// Its validators' public keys.
    pub fn validator_pubkeys(&self) -> eyre::Result<Vec<BlsPublicKey>> {
        self.validators
            .iter()
            .map(|i| bls_key(*i).map(|k| k.public_key()))
            .collect()
    }

    /// Writes what the sidecar binary reads into `dir`: `committer.hex`, `operator.hex`,
    /// `delegate.json`, `validators/<index>.json` and `password.txt`. Keystores use a
    /// cheap PBKDF2 (a devnet starts in seconds; real keys use the defaults of
    /// `baton-sidecar keys`).
    pub fn write_keys(&self, dir: &Path) -> eyre::Result<()> {
        let validators = dir.join("validators");
        fs::create_dir_all(&validators)
            .wrap_err_with(|| format!("creating {}", validators.display()))?;
        let write = |path: &Path, text: &str| {
            fs::write(path, text).wrap_err_with(|| format!("writing {}", path.display()))
        };
        let kdf = KdfChoice::Pbkdf2 { rounds: 2 };
        write(&dir.join("password.txt"), KEYSTORE_PASSWORD)?;
        write(
            &dir.join("committer.hex"),
            &hex::encode(self.committer.to_bytes()),
        )?;
        write(
            &dir.join("operator.hex"),
            &hex::encode(self.operator.to_bytes()),
        )?;
        let delegate = encrypt_bls_keystore(&self.delegate, KEYSTORE_PASSWORD, kdf, "")
            .map_err(|e| eyre::eyre!("delegate keystore: {e}"))?;
        write(&dir.join("delegate.json"), &delegate)?;
        for index in &self.validators {
            let keystore = encrypt_bls_keystore(&bls_key(*index)?, KEYSTORE_PASSWORD, kdf, "")
                .map_err(|e| eyre::eyre!("validator keystore {index}: {e}"))?;
            write(&validators.join(format!("{index}.json")), &keystore)?;
        }
        Ok(())
    }
}

/// Writes a BLS secret key as hex (the relay's and the builder's key files).
pub(crate) fn write_bls_hex(path: &Path, key: &BlsSecretKey) -> eyre::Result<()> {
    fs::write(path, hex::encode(key.to_bytes()))
        .wrap_err_with(|| format!("writing {}", path.display()))
}
