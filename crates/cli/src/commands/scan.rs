//! `vulnrelay scan`: find vulnerable Log4j and identify Java components in files and
//! archives, optionally removing `JndiLookup.class` (`--fix`).

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use vulnrelay_scan::{Advisories, Options, Progress, Report, Status};

/// Output format of `vulnrelay scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable table: one row per exposed component (group:artifact:version) with
    /// its vulnerabilities and the version to move to (the lowest that fixes every one that
    /// is not mitigated, on the component's own line), then every place it was found.
    Table,
    /// JSON report: summary, findings, errors.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// CycloneDX 1.6 SBOM with vulnerabilities.
    Cyclonedx,
}

/// Scans files, directories and archives (nested to any depth) for Java components and
/// vulnerable Log4j.
///
/// A vulnerability is `mitigated` (not exposed) when its class was removed (JndiLookup) or a
/// backported fix is in (Debian's patched log4j 1.2: the fix classes and the class using
/// them are listed as evidence).
///
/// Exit codes: 0 nothing affected; 1 something affected (or of unknown version); 2 errors
/// (unreadable or corrupt files: one per archive, its bad entries counted in it; named paths
/// that are not regular files or directories), with or without findings.
#[derive(Debug, clap::Args)]
#[command(after_help = "Exit codes: 0 nothing affected, 1 affected or unknown-version found, 2 errors.")]
pub struct ScanArgs {
    /// Files or directories to scan.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Skip paths matching this glob (matched against the path and the file name); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Deepest archive nesting to enter.
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub max_depth: u32,
    /// Worker threads (0: automatic, eight per CPU, 8 to 64). With 1, each archive's
    /// entries are also inflated on that one thread (no helper threads).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// Follow symbolic links (loops are reported). Without it, links met in directories are
    /// not followed and counted in the summary with a note; a named path is always scanned
    /// through a link, and one that is neither a regular file nor a directory (a FIFO, a
    /// socket, a device) is an error.
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Scan every copy of identical content in full: no replay of a compressed nested
    /// archive's findings, no reuse of parsed central directories or small inflations (the
    /// report is the same; this only costs time).
    #[arg(long)]
    pub no_dedup: bool,
    /// Extra OSV advisories: a JSON file (one record or an array), a zip of them (such
    /// as the platform's /api/v1/osv/all.zip) or a directory of them.
    #[arg(long, value_name = "FILE|DIR")]
    pub advisories: Vec<PathBuf>,
    /// Remove JndiLookup.class from affected log4j-core copies, at every nesting depth.
    #[arg(long)]
    pub fix: bool,
    /// With --fix: keep no backup of rewritten files.
    #[arg(long, requires = "fix")]
    pub no_backup: bool,
    /// No progress bar and no summary line.
    #[arg(long, short)]
    pub quiet: bool,
    /// Upload the components found to this vulnrelay server (its base URL, e.g.
    /// `https://vulnrelay.example`) as an asset group of the token's organisation; the
    /// group's previous components are replaced (and kept in its history) and matching
    /// re-runs.
    #[arg(long, value_name = "URL", requires = "token")]
    pub upload: Option<String>,
    /// API token for --upload.
    #[arg(long, env = "VULNRELAY_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The asset group --upload replaces (default: `scan`).
    #[arg(long, value_name = "NAME", requires = "upload", default_value = "scan")]
    pub group: String,
}

/// PUTs the scan's CycloneDX document to `{base}/api/v1/assets/groups/{group}?source=scan`.
fn upload(
    base: &str,
    token: &str,
    group: &str,
    bom: &serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let mut url = reqwest::Url::parse(base).with_context(|| format!("`{base}` is not a URL"))?;
    url.path_segments_mut()
        .map_err(|()| anyhow::anyhow!("`{base}` cannot be a base URL"))?
        .pop_if_empty()
        .extend(["api", "v1", "assets", "groups", group]);
    url.set_query(Some("source=scan"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .put(url.clone())
            .bearer_auth(token)
            .json(bom)
            .send()
            .await
            .with_context(|| format!("uploading to {url}"))?;
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
        if !status.is_success() {
            anyhow::bail!("the server refused the upload ({status}): {body}");
        }
        Ok(body)
    })
}

struct Bar(indicatif::ProgressBar);

impl Progress for Bar {
    fn file_done(&self, _path: &std::path::Path, bytes: u64) {
        self.0.inc(bytes);
    }
}

