//! The relay sweep at a national platform's size: what the worker's sweep costs on an
//! instance with a peer (`federation::outbound::queue_marked`: the cases a change marked
//! since the last sweep), against the baseline of looking at every case
//! (`queue_all`, what every sweep did before and the daily full sweep does now), in the
//! same run on the same database.
//!
//! ```sh
//! vulnrelay-bench gen --db /tmp/c100k.db --cases 100000 --inventories 1000
//! relays --db /tmp/c100k.db --changed 100   # SQLite (a copy is measured)
//! relays --db postgres://postgres@127.0.0.1:5432/bench1m
//! ```
//!
//! A peer is added (hosting an organisation no generated case names, so nothing is owed
//! to it: the sweep's whole cost is looking), which marks every case. Printed: the sweep
//! that looks at them all once, a sweep with nothing changed, one after `--changed` cases
//! gained an event, and the baseline, each with its ratio to the baseline and the RSS.

use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Parser;
use serde_json::json;
use vulnrelay_bench::dataset::Database;
use vulnrelay_bench::load::rss_mb;
use vulnrelay_federation::Identity;
use vulnrelay_server::federation::{Instance, outbound};
use vulnrelay_store::federation::Peer;
use vulnrelay_store::{CaseChange, NewEvent};

/// The relay sweep's cost against looking at every case.
#[derive(Debug, Parser)]
struct Args {
    /// The database: a SQLite file (copied first) or a `postgres://` URL (added to).
    #[arg(long)]
    db: String,
    /// How many cases gain an event before the third sweep.
    #[arg(long, default_value_t = 100)]
    changed: usize,
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(run(args));
}

async fn run(args: Args) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database = Database::open_copy(&args.db, dir.path()).await.unwrap_or_else(|e| panic!("{e}"));
    let store = database.store.clone();
    let app = vulnrelay_server::App::new(store.clone(), vulnrelay_server::Config::default());
    app.federate_as(Instance::new(Identity::from_seed([1; 32]), Vec::new(), Duration::from_secs(5)));
    let peer = Peer {
        id: "bench-peer".into(),
        url: "http://127.0.0.1:9".into(),
        public_key: Identity::from_seed([2; 32]).public_key(),
        orgs: vec!["bench-peer-org".into()],
        created_at: Utc::now(),
    };
    let started = Instant::now();
    store.add_peer(&peer).await.expect("the peer");
    let cases = store.case_ids().await.expect("the case ids");
    println!(
        "# {} on {}: {} cases; the peer added (every case marked) in {:.2} s; RSS {:.0} MB",
        args.db,
        database.name(),
        cases.len(),
        started.elapsed().as_secs_f64(),
        rss_mb()
    );

    let mut sweeps: Vec<(String, outbound::Swept, f64, f64)> = Vec::new();
    let sweep = async |what: &str| {
        let start = Instant::now();
        let swept = outbound::queue_marked(&app).await.expect("a sweep");
        (what.to_owned(), swept, start.elapsed().as_secs_f64(), rss_mb())
    };
    sweeps.push(sweep("the first sweep (every case marked by the peer)").await);
    sweeps.push(sweep("the next sweep (nothing changed)").await);
    let step = (cases.len() / args.changed.max(1)).max(1);
    for id in cases.iter().step_by(step).take(args.changed) {
        let now = Utc::now();
        let event = NewEvent {
            at: now,
            body: json!({"at": now.to_rfc3339(), "type": "exploited", "party": vulnrelay_bench::dataset::PLATFORM}),
            recorded_by: None,
            override_reason: None,
        };
        let change = CaseChange { events: vec![event], ..CaseChange::default() };
        store.change_case(id, &change, now).await.expect("an event");
    }
    sweeps.push(sweep(&format!("after {} cases gained an event", args.changed)).await);

    let start = Instant::now();
    let all = outbound::queue_all(&app).await.expect("the full sweep");
    let baseline = start.elapsed().as_secs_f64();
    println!(
        "every case looked at (baseline, what each sweep did before): {} cases, {} relays in {baseline:.2} s; RSS {:.0} MB",
        all.cases,
        all.relays,
        rss_mb()
    );
    // The peer goes (marking every case again); the marks with it, so that a database
    // measured in place can be measured again.
    store.remove_peer(&peer.id).await.expect("the peer removed");
    outbound::queue_marked(&app).await.expect("the marks cleared");
    for (what, swept, seconds, rss) in sweeps {
        println!(
            "{what}: {} cases, {} relays in {:.1} ms ({:.5}× the baseline); RSS {rss:.0} MB after it",
            swept.cases,
            swept.relays,
            seconds * 1e3,
            seconds / baseline
        );
    }
}
