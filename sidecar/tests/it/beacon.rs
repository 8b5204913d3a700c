//! The beacon API client against the stub beacon over real HTTP: head events arrive over
//! SSE, one per slot, naming the slot that just began.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use baton_preconf::{BlsSecretKey, Slot};
use baton_sidecar::head_events::{HeadEvent, read_head_events};

#[tokio::test]
async fn head_events_arrive_once_per_slot() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let genesis = now - 100;
    let validator = BlsSecretKey::from_ikm(&[3; 32]).unwrap().public_key();
    let url = baton_sidecar::beacon::serve_stub(genesis, 8, validator)
        .await
        .unwrap();
    let seen: Arc<Mutex<Vec<HeadEvent>>> = Arc::default();
    let sink = seen.clone();
    let on_head = move |head: HeadEvent| sink.lock().unwrap().push(head);
    let http = reqwest::Client::new();
    // Two slots of 2 s each: at least two events, then stop reading.
    let _ = tokio::time::timeout(
        Duration::from_millis(4_500),
        read_head_events(&http, &url, &on_head),
    )
    .await;
    let seen = seen.lock().unwrap();
    assert!(seen.len() >= 2, "{seen:?}");
    let after = (SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - genesis)
        / 2;
    for pair in seen.windows(2) {
        assert_eq!(pair[1].slot, Slot(pair[0].slot.0 + 1), "consecutive slots");
    }
    let last = seen.last().unwrap().slot.0;
    assert!(
        last + 1 >= after && last <= after,
        "last head {last}, now slot {after}"
    );
}
