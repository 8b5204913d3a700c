//! Unit tests of the fallback build: a payload builder that builds from an in-memory pool.

use std::{
    collections::HashSet,
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use alloy_primitives::Bytes;
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{BlsSecretKey, Slot, ssz::PayloadAttributes, ssz::Transaction};

use super::*;
use crate::sample::{self, Fees};

const FORK: [u8; 4] = [0x10, 0, 0, 0x38];

/// A pool that never takes `refuse`, and takes `late` only when it is sent a second time.
#[derive(Debug, Default)]
struct Pool {
    txs: Mutex<Vec<Bytes>>,
    refuse: HashSet<B256>,
    late: Mutex<HashSet<B256>>,
}

impl TxPool for Pool {
    fn submit<'a>(&'a self, txs: &'a [Bytes]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let mut pool = self.txs.lock().unwrap();
            for tx in txs {
                let hash = keccak256(tx);
                if self.refuse.contains(&hash) || self.late.lock().unwrap().remove(&hash) {
                    continue;
                }
                if !pool.contains(tx) {
                    pool.push(tx.clone());
                }
            }
        })
    }
}

#[derive(Debug)]
struct Builder {
    pool: Arc<Pool>,
    builds: AtomicUsize,
    wrong_parent: bool,
    /// Builds after the first fail (ethereumjs answers a second `getPayload` for the same
    /// attributes without its execution requests).
    only_once: bool,
}

impl PayloadBuilder for Builder {
    fn build<'a>(
        &'a self,
        request: &'a BuildRequest,
    ) -> BoxFuture<'a, Result<BuiltPayload, String>> {
        Box::pin(async move {
            if self.builds.fetch_add(1, Ordering::SeqCst) > 0 && self.only_once {
                return Err("executionRequests: missing".to_owned());
            }
            let txs: Vec<Transaction> = self
                .pool
                .txs
                .lock()
                .unwrap()
                .iter()
                .map(|t| Transaction::try_from(t.to_vec()).unwrap())
                .collect();
            let mut payload = ExecutionPayload {
                parent_hash: if self.wrong_parent {
                    [9; 32]
                } else {
                    request.parent_hash.0
                },
                timestamp: request.timestamp,
                block_number: 8,
                block_hash: [0x77; 32],
                ..Default::default()
            };
            payload.transactions = txs.try_into().unwrap();
            Ok(BuiltPayload {
                payload,
                blobs_bundle: BlobsBundle::default(),
                execution_requests: ExecutionRequests::default(),
                block_value: U256::from(42u64),
            })
        })
    }
}

fn attributes() -> SlotAttributes {
    SlotAttributes {
        attributes: PayloadAttributes {
            proposal_slot: Slot(7),
            proposer_index: 1,
            parent_block_hash: B256::repeat_byte(0xab),
            parent_block_number: 7,
            parent_beacon_block_root: B256::repeat_byte(0xcd),
            timestamp: 1_700_000_014,
            prev_randao: B256::repeat_byte(0xef),
            withdrawals: Default::default(),
        },
        fee_recipient: Address::repeat_byte(0xfe),
    }
}

fn promised(count: u64) -> Sealed {
    let wallet = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x21)).unwrap();
    Sealed {
        slot: Slot(7),
        proposer: BlsSecretKey::from_ikm(&[1; 32]).unwrap().public_key(),
        constrained: (0..count)
            .map(|n| {
                let raw = sample::call(&wallet, 3_151_908, n, b"promised", Fees::default());
                ConstrainedTx::decode(&raw).unwrap()
            })
            .collect(),
        constraints: None,
    }
}

fn parts(pool: Arc<Pool>, wrong_parent: bool) -> (FallbackParts, Arc<Builder>) {
    parts_with(pool, wrong_parent, false)
}

fn parts_with(
    pool: Arc<Pool>,
    wrong_parent: bool,
    only_once: bool,
) -> (FallbackParts, Arc<Builder>) {
    let builder = Arc::new(Builder {
        pool: pool.clone(),
        builds: AtomicUsize::new(0),
        wrong_parent,
        only_once,
    });
    let parts = FallbackParts {
        builder: builder.clone(),
        pool: Some(pool),
        execution: None,
        signer: DelegateKey::new(BlsSecretKey::from_ikm(&[2; 32]).unwrap()),
        genesis_fork_version: FORK,
        rebuild_until: None,
    };
    (parts, builder)
}

