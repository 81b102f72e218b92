//! Risk warnings end to end on SQLite: the matching workload of `matching` (100,000
//! components, here spread over 1,000 organisations' asset groups, against 10,000
//! records with 50,000 ranges) run through the server's warning engine and the
//! delivery worker, with the store in a temporary directory.
//!
//! Measured: the first full re-match (reads every record and inventory, matches, and
//! writes every warning with its inbox delivery), a second one with nothing changed
//! (the steady-state cost of a sweep: every fingerprint compared, nothing written), one
//! organisation's upload, one record's change, and delivering every inbox message.
//! Baseline, in the same run: the bare index match of the same components
//! (`vulnrelay_match::Index`, as in `matching`).
//!
//! Usage: `cargo run --release -p vulnrelay-bench --bin warnings [COMPONENTS] [VULNERABILITIES] [ORGS]`

use std::time::Instant;

use chrono::Utc;
use vulnrelay_domain::{Jurisdiction, Role};
use vulnrelay_match::Index;
use vulnrelay_server::worker::{Worker, WorkerConfig};
use vulnrelay_server::{AppState, Config, warnings};
use vulnrelay_store::warnings::AssetComponent;
use vulnrelay_store::{Organisation, Status};

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().expect("a number"));
    let components_n = args.next().unwrap_or(100_000);
    let vulnerabilities_n = args.next().unwrap_or(10_000);
    let orgs_n = args.next().unwrap_or(1_000).max(1);
    let (vulnerabilities, components) = vulnrelay_bench::inventory::workload(components_n, vulnerabilities_n);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let now = Utc::now();
        let setup = Instant::now();
        let store = vulnrelay_bench::sqlite_with_records(dir.path(), &vulnerabilities, now).await;
        let per_org = components.len().div_ceil(orgs_n);
        for (i, chunk) in components.chunks(per_org).enumerate() {
            let org = format!("unit-{i:04}");
            store
                .create_org(&Organisation {
                    id: org.clone(),
                    name: org.clone(),
                    name_zh: None,
                    roles: vec![Role::NetworkOperator],
                    jurisdiction: Jurisdiction::CN,
                    individual: false,
                    status: Status::Active,
                    created_at: now,
                })
                .await
                .expect("org");
            let items: Vec<AssetComponent> = chunk
                .iter()
                .map(|purl| AssetComponent { name: purl.clone(), version: None, purl: Some(purl.clone()), bom_ref: None })
                .collect();
            store.put_asset_group(&org, "systems", "sbom", &items, None, now).await.expect("group");
        }
        eprintln!("setup: {:.1} s", setup.elapsed().as_secs_f64());

        let index = Index::new(&vulnerabilities);
        let started = Instant::now();
        let matches: usize = components.iter().map(|c| index.lookup_purl(c).map(|m| m.len()).unwrap_or(0)).sum();
        let baseline = started.elapsed();

        let state = AppState::new(store.clone(), Config::default());
        let started = Instant::now();
        let first = warnings::rematch_all(&state).await.expect("re-match");
        let first_time = started.elapsed();
        let started = Instant::now();
        let second = warnings::rematch_all(&state).await.expect("re-match");
        let second_time = started.elapsed();
        let started = Instant::now();
        let upload = warnings::rematch_org(&state, "unit-0000").await.expect("re-match");
        let upload_time = started.elapsed();
        let started = Instant::now();
        let record = warnings::rematch_vulnerabilities(&state, &[vulnerabilities[0].id.clone()]).await.expect("re-match");
        let record_time = started.elapsed();

        let worker = Worker::new(state.app.clone(), WorkerConfig { batch: 500, deny_private_networks: false, ..WorkerConfig::default() });
        let started = Instant::now();
        let mut delivered = 0;
        loop {
            let round = worker.deliver(Utc::now()).await.expect("a round");
            if round.claimed == 0 {
                break;
            }
            delivered += round.delivered;
        }
        let delivery_time = started.elapsed();

        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        println!(
            "workload: {components_n} components in {orgs_n} organisations x {vulnerabilities_n} vulnerabilities; SQLite"
        );
        println!("baseline (index match only):      {:>9.1} ms  ({matches} matches)", ms(baseline));
        println!(
            "first full re-match:              {:>9.1} ms  ({} affected pairs, {} warnings + inbox deliveries written; {:.0} warnings/s)",
            ms(first_time),
            first.affected,
            first.written,
            first.written as f64 / first_time.as_secs_f64()
        );
        println!(
            "second full re-match (no change): {:>9.1} ms  ({} written; {:.0} components/s; ratio to baseline {:.1}x)",
            ms(second_time),
            second.written,
            components_n as f64 / second_time.as_secs_f64(),
            second_time.as_secs_f64() / baseline.as_secs_f64()
        );
        println!("one organisation's upload:        {:>9.1} ms  ({} components)", ms(upload_time), upload.components);
        println!("one record changed:               {:>9.1} ms  ({} components)", ms(record_time), record.components);
        println!(
            "inbox delivery:                   {:>9.1} ms  ({delivered} delivered; {:.0} deliveries/s)",
            ms(delivery_time),
            delivered as f64 / delivery_time.as_secs_f64()
        );
    });
}
