//! The storage as its own interface: every SQL statement of each back end prepares against a
//! freshly migrated database of its kind, and every write that changes the page's tables
//! announces whose they were, after its commit (on PostgreSQL, to every process).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use app::api::{CreateOrderRequest, OrderItem};
use server::idempotency::record::{
    ClaimResult, ClaimToken, Fingerprint, IdempotencyKey, KeySource, NewClaim,
};
use server::storage::{Change, Storage, POSTGRES_STATEMENTS, SQLITE_STATEMENTS};
use sqlx::{Column, Connection, Executor, SqlSafeStr, Statement};
use tokio::sync::broadcast;

use crate::helpers::*;

/// What preparing a statement told: its parameters (how many) and its columns (by name).
#[derive(Debug, PartialEq)]
struct Shape {
    parameters: usize,
    columns: Vec<String>,
}

/// Prepares every statement in `statements` on `conn`; a statement that does not prepare
/// (a typo, a column the migrations dropped) fails the test with its name.
async fn shapes<DB: sqlx::Database>(
    conn: &mut DB::Connection,
    statements: &[(&'static str, &'static str)],
) -> HashMap<&'static str, Shape>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    let mut shapes = HashMap::new();
    for &(name, sql) in statements {
        // Each entry is one statement, so preparing it checks all of it: a write that sends
        // several at once is built from these.
        assert!(!sql.contains(';'), "{name} is one statement");
        let prepared = (&mut *conn)
            .prepare(sql.into_sql_str())
            .await
            .unwrap_or_else(|error| panic!("{name} does not prepare: {error}\n{sql}"));
        let parameters = match prepared.parameters() {
            Some(sqlx::Either::Left(types)) => types.len(),
            Some(sqlx::Either::Right(count)) => count,
            None => 0,
        };
        let columns = prepared.columns().iter().map(|c| c.name().to_owned());
        let shape = Shape {
            parameters,
            columns: columns.collect(),
        };
        assert!(
            shapes.insert(name, shape).is_none(),
            "{name} is listed twice"
        );
    }
    shapes
}

async fn sqlite_shapes() -> HashMap<&'static str, Shape> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("lab.db").display());
    // Opening the storage creates the file and migrates it.
    drop(
        Storage::open(&url, Duration::from_secs(3600))
            .await
            .unwrap(),
    );
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    shapes::<sqlx::Sqlite>(&mut conn, SQLITE_STATEMENTS).await
}

#[tokio::test]
async fn every_statement_prepares_and_both_dialects_agree_on_shared_ones() {
    let sqlite = sqlite_shapes().await;
    if backend() != "postgres" {
        eprintln!("PostgreSQL's statements are prepared when LAB_TEST_POSTGRES is set");
        return;
    }
    let database = temp_database().await;
    let storage = Storage::open(&database.url, Duration::from_secs(3600)).await;
    drop(storage.unwrap());
    let mut conn = sqlx::PgConnection::connect(&database.url).await.unwrap();
    let postgres = shapes::<sqlx::Postgres>(&mut conn, POSTGRES_STATEMENTS).await;

    // A name in both lists is the same statement in both dialects.
    let shared: HashSet<&str> = sqlite
        .keys()
        .filter(|n| postgres.contains_key(*n))
        .copied()
        .collect();
    for name in [
        "SELECT_RECORD",
        "LIST_RECORDS",
        "FIND_ORDER",
        "LIST_ORDERS",
        "INSERT_CLAIM",
        "REPLACE_CLAIM",
        "RELEASE_CLAIM",
        "EXPIRE_RECORD",
    ] {
        assert!(shared.contains(name), "both dialects have {name}");
    }
    for name in shared {
        assert_eq!(
            sqlite[name], postgres[name],
            "{name}: SQLite's, then PostgreSQL's"
        );
    }
}

/// Waits (at most 10 s) until `changes` announces `user`'s orders or records, passing over
/// announcements about others.
async fn hear(changes: &mut broadcast::Receiver<Change>, user: &str) {
    let heard = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match changes.recv().await {
                Ok(Change { user_id: Some(id) }) if id == user => return,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => panic!("announcements ended"),
            }
        }
    });
    heard
        .await
        .unwrap_or_else(|_| panic!("{user}'s change was not announced"));
}

#[tokio::test]
async fn an_order_an_expiry_and_a_reset_each_announce_the_learner() {
    let app = spawn_app().await;
    let mut changes = app.state.storage.changes();
    let key = new_key();
    let placed = app
        .post_order(&key, &order_body("u-heard", "A-1", 1))
        .send()
        .await;
    assert_eq!(placed.unwrap().status(), 201);
    hear(&mut changes, "u-heard").await;

    assert_eq!(app.expire_key("u-heard", &key).await.status(), 204);
    hear(&mut changes, "u-heard").await;

    let slow = app
        .post_order(&new_key(), &order_body("u-slow", "A-1", 1))
        .header("X-Lab-Delay-Ms", "50");
    assert_eq!(slow.send().await.unwrap().status(), 201);
    hear(&mut changes, "u-slow").await;

    assert_eq!(app.reset("u-heard").await.status(), 204);
    hear(&mut changes, "u-heard").await;
}

/// A claim for `user` on a fresh key.
fn claim_for(user: &str) -> NewClaim {
    let request = CreateOrderRequest {
        user_id: user.into(),
        items: vec![OrderItem {
            sku: "A-1".into(),
            qty: 1,
        }],
    };
    NewClaim {
        key: IdempotencyKey::parse(&new_key()).unwrap(),
        user_id: user.into(),
        fingerprint: Fingerprint::of(&request),
        claim_token: ClaimToken::new(),
        source: KeySource::Client,
        lease: Duration::from_secs(10),
        record_ttl: Duration::from_secs(60),
    }
}

async fn claim(storage: &Storage, user: &str) {
    let claimed = storage.claim(claim_for(user)).await.unwrap();
    assert!(matches!(claimed, ClaimResult::Won(_)), "{claimed:?}");
}

#[tokio::test]
async fn on_postgres_a_write_through_one_process_is_heard_by_the_other() {
    if backend() != "postgres" {
        eprintln!("skipped: SQLite is one process");
        return;
    }
    let database = temp_database().await;
    let one = Storage::open(&database.url, Duration::from_secs(3600))
        .await
        .unwrap();
    let other = Storage::open(&database.url, Duration::from_secs(3600))
        .await
        .unwrap();
    let (mut heard_by_one, mut heard_by_other) = (one.changes(), other.changes());
    claim(&one, "u-one").await;
    hear(&mut heard_by_other, "u-one").await;
    hear(&mut heard_by_one, "u-one").await;
}

#[tokio::test]
async fn on_postgres_a_dropped_listening_connection_comes_back_by_itself() {
    if backend() != "postgres" {
        eprintln!("skipped: SQLite announces from its writer, with no connection to lose");
        return;
    }
    let database = temp_database().await;
    let storage = Storage::open(&database.url, Duration::from_secs(3600))
        .await
        .unwrap();
    let mut changes = storage.changes();
    let mut admin = sqlx::PgConnection::connect(&database.url).await.unwrap();
    let terminated: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(terminated, [true], "the one listening connection was cut");

    // Listening again, it says that anything may have changed meanwhile.
    let anyone = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(Change { user_id: None }) = changes.recv().await {
                return;
            }
        }
    });
    anyone.await.expect("the listener announced its gap");
    claim(&storage, "u-after").await;
    hear(&mut changes, "u-after").await;
}
