//! Starting the real server for a test: its own fresh database, a free port on 127.0.0.1.
//!
//! The database is a temp SQLite file, or, when `LAB_TEST_POSTGRES` names a PostgreSQL server
//! (`make test` runs the suite both ways), a new database created on that server.

use std::net::{IpAddr, Ipv4Addr};
use std::process::Stdio;
use std::time::Duration;

use reqwest::{Client, RequestBuilder, Response};
use serde_json::{json, Value};
use server::config::Config;
use server::{AppState, Application};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct TestApp {
    pub base: String,
    pub client: Client,
    /// The running server's state: its storage, for what HTTP does not show (the writer's
    /// transaction count, injected faults).
    pub state: AppState,
    _database: TestDatabase,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like `spawn_app`, after `configure` has changed the defaults (a short TTL, say).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let database = temp_database().await;
    let mut config = Config::with_database(&database.url);
    config.host = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    config.port = 0;
    configure(&mut config);
    let application = Application::build(&config)
        .await
        .expect("the server starts on a free port");
    let base = format!("http://{}", application.addresses().unwrap()[0]);
    let state = application.state().clone();
    // As `main` runs it, with a stop signal that never comes: the test's runtime ends it.
    tokio::spawn(application.run_until_stopped(std::future::pending()));
    TestApp {
        base,
        client: Client::new(),
        state,
        _database: database,
    }
}

pub fn order_body(user: &str, sku: &str, qty: u32) -> Value {
    json!({ "userId": user, "items": [{ "sku": sku, "qty": qty }] })
}

pub fn new_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `POST {base}/orders` with `key` and `body`: the request every retry repeats.
pub fn post_order_to(client: &Client, base: &str, key: &str, body: &Value) -> RequestBuilder {
    client
        .post(format!("{base}/orders"))
        .header("Idempotency-Key", key)
        .json(body)
}

impl TestApp {
    pub fn post_order(&self, key: &str, body: &Value) -> RequestBuilder {
        post_order_to(&self.client, &self.base, key, body)
    }

    /// The sum of the samples of metric `name` (as `GET /metrics` shows it) whose labels
    /// include all of `labels`. The registry is the test process's, shared by the tests that
    /// run at once, so a test compares a figure before and after, expecting at least its own.
    pub async fn metric(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let text = self
            .client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.rsplit_once(' '))
            .filter(|(series, _)| {
                let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
                metric == name
                    && labels
                        .iter()
                        .all(|(label, value)| rest.contains(&format!("{label}=\"{value}\"")))
            })
            .map(|(_, value)| value.parse::<f64>().unwrap())
            .sum()
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

    /// `POST /lab/reset` for one learner.
    pub async fn reset(&self, user: &str) -> Response {
        self.client
            .post(format!("{}/lab/reset", self.base))
            .json(&json!({ "userId": user }))
            .send()
            .await
            .unwrap()
    }

    /// `POST /lab/expire-key`: `user`'s record under `key` expires now.
    pub async fn expire_key(&self, user: &str, key: &str) -> Response {
        self.client
            .post(format!("{}/lab/expire-key", self.base))
            .json(&json!({ "userId": user, "idempotencyKey": key }))
            .send()
            .await
            .unwrap()
    }

