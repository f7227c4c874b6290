//! PostgreSQL over TLS. The test cluster (`server/scripts/postgres.sh`) refuses the role
//! `lab_tls` on any connection without TLS, so an order placed as `lab_tls` proves that
//! `sslmode=require` encrypts; `verify-full` with the cluster's certificate proves rustls
//! checks whom it talks to.

use server::config::Config;

use crate::helpers::*;

#[tokio::test]
async fn a_server_on_postgres_over_tls_takes_and_replays_an_order() {
    if backend() != "postgres" {
        return;
    }
    let database = temp_database().await;
    let tls_only = database.url.replacen("://lab@", "://lab_tls@", 1);
    assert_ne!(tls_only, database.url, "the cluster's role is lab");

    let plain = Config::with_database(&format!("{tls_only}?sslmode=disable"));
    let refused = server::AppState::open(&plain).await.err();
    let refused = refused.expect("lab_tls is refused without TLS").to_string();
    assert!(refused.contains("no encryption"), "{refused}");

    let certificate = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/postgres/ca.crt");
    for mode in [
        "sslmode=require".to_owned(),
        format!("sslmode=verify-full&sslrootcert={certificate}"),
    ] {
        let url = format!("{tls_only}?{mode}");
        let app = spawn_app_with(|config| config.database_url = url).await;
        let health = app.get_json("/health").await;
        assert_eq!(health["backend"], "postgres", "{mode}");
        let key = new_key();
        let body = order_body("tls", "sku-1", 1);
        let first = app.post_order(&key, &body).send().await.unwrap();
        assert_eq!(first.status(), 201, "{mode}");
        let again = app.post_order(&key, &body).send().await.unwrap();
        assert_eq!(again.headers()["idempotent-replayed"], "true", "{mode}");
    }
}
