//! `GET /events`: a change to a learner's orders or records is announced once it is stored,
//! a learner can ask for their own changes only, and the stream ends when the server stops.

use std::time::Duration;

use reqwest::Response;
use serde_json::Value;

use crate::helpers::*;

/// The announcements of `GET /events{query}`, as they arrive.
async fn listen(base: &str, query: &str) -> Response {
    let response = reqwest::get(format!("{base}/events{query}")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    response
}

/// The data of the next `tables-changed` event (keep-alive comments are skipped).
async fn next_change(stream: &mut Response) -> Value {
    let mut text = String::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(event) = text
                .split("\n\n")
                .find(|e| e.contains("event: tables-changed"))
            {
                let data = event
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .unwrap();
                return serde_json::from_str(data).unwrap();
            }
            let chunk = stream.chunk().await.unwrap().expect("the stream goes on");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .expect("an announcement within 10 s")
}

#[tokio::test]
async fn an_order_a_reset_and_an_expiry_are_announced_with_their_learner() {
    let app = spawn_app().await;
    let mut changes = listen(&app.base, "?userId=events-learner").await;
    let key = new_key();
    let created = app
        .post_order(&key, &order_body("events-learner", "A-1", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(next_change(&mut changes).await["userId"], "events-learner");

    assert_eq!(app.expire_key("events-learner", &key).await.status(), 204);
    assert_eq!(next_change(&mut changes).await["userId"], "events-learner");
    assert_eq!(app.reset("events-learner").await.status(), 204);
    assert_eq!(next_change(&mut changes).await["userId"], "events-learner");
}

#[tokio::test]
async fn a_learner_who_asks_for_their_own_changes_hears_no_one_elses() {
    let app = spawn_app().await;
    let mut mine = listen(&app.base, "?userId=me").await;
    let mut everyone = listen(&app.base, "").await;
    for user in ["someone-else", "me"] {
        let body = order_body(user, "A-1", 1);
        let created = app.post_order(&new_key(), &body).send().await.unwrap();
        assert_eq!(created.status(), 201);
    }
    assert_eq!(
        next_change(&mut mine).await["userId"],
        "me",
        "the first one heard is mine"
    );
    assert_eq!(next_change(&mut everyone).await["userId"], "someone-else");
}

#[tokio::test]
async fn a_bad_query_is_refused_before_the_stream_starts() {
    let app = spawn_app().await;
    let response = reqwest::get(format!("{}/events?user=me", app.base))
        .await
        .unwrap();
    let problem = problem(response, 400).await;
    assert_eq!(problem["type"], "/problems/invalid-query");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_stream_does_not_hold_the_server_up_when_it_stops() {
    let database = temp_database().await;
    // A lease longer than `terminate` waits: a stream left open would hold shutdown that long.
    let server = start_process(&database.url, &["--lease", "60s"]).await;
    let mut stream = listen(&server.base, "").await;
    // `terminate` waits 30 s for the exit: the lease's 60 would be too late.
    let exit = server.terminate().await;
    assert!(exit.success(), "exit status {exit:?}");
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ended with the server");
}