#[tokio::test]
async fn every_promise_is_in_the_fallback_and_its_bid_is_signed_over_its_header() {
    let pool = Arc::new(Pool::default());
    let (parts, builder) = parts(pool, false);
    let sealed = promised(3);
    let (out, mut watch) = watch::channel(None);
    let fallback = build(&parts, &attributes(), Some(&sealed), &out)
        .await
        .unwrap();
    assert!(fallback.missing.is_empty());
    assert_eq!(builder.builds.load(Ordering::SeqCst), 1);
    assert_eq!(fallback.contents.execution_payload.transactions.len(), 3);
    let bid = &fallback.signed;
    bid.verify(FORK).unwrap();
    assert_eq!(
        bid.message.pubkey.as_ref(),
        parts.signer.public_key().0.as_slice()
    );
    let tree = TransactionsTree::new(&fallback.contents.execution_payload.transactions).unwrap();
    assert_eq!(bid.message.header.transactions_root, tree.root().0);
    assert_eq!(bid.message.header.parent_hash, [0xab; 32]);
    assert_eq!(u256_to(&bid.message.value), 42);
    assert!(
        watch.borrow_and_update().is_some(),
        "published to getHeader"
    );
}

fn u256_to(value: &ssz_rs::U256) -> u64 {
    u64::try_from(baton_preconf::ssz::u256_to_alloy(value)).unwrap()
}

#[tokio::test]
async fn a_transaction_the_pool_missed_is_sent_again_and_the_block_rebuilt() {
    let sealed = promised(2);
    let pool = Arc::new(Pool {
        late: Mutex::new(HashSet::from([sealed.constrained[1].hash])),
        ..Pool::default()
    });
    let (parts, builder) = parts(pool, false);
    let (out, _watch) = watch::channel(None);
    let fallback = build(&parts, &attributes(), Some(&sealed), &out)
        .await
        .unwrap();
    assert!(fallback.missing.is_empty());
    assert_eq!(builder.builds.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_transaction_that_cannot_be_included_is_reported_missing() {
    let sealed = promised(2);
    let pool = Arc::new(Pool {
        refuse: HashSet::from([sealed.constrained[0].hash]),
        ..Pool::default()
    });
    let (parts, builder) = parts(pool, false);
    let (out, watch) = watch::channel(None);
    let fallback = build(&parts, &attributes(), Some(&sealed), &out)
        .await
        .unwrap();
    assert_eq!(fallback.missing, vec![sealed.constrained[0].hash]);
    assert_eq!(builder.builds.load(Ordering::SeqCst), 1 + REBUILDS);
    // Still offered: a block without the one transaction beats a missed slot.
    assert!(watch.borrow().is_some());
}

#[tokio::test]
async fn a_failed_rebuild_keeps_the_first_block() {
    let sealed = promised(2);
    let pool = Arc::new(Pool {
        refuse: HashSet::from([sealed.constrained[1].hash]),
        ..Pool::default()
    });
    let (parts, builder) = parts_with(pool, false, true);
    let (out, watch) = watch::channel(None);
    let fallback = build(&parts, &attributes(), Some(&sealed), &out)
        .await
        .unwrap();
    assert_eq!(builder.builds.load(Ordering::SeqCst), 2);
    assert_eq!(fallback.missing, vec![sealed.constrained[1].hash]);
    assert_eq!(watch.borrow().as_deref(), Some(&*fallback));
}

#[tokio::test]
async fn a_payload_on_another_parent_is_refused() {
    let (parts, _) = parts(Arc::new(Pool::default()), true);
    let (out, watch) = watch::channel(None);
    let err = build(&parts, &attributes(), Some(&promised(1)), &out)
        .await
        .unwrap_err();
    assert!(err.contains("built on"), "{err}");
    assert!(watch.borrow().is_none());
}

#[test]
fn why_a_transaction_is_missing_comes_from_the_account_not_an_error_string() {
    let tx = &promised(1).constrained[0];
    assert_eq!(MissingReason::of(tx, None), MissingReason::Unknown);
    assert_eq!(
        MissingReason::of(tx, Some((1, U256::MAX))),
        MissingReason::NonceSpent
    );
    assert_eq!(
        MissingReason::of(tx, Some((0, U256::ZERO))),
        MissingReason::CannotPay
    );
    assert_eq!(
        MissingReason::of(tx, Some((0, U256::MAX))),
        MissingReason::NotTaken
    );
}
