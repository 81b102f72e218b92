//! The bundled SQLite is built with the settings `.cargo/config.toml` gives it.

/// `PRAGMA compile_options` names the setting: no memory statistics (whose one mutex every
/// connection's allocations took). A build without the workspace's `.cargo/config.toml`, or
/// against another SQLite, fails.
#[tokio::test]
async fn the_bundled_sqlite_has_the_workspace_settings() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = vulnrelay_store::SqliteStore::open(&dir.path().join("options.db")).await.expect("open");
    let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options")
        .fetch_all(store.raw_pool())
        .await
        .expect("the compile options");
    assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "no DEFAULT_MEMSTATUS=0 among {options:?}");
}
