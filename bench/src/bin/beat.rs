//! The worker's checkpoint beat at a national platform's size: what signing the heads of
//! the hash chains costs (`Store::sign_heads`, every minute and on every publication),
//! against the baseline of reading every chain (`Store::chains`, what each pass read
//! before the chains appended to were marked), in the same run on the same database.
//!
//! ```sh
//! vulnrelay-bench gen --db /tmp/c100k.db --cases 100000 --inventories 1000
//! beat --db /tmp/c100k.db            # SQLite (a copy is measured: the run appends events)
//! beat --db postgres://postgres@127.0.0.1:5432/bench1m
//! ```
//!
//! Printed: each step's time and the process's resident memory after it, and the ratio of
//! each pass to the baseline. Steps: every chain read (baseline); a pass of a key new to
//! the database (every chain marked, each head looked up, those signed by no key of its
//! own signed); a pass with nothing appended; a pass after one event appended to each of
//! `--appended` cases; one publication's chain alone.

use std::time::Instant;

use clap::Parser;
use serde_json::json;
use vulnrelay_bench::dataset::{self, Database};
use vulnrelay_bench::load::rss_mb;
use vulnrelay_store::checkpoint::Signer;
use vulnrelay_store::{CaseChange, NewEvent};

/// The checkpoint beat's cost against reading every chain.
#[derive(Debug, Parser)]
struct Args {
    /// The database: a SQLite file (copied first) or a `postgres://` URL (appended to).
    #[arg(long)]
    db: String,
    /// How many cases get one event each before the last pass.
    #[arg(long, default_value_t = 100)]
    appended: usize,
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(run(args));
}

/// Appends one event to case `case_id`: the platform starts triage (a generated one).
async fn append(store: &dyn vulnrelay_store::Store, case_id: &str) {
    let now = chrono::Utc::now();
    let event = NewEvent {
        at: now,
        body: json!({"at": now.to_rfc3339(), "type": "triage_started", "party": dataset::PLATFORM}),
        recorded_by: None,
        override_reason: None,
    };
    let change = CaseChange { events: vec![event], ..CaseChange::default() };
    store.change_case(case_id, &change, now).await.expect("an appended event");
}

async fn run(args: Args) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let location = if args.db.starts_with("postgres") {
        args.db.clone()
    } else {
        let copy = dir.path().join("beat.db");
        std::fs::copy(&args.db, &copy).expect("a copy of the database");
        copy.to_str().expect("a UTF-8 path").to_owned()
    };
    let database = Database::open(&location).await.unwrap_or_else(|e| panic!("{e}"));
    let store = database.store.clone();
    println!("# {} on {}, RSS {:.0} MB", args.db, database.name(), rss_mb());

    let started = Instant::now();
    let chains = store.chains().await.expect("every chain");
    let baseline = started.elapsed().as_secs_f64();
    let events: usize = chains.values().map(Vec::len).sum();
    println!(
        "every chain read (baseline): {} chains, {events} hashes in {baseline:.2} s; RSS {:.0} MB",
        chains.len(),
        rss_mb()
    );
    let some: Vec<String> = chains
        .keys()
        .filter_map(|c| c.strip_prefix("case/"))
        .take(args.appended)
        .map(str::to_owned)
        .collect();
    drop(chains);

    // A key no pass used before: a fresh seed each run.
    let mut seed = [0u8; 32];
    seed[..16].copy_from_slice(&std::process::id().to_le_bytes().repeat(4));
    seed[16..24].copy_from_slice(&started.elapsed().as_nanos().to_le_bytes()[..8]);
    let signer = Signer::from_seed(seed);
    let step = |name: &str, seconds: f64, written: usize| {
        println!(
            "{name}: {written} checkpoints in {seconds:.3} s ({:.4}× the baseline); RSS {:.0} MB",
            seconds / baseline,
            rss_mb()
        );
    };
    let timed = async |what: &str| {
        let start = Instant::now();
        let written = store.sign_heads(&signer, chrono::Utc::now()).await.expect("a pass");
        step(what, start.elapsed().as_secs_f64(), written);
    };
    timed("a new key's first pass (every chain)").await;
    timed("a pass, nothing appended").await;

    for case_id in &some {
        append(store.as_ref(), case_id).await;
    }
    timed(&format!("a pass after {} cases appended to", some.len())).await;

    if let Some(case_id) = some.first() {
        append(store.as_ref(), case_id).await;
        let start = Instant::now();
        let written = store.sign_case_head(&signer, case_id, chrono::Utc::now()).await.expect("one chain");
        step("one publication's chain alone", start.elapsed().as_secs_f64(), written);
    }
}
