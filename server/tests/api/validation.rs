//! Bad bodies: a clear problem naming the field, and nothing stored, so the client can fix
//! the body and send it again under the same key.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn bad_bodies_name_the_field_and_leave_the_database_unchanged() {
    let app = spawn_app().await;
    let key = new_key();
    let cases: Vec<(&str, String, u16, &str)> = vec![
        (
            "malformed JSON",
            "{\"userId\":\"u1\",\"items\":[".into(),
            400,
            "items",
        ),
        ("not an object", "[1,2]".into(), 400, "body"),
        (
            "trailing text",
            r#"{"userId":"u1","items":[{"sku":"A","qty":1}]} x"#.into(),
            400,
            "body",
        ),
        (
            "no items",
            json!({"userId":"u1","items":[]}).to_string(),
            400,
            "items",
        ),
        (
            "missing items",
            json!({"userId":"u1"}).to_string(),
            400,
            "items",
        ),
        (
            "qty zero",
            json!({"userId":"u1","items":[{"sku":"A","qty":0}]}).to_string(),
            400,
            "items[0].qty",
        ),
        (
            "qty 100",
            json!({"userId":"u1","items":[{"sku":"A","qty":100}]}).to_string(),
            400,
            "items[0].qty",
        ),
        (
            "qty negative",
            json!({"userId":"u1","items":[{"sku":"A","qty":-1}]}).to_string(),
            400,
            "items[0].qty",
        ),
        (
            "qty huge",
            r#"{"userId":"u1","items":[{"sku":"A","qty":1e400}]}"#.into(),
            400,
            "items[0].qty",
        ),
        (
            "qty a string",
            json!({"userId":"u1","items":[{"sku":"A","qty":"2"}]}).to_string(),
            400,
            "items[0].qty",
        ),
        (
            "blank user",
            json!({"userId":" ","items":[{"sku":"A","qty":1}]}).to_string(),
            400,
            "userId",
        ),
        (
            "blank sku",
            json!({"userId":"u1","items":[{"sku":"","qty":1}]}).to_string(),
            400,
            "items[0].sku",
        ),
        (
            "NUL in the user",
            json!({"userId":"u\u{0}1","items":[{"sku":"A","qty":1}]}).to_string(),
            400,
            "userId",
        ),
        (
            "newline in the user",
            json!({"userId":"u\n1","items":[{"sku":"A","qty":1}]}).to_string(),
            400,
            "userId",
        ),
        (
            "NUL in a sku",
            json!({"userId":"u1","items":[{"sku":"A\u{0}","qty":1}]}).to_string(),
            400,
            "items[0].sku",
        ),
        (
            "DEL in a sku",
            json!({"userId":"u1","items":[{"sku":"A","qty":1},{"sku":"B\u{7f}","qty":1}]})
                .to_string(),
            400,
            "items[1].sku",
        ),
        (
            "unknown field",
            json!({"userId":"u1","items":[{"sku":"A","qty":1}],"coupon":"x"}).to_string(),
            400,
            "coupon",
        ),
        (
            "a field with an empty name",
            r#"{"":null}"#.into(),
            400,
            "body",
        ),
        (
            "an item's field with an empty name",
            r#"{"userId":"u1","items":[{"sku":"A","qty":1,"":0}]}"#.into(),
            400,
            "items[0]",
        ),
        (
            "too many items",
            json!({"userId":"u1","items":vec![json!({"sku":"A","qty":1}); 51]}).to_string(),
            400,
            "items",
        ),
    ];
    for (name, body, status, field) in cases {
        let response = app
            .client
            .post(format!("{}/orders", app.base))
            .header("Idempotency-Key", &key)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let problem = problem(response, status).await;
        assert_eq!(problem["field"], field, "{name}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(field),
            "{name}: {problem}"
        );
        assert!(app.orders().await.is_empty(), "{name} stored an order");
        assert!(app.records().await.is_empty(), "{name} stored a record");
    }

    // Nothing was stored, so the fixed body goes through under the same key.
    let fixed = app
        .post_order(&key, &order_body("u1", "A", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(fixed.status(), 201);
}

#[tokio::test]
async fn wrong_content_type_is_415_and_oversized_bodies_are_413() {
    let app = spawn_app().await;
    let key = new_key();
    let form = app
        .client
        .post(format!("{}/orders", app.base))
        .header("Idempotency-Key", &key)
        .header("Content-Type", "text/plain")
        .body(order_body("u1", "A", 1).to_string())
        .send()
        .await
        .unwrap();
    problem(form, 415).await;

    let huge = json!({"userId":"u1","items":[{"sku":"x".repeat(20_000),"qty":1}]});
    let too_large = app.post_order(&key, &huge).send().await.unwrap();
    let problem = problem(too_large, 413).await;
    assert_eq!(problem["type"], "/problems/body-too-large");

    assert!(app.orders().await.is_empty());
    assert!(app.records().await.is_empty());
}

/// A bad lab header is refused before anything is stored; X-Lab-Operation's problem names it.
#[tokio::test]
async fn bad_lab_headers_are_refused() {
    let app = spawn_app().await;
    let too_long = "a".repeat(65);
    let cases = [
        ("X-Lab-Delay-Ms", "-1", "invalid-lab-delay"),
        ("X-Lab-Delay-Ms", "abc", "invalid-lab-delay"),
        ("X-Lab-Delay-Ms", "10001", "invalid-lab-delay"),
        ("X-Lab-Operation", "", "invalid-lab-operation"),
        ("X-Lab-Operation", "has space", "invalid-lab-operation"),
        ("X-Lab-Operation", "under_score", "invalid-lab-operation"),
        ("X-Lab-Operation", "é", "invalid-lab-operation"),
        (
            "X-Lab-Operation",
            too_long.as_str(),
            "invalid-lab-operation",
        ),
    ];
    for (header, bad, kind) in cases {
        let response = app
            .post_order(&new_key(), &order_body("u1", "A", 1))
            .header(header, bad)
            .send()
            .await
            .unwrap();
        let problem = problem(response, 400).await;
        assert_eq!(problem["type"], format!("/problems/{kind}"), "{bad:?}");
        if header == "X-Lab-Operation" {
            assert_eq!(problem["field"], header, "{bad:?}");
        }
    }
    assert!(app.orders().await.is_empty());
    assert!(app.records().await.is_empty());
}

/// Problems follow the request's language (the lab's cookie, else Accept-Language): the
/// same type, status and field, the words written in Japanese, never a parser's English.
#[tokio::test]
async fn problems_speak_the_requests_language() {
    let app = spawn_app().await;
    let send =
        |body: &'static str, key: Option<&'static str>, language: (&'static str, &'static str)| {
            let mut request = app
                .client
                .post(format!("{}/orders", app.base))
                .header("Content-Type", "application/json")
                .header(language.0, language.1)
                .body(body);
            if let Some(key) = key {
                request = request.header("Idempotency-Key", key);
            }
            request.send()
        };
    let bodies = [
        (r#"{"userId":"u1","items":[]}"#, "items"),
        (
            r#"{"userId":"u\u0000","items":[{"sku":"A","qty":1}]}"#,
            "userId",
        ),
        (
            r#"{"userId":"u1","items":[{"sku":"A","qty":"2"}]}"#,
            "items[0].qty",
        ),
        (
            r#"{"userId":"u1","items":[{"sku":"A","qty":1}],"coupon":1}"#,
            "coupon",
        ),
        (r#"{"":null}"#, "body"),
        (r#"{"userId":"u1""#, "body"),
        (r#"{"userId":"u1","items":[{"sku":"A","qty":1}]} x"#, "body"),
        ("[]", "body"),
    ];
    let japanese = |text: &str| text.chars().any(|c| ('\u{3040}'..='\u{9fff}').contains(&c));
    for (body, field) in bodies {
        for language in [
            ("Accept-Language", "ja,en;q=0.5"),
            ("Cookie", "lab_lang=ja"),
        ] {
            let response = send(body, Some("k-lang"), language).await.unwrap();
            assert_eq!(response.headers()["content-language"], "ja");
            let problem = problem(response, 400).await;
            assert_eq!(problem["type"], "/problems/invalid-body");
            assert_eq!(problem["field"], field, "{body}");
            let (title, detail) = (
                problem["title"].as_str().unwrap(),
                problem["detail"].as_str().unwrap(),
            );
            assert!(japanese(title) && japanese(detail), "{body}: {problem}");
            for english in [
                "invalid", "expected", "missing", "unknown", "line", "column", "EOF",
            ] {
                assert!(
                    !detail.contains(english),
                    "{body}: parser words in {detail}"
                );
            }
        }
    }
    let missing_key = problem(
        send("{}", None, ("Accept-Language", "ja")).await.unwrap(),
        400,
    )
    .await;
    assert_eq!(missing_key["title"], "Idempotency-Key がありません");
    // The cookie the lab sets wins over the browser's languages; English stays the default.
    let english = send("{}", None, ("Cookie", "lab_lang=en")).await.unwrap();
    assert_eq!(english.headers()["content-language"], "en");
    assert_eq!(
        problem(english, 400).await["title"],
        "Idempotency-Key is missing"
    );
    assert!(app.orders().await.is_empty());
}

/// Two answers an outside fuzzer found hard to read: a field with an empty name (the body
/// holding it is at fault, and the detail shows the name quoted), and a query parameter
/// out of range (its own problem type, naming the parameter), in English and in Japanese.
#[tokio::test]
async fn an_empty_field_name_and_a_bad_query_parameter_read_well_in_either_language() {
    let app = spawn_app().await;
    let japanese = |text: &str| text.chars().any(|c| ('\u{3040}'..='\u{9fff}').contains(&c));
    for lang in ["en", "ja"] {
        let empty_name = app
            .client
            .post(format!("{}/orders", app.base))
            .header("Idempotency-Key", new_key())
            .header("Content-Type", "application/json")
            .header("Accept-Language", lang)
            .body(r#"{"": null}"#)
            .send()
            .await
            .unwrap();
        let body_problem = problem(empty_name, 400).await;
        assert_eq!(body_problem["type"], "/problems/invalid-body");
        assert_eq!(body_problem["field"], "body");
        let detail = body_problem["detail"].as_str().unwrap();
        assert!(
            detail.contains(r#""""#),
            "{lang}: the name is shown quoted: {detail}"
        );
        match lang {
            "en" => assert!(
                detail.starts_with(r#"body has a field named """#),
                "{detail}"
            ),
            _ => assert!(japanese(detail) && !detail.contains("unknown"), "{detail}"),
        }

        let bad_query = app
            .client
            .get(format!("{}/orders?limit=87146824262889072", app.base))
            .header("Accept-Language", lang)
            .send()
            .await
            .unwrap();
        assert_eq!(bad_query.headers()["content-language"], lang);
        let query_problem = problem(bad_query, 400).await;
        assert_eq!(query_problem["type"], "/problems/invalid-query");
        assert_eq!(query_problem["field"], "limit");
        let (title, detail) = (
            query_problem["title"].as_str().unwrap(),
            query_problem["detail"].as_str().unwrap(),
        );
        assert!(detail.contains("limit"), "{detail}");
        match lang {
            "en" => {
                assert_eq!(title, "Query parameter is invalid");
                assert!(
                    detail.starts_with("query parameter limit is invalid"),
                    "{detail}"
                );
            }
            _ => {
                assert!(japanese(title) && japanese(detail), "{query_problem}");
                assert!(!detail.contains("number"), "parser words in {detail}");
            }
        }
    }
    assert!(app.orders().await.is_empty());
    assert!(app.records().await.is_empty());
}

/// `undefined` and `null` are what JavaScript sends for a key that was never set: refused in
/// both languages with a type of their own, in the header and in `/lab/expire-key`'s body,
/// so two clients with that bug never share a key (no replay, no 422). A key that merely
/// contains the word is an ordinary key.
#[tokio::test]
async fn a_placeholder_key_is_refused_in_either_language_and_nothing_else_is() {
    let app = spawn_app().await;
    let japanese = |text: &str| text.chars().any(|c| ('\u{3040}'..='\u{9fff}').contains(&c));
    let cases = [
        ("undefined", "A-1", "en"),
        ("undefined", "B-2", "en"),
        ("null", "A-1", "ja"),
        ("\"undefined\"", "A-1", "ja"),
    ];
    for (key, sku, lang) in cases {
        let response = app
            .post_order(key, &order_body("u1", sku, 1))
            .header("Accept-Language", lang)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-language"], lang);
        let problem = problem(response, 400).await;
        assert_eq!(
            problem["type"], "/problems/idempotency-key-placeholder",
            "{key}"
        );
        assert_eq!(problem["field"], "Idempotency-Key");
        let (title, detail) = (
            problem["title"].as_str().unwrap(),
            problem["detail"].as_str().unwrap(),
        );
        assert!(
            detail.contains("undefined") && detail.contains("null"),
            "{detail}"
        );
        match lang {
            "en" => {
                assert_eq!(title, "Idempotency-Key is undefined or null");
                assert!(
                    detail.contains("make the key before the first attempt"),
                    "{detail}"
                );
            }
            _ => {
                assert_eq!(title, "Idempotency-Key が undefined または null です");
                assert!(japanese(detail), "{detail}");
                assert!(detail.contains("最初の送信の前にキーを作り"), "{detail}");
            }
        }
    }
    assert!(app.orders().await.is_empty());
    assert!(app.records().await.is_empty());

    for lang in ["en", "ja"] {
        let expire = app
            .client
            .post(format!("{}/lab/expire-key", app.base))
            .header("Accept-Language", lang)
            .json(&json!({ "userId": "u1", "idempotencyKey": "NULL" }))
            .send()
            .await
            .unwrap();
        let problem = problem(expire, 400).await;
        assert_eq!(problem["type"], "/problems/idempotency-key-placeholder");
        assert_eq!(problem["field"], "idempotencyKey");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("idempotencyKey"), "{detail}");
        assert_eq!(japanese(detail), lang == "ja", "{detail}");
    }

    for ordinary in ["undefined-1", "nullable", "None"] {
        let response = app
            .post_order(ordinary, &order_body("u1", "A-1", 1))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{ordinary}");
    }
}
