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
