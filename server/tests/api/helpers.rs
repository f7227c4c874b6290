//! Starting the real server for a test: its own temp SQLite file, a free port on 127.0.0.1.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use reqwest::{Client, RequestBuilder, Response};
use serde_json::{json, Value};
use server::config::Config;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct TestApp {
    pub base: String,
    pub client: Client,
    _dir: TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like `spawn_app`, after `configure` has changed the defaults (a short TTL, say).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("a temp dir");
    let database_url = format!("sqlite://{}/lab.db", dir.path().display());
    let mut config = Config::with_database(&database_url);
    config.host = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    config.port = 0;
    configure(&mut config);
    let state = server::AppState::open(&config)
        .await
        .expect("the server starts");
    let listeners = server::bind(&config).await.expect("a free port");
    let base = format!("http://{}", listeners[0].local_addr().unwrap());
    tokio::spawn(server::serve(listeners, server::app(state)));
    TestApp {
        base,
        client: Client::new(),
        _dir: dir,
    }
}

pub fn order_body(user: &str, sku: &str, qty: u32) -> Value {
    json!({ "userId": user, "items": [{ "sku": sku, "qty": qty }] })
}

pub fn new_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl TestApp {
    pub fn post_order(&self, key: &str, body: &Value) -> RequestBuilder {
        self.client
            .post(format!("{}/orders", self.base))
            .header("Idempotency-Key", key)
            .json(body)
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    pub async fn orders(&self) -> Vec<Value> {
        self.get_json("/orders").await.as_array().unwrap().clone()
    }

    pub async fn records(&self) -> Vec<Value> {
        self.get_json("/idempotency-records")
            .await
            .as_array()
            .unwrap()
            .clone()
    }

    pub async fn orders_with_key(&self, key: &str) -> usize {
        self.orders()
            .await
            .iter()
            .filter(|o| o["idempotencyKey"] == key)
            .count()
    }
}

/// A problem response: checks its media type and returns its JSON.
pub async fn problem(response: Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "errors are problem details"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["type"].as_str().unwrap().starts_with("/problems/"));
    assert!(!body["title"].as_str().unwrap().is_empty());
    body
}

/// The server as its own process, so a test can kill it like a crash would.
pub struct ServerProcess {
    pub base: String,
    child: Child,
}

pub async fn start_process(database_url: &str, extra: &[&str]) -> ServerProcess {
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--database-url",
            database_url,
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the server binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(addr) = line.strip_prefix("listening on ") {
                return addr.to_owned();
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .expect("the server listens within 30 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    ServerProcess { base, child }
}

impl ServerProcess {
    pub async fn get_json(&self, path: &str) -> Value {
        let response = reqwest::get(format!("{}{path}", self.base)).await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// SIGKILL: no shutdown code runs, as in a crash or power cut.
    pub async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }
}

pub fn temp_database() -> (TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        PathBuf::from(dir.path()).join("lab.db").display()
    );
    (dir, url)
}

/// Polls `check` every 20 ms until it holds (at most `limit`).
pub async fn eventually<F, Fut>(limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met in {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
