//! The wallet client (`baton-preconf`, feature `client`) against a running sidecar and real
//! contracts on anvil: a promise requested, verified against the Registry and tracked to
//! inclusion; a promise whose slot passes empty is reported broken; tampered or
//! unregistered commitments are refused.

use std::time::Duration;

use alloy::{
    network::EthereumWallet,
    primitives::{B256, U256},
    providers::{Provider, ProviderBuilder, ext::AnvilApi},
    signers::local::PrivateKeySigner,
};
use baton_contracts::{DeployParams, Registry, deploy_all};
use baton_preconf::{
    BatonDomain, BlsSecretKey, ChainSpec, InclusionRequest, Request, Slot,
    client::{ClientError, L1View, Outcome, SidecarClient, Wallet},
};
use baton_sidecar::sample::{self, Fees};
use baton_toolchain::{Anvil, AnvilOptions};

use crate::l1_fixture::{Setup, serve_with};

#[tokio::test]
async fn a_promise_is_verified_and_tracked_until_kept_or_broken() {
    let anvil = Anvil::spawn(&AnvilOptions::default()).unwrap();
    let url = anvil.endpoint();
    let operator: PrivateKeySigner = Anvil::DEV_KEYS[1].parse().unwrap();
    let deployer: PrivateKeySigner = Anvil::DEV_KEYS[0].parse().unwrap();
    let read = ProviderBuilder::new().connect_http(url.parse().unwrap());
    let started = read
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp;
    let genesis = started - 200;
    let params = DeployParams::devnet(genesis, 2);
    let as_deployer = ProviderBuilder::new()
        .wallet(EthereumWallet::from(deployer.clone()))
        .connect_http(url.parse().unwrap());
    let deployed = deploy_all(&as_deployer, deployer.address(), &params)
        .await
        .unwrap();

    // The operator registers with one validator key, which counts after the fraud window.
    let as_operator = ProviderBuilder::new()
        .wallet(EthereumWallet::from(operator.clone()))
        .connect_http(url.parse().unwrap());
    let registry = Registry::new(deployed.registry, &as_operator);
    let validator = BlsSecretKey::from_ikm(&[0x51; 32]).unwrap();
    registry
        .registerOperator(operator.address())
        .value(params.min_collateral)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let pop = validator.sign_message(
        &registry
            .popMessage(operator.address())
            .call()
            .await
            .unwrap(),
    );
    let record = [validator.public_key().0.as_slice(), pop.0.as_slice()].concat();
    registry
        .registerValidators(record.into())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    read.anvil_increase_time(params.fraud_window + 1)
        .await
        .unwrap();
    read.anvil_mine(Some(1), None).await.unwrap();
    read.anvil_set_auto_mine(false).await.unwrap();
    let head = read
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp;
    let head_slot = (head - genesis) / 2;

    let dir = std::env::temp_dir().join(format!("baton-sidecar-it-client-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let setup = Setup {
        genesis,
        now_ms: head * 1000 + 100,
        ours: vec![head_slot + 3, head_slot + 4],
        validator: validator.public_key(),
        committer: operator.clone(),
        slasher: deployed.slasher,
    };
    let sidecar = serve_with(&dir, anvil, setup).await;
    let chain_id = sidecar.anvil().chain_id();
    let domain = BatonDomain {
        chain_id,
        verifying_contract: deployed.slasher,
    };
    let alice = PrivateKeySigner::random();
    sidecar
        .provider()
        .anvil_set_balance(alice.address(), U256::from(10u128.pow(18)))
        .await
        .unwrap();
    sidecar.mine_in(head_slot + 1).await;

    let l1 = L1View::connect(
        &sidecar.anvil().endpoint(),
        deployed.registry,
        deployed.rollup_inbox,
        ChainSpec::devnet(chain_id, genesis),
    )
    .unwrap();
    let wallet = Wallet::new(
        alice.clone(),
        domain,
        SidecarClient::new(&sidecar.url).unwrap(),
        l1.clone(),
    );
    let slot = wallet.next_slot().await.unwrap().expect("a slot for sale");
    assert_eq!(slot, Slot(head_slot + 3));
    let fees = Fees {
        gas_limit: 21_000,
        ..Fees::default()
    };
    let tx = sample::call(&alice, chain_id, 0, &[], fees);
    let promise = wallet.include(slot, vec![tx.clone()]).await.unwrap();
    assert_eq!(promise.signed.commitment.committer, operator.address());

    // Tampering with any field, or a committer the Registry does not name, is caught.
    let request = Request::Inclusion(InclusionRequest {
        slot,
        txs: vec![tx.clone()],
    });
    let mut tampered = promise.signed.clone();
    tampered.commitment.tx_hashes[0] = B256::ZERO;
    assert!(matches!(
        wallet.verify(&request, tampered).await,
        Err(ClientError::Unverified(_))
    ));
    let stranger = PrivateKeySigner::random();
    let mut forged = promise.signed.commitment.clone();
    forged.committer = stranger.address();
    let forged = forged.sign(&stranger, &domain).unwrap();
    let refused = wallet.verify(&request, forged).await.unwrap_err();
    assert!(
        refused.to_string().contains("the Registry names committer"),
        "{refused}"
    );

    // The transaction lands in its slot: kept.
    let _pending = sidecar.provider().send_raw_transaction(&tx).await.unwrap();
    sidecar.mine_in(head_slot + 3).await;
    let outcome = wallet
        .track(&promise, Duration::from_millis(50))
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Kept { .. }), "{outcome:?}");

    // A promise whose slot passes without the transaction: broken.
    let next = sample::call(&alice, chain_id, 1, &[], fees);
    let second = wallet
        .include(Slot(head_slot + 4), vec![next])
        .await
        .unwrap();
    sidecar.mine_in(head_slot + 4).await;
    // Decided once a later slot's block is the head.
    sidecar.mine_in(head_slot + 5).await;
    let outcome = wallet
        .track(&second, Duration::from_millis(50))
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Broken { .. }), "{outcome:?}");

    // The bodies the wallet falls back on when a receipt is missing: each slot's own
    // block, none for a slot without one.
    let tx_hash = promise.signed.commitment.tx_hashes[0];
    let (number, txs) = l1
        .slot_block(slot)
        .await
        .unwrap()
        .expect("slot has a block");
    assert!(txs.contains(&tx_hash), "{txs:?}");
    let (later, txs) = l1
        .slot_block(Slot(head_slot + 4))
        .await
        .unwrap()
        .expect("slot has a block");
    assert_eq!(later, number + 1);
    assert!(!txs.contains(&second.signed.commitment.tx_hashes[0]));
    assert_eq!(
        l1.slot_block(Slot(head_slot + 2)).await.unwrap(),
        None,
        "no block"
    );
    assert_eq!(
        l1.slot_block(Slot(head_slot + 6)).await.unwrap(),
        None,
        "not yet"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
