//! The page and the small endpoints around the API.

use crate::helpers::*;

#[tokio::test]
async fn health_answers_when_the_database_does() {
    let app = spawn_app().await;
    let health = app.get_json("/health").await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], "ok");
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
