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
//! Printed: each pass's time, the process's resident memory after it and its ratio to the
//! baseline, read last so that its memory is not what the passes start from. Passes: a
//! key new to the database (every chain marked, each head looked up and signed); nothing
//! appended; after one event appended to each of `--appended` cases; one publication's
//! chain alone.

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
    let database = Database::open_copy(&args.db, dir.path()).await.unwrap_or_else(|e| panic!("{e}"));
    let store = database.store.clone();
    println!("# {} on {}, RSS {:.0} MB", args.db, database.name(), rss_mb());
    // The cases appended to: a page of the case list, not every chain.
    let some: Vec<String> =
        store.case_ids().await.expect("the case ids").into_iter().take(args.appended).collect();

    // A key no pass used before: a fresh seed each run.
    let mut seed = [0u8; 32];
    seed[..16].copy_from_slice(&std::process::id().to_le_bytes().repeat(4));
    seed[16..24].copy_from_slice(
        &std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
            .to_le_bytes()[..8],
    );
    let signer = Signer::from_seed(seed);
    // Each pass: what, checkpoints written, seconds, RSS after.
    let mut steps: Vec<(String, usize, f64, f64)> = Vec::new();
    let timed = async |what: String, only: Option<&str>| {
        let start = Instant::now();
        let written = match only {
            Some(case_id) => store.sign_case_head(&signer, case_id, chrono::Utc::now()).await,
            None => store.sign_heads(&signer, chrono::Utc::now()).await,
        }
        .expect("a pass");
        (what, written, start.elapsed().as_secs_f64(), rss_mb())
    };
    steps.push(timed("a new key's first pass (every chain)".into(), None).await);
    steps.push(timed("a pass, nothing appended".into(), None).await);
    for case_id in &some {
        append(store.as_ref(), case_id).await;
    }
    steps.push(timed(format!("a pass after {} cases appended to", some.len()), None).await);
    if let Some(case_id) = some.first() {
        append(store.as_ref(), case_id).await;
        steps.push(timed("one publication's chain alone".into(), Some(case_id)).await);
    }

    // The baseline last, so that the passes' memory is not what it left.
    let start = Instant::now();
    let chains = store.chains().await.expect("every chain");
    let baseline = start.elapsed().as_secs_f64();
    let events: usize = chains.values().map(Vec::len).sum();
    println!(
        "every chain read (baseline, what each pass read before): {} chains, {events} hashes in {baseline:.2} s; RSS {:.0} MB",
        chains.len(),
        rss_mb()
    );
    for (what, written, seconds, rss) in steps {
        println!(
            "{what}: {written} checkpoints in {seconds:.3} s ({:.4}× the baseline); RSS {rss:.0} MB after it",
            seconds / baseline
        );
    }
}
