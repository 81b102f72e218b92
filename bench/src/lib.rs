//! Shared helpers of the vulnrelay benchmarks.

pub mod disk;
pub mod inventory;

use std::time::{Duration, Instant};

/// Runs `f` `runs` times and returns the fastest wall time with the last result.
pub fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let value = f();
        best = best.min(start.elapsed());
        last = Some(value);
    }
    (best, last.expect("at least one run"))
}

/// A SQLite store in `dir` holding `vulnerabilities` as records of no case (public), all
/// saved at `at`.
pub async fn sqlite_with_records(
    dir: &std::path::Path,
    vulnerabilities: &[vulnrelay_domain::Vulnerability],
    at: vulnrelay_domain::Timestamp,
) -> std::sync::Arc<dyn vulnrelay_store::Store> {
    let store: std::sync::Arc<dyn vulnrelay_store::Store> = std::sync::Arc::new(
        vulnrelay_store::SqliteStore::open(&dir.join("bench.db")).await.expect("open SQLite"),
    );
    for v in vulnerabilities {
        let value =
            serde_json::to_value(vulnrelay_formats::record::VulnerabilityJson::from(v)).expect("a record");
        store.save_vulnerability(&v.id, None, &value, &[], at).await.expect("save");
    }
    store
}
