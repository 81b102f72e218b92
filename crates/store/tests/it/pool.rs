//! The PostgreSQL pool: a connection the server ended while it lay idle in the pool is
//! found by the ping before it is lent, not by the statement that would fail on it.

use std::time::Duration;

use sqlx::Connection;
use vulnrelay_store::Publications;
use vulnrelay_store::testing::TestDb;

/// The server ends every connection of a store after they went back to the pool; once
/// they have been idle for more than a second, the store's next reads succeed on new
/// ones.
#[tokio::test]
async fn a_connection_the_server_ended_while_idle_is_replaced_before_a_statement_fails() {
    let Some(db) = TestDb::postgres().await else { return };
    let store = vulnrelay_store::PgStore::connect(&db.url).await.expect("open the test schema");
    // Several connections in the pool, each used once and given back.
    let reads = tokio::join!(
        store.publication_status(),
        store.publication_status(),
        store.publication_status(),
        store.publication_status()
    );
    for status in [reads.0, reads.1, reads.2, reads.3] {
        status.expect("a read before the server ends the connections");
    }
    let application: String = sqlx::query_scalar("SELECT current_setting('application_name')")
        .fetch_one(store.raw_pool())
        .await
        .expect("the store's application name");
    let base = std::env::var(vulnrelay_store::testing::DATABASE_URL_VAR).expect("the server's URL");
    let mut admin = sqlx::postgres::PgConnection::connect(&base).await.expect("an admin connection");
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(&application)
    .fetch_all(&mut admin)
    .await
    .expect("end the store's connections");
    assert!(
        !ended.is_empty() && ended.iter().all(|ended| *ended),
        "the store's connections were ended: {ended:?}"
    );
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    for _ in 0..8 {
        store.publication_status().await.expect("a read after the server ended the pool's connections");
    }
}

/// Twelve statements at once on a pool told to hold six open six connections and no
/// more; one told to hold one still opens four (`PgStore::MIN_CONNECTIONS`).
#[tokio::test]
async fn a_pool_opens_what_it_is_told_and_never_fewer_than_four() {
    let Some(db) = TestDb::postgres().await else { return };
    for (told, opened) in [(6, 6), (1, 4)] {
        let store =
            vulnrelay_store::PgStore::connect_sized(&db.url, told).await.expect("open the test schema");
        let reads: Vec<_> = (0..12)
            .map(|_| {
                let pool = store.raw_pool().clone();
                tokio::spawn(async move { sqlx::query("SELECT pg_sleep(0.05)").execute(&pool).await })
            })
            .collect();
        for read in reads {
            read.await.expect("a task").expect("a statement");
        }
        assert_eq!(store.raw_pool().size(), opened, "told {told}");
    }
}
