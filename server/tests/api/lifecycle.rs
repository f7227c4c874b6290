//! Claim → run → store → replay, as a client sees it.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn first_request_creates_the_order() {
    let app = spawn_app().await;
    let key = new_key();
    let response = app
        .post_order(&key, &order_body("u1", "A-1", 2))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 201);
    assert!(response.headers().get("idempotent-replayed").is_none());
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let order: Value = response.json().await.unwrap();
    assert_eq!(
        location,
        format!("/orders/{}", order["id"].as_str().unwrap())
    );
    assert_eq!(order["userId"], "u1");
    assert_eq!(order["items"], json!([{ "sku": "A-1", "qty": 2 }]));
    assert_eq!(order["idempotencyKey"], key.as_str());
    assert!(order["createdAt"].as_str().unwrap().ends_with('Z'));

    let fetched = app.get_json(&location).await;
    assert_eq!(fetched, order);
}

#[tokio::test]
async fn a_retry_gets_the_stored_answer_byte_for_byte_and_no_new_order() {
    let app = spawn_app().await;
    let key = new_key();
    let body = order_body("u1", "A-1", 2);
    let replays_before = app.metric("idempotency_replays_total", &[]).await;
    let first = app.post_order(&key, &body).send().await.unwrap();
    let first_location = first.headers()["location"].clone();
    let first_bytes = first.bytes().await.unwrap();

    for _ in 0..3 {
        let retry = app.post_order(&key, &body).send().await.unwrap();
        assert_eq!(retry.status(), 201);
        assert_eq!(retry.headers()["idempotent-replayed"], "true");
        assert_eq!(retry.headers()["content-type"], "application/json");
        assert_eq!(retry.headers()["location"], first_location);
        assert_eq!(retry.bytes().await.unwrap(), first_bytes);
    }
    assert_eq!(app.orders_with_key(&key).await, 1);
    assert_eq!(app.orders().await.len(), 1);
    assert!(app.metric("idempotency_replays_total", &[]).await >= replays_before + 3.0);
}

#[tokio::test]
async fn key_order_and_whitespace_do_not_make_a_different_request() {
    let app = spawn_app().await;
    let key = new_key();
    app.post_order(&key, &order_body("u1", "A-1", 2))
        .send()
        .await
        .unwrap();

    let reordered = r#"  { "items" : [ { "qty" : 2 , "sku" : "A-1" } ] ,
                          "userId" : "u1" }  "#;
    let retry = app
        .client
        .post(format!("{}/orders", app.base))
        .header("Idempotency-Key", &key)
        .header("Content-Type", "application/json; charset=utf-8")
        .body(reordered)
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(app.orders().await.len(), 1);
}

#[tokio::test]
async fn the_same_key_with_a_different_body_is_refused_with_422() {
    let app = spawn_app().await;
    let key = new_key();
    app.post_order(&key, &order_body("u1", "A-1", 2))
        .send()
        .await
        .unwrap();

    for other in [
        order_body("u1", "A-1", 3),
        order_body("u2", "A-1", 2),
        order_body("u1", "B-7", 2),
    ] {
        let refused = app.post_order(&key, &other).send().await.unwrap();
        let problem = problem(refused, 422).await;
        assert_eq!(problem["type"], "/problems/idempotency-key-reused");
    }
    assert_eq!(app.orders().await.len(), 1);
}

#[tokio::test]
async fn a_request_still_running_answers_409_with_retry_after() {
    let app = spawn_app().await;
    let key = new_key();
    let body = order_body("u1", "A-1", 1);
    let slow = tokio::spawn(
        app.post_order(&key, &body)
            .header("X-Lab-Delay-Ms", "1500")
            .send(),
    );
    eventually(Duration::from_secs(5), || async {
        app.records().await.len() == 1
    })
    .await;

    let in_flight = [
        ("route", "/orders"),
        ("status", "409"),
        ("outcome", "in_flight"),
    ];
    let in_flight_before = app.metric("http_requests_total", &in_flight).await;
    let busy = app.post_order(&key, &body).send().await.unwrap();
    assert_eq!(busy.headers()["retry-after"], "1");
    assert!(app.metric("http_requests_total", &in_flight).await > in_flight_before);
    let problem = problem(busy, 409).await;
    assert_eq!(problem["type"], "/problems/request-in-flight");

    // A different body under a key in flight is a mismatch, not a wait.
    let other = app
        .post_order(&key, &order_body("u1", "A-1", 9))
        .send()
        .await
        .unwrap();
    problem_status(other, 422).await;

    let first = slow.await.unwrap().unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    assert_eq!(app.orders().await.len(), 1);
}

