//! `make bench`: the release server on loopback with a fresh SQLite file, under load.
//! Prints figures; asserts only correctness (one order per key, no 5xx).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::Mutex;

const CONCURRENCY: usize = 32;
const RUN: Duration = Duration::from_secs(10);

/// What one timed run measured.
struct Run {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    statuses: BTreeMap<u16, usize>,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        sorted
            .get(((sorted.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or_default()
    }

    fn server_errors(&self) -> usize {
        self.statuses
            .iter()
            .filter(|(s, _)| **s >= 500)
            .map(|(_, n)| n)
            .sum()
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let ceiling = single_row_transactions_per_second(dir.path()).await;

    let database = format!("sqlite://{}", dir.path().join("bench.db").display());
    let (base, server) = start_server(&database).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();

    let base: Arc<str> = base.into();
    let url = |path: &str| format!("{base}{path}");
    let health_url = url("/health");
    let health = timed(&client, RUN / 2, move |client, _| client.get(&health_url)).await;

    let created_keys = Arc::new(Mutex::new(Vec::new()));
    let orders_url = url("/orders");
    // Bodies are serialised up front so the load generator spends its CPU on requests.
    let fresh_bodies: Arc<Vec<bytes::Bytes>> = Arc::new(
        (0..CONCURRENCY)
            .map(|n| {
                json!({"userId": format!("bench-{n}"), "items": [{"sku": "B-1", "qty": 1}]})
                    .to_string()
                    .into()
            })
            .collect(),
    );
    let fresh = timed(&client, RUN, {
        let orders_url = orders_url.clone();
        move |client, n| {
            client
                .post(&orders_url)
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .header("Content-Type", "application/json")
                .body(fresh_bodies[n % CONCURRENCY].clone())
        }
    })
    .await;
    assert_eq!(fresh.server_errors(), 0, "fresh keys: no 5xx");

    // Keys to replay: a few hundred completed orders.
    for n in 0..256 {
        let key = format!("replay-{n}");
        let body = json!({"userId": "replayer", "items": [{"sku": format!("R-{n}"), "qty": 1}]});
        let status = client
            .post(format!("{base}/orders"))
            .header("Idempotency-Key", &key)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 201);
        created_keys
            .lock()
            .await
            .push((key, bytes::Bytes::from(body.to_string())));
    }
    let keys = Arc::new(created_keys.lock().await.clone());
    let replays = timed(&client, RUN, move |client, n| {
        let (key, body) = &keys[n % keys.len()];
        client
            .post(&orders_url)
            .header("Idempotency-Key", key)
            .header("Content-Type", "application/json")
            .body(body.clone())
    })
    .await;
    assert_eq!(
        replays.statuses.get(&201),
        Some(&replays.requests),
        "every replay is the stored 201"
    );

    let storms = storms(&client, &base).await;
    let rss_kib = peak_rss_kib(server.id().unwrap());

    println!();
    println!("| measurement | figure |");
    println!("| --- | --- |");
    println!("| single-row insert transactions/s (ceiling, same file system, WAL, synchronous=FULL) | {ceiling:.0} |");
    row("GET /health", &health);
    row("fresh keys (POST /orders, new key each)", &fresh);
    row("replays of completed keys", &replays);
    println!(
        "| fresh-key orders/s ÷ ceiling | {:.2}× |",
        fresh.per_second() / ceiling
    );
    println!(
        "| replay req/s ÷ health req/s | {:.0} % |",
        100.0 * replays.per_second() / health.per_second()
    );
    println!(
        "| storms: 20 × 50 identical requests, orders per key | {} |",
        storms.0
    );
    println!("| storms: statuses | {:?} |", storms.1);
    println!(
        "| 5xx in all runs | {} |",
        fresh.server_errors() + replays.server_errors() + health.server_errors() + storms.2
    );
    println!("| peak server RSS | {:.1} MiB |", rss_kib as f64 / 1024.0);
    for file in ["idempotency_lab_bg.wasm", "idempotency_lab.js"] {
        let pkg = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site/pkg");
        let (raw, gzipped) = sizes(&pkg.join(file));
        println!("| {file} | {raw} B raw, {gzipped} B gzipped |");
    }
    let mut server = server;
    let _ = server.kill().await;
}

fn row(name: &str, run: &Run) {
    println!(
        "| {name}, {CONCURRENCY} connections | {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms ({} requests) |",
        run.per_second(),
        run.percentile(0.50).as_secs_f64() * 1e3,
        run.percentile(0.99).as_secs_f64() * 1e3,
        run.requests,
    );
}

/// `CONCURRENCY` workers send requests back to back for `duration`.
async fn timed<F>(client: &reqwest::Client, duration: Duration, make: F) -> Run
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static + Clone,
{
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..CONCURRENCY {
        let (client, make) = (client.clone(), make.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut statuses = BTreeMap::new();
            let mut n = worker;
            while started.elapsed() < duration {
                let sent = Instant::now();
                let response = make(&client, n).send().await.expect("the server answers");
                let status = response.status().as_u16();
                let _ = response.bytes().await;
                latencies.push(sent.elapsed());
                *statuses.entry(status).or_insert(0) += 1;
                n += CONCURRENCY;
            }
            (latencies, statuses)
        }));
    }
    let mut run = Run {
        requests: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        statuses: BTreeMap::new(),
    };
    for worker in workers {
        let (latencies, statuses) = worker.await.unwrap();
        run.requests += latencies.len();
        run.latencies.extend(latencies);
        for (status, n) in statuses {
            *run.statuses.entry(status).or_insert(0) += n;
        }
    }
    run.elapsed = started.elapsed();
    run
}

