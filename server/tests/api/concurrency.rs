//! Many requests with one key at once: exactly one order, never a 5xx.

use futures::future::join_all;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_requests_with_one_key_make_one_order() {
    let app = spawn_app().await;
    let key = new_key();
    let body = order_body("u1", "A-1", 1);
    let responses = join_all((0..50).map(|_| app.post_order(&key, &body).send())).await;

    let mut created = 0;
    for response in responses {
        let response = response.unwrap();
        let status = response.status().as_u16();
        assert!(status == 201 || status == 409, "unexpected {status}");
        if status == 201 && response.headers().get("idempotent-replayed").is_none() {
            created += 1;
        }
    }
    assert_eq!(created, 1, "exactly one request ran the operation");
    assert_eq!(app.orders_with_key(&key).await, 1);
    assert_eq!(app.orders().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_different_keys_each_make_their_order() {
    let app = spawn_app().await;
    let keys: Vec<String> = (0..40).map(|_| new_key()).collect();
    let body = order_body("u1", "A-1", 1);
    let responses = join_all(keys.iter().map(|key| app.post_order(key, &body).send())).await;
    for response in responses {
        assert_eq!(response.unwrap().status(), 201);
    }
    assert_eq!(app.orders().await.len(), 40);
}

/// 409 and 422 are answers read from the record: a retry storm against a key in flight, or
/// against a key used for another body, must not queue a single write on SQLite's writer.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn storms_of_409s_and_422s_write_nothing() {
    let app = spawn_app_with(|c| c.purge_interval = std::time::Duration::from_secs(3600)).await;
    if app.state.storage.writer_transactions().is_none() {
        eprintln!("skipped: PostgreSQL has no single writer to queue on");
        return;
    }
    let body = order_body("u1", "A-1", 1);
    let other_body = order_body("u1", "B-2", 3);
    let done = new_key();
    assert_eq!(
        app.post_order(&done, &body).send().await.unwrap().status(),
        201
    );
    let running = new_key();
    let slow = tokio::spawn(
        app.post_order(&running, &body)
            .header("X-Lab-Delay-Ms", "10000")
            .send(),
    );
    until_in_flight(&app.base).await;

    let writes_before = app.state.storage.writer_transactions();
    let storm = (0..200).map(|i| match i % 3 {
        0 => (app.post_order(&running, &body).send(), 409),
        1 => (app.post_order(&running, &other_body).send(), 422),
        _ => (app.post_order(&done, &other_body).send(), 422),
    });
    let (requests, expected): (Vec<_>, Vec<u16>) = storm.unzip();
    let statuses = join_all(requests).await;
    let writes_after = app.state.storage.writer_transactions();

    for (response, expected) in statuses.into_iter().zip(expected) {
        assert_eq!(response.unwrap().status(), expected);
    }
    assert_eq!(
        writes_after, writes_before,
        "the storm wrote to the database"
    );
    assert_eq!(slow.await.unwrap().unwrap().status(), 201);
    assert_eq!(app.orders().await.len(), 2);
}
