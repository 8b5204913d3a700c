//! A real sidecar service (the `baton-sidecar` library, served over HTTP in this process)
//! that owns every slot of the beacon service's validators, for the explorer test's
//! promises. It makes and journals promises; it does not seal or build blocks (that is
//! the PBS path, which the devnet's end-to-end test runs).

use std::{collections::HashMap, path::Path, sync::Arc, time::Duration};

use alloy_primitives::{Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use baton_devnet::{Deployment, beacon::BeaconHandle, beacon::interop_secret_key};
use baton_preconf::{
    BatonDomain, ChainSpec, InclusionRequest, Request, RollupId, RollupTransaction,
    SequencingRequest, SignedCommitment, Slot,
};
use baton_sidecar::{
    execution::{ExecutionState, follow_head},
    journal::FileJournal,
    ledger::{Ledger, Limits},
    lookahead::{Duties, SystemClock},
    rpc::serve,
    sample::{self, Fees},
    service::{Parts, Service, ServiceConfig},
};
use serde_json::{Value, json};

use crate::beacon_fixture::rpc;

/// A sidecar serving JSON-RPC; its tasks stop when dropped.
pub(crate) struct Sidecar {
    pub(crate) url: String,
    pub(crate) domain: BatonDomain,
    pub(crate) chain_id: u64,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts a sidecar over `dir`'s journal that owns `slots` (as the beacon service's
/// proposers of those slots) and sequences the deployed rollups.
pub(crate) async fn start(
    dir: &Path,
    beacon: &BeaconHandle,
    l1_rpc: &str,
    deployment: &Deployment,
    slots: std::ops::RangeInclusive<u64>,
) -> Sidecar {
    let spec = beacon.spec();
    let chain_id = spec.chain_id.0;
    let chain = ChainSpec::devnet(chain_id, spec.genesis_time);
    let domain = BatonDomain {
        chain_id,
        verifying_contract: deployment.slasher,
    };
    let duties = Arc::new(Duties::default());
    for slot in slots {
        let index = beacon.proposer(Slot(slot));
        duties.insert(Slot(slot), interop_secret_key(index).unwrap().public_key());
    }
    let execution = Arc::new(ExecutionState::connect(l1_rpc, chain.clone()).unwrap());
    let (journal, entries) = FileJournal::open(dir).unwrap();
    let config = ServiceConfig {
        chain,
        domain,
        deadline_ms: 500,
        window_slots: 32,
        fee_per_rollup_tx: U256::ZERO,
        base_tip_wei: 1_000_000_000,
        rate_per_ip: (0, 0),
        rate_per_wallet: (0, 0),
    };
    let rollups: HashMap<RollupId, u64> = deployment
        .rollups
        .iter()
        .map(|r| (RollupId(r.id), r.l2_chain_id))
        .collect();
    let (service, _) = Service::new(
        config,
        PrivateKeySigner::random(),
        Parts {
            journal: journal.into(),
            entries,
            ledger: Ledger::new(Limits {
                gas_per_slot: 10_000_000,
                batch_max_txs: 16,
                batch_max_bytes: 100_000,
                blobs_per_slot: 3,
            }),
            duties,
            clock: Arc::new(SystemClock),
            rollups,
            execution: execution.clone(),
            l2: HashMap::new(),
        },
    )
    .unwrap();
    let service = Arc::new(service);
    if let Some(head) = execution.refresh().await.unwrap() {
        service.on_head(head);
    }
    let follower = {
        let service = service.clone();
        tokio::spawn(follow_head(
            execution,
            Duration::from_millis(250),
            Arc::new(tokio::sync::Notify::new()),
            move |head| service.on_head(head),
        ))
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        serve(listener, service, std::future::pending())
            .await
            .unwrap();
    });
    Sidecar {
        url,
        domain,
        chain_id,
        tasks: vec![follower, server],
    }
}

impl Sidecar {
    async fn promise(&self, method: &str, request: Request) -> SignedCommitment {
        let signed = request
            .sign(&PrivateKeySigner::random(), &self.domain)
            .unwrap();
        let answer = rpc(&self.url, method, json!([signed])).await;
        serde_json::from_value(answer["result"].clone())
            .unwrap_or_else(|e| panic!("no promise ({e}): {answer}"))
    }

    /// A transfer from `from` with `nonce` that the sidecar accepts (21k gas, 100 gwei
    /// cap, 2 gwei tip).
    pub(crate) fn transfer(&self, from: &PrivateKeySigner, nonce: u64) -> Bytes {
        let fees = Fees {
            gas_limit: 21_000,
            ..Fees::default()
        };
        sample::call(from, self.chain_id, nonce, &[], fees)
    }

    /// Promises `tx` in `slot`'s L1 block.
    pub(crate) async fn include(&self, slot: Slot, tx: Bytes) -> SignedCommitment {
        let request = Request::Inclusion(InclusionRequest {
            slot,
            txs: vec![tx],
        });
        self.promise("baton_requestInclusion", request).await
    }

    /// Promises an L2 transaction of `rollup` (chain `l2_chain_id`) a place in `slot`'s
    /// batch.
    pub(crate) async fn sequence(
        &self,
        slot: Slot,
        rollup: RollupId,
        l2_chain_id: u64,
    ) -> SignedCommitment {
        let tx = sample::call(
            &PrivateKeySigner::random(),
            l2_chain_id,
            0,
            b"explorer",
            Fees::default(),
        );
        let request = Request::Sequencing(SequencingRequest {
            slot,
            txs: vec![RollupTransaction {
                rollup_id: rollup,
                tx,
            }],
        });
        self.promise("baton_requestSequencing", request).await
    }
}

/// The promise of `page` (an `/api/promises` answer) that answers `signed`.
pub(crate) fn shown<'a>(page: &'a Value, signed: &SignedCommitment) -> &'a Value {
    page["promises"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["requestId"] == json!(signed.commitment.request_id))
        .unwrap_or_else(|| {
            panic!(
                "promise {} not listed: {page}",
                signed.commitment.request_id
            )
        })
}
