//! `RunArgs` → `Config`: defaults, checks and the block-production flags.
use clap::Parser;

use super::*;

#[derive(Debug, Parser)]
struct Flags {
    #[command(flatten)]
    run: RunArgs,
}

/// A committer hex key file, the EIP-2335 test keystore as delegate, and `extra`.
fn config(extra: &[&str]) -> eyre::Result<Config> {
    let dir = std::env::temp_dir().join(format!("baton-cli-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let key = dir.join("committer.key");
    fs::write(&key, "44".repeat(32)).unwrap();
    let password = dir.join("delegate.pass");
    fs::write(&password, "𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡🔑").unwrap();
    let keystore = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/keystores/eip2335-pbkdf2.json"
    );
    let validator = format!(
        "{}",
        baton_preconf::BlsSecretKey::from_ikm(&[1; 32])
            .unwrap()
            .public_key()
    );
    let mut args = vec![
        "run".to_owned(),
        "--slasher".to_owned(),
        format!("{}", Address::repeat_byte(0x5a)),
        "--committer.key-file".to_owned(),
        key.display().to_string(),
        "--validator.pubkeys".to_owned(),
        validator,
    ];
    if !extra.contains(&"--no-delegate") {
        args.extend([
            "--delegate.keystore".to_owned(),
            keystore.to_owned(),
            "--delegate.password-file".to_owned(),
            password.display().to_string(),
        ]);
    }
    args.extend(
        extra
            .iter()
            .filter(|a| **a != "--no-delegate")
            .map(|a| (*a).to_owned()),
    );
    Config::try_from(Flags::try_parse_from(args)?.run)
}

#[test]
fn block_production_is_off_unless_its_address_is_given() {
    assert!(config(&[]).unwrap().builder.is_none());
}

#[test]
fn block_production_flags_are_checked() {
    let err = |extra: &[&str]| config(extra).unwrap_err().to_string();
    assert!(err(&["--builder.addr", "127.0.0.1:0", "--no-delegate"]).contains("delegate key"));
    assert!(
        err(&[
            "--builder.addr",
            "127.0.0.1:0",
            "--relays",
            "http://127.0.0.1:1"
        ])
        .contains("needs its BLS key")
    );
    assert!(
        err(&[
            "--builder.addr",
            "127.0.0.1:0",
            "--l1.engine-url",
            "http://127.0.0.1:8551"
        ])
        .contains("go together")
    );
    assert!(
        err(&[
            "--builder.addr",
            "127.0.0.1:0",
            "--builder.relay-timeout-ms",
            "950"
        ])
        .contains("below")
    );
    assert!(
        err(&[
            "--builder.addr",
            "127.0.0.1:0",
            "--validator.keystores",
            "/nonexistent"
        ])
        .contains("password-file")
    );
}

#[test]
fn block_production_takes_relays_with_keys_and_the_engine_api() {
    let key = baton_preconf::BlsSecretKey::from_ikm(&[3; 32])
        .unwrap()
        .public_key();
    let relay = format!("{key}@http://127.0.0.1:18650");
    let config = config(&[
        "--builder.addr",
        "127.0.0.1:18551",
        "--relays",
        &relay,
        "--l1.engine-url",
        "http://127.0.0.1:8551",
        "--l1.jwt-secret",
        "jwt.hex",
    ])
    .unwrap();
    let builder = config.builder.unwrap();
    assert_eq!(builder.relays[0].pubkey, Some(key));
    assert_eq!(builder.timing.relay_timeout, Duration::from_millis(600));
    assert_eq!(builder.timing.budget, Duration::from_millis(900));
    assert_eq!(builder.engine_url.as_deref(), Some("http://127.0.0.1:8551"));
    assert!(builder.validator_keys.0.is_empty());
}

#[test]
fn market_flags_become_the_offer_and_bad_products_are_refused_at_startup() {
    assert!(
        config(&[]).unwrap().market.is_none(),
        "no products: no auction"
    );
    let market = config(&[
        "--market.products",
        "top:1:2@1000",
        "--market.products",
        "bundle:1+2:1,whole:2@5",
        "--market.fee-recipient",
        "0x00000000000000000000000000000000000000fe",
        "--market.close-ms",
        "1500",
    ])
    .unwrap()
    .market
    .unwrap();
    assert_eq!(market.products.len(), 3);
    assert_eq!(market.close_ms, 1_500);
    assert_eq!(market.fee_recipient, Address::with_last_byte(0xfe));
    assert_eq!(market.products[2].reserve, U256::from(5u64));
    for (flags, why) in [
        (
            &[
                "--market.products",
                "top:9:1",
                "--market.fee-recipient",
                "0x00000000000000000000000000000000000000fe",
            ][..],
            "does not sequence",
        ),
        (
            &["--market.products", "top:1:0"][..],
            "at least one position",
        ),
        (&["--market.products", "side:1"][..], "unknown form"),
    ] {
        let err = format!("{:#}", config(flags).unwrap_err());
        assert!(err.contains(why), "{flags:?}: {err}");
    }
    // Without --market.fee-recipient, payments go to the committer.
    let default = config(&["--market.products", "top:1:1"])
        .unwrap()
        .market
        .unwrap();
    let committer = alloy_signer_local::PrivateKeySigner::from_bytes(
        &alloy_primitives::B256::repeat_byte(0x44),
    )
    .unwrap();
    assert_eq!(default.fee_recipient, committer.address());
    assert_eq!(default.close_ms, crate::market::DEFAULT_CLOSE_MS);
}
