//! What an operator sees of the running server: one log line per request.

use std::time::Duration;

use reqwest::Client;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::helpers::*;

/// The `answered` lines the server has logged, once `count` of them have arrived.
async fn answered(logs: &mut mpsc::UnboundedReceiver<String>, count: usize) -> Vec<Value> {
    let mut lines = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while lines.len() < count {
            let line = logs.recv().await.expect("the server is running");
            let parsed: Value = serde_json::from_str(&line)
                .unwrap_or_else(|_| panic!("a log line is one JSON object: {line}"));
            if parsed["message"] == "answered" {
                lines.push(parsed);
            }
        }
    })
    .await
    .expect("every request is logged");
    lines
}

#[tokio::test]
async fn each_request_is_one_line_with_its_id_its_outcome_and_only_a_prefix_of_its_key() {
    let database = temp_database().await;
    let (sender, mut logs) = mpsc::unbounded_channel();
    let server = start_process_logging(&database.url, &[], Some(sender)).await;
    let client = Client::new();
    let key = new_key();
    let body = order_body("operator", "sku-1", 1);

    let created = post_order_to(&client, &server.base, &key, &body)
        .header("x-request-id", "trace-me-1")
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(
        created.headers()["x-request-id"],
        "trace-me-1",
        "the id given is echoed"
    );
    let replayed = post_order_to(&client, &server.base, &key, &body)
        .send()
        .await
        .unwrap();
    let made_id = replayed.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        uuid::Uuid::parse_str(&made_id).is_ok(),
        "an id is made when none is given: {made_id}"
    );
    let other_body = order_body("operator", "sku-2", 1);
    let mismatch = post_order_to(&client, &server.base, &key, &other_body)
        .send()
        .await
        .unwrap();
    assert_eq!(mismatch.status(), 422);
    let keyless = client
        .post(format!("{}/orders", server.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(keyless.status(), 400);
    let page = client
        .get(format!("{}/lesson/2", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);

    let lines = answered(&mut logs, 5).await;
    let expected = [
        ("POST", "/orders", 201, Some("created")),
        ("POST", "/orders", 201, Some("replayed")),
        ("POST", "/orders", 422, Some("mismatch")),
        ("POST", "/orders", 400, Some("invalid")),
        ("GET", "/lesson/2", 200, None),
    ];
    for (line, (method, path, status, outcome)) in lines.iter().zip(expected) {
        let span = &line["span"];
        assert_eq!(span["method"], method, "{line}");
        assert_eq!(span["path"], path, "{line}");
        assert_eq!(line["status"], status, "{line}");
        assert_eq!(line["outcome"].as_str(), outcome, "{line}");
        assert!(line["latency_ms"].as_f64().is_some(), "{line}");
    }
    assert_eq!(lines[0]["span"]["id"], "trace-me-1");
    assert_eq!(lines[1]["span"]["id"], made_id.as_str());
    for line in &lines[..3] {
        assert_eq!(
            line["span"]["key"],
            &key[..8],
            "the key's first characters: {line}"
        );
    }
    assert!(lines[3]["span"]["key"].is_null(), "no key, no key field");
    let all = lines.iter().map(Value::to_string).collect::<String>();
    assert!(!all.contains(&key), "the whole key is never logged");
    server.kill().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_time_the_writer() {
    let app = spawn_app().await;
    let by_id = [("route", "/orders/{id}"), ("method", "GET")];
    let before = app.metric("http_requests_total", &by_id).await;
    let created = app
        .post_order(&new_key(), &order_body("metrics", "M-1", 1))
        .send()
        .await
        .unwrap();
    let location = created.headers()["location"].to_str().unwrap().to_string();
    let order = app
        .client
        .get(format!("{}{location}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(order.status(), 200);
    assert!(app.metric("http_requests_total", &by_id).await > before);

    let scrape = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert!(scrape.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = scrape.text().await.unwrap();
    assert!(
        !text.contains(&location),
        "an order's own path is never a label"
    );
    assert!(text.contains("# TYPE http_request_duration_seconds histogram"));
    if backend() == "sqlite" {
        assert!(app.metric("sqlite_writer_batch_size_count", &[]).await >= 1.0);
        assert!(text.contains("sqlite_writer_commit_seconds_bucket{le=\"0.001\"}"));
    }
}
