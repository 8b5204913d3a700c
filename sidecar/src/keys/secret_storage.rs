//! Web3 secret-storage (version 3) keystores, as geth, web3.py and foundry write them:
//! scrypt or PBKDF2-HMAC-SHA256, a Keccak-256 MAC over `derived_key[16..32] ‖ ciphertext`,
//! AES-128-CTR. The password is used as its UTF-8 bytes, unnormalised, as geth does.

use alloy_primitives::{Address, hex, keccak256};
use alloy_signer_local::PrivateKeySigner;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

use super::{
    KeyError,
    kdf::{self, Kdf, KdfChoice},
};

const VERSION: u64 = 3;

#[derive(Deserialize, Serialize)]
struct Keystore {
    /// Early geth files spell it `Crypto`.
    #[serde(alias = "Crypto")]
    crypto: Crypto,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    id: String,
    version: u64,
}

#[derive(Deserialize, Serialize)]
struct Crypto {
    cipher: String,
    cipherparams: CipherParams,
    ciphertext: String,
    kdf: String,
    kdfparams: Value,
    mac: String,
}

#[derive(Deserialize, Serialize)]
struct CipherParams {
    iv: String,
}

fn mac(derived: &[u8], ciphertext: &[u8]) -> [u8; 32] {
    let mut body = Zeroizing::new(Vec::with_capacity(16 + ciphertext.len()));
    body.extend_from_slice(&derived[16..32]);
    body.extend_from_slice(ciphertext);
    keccak256(body.as_slice()).0
}

/// Decrypts a web3 secret-storage keystore (JSON text). Checks the version, cipher and
/// KDF bounds before deriving anything, then the MAC (a mismatch means a wrong password),
/// and, if the keystore names an `address`, that it is the decrypted key's.
pub fn decrypt_secret_storage(json: &str, password: &str) -> Result<PrivateKeySigner, KeyError> {
    let keystore: Keystore = kdf::parse_json(json)?;
    if keystore.version != VERSION {
        return Err(KeyError::UnsupportedVersion {
            found: keystore.version,
            expected: VERSION,
        });
    }
    let crypto = keystore.crypto;
    if crypto.cipher != "aes-128-ctr" {
        return Err(KeyError::Unsupported {
            what: "cipher",
            found: kdf::shorten(&crypto.cipher),
        });
    }
    let kdf = Kdf::from_json(&crypto.kdf, crypto.kdfparams)?;
    let iv: [u8; 16] = kdf::hex_array("cipherparams.iv", &crypto.cipherparams.iv)?;
    // A secp256k1 secret key is 32 bytes, so is its ciphertext.
    let ciphertext: [u8; 32] = kdf::hex_array("ciphertext", &crypto.ciphertext)?;
    let expected: [u8; 32] = kdf::hex_array("mac", &crypto.mac)?;
    let stored_address = match keystore.address.as_deref() {
        None | Some("") => None,
        Some(text) => Some(text.parse::<Address>().map_err(|_| KeyError::Malformed {
            reason: "address is not a 20-byte hex address".to_owned(),
        })?),
    };

    let derived = kdf.derive(password.as_bytes())?;
    if mac(&derived, &ciphertext) != expected {
        return Err(KeyError::WrongPassword { check: "MAC" });
    }
    let mut secret = Zeroizing::new(ciphertext);
    kdf::aes_128_ctr(&derived, &iv, secret.as_mut_slice());
    let signer = PrivateKeySigner::from_slice(secret.as_slice())
        .map_err(|_| KeyError::InvalidSecret { kind: "secp256k1" })?;
    if let Some(stored) = stored_address
        && stored != signer.address()
    {
        return Err(KeyError::AddressMismatch {
            stored,
            derived: signer.address(),
        });
    }
    Ok(signer)
}

