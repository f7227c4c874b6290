//! Records expire after their TTL: the key is new again, and the purge deletes the row.

use std::time::Duration;

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

    // Expired and purged: the records table forgets the key; the order stays.
    eventually(Duration::from_secs(5), || async {
        app.records().await.is_empty()
    })
    .await;
    assert_eq!(app.orders().await.len(), 1);

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
