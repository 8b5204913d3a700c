//! The builder API without sockets (`Router::oneshot`): a producer with no relays and a
//! payload builder that returns a fixed block.

use std::time::Duration;

use alloy_primitives::{Address, Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use axum::http::Request;
use baton_preconf::{
    BlsSecretKey, ChainSpec,
    ssz::{
        BlindedBeaconBlockElectra, BlobsBundle, ExecutionPayload, ExecutionPayloadAndBlobsBundle,
        ExecutionRequests, PayloadAttributes, SignedBuilderBidElectra, Transaction,
        ValidatorRegistrationV1,
    },
};
use futures_util::future::BoxFuture;
use tower::ServiceExt;

use super::*;
use crate::{
    journal::SealRecord,
    keys::DelegateKey,
    lookahead::{Duties, ManualClock},
    pbs::{
        BuildRequest, BuiltPayload, FallbackParts, PayloadBuilder, ProducerParts, SlotAttributes,
        Timing,
    },
    sample::{self, Fees},
};

const GENESIS: u64 = 1_700_000_000;
const SLOT: u64 = 30;

#[derive(Debug)]
struct FixedBuilder(Vec<Bytes>);

impl PayloadBuilder for FixedBuilder {
    fn build<'a>(
        &'a self,
        request: &'a BuildRequest,
    ) -> BoxFuture<'a, Result<BuiltPayload, String>> {
        Box::pin(async move {
            let txs: Vec<Transaction> = self
                .0
                .iter()
                .map(|t| Transaction::try_from(t.to_vec()).unwrap())
                .collect();
            let payload = ExecutionPayload {
                parent_hash: request.parent_hash.0,
                timestamp: request.timestamp,
                block_hash: [0x42; 32],
                transactions: txs.try_into().unwrap(),
                ..Default::default()
            };
            Ok(BuiltPayload {
                payload,
                blobs_bundle: BlobsBundle::default(),
                execution_requests: ExecutionRequests::default(),
                block_value: U256::from(5u64),
            })
        })
    }
}

struct World {
    app: Router,
    proposer: BlsSecretKey,
    chain: ChainSpec,
    attributes: PayloadAttributes,
}

fn chain() -> ChainSpec {
    let mut chain = ChainSpec::devnet(3_151_908, GENESIS);
    chain.genesis_validators_root = B256::repeat_byte(0x42);
    chain
}

/// A producer for our slot 30, sealed with one promise, its attributes announced.
async fn world() -> World {
    let proposer = BlsSecretKey::from_ikm(&[0x61; 32]).unwrap();
    let duties = Arc::new(Duties::default());
    duties.insert(Slot(SLOT), proposer.public_key());
    let chain = chain();
    let wallet = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x21)).unwrap();
    let promise = sample::call(&wallet, 3_151_908, 0, b"promised", Fees::default());
    let producer = Arc::new(Producer::new(ProducerParts {
        chain: chain.clone(),
        timing: Timing {
            relay_timeout: Duration::from_millis(100),
            budget: Duration::from_millis(900),
            payload_timeout: Duration::from_secs(1),
        },
        relays: Vec::new(),
        duties,
        clock: Arc::new(ManualClock::new((GENESIS + SLOT * 2) * 1000 - 300)),
        fallback: Some(FallbackParts {
            builder: Arc::new(FixedBuilder(vec![promise.clone()])),
            pool: None,
            execution: None,
            signer: DelegateKey::new(BlsSecretKey::from_ikm(&[0x62; 32]).unwrap()),
            genesis_fork_version: chain.genesis_fork_version,
            rebuild_until: None,
        }),
        pool: None,
        delegator: None,
    }));
    producer.install(&SealRecord {
        slot: Slot(SLOT),
        proposer: proposer.public_key(),
        inclusions: vec![promise],
        batches: Vec::new(),
        constraints: None,
    });
    let attributes = PayloadAttributes {
        proposal_slot: Slot(SLOT),
        proposer_index: 3,
        parent_block_hash: B256::repeat_byte(0x0a),
        parent_block_number: 29,
        parent_beacon_block_root: B256::repeat_byte(0x0b),
        timestamp: GENESIS + SLOT * 2,
        prev_randao: B256::repeat_byte(0x0c),
        withdrawals: Default::default(),
    };
    producer.on_attributes(SlotAttributes {
        attributes: attributes.clone(),
        fee_recipient: Address::repeat_byte(0xfe),
    });
    World {
        app: router(producer),
        proposer,
        chain,
        attributes,
    }
}

async fn call(app: &Router, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    (status, body)
}

fn code(body: &[u8]) -> i64 {
    serde_json::from_slice::<Value>(body).unwrap()["error_code"]
        .as_i64()
        .unwrap()
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn post(uri: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri)
        .header("content-type", content_type)
        .body(body.into())
        .unwrap()
}

impl World {
    fn header_uri(&self, pubkey: &BlsPublicKey) -> String {
        format!(
            "/eth/v1/builder/header/{SLOT}/{}/{pubkey}",
            self.attributes.parent_block_hash
        )
    }

    async fn header(&self) -> SignedBuilderBidElectra {
        let (status, body) = call(
            &self.app,
            get(&self.header_uri(&self.proposer.public_key())),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let json: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["version"], "electra");
        SignedBuilderBidElectra::from_json(&json["data"]).unwrap()
    }