    /// `POST /orders/prepare` with the lab's `X-Lab-Issue: value`.
    pub async fn prepare_issue(&self, value: &str) -> Response {
        self.client
            .post(format!("{}/orders/prepare", self.base))
            .header("X-Lab-Issue", value)
            .send()
            .await
            .unwrap()
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

/// `POST {base}/orders/prepare`: a server-issued key.
pub async fn prepare_key(client: &Client, base: &str) -> String {
    let response = client
        .post(format!("{base}/orders/prepare"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let prepared: Value = response.json().await.unwrap();
    prepared["idempotencyKey"].as_str().unwrap().to_owned()
}

/// The server binary on a free port of 127.0.0.1, on `database_url`, with `extra` settings.
fn server_command(database_url: &str, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .args(["--host", "127.0.0.1", "--port", "0"])
        .args(["--database-url", database_url])
        .args(extra)
        .kill_on_drop(true);
    command
}

pub async fn start_process(database_url: &str, extra: &[&str]) -> ServerProcess {
    start_process_logging(database_url, extra, None).await
}

/// Like `start_process`, with the server's log lines (JSON, level info) sent to `logs`.
pub async fn start_process_logging(
    database_url: &str,
    extra: &[&str],
    logs: Option<tokio::sync::mpsc::UnboundedSender<String>>,
) -> ServerProcess {
    let mut command = server_command(database_url, extra);
    if logs.is_some() {
        command.env("LOG_FORMAT", "json").env("RUST_LOG", "info");
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
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
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(logs) = &logs {
                let _ = logs.send(line);
            }
        }
    });
    ServerProcess { base, child }
}

/// Runs the server binary to its end (a command such as `--wipe-lab`, or a refusal).
pub async fn run_to_end(database_url: &str, extra: &[&str]) -> std::process::Output {
    let run = server_command(database_url, extra).output();
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("the server ends within 30 s")
        .unwrap()
}

/// Runs the server binary with settings it must refuse; returns what it printed on stderr.
pub async fn refused_start(database_url: &str, extra: &[&str]) -> String {
    let output = run_to_end(database_url, extra).await;
    assert!(
        !output.status.success(),
        "the server started with {extra:?}"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

impl ServerProcess {
    pub async fn get_json(&self, path: &str) -> Value {
        let response = reqwest::get(format!("{}{path}", self.base)).await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// SIGTERM, as a service manager stops a server; waits for the process to exit.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("the server is running").to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().await;
        assert!(sent.unwrap().success(), "SIGTERM sent");
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("the server exits within 30 s of SIGTERM")
            .unwrap()
    }

    /// SIGKILL: no shutdown code runs, as in a crash or power cut.
    pub async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }
}

/// A fresh, empty database for one test; a SQLite file lives as long as this does.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<TempDir>,
}

/// Which database the suite runs on: "postgres" when `LAB_TEST_POSTGRES` is set.
pub fn backend() -> &'static str {
    if postgres_server().is_some() {
        "postgres"
    } else {
        "sqlite"
    }
}

fn postgres_server() -> Option<String> {
    std::env::var("LAB_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
}

pub async fn temp_database() -> TestDatabase {
    match postgres_server() {
        Some(server) => TestDatabase {
            url: create_postgres_database(&server).await,
            _dir: None,
        },
        None => {
            let dir = tempfile::tempdir().unwrap();
            TestDatabase {
                url: format!("sqlite://{}", dir.path().join("lab.db").display()),
                _dir: Some(dir),
            }
        }
    }
}

/// A new database on the test cluster (a throw-away cluster: nothing drops it).
async fn create_postgres_database(server: &str) -> String {
    use sqlx::Connection;
    let name = format!("lab_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(server)
        .await
        .expect("LAB_TEST_POSTGRES accepts connections");
    // `name` is made by the test itself (letters, digits and underscores).
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("a test database");
    let (base, _) = server.rsplit_once('/').expect("a URL with a database name");
    format!("{base}/{name}")
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

/// Waits until the newest record, as `base` lists it, is a claim still in flight.
pub async fn until_in_flight(base: &str) {
    let client = Client::new();
    eventually(Duration::from_secs(5), || async {
        let records: Value = client
            .get(format!("{base}/idempotency-records"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        records[0]["state"] == "inFlight"
    })
    .await;
}

/// Sends `request` until it is answered 201, honouring each 409's Retry-After (scaled down
/// to a fifth, to keep tests short). Returns the 201 and every status seen on the way.
pub async fn retry_until_created(request: impl Fn() -> RequestBuilder) -> (Response, Vec<u16>) {
    let mut statuses = Vec::new();
    loop {
        let response = request().send().await.unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 201 {
            return (response, statuses);
        }
        assert_eq!(
            response.status(),
            409,
            "only 409s before the 201: {statuses:?}"
        );
        let wait: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(wait * 200)).await;
    }
}
