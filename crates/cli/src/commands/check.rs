//! `vulnrelay check`: evaluate case files against policy packs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anstyle::{AnsiColor, Style};
use anyhow::{Context, bail};
use chrono::Utc;
use unicode_width::UnicodeWidthStr;
use vulnrelay_domain::{Case, Interval, IntervalKind, Timestamp, intervals};
use vulnrelay_formats::case_file;
use vulnrelay_formats::compliance::{self, ComplianceReport, Evaluated, FindingEntry};
use vulnrelay_policy::{
    Deadline, Finding, Interpretation, Options, Pack, Settings, builtin_packs, evaluate_with,
};

const EXIT_CODES: &str = "\
Exit codes:
  0  nothing is met incompletely, met late, overdue, violated or in conflict (findings
     that need review, where the law leaves the case to a person, are listed but do
     not change it)
  1  something is met incompletely (`met_incomplete`: a notification sent in time
     without content the law asks of it; the missing fields are listed), met late,
     overdue, violated or in conflict
  2  bad input: an unreadable or invalid case file, an unknown policy, a bad --as-of,
     --interpretation or --deadline";

/// Evaluates case files against the regulatory policy packs and shows, rule by rule,
/// who met which obligation, who is late, and who broke a rule.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_CODES)]
pub struct CheckArgs {
    /// Case files (`vulnrelay/case-file/v1` JSON, see docs/case-file.md).
    #[arg(required = true, value_name = "CASE_FILE")]
    files: Vec<PathBuf>,

    /// A policy pack to apply: a shipped pack's id (cn-rmsv-2021, cn-miit-member,
    /// eu-cra-2024) or the path of a pack TOML file. Repeat for several; default: every
    /// shipped pack.
    #[arg(long = "policy", value_name = "ID|FILE")]
    policies: Vec<String>,

    /// Evaluate as of this time: RFC 3339, or a date meaning 00:00 in each case's time
    /// zone. Events after it are ignored. Default: now.
    #[arg(long, value_name = "TIME")]
    as_of: Option<String>,

    /// How day-based deadlines are read: `hours` = N × 24 h from the clock's start;
    /// `calendar-days` = the end of the Nth calendar day after that day, in the
    /// policy's own time zone (Beijing time for the Chinese packs);
    /// `civil-code-holidays` = calendar days with the Civil Code's holiday extension
    /// (the Chinese packs; holiday data for 2021, 2024, 2026); `eu-1182-71` = the EU
    /// rules on periods (Regulation No 1182/71, by analogy; the CRA). A bare reading
    /// applies to every policy that offers it (only the Chinese "2日" offers
    /// `calendar-days`); `POLICY=READING` sets one policy's (`cn-rmsv-2021=calendar-days`).
    /// Repeat for several.
    #[arg(long, value_name = "READING|POLICY=READING")]
    interpretation: Vec<String>,

    /// Set a rule's deadline where its policy allows configuration (the
    /// cooperating-unit scheme's): `POLICY/RULE=N` with N in days (`3d`) or hours (`36h`).
    #[arg(long, value_name = "POLICY/RULE=N")]
    deadline: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,

    /// Language of the table's messages (default: from LANG; zh for zh_*).
    #[arg(long, value_enum, env = "VULNRELAY_LANG")]
    lang: Option<Lang>,
}

/// `POLICY/RULE=N` with N like `3d` or `36h` (the `--deadline` of `check` and `serve`).
pub(crate) fn parse_deadline(text: &str) -> anyhow::Result<(String, Deadline)> {
    let parsed = text.split_once('=').and_then(|(rule, n)| {
        let deadline = match n.split_at(n.len().saturating_sub(1)) {
            (days, "d") => days.parse().ok().filter(|&d| d > 0).map(Deadline::Days),
            (hours, "h") => hours.parse().ok().filter(|&h| h > 0).map(Deadline::Hours),
            _ => None,
        }?;
        Some((rule.to_owned(), deadline))
    });
    parsed
        .ok_or_else(|| anyhow::anyhow!("--deadline {text}: expected POLICY/RULE=N with N like `3d` or `36h`"))
}

