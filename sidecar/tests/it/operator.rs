//! The operator commands, as the real `baton-sidecar` binary against contracts deployed on
//! a real anvil: register 100 validators from keystores, see them in `status`, refuse a
//! wrong password and a key of another operator without sending anything, opt out, and
//! withdraw only once the exit delay has passed.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use alloy::{
    network::EthereumWallet,
    primitives::Address,
    providers::{Provider, ProviderBuilder, ext::AnvilApi},
    signers::local::PrivateKeySigner,
};
use baton_contracts::{DeployParams, deploy_all};
use baton_preconf::BlsSecretKey;
use baton_sidecar::keys::{KdfChoice, encrypt_bls_keystore};
use baton_toolchain::{Anvil, AnvilOptions};

struct World {
    anvil: Anvil,
    registry: Address,
    dir: PathBuf,
    params: DeployParams,
}

async fn world(name: &str) -> World {
    let anvil = Anvil::spawn(&AnvilOptions::default()).unwrap();
    let deployer: PrivateKeySigner = Anvil::DEV_KEYS[0].parse().unwrap();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(deployer.clone()))
        .connect_http(anvil.endpoint().parse().unwrap());
    let params = DeployParams::devnet(1_700_000_000, 2);
    let deployed = deploy_all(&provider, deployer.address(), &params)
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!(
        "baton-sidecar-it-operator-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    World {
        anvil,
        registry: deployed.registry,
        dir,
        params,
    }
}

