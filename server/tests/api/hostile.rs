//! Malformed and hostile requests, each with the status and problem type it must get, and
//! the database checked unchanged after every refusal.

use proptest::prelude::*;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{json, Value};

use crate::helpers::*;

/// One hostile request: its headers (key, content type, …) and raw body.
struct Case {
    name: &'static str,
    keys: Vec<HeaderValue>,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    problem: Option<&'static str>,
}

fn valid_body() -> Vec<u8> {
    order_body("u1", "A-1", 1).to_string().into_bytes()
}

fn case(name: &'static str, key: &[u8], body: Vec<u8>, status: u16, problem: &'static str) -> Case {
    Case {
        name,
        keys: vec![HeaderValue::from_bytes(key).unwrap()],
        content_type: Some("application/json"),
        body,
        status,
        problem: Some(problem),
    }
}

fn cases() -> Vec<Case> {
    let deep = format!(
        r#"{{"userId":"u1","items":{}{}}}"#,
        "[".repeat(2000),
        "]".repeat(2000)
    );
    let many_items = json!({"userId":"u1","items": vec![json!({"sku":"A","qty":1}); 10_000]});
    let ten_megabytes = format!(
        r#"{{"userId":"{}","items":[]}}"#,
        "x".repeat(10 * 1024 * 1024)
    );
    vec![
        Case {
            keys: vec![],
            ..case("no key", b"-", valid_body(), 400, "idempotency-key-missing")
        },
        case(
            "empty key",
            b"",
            valid_body(),
            400,
            "idempotency-key-malformed",
        ),
        case(
            "empty quoted key",
            b"\"\"",
            valid_body(),
            400,
            "idempotency-key-malformed",
        ),
        case(
            "overlong key",
            &[b'k'; 256],
            valid_body(),
            400,
            "idempotency-key-malformed",
        ),
        case(
            "non-ASCII key",
            "clé-ключ".as_bytes(),
            valid_body(),
            400,
            "idempotency-key-malformed",
        ),
        case(
            "tab in key",
            b"a\tb",
            valid_body(),
            400,
            "idempotency-key-malformed",
        ),
        case(
            "space in key",
            b"a b",
            valid_body(),
            400,
            "idempotency-key-malformed",
        ),
        case(
            "bad escape in quoted key",
            br#""a\nb""#,
            valid_body(),
            400,
            "idempotency-key-malformed",
        ),
        case(
            "unterminated quoted key",
            br#""abc"#,
            valid_body(),
            400,
            "idempotency-key-malformed",
        ),
        // What JavaScript's fetch sends for a key variable that was never set.
        case(
            "undefined key",
            b"undefined",
            valid_body(),
            400,
            "idempotency-key-placeholder",
        ),
        case(
            "null key",
            b"null",
            valid_body(),
            400,
            "idempotency-key-placeholder",
        ),
        case(
            "quoted undefined key",
            b"\"undefined\"",
            valid_body(),
            400,
            "idempotency-key-placeholder",
        ),
        case(
            "NULL key in capitals",
            b"NULL",
            valid_body(),
            400,
            "idempotency-key-placeholder",
        ),
        Case {
            keys: vec![
                HeaderValue::from_static("one"),
                HeaderValue::from_static("two"),
            ],
            ..case(
                "several keys",
                b"-",
                valid_body(),
                400,
                "idempotency-key-repeated",
            )
        },
        Case {
            content_type: Some("text/plain"),
            ..case(
                "text/plain",
                b"k1",
                valid_body(),
                415,
                "unsupported-media-type",
            )
        },
        Case {
            content_type: None,
            ..case(
                "no content type",
                b"k1",
                valid_body(),
                415,
                "unsupported-media-type",
            )
        },
        Case {
            content_type: Some("application/x-www-form-urlencoded"),
            ..case(
                "form body",
                b"k1",
                b"userId=u1".to_vec(),
                415,
                "unsupported-media-type",
            )
        },
        case("empty body", b"k1", vec![], 400, "invalid-body"),
        case(
            "malformed JSON",
            b"k1",
            b"{\"userId\":".to_vec(),
            400,
            "invalid-body",
        ),
        case(
            "truncated JSON",
            b"k1",
            valid_body()[..20].to_vec(),
            400,
            "invalid-body",
        ),
        case("not JSON", b"k1", b"<order/>".to_vec(), 400, "invalid-body"),
        case(
            "deep nesting",
            b"k1",
            deep.into_bytes(),
            400,
            "invalid-body",
        ),
        case(
            "huge quantity",
            b"k1",
            br#"{"userId":"u1","items":[{"sku":"A","qty":99999999999999999999999}]}"#.to_vec(),
            400,
            "invalid-body",
        ),
        case(
            "float quantity",
            b"k1",
            br#"{"userId":"u1","items":[{"sku":"A","qty":1.5}]}"#.to_vec(),
            400,
            "invalid-body",
        ),
        case(
            "negative quantity",
            b"k1",
            br#"{"userId":"u1","items":[{"sku":"A","qty":-3}]}"#.to_vec(),
            400,
            "invalid-body",
        ),
        case(
            "zero quantity",
            b"k1",
            br#"{"userId":"u1","items":[{"sku":"A","qty":0}]}"#.to_vec(),
            400,
            "invalid-body",
        ),
        case(
            "null user",
            b"k1",
            br#"{"userId":null,"items":[{"sku":"A","qty":1}]}"#.to_vec(),
            400,
            "invalid-body",
        ),
        case(
            "duplicate field",
            b"k1",
            br#"{"userId":"a","userId":"b","items":[{"sku":"A","qty":1}]}"#.to_vec(),
            400,
            "invalid-body",
        ),
        case(
            "unknown field",
            b"k1",
            br#"{"userId":"u1","items":[{"sku":"A","qty":1,"price":0}]}"#.to_vec(),
            400,
            "invalid-body",
        ),
        case(
            "empty-named field",
            b"k1",
            br#"{"":null}"#.to_vec(),
            400,
            "invalid-body",
        ),
        case(
            "empty-named field in an item",
            b"k1",
            br#"{"userId":"u1","items":[{"sku":"A","qty":1,"":0}]}"#.to_vec(),
            400,
            "invalid-body",
        ),
        case(
            "overlong user",
            b"k1",
            json!({"userId":"u".repeat(65),"items":[{"sku":"A","qty":1}]})
                .to_string()
                .into_bytes(),
            400,
            "invalid-body",
        ),
        case(
            "10 000 items",
            b"k1",
            many_items.to_string().into_bytes(),
            413,
            "body-too-large",
        ),
        case(
            "10 MB body",
            b"k1",
            ten_megabytes.into_bytes(),
            413,
            "body-too-large",
        ),
    ]
}

