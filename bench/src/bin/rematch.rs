//! Matching at national scale on SQLite: 100,000 inventories (asset groups of 100
//! components, 10 M components, over 5,000 organisations) against 300,000 records —
//! generated, deterministic, clearly synthetic (`unit-NNNN`, `pkg:*/package-N`,
//! `VR-2026-NNNNN`) — bulk-loaded (`vulnrelay_bench::bulk`: the rows the store writes,
//! its package keys included).
//!
//! Measured, through the warning engine (`vulnrelay_server::warnings`):
//! - a record that affects 50, 500 and 5,000 components (each in another
//!   organisation): its first re-match (issues a warning per organisation, with its
//!   delivery), a re-match with nothing changed, and the re-match after the record
//!   changed (every warning rewritten, with its delivery); time per affected component;
//! - a new inventory of 100 components: the upload and its organisation's re-match;
//! - the worker's sweep of the changes marked since the last one
//!   (`warnings::rematch_marked`): with nothing marked, and after the largest hot
//!   record changed, next to the inline re-match of the same change.
//!
//! Baseline, in the same run: the bare in-memory index match (`vulnrelay_match::Index`)
//! of the same components (the record's own index for a record; an index of every
//! record, built beforehand, for the new inventory). With at most 2 M components, also
//! the read of every inventory row that each record change cost before the match index.
//!
//! Usage: `cargo run --release -p vulnrelay-bench --bin rematch [INVENTORIES] [RECORDS]`

use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;
use vulnrelay_bench::bulk::{self, Group};
use vulnrelay_bench::inventory::{Components, workload};
use vulnrelay_domain::{Jurisdiction, Role, Vulnerability};
use vulnrelay_match::Index;
use vulnrelay_server::{AppState, Config, warnings};
use vulnrelay_store::warnings::AssetComponent;
use vulnrelay_store::{SqliteStore, Store};

