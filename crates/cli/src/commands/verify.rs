//! `vulnrelay verify`: walks every case's event hash chain.

use std::process::ExitCode;

use anyhow::Context;

use crate::commands::serve::{DEFAULT_DATABASE, runtime};

const EXIT_CODES: &str = "\
Exit codes:
  0  every chain holds
  1  a chain is broken (the first broken link is named)
  2  the database could not be read";

/// Checks that no stored event was altered, removed or reordered: each event carries the
/// SHA-256 of its content and of the previous event of its case.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_CODES)]
pub struct VerifyArgs {
    /// The database: `sqlite:PATH` or `postgres://...`.
    #[arg(long, env = "VULNRELAY_DATABASE_URL", default_value = DEFAULT_DATABASE)]
    pub database: String,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Output format.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// A sentence.
    Text,
    /// JSON.
    Json,
}

/// Runs the command.
pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let report = runtime()?.block_on(async {
        let store = vulnrelay_store::connect(&args.database)
            .await
            .with_context(|| format!("opening {}", args.database))?;
        store.verify().await.context("reading the event log")
    })?;
    match args.format {
        Format::Json => {
            let links: Vec<serde_json::Value> = report
                .broken
                .iter()
                .map(|b| serde_json::json!({"case": b.case_id, "seq": b.seq, "reason": b.reason}))
                .collect();
            let value = serde_json::json!({"ok": links.is_empty(), "cases": report.cases, "events": report.events,
                                           "broken": links.first(), "broken_links": links});
            println!("{value}");
        }
        Format::Text if report.broken.is_empty() => {
            println!("ok: {} events in {} cases, every chain holds", report.events, report.cases)
        }
        Format::Text => {
            for b in &report.broken {
                println!("BROKEN: case {} event {}: {}", b.case_id, b.seq, b.reason);
            }
        }
    }
    Ok(if report.broken.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
