//! The group commit when a write fails: a full disk, and a failure that makes SQLite roll back
//! the whole transaction. Every 201 stays stored, no failed write is half applied, no key is
//! left locked, and the server serves again as soon as the fault is gone. (SQLite only: the
//! faults act on its single writer.)

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::future::join_all;
use serde_json::{json, Value};
use server::storage::Fault;

use crate::helpers::*;

/// A body of 40 items: several KB stored per order, so a few pages fill up fast.
fn big_body(user: &str) -> Value {
    let items: Vec<Value> = (0..40)
        .map(|i| json!({"sku": format!("SKU-{i:03}-{}", "x".repeat(20)), "qty": 1 + i % 9}))
        .collect();
    json!({"userId": user, "items": items})
}

/// Sends one request per key at once, a third of them with a 40 ms operation (so both the
/// one-transaction path and claim → run → store run); returns each key's status.
async fn load(app: &TestApp, requests: &[(String, Value)]) -> HashMap<String, u16> {
    let sends = requests.iter().enumerate().map(|(n, (key, body))| {
        let delay = if n % 3 == 0 { "40" } else { "0" };
        let request = app.post_order(key, body).header("X-Lab-Delay-Ms", delay);
        async move { (key.clone(), request.send().await.unwrap().status().as_u16()) }
    });
    join_all(sends).await.into_iter().collect()
}

/// What the tables hold is whole: each order beside its completed record and the reverse,
/// no key with an order and a claim in flight, at most one order per key.
async fn assert_whole(app: &TestApp) -> (Vec<Value>, Vec<Value>) {
    let orders = app
        .get_json("/orders?limit=500")
        .await
        .as_array()
        .unwrap()
        .clone();
    let records = app
        .get_json("/idempotency-records?limit=500")
        .await
        .as_array()
        .unwrap()
        .clone();
    let record_of: HashMap<&str, &Value> = records
        .iter()
        .map(|r| (r["key"].as_str().unwrap(), r))
        .collect();
    let mut keys = HashSet::new();
    for order in &orders {
        let key = order["idempotencyKey"].as_str().unwrap();
        assert!(keys.insert(key), "key {key}: two orders");
        let record = record_of
            .get(key)
            .unwrap_or_else(|| panic!("order {order} has no record"));
        assert_eq!(
            record["state"], "completed",
            "key {key}: an order and a claim in flight"
        );
        assert_eq!(record["orderId"], order["id"], "key {key}");
    }
    for record in &records {
        if record["state"] == "completed" {
            assert!(
                orders.iter().any(|o| o["id"] == record["orderId"]),
                "record {record} has no order"
            );
        }
    }
    (orders, records)
}

async fn assert_every_201_is_stored(app: &TestApp, statuses: &HashMap<String, u16>) {
    for (key, status) in statuses {
        assert!(
            *status == 201 || *status == 500,
            "key {key}: {status}, a 201 or a retryable 500"
        );
        if *status == 201 {
            assert_eq!(
                app.orders_with_key(key).await,
                1,
                "an acknowledged order was lost"
            );
        }
    }
}

/// After the fault: every key goes through (a replay for those already done), at once; no
/// key stays locked by a claim that was acknowledged as failed.
async fn assert_retries_go_through(app: &TestApp, requests: &[(String, Value)]) {
    for (key, body) in requests {
        let retry = app.post_order(key, body).send().await.unwrap();
        assert_eq!(retry.status(), 201, "key {key}: the retry is not blocked");
        assert_eq!(app.orders_with_key(key).await, 1, "key {key}: one order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_that_fills_up_loses_no_acknowledged_order_and_recovers() {
    let app = spawn_app_with(|c| c.purge_interval = Duration::from_secs(3600)).await;
    let storage = &app.state.storage;
    if !storage.inject_fault(Fault::SpaceUnlimited).await.unwrap() {
        eprintln!("skipped: the full-disk fault acts on SQLite's writer");
        return;
    }
    let requests: Vec<(String, Value)> = (0..60).map(|_| (new_key(), big_body("u1"))).collect();
    storage.inject_fault(Fault::SpaceLeft(6)).await.unwrap();
    let statuses = load(&app, &requests).await;
    let refused = statuses.values().filter(|s| **s == 500).count();
    assert!(refused > 0, "the disk filled up: {statuses:?}");
    assert!(refused < 60, "some orders fitted: {statuses:?}");
    assert_whole(&app).await;
    assert_every_201_is_stored(&app, &statuses).await;

    storage.inject_fault(Fault::SpaceUnlimited).await.unwrap();
    assert_retries_go_through(&app, &requests).await;
    let (orders, _) = assert_whole(&app).await;
    assert_eq!(orders.len(), 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_that_rolls_back_the_whole_transaction_sinks_only_itself() {
    let app = spawn_app_with(|c| c.purge_interval = Duration::from_secs(3600)).await;
    let storage = &app.state.storage;
    let doomed = "rolls-back";
    let fault = Fault::RollBackOrdersOf(Some(doomed.into()));
    if !storage.inject_fault(fault).await.unwrap() {
        eprintln!("skipped: the rollback fault acts on SQLite's writer");
        return;
    }
    let requests: Vec<(String, Value)> = (0..80)
        .map(|n| {
            let user = if n % 4 == 0 { doomed } else { "u1" };
            (new_key(), order_body(user, "A-1", 1))
        })
        .collect();
    let statuses = load(&app, &requests).await;
    for (key, body) in &requests {
        let expected = if body["userId"] == doomed { 500 } else { 201 };
        assert_eq!(
            statuses[key], expected,
            "key {key}, user {}",
            body["userId"]
        );
    }
    assert_whole(&app).await;
    assert_every_201_is_stored(&app, &statuses).await;

    storage
        .inject_fault(Fault::RollBackOrdersOf(None))
        .await
        .unwrap();
    assert_retries_go_through(&app, &requests).await;
    let (orders, _) = assert_whole(&app).await;
    assert_eq!(orders.len(), 80);
}
