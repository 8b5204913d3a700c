//! Unit-test fixtures: a fake execution client (records what it is asked, builds
//! deterministic payloads) and a service state on a manual clock.

use std::sync::{Arc, Mutex};

use alloy_primitives::{Address, B256, U256, keccak256};
use baton_preconf::{
    Slot,
    clock::ManualClock,
    ssz::{ExecutionPayload, ExecutionRequests},
};

use super::{
    config::{BeaconConfig, ValidatorSetup},
    engine::{
        BoxFuture, BuiltPayload, EngineFailure, ExecutionEngine, ExecutionHead, PayloadAttributes,
    },
    service::{Shared, build_shared},
};

pub(crate) const GENESIS: u64 = 1_700_000_000;
pub(crate) const GENESIS_HASH: B256 = B256::repeat_byte(0xee);

/// A fake execution client.
#[derive(Debug, Default)]
pub(crate) struct FakeEngine {
    /// Every `build` call: (parent, attributes).
    pub(crate) builds: Mutex<Vec<(B256, PayloadAttributes)>>,
    /// Every `import` call: (block hash, block number, parent beacon block root).
    pub(crate) imports: Mutex<Vec<(B256, u64, B256)>>,
    /// Numbers of the blocks it knows (by hash).
    numbers: Mutex<Vec<(B256, u64)>>,
}

impl FakeEngine {
    fn number_of(&self, hash: B256) -> u64 {
        if hash == GENESIS_HASH {
            return 0;
        }
        self.numbers
            .lock()
            .unwrap()
            .iter()
            .find(|(h, _)| *h == hash)
            .map_or(0, |(_, n)| *n)
    }
}

impl ExecutionEngine for FakeEngine {
    fn head(&self) -> BoxFuture<'_, Result<ExecutionHead, EngineFailure>> {
        Box::pin(async {
            Ok(ExecutionHead {
                hash: GENESIS_HASH,
                number: 0,
                timestamp: GENESIS,
                gas_limit: 30_000_000,
            })
        })
    }

    fn build<'a>(
        &'a self,
        parent: B256,
        attributes: &'a PayloadAttributes,
    ) -> BoxFuture<'a, Result<BuiltPayload, EngineFailure>> {
        Box::pin(async move {
            self.builds
                .lock()
                .unwrap()
                .push((parent, attributes.clone()));
            let number = self.number_of(parent) + 1;
            let hash = keccak256([parent.as_slice(), &attributes.timestamp.to_le_bytes()].concat());
            self.numbers.lock().unwrap().push((hash, number));
            let payload = ExecutionPayload {
                parent_hash: parent.0,
                fee_recipient: attributes.suggested_fee_recipient.0.0,
                prev_randao: attributes.prev_randao.0,
                block_number: number,
                gas_limit: 30_000_000,
                timestamp: attributes.timestamp,
                block_hash: hash.0,
                ..Default::default()
            };
            Ok(BuiltPayload {
                payload,
                block_value: U256::ZERO,
                blobs_bundle: Default::default(),
                execution_requests: ExecutionRequests::default(),
            })
        })
    }

    fn import<'a>(
        &'a self,
        payload: &'a ExecutionPayload,
        _requests: &'a ExecutionRequests,
        parent_beacon_block_root: B256,
    ) -> BoxFuture<'a, Result<(), EngineFailure>> {
        Box::pin(async move {
            self.imports.lock().unwrap().push((
                B256::from(payload.block_hash),
                payload.block_number,
                parent_beacon_block_root,
            ));
            Ok(())
        })
    }
}

/// A service state with `validators` local-only validators, its fake engine and clock
/// (set to the start of slot 1).
pub(crate) async fn shared(validators: usize) -> (Arc<Shared>, Arc<FakeEngine>, Arc<ManualClock>) {
    let engine = Arc::new(FakeEngine::default());
    let setups = (0..validators)
        .map(|i| ValidatorSetup {
            fee_recipient: Address::repeat_byte(i as u8 + 1),
            builder_url: None,
        })
        .collect();
    let config = BeaconConfig::devnet(GENESIS, 3_151_908, setups, engine.clone());
    let clock = Arc::new(ManualClock::new((GENESIS + 2) * 1000));
    let shared = build_shared(&config, clock.clone()).await.unwrap();
    (Arc::new(shared), engine, clock)
}

/// Moves `clock` to the start of `slot`.
pub(crate) fn at_slot(shared: &Shared, clock: &ManualClock, slot: Slot) {
    clock.set_ms(shared.slot_start_ms(slot));
}
