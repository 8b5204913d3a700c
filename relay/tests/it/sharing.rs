//! Two relay binaries behind one real `redis-server`: the same best bid from both,
//! a payload revealed by the instance that never saw the submission, one delivery per
//! slot across instances; and Redis killed and restarted mid-slot.

use std::time::Duration;

use baton_relay::sim;
use baton_toolchain::Redis;

use crate::harness::World;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behind_one_redis_serve_the_same_best_bid() {
    let redis = Redis::spawn().expect("redis-server (install: apt-get install redis-server)");
    let world = World::new().await;
    let a = world.start_relay(Some(&redis.url())).await;
    let b = world.start_relay(Some(&redis.url())).await;
    world.register(&a).await;

    // Bids to either instance; both serve the overall best, byte for byte.
    let (x, y) = (sim::bls_key(61), sim::bls_key(62));
    let first = world.block(&x, 100, 1, 50, &[]);
    let answer = world
        .post_json(&a, "/relay/v1/builder/blocks", &first.json())
        .await;
    assert_eq!(
        answer.status,
        200,
        "registration reached a through Redis? {:?}",
        answer.json()
    );
    let second = world.block(&y, 200, 2, 50, &[]);
    // b learned the registration from Redis, so it accepts a submission for this proposer.
    let mut accepted = false;
    for _ in 0..100 {
        let answer = world
            .post(
                &b,
                "/relay/v1/builder/blocks",
                &[("content-type", "application/octet-stream")],
                second.ssz(),
            )
            .await;
        if answer.status == 200 {
            accepted = true;
            break;
        }
        assert_eq!(
            answer.code(),
            3004,
            "only 'not registered yet' may repeat: {:?}",
            answer.json()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(accepted, "b never learned the registration from Redis");
    world
        .wait_best(&a, second.block_hash(), Duration::from_secs(5))
        .await;
    world
        .wait_best(&b, second.block_hash(), Duration::from_secs(5))
        .await;
    let (_, served_a) = world.best(&a).await.unwrap();
    let (_, served_b) = world.best(&b).await.unwrap();
    assert_eq!(
        served_a, served_b,
        "the same signed bid from both instances"
    );

    // x outbids through b; a follows.
    let third = world.block(&x, 300, 3, 50, &[]);
    let answer = world
        .post_json(&b, "/relay/v1/builder/blocks", &third.json())
        .await;
    assert_eq!(answer.status, 200);
    world
        .wait_best(&a, third.block_hash(), Duration::from_secs(5))
        .await;

    // The proposer got the header from a and asks a for the payload a never received:
    // a fetches it from Redis, publishes, reveals.
    let (_, data) = world.best(&a).await.unwrap();
    let bid =
        <baton_preconf::ssz::SignedBuilderBidElectra as baton_preconf::ssz::BeaconJson>::from_json(
            &data,
        )
        .unwrap();
    let blinded =
        world
            .proposer
            .sign_blinded(&world.info, &world.attributes, bid.message.header.clone());
    let answer = world
        .post_json(
            &a,
            "/eth/v1/builder/blinded_blocks",
            &baton_preconf::ssz::BeaconJson::to_json(&blinded),
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    assert_eq!(world.beacon.published().len(), 1);

    // One block per slot across instances: b refuses to reveal another block.
    let header = |built: &sim::Built| {
        let payload = &built.request.execution_payload;
        let root = baton_preconf::ssz::TransactionsTree::new(&payload.transactions)
            .unwrap()
            .root();
        payload.header(root).unwrap()
    };
    let other = world
        .proposer
        .sign_blinded(&world.info, &world.attributes, header(&second));
    // At once, not eventually: b asks Redis before revealing anything.
    let answer = world
        .post_json(
            &b,
            "/eth/v1/builder/blinded_blocks",
            &baton_preconf::ssz::BeaconJson::to_json(&other),
        )
        .await;
    assert_eq!(
        answer.code(),
        5004,
        "b revealed a second block: {:?}",
        answer.json()
    );
    assert_eq!(world.beacon.published().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_mid_slot_the_relays_keep_serving_and_catch_up() {
    let redis = Redis::spawn().expect("redis-server (install: apt-get install redis-server)");
    let port = redis.port();
    let url = redis.url();
    let world = World::new().await;
    let a = world.start_relay(Some(&url)).await;
    let b = world.start_relay(Some(&url)).await;
    world.register(&a).await;
    world.register(&b).await;
    let (x, y) = (sim::bls_key(71), sim::bls_key(72));

    let before = world.block(&x, 100, 1, 30, &[]);
    assert_eq!(
        world
            .post_json(&a, "/relay/v1/builder/blocks", &before.json())
            .await
            .status,
        200
    );
    world
        .wait_best(&b, before.block_hash(), Duration::from_secs(5))
        .await;

    // Redis dies mid-slot. Both keep accepting and serving from memory.
    drop(redis);
    let during_a = world.block(&x, 400, 2, 30, &[]);
    let during_b = world.block(&y, 300, 3, 30, &[]);
    let answer = world
        .post_json(&a, "/relay/v1/builder/blocks", &during_a.json())
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    let answer = world
        .post_json(&b, "/relay/v1/builder/blocks", &during_b.json())
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    assert_eq!(world.best(&a).await.unwrap().0, during_a.block_hash());
    assert_eq!(
        world.best(&b).await.unwrap().0,
        during_b.block_hash(),
        "b cannot know a's bid yet"
    );
    // The writer notices when it next writes (within its 100 ms window).
    let mut noticed = false;
    for _ in 0..100 {
        let metrics = String::from_utf8(world.get(&a, "/metrics").await.body).unwrap();
        if metrics.contains("baton_relay_redis_up 0") {
            noticed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(noticed, "a noticed the outage");
    assert_eq!(
        world.best(&b).await.unwrap().0,
        during_b.block_hash(),
        "b still serves from memory"
    );

    // Redis comes back empty on the same port: both resync, both serve the best again.
    let restarted = Redis::spawn_on_port(port).expect("restart redis-server on its port");
    let waited = world
        .wait_best(&b, during_a.block_hash(), Duration::from_secs(10))
        .await;
    world
        .wait_best(&a, during_a.block_hash(), Duration::from_secs(10))
        .await;
    let (_, served_a) = world.best(&a).await.unwrap();
    let (_, served_b) = world.best(&b).await.unwrap();
    assert_eq!(served_a, served_b);

    // And the payload b needs for a's bid was rewritten to Redis by a's resync.
    let bid =
        <baton_preconf::ssz::SignedBuilderBidElectra as baton_preconf::ssz::BeaconJson>::from_json(
            &served_b,
        )
        .unwrap();
    let blinded =
        world
            .proposer
            .sign_blinded(&world.info, &world.attributes, bid.message.header.clone());
    let answer = world
        .post_json(
            &b,
            "/eth/v2/builder/blinded_blocks",
            &baton_preconf::ssz::BeaconJson::to_json(&blinded),
        )
        .await;
    assert_eq!(answer.status, 202, "{:?}", answer.json());
    eprintln!("caught up {waited:?} after Redis returned");
    drop(restarted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_writes_what_was_accepted_to_redis() {
    let redis = Redis::spawn().expect("redis-server (install: apt-get install redis-server)");
    let world = World::new().await;
    let mut a = world.start_relay(Some(&redis.url())).await;
    world.register(&a).await;
    let built = world.block(&sim::bls_key(91), 10, 1, 20, &[]);
    let answer = world
        .post_json(&a, "/relay/v1/builder/blocks", &built.json())
        .await;
    assert_eq!(answer.status, 200);
    // Stop at once: the writer has not yet written its 100 ms batch.
    assert!(a.terminate(), "the relay exits cleanly on SIGTERM");
    let client = redis::Client::open(redis.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let payload: Option<Vec<u8>> = redis::cmd("GET")
        .arg(format!("baton:relay:payload:{}", built.block_hash()))
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(
        payload.is_some(),
        "the accepted bid's payload reached Redis before exit"
    );
    // A new instance learns the bid from Redis and serves it.
    let b = world.start_relay(Some(&redis.url())).await;
    world
        .wait_best(&b, built.block_hash(), Duration::from_secs(5))
        .await;
}
