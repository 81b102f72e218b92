//! `vulnrelay sanction`: decide sanctions, submit rectification reports, record reviews
//! and read an organisation's log from the shell, through the same workflow and checks
//! as the API (`vulnrelay_server::sanctions`).

use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{DateTime, Months, Utc};
use vulnrelay_domain::{AccountRole, Basis, OrgEvent, ReviewOutcome, SanctionKind, Timestamp};
use vulnrelay_server::sanctions;

use crate::commands::serve::{DEFAULT_DATABASE, runtime};

/// Sanctions and rectification on an organisation's own log.
#[derive(Debug, clap::Args)]
pub struct SanctionArgs {
    /// The database: `sqlite:PATH` or `postgres://...`.
    #[arg(long, env = "VULNRELAY_DATABASE_URL", default_value = DEFAULT_DATABASE, global = true)]
    pub database: String,

    #[command(subcommand)]
    pub command: SanctionCommand,
}

/// The organisation and membership scheme an entry concerns, and who records it.
#[derive(Debug, clap::Args)]
pub struct Target {
    /// The organisation's id.
    #[arg(long)]
    pub org: String,
    /// The membership scheme.
    #[arg(long, default_value = "miit-threat-sharing")]
    pub scheme: String,
    /// The e-mail of the account that records it (an analyst for decisions and reviews).
    #[arg(long)]
    pub by: String,
    /// When it takes effect (RFC 3339); now by default.
    #[arg(long)]
    pub at: Option<DateTime<Utc>>,
}

/// What to do.
#[derive(Debug, clap::Subcommand)]
pub enum SanctionCommand {
    /// Decide a sanction resting on findings or events of a case.
    Decide {
        #[command(flatten)]
        target: Target,
        /// warning, public_criticism, suspension or expulsion.
        #[arg(long)]
        kind: String,
        /// Why, in words.
        #[arg(long)]
        reason: String,
        /// The case the basis is on.
        #[arg(long)]
        case: String,
        /// A finding (`pack/rule`) the sanction rests on (repeat).
        #[arg(long = "finding")]
        findings: Vec<String>,
        /// An event of the case (by index) the sanction rests on (repeat).
        #[arg(long = "event")]
        events: Vec<usize>,
        /// A suspension's term in months (default 6).
        #[arg(long, conflicts_with = "until")]
        months: Option<u32>,
        /// A suspension's end (RFC 3339).
        #[arg(long)]
        until: Option<DateTime<Utc>>,
        /// The individual a public criticism names.
        #[arg(long)]
        individual: Option<String>,
        /// Publish the decision (public criticism always is).
        #[arg(long)]
        public: bool,
    },
    /// Submit the unit's rectification report.
    Rectify {
        #[command(flatten)]
        target: Target,
        /// The report's text, or `@FILE` to read it from a file.
        #[arg(long)]
        report: String,
    },
    /// Record the review of a rectification report.
    Review {
        #[command(flatten)]
        target: Target,
        /// restore or extend.
        #[arg(long)]
        outcome: String,
        /// The review note.
        #[arg(long)]
        note: String,
        /// For `extend`: the new term in months (default 6).
        #[arg(long, conflicts_with = "until")]
        months: Option<u32>,
        /// For `extend`: the new end (RFC 3339).
        #[arg(long)]
        until: Option<DateTime<Utc>>,
    },
    /// Print an organisation's log and each membership's status (JSON).
    Log {
        /// The organisation's id.
        #[arg(long)]
        org: String,
    },
}

fn term(at: Timestamp, months: Option<u32>, until: Option<DateTime<Utc>>) -> anyhow::Result<Timestamp> {
    match until {
        Some(until) => Ok(until),
        None => at.checked_add_months(Months::new(months.unwrap_or(6))).context("the term ends out of range"),
    }
}