async fn problem_status(response: reqwest::Response, status: u16) {
    problem(response, status).await;
}

#[tokio::test]
async fn a_client_that_hangs_up_does_not_cancel_the_order() {
    let app = spawn_app().await;
    let key = new_key();
    let body = order_body("u1", "A-1", 1);
    // The client gives up after 200 ms; the server holds the request for 800 ms.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let lost = impatient
        .post(format!("{}/orders", app.base))
        .header("Idempotency-Key", &key)
        .header("X-Lab-Delay-Ms", "800")
        .json(&body)
        .send()
        .await;
    assert!(lost.is_err(), "the client timed out");

    eventually(Duration::from_secs(5), || async {
        app.orders().await.len() == 1
    })
    .await;
    let retry = app.post_order(&key, &body).send().await.unwrap();
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(app.orders().await.len(), 1);
}

#[tokio::test]
async fn a_request_that_outlived_its_lease_cannot_commit_a_second_order() {
    let app = spawn_app_with(|c| c.lease = Duration::from_millis(300)).await;
    let key = new_key();
    let body = order_body("u1", "A-1", 1);
    let stuck = tokio::spawn(
        app.post_order(&key, &body)
            .header("X-Lab-Delay-Ms", "1500")
            .send(),
    );
    eventually(Duration::from_secs(5), || async {
        app.records().await.len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let taken_over = app.metric("idempotency_claims_taken_over_total", &[]).await;
    let fenced = app.metric("idempotency_fenced_commits_total", &[]).await;

    // The lease is over: the retry takes the claim over and completes the operation.
    let retry = app.post_order(&key, &body).send().await.unwrap();
    assert_eq!(retry.status(), 201);
    let retry_bytes = retry.bytes().await.unwrap();

    // The first request wakes up fenced off, and answers with the stored result.
    let stuck = stuck.await.unwrap().unwrap();
    assert_eq!(stuck.status(), 201);
    assert_eq!(stuck.headers()["idempotent-replayed"], "true");
    assert_eq!(stuck.headers()["x-lab-lease"], "outlived-fenced");
    assert_eq!(stuck.bytes().await.unwrap(), retry_bytes);
    assert_eq!(app.orders().await.len(), 1);
    let now_taken_over = app.metric("idempotency_claims_taken_over_total", &[]).await;
    assert!(now_taken_over > taken_over, "the take-over is counted");
    let now_fenced = app.metric("idempotency_fenced_commits_total", &[]).await;
    assert!(now_fenced > fenced, "the fenced commit is counted");
}

#[tokio::test]
async fn a_request_that_outlived_its_lease_still_commits_when_nobody_took_over() {
    let app = spawn_app_with(|c| c.lease = Duration::from_millis(300)).await;
    let key = new_key();
    let body = order_body("u1", "A-1", 1);
    let late = app
        .post_order(&key, &body)
        .header("X-Lab-Delay-Ms", "700")
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 201);
    assert!(late.headers().get("idempotent-replayed").is_none());
    assert_eq!(late.headers()["x-lab-lease"], "outlived-committed");
    assert_eq!(app.orders_with_key(&key).await, 1);
}

/// A commit fenced off because the record vanished (here: a lab reset while the request ran)
/// decides again from what is there now. The key is a client's: it must never be answered
/// with a problem about issued keys.
#[tokio::test]
async fn a_client_key_whose_record_vanished_mid_request_decides_again() {
    let app = spawn_app().await;
    let key = new_key();
    let body = order_body("u1", "A-1", 1);
    let running = tokio::spawn(
        app.post_order(&key, &body)
            .header("X-Lab-Delay-Ms", "600")
            .send(),
    );
    until_in_flight(&app.base).await;
    let reset = app.reset("u1").await;
    assert_eq!(reset.status(), 204);

    let answer = running.await.unwrap().unwrap();
    assert_eq!(answer.status(), 201, "not an issued-key problem");
    assert_eq!(app.orders_with_key(&key).await, 1);
    let replay = app.post_order(&key, &body).send().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
}

/// Replays are counted per operation: those counted before a reset never land on the next
/// operation under the same key, even when they are written after it.
#[tokio::test]
async fn replays_before_a_reset_are_not_counted_for_the_next_operation() {
    // A flush every 2 s: each round's replays are written after its reset and new operation.
    let app = spawn_app_with(|c| c.replay_flush_interval = Duration::from_secs(2)).await;
    let key = new_key();
    let body = order_body("u1", "A-1", 1);
    for round in 0..3 {
        app.post_order(&key, &body).send().await.unwrap();
        for _ in 0..4 {
            app.post_order(&key, &body).send().await.unwrap();
        }
        app.reset("u1").await;
        let fresh = app.post_order(&key, &body).send().await.unwrap();
        assert!(
            fresh.headers().get("idempotent-replayed").is_none(),
            "round {round}"
        );
        tokio::time::sleep(Duration::from_millis(2_100)).await;
        let records = app.records().await;
        assert_eq!(records[0]["replayCount"], 0, "round {round}: {records:?}");
        app.reset("u1").await;
    }
}

#[tokio::test]
async fn records_show_state_fingerprint_status_and_replays() {
    let app = spawn_app().await;
    let key = new_key();
    let body = order_body("u1", "A-1", 1);
    let order: Value = app
        .post_order(&key, &body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    app.post_order(&key, &body).send().await.unwrap();
    app.post_order(&key, &body).send().await.unwrap();

    eventually(Duration::from_secs(5), || async {
        app.records().await[0]["replayCount"] == 2
    })
    .await;
    let record = &app.records().await[0];
    assert_eq!(record["key"], key.as_str());
    assert_eq!(record["state"], "completed");
    assert_eq!(record["storedStatus"], 201);
    assert_eq!(record["orderId"], order["id"]);
    assert_eq!(record["fingerprintPrefix"].as_str().unwrap().len(), 12);
    assert!(record["expiresAt"].as_str().unwrap() > record["createdAt"].as_str().unwrap());
}

#[tokio::test]
async fn orders_can_be_listed_per_user_and_missing_ones_are_json_404s() {
    let app = spawn_app().await;
    app.post_order(&new_key(), &order_body("alice", "A-1", 1))
        .send()
        .await
        .unwrap();
    app.post_order(&new_key(), &order_body("bob", "A-1", 1))
        .send()
        .await
        .unwrap();

    let alices = app.get_json("/orders?userId=alice").await;
    assert_eq!(alices.as_array().unwrap().len(), 1);
    assert_eq!(alices[0]["userId"], "alice");

    for path in ["/orders/no-such-order", "/orders/a/b", "/lab/nothing"] {
        let missing = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        problem(missing, 404).await;
    }
    let wrong_method = app
        .client
        .delete(format!("{}/orders", app.base))
        .send()
        .await
        .unwrap();
    problem(wrong_method, 405).await;
}

#[tokio::test]
async fn reset_empties_the_lab() {
    let app = spawn_app().await;
    app.post_order(&new_key(), &order_body("u1", "A-1", 1))
        .send()
        .await
        .unwrap();
    let reset = app.reset("u1").await;
    assert_eq!(reset.status(), 204);
    assert!(app.orders().await.is_empty());
    assert!(app.records().await.is_empty());
}

/// With the lab's controls off, the headers that only shape an order are ignored (even a bad
/// X-Lab-Operation); what asks for a lab answer (a reset, an expiry, an expired key) is 403.
#[tokio::test]
async fn lab_controls_can_be_switched_off() {
    let app = spawn_app_with(|c| c.lab_controls = false).await;
    let started = std::time::Instant::now();
    let key = new_key();
    let created = app
        .post_order(&key, &order_body("u1", "A-1", 1))
        .header("X-Lab-Delay-Ms", "5000")
        .header("X-Lab-Operation", "not an operation")
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the delay header was ignored"
    );
    let order: Value = created.json().await.unwrap();
    assert!(order.get("labOperation").is_none(), "{order}");
    let reset = app.reset("u1").await;
    problem(reset, 403).await;
    let expire = app.expire_key("u1", &key).await;
    problem(expire, 403).await;
    problem(app.prepare_issue("expired").await, 403).await;
    assert_eq!(app.orders().await.len(), 1);
    assert_eq!(app.records().await[0]["state"], "completed");
}

/// The page sends one X-Lab-Operation on every attempt of one intention. A buggy client that
/// makes a new key per retry creates a second order, and the two share the operation: that is
/// what the page flags. A replay adds nothing; an order sent without the header has no field.
#[tokio::test]
async fn orders_of_one_lab_operation_share_it_whatever_their_keys() {
    let app = spawn_app().await;
    let operation = new_key();
    let body = order_body("u1", "A-1", 1);
    let attempt = |key: &str| {
        app.post_order(key, &body)
            .header("X-Lab-Operation", &operation)
    };
    let first_key = new_key();
    let first = attempt(&first_key).send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first_bytes = first.bytes().await.unwrap();
    let created: Value = serde_json::from_slice(&first_bytes).unwrap();
    assert_eq!(created["labOperation"], operation.as_str());
    let replay = attempt(&first_key).send().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.bytes().await.unwrap(), first_bytes, "stored with it");
    // The second key goes through claim → commit (a delay), the first did not.
    let second_key = attempt(&new_key()).header("X-Lab-Delay-Ms", "10");
    assert_eq!(second_key.send().await.unwrap().status(), 201);
    let plain = app.post_order(&new_key(), &body).send().await.unwrap();
    assert_eq!(plain.status(), 201);

    let orders = app.orders().await;
    assert_eq!(orders.len(), 3, "the replay added none: {orders:?}");
    let of_operation = |o: &&Value| o["labOperation"] == operation.as_str();
    assert_eq!(orders.iter().filter(of_operation).count(), 2, "{orders:?}");
    let without = orders.iter().filter(|o| o.get("labOperation").is_none());
    assert_eq!(without.count(), 1, "no header, no field: {orders:?}");
}

