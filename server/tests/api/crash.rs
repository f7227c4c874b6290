//! SIGKILL in the middle of a request: on restart, the key is locked only until its lease
//! ends, then the retry completes the operation exactly once.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn a_crash_mid_request_leaves_no_order_and_no_lock_for_good() {
    let database = temp_database().await;
    let url = database.url.clone();
    let lease = ["--lease", "1s"];
    let server = start_process(&url, &lease).await;
    let client = reqwest::Client::new();
    let key = new_key();
    let body = order_body("u1", "A-1", 1);
    let post = |base: &str| post_order_to(&client, base, &key, &body);

    let held = tokio::spawn(post(&server.base).header("X-Lab-Delay-Ms", "10000").send());
    until_in_flight(&server.base).await;
    server.kill().await;
    assert!(
        held.await.unwrap().is_err(),
        "the held request died with the server"
    );

    let server = start_process(&url, &lease).await;
    let orders = server.get_json("/orders").await;
    assert_eq!(
        orders,
        serde_json::json!([]),
        "no half-done order survived the crash"
    );

    // The dead request's claim holds until its lease ends, then the retry takes over.
    let (created, _) = retry_until_created(|| post(&server.base)).await;
    assert!(created.headers().get("idempotent-replayed").is_none());

    let replay = post(&server.base).send().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let orders = server.get_json("/orders").await;
    assert_eq!(orders.as_array().unwrap().len(), 1);
    server.kill().await;
}

/// 20 SIGKILLs at random moments while 8 clients place orders and retry their keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn repeated_crashes_under_load_lose_no_acknowledged_order_and_duplicate_none() {
    use rand::Rng;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex, RwLock};

    let database = temp_database().await;
    let url = database.url.clone();
    let lease = ["--lease", "300ms"];
    let first = start_process(&url, &lease).await;
    let base = Arc::new(RwLock::new(first.base.clone()));
    let crashing = Arc::new(AtomicBool::new(true));
    let acknowledged: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let interrupted = Arc::new(std::sync::atomic::AtomicUsize::new(0));

    let clients: Vec<_> = (0..8)
        .map(|client| {
            let (base, crashing, acknowledged) =
                (base.clone(), crashing.clone(), acknowledged.clone());
            let interrupted = interrupted.clone();
            tokio::spawn(async move {
                let http = reqwest::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap();
                let mut placed = 0;
                while (crashing.load(Ordering::Relaxed) || placed < 5) && placed < 50 {
                    let key = new_key();
                    let body = order_body(&format!("client-{client}"), &format!("SKU-{placed}"), 1);
                    loop {
                        // Some with no delay: those commit claim, order and answer at once.
                        let delay = {
                            let mut rng = rand::rng();
                            if rng.random_bool(0.3) {
                                0
                            } else {
                                rng.random_range(20..120)
                            }
                        };
                        let delay = delay.to_string();
                        let target = format!("{}/orders", base.read().unwrap());
                        let sent = http
                            .post(target)
                            .header("Idempotency-Key", &key)
                            .header("X-Lab-Delay-Ms", delay)
                            .json(&body)
                            .send()
                            .await;
                        match sent {
                            Ok(response) if response.status() == 201 => {
                                let order: Value = response.json().await.unwrap();
                                acknowledged
                                    .lock()
                                    .unwrap()
                                    .insert(key.clone(), order["id"].as_str().unwrap().into());
                                break;
                            }
                            Ok(response) if response.status() == 409 => {
                                tokio::time::sleep(Duration::from_millis(50)).await
                            }
                            Ok(response) => panic!("unexpected {} for {key}", response.status()),
                            // The server died under us: retry the same key.
                            Err(_) => {
                                interrupted.fetch_add(1, Ordering::Relaxed);
                                tokio::time::sleep(Duration::from_millis(30)).await;
                            }
                        }
                    }
                    placed += 1;
                }
            })
        })
        .collect();

    let mut server = first;
    for _ in 0..20 {
        let wait = rand::rng().random_range(50..300);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        server.kill().await;
        server = start_process(&url, &lease).await;
        *base.write().unwrap() = server.base.clone();
    }
    crashing.store(false, Ordering::Relaxed);
    for client in clients {
        tokio::time::timeout(Duration::from_secs(120), client)
            .await
            .expect("clients finish")
            .unwrap();
    }

    let orders: Vec<Value> = server
        .get_json("/orders?limit=500")
        .await
        .as_array()
        .unwrap()
        .clone();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 40,
        "enough orders under load ({})",
        acknowledged.len()
    );
    assert!(orders.len() < 500, "the check saw every order");
    let mut per_key: HashMap<&str, Vec<&str>> = HashMap::new();
    for order in &orders {
        per_key
            .entry(order["idempotencyKey"].as_str().unwrap())
            .or_default()
            .push(order["id"].as_str().unwrap());
    }
    for (key, order_id) in &acknowledged {
        assert_eq!(
            per_key.get(key.as_str()),
            Some(&vec![order_id.as_str()]),
            "key {key}: one order, the acknowledged one"
        );
    }
    assert_eq!(
        per_key.len(),
        acknowledged.len(),
        "no order without an acknowledged key"
    );

    // Every key was retried to the end, so no claim is left behind by the crashes.
    let records: Vec<Value> = server
        .get_json("/idempotency-records?limit=500")
        .await
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(records.len(), acknowledged.len());
    assert!(
        records.iter().all(|r| r["state"] == "completed"),
        "no key stays locked"
    );
    server.kill().await;
}
