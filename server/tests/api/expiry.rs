//! Records expire after their TTL: the key is new again, and the purge deletes the row.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn after_its_ttl_a_key_starts_a_new_operation_and_the_record_is_purged() {
    let app = spawn_app_with(|c| {
        c.record_ttl = Duration::from_millis(400);
        c.lease = Duration::from_millis(400);
        c.issued_key_ttl = Duration::from_millis(400);
        c.purge_interval = Duration::from_millis(100);
    })
    .await;
    let key = new_key();
    let body = order_body("u1", "A-1", 1);
    assert_eq!(
        app.post_order(&key, &body).send().await.unwrap().status(),
        201
    );
    let replay = app.post_order(&key, &body).send().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let purged = app.metric("idempotency_records_purged_total", &[]).await;

    // Expired and purged: the records table forgets the key; the order stays.
    eventually(Duration::from_secs(5), || async {
        app.records().await.is_empty()
    })
    .await;
    assert_eq!(app.orders().await.len(), 1);
    assert!(app.metric("idempotency_records_purged_total", &[]).await > purged);

    let again = app.post_order(&key, &body).send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert!(
        again.headers().get("idempotent-replayed").is_none(),
        "a new operation"
    );
    assert_eq!(app.orders_with_key(&key).await, 2);
}

#[tokio::test]
async fn an_expired_record_not_yet_purged_is_shown_as_expired_and_not_replayed() {
    let app = spawn_app_with(|c| {
        c.record_ttl = Duration::from_millis(300);
        c.lease = Duration::from_millis(300);
        c.issued_key_ttl = Duration::from_millis(300);
        c.purge_interval = Duration::from_secs(3600);
    })
    .await;
    let key = new_key();
    let body = order_body("u1", "A-1", 1);
    app.post_order(&key, &body).send().await.unwrap();
    eventually(Duration::from_secs(5), || async {
        app.records().await[0]["state"] == "expired"
    })
    .await;

    // Even a different body is welcome now: the old operation is forgotten.
    let other = app
        .post_order(&key, &order_body("u1", "B-2", 5))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 201);
    assert!(other.headers().get("idempotent-replayed").is_none());
    assert_eq!(app.orders_with_key(&key).await, 2);
}

/// Replays are counted in memory and written every half second, per operation: those of an
/// operation forgotten meanwhile (here: expired) never land on the next one under its key.
#[tokio::test]
async fn replays_of_an_expired_operation_are_not_counted_for_the_next_one() {
    let app = spawn_app_with(|c| {
        c.record_ttl = Duration::from_millis(300);
        c.lease = Duration::from_millis(300);
        c.issued_key_ttl = Duration::from_millis(300);
        c.purge_interval = Duration::from_secs(3600);
        // The first flush after start comes a second later: after the next operation began.
        c.replay_flush_interval = Duration::from_secs(1);
    })
    .await;
    let key = new_key();
    let body = order_body("u1", "A-1", 1);
    app.post_order(&key, &body).send().await.unwrap();
    for _ in 0..5 {
        let replay = app.post_order(&key, &body).send().await.unwrap();
        assert_eq!(replay.headers()["idempotent-replayed"], "true");
    }
    tokio::time::sleep(Duration::from_millis(320)).await;
    let next = app.post_order(&key, &body).send().await.unwrap();
    assert!(
        next.headers().get("idempotent-replayed").is_none(),
        "a new operation"
    );
    // After the flush, the new operation still has no replays of its own.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let records = app.records().await;
    assert_eq!(records[0]["key"], key.as_str());
    assert_eq!(records[0]["replayCount"], 0, "{records:?}");
}

/// A fresh server with one order of `user`'s under a new key; the key and its request.
async fn one_order(user: &str) -> (TestApp, String, Value) {
    let app = spawn_app().await;
    let key = new_key();
    let body = order_body(user, "A-1", 1);
    let created = app.post_order(&key, &body).send().await.unwrap();
    assert_eq!(created.status(), 201);
    (app, key, body)
}

