//! SIGKILL in the middle of a request: on restart, the key is locked only until its lease
//! ends, then the retry completes the operation exactly once.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn a_crash_mid_request_leaves_no_order_and_no_lock_for_good() {
    let (_dir, url) = temp_database();
    let lease = ["--lease", "1s"];
    let server = start_process(&url, &lease).await;
    let client = reqwest::Client::new();
    let key = new_key();
    let body = order_body("u1", "A-1", 1);
    let post = |base: &str| {
        client
            .post(format!("{base}/orders"))
            .header("Idempotency-Key", &key)
            .json(&body)
    };

    let held = tokio::spawn(post(&server.base).header("X-Lab-Delay-Ms", "10000").send());
    let base = server.base.clone();
    eventually(Duration::from_secs(5), || async {
        let records: Value = client
            .get(format!("{base}/idempotency-records"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        records[0]["state"] == "inFlight"
    })
    .await;
    server.kill().await;
    assert!(
        held.await.unwrap().is_err(),
        "the held request died with the server"
    );

    let server = start_process(&url, &lease).await;
    let orders: Value = client
        .get(format!("{}/orders", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        orders,
        serde_json::json!([]),
        "no half-done order survived the crash"
    );

    // The dead request's claim holds until its lease ends, then the retry takes over.
    let mut statuses = Vec::new();
    let created = loop {
        let response = post(&server.base).send().await.unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 201 {
            break response;
        }
        assert_eq!(
            response.status(),
            409,
            "only 409s before the lease ends: {statuses:?}"
        );
        let wait: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(wait * 200)).await;
    };
    assert!(created.headers().get("idempotent-replayed").is_none());

    let replay = post(&server.base).send().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let orders: Value = client
        .get(format!("{}/orders", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(orders.as_array().unwrap().len(), 1);
    server.kill().await;
}