/// Encrypts `signer`'s key into a web3 secret-storage keystore (pretty JSON text) with a
/// random salt, IV and id, naming its address as geth does.
pub fn encrypt_secret_storage(
    signer: &PrivateKeySigner,
    password: &str,
    kdf: KdfChoice,
) -> Result<String, KeyError> {
    let kdf = Kdf::fresh(kdf)?;
    let iv = kdf::fresh_iv();
    let derived = kdf.derive(password.as_bytes())?;
    let mut ciphertext = Zeroizing::new(signer.to_bytes().0);
    kdf::aes_128_ctr(&derived, &iv, ciphertext.as_mut_slice());
    let (function, params) = kdf.to_json();
    let keystore = Keystore {
        crypto: Crypto {
            cipher: "aes-128-ctr".to_owned(),
            cipherparams: CipherParams {
                iv: hex::encode(iv),
            },
            ciphertext: hex::encode(ciphertext.as_slice()),
            kdf: function.to_owned(),
            kdfparams: params,
            mac: hex::encode(mac(&derived, ciphertext.as_slice())),
        },
        address: Some(hex::encode(signer.address())),
        id: kdf::fresh_uuid(),
        version: VERSION,
    };
    serde_json::to_string_pretty(&keystore).map_err(|_| KeyError::Malformed {
        reason: "could not serialise the keystore".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &str = "testpassword";
    const SECRET: &str = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
    /// The definition's address for its secret.
    const ADDRESS: &str = "008aeeda4d805471df9b2a5b0f38a0c3bcba786b";
    const PBKDF2: &str = include_str!("../../tests/keystores/web3-pbkdf2.json");
    const SCRYPT_R1_P8: &str = include_str!("../../tests/keystores/web3-scrypt-r1-p8.json");

    fn check(json: &str) {
        let signer = decrypt_secret_storage(json, PASSWORD).unwrap();
        assert_eq!(hex::encode(signer.to_bytes()), SECRET);
        assert_eq!(signer.address(), ADDRESS.parse::<Address>().unwrap());
    }

    #[test]
    fn decrypts_the_definition_pbkdf2_vector() {
        check(PBKDF2);
    }

    /// The definition's scrypt vector as geth keeps it (`r = 1, p = 8`, also web3.py's
    /// default): RFC 7914's `n < 2^(16·r)` rule, an erratum, would refuse it.
    #[test]
    fn decrypts_the_definition_scrypt_vector() {
        check(SCRYPT_R1_P8);
    }

    #[test]
    fn wrong_password_and_tampering_fail_the_mac() {
        let err = decrypt_secret_storage(PBKDF2, "testpassworD").unwrap_err();
        assert_eq!(err.to_string(), "MAC mismatch: wrong password?");
        let mut value: Value = serde_json::from_str(PBKDF2).unwrap();
        let ciphertext = value["crypto"]["ciphertext"].as_str().unwrap().to_owned();
        value["crypto"]["ciphertext"] = Value::from(format!("6{}", &ciphertext[1..]));
        assert!(matches!(
            decrypt_secret_storage(&value.to_string(), PASSWORD),
            Err(KeyError::WrongPassword { check: "MAC" })
        ));
    }

    #[test]
    fn round_trip_and_address_check() {
        let signer = PrivateKeySigner::from_slice(&hex::decode(SECRET).unwrap()).unwrap();
        for choice in [
            KdfChoice::SCRYPT_INSECURE_FAST,
            KdfChoice::Pbkdf2 { rounds: 1_000 },
        ] {
            let json = encrypt_secret_storage(&signer, "pässword with spaces", choice).unwrap();
            assert!(!json.contains(SECRET));
            let back = decrypt_secret_storage(&json, "pässword with spaces").unwrap();
            assert_eq!(back.to_bytes(), signer.to_bytes());
            // No normalisation in this format: a decomposed ä is another password.
            assert!(decrypt_secret_storage(&json, "pa\u{308}ssword with spaces").is_err());

            let mut value: Value = serde_json::from_str(&json).unwrap();
            assert_eq!(value["version"], 3);
            assert_eq!(value["address"], ADDRESS);
            value["address"] = Value::from("11".repeat(20));
            assert!(matches!(
                decrypt_secret_storage(&value.to_string(), "pässword with spaces"),
                Err(KeyError::AddressMismatch { .. })
            ));
        }
    }

    #[test]
    fn unsupported_and_malformed_keystores_are_refused() {
        let mut value: Value = serde_json::from_str(PBKDF2).unwrap();
        value["version"] = Value::from(1);
        assert!(matches!(
            decrypt_secret_storage(&value.to_string(), PASSWORD),
            Err(KeyError::UnsupportedVersion { found: 1, .. })
        ));
        let mut value: Value = serde_json::from_str(PBKDF2).unwrap();
        value["crypto"]["cipher"] = Value::from("aes-128-cbc");
        assert!(matches!(
            decrypt_secret_storage(&value.to_string(), PASSWORD),
            Err(KeyError::Unsupported { what: "cipher", .. })
        ));
        let mut value: Value = serde_json::from_str(SCRYPT_R1_P8).unwrap();
        value["crypto"]["kdfparams"]["n"] = Value::from(1u64 << 40);
        assert!(matches!(
            decrypt_secret_storage(&value.to_string(), PASSWORD),
            Err(KeyError::KdfBounds { .. })
        ));
        let mut value: Value = serde_json::from_str(PBKDF2).unwrap();
        value["crypto"]["ciphertext"] = Value::from("00".repeat(31));
        assert!(matches!(
            decrypt_secret_storage(&value.to_string(), PASSWORD),
            Err(KeyError::Malformed { .. })
        ));
    }
}