/// The bare reading and the settings per policy and rule from `--interpretation` and
/// `--deadline`, checked against the policies.
fn settings(args: &CheckArgs, packs: &[Pack]) -> anyhow::Result<(Interpretation, Settings)> {
    let mut bare = Interpretation::Hours;
    let mut settings = Settings::default();
    for text in &args.interpretation {
        match settings.read_interpretation(text) {
            Ok(Some(reading)) => bare = reading,
            Ok(None) => {}
            Err(e) if text.contains('=') => anyhow::bail!("--interpretation {text}: {e}"),
            Err(e) => anyhow::bail!("--interpretation: {e}"),
        }
    }
    for text in &args.deadline {
        let (rule, deadline) = parse_deadline(text)?;
        settings.deadlines.insert(rule, deadline);
    }
    settings.check(packs).map_err(|problems| anyhow::anyhow!("{}", problems.join("; ")))?;
    Ok((bare, settings))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Lang {
    En,
    Zh,
}

/// Runs the command.
pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let packs = select_packs(&args.policies)?;
    let now = Utc::now();
    let (interpretation, settings) = settings(&args, &packs)?;
    let mut loaded: Vec<(String, Case, Timestamp)> = Vec::new();
    let mut bad_input = false;
    for path in &args.files {
        match load_case(path) {
            Ok(case) => {
                let as_of = match &args.as_of {
                    None => now,
                    Some(text) => case_file::parse_time(text, case.timezone())
                        .map_err(|e| anyhow::anyhow!("--as-of: {e}"))?,
                };
                loaded.push((path.display().to_string(), case, as_of));
            }
            Err(error) => {
                bad_input = true;
                anstream::eprintln!("{}: {error:#}", path.display());
            }
        }
    }
    let findings: Vec<Vec<Finding<'_>>> = loaded
        .iter()
        .map(|(_, case, as_of)| {
            evaluate_with(case, &packs, &Options { as_of: *as_of, interpretation }, &settings)
        })
        .collect();
    let evaluated: Vec<Evaluated<'_>> = loaded
        .iter()
        .zip(&findings)
        .map(|((source, case, as_of), findings)| Evaluated {
            source: source.clone(),
            case,
            as_of: *as_of,
            findings,
            // A case file's events were not recorded by a platform: no evidence quality.
            evidence: None,
            recorded: None,
        })
        .collect();
    let as_of_text = args.as_of.clone().unwrap_or_else(|| now.to_rfc3339());
    let report = compliance::report(&as_of_text, interpretation, &settings, &packs, &evaluated);
    let written = match args.format {
        Format::Json => {
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &report)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        }
        Format::Table => {
            let intervals: Vec<Vec<Interval>> =
                loaded.iter().map(|(_, case, as_of)| intervals_as_of(case, *as_of)).collect();
            write_table(&report, &intervals, args.lang.unwrap_or_else(lang_from_env))
        }
    };
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("writing the report")?,
    }
    Ok(if bad_input {
        ExitCode::from(2)
    } else if findings.iter().flatten().any(|f| f.status.is_problem()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn load_case(path: &Path) -> anyhow::Result<Case> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(case_file::parse(&text)?)
}

/// The shipped packs, or those the user named (ids of shipped packs, or TOML files).
fn select_packs(wanted: &[String]) -> anyhow::Result<Vec<Pack>> {
    let shipped = builtin_packs().map_err(|(file, e)| anyhow::anyhow!("shipped pack {file}: {e}"))?;
    if wanted.is_empty() {
        return Ok(shipped);
    }
    let mut packs = Vec::with_capacity(wanted.len());
    for name in wanted {
        let pack = if let Some(pack) = shipped.iter().find(|p| &p.id == name) {
            pack.clone()
        } else if Path::new(name).is_file() {
            let text = std::fs::read_to_string(name).with_context(|| format!("reading {name}"))?;
            Pack::from_toml(&text).with_context(|| format!("policy pack {name}"))?
        } else {
            let ids: Vec<&str> = shipped.iter().map(|p| p.id.as_str()).collect();
            bail!("unknown policy `{name}`: not a shipped pack ({}) nor a file", ids.join(", "));
        };
        if packs.iter().any(|p: &Pack| p.id == pack.id) {
            bail!("policy `{}` given twice", pack.id);
        }
        packs.push(pack);
    }
    Ok(packs)
}

fn lang_from_env() -> Lang {
    let lang = std::env::var("LC_ALL").or_else(|_| std::env::var("LANG")).unwrap_or_default();
    if lang.starts_with("zh") { Lang::Zh } else { Lang::En }
}

fn status_style(status: &str) -> Style {
    let color = match status {
        "met" => AnsiColor::Green,
        "met_incomplete" | "met_late" | "pending" => AnsiColor::Yellow,
        "overdue" | "violated" => AnsiColor::Red,
        "conflict" => AnsiColor::Magenta,
        "needs_review" => AnsiColor::Cyan,
        _ => AnsiColor::BrightBlack,
    };
    let style = Style::new().fg_color(Some(color.into()));
    if matches!(status, "overdue" | "violated" | "conflict" | "needs_review") { style.bold() } else { style }
}

fn status_label(status: &str, lang: Lang) -> &str {
    if lang == Lang::En {
        return status;
    }
    match status {
        "met" => "已履行",
        "met_incomplete" => "内容不全",
        "met_late" => "逾期履行",
        "pending" => "待履行",
        "overdue" => "已逾期",
        "violated" => "违反",
        "conflict" => "冲突",
        "not_started" => "未起算",
        "needs_review" => "需复核",
        other => other,
    }
}

/// Problems first, then open duties, then what is settled.
fn rank(status: &str) -> u8 {
    match status {
        "overdue" | "violated" => 0,
        "conflict" | "needs_review" => 1,
        "met_late" => 2,
        "pending" => 3,
        "not_started" => 4,
        _ => 5,
    }
}

fn pad(text: &str, width: usize) -> String {
    let fill = width.saturating_sub(text.width());
    format!("{text}{}", " ".repeat(fill))
}

fn short_time(rfc3339: &Option<String>) -> String {
    match rfc3339.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) {
        Some(t) => t.format("%Y-%m-%d %H:%M %:z").to_string(),
        None => "—".to_owned(),
    }
}

