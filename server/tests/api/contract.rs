//! The published contract, `GET /openapi.json`: every route is in it, and what it promises
//! matches what the server checks. (Schemathesis then holds the live server to it, in
//! `server/tests/e2e/contract.test.mjs`.)

use app::api::{MAX_ITEMS, MAX_QTY, MAX_SKU_LEN, MAX_USER_ID_LEN};
use serde_json::Value;

use crate::helpers::*;

/// Every operation the API router serves, as `method path`.
const OPERATIONS: &[&str] = &[
    "post /orders",
    "get /orders",
    "post /orders/prepare",
    "get /orders/{id}",
    "get /idempotency-records",
    "get /health",
    "get /events",
    "get /metrics",
    "get /openapi.json",
    "get /problems/{slug}",
    "post /lab/reset",
    "post /lab/expire-key",
];

async fn document(app: &TestApp) -> Value {
    let response = app
        .client
        .get(format!("{}/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.unwrap()
}

fn operations(doc: &Value) -> Vec<String> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            found.push(format!("{method} {path}"));
        }
    }
    found.sort();
    found
}

#[tokio::test]
async fn every_route_is_an_operation_of_the_openapi_document_and_answers() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let mut expected: Vec<String> = OPERATIONS.iter().map(|op| op.to_string()).collect();
    expected.sort();
    assert_eq!(operations(&doc), expected);

    // Each is routed: the answer is the operation's own, never "no such path" or "method".
    for operation in OPERATIONS {
        let (method, path) = operation.split_once(' ').unwrap();
        let url = format!("{}{}", app.base, path.replace("{id}", "no-such-order"))
            .replace("{slug}", "not-found");
        let request = match method {
            "get" => app.client.get(url),
            _ => app.client.post(url),
        };
        let response = request.send().await.unwrap();
        assert_ne!(response.status(), 405, "{operation}");
        if path == "/events" {
            // An endless stream: its head says what it is.
            assert_eq!(response.headers()["content-type"], "text/event-stream");
            continue;
        }
        let text = response.text().await.unwrap();
        assert!(!text.contains("this API path"), "{operation}: {text}");
    }
}

#[tokio::test]
async fn the_document_states_the_key_header_the_replay_and_retry_headers_and_each_problem() {
    let app = spawn_app_with(|config| config.max_lab_delay_ms = 250).await;
    let doc = document(&app).await;
    let create = &doc["paths"]["/orders"]["post"];
    let header = |name: &str| {
        create["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name && p["in"] == "header")
            .unwrap_or_else(|| panic!("no {name} header"))
            .clone()
    };
    let key = header("Idempotency-Key");
    assert_eq!(key["required"], true);
    assert!(key["schema"]["pattern"].as_str().unwrap().contains("255"));
    // The delay's limit is this server's, not the lab's default, and it holds.
    assert_eq!(header("X-Lab-Delay-Ms")["schema"]["maximum"], 250);
    let too_long = app
        .post_order(&new_key(), &order_body("contract", "sku-1", 1))
        .header("X-Lab-Delay-Ms", "251")
        .send()
        .await
        .unwrap();
    assert_eq!(too_long.status(), 400);
    let problem: Value = too_long.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/invalid-lab-delay");

    let responses = &create["responses"];
    assert!(responses["201"]["headers"]["Idempotent-Replayed"].is_object());
    assert!(responses["201"]["headers"]["Location"].is_object());
    assert_eq!(responses["409"]["headers"]["Retry-After"]["required"], true);
    let types = |status: &str| {
        responses[status]["content"]["application/problem+json"]["schema"]["properties"]["type"]
            ["enum"]
            .clone()
    };
    assert_eq!(
        types("422"),
        serde_json::json!(["/problems/idempotency-key-reused"])
    );
    assert_eq!(
        types("409"),
        serde_json::json!(["/problems/request-in-flight"])
    );
    let bad_request = types("400").to_string();
    assert!(bad_request.contains("/problems/idempotency-key-missing"));
    assert!(bad_request.contains("/problems/invalid-body"));
    assert!(!bad_request.contains("/problems/invalid-query"));

    // Both places a key is sent leave out `undefined` and `null` (what JavaScript sends for a
    // key never set), in any letter case, and list their own problem for them.
    // (`contract.test.mjs` runs the pattern in an ECMA-262 engine against the server.)
    let placeholders = "[Uu][Nn][Dd][Ee][Ff][Ii][Nn][Ee][Dd]|[Nn][Uu][Ll][Ll]";
    let expire_key = &doc["components"]["schemas"]["ExpireKeyRequest"]["properties"];
    for pattern in [
        &key["schema"]["pattern"],
        &expire_key["idempotencyKey"]["pattern"],
    ] {
        assert!(
            pattern.as_str().unwrap().contains(placeholders),
            "{pattern}"
        );
    }
    assert!(bad_request.contains("/problems/idempotency-key-placeholder"));
    let expire_problems = doc["paths"]["/lab/expire-key"]["post"]["responses"]["400"]["content"]
        ["application/problem+json"]["schema"]["properties"]["type"]["enum"]
        .to_string();
    assert!(expire_problems.contains("/problems/idempotency-key-placeholder"));

    // The list operations read a query, not a body: a bad one is their only 400.
    for path in ["/orders", "/idempotency-records"] {
        let list = &doc["paths"][path]["get"]["responses"]["400"]["content"]
            ["application/problem+json"]["schema"]["properties"]["type"]["enum"];
        assert_eq!(
            *list,
            serde_json::json!(["/problems/invalid-query"]),
            "GET {path}"
        );
    }

    // The limits are the ones the server enforces.
    let schemas = &doc["components"]["schemas"];
    let order = &schemas["CreateOrderRequest"]["properties"];
    assert_eq!(order["userId"]["maxLength"], MAX_USER_ID_LEN);
    assert_eq!(order["items"]["maxItems"], MAX_ITEMS);
    let item = &schemas["OrderItem"]["properties"];
    assert_eq!(item["sku"]["maxLength"], MAX_SKU_LEN);
    assert_eq!(item["qty"]["maximum"], MAX_QTY);
}

/// Every problem the document names has its page, with the status it is listed under.
#[tokio::test]
async fn every_problem_type_in_the_document_resolves_with_its_status() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                let Some(schema) = response["content"]["application/problem+json"].get("schema")
                else {
                    continue;
                };
                assert_eq!(schema["properties"]["status"]["const"].to_string(), *status);
                for kind in schema["properties"]["type"]["enum"].as_array().unwrap() {
                    let page = app
                        .client
                        .get(format!("{}{}", app.base, kind.as_str().unwrap()))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(page.status(), 200, "{method} {path}: {kind}");
                    let text = page.text().await.unwrap();
                    assert!(text.contains(&format!("HTTP status {status}")), "{kind}");
                }
            }
        }
    }
}
