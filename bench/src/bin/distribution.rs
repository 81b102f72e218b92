//! Public distribution on SQLite: what one request of the CSAF provider layout, the Atom
//! feed or the OSV zip costs, with `RECORDS` public records (each its own advisory).
//!
//! Measured: a request with nothing changed since the last build (the publication
//! version's aggregate query and a shared snapshot: `distribution::public_snapshot`), and
//! the first request after a change (the version query and a full build). Baseline, in the
//! same run: building every advisory's CSAF document from the store, which is what each
//! request did before the snapshot was shared. A crawler reading the provider layout makes
//! 2 × RECORDS + 3 requests (the metadata, `index.txt`, `changes.csv`, each document and
//! its `.sha512`); the last lines compare that walk then and now.
//!
//! Usage: `cargo run --release -p vulnrelay-bench --bin distribution [RECORDS]`

use std::time::{Duration, Instant};

use chrono::Utc;
use vulnrelay_server::auth::Caller;
use vulnrelay_server::{AppState, Config, distribution};

/// The best of `runs` timings of `f`.
async fn best<F, Fut>(runs: usize, mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        f().await;
        best = best.min(start.elapsed());
    }
    best
}

fn provider() -> vulnrelay_publish::provider::Provider {
    vulnrelay_publish::provider::Provider {
        base_url: "https://vr.example".into(),
        category: "coordinator".into(),
        name: distribution::PUBLISHER_NAME.into(),
        namespace: distribution::PUBLISHER_NAMESPACE.into(),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let records_n = std::env::args().nth(1).map(|a| a.parse::<usize>().expect("a number")).unwrap_or(1_000);
    let (vulnerabilities, _) = vulnrelay_bench::inventory::workload(0, records_n);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = vulnrelay_bench::sqlite_with_records(dir.path(), &vulnerabilities, Utc::now()).await;
        let state = AppState::new(store.clone(), Config::default());

        // Baseline: what every provider request did before, a full build of every CSAF
        // document and of the whole layout, to answer one file of it.
        let rebuild = best(3, || async {
            let advisories = distribution::advisories(&state, &Caller::default()).await.expect("advisories");
            let mut documents = Vec::new();
            for advisory in &advisories {
                documents.push(distribution::csaf_advisory(&state, advisory).await.expect("CSAF"));
            }
            let files = vulnrelay_publish::provider::layout(&provider(), &documents, Utc::now(), None).expect("unsigned");
            assert!(files.iter().any(|f| f.path == "white/index.txt"));
        })
        .await;
        // The first request after a change: the version query, then a full build (the
        // write before it is not timed).
        let mut after_change = Duration::MAX;
        for n in 0..3 {
            let bump = serde_json::json!({"id": "VR-BENCH-CHANGE", "title": {"en": format!("change {n}")}});
            store.save_vulnerability("VR-BENCH-CHANGE", None, &bump, &[], Utc::now()).await.expect("save");
            let start = Instant::now();
            distribution::public_snapshot(&state).await.expect("snapshot");
            after_change = after_change.min(start.elapsed());
        }
        let snapshot = distribution::public_snapshot(&state).await.expect("snapshot");
        let documents = snapshot.csaf.len();
        // Now: the version query, the shared snapshot, one file of its directory.
        let unchanged = best(200, || async {
            let snapshot = distribution::public_snapshot(&state).await.expect("snapshot");
            assert!(snapshot.directory.get("white/index.txt").cloned().is_some());
        })
        .await;
        let requests = 2 * documents as u32 + 3;
        println!("public records: {records_n} (+1 changed by the benchmark), CSAF documents: {documents}");
        println!("baseline, a provider request before (every CSAF document and the layout built): {:.2} ms", ms(rebuild));
        println!(
            "a request after a change (version query, then CSAF, directory, feed and OSV zip built): {:.2} ms",
            ms(after_change)
        );
        println!(
            "a provider request with nothing changed (version query, shared snapshot): {:.3} ms; ratio to baseline {:.5} ({:.0}x faster)",
            ms(unchanged),
            unchanged.as_secs_f64() / rebuild.as_secs_f64(),
            rebuild.as_secs_f64() / unchanged.as_secs_f64()
        );
        println!(
            "a crawler's walk of the provider layout ({requests} requests): before {:.0} ms, now {:.1} ms",
            ms(rebuild * requests),
            ms(after_change + unchanged * (requests - 1))
        );
    });
}