/// One learner's reset forgets that learner's orders and records; another learner on the same
/// server keeps theirs, in-flight claims included.
#[tokio::test]
async fn a_reset_clears_one_learners_orders_and_records_only() {
    let app = spawn_app().await;
    for user in ["u1", "u2"] {
        for sku in ["A-1", "B-2"] {
            let created = app
                .post_order(&new_key(), &order_body(user, sku, 1))
                .send()
                .await
                .unwrap();
            assert_eq!(created.status(), 201);
        }
    }
    assert_eq!(app.reset("u1").await.status(), 204);
    let orders = app.orders().await;
    assert_eq!(orders.len(), 2);
    assert!(orders.iter().all(|o| o["userId"] == "u2"), "{orders:?}");
    assert_eq!(app.records().await.len(), 2, "u2's records stay");
}

#[tokio::test]
async fn a_reset_names_its_learner() {
    let app = spawn_app().await;
    app.post_order(&new_key(), &order_body("u1", "A-1", 1))
        .send()
        .await
        .unwrap();
    let reset = |body: &'static str| {
        app.client
            .post(format!("{}/lab/reset", app.base))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    for body in [
        "",
        "{}",
        r#"{"userId":""}"#,
        r#"{"userId":"a\u0000b"}"#,
        "[]",
    ] {
        let problem = problem(reset(body).await.unwrap(), 400).await;
        assert_eq!(problem["type"], "/problems/invalid-body", "{body}");
    }
    let untyped = app
        .client
        .post(format!("{}/lab/reset", app.base))
        .body(r#"{"userId":"u1"}"#)
        .send()
        .await
        .unwrap();
    problem(untyped, 415).await;
    assert_eq!(
        app.orders().await.len(),
        1,
        "a refused reset deletes nothing"
    );
}
