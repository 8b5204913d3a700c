//! Keys, read once at startup: the committer's ECDSA key, which signs promises (step ③),
//! and the delegate's BLS key, which will sign constraints (step ④).
//!
//! | key | file | loader |
//! |---|---|---|
//! | committer (secp256k1) | web3 secret-storage v3 keystore + password file, or a file holding the hex key | [`load_committer`] |
//! | delegate (BLS12-381) | EIP-2335 v4 keystore + password file | [`load_bls_keystore`] |
//!
//! [`encrypt_secret_storage`] and [`encrypt_bls_keystore`] write keystores (tests, devnet).
//! Both formats use scrypt or PBKDF2-HMAC-SHA256 and AES-128-CTR; a keystore's KDF
//! parameters are bounded (see [`KdfChoice`] and the `kdf` module) so a hostile file
//! cannot make us spin or allocate gigabytes. Passwords, derived keys and decrypted
//! secrets are zeroized when dropped, and no error message, `Debug` or `Display` output
//! contains secret material: key types print their public part only.

mod eip2335;
mod kdf;
mod secret_storage;

use std::{
    fmt,
    fs::File,
    io::{self, Read},
    path::{Path, PathBuf},
    sync::Arc,
};

use alloy_primitives::{Address, hex};
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{BlsPublicKey, BlsSecretKey};
use zeroize::Zeroizing;

pub use eip2335::{decrypt_bls_keystore, encrypt_bls_keystore, normalize_password};
pub use kdf::{KdfChoice, MAX_SALT_LEN, PBKDF2_MAX_ROUNDS, SCRYPT_MAX_MEMORY, SCRYPT_MAX_WORK};
pub use secret_storage::{decrypt_secret_storage, encrypt_secret_storage};

/// The largest key or keystore file read (real keystores are under 1 KiB).
pub const MAX_KEYSTORE_FILE: u64 = 64 * 1024;
/// The largest password file read.
pub const MAX_PASSWORD_FILE: u64 = 4 * 1024;

/// Why a key could not be loaded. No variant carries secret material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A file could not be read.
    #[error("reading {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// A file is larger than any key, keystore or password file.
    #[error("{} is larger than {limit} bytes: not a key, keystore or password file", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// The committer key file is neither a keystore nor a hex key.
    #[error("{} holds neither a keystore (JSON) nor a hex secp256k1 private key", path.display())]
    NotAKey {
        /// The file.
        path: PathBuf,
    },
    /// A keystore was given without its password file.
    #[error("{} is a keystore: its password file is required", path.display())]
    PasswordFileRequired {
        /// The keystore.
        path: PathBuf,
    },
    /// A password file was given for a plain hex key, which has no password.
    #[error("{} holds a plain hex key, which has no password: drop the password file", path.display())]
    UnexpectedPasswordFile {
        /// The key file.
        path: PathBuf,
    },
    /// The password file is not UTF-8 text.
    #[error("the password file {} is not UTF-8 text", path.display())]
    PasswordNotUtf8 {
        /// The password file.
        path: PathBuf,
    },
    /// The keystore's JSON is not of the expected shape.
    #[error("malformed keystore: {reason}")]
    Malformed {
        /// What is wrong (never quotes a value).
        reason: String,
    },
    /// The keystore is of another version.
    #[error("unsupported keystore version {found} (expected {expected})")]
    UnsupportedVersion {
        /// The keystore's `version`.
        found: u64,
        /// The version this format has.
        expected: u64,
    },
    /// A KDF, PRF, cipher or checksum this implementation does not have.
    #[error("unsupported {what} {found:?}")]
    Unsupported {
        /// Which module.
        what: &'static str,
        /// The name found (shortened).
        found: String,
    },
    /// A KDF parameter is outside the accepted bounds.
    #[error("keystore kdf parameter {param} = {value} is out of bounds ({bound})")]
    KdfBounds {
        /// The parameter.
        param: &'static str,
        /// Its value (saturated at `u64::MAX`).
        value: u64,
        /// What is accepted.
        bound: &'static str,
    },
    /// The checksum (EIP-2335) or MAC (web3) does not match: almost always a wrong
    /// password, else a corrupted file.
    #[error("{check} mismatch: wrong password?")]
    WrongPassword {
        /// `checksum` or `MAC`.
        check: &'static str,
    },
    /// The decrypted bytes are not a valid private key.
    #[error("the decrypted secret is not a valid {kind} private key")]
    InvalidSecret {
        /// `BLS` or `secp256k1`.
        kind: &'static str,
    },
    /// The keystore's `pubkey` is not the decrypted secret's.
    #[error("the keystore names public key {stored} but its secret's is {derived}")]
    PubkeyMismatch {
        /// The `pubkey` field.
        stored: BlsPublicKey,
        /// The secret's public key.
        derived: BlsPublicKey,
    },
    /// The keystore's `address` is not the decrypted secret's.
    #[error("the keystore names address {stored} but its secret's is {derived}")]
    AddressMismatch {
        /// The `address` field.
        stored: Address,
        /// The secret's address.
        derived: Address,
    },
}

