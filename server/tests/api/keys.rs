//! The Idempotency-Key header: required, one of it, 1–255 visible ASCII, quoted or bare.

use crate::helpers::*;

#[tokio::test]
async fn a_missing_key_is_400_and_stores_nothing() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/orders", app.base))
        .json(&order_body("u1", "A-1", 1))
        .send()
        .await
        .unwrap();
    let problem = problem(response, 400).await;
    assert_eq!(problem["type"], "/problems/idempotency-key-missing");
    assert_eq!(problem["title"], "Idempotency-Key is missing");
    assert!(app.orders().await.is_empty());
}

#[tokio::test]
async fn malformed_keys_are_400() {
    let app = spawn_app().await;
    let too_long = "k".repeat(256);
    for bad in [
        "",
        "\"\"",
        "has space",
        "\"unterminated",
        "\"a\"tail",
        r#""bad\escape""#,
        too_long.as_str(),
    ] {
        let response = app
            .post_order(bad, &order_body("u1", "A-1", 1))
            .send()
            .await
            .unwrap();
        let problem = problem(response, 400).await;
        assert_eq!(
            problem["type"], "/problems/idempotency-key-malformed",
            "key {bad:?}"
        );
    }
    let non_ascii = app
        .client
        .post(format!("{}/orders", app.base))
        .header(
            "Idempotency-Key",
            reqwest::header::HeaderValue::from_bytes("clé".as_bytes()).unwrap(),
        )
        .json(&order_body("u1", "A-1", 1))
        .send()
        .await
        .unwrap();
    problem(non_ascii, 400).await;
    assert!(app.orders().await.is_empty());
    assert!(app.records().await.is_empty());
}

#[tokio::test]
async fn several_key_headers_are_400() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/orders", app.base))
        .header("Idempotency-Key", "one")
        .header("Idempotency-Key", "two")
        .json(&order_body("u1", "A-1", 1))
        .send()
        .await
        .unwrap();
    let problem = problem(response, 400).await;
    assert_eq!(problem["type"], "/problems/idempotency-key-repeated");
}

#[tokio::test]
async fn the_quoted_ietf_form_and_the_bare_form_are_one_key() {
    let app = spawn_app().await;
    let key = new_key();
    let body = order_body("u1", "A-1", 1);
    let bare = app.post_order(&key, &body).send().await.unwrap();
    assert_eq!(bare.status(), 201);
    let quoted = app
        .post_order(&format!("\"{key}\""), &body)
        .send()
        .await
        .unwrap();
    assert_eq!(quoted.status(), 201);
    assert_eq!(quoted.headers()["idempotent-replayed"], "true");

    let escaped = app.post_order(r#""a\"b""#, &body).send().await.unwrap();
    assert_eq!(escaped.status(), 201);
    let order: serde_json::Value = escaped.json().await.unwrap();
    assert_eq!(order["idempotencyKey"], r#"a"b"#);
    assert_eq!(app.orders().await.len(), 2);
}