fn table(report: &Report, fixes: &[vulnrelay_scan::fix::FixOutcome], quiet: bool) -> String {
    let mut out = String::new();
    let exposed: Vec<_> = report.findings.iter().filter(|f| !f.vulnerabilities.is_empty()).collect();
    // One row per component (group:artifact:version), its vulnerabilities, the version to
    // move to, and every place it was found under it.
    let mut groups: Vec<(String, Vec<&vulnrelay_scan::Finding>)> = Vec::new();
    for f in &exposed {
        let c = &f.component;
        let version = c.version.clone().or_else(|| c.version_range.clone()).unwrap_or_else(|| "?".into());
        let name = match &c.group {
            Some(g) => format!("{g}:{}:{version}", c.artifact),
            None => format!("{}:{version}", c.artifact),
        };
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, members)) => members.push(f),
            None => groups.push((name, vec![f])),
        }
    }
    if !groups.is_empty() {
        out.push_str(&format!("{:<16} {:<48} {:<12} VULNERABILITIES\n", "STATUS", "COMPONENT", "MOVE TO"));
    }
    for (name, members) in &groups {
        let statuses = |s: Status| members.iter().any(|f| f.vulnerabilities.iter().any(|v| v.status == s));
        let worst = if statuses(Status::Affected) {
            "affected"
        } else if statuses(Status::UnknownVersion) {
            "unknown-version"
        } else {
            "mitigated"
        };
        let mut vulns: Vec<String> = Vec::new();
        for f in members {
            for v in &f.vulnerabilities {
                let label = if v.status == Status::Affected {
                    v.id.clone()
                } else {
                    format!("{}({})", v.id, v.status.as_str())
                };
                if !vulns.contains(&label) {
                    vulns.push(label);
                }
            }
        }
        let targets: Vec<String> = members.iter().filter_map(|f| f.upgrade_to()).collect();
        let move_to = match targets.iter().max_by(|a, b| {
            vulnrelay_formats::maven_version::MavenVersion::parse(a)
                .cmp(&vulnrelay_formats::maven_version::MavenVersion::parse(b))
        }) {
            Some(t) => t.clone(),
            None if worst == "mitigated" => "-".into(),
            // Dated only to a range, or not at all: what to move to depends on the version.
            None if members.iter().any(|f| f.component.version.is_none()) => "?".into(),
            None => "no fix".into(),
        };
        out.push_str(&format!("{worst:<16} {name:<48} {move_to:<12} {}\n", vulns.join(",")));
        for f in members {
            out.push_str(&format!("    {}\n", f.path));
        }
    }
    for fix in fixes {
        out.push_str(&format!("fixed {}: removed {}\n", fix.path.display(), fix.removed.join(", ")));
        if let Some(b) = &fix.backup {
            out.push_str(&format!("  backup: {}\n", b.display()));
        }
    }
    if !quiet {
        out.push_str(&format!(
            "{} files, {} archives, {} components, {} with vulnerabilities, {} errors in {:.2}s\n",
            report.files_scanned,
            report.archives_scanned,
            report.findings.len(),
            exposed.len(),
            report.errors.len(),
            report.elapsed.as_secs_f64()
        ));
        for note in report.notes() {
            out.push_str(&format!("note: {note}\n"));
        }
    }
    out
}

/// Runs the command.
pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let mut advisories = Advisories::builtin();
    for p in &args.advisories {
        advisories.load_path(p).with_context(|| format!("loading advisories from {}", p.display()))?;
    }
    let mut opts = Options::new(args.paths.clone());
    opts.excludes = args.exclude.clone();
    opts.threads = args.threads;
    opts.follow_symlinks = args.follow_symlinks;
    opts.dedup = !args.no_dedup;
    opts.limits.max_depth = args.max_depth;
    opts.advisories = advisories;
    let bar = (!args.quiet && io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {elapsed} {binary_bytes} scanned ({binary_bytes_per_sec})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    if let Some(b) = &bar {
        opts.progress = Some(Arc::new(Bar(b.clone())));
    }
    let mut report = vulnrelay_scan::scan(&opts).context("scan")?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let fixes = if args.fix {
        let (fixes, errors) = vulnrelay_scan::fix::fix_report(&report, !args.no_backup, &opts.limits);
        report.errors.extend(errors);
        fixes
    } else {
        Vec::new()
    };
    let text = match args.format {
        Format::Table => table(&report, &fixes, args.quiet),
        Format::Json => {
            let fixes = fixes.iter().map(vulnrelay_scan::fix::FixOutcome::to_wire).collect();
            serde_json::to_string_pretty(&vulnrelay_scan::output::to_json_document(&report, fixes))? + "\n"
        }
        Format::Sarif => {
            let here = std::env::current_dir().ok();
            let log = vulnrelay_scan::output::to_sarif(&report, &opts.advisories, here.as_deref());
            serde_json::to_string_pretty(&log)? + "\n"
        }
        Format::Cyclonedx => {
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            serde_json::to_string_pretty(&vulnrelay_scan::output::to_cyclonedx(
                &report,
                &opts.advisories,
                Some(now),
            ))? + "\n"
        }
    };
    if let (Some(base), Some(token)) = (&args.upload, &args.token) {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let bom =
            serde_json::to_value(vulnrelay_scan::output::to_cyclonedx(&report, &opts.advisories, Some(now)))?;
        let answer = upload(base, token, &args.group, &bom)?;
        if !args.quiet {
            anstream::eprintln!(
                "uploaded to asset group `{}`: {} components (revision {}); {} warnings written",
                args.group,
                answer["components"],
                answer["revision"],
                answer["matching"]["warnings_written"]
            );
        }
    }
    let code = ExitCode::from(report.exit_code());
    let mut stdout = io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(code),
        Err(e) => return Err(e).context("writing the report"),
    }
    if args.format == Format::Table {
        for e in &report.errors {
            anstream::eprintln!("error: {}: {}", e.path, e.error);
        }
    } else if !args.quiet {
        // The machine-readable formats keep their documents; the notes go to stderr.
        for note in report.notes() {
            anstream::eprintln!("note: {note}");
        }
    }
    Ok(code)
}