/// Reads at most `limit` bytes of `path` into a buffer that is zeroized on drop (allocated
/// once, so no copy is left behind by growth).
/// Reads a keystore file (at most [`MAX_KEYSTORE_FILE`] bytes).
pub fn read_keystore_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    read_bounded(path, MAX_KEYSTORE_FILE)
}

fn read_bounded(path: &Path, limit: u64) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let io_err = |source| KeyError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    let capacity = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    let mut buf = Zeroizing::new(Vec::with_capacity(capacity));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(io_err)?;
    if buf.len() as u64 > limit {
        return Err(KeyError::TooLarge {
            path: path.to_owned(),
            limit,
        });
    }
    Ok(buf)
}

/// Reads a password file: UTF-8 text, at most [`MAX_PASSWORD_FILE`] bytes, with its
/// trailing line ending (`\n` or `\r\n`, however many) removed. Everything else is kept,
/// including leading and trailing spaces.
pub fn read_password_file(path: &Path) -> Result<Zeroizing<String>, KeyError> {
    let bytes = read_bounded(path, MAX_PASSWORD_FILE)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| KeyError::PasswordNotUtf8 {
        path: path.to_owned(),
    })?;
    Ok(Zeroizing::new(
        text.trim_end_matches(['\r', '\n']).to_owned(),
    ))
}

/// Loads the committer key from `path`: a web3 secret-storage (v3) keystore, decrypted
/// with the password in `password_file`, or a file holding the 32-byte key in hex (with
/// or without `0x`), which takes no password file.
pub fn load_committer(
    path: &Path,
    password_file: Option<&Path>,
) -> Result<PrivateKeySigner, KeyError> {
    let bytes = read_bounded(path, MAX_KEYSTORE_FILE)?;
    let not_a_key = || KeyError::NotAKey {
        path: path.to_owned(),
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| not_a_key())?.trim();
    if text.starts_with('{') {
        let password_file = password_file.ok_or_else(|| KeyError::PasswordFileRequired {
            path: path.to_owned(),
        })?;
        let password = read_password_file(password_file)?;
        return decrypt_secret_storage(text, &password);
    }
    if password_file.is_some() {
        return Err(KeyError::UnexpectedPasswordFile {
            path: path.to_owned(),
        });
    }
    let mut raw = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(text, raw.as_mut_slice()).map_err(|_| not_a_key())?;
    PrivateKeySigner::from_slice(raw.as_slice())
        .map_err(|_| KeyError::InvalidSecret { kind: "secp256k1" })
}

/// Loads a BLS secret key from an EIP-2335 keystore at `path`, decrypted with the password
/// in `password_file`.
pub fn load_bls_keystore(path: &Path, password_file: &Path) -> Result<BlsSecretKey, KeyError> {
    let bytes = read_bounded(path, MAX_KEYSTORE_FILE)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| KeyError::Malformed {
        reason: "not UTF-8 text".to_owned(),
    })?;
    let password = read_password_file(password_file)?;
    decrypt_bls_keystore(text, &password)
}

/// The delegate's BLS key, which signs constraints. Cheap to clone; `Debug` and `Display`
/// print its public key only.
#[derive(Clone)]
pub struct DelegateKey {
    secret: Arc<BlsSecretKey>,
    public: BlsPublicKey,
}

impl DelegateKey {
    /// Wraps a secret key.
    pub fn new(secret: BlsSecretKey) -> Self {
        let public = secret.public_key();
        Self {
            secret: Arc::new(secret),
            public,
        }
    }

    /// The public key.
    pub const fn public_key(&self) -> BlsPublicKey {
        self.public
    }

    /// The secret key, to sign with.
    pub fn secret(&self) -> &BlsSecretKey {
        &self.secret
    }
}

impl fmt::Debug for DelegateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DelegateKey(<redacted>, public {})", self.public)
    }
}