impl World {
    /// Writes `count` validator keystores under `folder` with `password`.
    fn keystores(&self, folder: &str, seed: u8, count: usize, password: &str) -> PathBuf {
        let path = self.dir.join(folder);
        std::fs::create_dir_all(&path).unwrap();
        for i in 0..count {
            let mut ikm = [seed; 32];
            ikm[..8].copy_from_slice(&(i as u64).to_be_bytes());
            let key = BlsSecretKey::from_ikm(&ikm).unwrap();
            let json =
                encrypt_bls_keystore(&key, password, KdfChoice::SCRYPT_INSECURE_FAST, "").unwrap();
            std::fs::write(path.join(format!("keystore-{i:03}.json")), json).unwrap();
        }
        path
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Runs `baton-sidecar <command>` as the operator whose key is anvil dev key `who`.
    fn sidecar(&self, who: usize, command: &str, extra: &[&str]) -> Output {
        let key = self.file(&format!("key-{who}"), Anvil::DEV_KEYS[who]);
        Command::new(env!("CARGO_BIN_EXE_baton-sidecar"))
            .arg(command)
            .args(["--l1.rpc", &self.anvil.endpoint()])
            .args(["--registry", &self.registry.to_string()])
            .arg("--committer.key-file")
            .arg(&key)
            .args(["--rpc.addr", "127.0.0.1:9"])
            .args(extra)
            .env("RUST_BACKTRACE", "0")
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    }

    async fn nonce(&self, who: usize) -> u64 {
        let signer: PrivateKeySigner = Anvil::DEV_KEYS[who].parse().unwrap();
        ProviderBuilder::new()
            .connect_http(self.anvil.endpoint().parse().unwrap())
            .get_transaction_count(signer.address())
            .await
            .unwrap()
    }

    async fn advance(&self, seconds: u64) {
        let provider = ProviderBuilder::new().connect_http(self.anvil.endpoint().parse().unwrap());
        provider.anvil_increase_time(seconds).await.unwrap();
        provider.anvil_mine(Some(1), None).await.unwrap();
    }
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn keystore_args<'a>(folder: &'a Path, password: &'a Path) -> Vec<&'a str> {
    vec![
        "--validator.keystores",
        folder.to_str().unwrap(),
        "--validator.password-file",
        password.to_str().unwrap(),
    ]
}

#[tokio::test]
async fn register_a_hundred_validators_then_exit() {
    let w = world("lifecycle").await;
    let keys = w.keystores("validators", 0x11, 100, "correct horse");
    let password = w.file("password", "correct horse\n");

    let registered = w.sidecar(
        1,
        "register",
        &[&["--yes"], &keystore_args(&keys, &password)[..]].concat(),
    );
    assert!(registered.status.success(), "{}", text(&registered));
    let stdout = String::from_utf8_lossy(&registered.stdout);
    assert!(
        stdout.contains("registerOperator with 10.000000000000000000 ETH collateral"),
        "{stdout}"
    );
    assert!(stdout.contains("100 keys in 1 transaction(s)"), "{stdout}");
    assert!(
        stdout.contains("[2/2] 0x"),
        "progress with the transaction hashes: {stdout}"
    );
    assert!(
        stdout.contains("registered 100 validator key(s) in 2 transaction(s)"),
        "{stdout}"
    );

    let status = w.sidecar(1, "status", &keystore_args(&keys, &password));
    let shown = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success(), "{}", text(&status));
    assert!(
        shown.contains("validators   100 given, 0 active"),
        "{shown}"
    );
    assert!(
        shown.contains("registered, active in"),
        "inside the fraud window: {shown}"
    );
    assert!(
        shown.contains("next slots   unknown: sidecar not reachable"),
        "{shown}"
    );
    w.advance(w.params.fraud_window + 1).await;
    let status = w.sidecar(1, "status", &keystore_args(&keys, &password));
    assert!(
        String::from_utf8_lossy(&status.stdout).contains("validators   100 given, 100 active"),
        "{}",
        text(&status)
    );

    // Registering again skips what is already ours and sends nothing.
    let nonce = w.nonce(1).await;
    let again = w.sidecar(
        1,
        "register",
        &[&["--yes"], &keystore_args(&keys, &password)[..]].concat(),
    );
    assert!(again.status.success(), "{}", text(&again));
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to do"));
    assert_eq!(w.nonce(1).await, nonce);

    // Leaving: withdraw is refused before the delay, with the date, then works.
    let out = w.sidecar(1, "opt-out", &["--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("collateral withdrawable from"));
    let early = w.sidecar(1, "withdraw", &[]);
    assert!(!early.status.success());
    let why = String::from_utf8_lossy(&early.stderr);
    assert!(
        why.contains("too early") && why.contains("UTC") && why.contains("nothing was sent"),
        "{why}"
    );
    w.advance(w.params.exit_delay + 1).await;
    let done = w.sidecar(1, "withdraw", &[]);
    assert!(done.status.success(), "{}", text(&done));
    assert!(String::from_utf8_lossy(&done.stdout).contains("withdrew 10.000000000000000000 ETH"));
    std::fs::remove_dir_all(&w.dir).unwrap();
}

#[tokio::test]
async fn bad_keystores_and_taken_keys_send_nothing() {
    let w = world("refusals").await;
    let keys = w.keystores("validators", 0x22, 3, "right");
    let right = w.file("right", "right");
    let wrong = w.file("wrong", "wrong");

    let refused = w.sidecar(
        1,
        "register",
        &[&["--yes"], &keystore_args(&keys, &wrong)[..]].concat(),
    );
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("decrypting") && why.contains("password"),
        "{why}"
    );
    assert!(!why.contains("right"), "no secret in the error: {why}");
    assert_eq!(w.nonce(1).await, 0, "nothing was sent");

    let ok = w.sidecar(
        1,
        "register",
        &[&["--yes"], &keystore_args(&keys, &right)[..]].concat(),
    );
    assert!(ok.status.success(), "{}", text(&ok));
    // Another operator cannot take these keys: refused before anything is sent.
    let taken = w.sidecar(
        2,
        "register",
        &[&["--yes"], &keystore_args(&keys, &right)[..]].concat(),
    );
    assert!(!taken.status.success());
    let why = String::from_utf8_lossy(&taken.stderr);
    assert!(why.contains("already registered to operator"), "{why}");
    assert_eq!(w.nonce(2).await, 0, "nothing was sent");

    // Without --yes, a "no" on stdin cancels.
    let more = w.keystores("more", 0x33, 1, "right");
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton-sidecar"))
        .arg("register")
        .args(["--l1.rpc", &w.anvil.endpoint()])
        .args(["--registry", &w.registry.to_string()])
        .arg("--committer.key-file")
        .arg(w.file("key-3", Anvil::DEV_KEYS[3]))
        .args(keystore_args(&more, &right))
        .env("RUST_BACKTRACE", "0")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"n\n").unwrap();
    let cancelled = child.wait_with_output().unwrap();
    assert!(!cancelled.status.success());
    assert!(String::from_utf8_lossy(&cancelled.stderr).contains("cancelled; nothing was sent"));
    assert_eq!(w.nonce(3).await, 0);

    // `keys` lists public keys only.
    let listed = w.sidecar(1, "keys", &keystore_args(&keys, &right));
    let shown = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.status.success(), "{}", text(&listed));
    assert!(shown.contains("validators 3"), "{shown}");
    assert!(
        !shown.contains(&Anvil::DEV_KEYS[1][..16]),
        "no secret: {shown}"
    );
    std::fs::remove_dir_all(&w.dir).unwrap();
}
