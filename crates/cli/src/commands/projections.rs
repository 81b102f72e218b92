//! `vulnrelay rebuild-projections`: recomputes every case's derived views from the
//! event log.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use vulnrelay_server::projection::CaseProjector;

use crate::commands::serve::{DEFAULT_DATABASE, runtime};

/// Recomputes the derived views of every case — its state, who may list it, the open
/// obligations of its parties with when they fall due — from the event log, which stays
/// the truth, and queues every public document (CSAF, OSV, feeds) to be made again. `vulnrelay serve` keeps them in step with every change and recomputes
/// those that fell behind when it starts; run this after restoring a database or to
/// check that nothing drifted (`--check`).
#[derive(Debug, clap::Args)]
pub struct RebuildArgs {
    /// The database: `sqlite:PATH` or `postgres://...`.
    #[arg(long, env = "VULNRELAY_DATABASE_URL", default_value = DEFAULT_DATABASE)]
    pub database: String,

    /// Set a rule's deadline where its policy allows configuration (as `vulnrelay serve
    /// --deadline`, which the views must be computed under).
    #[arg(long, value_name = "PACK/RULE=DURATION")]
    pub deadline: Vec<String>,

    /// Only compare: print the cases whose stored views differ from a recomputation,
    /// and the kept totals (the statistics' and the gauges') that differ from a recount,
    /// and exit 1 if any does; change nothing.
    #[arg(long)]
    pub check: bool,
}

/// Runs the command.
pub fn run(args: RebuildArgs) -> anyhow::Result<ExitCode> {
    let packs =
        vulnrelay_policy::builtin_packs().map_err(|(file, e)| anyhow::anyhow!("shipped pack {file}: {e}"))?;
    let mut policy = vulnrelay_policy::Settings::default();
    for text in &args.deadline {
        let (rule, deadline) = crate::commands::check::parse_deadline(text)?;
        policy.deadlines.insert(rule, deadline);
    }
    policy.check(&packs).map_err(|problems| anyhow::anyhow!("{}", problems.join("; ")))?;
    runtime()?.block_on(async {
        let store = vulnrelay_store::connect(&args.database)
            .await
            .with_context(|| format!("opening {}", args.database))?;
        let projector = Arc::new(CaseProjector::new(packs, policy));
        store.set_projector(projector.clone());
        let now = Utc::now();
        if args.check {
            let drifted = vulnrelay_server::projection::drifted(store.as_ref(), &projector, now)
                .await
                .context("comparing the case views")?;
            for case in &drifted {
                println!("{case}: its stored views differ from the event log's");
            }
            println!("{} case(s) differ", drifted.len());
            let totals = store.kept_totals_drift().await.context("recounting the kept totals")?;
            for total in &totals {
                println!("{total}");
            }
            let same = drifted.is_empty() && totals.is_empty();
            return Ok(if same { ExitCode::SUCCESS } else { ExitCode::from(1) });
        }
        let cases = store.rebuild_projections(now).await.context("recomputing the case views")?;
        println!("recomputed the views of {cases} case(s)");
        // The public documents are made with the server's public URL and key: queue
        // every one, under what they were made with, for the server's next public read.
        let identity =
            store.publication_status().await.context("reading the public documents' state")?.identity;
        store.republish_all(&identity).await.context("queueing the public documents")?;
        println!("queued every public document to be made again on the next public read");
        Ok(ExitCode::SUCCESS)
    })
}
