//! The storage as its own interface: every SQL statement of each back end prepares against a
//! freshly migrated database of its kind.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use server::storage::{Storage, POSTGRES_STATEMENTS, SQLITE_STATEMENTS};
use sqlx::{Column, Connection, Executor, SqlSafeStr, Statement};

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