/// The lab's "expire this key now" is a TTL that ran out early: the record shows as expired
/// at once, and the same request under the key is a new operation with a second order.
#[tokio::test]
async fn a_key_expired_by_the_lab_starts_a_new_operation() {
    let (app, key, body) = one_order("u1").await;
    let first = app.orders().await.remove(0);

    assert_eq!(app.expire_key("u1", &key).await.status(), 204);
    let records = app.records().await;
    assert_eq!(records[0]["key"], key.as_str());
    assert_eq!(records[0]["state"], "expired", "{records:?}");

    let retry = app.post_order(&key, &body).send().await.unwrap();
    assert_eq!(retry.status(), 201);
    assert!(
        retry.headers().get("idempotent-replayed").is_none(),
        "a new operation, not a replay"
    );
    let second: Value = retry.json().await.unwrap();
    assert_ne!(second["id"], first["id"]);
    assert_eq!(app.orders_with_key(&key).await, 2);
    // The new operation's record is live: its own retry is a replay again.
    assert_eq!(app.records().await[0]["state"], "completed");
    let replay = app.post_order(&key, &body).send().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(app.orders_with_key(&key).await, 2);
}

/// A learner expires only their own record: another learner's under the same key is a 404
/// to them, and stays live.
#[tokio::test]
async fn expiring_a_key_touches_only_that_learners_record() {
    let (app, key, body) = one_order("u2").await;
    for (user, key) in [("u1", key.as_str()), ("u2", "no-such-key")] {
        let missing = problem(app.expire_key(user, key).await, 404).await;
        assert_eq!(missing["type"], "/problems/not-found");
    }
    assert_eq!(app.records().await[0]["state"], "completed");
    let replay = app.post_order(&key, &body).send().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(app.orders().await.len(), 1);
}

/// A claim whose request still runs is not expired (409): a retry would start the operation
/// a second time while the first is still doing it. Once it has finished, it may expire.
#[tokio::test]
async fn a_key_whose_request_still_runs_is_not_expired() {
    let app = spawn_app().await;
    let key = new_key();
    let body = order_body("u1", "A-1", 1);
    let running = tokio::spawn(
        app.post_order(&key, &body)
            .header("X-Lab-Delay-Ms", "800")
            .send(),
    );
    until_in_flight(&app.base).await;
    let refused = app.expire_key("u1", &key).await;
    assert_eq!(refused.headers()["retry-after"], "1");
    let problem = problem(refused, 409).await;
    assert_eq!(problem["type"], "/problems/request-in-flight");

    assert_eq!(running.await.unwrap().unwrap().status(), 201);
    assert_eq!(app.records().await[0]["state"], "completed");
    assert_eq!(app.expire_key("u1", &key).await.status(), 204);
    assert_eq!(app.orders_with_key(&key).await, 1);
}

/// The body names the learner and the key, spelled as the header spells it (bare or quoted);
/// anything else is a 400 naming the field, and expires nothing.
#[tokio::test]
async fn an_expire_key_request_names_its_learner_and_key() {
    let (app, key, _) = one_order("u1").await;
    let send = |json: String| {
        app.client
            .post(format!("{}/lab/expire-key", app.base))
            .header("Content-Type", "application/json")
            .body(json)
            .send()
    };
    for (json, field) in [
        (r#"{"idempotencyKey":"k"}"#.to_owned(), "userId"),
        (r#"{"userId":"u1"}"#.to_owned(), "idempotencyKey"),
        (
            r#"{"userId":"u1","idempotencyKey":"a b"}"#.to_owned(),
            "idempotencyKey",
        ),
        (
            format!(r#"{{"userId":"u1","idempotencyKey":"{key}","ttl":0}}"#),
            "ttl",
        ),
        ("[]".to_owned(), "body"),
    ] {
        let problem = problem(send(json.clone()).await.unwrap(), 400).await;
        assert_eq!(problem["type"], "/problems/invalid-body", "{json}");
        assert_eq!(problem["field"], field, "{json}");
    }
    assert_eq!(app.records().await[0]["state"], "completed");

    let quoted = format!(r#"{{"userId":"u1","idempotencyKey":"\"{key}\""}}"#);
    assert_eq!(send(quoted).await.unwrap().status(), 204);
    assert_eq!(app.records().await[0]["state"], "expired");
}
