//! `make bench`: the release server on loopback with a fresh SQLite file, under load, and
//! (when `make bench` passes a throw-away cluster in `BENCH_POSTGRES`) one and two server
//! processes on a fresh PostgreSQL database. Prints figures; asserts only correctness (one
//! order per key, no 5xx).

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

/// Everything measured against one set of server processes on one database.
struct Figures {
    ceiling: f64,
    health: Run,
    fresh: Run,
    /// Where the two cores went while `fresh` ran.
    fresh_cpu: CpuUse,
    claimed: Run,
    busy: BusyKey,
    replays: Run,
    storms: Storms,
    rss_kib: u64,
}

/// Retries of one key in flight (409s), and fresh orders beside them, at the same time.
struct BusyKey {
    retries: Run,
    fresh_beside: Run,
}

/// 20 storms of 50 identical concurrent requests.
struct Storms {
    keys_with_one_order: usize,
    statuses: BTreeMap<u16, usize>,
    server_errors: usize,
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut columns = Vec::new();
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    let ceiling = sqlite_single_row_transactions_per_second(dir.path()).await;
    columns.push(("SQLite, 1 process", measure(&sqlite, 1, ceiling).await));

    // `make bench` passes its throw-away cluster; without one, SQLite is measured alone.
    if let Ok(server) = std::env::var("BENCH_POSTGRES") {
        let ceiling = postgres_single_row_transactions_per_second(&server).await;
        for processes in [1, 2] {
            let database = create_postgres_database(&server, processes).await;
            let name = if processes == 1 {
                "PostgreSQL, 1 process"
            } else {
                "PostgreSQL, 2 processes"
            };
            columns.push((name, measure(&database, processes, ceiling).await));
        }
    }
    print_table(&columns);
    // The files the page links, as `make site` named them (its manifest).
    let pkg = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site/pkg");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pkg.join("manifest.json")).expect("make site ran"))
            .expect("the manifest is JSON");
    for kind in ["wasm", "js"] {
        let file = manifest[kind]
            .as_str()
            .expect("the manifest names the bundle's files");
        let (raw, gzipped) = sizes(&pkg.join(file));
        let brotli = std::fs::metadata(pkg.join(format!("{file}.br"))).map_or(0, |m| m.len());
        println!("{file}: {raw} B raw, {gzipped} B gzipped, {brotli} B brotli (as sent)");
    }
}

/// Starts `processes` servers on `database` and runs every measurement, the load spread
/// evenly over the processes (as a load balancer would).
async fn measure(database: &str, processes: usize, ceiling: f64) -> Figures {
    let mut servers = Vec::new();
    for _ in 0..processes {
        servers.push(start_server(database).await);
    }
    let bases: Arc<Vec<String>> = Arc::new(servers.iter().map(|(base, _)| base.clone()).collect());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let url = {
        let bases = bases.clone();
        move |n: usize, path: &str| format!("{}{path}", bases[n % bases.len()])
    };

    let health = timed(&client, RUN / 2, {
        let url = url.clone();
        move |client, n| client.get(url(n, "/health"))
    })
    .await;

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
    let fresh_order = {
        let url = url.clone();
        move |client: &reqwest::Client, n: usize| {
            client
                .post(url(n, "/orders"))
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .header("Content-Type", "application/json")
                .body(fresh_bodies[n % CONCURRENCY].clone())
        }
    };
    // No delay: the order only writes the database, so claim and store are one transaction.
    let server_pids: Vec<u32> = servers.iter().filter_map(|(_, c)| c.id()).collect();
    let cpu_before = CpuTicks::now(&server_pids);
    let fresh = timed(&client, RUN, fresh_order.clone()).await;
    let fresh_cpu = CpuTicks::now(&server_pids).since(&cpu_before, fresh.elapsed);
    assert_eq!(fresh.server_errors(), 0, "fresh keys: no 5xx");
    // A 1 ms operation: the full lifecycle, claim → run → store, two writes per order.
    let claimed = timed(&client, RUN, {
        let fresh_order = fresh_order.clone();
        move |client, n| fresh_order(client, n).header("X-Lab-Delay-Ms", "1")
    })
    .await;
    assert_eq!(claimed.server_errors(), 0, "claimed keys: no 5xx");
    let busy = busy_key(&bases, fresh_order.clone()).await;

    let keys = Arc::new(completed_keys(&client, &bases[0]).await);
    let replays = timed(&client, RUN, {
        let url = url.clone();
        move |client, n| {
            let (key, body) = &keys[n % keys.len()];
            client
                .post(url(n, "/orders"))
                .header("Idempotency-Key", key)
                .header("Content-Type", "application/json")
                .body(body.clone())
        }
    })
    .await;
    assert_eq!(
        replays.statuses.get(&201),
        Some(&replays.requests),
        "every replay is the stored 201"
    );

    let storms = storms(&client, &bases).await;
    let rss_kib = servers
        .iter()
        .map(|(_, child)| peak_rss_kib(child.id().unwrap()))
        .sum();
    for (_, mut child) in servers {
        let _ = child.kill().await;
    }
    Figures {
        ceiling,
        health,
        fresh,
        fresh_cpu,
        claimed,
        busy,
        replays,
        storms,
        rss_kib,
    }
}

