//! Stopping the server: SIGTERM (or Ctrl-C) lets every request in flight finish, including
//! operations whose client already left, stores the replay counters, and exits 0. Settings
//! that cannot work are refused before it starts.

use std::time::Duration;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_request_answers_it_stores_everything_and_exits_0() {
    let database = temp_database().await;
    // Counters are written only at shutdown here, so the test sees that flush and no other.
    let server = start_process(&database.url, &["--replay-flush-interval", "1h"]).await;
    let client = reqwest::Client::new();
    let body = order_body("u1", "A-1", 1);

    // Replays counted in memory, not yet flushed.
    let replayed = new_key();
    post_order_to(&client, &server.base, &replayed, &body)
        .send()
        .await
        .unwrap();
    for _ in 0..3 {
        post_order_to(&client, &server.base, &replayed, &body)
            .send()
            .await
            .unwrap();
    }
    // A client still waiting, and one that left: both operations are mid-flight, and the one
    // whose client left runs longest, so only the shutdown's wait can see it finish.
    let waiting = new_key();
    let answer = tokio::spawn(
        post_order_to(&client, &server.base, &waiting, &body)
            .header("X-Lab-Delay-Ms", "1200")
            .send(),
    );
    let left = new_key();
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let gone = post_order_to(&impatient, &server.base, &left, &body)
        .header("X-Lab-Delay-Ms", "2500")
        .send()
        .await;
    assert!(gone.is_err(), "that client left");

    let exit = server.terminate().await;
    assert!(exit.success(), "exit status {exit:?}");
    let answer = answer.await.unwrap().unwrap();
    assert_eq!(answer.status(), 201, "the request in flight was answered");

    let restarted = start_process(&database.url, &[]).await;
    let orders = restarted.get_json("/orders").await;
    for key in [&replayed, &waiting, &left] {
        let with_key = orders
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["idempotencyKey"] == **key);
        assert_eq!(with_key.count(), 1, "key {key}: its order is stored");
    }
    let records = restarted.get_json("/idempotency-records").await;
    let record = |key: &str| {
        records
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == key)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        record(&replayed)["replayCount"],
        3,
        "the counters were flushed"
    );
    assert_eq!(record(&left)["state"], "completed");
}

#[tokio::test]
async fn settings_that_cannot_work_are_refused_with_a_clear_message() {
    let database = temp_database().await;
    let cases: [(&[&str], &str); 3] = [
        (
            &["--record-ttl", "10s", "--lease", "30s"],
            "IN_FLIGHT_LEASE",
        ),
        (&["--record-ttl", "5m"], "ISSUED_KEY_TTL"),
        (
            &["--lease", "0s"],
            "IN_FLIGHT_LEASE must be longer than zero",
        ),
    ];
    for (settings, says) in cases {
        let stderr = refused_start(&database.url, settings).await;
        assert!(stderr.contains(says), "{settings:?}: {stderr}");
    }
    // Short values that can work still start: a TTL equal to the lease, sub-second leases.
    let short = [
        "--record-ttl",
        "300ms",
        "--lease",
        "300ms",
        "--issued-key-ttl",
        "300ms",
    ];
    let server = start_process(&database.url, &short).await;
    assert_eq!(server.get_json("/health").await["status"], "ok");
}

/// Wiping every learner's data is the operator's command, not a button.
#[tokio::test]
async fn the_operator_wipes_every_learners_data_from_the_command_line() {
    let database = temp_database().await;
    let server = start_process(&database.url, &[]).await;
    let client = reqwest::Client::new();
    for user in ["u1", "u2"] {
        let body = order_body(user, "A-1", 1);
        post_order_to(&client, &server.base, &new_key(), &body)
            .send()
            .await
            .unwrap();
    }
    server.kill().await;

    let wiped = run_to_end(&database.url, &["--wipe-lab"]).await;
    assert!(wiped.status.success(), "{wiped:?}");
    let restarted = start_process(&database.url, &[]).await;
    assert_eq!(restarted.get_json("/orders").await, serde_json::json!([]));
    assert_eq!(
        restarted.get_json("/idempotency-records").await,
        serde_json::json!([])
    );
}