/// Components per inventory.
const PER: usize = 100;
/// Inventories loaded per transaction.
const BATCH: usize = 1_000;

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split(' ')
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The record of the hot package of level `n`: `org.national.hot{n}:hot`, 1.0 until 2.0.
fn hot_record(n: usize, title: &str) -> serde_json::Value {
    json!({
        "id": format!("VR-HOT-{n:05}"),
        "title": {"en": title},
        "affected": [{"source": "vendor", "vendor": "Example", "product": "hot", "ecosystem": "Maven",
                      "package": format!("org.national.hot{n}:hot"), "ranges": [{"introduced": "1.0", "fixed": "2.0"}]}],
        "scores": [{"source": "vendor", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]
    })
}

fn hot_purl(n: usize, j: usize) -> String {
    format!("pkg:maven/org.national.hot{n}/hot@1.{}.0", j % 9)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().expect("a number"));
    let inventories = args.next().unwrap_or(100_000).max(1);
    let records_n = args.next().unwrap_or(300_000);
    let orgs = inventories.min(5_000);
    let levels: Vec<usize> = [50, 500, 5_000].into_iter().filter(|&n| n <= orgs).collect();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        println!("load average at start: {}", load());
        let dir = tempfile::tempdir().expect("a temporary directory");
        let sqlite = SqliteStore::open(&dir.path().join("national.db")).await.expect("open SQLite");
        let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(sqlite.clone());
        let now = Utc::now();

        let started = Instant::now();
        let (records, _) = workload(0, records_n);
        bulk::records(sqlite.raw_pool(), &records, now).await;
        let records_time = started.elapsed();

        let started = Instant::now();
        for i in 0..orgs {
            let id = format!("unit-{i:04}");
            let org = vulnrelay_bench::generated_org(&id, format!("Generated unit {i}"), vec![Role::NetworkOperator], Jurisdiction::CN);
            store.create_org(&org).await.expect("org");
        }
        let mut generator = Components::new(records_n, 0x0005_CA1E_2026);
        let mut batch = Vec::with_capacity(BATCH);
        for g in 0..inventories {
            let mut purls: Vec<String> = (0..PER).map(|_| generator.next_purl()).collect();
            // The hot packages: level n's in the first n inventories, one organisation each.
            for (slot, &n) in levels.iter().enumerate() {
                if g < n {
                    purls[slot] = hot_purl(n, g);
                }
            }
            batch.push(Group { org_id: format!("unit-{:04}", g % orgs), name: format!("system-{:03}", g / orgs), purls });
            if batch.len() == BATCH || g + 1 == inventories {
                bulk::groups(sqlite.raw_pool(), &batch, now).await;
                batch.clear();
            }
        }
        let inventories_time = started.elapsed();
        let components = inventories * PER;
        println!(
            "loaded: {records_n} records in {:.1} s; {inventories} inventories ({components} components, {orgs} organisations) in {:.1} s ({:.0} components/s); database {:.2} GB",
            records_time.as_secs_f64(),
            inventories_time.as_secs_f64(),
            components as f64 / inventories_time.as_secs_f64(),
            std::fs::metadata(dir.path().join("national.db")).map(|m| m.len() as f64 / 1e9).unwrap_or(0.0)
                + std::fs::metadata(dir.path().join("national.db-wal")).map(|m| m.len() as f64 / 1e9).unwrap_or(0.0),
        );
        println!("load average after loading: {}", load());

        let state = AppState::new(store.clone(), Config::default());
        println!(
            "{:>9} {:>12} {:>12} {:>12} {:>12} {:>14} {:>10}",
            "affected", "baseline ms", "first ms", "same ms", "changed ms", "changed µs/c", "÷baseline"
        );
        let mut per_component = Vec::new();
        let mut inline = None;
        for &n in &levels {
            let id = format!("VR-HOT-{n:05}");
            store.save_vulnerability(&id, None, &hot_record(n, "Hot package"), &[], Utc::now()).await.expect("save");
            let ids = std::slice::from_ref(&id);
            let started = Instant::now();
            let first = warnings::rematch_vulnerabilities(&state, ids).await.expect("re-match");
            let first_time = started.elapsed();
            assert_eq!((first.components, first.written), (n, n), "level {n}: {first:?}");
            let started = Instant::now();
            let same = warnings::rematch_vulnerabilities(&state, ids).await.expect("re-match");
            let same_time = started.elapsed();
            assert_eq!(same.written, 0);
            store.save_vulnerability(&id, None, &hot_record(n, "Hot package, revised"), &[], Utc::now()).await.expect("save");
            let started = Instant::now();
            let changed = warnings::rematch_vulnerabilities(&state, ids).await.expect("re-match");
            let changed_time = started.elapsed();
            assert_eq!(changed.written, n);
            // Baseline: the bare match of the same components against the record.
            let stored = store.vulnerability(&id).await.expect("record");
            let v: Vulnerability = serde_json::from_value::<vulnrelay_formats::record::VulnerabilityJson>(stored.record)
                .expect("JSON")
                .into_domain("$")
                .expect("a record");
            let purls: Vec<String> = (0..n).map(|j| hot_purl(n, j)).collect();
            let (baseline, matched) = vulnrelay_bench::best_of(5, || {
                let index = Index::new(std::slice::from_ref(&v));
                purls.iter().map(|p| index.lookup_purl(p).map(|m| m.len()).unwrap_or(0)).sum::<usize>()
            });
            assert_eq!(matched, n);
            let micros = changed_time.as_secs_f64() * 1e6 / n as f64;
            per_component.push((n, micros));
            inline = Some((n, changed_time));
            println!(
                "{n:>9} {:>12.3} {:>12.1} {:>12.1} {:>12.1} {:>14.0} {:>9.0}×",
                ms(baseline),
                ms(first_time),
                ms(same_time),
                ms(changed_time),
                micros,
                changed_time.as_secs_f64() / baseline.as_secs_f64()
            );
        }
        if let (Some(&(low, a)), Some(&(high, b))) = (per_component.first(), per_component.last()) {
            println!(
                "a change affecting {high} components took {:.1}× the time of one affecting {low} ({:.0}× the components)",
                b * high as f64 / (a * low as f64),
                high as f64 / low as f64
            );
        }

        // A new inventory of 100 components.
        let org = vulnrelay_bench::generated_org("unit-new", "Generated new unit".into(), vec![Role::NetworkOperator], Jurisdiction::CN);
        store.create_org(&org).await.expect("org");
        let mut fresh = Components::new(records_n, 0x0000_0E11_7E57);
        let purls: Vec<String> = (0..PER).map(|_| fresh.next_purl()).collect();
        let items: Vec<AssetComponent> = purls
            .iter()
            .map(|p| AssetComponent { name: p.clone(), version: None, purl: Some(p.clone()), bom_ref: None })
            .collect();
        let index = Index::new(&records);
        let (baseline, matched) = vulnrelay_bench::best_of(5, || {
            purls.iter().map(|p| index.lookup_purl(p).map(|m| m.len()).unwrap_or(0)).sum::<usize>()
        });
        let started = Instant::now();
        store.put_asset_group("unit-new", "systems", "sbom", &items, None, Utc::now()).await.expect("upload");
        let put_time = started.elapsed();
        let started = Instant::now();
        let done = warnings::rematch_org(&state, "unit-new").await.expect("re-match");
        let org_time = started.elapsed();
        println!(
            "new inventory of {PER}: upload {:.1} ms, re-match {:.1} ms ({} records read, {} affected pairs, {} written; {matched} matches); baseline (in-memory index of every record) {:.3} ms; re-match ÷ baseline {:.0}×",
            ms(put_time),
            ms(org_time),
            done.vulnerabilities,
            done.affected,
            done.written,
            ms(baseline),
            org_time.as_secs_f64() / baseline.as_secs_f64()
        );
        // The worker's sweep. The bulk load marked every record and inventory; a
        // running platform's sweep has taken those, so they are cleared first.
        let started = Instant::now();
        let mut cleared = 0;
        loop {
            let page = store.rematch_marks(None, 10_000).await.expect("marks");
            if page.is_empty() {
                break;
            }
            cleared += page.len();
            store.clear_rematch_marks(&page).await.expect("clear");
        }
        let clear_time = started.elapsed();
        let started = Instant::now();
        let idle = warnings::rematch_marked(&state).await.expect("sweep");
        let idle_time = started.elapsed();
        assert_eq!(idle, warnings::Rematch::default());
        if let Some((n, inline_time)) = inline {
            let id = format!("VR-HOT-{n:05}");
            store.save_vulnerability(&id, None, &hot_record(n, "Hot package, revised again"), &[], Utc::now()).await.expect("save");
            let started = Instant::now();
            let swept = warnings::rematch_marked(&state).await.expect("sweep");
            let swept_time = started.elapsed();
            assert_eq!(swept.written, n, "{swept:?}");
            println!(
                "the worker's sweep of marked changes ({cleared} marks of the bulk load cleared in {:.1} s): nothing marked {:.2} ms; the record affecting {n} components changed {:.1} ms ({} written), against {:.1} ms for the inline re-match of the same change ({:.2}×)",
                clear_time.as_secs_f64(),
                ms(idle_time),
                ms(swept_time),
                swept.written,
                ms(inline_time),
                swept_time.as_secs_f64() / inline_time.as_secs_f64()
            );
        }
        if components <= 2_000_000 {
            let started = Instant::now();
            let every = store.inventory(None).await.expect("inventory");
            println!(
                "before the match index, each record change first read every inventory row: {} rows in {:.1} ms",
                every.len(),
                ms(started.elapsed())
            );
        }
        println!("load average at end: {}", load());
    });
}