/// One operation held in flight (a 10 s lab delay) while `CONCURRENCY` connections retry it
/// and another `CONCURRENCY` send fresh orders beside them. The 409s are reads: they must not
/// take the writer's time from the fresh orders.
async fn busy_key<F>(bases: &[String], fresh_order: F) -> BusyKey
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static + Clone,
{
    let client = || {
        reqwest::Client::builder()
            .pool_max_idle_per_host(CONCURRENCY)
            .build()
            .unwrap()
    };
    let (retrying, ordering) = (client(), client());
    let key = uuid::Uuid::new_v4().to_string();
    let body = bytes::Bytes::from(
        json!({"userId": "busy", "items": [{"sku": "B", "qty": 1}]}).to_string(),
    );
    let holder = retrying
        .post(format!("{}/orders", bases[0]))
        .header("Idempotency-Key", &key)
        .header("Content-Type", "application/json")
        .header("X-Lab-Delay-Ms", "10000")
        .body(body.clone())
        .send();
    let holder = tokio::spawn(holder);
    // Wait for the holder's claim by reading the records: a probe POST could win the race
    // and create the order itself.
    loop {
        let records = get_json(
            &retrying,
            &format!("{}/idempotency-records?limit=1", bases[0]),
        )
        .await;
        if records[0]["key"] == key.as_str() && records[0]["state"] == "inFlight" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let bases = bases.to_vec();
    let retry = move |client: &reqwest::Client, n: usize| {
        client
            .post(format!("{}/orders", bases[n % bases.len()]))
            .header("Idempotency-Key", &key)
            .header("Content-Type", "application/json")
            .body(body.clone())
    };
    let (retries, fresh_beside) = tokio::join!(
        timed(&retrying, RUN / 2, retry),
        timed(&ordering, RUN / 2, fresh_order)
    );
    assert_eq!(
        retries.statuses.get(&409),
        Some(&retries.requests),
        "every retry of the busy key is a 409"
    );
    assert_eq!(
        fresh_beside.server_errors(),
        0,
        "fresh keys beside 409s: no 5xx"
    );
    assert_eq!(holder.await.unwrap().unwrap().status(), 201);
    BusyKey {
        retries,
        fresh_beside,
    }
}

/// A few hundred completed orders, to replay: (key, body).
async fn completed_keys(client: &reqwest::Client, base: &str) -> Vec<(String, bytes::Bytes)> {
    let mut keys = Vec::new();
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
        keys.push((key, bytes::Bytes::from(body.to_string())));
    }
    keys
}

