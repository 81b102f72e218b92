//! `vulnrelay verify`: walks every case's event hash chain.

use std::process::ExitCode;

use anyhow::Context;

use crate::commands::serve::{DEFAULT_DATABASE, runtime};

const EXIT_CODES: &str = "\
Exit codes:
  0  every chain holds (and, with --checkpoints, every checkpoint by the trusted key)
  1  a chain is broken, or a chain no longer matches its signed checkpoint (every
     broken link is named)
  2  the database or the key could not be read";

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

    /// Also check the signed checkpoints of the chains' heads: a chain rewritten whole
    /// (every hash recomputed) no longer matches what the server signed.
    #[arg(long)]
    pub checkpoints: bool,

    /// The public key (hex) the checkpoints must be signed with; default: the one of
    /// the server's key file (`--checkpoint-key`, as `vulnrelay serve` finds it).
    #[arg(long, value_name = "HEX", requires = "checkpoints")]
    pub public_key: Option<String>,

    /// The server's checkpoint key file, to take the trusted public key from.
    #[arg(long, env = "VULNRELAY_CHECKPOINT_KEY", value_name = "FILE")]
    pub checkpoint_key: Option<std::path::PathBuf>,
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
    let (report, checked) = runtime()?.block_on(async {
        let store = vulnrelay_store::connect(&args.database)
            .await
            .with_context(|| format!("opening {}", args.database))?;
        let mut report = store.verify().await.context("reading the event log")?;
        let mut checked = None;
        if args.checkpoints {
            let trusted = match &args.public_key {
                Some(key) => key.trim().to_ascii_lowercase(),
                None => {
                    let path = args
                        .checkpoint_key
                        .clone()
                        .unwrap_or_else(|| crate::commands::serve::default_checkpoint_key(&args.database));
                    vulnrelay_store::checkpoint::Signer::load(&path)
                        .with_context(|| format!("the checkpoint key {}", path.display()))?
                        .public_key()
                }
            };
            let checkpoints = store.checkpoints().await.context("reading the checkpoints")?;
            let chains = store.chains().await.context("reading the chains")?;
            report.broken.extend(vulnrelay_store::checkpoint::check(&checkpoints, &chains, &trusted));
            checked = Some(checkpoints.iter().filter(|c| c.public_key == trusted).count());
        }
        anyhow::Ok((report, checked))
    })?;
    match args.format {
        Format::Json => {
            let links: Vec<serde_json::Value> = report
                .broken
                .iter()
                .map(|b| serde_json::json!({"case": b.case_id, "seq": b.seq, "reason": b.reason}))
                .collect();
            let value = serde_json::json!({"ok": links.is_empty(), "cases": report.cases, "events": report.events,
                                           "checkpoints": checked, "broken": links.first(), "broken_links": links});
            println!("{value}");
        }
        Format::Text if report.broken.is_empty() => {
            println!("ok: {} events in {} cases, every chain holds", report.events, report.cases);
            match checked {
                Some(0) => println!(
                    "note: no checkpoint signed by this key (the server signs the chains' heads as it runs)"
                ),
                Some(n) => println!("ok: {n} signed checkpoints match their chains"),
                None => {}
            }
        }
        Format::Text => {
            for b in &report.broken {
                println!("BROKEN: case {} event {}: {}", b.case_id, b.seq, b.reason);
            }
        }
    }
    Ok(if report.broken.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
