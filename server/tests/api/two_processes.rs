//! Two server processes on one database, as behind a load balancer. The key space belongs to
//! the database, so the two behave as one server: a storm split across both makes one order,
//! and when one dies mid-request the other finishes the key after the lease, exactly once.
//! (`make test` runs this on SQLite and on PostgreSQL; the issue is about the latter.)

use futures::future::join_all;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn storms_split_across_two_processes_make_one_order_per_key() {
    let database = temp_database().await;
    let servers = [
        start_process(&database.url, &[]).await,
        start_process(&database.url, &[]).await,
    ];
    let client = reqwest::Client::new();
    let body = order_body("u1", "A-1", 1);
    let mut ran_on = [0; 2];
    let mut keys = Vec::new();
    for round in 0..20 {
        let key = new_key();
        // Odd rounds: a 100 ms operation, so the storm meets the claim in flight (409s).
        // Even rounds: no delay, so the processes race to insert the completed record.
        let delay = if round % 2 == 1 { "100" } else { "0" };
        // Which process gets the storm's first request changes every other round.
        let process = |n: usize| (n + round / 2) % 2;
        let storm = (0..50).map(|n| {
            post_order_to(&client, &servers[process(n)].base, &key, &body)
                .header("X-Lab-Delay-Ms", delay)
                .send()
        });
        let mut ran = 0;
        for (n, response) in join_all(storm).await.into_iter().enumerate() {
            let response = response.unwrap();
            let status = response.status().as_u16();
            assert!(
                status == 201 || status == 409,
                "round {round}: unexpected {status}"
            );
            if status == 201 && response.headers().get("idempotent-replayed").is_none() {
                ran += 1;
                ran_on[process(n)] += 1;
            }
        }
        assert_eq!(ran, 1, "round {round}: one request ran the operation");
        keys.push(key);
    }
    assert!(
        ran_on.iter().all(|&n| n > 0),
        "both processes ran some of the operations: {ran_on:?}"
    );
    for server in &servers {
        let orders = server.get_json("/orders?limit=100").await;
        let orders = orders.as_array().unwrap();
        assert_eq!(orders.len(), 20, "each process sees the same 20 orders");
        for key in &keys {
            let with_key = orders.iter().filter(|o| o["idempotencyKey"] == *key);
            assert_eq!(with_key.count(), 1, "key {key}: one order");
        }
    }
}

#[tokio::test]
async fn when_one_process_dies_mid_request_the_other_completes_the_key_once() {
    let database = temp_database().await;
    let lease = ["--lease", "1s"];
    let dying = start_process(&database.url, &lease).await;
    let survivor = start_process(&database.url, &lease).await;
    let client = reqwest::Client::new();
    let key = new_key();
    let body = order_body("u1", "A-1", 1);
    let post = |base: &str| post_order_to(&client, base, &key, &body);

    let held = tokio::spawn(post(&dying.base).header("X-Lab-Delay-Ms", "10000").send());
    until_in_flight(&survivor.base).await;
    dying.kill().await;
    assert!(held.await.unwrap().is_err(), "the held request died");

    // The survivor sees the dead process's claim (409) until its lease ends, then takes over.
    let (created, statuses) = retry_until_created(|| post(&survivor.base)).await;
    assert_eq!(
        statuses[0], 409,
        "the dead claim holds until its lease ends"
    );
    assert!(created.headers().get("idempotent-replayed").is_none());
    let order: Value = created.json().await.unwrap();

    let replay = post(&survivor.base).send().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replayed: Value = replay.json().await.unwrap();
    assert_eq!(replayed["id"], order["id"]);
    let orders = survivor.get_json("/orders").await;
    assert_eq!(orders.as_array().unwrap().len(), 1, "exactly one order");
    assert_eq!(orders[0]["id"], order["id"]);
}

/// Leases, record expiry and issued-key expiry are decided by the database's clock, so two
/// processes whose own clocks disagree by minutes still agree on every key. (PostgreSQL only:
/// SQLite has no clock of its own and serves one process.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn processes_whose_clocks_disagree_still_agree_on_every_key() {
    if backend() != "postgres" {
        eprintln!("skipped: several processes with their own clocks need PostgreSQL");
        return;
    }
    let database = temp_database().await;
    let lifetimes = ["--record-ttl", "60s", "--issued-key-ttl", "30s"];
    let on_time = start_process(&database.url, &lifetimes).await;
    let ahead = [&lifetimes[..], &["--test-clock-skew-ms", "120000"]].concat();
    let ahead = start_process(&database.url, &ahead).await;
    let client = reqwest::Client::new();
    let body = order_body("u1", "A-1", 1);

    // A record made by one is live for the other: a replay, not a second order.
    let key = new_key();
    let first = post_order_to(&client, &on_time.base, &key, &body)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 201);
    let retry = post_order_to(&client, &ahead.base, &key, &body)
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");

    // A claim made by one is in flight for the other: a 409, not a take-over.
    let running = new_key();
    let slow = post_order_to(&client, &on_time.base, &running, &body)
        .header("X-Lab-Delay-Ms", "800")
        .send();
    let slow = tokio::spawn(slow);
    until_in_flight(&on_time.base).await;
    let busy = post_order_to(&client, &ahead.base, &running, &body)
        .send()
        .await
        .unwrap();
    assert_eq!(busy.status(), 409);
    assert_eq!(slow.await.unwrap().unwrap().status(), 201);

    // A key issued by one is valid for the other.
    let issued = prepare_key(&client, &on_time.base).await;
    let used = post_order_to(&client, &ahead.base, &issued, &body)
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), 201, "the issued key has not expired");

    // Storms split across both: one order per key.
    let servers = [&on_time, &ahead];
    for round in 0..6 {
        let key = new_key();
        let delay = if round % 2 == 1 { "100" } else { "0" };
        let storm = (0..30).map(|n| {
            post_order_to(&client, &servers[(n + round) % 2].base, &key, &body)
                .header("X-Lab-Delay-Ms", delay)
                .send()
        });
        for response in join_all(storm).await {
            let status = response.unwrap().status().as_u16();
            assert!(status == 201 || status == 409, "round {round}: {status}");
        }
    }
    let orders = on_time.get_json("/orders?limit=100").await;
    let orders = orders.as_array().unwrap();
    assert_eq!(orders.len(), 9, "one order per key: {orders:?}");
}