fn print_table(columns: &[(&str, Figures)]) {
    let cells = |cell: &dyn Fn(&Figures) -> String| {
        let cells: Vec<String> = columns.iter().map(|(_, figures)| cell(figures)).collect();
        cells.join(" | ")
    };
    let line = |name: &str, cell: &dyn Fn(&Figures) -> String| {
        println!("| {name} | {} |", cells(cell));
    };
    println!();
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    println!(
        "| measurement ({CONCURRENCY} connections) | {} |",
        names.join(" | ")
    );
    println!("|---{}", "|---".repeat(columns.len()) + "|");
    line("ceiling: single-row insert transactions/s", &|f| {
        format!("{:.0}", f.ceiling)
    });
    line("GET /health", &|f| describe(&f.health));
    line("fresh keys (POST /orders, new key each)", &|f| {
        describe(&f.fresh)
    });
    line("fresh keys, 1 ms operation (claim, run, store)", &|f| {
        describe(&f.claimed)
    });
    line("retries of one key in flight (409s)", &|f| {
        describe(&f.busy.retries)
    });
    line("fresh keys beside those 409s (32 + 32 connections)", &|f| {
        describe(&f.busy.fresh_beside)
    });
    line("fresh keys beside 409s ÷ fresh keys alone", &|f| {
        format!(
            "{:.2}×",
            f.busy.fresh_beside.per_second() / f.fresh.per_second()
        )
    });
    line("replays of completed keys", &|f| describe(&f.replays));
    line("CPU while fresh keys ran (cores, of 2)", &|f| {
        let c = &f.fresh_cpu;
        format!(
            "server {:.2}, PostgreSQL {:.2}, load generator {:.2}; total {:.2}",
            c.server,
            c.postgres,
            c.load,
            c.server + c.postgres + c.load
        )
    });
    line("fresh-key orders/s ÷ ceiling", &|f| {
        format!("{:.2}×", f.fresh.per_second() / f.ceiling)
    });
    line("replay req/s ÷ health req/s", &|f| {
        format!(
            "{:.0} %",
            100.0 * f.replays.per_second() / f.health.per_second()
        )
    });
    line("storms: 20 × 50 identical requests", &|f| {
        format!(
            "{} of 20 keys with exactly 1 order",
            f.storms.keys_with_one_order
        )
    });
    line("storms: statuses", &|f| format!("{:?}", f.storms.statuses));
    line("5xx in all runs", &|f| {
        let errors = f.fresh.server_errors()
            + f.claimed.server_errors()
            + f.busy.fresh_beside.server_errors()
            + f.replays.server_errors()
            + f.health.server_errors()
            + f.storms.server_errors;
        errors.to_string()
    });
    line("peak server RSS (all processes)", &|f| {
        format!("{:.1} MiB", f.rss_kib as f64 / 1024.0)
    });
}

