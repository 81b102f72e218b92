//! SQLite's write-ahead log is copied into the database file by the store's checkpointer,
//! not by the writer's commits.

use std::time::{Duration, Instant};

/// Pages committed to the WAL reach the database file without another write: the
/// checkpointer copies them. (Fewer pages than SQLite's own threshold, at which the
/// writer would copy them in its commit, and than the store's.)
#[tokio::test]
async fn committed_pages_reach_the_database_file_without_another_write() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("wal.db");
    let store = vulnrelay_store::SqliteStore::open(&path).await.expect("open");
    let size = || std::fs::metadata(&path).expect("the database file").len();
    // Let the checkpointer copy what opening wrote, then note the file's size.
    let settled = Instant::now() + Duration::from_secs(30);
    let mut before = size();
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = size();
        if now == before || Instant::now() > settled {
            break;
        }
        before = now;
    }
    // About 500 pages of 4 KiB, in one transaction.
    sqlx::query("CREATE TABLE filler (bytes BLOB NOT NULL)").execute(store.raw_pool()).await.expect("create");
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
         INSERT INTO filler SELECT randomblob(1000) FROM n",
    )
    .execute(store.raw_pool())
    .await
    .expect("insert");
    let deadline = Instant::now() + Duration::from_secs(30);
    while size() < before + 1_000_000 {
        assert!(Instant::now() < deadline, "the database file stayed at {} bytes (from {before})", size());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM filler").fetch_one(store.raw_pool()).await.expect("count");
    assert_eq!(rows, 2000);
}