/// The case's key intervals as they stood at `as_of`: later events are not known yet.
fn intervals_as_of(case: &Case, as_of: Timestamp) -> Vec<Interval> {
    intervals(case)
        .into_iter()
        .map(|mut i| {
            i.start = i.start.filter(|(at, _)| *at <= as_of);
            i.end = i.end.filter(|(at, _)| *at <= as_of && i.start.is_some());
            i
        })
        .collect()
}

fn interval_line(intervals: &[Interval], lang: Lang) -> String {
    let parts: Vec<String> = intervals
        .iter()
        .map(|i| {
            let label = match (i.kind, lang) {
                (IntervalKind::RegulatorReport, Lang::En) => "to regulator",
                (IntervalKind::VendorNotified, Lang::En) => "to vendor",
                (IntervalKind::FixAvailable, Lang::En) => "to fix",
                (IntervalKind::PublicDisclosure, Lang::En) => "to disclosure",
                (IntervalKind::Bulletin, Lang::En) => "to bulletin",
                (IntervalKind::FirstWarning, Lang::En) => "to first warning",
                (IntervalKind::RegulatorReport, Lang::Zh) => "至报送监管平台",
                (IntervalKind::VendorNotified, Lang::Zh) => "至通知厂商",
                (IntervalKind::FixAvailable, Lang::Zh) => "至修复",
                (IntervalKind::PublicDisclosure, Lang::Zh) => "至公开",
                (IntervalKind::Bulletin, Lang::Zh) => "至公告",
                (IntervalKind::FirstWarning, Lang::Zh) => "至首次预警",
            };
            match i.days() {
                Some(days) => format!("{label} {days:.1} d"),
                None => format!("{label} —"),
            }
        })
        .collect();
    let head = if lang == Lang::En { "days from discovery" } else { "自发现起天数" };
    format!("{head}: {}", parts.join(" · "))
}

