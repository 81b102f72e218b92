//! A statement whose journal outgrows what SQLite holds in memory: SQLite writes the
//! journal to a temporary file and the statement goes on. A bulk import of cases (500 a
//! statement group) does this; a build of SQLite that cannot spill the journal refuses
//! the statement with "database or disk is full".

/// In a transaction, an update of every row of a 12 MB table, after another statement:
/// the update's statement journal holds the original of each page it changes, some 12 MB,
/// past SQLite's in-memory threshold (64 KiB by default; the dropped build's 4 MiB too).
#[tokio::test]
async fn a_statement_that_changes_more_pages_than_memory_holds_in_a_transaction_is_written() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = vulnrelay_store::SqliteStore::open(&dir.path().join("journal.db")).await.expect("open");
    let pool = store.raw_pool();
    for sql in [
        "CREATE TABLE filler (id INTEGER PRIMARY KEY, bytes BLOB NOT NULL)",
        "CREATE TABLE marks (id INTEGER PRIMARY KEY)",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000) \
         INSERT INTO filler (id, bytes) SELECT i, randomblob(3000) FROM n",
    ] {
        sqlx::query(sql).execute(pool).await.expect(sql);
    }
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query("INSERT INTO marks (id) VALUES (1)").execute(&mut *tx).await.expect("a first statement");
    let changed = sqlx::query("UPDATE filler SET bytes = randomblob(3000)")
        .execute(&mut *tx)
        .await
        .expect("the update whose statement journal spills to a file");
    assert_eq!(changed.rows_affected(), 4000);
    tx.commit().await.expect("commit");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM filler").fetch_one(pool).await.expect("count");
    assert_eq!(count, 4000);
}