impl fmt::Display for DelegateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (secret <redacted>)", self.public)
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    /// The EIP-2335 test vectors' secret.
    const EIP2335_SECRET: &str = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
    /// The web3 secret-storage test vectors' secret.
    const WEB3_SECRET: &str = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("baton-keys-{}-{name}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn committer_from_hex_file_or_keystore() {
        let dir = scratch("committer");
        let signer = PrivateKeySigner::from_slice(&hex::decode(WEB3_SECRET).unwrap()).unwrap();

        // The existing behaviour: a hex key, with or without 0x, with a trailing newline.
        let hex_file = dir.join("committer.key");
        fs::write(&hex_file, format!("0x{WEB3_SECRET}\n")).unwrap();
        assert_eq!(
            load_committer(&hex_file, None).unwrap().address(),
            signer.address()
        );
        fs::write(&hex_file, WEB3_SECRET).unwrap();
        assert_eq!(
            load_committer(&hex_file, None).unwrap().address(),
            signer.address()
        );
        let password_file = dir.join("password");
        fs::write(&password_file, "testpassword\n").unwrap();
        assert!(matches!(
            load_committer(&hex_file, Some(&password_file)),
            Err(KeyError::UnexpectedPasswordFile { .. })
        ));

        // A keystore, from a password file with a trailing newline.
        let keystore = dir.join("committer.json");
        fs::write(
            &keystore,
            encrypt_secret_storage(&signer, "testpassword", KdfChoice::SCRYPT_INSECURE_FAST)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            load_committer(&keystore, Some(&password_file))
                .unwrap()
                .address(),
            signer.address()
        );
        assert!(matches!(
            load_committer(&keystore, None),
            Err(KeyError::PasswordFileRequired { .. })
        ));
        fs::write(&password_file, "nottestpassword").unwrap();
        assert!(matches!(
            load_committer(&keystore, Some(&password_file)),
            Err(KeyError::WrongPassword { check: "MAC" })
        ));

        // Neither: the message names the file, never its contents.
        let secret_ish = "zz".repeat(32);
        fs::write(&hex_file, &secret_ish).unwrap();
        let err = load_committer(&hex_file, None).unwrap_err();
        assert!(matches!(err, KeyError::NotAKey { .. }));
        assert!(!err.to_string().contains(&secret_ish));
        fs::write(&hex_file, &WEB3_SECRET[2..]).unwrap();
        assert!(matches!(
            load_committer(&hex_file, None),
            Err(KeyError::NotAKey { .. })
        ));

        // Oversized and missing files.
        fs::write(&hex_file, vec![b'0'; MAX_KEYSTORE_FILE as usize + 1]).unwrap();
        assert!(matches!(
            load_committer(&hex_file, None),
            Err(KeyError::TooLarge { .. })
        ));
        assert!(matches!(
            load_committer(&dir.join("absent"), None),
            Err(KeyError::Io { .. })
        ));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bls_keystore_from_files() {
        let dir = scratch("bls");
        let keystore = dir.join("keystore.json");
        fs::write(
            &keystore,
            include_str!("../../tests/keystores/eip2335-pbkdf2.json"),
        )
        .unwrap();
        let password_file = dir.join("password");
        // The spec's password, as a file ending in a newline.
        fs::write(&password_file, "𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡🔑\n").unwrap();
        let key = load_bls_keystore(&keystore, &password_file).unwrap();
        assert_eq!(hex::encode(key.to_bytes()), EIP2335_SECRET);
        fs::write(&password_file, [0xff, 0xfe]).unwrap();
        assert!(matches!(
            load_bls_keystore(&keystore, &password_file),
            Err(KeyError::PasswordNotUtf8 { .. })
        ));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn password_files_keep_everything_but_the_line_ending() {
        let dir = scratch("password");
        let file = dir.join("p");
        for (contents, password) in [
            ("secret\n", "secret"),
            ("secret\r\n", "secret"),
            ("secret\n\n", "secret"),
            (" secret ", " secret "),
            ("", ""),
        ] {
            fs::write(&file, contents).unwrap();
            assert_eq!(read_password_file(&file).unwrap().as_str(), password);
        }
        fs::write(&file, vec![b'a'; MAX_PASSWORD_FILE as usize + 1]).unwrap();
        assert!(matches!(
            read_password_file(&file),
            Err(KeyError::TooLarge { .. })
        ));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn keys_never_print_their_secret() {
        let bls = BlsSecretKey::from_bytes(&hex::decode(EIP2335_SECRET).unwrap()).unwrap();
        let delegate = DelegateKey::new(bls);
        for text in [format!("{delegate:?}"), format!("{delegate}")] {
            assert!(text.contains("redacted"), "{text}");
            assert!(text.contains(&delegate.public_key().to_string()), "{text}");
            assert!(!text.contains(EIP2335_SECRET), "{text}");
        }
        let signer = PrivateKeySigner::from_slice(&hex::decode(WEB3_SECRET).unwrap()).unwrap();
        let text = format!("{:?}", crate::config::CommitterKey(signer.clone()));
        assert!(
            text.contains("redacted") && !text.contains(WEB3_SECRET),
            "{text}"
        );
        let text = format!("{signer:?}");
        assert!(!text.contains(WEB3_SECRET), "{text}");
    }
}