/// 20 storms of 50 identical concurrent requests: (orders per key, statuses, 5xx).
async fn storms(client: &reqwest::Client, base: &str) -> (String, BTreeMap<u16, usize>, usize) {
    let mut statuses = BTreeMap::new();
    let mut orders_per_key = Vec::new();
    for storm in 0..20 {
        let key = format!("storm-{storm}-{}", uuid::Uuid::new_v4());
        let body = json!({"userId": "storm", "items": [{"sku": format!("S-{storm}"), "qty": 1}]});
        let requests = (0..50).map(|_| {
            client
                .post(format!("{base}/orders"))
                .header("Idempotency-Key", &key)
                .json(&body)
                .send()
        });
        for response in futures::future::join_all(requests).await {
            *statuses
                .entry(response.unwrap().status().as_u16())
                .or_insert(0) += 1;
        }
        let orders: Vec<Value> = client
            .get(format!("{base}/orders?userId=storm&limit=500"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        orders_per_key.push(orders.iter().filter(|o| o["idempotencyKey"] == key).count());
    }
    assert!(
        orders_per_key.iter().all(|&n| n == 1),
        "one order per storm key: {orders_per_key:?}"
    );
    let errors = statuses
        .iter()
        .filter(|(s, _)| **s >= 500)
        .map(|(_, n)| n)
        .sum();
    assert_eq!(errors, 0, "storms: no 5xx");
    let summary = format!(
        "{} of 20 keys with exactly 1",
        orders_per_key.iter().filter(|&&n| n == 1).count()
    );
    (summary, statuses, errors)
}

/// The ceiling: one INSERT per transaction, one connection, the server's SQLite settings.
async fn single_row_transactions_per_second(dir: &Path) -> f64 {
    let mut conn = SqliteConnectOptions::new()
        .filename(dir.join("ceiling.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .connect()
        .await
        .unwrap();
    sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        .execute(&mut conn)
        .await
        .unwrap();
    let started = Instant::now();
    let mut count = 0u32;
    while started.elapsed() < Duration::from_secs(3) {
        let mut tx = conn.begin().await.unwrap();
        sqlx::query("INSERT INTO t (v) VALUES (?1)")
            .bind("row")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        count += 1;
    }
    f64::from(count) / started.elapsed().as_secs_f64()
}

async fn start_server(database: &str) -> (String, tokio::process::Child) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--database-url",
            database,
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the release server starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(base) = line.strip_prefix("listening on ") {
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return (base.to_owned(), child);
        }
    }
    panic!("the server exited before listening");
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix("VmHWM:")
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            })
        })
        .unwrap_or(0)
}

fn sizes(path: &Path) -> (u64, usize) {
    let raw = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let gzipped = std::process::Command::new("gzip")
        .args(["-9c"])
        .arg(path)
        .output()
        .map(|out| out.stdout.len())
        .unwrap_or(0);
    (raw, gzipped)
}
