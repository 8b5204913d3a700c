//! EIP-2335 (version 4) BLS12-381 keystores: scrypt or PBKDF2-SHA256, a SHA-256 checksum
//! over `decryption_key[16..32] ‖ cipher_message`, AES-128-CTR.

use alloy_primitives::hex;
use baton_preconf::{BlsPublicKey, BlsSecretKey};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use super::{
    KeyError,
    kdf::{self, Kdf, KdfChoice},
};

const VERSION: u64 = 4;

#[derive(Deserialize, Serialize)]
struct Keystore {
    crypto: Crypto,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default)]
    pubkey: Option<String>,
    path: String,
    uuid: String,
    version: u64,
}

#[derive(Deserialize, Serialize)]
struct Crypto {
    kdf: Module,
    checksum: Module,
    cipher: Module,
}

#[derive(Deserialize, Serialize)]
struct Module {
    function: String,
    params: Value,
    message: String,
}

#[derive(Deserialize)]
struct CipherParams {
    iv: String,
}

/// The password as EIP-2335 feeds it to the KDF: NFKD-normalised, with the C0
/// (`U+0000..=U+001F`), Delete (`U+007F`) and C1 (`U+0080..=U+009F`) control codes
/// removed, UTF-8 encoded.
pub fn normalize_password(password: &str) -> Zeroizing<String> {
    Zeroizing::new(
        password
            .nfkd()
            .filter(|c| !matches!(*c as u32, 0x00..=0x1f | 0x7f..=0x9f))
            .collect(),
    )
}

/// Decrypts an EIP-2335 keystore (JSON text). Checks the version, the modules and the KDF
/// bounds before deriving anything, then the checksum (a mismatch means a wrong password),
/// and, if the keystore names a `pubkey`, that it is the decrypted secret's.
pub fn decrypt_bls_keystore(json: &str, password: &str) -> Result<BlsSecretKey, KeyError> {
    let keystore: Keystore = kdf::parse_json(json)?;
    if keystore.version != VERSION {
        return Err(KeyError::UnsupportedVersion {
            found: keystore.version,
            expected: VERSION,
        });
    }
    let Crypto {
        kdf: kdf_module,
        checksum,
        cipher,
    } = keystore.crypto;
    let kdf = Kdf::from_json(&kdf_module.function, kdf_module.params)?;
    if checksum.function != "sha256" {
        return Err(KeyError::Unsupported {
            what: "checksum",
            found: kdf::shorten(&checksum.function),
        });
    }
    let expected: [u8; 32] = kdf::hex_array("checksum message", &checksum.message)?;
    if cipher.function != "aes-128-ctr" {
        return Err(KeyError::Unsupported {
            what: "cipher",
            found: kdf::shorten(&cipher.function),
        });
    }
    let params: CipherParams =
        serde_json::from_value(cipher.params).map_err(|_| KeyError::Malformed {
            reason: "cipher params must hold an `iv` string".to_owned(),
        })?;
    let iv: [u8; 16] = kdf::hex_array("cipher iv", &params.iv)?;
    // A BLS secret key is 32 bytes, so is its ciphertext.
    let ciphertext: [u8; 32] = kdf::hex_array("cipher message", &cipher.message)?;
    let stored_pubkey = match keystore.pubkey.as_deref() {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<BlsPublicKey>()
                .map_err(|_| KeyError::Malformed {
                    reason: "pubkey is not a 48-byte hex public key".to_owned(),
                })?,
        ),
    };

    let password = normalize_password(password);
    let derived = kdf.derive(password.as_bytes())?;
    let checksum = Sha256::new()
        .chain_update(&derived[16..32])
        .chain_update(ciphertext)
        .finalize();
    if checksum[..] != expected[..] {
        return Err(KeyError::WrongPassword { check: "checksum" });
    }
    let mut secret = Zeroizing::new(ciphertext);
    kdf::aes_128_ctr(&derived, &iv, secret.as_mut_slice());
    let key = BlsSecretKey::from_bytes(secret.as_slice())
        .map_err(|_| KeyError::InvalidSecret { kind: "BLS" })?;
    if let Some(stored) = stored_pubkey {
        let derived = key.public_key();
        if stored != derived {
            return Err(KeyError::PubkeyMismatch { stored, derived });
        }
    }
    Ok(key)
}

