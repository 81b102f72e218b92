//! Public distribution on SQLite at national scale: what a change of one record costs
//! the CSAF provider's `changes.csv` and the OSV zip, with `RECORDS` public records
//! (each its own advisory; generated deterministically by
//! `vulnrelay_bench::inventory::workload`, clearly synthetic: ids `VR-2026-NNNNN`,
//! vendor `example`; stored in batches of one transaction each).
//!
//! Measured, in one run on one database:
//! - baseline: the first public read of a database with no stored documents — every
//!   advisory's CSAF document, hashes, feed entries and OSV documents made, which is
//!   what every change cost before documents were kept as data (the whole provider
//!   directory, feed and OSV zip were rebuilt per publication version);
//! - one record changed (the write itself not timed), then the updated `changes.csv`
//!   served (the queued advisory rebuilt, the stored changes read, the file put
//!   together), then the OSV zip with the changed entry;
//! - a read with nothing changed (one status query, the kept snapshot).
//!
//! Usage: `cargo run --release -p vulnrelay-bench --bin distribution [RECORDS]`
//! (300,000 by default).

use std::time::{Duration, Instant};

use chrono::Utc;
use vulnrelay_server::{AppState, Config, distribution};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let records_n = std::env::args().nth(1).map(|a| a.parse::<usize>().expect("a number")).unwrap_or(300_000);
    let (vulnerabilities, _) = vulnrelay_bench::inventory::workload(0, records_n);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store: std::sync::Arc<dyn vulnrelay_store::Store> = std::sync::Arc::new(
            vulnrelay_store::SqliteStore::open(&dir.path().join("bench.db")).await.expect("open SQLite"),
        );
        let published = "2026-01-01T00:00:00Z".parse().expect("a time");
        let start = Instant::now();
        for chunk in vulnerabilities.chunks(5_000) {
            let records: Vec<(String, serde_json::Value)> = chunk
                .iter()
                .map(|v| {
                    let mut v = v.clone();
                    v.title = vulnrelay_domain::Localized::en(format!("Synthetic vulnerability {}", v.id));
                    v.published = Some(published);
                    let json = vulnrelay_formats::record::VulnerabilityJson::from(&v);
                    (v.id.clone(), serde_json::to_value(json).expect("a record"))
                })
                .collect();
            store.save_vulnerabilities(&records, published).await.expect("save");
        }
        let stored = start.elapsed();
        let state = AppState::new(store.clone(), Config::default());

        // Baseline: every document made, as each change cost before.
        let start = Instant::now();
        let snapshot = distribution::public_snapshot(&state).await.expect("snapshot");
        assert_eq!(snapshot.changes_csv().bytes.iter().filter(|b| **b == b'\n').count(), records_n);
        let full = start.elapsed();

        // One record changed, then the updated changes.csv and OSV zip served.
        let mut to_csv = Duration::MAX;
        let mut to_zip = Duration::MAX;
        for n in 0..5 {
            let id = vulnerabilities[(n * 7_919) % records_n].id.clone();
            let mut record = store.vulnerability(&id).await.expect("the record").record;
            record["title"] = serde_json::json!({"en": format!("Synthetic vulnerability {id}, revised {n}")});
            store.save_vulnerability(&id, None, &record, &[], Utc::now()).await.expect("save");
            let start = Instant::now();
            let snapshot = distribution::public_snapshot(&state).await.expect("snapshot");
            let csv = snapshot.changes_csv().bytes.clone();
            let took = start.elapsed();
            // Its line is among the newest (the dates are to the second).
            let text = String::from_utf8_lossy(&csv);
            let date = |line: &str| line.rsplit(',').next().unwrap_or_default().to_owned();
            let newest = date(text.lines().next().expect("a line"));
            let name = vulnrelay_publish::provider::file_name(&id);
            let line = text.lines().take(10).find(|l| l.contains(&name)).expect("the change among the newest");
            assert_eq!(date(line), newest, "{id} is the newest change");
            to_csv = to_csv.min(took);
            let zip = snapshot.osv_zip().expect("the zip");
            to_zip = to_zip.min(start.elapsed());
            assert!(zip.windows(id.len()).any(|w| w == id.as_bytes()), "{id} in the zip");
        }

        // Nothing changed.
        let mut unchanged = Duration::MAX;
        for _ in 0..200 {
            let start = Instant::now();
            let snapshot = distribution::public_snapshot(&state).await.expect("snapshot");
            assert!(!snapshot.changes_csv().bytes.is_empty());
            unchanged = unchanged.min(start.elapsed());
        }

        println!("public records: {records_n} (each its own advisory), stored in {:.1} s", stored.as_secs_f64());
        println!("baseline, every advisory's documents made (a full build, what each change cost before): {:.0} ms", ms(full));
        println!(
            "one record changed -> updated changes.csv served: {:.1} ms (ratio to baseline {:.5})",
            ms(to_csv),
            to_csv.as_secs_f64() / full.as_secs_f64()
        );
        println!(
            "one record changed -> changes.csv and the OSV zip with its entry served: {:.1} ms (ratio to baseline {:.5})",
            ms(to_zip),
            to_zip.as_secs_f64() / full.as_secs_f64()
        );
        println!(
            "a public read with nothing changed: {:.3} ms (ratio to baseline {:.7})",
            ms(unchanged),
            unchanged.as_secs_f64() / full.as_secs_f64()
        );
    });
}
