//! The page and the small endpoints around the API.

use crate::helpers::*;

#[tokio::test]
async fn health_answers_when_the_database_does() {
    let app = spawn_app().await;
    let health = app.get_json("/health").await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], "ok");
    assert_eq!(health["backend"], backend());
    // The expiry policy, which the page states beside the records.
    assert_eq!(health["recordTtlSecs"], 24 * 3600);
    assert_eq!(health["issuedKeyTtlSecs"], 600);
    assert_eq!(health["leaseSecs"], 30);
}

#[tokio::test]
async fn the_lab_page_is_rendered_on_the_server() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(format!("{}/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("Idempotency keys lab"), "{html}");
    assert!(
        html.contains("/pkg/idempotency_lab.js"),
        "the page loads the WASM bundle"
    );
}

#[tokio::test]
async fn responses_carry_security_headers_and_the_page_a_nonced_script_policy() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(format!("{}/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    let html = page.text().await.unwrap();
    let nonce = html
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("the page's policy names a nonce");
    assert!(html.contains("'wasm-unsafe-eval'"));
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );

    let api = app
        .client
        .get(format!("{}/orders", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
}