fn describe(run: &Run) -> String {
    format!(
        "{:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
        run.per_second(),
        run.percentile(0.50).as_secs_f64() * 1e3,
        run.percentile(0.99).as_secs_f64() * 1e3,
    )
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

/// 20 storms of 50 identical concurrent requests, spread over the processes.
async fn storms(client: &reqwest::Client, bases: &[String]) -> Storms {
    let mut statuses = BTreeMap::new();
    let mut orders_per_key = Vec::new();
    for storm in 0..20 {
        let key = format!("storm-{storm}-{}", uuid::Uuid::new_v4());
        let body = json!({"userId": "storm", "items": [{"sku": format!("S-{storm}"), "qty": 1}]});
        let requests = (0..50).map(|n| {
            client
                .post(format!("{}/orders", bases[n % bases.len()]))
                .header("Idempotency-Key", &key)
                .json(&body)
                .send()
        });
        for response in futures::future::join_all(requests).await {
            *statuses
                .entry(response.unwrap().status().as_u16())
                .or_insert(0) += 1;
        }
        let orders = get_json(
            client,
            &format!("{}/orders?userId=storm&limit=500", bases[0]),
        )
        .await;
        let orders = orders.as_array().expect("a list of orders");
        orders_per_key.push(orders.iter().filter(|o| o["idempotencyKey"] == key).count());
    }
    assert!(
        orders_per_key.iter().all(|&n| n == 1),
        "one order per storm key: {orders_per_key:?}"
    );
    let server_errors = statuses
        .iter()
        .filter(|(s, _)| **s >= 500)
        .map(|(_, n)| n)
        .sum();
    assert_eq!(server_errors, 0, "storms: no 5xx");
    Storms {
        keys_with_one_order: orders_per_key.iter().filter(|&&n| n == 1).count(),
        statuses,
        server_errors,
    }
}

/// The ceiling: one INSERT per transaction, one connection, the server's SQLite settings.
async fn sqlite_single_row_transactions_per_second(dir: &Path) -> f64 {
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

/// PostgreSQL's ceiling: one INSERT per transaction from each of `CONCURRENCY` connections at
/// once (PostgreSQL flushes concurrent commits together, so one connection would understate it).
async fn postgres_single_row_transactions_per_second(server: &str) -> f64 {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(CONCURRENCY as u32)
        .connect(&create_postgres_database(server, 0).await)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE t (id BIGINT GENERATED ALWAYS AS IDENTITY, v TEXT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut count = 0u32;
                while started.elapsed() < Duration::from_secs(3) {
                    sqlx::query("INSERT INTO t (v) VALUES ($1)")
                        .bind("row")
                        .execute(&pool)
                        .await
                        .unwrap();
                    count += 1;
                }
                count
            })
        })
        .collect();
    let mut count = 0;
    for worker in workers {
        count += worker.await.unwrap();
    }
    f64::from(count) / started.elapsed().as_secs_f64()
}

/// A new database on the bench's cluster, so every column starts empty.
async fn create_postgres_database(server: &str, n: usize) -> String {
    let mut admin = sqlx::PgConnection::connect(server).await.unwrap();
    let name = format!("bench_{n}_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let (base, _) = server.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

async fn get_json(client: &reqwest::Client, url: &str) -> Value {
    let response = client.get(url).send().await.expect("the server answers");
    response.json().await.expect("a JSON answer")
}

/// The release server; `BENCH_SERVER_BIN` names another build to compare (an older commit's).
async fn start_server(database: &str) -> (String, tokio::process::Child) {
    let binary = std::env::var("BENCH_SERVER_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_server").to_owned());
    let mut child = Command::new(binary)
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

/// CPU time used so far (user + system, in clock ticks) by the server processes, by every
/// PostgreSQL process, and by this load generator: a profile at the level that matters on a
/// 2-core machine, where all three share the cores.
struct CpuTicks {
    server: u64,
    postgres: u64,
    load: u64,
}

/// Cores used on average over a run.
struct CpuUse {
    server: f64,
    postgres: f64,
    load: f64,
}

impl CpuTicks {
    fn now(server_pids: &[u32]) -> Self {
        let mut postgres = 0;
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            if stat.contains("(postgres)") {
                postgres += ticks(&stat);
            }
        }
        let of = |pid: &str| {
            ticks(&std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default())
        };
        Self {
            server: server_pids.iter().map(|pid| of(&pid.to_string())).sum(),
            postgres,
            load: of("self"),
        }
    }

    fn since(&self, before: &Self, elapsed: Duration) -> CpuUse {
        // Linux counts CPU time in ticks of 1/100 s (USER_HZ).
        let cores = |now: u64, then: u64| (now - then) as f64 / 100.0 / elapsed.as_secs_f64();
        CpuUse {
            server: cores(self.server, before.server),
            postgres: cores(self.postgres, before.postgres),
            load: cores(self.load, before.load),
        }
    }
}

/// utime + stime from a `/proc/<pid>/stat` line (fields 14 and 15, counted after the name).
fn ticks(stat: &str) -> u64 {
    let Some((_, after_name)) = stat.rsplit_once(')') else {
        return 0;
    };
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |n: usize| {
        fields
            .get(n)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
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