/// Encrypts `secret` into an EIP-2335 keystore (pretty JSON text) with a random salt, IV
/// and UUID. `path` is the EIP-2334 derivation path, or `""` if none.
pub fn encrypt_bls_keystore(
    secret: &BlsSecretKey,
    password: &str,
    kdf: KdfChoice,
    path: &str,
) -> Result<String, KeyError> {
    let kdf = Kdf::fresh(kdf)?;
    let iv = kdf::fresh_iv();
    let password = normalize_password(password);
    let derived = kdf.derive(password.as_bytes())?;
    let mut ciphertext = Zeroizing::new(secret.to_bytes());
    kdf::aes_128_ctr(&derived, &iv, ciphertext.as_mut_slice());
    let checksum = Sha256::new()
        .chain_update(&derived[16..32])
        .chain_update(ciphertext.as_slice())
        .finalize();
    let (function, params) = kdf.to_json();
    let keystore = Keystore {
        crypto: Crypto {
            kdf: Module {
                function: function.to_owned(),
                params,
                message: String::new(),
            },
            checksum: Module {
                function: "sha256".to_owned(),
                params: json!({}),
                message: hex::encode(checksum),
            },
            cipher: Module {
                function: "aes-128-ctr".to_owned(),
                params: json!({ "iv": hex::encode(iv) }),
                message: hex::encode(ciphertext.as_slice()),
            },
        },
        description: None,
        pubkey: Some(hex::encode(secret.public_key().as_bytes())),
        path: path.to_owned(),
        uuid: kdf::fresh_uuid(),
        version: VERSION,
    };
    serde_json::to_string_pretty(&keystore).map_err(|_| KeyError::Malformed {
        reason: "could not serialise the keystore".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &str = "𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡🔑";
    const SECRET: &str = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
    const SCRYPT: &str = include_str!("../../tests/keystores/eip2335-scrypt.json");
    const PBKDF2: &str = include_str!("../../tests/keystores/eip2335-pbkdf2.json");

    fn with_field(json: &str, edit: impl FnOnce(&mut Value)) -> String {
        let mut value: Value = serde_json::from_str(json).unwrap();
        edit(&mut value);
        value.to_string()
    }

    /// The spec's "Encoded Password" for its test password.
    #[test]
    fn password_is_normalised_as_the_spec_encodes_it() {
        assert_eq!(
            hex::encode(normalize_password(PASSWORD).as_bytes()),
            "7465737470617373776f7264f09f9491"
        );
        // C0, Delete and C1 go; space stays.
        assert_eq!(
            normalize_password("a\u{0}b\u{1f}c\u{7f}d\u{80}e\u{9f}f g\n").as_str(),
            "abcdef g"
        );
    }

    #[test]
    fn decrypts_the_spec_scrypt_vector() {
        let key = decrypt_bls_keystore(SCRYPT, PASSWORD).unwrap();
        assert_eq!(hex::encode(key.to_bytes()), SECRET);
    }

    #[test]
    fn decrypts_the_spec_pbkdf2_vector() {
        let key = decrypt_bls_keystore(PBKDF2, PASSWORD).unwrap();
        assert_eq!(hex::encode(key.to_bytes()), SECRET);
        assert_eq!(
            key.public_key().to_string(),
            "0x9612d7a727c9d0a22e185a1c768478dfe919cada9266988cb32359c11f2b7b27f4ae4040902382ae2910c15e2b420d07"
        );
    }

    #[test]
    fn wrong_password_and_tampering_fail_the_checksum() {
        let err = decrypt_bls_keystore(PBKDF2, "testpassword").unwrap_err();
        assert!(matches!(err, KeyError::WrongPassword { check: "checksum" }));
        assert_eq!(err.to_string(), "checksum mismatch: wrong password?");

        let tampered = with_field(PBKDF2, |v| {
            let msg = v["crypto"]["cipher"]["message"]
                .as_str()
                .unwrap()
                .to_owned();
            let flipped = if msg.starts_with('c') { "d" } else { "c" };
            v["crypto"]["cipher"]["message"] = Value::from(format!("{flipped}{}", &msg[1..]));
        });
        assert!(matches!(
            decrypt_bls_keystore(&tampered, PASSWORD),
            Err(KeyError::WrongPassword { .. })
        ));
    }

    #[test]
    fn a_pubkey_that_is_not_the_secrets_is_refused() {
        let other = BlsSecretKey::from_ikm(&[7; 32]).unwrap().public_key();
        let lying = with_field(PBKDF2, |v| {
            v["pubkey"] = Value::from(hex::encode(other.as_bytes()));
        });
        assert!(matches!(
            decrypt_bls_keystore(&lying, PASSWORD),
            Err(KeyError::PubkeyMismatch { stored, .. }) if stored == other
        ));
        // No pubkey at all is accepted.
        let silent = with_field(PBKDF2, |v| {
            v.as_object_mut().unwrap().remove("pubkey");
        });
        decrypt_bls_keystore(&silent, PASSWORD).unwrap();
    }

    #[test]
    fn unsupported_and_malformed_keystores_are_refused_before_the_kdf() {
        let cases = [
            ("/version", Value::from(3)),
            ("/crypto/kdf/function", Value::from("argon2id")),
            ("/crypto/cipher/function", Value::from("aes-256-gcm")),
            ("/crypto/checksum/function", Value::from("keccak256")),
            ("/crypto/cipher/params/iv", Value::from("00")),
            ("/crypto/kdf/params/c", Value::from(u64::MAX)),
        ];
        for (pointer, replacement) in cases {
            let json = with_field(PBKDF2, |v| *v.pointer_mut(pointer).unwrap() = replacement);
            let err = decrypt_bls_keystore(&json, PASSWORD).unwrap_err();
            let expected = match pointer {
                "/version" => matches!(err, KeyError::UnsupportedVersion { found: 3, .. }),
                "/crypto/cipher/params/iv" => matches!(err, KeyError::Malformed { .. }),
                "/crypto/kdf/params/c" => matches!(err, KeyError::KdfBounds { param: "c", .. }),
                _ => matches!(err, KeyError::Unsupported { .. }),
            };
            assert!(expected, "{pointer}: {err:?}");
        }
        assert!(matches!(
            decrypt_bls_keystore("not json", PASSWORD),
            Err(KeyError::Malformed { .. })
        ));
    }

    #[test]
    fn round_trip_with_both_kdfs() {
        let key = BlsSecretKey::from_ikm(&[42; 32]).unwrap();
        for choice in [
            KdfChoice::SCRYPT_INSECURE_FAST,
            KdfChoice::Pbkdf2 { rounds: 1_000 },
        ] {
            let json = encrypt_bls_keystore(&key, PASSWORD, choice, "m/12381/3600/0/0/0").unwrap();
            assert!(!json.contains(&hex::encode(key.to_bytes())));
            let back = decrypt_bls_keystore(&json, PASSWORD).unwrap();
            assert_eq!(back.to_bytes(), key.to_bytes());
            // The normalised form of the password is the same password.
            decrypt_bls_keystore(&json, "testpassword🔑").unwrap();
            assert!(decrypt_bls_keystore(&json, "testpassword").is_err());
            let value: Value = serde_json::from_str(&json).unwrap();
            assert_eq!(value["version"], 4);
            assert_eq!(value["path"], "m/12381/3600/0/0/0");
            assert_eq!(
                value["pubkey"].as_str().unwrap(),
                hex::encode(key.public_key().as_bytes())
            );
        }
    }
}