#[tokio::test]
async fn hostile_requests_get_their_defined_problem_and_change_nothing() {
    let app = spawn_app().await;
    for case in cases() {
        let mut headers = HeaderMap::new();
        for key in &case.keys {
            headers.append("Idempotency-Key", key.clone());
        }
        if let Some(content_type) = case.content_type {
            headers.insert("Content-Type", HeaderValue::from_static(content_type));
        }
        let response = app
            .client
            .post(format!("{}/orders", app.base))
            .headers(headers)
            .body(case.body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(response.status(), case.status, "{}", case.name);
        if let Some(kind) = case.problem {
            let problem = problem(response, case.status).await;
            assert_eq!(
                problem["type"],
                format!("/problems/{kind}"),
                "{}: {problem}",
                case.name
            );
        }
        assert!(
            app.orders().await.is_empty(),
            "{} stored an order",
            case.name
        );
        assert!(
            app.records().await.is_empty(),
            "{} stored a record",
            case.name
        );
    }
}

/// Hostile query strings on the list endpoints: each is `invalid-query` naming the parameter
/// at fault (or the query as a whole, when its name cannot be read).
#[tokio::test]
async fn hostile_queries_get_invalid_query_naming_the_parameter() {
    let app = spawn_app().await;
    let cases = [
        ("limit=87146824262889072", "limit"),
        ("limit=65536", "limit"),
        ("limit=-1", "limit"),
        ("limit=1.5", "limit"),
        ("limit=abc", "limit"),
        ("limit=", "limit"),
        ("limit=1&limit=2", "limit"),
        ("coupon=1", "coupon"),
        ("userId=u1&=1", "query"),
        ("%00=1", "query"),
    ];
    for path in ["/orders", "/idempotency-records"] {
        for (query, field) in cases {
            let response = app
                .client
                .get(format!("{}{path}?{query}", app.base))
                .send()
                .await
                .unwrap();
            let problem = problem(response, 400).await;
            assert_eq!(
                problem["type"], "/problems/invalid-query",
                "{path}?{query}: {problem}"
            );
            assert_eq!(problem["field"], field, "{path}?{query}: {problem}");
            let detail = problem["detail"].as_str().unwrap();
            assert!(
                detail.contains(field) && detail.contains("query"),
                "{path}?{query}: {detail}"
            );
        }
    }
}

#[tokio::test]
async fn sql_and_html_in_strings_are_stored_and_returned_verbatim() {
    let app = spawn_app().await;
    let user = "'; DROP TABLE orders; --";
    let sku = "<img src=x onerror=alert(1)>";
    let created = app
        .post_order(r#""a\"b\\c""#, &order_body(user, sku, 1))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let order: Value = created.json().await.unwrap();
    assert_eq!(order["userId"], user);
    assert_eq!(order["items"][0]["sku"], sku);
    assert_eq!(order["idempotencyKey"], r#"a"b\c"#);
    let listed = app.orders().await;
    assert_eq!(listed, vec![order]);
}

fn key_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[!-~]{1,40}",
        "[ -~]{0,300}",
        "\"[!-~]{0,20}\"",
        any::<String>().prop_map(|s| s.chars().take(30).collect()),
    ]
}

/// Printable text, or text with a control character in it: NUL most often, since it is the
/// one a database may refuse to store.
fn text_strategy(max: usize) -> impl Strategy<Value = String> {
    let control = prop_oneof![
        4 => Just('\u{0}'),
        2 => (1u8..0x20).prop_map(char::from),
        1 => Just('\u{7f}'),
    ];
    let printable =
        || proptest::string::string_regex(&format!("[ -~]{{0,{max}}}")).expect("a valid regex");
    prop_oneof![
        printable(),
        (printable(), control, printable())
            .prop_map(|(head, control, tail)| format!("{head}{control}{tail}")),
    ]
}

fn body_strategy() -> impl Strategy<Value = String> {
    let item =
        (text_strategy(20), 0u32..120).prop_map(|(sku, qty)| json!({"sku": sku, "qty": qty}));
    prop_oneof![
        (text_strategy(35), proptest::collection::vec(item, 0..4))
            .prop_map(|(user, items)| json!({"userId": user, "items": items}).to_string()),
        "\\PC{0,80}",
    ]
}

/// Any key and body either get a defined 4xx (and store nothing) or are stored and replayed
/// exactly.
#[test]
fn any_key_and_body_get_a_defined_refusal_or_an_exact_replay() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = runtime.block_on(spawn_app());
    let config = ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(key in key_strategy(), body in body_strategy())| {
        runtime.block_on(async {
            let Ok(key_header) = HeaderValue::from_str(&key) else { return };
            let send = || app
                .client
                .post(format!("{}/orders", app.base))
                .header("Idempotency-Key", key_header.clone())
                .header("Content-Type", "application/json")
                .body(body.clone())
                .send();
            let first = send().await.unwrap();
            let status = first.status().as_u16();
            match status {
                201 => {
                    let first_bytes = first.bytes().await.unwrap();
                    let again = send().await.unwrap();
                    assert_eq!(again.status(), 201);
                    assert_eq!(again.headers()["idempotent-replayed"], "true");
                    assert_eq!(again.bytes().await.unwrap(), first_bytes);
                }
                400 | 413 | 415 | 422 => {
                    let problem = problem(first, status).await;
                    assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
                }
                other => panic!("undefined answer {other} for key {key:?} body {body:?}"),
            }
        });
    });
}
