//! Server-issued keys: `POST /orders/prepare`, then the order under the issued key.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;

async fn prepare(app: &TestApp) -> String {
    prepare_key(&app.client, &app.base).await
}

/// The whole answer of `POST /orders/prepare`.
async fn prepared(app: &TestApp) -> Value {
    let response = app
        .client
        .post(format!("{}/orders/prepare", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

#[tokio::test]
async fn an_issued_key_places_one_order_and_prepare_is_safe_to_repeat() {
    let app = spawn_app().await;
    let first = prepared(&app).await;
    let second = prepared(&app).await;
    let key = first["idempotencyKey"].as_str().unwrap();
    assert!(key.starts_with("srv_"));
    assert_ne!(first["idempotencyKey"], second["idempotencyKey"]);
    assert!(first["expiresAt"].as_str().unwrap().ends_with('Z'));
    // Unused issued keys cost nothing: no record, no order.
    assert!(app.records().await.is_empty());

    let body = order_body("u1", "A-1", 1);
    assert_eq!(
        app.post_order(key, &body).send().await.unwrap().status(),
        201
    );
    let retry = app.post_order(key, &body).send().await.unwrap();
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(app.orders().await.len(), 1);
}

/// `key` with its character at `index` changed to another hex digit.
fn altered_at(key: &str, index: usize) -> String {
    let mut altered = key.to_owned();
    let other = if &key[index..=index] == "0" { "1" } else { "0" };
    altered.replace_range(index..=index, other);
    altered
}

/// Forged, or issued and then altered: in its signature, or in its random part (which the
/// signature covers). Either way the same 400, and no order.
#[tokio::test]
async fn a_forged_or_altered_issued_key_is_refused() {
    let app = spawn_app().await;
    let issued = prepare(&app).await;
    // srv_<expiry>_<random>_<signature>: the random part starts after the second `_`.
    let random_starts = issued.match_indices('_').nth(1).unwrap().0 + 1;
    let altered_signature = altered_at(&issued, issued.len() - 1);
    let altered_random = altered_at(&issued, random_starts + 5);
    for forged in [
        "srv_1_2_3",
        altered_signature.as_str(),
        altered_random.as_str(),
    ] {
        let response = app
            .post_order(forged, &order_body("u1", "A-1", 1))
            .send()
            .await
            .unwrap();
        let problem = problem(response, 400).await;
        assert_eq!(problem["type"], "/problems/issued-key-invalid");
    }
    assert!(app.orders().await.is_empty());
}

#[tokio::test]
async fn an_expired_issued_key_cannot_start_an_order_but_still_replays_one() {
    let app = spawn_app_with(|c| c.issued_key_ttl = Duration::from_millis(300)).await;
    let used = prepare(&app).await;
    let unused = prepare(&app).await;
    let body = order_body("u1", "A-1", 1);
    assert_eq!(
        app.post_order(&used, &body).send().await.unwrap().status(),
        201
    );
    tokio::time::sleep(Duration::from_millis(400)).await;

    let late = app.post_order(&unused, &body).send().await.unwrap();
    let problem = problem(late, 400).await;
    assert_eq!(problem["type"], "/problems/issued-key-expired");

    let late_retry = app.post_order(&used, &body).send().await.unwrap();
    assert_eq!(late_retry.status(), 201);
    assert_eq!(late_retry.headers()["idempotent-replayed"], "true");
    assert_eq!(app.orders().await.len(), 1);
}

/// The lab can ask for a key that expired before use: genuinely issued (not a forgery), so the
/// server answers it with the expired-key problem, and places no order.
#[tokio::test]
async fn the_labs_expired_issued_key_is_refused_as_expired_not_forged() {
    let app = spawn_app().await;
    let response = app.prepare_issue("expired").await;
    assert_eq!(response.status(), 201);
    let prepared: Value = response.json().await.unwrap();
    let now = server::time::rfc3339(app.state.storage.now_ms());
    assert!(
        prepared["expiresAt"].as_str().unwrap() < now.as_str(),
        "{prepared}"
    );
    let key = prepared["idempotencyKey"].as_str().unwrap();
    assert!(key.starts_with("srv_"));

    let refused = app
        .post_order(key, &order_body("u1", "A-1", 1))
        .send()
        .await
        .unwrap();
    let problem = problem(refused, 400).await;
    assert_eq!(problem["type"], "/problems/issued-key-expired");
    assert!(app.orders().await.is_empty());
    assert!(app.records().await.is_empty());
}

#[tokio::test]
async fn x_lab_issue_takes_only_expired() {
    let app = spawn_app().await;
    for bad in ["soon", "Expired", "expired, valid", ""] {
        let problem = problem(app.prepare_issue(bad).await, 400).await;
        assert_eq!(problem["type"], "/problems/invalid-lab-issue", "{bad:?}");
        assert_eq!(problem["field"], "X-Lab-Issue");
    }
}

#[tokio::test]
async fn issued_keys_survive_a_restart() {
    let database = temp_database().await;
    let url = database.url.clone();
    let first = start_process(&url, &[]).await;
    let client = reqwest::Client::new();
    let issued = prepare_key(&client, &first.base).await;
    first.kill().await;

    let second = start_process(&url, &[]).await;
    let response = post_order_to(&client, &second.base, &issued, &order_body("u1", "A-1", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        201,
        "the signing secret lives in the database"
    );
}

#[tokio::test]
async fn a_prepare_failing_on_purpose_issues_nothing_and_the_retry_works() {
    let app = spawn_app().await;
    let failed = app
        .client
        .post(format!("{}/orders/prepare", app.base))
        .header("X-Lab-Fail", "prepare")
        .send()
        .await
        .unwrap();
    let problem = problem(failed, 503).await;
    assert_eq!(problem["type"], "/problems/lab-failure");
    let key = prepare(&app).await;
    assert_eq!(
        app.post_order(&key, &order_body("u1", "A-1", 1))
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    assert_eq!(app.orders().await.len(), 1);
}

/// One prepared key, one spelling: quoted and bare are the same key (a replay), any other
/// change, letter case included, is refused, so a key can never start a second order.
#[tokio::test]
async fn a_prepared_key_has_one_spelling() {
    let app = spawn_app().await;
    let key = prepare(&app).await;
    let body = order_body("u1", "A-1", 1);
    assert_eq!(
        app.post_order(&key, &body).send().await.unwrap().status(),
        201
    );
    let quoted = app
        .post_order(&format!("\"{key}\""), &body)
        .send()
        .await
        .unwrap();
    assert_eq!(quoted.headers()["idempotent-replayed"], "true");

    let (head, signature) = key.rsplit_once('_').unwrap();
    for spelling in [
        format!("{head}_{}", signature.to_ascii_uppercase()),
        format!("SRV_{}", &key[4..]),
        format!("Srv_{}", &key[4..]),
    ] {
        let response = app.post_order(&spelling, &body).send().await.unwrap();
        let problem = problem(response, 400).await;
        assert_eq!(
            problem["type"], "/problems/issued-key-invalid",
            "{spelling}"
        );
    }
    assert_eq!(app.orders().await.len(), 1);
}

/// An issued key must die before its record: the server refuses a record TTL shorter than
/// the issued-key TTL, which would let a still-valid key start the operation again.
#[tokio::test]
async fn a_record_ttl_shorter_than_the_issued_key_ttl_is_refused_at_start() {
    let database = temp_database().await;
    let mut config = server::config::Config::with_database(&database.url);
    config.record_ttl = Duration::from_secs(60);
    config.issued_key_ttl = Duration::from_secs(600);
    let refused = server::AppState::open(&config)
        .await
        .err()
        .expect("refused");
    assert!(refused.to_string().contains("ISSUED_KEY_TTL"), "{refused}");
}