fn write_table(report: &ComplianceReport, intervals: &[Vec<Interval>], lang: Lang) -> std::io::Result<()> {
    let mut out = anstream::stdout().lock();
    let dim = Style::new().dimmed();
    let bold = Style::new().bold();
    let (h_status, h_rule, h_party, h_due, h_note) = match lang {
        Lang::En => ("STATUS", "RULE", "PARTY", "DUE", "LATE"),
        Lang::Zh => ("状态", "规则", "主体", "期限", "逾期"),
    };
    for (index, case) in report.cases.iter().enumerate() {
        if index > 0 {
            writeln!(out)?;
        }
        writeln!(out, "{bold}{}{bold:#}  {dim}({}){dim:#}", case.title, case.source)?;
        let policies: Vec<String> = report
            .policies
            .iter()
            .map(|p| match (lang, p.interpretation) {
                (Lang::En, reading) => format!("{} (days read as {reading})", p.id),
                (Lang::Zh, "hours") => format!("{}（“日”按小时计）", p.id),
                (Lang::Zh, "eu-1182-71") => format!("{}（期间按第1182/71号条例计）", p.id),
                (Lang::Zh, "civil-code-holidays") => format!("{}（“日”按日历日计并顺延节假日）", p.id),
                (Lang::Zh, _) => format!("{}（“日”按日历日计）", p.id),
            })
            .collect();
        let (as_of, packs, sep) = match lang {
            Lang::En => ("as of", "policies: ", ", "),
            Lang::Zh => ("评估时点", "规则包：", "，"),
        };
        writeln!(
            out,
            "{dim}{as_of} {} · {packs}{}{dim:#}",
            short_time(&Some(case.as_of.clone())),
            policies.join(sep)
        )?;
        if let Some(intervals) = intervals.get(index) {
            writeln!(out, "{dim}{}{dim:#}", interval_line(intervals, lang))?;
        }
        let mut rows: Vec<&FindingEntry> = report.findings.iter().filter(|f| f.case == index).collect();
        rows.sort_by_key(|f| rank(f.status));
        if rows.is_empty() {
            let none = match lang {
                Lang::En => "no party is bound by these policies",
                Lang::Zh => "这些规则包不约束任何主体",
            };
            writeln!(out, "{none}")?;
            continue;
        }
        let w_status = rows
            .iter()
            .map(|f| status_label(f.status, lang).width())
            .max()
            .unwrap_or(0)
            .max(h_status.width());
        let w_rule = rows.iter().map(|f| f.rule.width()).max().unwrap_or(0).max(h_rule.width());
        let w_party = rows.iter().map(|f| f.party.width()).max().unwrap_or(0).max(h_party.width());
        let w_due = 23usize.max(h_due.width());
        writeln!(
            out,
            "{bold}{}  {}  {}  {}  {}{bold:#}",
            pad(h_status, w_status),
            pad(h_rule, w_rule),
            pad(h_party, w_party),
            pad(h_due, w_due),
            h_note
        )?;
        for f in rows {
            let style = status_style(f.status);
            let late = f.late_by_hours.map(|h| format!("{h} h")).unwrap_or_default();
            let line = format!(
                "{style}{}{style:#}  {}  {}  {}  {}",
                pad(status_label(f.status, lang), w_status),
                pad(&f.rule, w_rule),
                pad(&f.party, w_party),
                pad(&short_time(&f.due_at), w_due),
                late
            );
            writeln!(out, "{}", line.trim_end())?;
            let message = if lang == Lang::En { &f.message.en } else { &f.message.zh };
            writeln!(out, "{}  {dim}{message}{dim:#}", " ".repeat(w_status))?;
            for note in &f.notes {
                let (label, note) =
                    if lang == Lang::En { ("note: ", &note.en) } else { ("注：", &note.zh) };
                writeln!(out, "{}  {dim}{label}{note}{dim:#}", " ".repeat(w_status))?;
            }
            if let Some(sanction) = &f.sanction {
                let sanction = if lang == Lang::En { &sanction.en } else { &sanction.zh };
                let label = if lang == Lang::En { "sanction: " } else { "处理：" };
                writeln!(out, "{}  {style}{label}{sanction}{style:#}", " ".repeat(w_status))?;
            }
        }
    }
    let counts: Vec<String> =
        report.summary.iter().map(|(status, n)| format!("{n} {}", status_label(status, lang))).collect();
    if !counts.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", counts.join(", "))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use vulnrelay_policy::Status;

    use super::*;

    #[test]
    fn problems_sort_first() {
        let mut statuses = Status::ALL.map(Status::as_str);
        statuses.sort_by_key(|s| rank(s));
        assert_eq!(statuses[..2], ["overdue", "violated"]);
        assert_eq!(statuses[7], "met");
    }

    #[test]
    fn unknown_policy_is_refused() {
        let error = select_packs(&["cn-2099".into()]).unwrap_err().to_string();
        assert!(error.contains("unknown policy `cn-2099`"), "{error}");
        assert!(select_packs(&["eu-cra-2024".into(), "eu-cra-2024".into()]).is_err());
    }
}