/// Runs the command.
pub fn run(args: SanctionArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = vulnrelay_store::connect(&args.database)
            .await
            .with_context(|| format!("opening {}", args.database))?;
        let state = vulnrelay_server::AppState::new(store.clone(), vulnrelay_server::Config::default());
        let (target, event) = match args.command {
            SanctionCommand::Log { org } => {
                let entries = sanctions::log(&state, &org).await?;
                let memberships = sanctions::statuses(&state, &org, &entries, Utc::now()).await?;
                let out = serde_json::json!({
                    "org": org,
                    "memberships": memberships,
                    "log": entries.iter().map(sanctions::Entry::to_json).collect::<Vec<_>>(),
                });
                println!("{}", serde_json::to_string_pretty(&out)?);
                return Ok(());
            }
            SanctionCommand::Decide {
                target,
                kind,
                reason,
                case,
                findings,
                events,
                months,
                until,
                individual,
                public,
            } => {
                let at = target.at.unwrap_or_else(Utc::now);
                let kind = match kind.as_str() {
                    "warning" => SanctionKind::Warning,
                    "public_criticism" => SanctionKind::PublicCriticism { individual },
                    "suspension" => SanctionKind::Suspension { until: term(at, months, until)? },
                    "expulsion" => SanctionKind::Expulsion,
                    other => {
                        bail!("unknown sanction `{other}` (warning, public_criticism, suspension, expulsion)")
                    }
                };
                let public = public || matches!(kind, SanctionKind::PublicCriticism { .. });
                let basis = findings
                    .into_iter()
                    .map(|rule| Basis::Finding { rule, case: case.clone() })
                    .chain(events.into_iter().map(|index| Basis::Event { case: case.clone(), index }))
                    .collect();
                let author = account(&*store, &target.by, true).await?;
                (target, OrgEvent::Sanctioned { at, kind, author, reason, basis, public })
            }
            SanctionCommand::Rectify { target, report } => {
                let report = match report.strip_prefix('@') {
                    Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?,
                    None => report,
                };
                let author = account(&*store, &target.by, false).await?;
                let at = target.at.unwrap_or_else(Utc::now);
                (target, OrgEvent::RectificationSubmitted { at, author, report })
            }
            SanctionCommand::Review { target, outcome, note, months, until } => {
                let at = target.at.unwrap_or_else(Utc::now);
                let outcome = match outcome.as_str() {
                    "restore" => ReviewOutcome::Restore,
                    "extend" => ReviewOutcome::Extend { until: term(at, months, until)? },
                    other => bail!("unknown outcome `{other}` (restore, extend)"),
                };
                let reviewer = account(&*store, &target.by, true).await?;
                (target, OrgEvent::ReviewRecorded { at, reviewer, outcome, note })
            }
        };
        let by = store.account_by_email(&target.by).await?.id;
        let entry =
            sanctions::record(&state, &target.org, &target.scheme, event, Some(&by)).await.map_err(|e| {
                let problems: Vec<String> =
                    e.problems().iter().map(|p| format!("{}: {}", p.field, p.message)).collect();
                if problems.is_empty() {
                    anyhow::anyhow!(e)
                } else {
                    anyhow::anyhow!("{e}\n  {}", problems.join("\n  "))
                }
            })?;
        let (status, _) = sanctions::standing_of(&state, &target.org, &target.scheme, Utc::now()).await?;
        println!(
            "{} entry {} recorded ({}); {} is now {status} in {}",
            target.org,
            entry.stored.seq,
            entry.to_json()["type"].as_str().unwrap_or_default(),
            target.org,
            target.scheme
        );
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The id of the account `email`; an analyst's when `analyst`.
async fn account(store: &dyn vulnrelay_store::Store, email: &str, analyst: bool) -> anyhow::Result<String> {
    let account = store.account_by_email(email).await.with_context(|| format!("finding account {email}"))?;
    if analyst && !account.roles.contains(&AccountRole::Analyst) {
        bail!("{email} is not an analyst: only analysts decide sanctions and record reviews");
    }
    Ok(account.id)
}