    fn sign(&self, bid: &SignedBuilderBidElectra, key: &BlsSecretKey) -> Value {
        let mut block = BlindedBeaconBlockElectra {
            slot: SLOT,
            proposer_index: 3,
            ..Default::default()
        };
        block.body.execution_payload_header = bid.message.header.clone();
        block
            .sign(
                key,
                self.chain.current_fork_version,
                self.chain.genesis_validators_root,
            )
            .unwrap()
            .to_json()
    }

    async fn submit(&self, body: &Value) -> (StatusCode, Vec<u8>) {
        call(
            &self.app,
            post(
                "/eth/v1/builder/blinded_blocks",
                "application/json",
                body.to_string(),
            ),
        )
        .await
    }
}

#[tokio::test]
async fn the_fallback_is_served_and_revealed_for_the_proposers_signature_only() {
    let world = world().await;
    assert_eq!(
        call(&world.app, get("/eth/v1/builder/status")).await.0,
        StatusCode::OK
    );
    let bid = world.header().await;
    assert_eq!(bid.message.header.parent_hash, [0x0a; 32]);

    // A header we never served.
    let mut other = bid.clone();
    other.message.header.block_hash = [0x99; 32];
    let (status, body) = world.submit(&world.sign(&other, &world.proposer)).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, 1608));
    // The served block hash, but another header.
    let mut changed = bid.clone();
    changed.message.header.gas_used += 1;
    let (status, body) = world.submit(&world.sign(&changed, &world.proposer)).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, 1609));
    // Signed by someone else.
    let stranger = BlsSecretKey::from_ikm(&[0x63; 32]).unwrap();
    let (status, body) = world.submit(&world.sign(&bid, &stranger)).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, 1610));
    // Another fork.
    let request = Request::post("/eth/v1/builder/blinded_blocks")
        .header("Eth-Consensus-Version", "deneb")
        .body(Body::from(world.sign(&bid, &world.proposer).to_string()))
        .unwrap();
    let (status, body) = call(&world.app, request).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, 1606));

    let (status, body) = world.submit(&world.sign(&bid, &world.proposer)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let json: Value = serde_json::from_slice(&body).unwrap();
    let contents = ExecutionPayloadAndBlobsBundle::from_json(&json["data"]).unwrap();
    assert_eq!(
        contents.execution_payload.block_hash,
        bid.message.header.block_hash
    );
    assert_eq!(contents.execution_payload.transactions.len(), 1);

    // The same in SSZ both ways.
    let mut block = BlindedBeaconBlockElectra {
        slot: SLOT,
        proposer_index: 3,
        ..Default::default()
    };
    block.body.execution_payload_header = bid.message.header.clone();
    let signed = block
        .sign(
            &world.proposer,
            world.chain.current_fork_version,
            world.chain.genesis_validators_root,
        )
        .unwrap();
    let request = Request::post("/eth/v1/builder/blinded_blocks")
        .header("content-type", "application/octet-stream")
        .header("accept", "application/octet-stream")
        .body(Body::from(ssz_rs::serialize(&signed).unwrap()))
        .unwrap();
    let (status, body) = call(&world.app, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        decode::<ExecutionPayloadAndBlobsBundle>(&body).unwrap(),
        contents
    );
}

#[tokio::test]
async fn get_header_checks_its_parameters_and_the_proposer() {
    let world = world().await;
    let (status, body) = call(&world.app, get("/eth/v1/builder/header/x/0x00/0x00")).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, 1604));
    // Not the slot's proposer.
    let other = BlsSecretKey::from_ikm(&[0x64; 32]).unwrap().public_key();
    let (status, body) = call(&world.app, get(&world.header_uri(&other))).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, 1607));
    // Another parent: no fallback on it, no relay: nothing to offer.
    let uri = format!(
        "/eth/v1/builder/header/{SLOT}/{}/{}",
        B256::repeat_byte(0x0e),
        world.proposer.public_key()
    );
    assert_eq!(call(&world.app, get(&uri)).await.0, StatusCode::NO_CONTENT);
    // A slot that is not ours, no relay: nothing.
    let uri = format!("/eth/v1/builder/header/31/{}/{other}", B256::ZERO);
    assert_eq!(call(&world.app, get(&uri)).await.0, StatusCode::NO_CONTENT);
    // SSZ when asked for.
    let request = Request::get(world.header_uri(&world.proposer.public_key()))
        .header("accept", "application/octet-stream")
        .body(Body::empty())
        .unwrap();
    let (status, body) = call(&world.app, request).await;
    assert_eq!(status, StatusCode::OK);
    decode::<SignedBuilderBidElectra>(&body).unwrap();
}

#[tokio::test]
async fn registrations_are_checked_before_they_are_forwarded() {
    let world = world().await;
    let uri = "/eth/v1/builder/validators";
    let (status, body) = call(&world.app, post(uri, "application/json", "[]")).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, 1605));
    let (status, body) = call(
        &world.app,
        post(uri, "application/json", "[{\"message\": 1}]"),
    )
    .await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, 1603));
    let (status, body) = call(&world.app, post(uri, "text/plain", "x")).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, 1602)
    );
    let big = vec![b' '; MAX_REGISTRATIONS_BODY + 1];
    let (status, body) = call(&world.app, post(uri, "application/json", big)).await;
    assert_eq!((status, code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, 1601));
    let registration =
        ValidatorRegistrationV1::new([1; 20], 30_000_000, GENESIS, &world.proposer.public_key())
            .sign(&world.proposer, world.chain.genesis_fork_version)
            .unwrap();
    let body = json!([registration.to_json()]).to_string();
    assert_eq!(
        call(&world.app, post(uri, "application/json", body))
            .await
            .0,
        StatusCode::OK
    );
}
