//! `vulnrelay import` and `vulnrelay export`: vulnerability documents in and out.
//!
//! `import` reads CVE JSON 5, CSAF 2.0, OSV and vulnrelay record files (detected by
//! content), validates each against its official schema and shows the records, every
//! problem with its JSON path. `export` writes records as CVE JSON 5.1, CSAF 2.0 or OSV.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::Utc;
use vulnrelay_domain::Vulnerability;
use vulnrelay_formats::csaf::{self, Lang, Publisher, Revision, Tracking};
use vulnrelay_formats::record::VulnerabilityJson;
use vulnrelay_formats::{cve5, import, osv_record, severity};

const IMPORT_EXIT_CODES: &str = "\
Exit codes:
  0  every file was read
  2  a file could not be read or is not valid (every problem is listed)";

/// Reads vulnerability documents (CVE JSON 5, CSAF 2.0, OSV, vulnrelay records),
/// validates them against their official schemas and shows the records.
#[derive(Debug, clap::Args)]
#[command(after_help = IMPORT_EXIT_CODES)]
pub struct ImportArgs {
    /// Files to read; the format of each is detected from its content.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Source name for OSV data that does not say where it comes from.
    #[arg(long, default_value = "osv")]
    source: String,

    /// Output: a table, or the records as vulnrelay record JSON.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    format: Output,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Output {
    Table,
    Json,
}

/// Runs `import`.
pub fn run_import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    let mut all: Vec<Vulnerability> = Vec::new();
    let mut out = anstream::stdout().lock();
    let mut documents: Vec<(String, String)> = Vec::new();
    for path in &args.files {
        match documents_of(path) {
            Ok(found) => documents.extend(found),
            Err(e) => {
                failed = true;
                anstream::eprintln!("{}: {e}", path.display());
            }
        }
    }
    for (place, text) in &documents {
        match import::import(text, &args.source) {
            Ok(imported) => {
                if args.format == Output::Table {
                    writeln!(
                        out,
                        "{}: {} ({} record{})",
                        place,
                        imported.format,
                        imported.records.len(),
                        if imported.records.len() == 1 { "" } else { "s" }
                    )?;
                    for v in &imported.records {
                        write_summary(&mut out, v)?;
                    }
                }
                all.extend(imported.records);
            }
            Err(problems) => {
                failed = true;
                anstream::eprintln!(
                    "{}: {} problem{}:",
                    place,
                    problems.len(),
                    if problems.len() == 1 { "" } else { "s" }
                );
                for problem in problems {
                    anstream::eprintln!("  {problem}");
                }
            }
        }
    }
    if args.format == Output::Json {
        let records: Vec<VulnerabilityJson> = all.iter().map(VulnerabilityJson::from).collect();
        serde_json::to_writer_pretty(&mut out, &records)?;
        writeln!(out)?;
    }
    Ok(if failed { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// The documents in a file, each with where it is: the file's text, or each `*.json`
/// entry of a zip (such as the platform's `/api/v1/osv/all.zip`) as `FILE!/ENTRY`.
fn documents_of(path: &std::path::Path) -> anyhow::Result<Vec<(String, String)>> {
    use std::io::Read;
    /// The most read from one zip entry, and from one zip in all.
    const MAX_ENTRY: u64 = 16 * 1024 * 1024;
    const MAX_TOTAL: u64 = 512 * 1024 * 1024;
    let bytes = std::fs::read(path)?;
    if !bytes.starts_with(b"PK\x03\x04") {
        let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("not UTF-8 text, nor a zip"))?;
        return Ok(vec![(path.display().to_string(), text)]);
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).context("not a readable zip")?;
    let mut out = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index(i)?;
        let name = entry.name()?.into_owned();
        if entry.is_dir() || !name.ends_with(".json") {
            continue;
        }
        let mut text = String::new();
        let read = entry.take(MAX_ENTRY + 1).read_to_string(&mut text).with_context(|| name.clone())? as u64;
        if read > MAX_ENTRY {
            bail!("{name}: larger than {MAX_ENTRY} bytes");
        }
        total += read;
        if total > MAX_TOTAL {
            bail!("more than {MAX_TOTAL} bytes of documents");
        }
        out.push((format!("{}!/{name}", path.display()), text));
    }
    if out.is_empty() {
        bail!("the zip holds no *.json documents");
    }
    out.sort();
    Ok(out)
}

fn write_summary(out: &mut impl Write, v: &Vulnerability) -> std::io::Result<()> {
    let aliases = if v.aliases.is_empty() { String::new() } else { format!(" ({})", v.aliases.join(", ")) };
    writeln!(out, "  {}{aliases}: {}", v.id, v.title.any().unwrap_or("(no title)"))?;
    for score in &v.scores {
        match severity::score(&score.vector) {
            Ok(s) => writeln!(
                out,
                "    score {:<10} {:>4.1} {:<8} CNVD {} CNNVD {}  {}",
                score.source,
                s.base_score,
                s.rating.as_str(),
                s.cnvd().zh(),
                s.cnnvd().zh(),
                s.vector
            )?,
            Err(e) => writeln!(out, "    score {:<10} {e}", score.source)?,
        }
    }
    for affected in &v.affected {
        let ranges: Vec<String> = affected
            .ranges
            .iter()
            .map(|r| match &r.end {
                vulnrelay_domain::RangeEnd::Fixed(f) => format!("[{}, {f})", r.introduced),
                vulnrelay_domain::RangeEnd::LastAffected(l) => format!("[{}, {l}]", r.introduced),
                vulnrelay_domain::RangeEnd::Open => format!("[{}, ∞)", r.introduced),
            })
            .chain(affected.versions.iter().cloned())
            .collect();
        writeln!(
            out,
            "    affected per {:<10} {}: {}",
            affected.source,
            affected.package.product,
            ranges.join(" ∪ ")
        )?;
    }
    Ok(())
}

/// Writes vulnerability records as CVE JSON 5.1, CSAF 2.0 or OSV.
#[derive(Debug, clap::Args)]
#[command(after_help = "Exit codes:\n  0  written\n  2  bad input, or a record the format cannot carry")]
pub struct ExportArgs {
    /// The format to write.
    #[arg(long, value_enum)]
    format: ExportFormat,

    /// A file of records (vulnrelay record JSON, or any format `import` reads).
    #[arg(long, value_name = "FILE", required_unless_present = "database", conflicts_with = "database")]
    records: Option<PathBuf>,

    /// The platform's database (`sqlite:PATH` or `postgres://...`) to export from; then
    /// an ID may also be a case id (all its records, in one CSAF advisory whose
    /// revision history follows the records' stored changes).
    #[arg(long, value_name = "URL")]
    database: Option<String>,

    /// Ids (or aliases) of the records, or case ids with `--database`; default: all.
    #[arg(value_name = "ID")]
    ids: Vec<String>,

    /// Language of CSAF documents.
    #[arg(long, value_enum, default_value_t = LangArg::En)]
    lang: LangArg,

    /// CNA organisation UUID for CVE records.
    #[arg(long, default_value = "00000000-0000-4000-8000-000000000000")]
    cna_org_id: String,

    /// CNA short name for CVE records; that source's data goes into the CNA container.
    #[arg(long, default_value = "apache")]
    cna_name: String,

    /// Publisher name for CSAF documents.
    #[arg(long, default_value = "vulnrelay")]
    publisher: String,

    /// Publisher namespace URL for CSAF documents.
    #[arg(long, default_value = "https://vulnrelay.invalid")]
    namespace: String,

    /// Write each document to DIR/{id}.json instead of standard output (OSV and CVE
    /// records are one document per id: several OSV records need it).
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExportFormat {
    Cve,
    Csaf,
    Osv,
    Record,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LangArg {
    En,
    Zh,
}

/// Runs `export`.
pub fn run_export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let Some(path) = args.records.clone() else { return export_from_database(&args) };
    let mut all: Vec<Vulnerability> = Vec::new();
    for (place, text) in documents_of(&path).with_context(|| format!("reading {}", path.display()))? {
        match import::import(&text, "import") {
            Ok(imported) => all.extend(imported.records),
            Err(problems) => {
                let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
                bail!("{place}:\n  {}", lines.join("\n  "));
            }
        }
    }
    let selected: Vec<Vulnerability> = if args.ids.is_empty() {
        all
    } else {
        let mut chosen = Vec::new();
        for id in &args.ids {
            match all.iter().find(|v| v.ids().any(|known| known.eq_ignore_ascii_case(id))) {
                Some(v) => chosen.push(v.clone()),
                None => bail!("no record {id} in {}", path.display()),
            }
        }
        chosen
    };
    write_export(&args, &selected, None)
}

/// Exports records from the platform's database: each ID names a record (by any of its
/// identifiers) or a case (all its records).
fn export_from_database(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let url = args.database.clone().context("--records or --database is required")?;
    crate::commands::serve::runtime()?.block_on(async {
        let store = vulnrelay_store::connect(&url).await.with_context(|| format!("opening {url}"))?;
        let state = vulnrelay_server::AppState::new(store.clone(), vulnrelay_server::Config::default());
        let mut records = Vec::new();
        let mut case = None;
        let all = store.vulnerabilities(None).await?;
        if args.ids.is_empty() {
            records = all.clone();
        }
        for id in &args.ids {
            let of_case: Vec<_> =
                all.iter().filter(|r| r.case_id.as_deref() == Some(id.as_str())).cloned().collect();
            if !of_case.is_empty() {
                case = Some(vulnrelay_server::casefile::load(&state, id).await?);
                records.extend(of_case);
                continue;
            }
            match store.vulnerability(id).await {
                Ok(found) => records.push(found),
                Err(vulnrelay_store::StoreError::NotFound { .. }) => bail!("no record or case {id} in {url}"),
                Err(other) => return Err(other.into()),
            }
        }
        let mut pairs = Vec::new();
        for stored in records {
            let v = vulnrelay_server::distribution::decode(&stored)?;
            pairs.push((stored, v));
        }
        let selected: Vec<Vulnerability> = pairs.iter().map(|(_, v)| v.clone()).collect();
        let csaf = match (args.format, pairs.first()) {
            (ExportFormat::Csaf, Some((first, _))) => {
                let advisory =
                    vulnrelay_server::distribution::Advisory { id: first.id.clone(), case, records: pairs };
                Some(vulnrelay_server::distribution::csaf_advisory(&state, &advisory).await?)
            }
            _ => None,
        };
        write_export(args, &selected, csaf)
    })
}

/// Writes `selected` in the chosen format (`csaf` given: that document).
fn write_export(
    args: &ExportArgs,
    selected: &[Vulnerability],
    csaf: Option<serde_json::Value>,
) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    // One record per id: what several sources (or a CSAF document's products) say of
    // the same vulnerability is one record with every source kept.
    let mut merged: Vec<Vulnerability> = Vec::new();
    for v in selected {
        match merged.iter_mut().find(|m| m.id.eq_ignore_ascii_case(&v.id)) {
            Some(existing) => existing.add_source(v),
            None => merged.push(v.clone()),
        }
    }
    let selected = &merged[..];
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let documents: Vec<(String, serde_json::Value)> = match args.format {
            ExportFormat::Osv => {
                selected.iter().map(|v| (v.id.clone(), osv_record::export(v, now))).collect()
            }
            ExportFormat::Cve => {
                let cna = cve5::Cna { org_id: args.cna_org_id.clone(), short_name: args.cna_name.clone() };
                let mut out = Vec::new();
                for v in selected {
                    out.push((v.id.clone(), cve5::export(v, &cna, now)?));
                }
                out
            }
            ExportFormat::Record => selected
                .iter()
                .map(|v| Ok((v.id.clone(), serde_json::to_value(VulnerabilityJson::from(v))?)))
                .collect::<anyhow::Result<_>>()?,
            ExportFormat::Csaf => {
                bail!("--out-dir is for OSV, CVE and record exports; a CSAF advisory is one document")
            }
        };
        for (id, document) in documents {
            let name = file_name(&id);
            let path = dir.join(format!("{name}.json"));
            std::fs::write(&path, serde_json::to_vec_pretty(&document)?)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.format == ExportFormat::Osv && selected.len() > 1 {
        bail!(
            "an OSV record is one document per id, and these are {} records: give --out-dir DIR for one DIR/{{id}}.json each, or name one id",
            selected.len()
        );
    }
    let value = match args.format {
        ExportFormat::Csaf if csaf.is_some() => csaf.unwrap_or_default(),
        ExportFormat::Record => {
            serde_json::to_value(selected.iter().map(VulnerabilityJson::from).collect::<Vec<_>>())?
        }
        ExportFormat::Osv => many(selected.iter().map(|v| osv_record::export(v, now)).collect()),
        ExportFormat::Cve => {
            let cna = cve5::Cna { org_id: args.cna_org_id.clone(), short_name: args.cna_name.clone() };
            let records: Result<Vec<_>, _> = selected.iter().map(|v| cve5::export(v, &cna, now)).collect();
            many(records?)
        }
        ExportFormat::Csaf => {
            let publisher = Publisher {
                category: "coordinator".into(),
                name: args.publisher.clone(),
                namespace: args.namespace.clone(),
            };
            let first = selected.first().context("no record to export")?;
            let tracking = Tracking {
                id: first.id.clone(),
                status: "final".into(),
                revisions: vec![Revision { number: 1, date: now, summary: "Initial version".into() }],
            };
            let lang = if args.lang == LangArg::Zh { Lang::Zh } else { Lang::En };
            let title = first.title.any().unwrap_or(&first.id).to_owned();
            csaf::security_advisory(&title, &publisher, &tracking, selected, lang)?
        }
    };
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &value)?;
    writeln!(out)?;
    Ok(ExitCode::SUCCESS)
}

/// A file name for an id: letters, digits, `-`, `_` and `.` kept, any run of others one `_`.
fn file_name(id: &str) -> String {
    let mut out = String::new();
    for c in id.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out
}

/// One document as itself; several as an array.
fn many(mut documents: Vec<serde_json::Value>) -> serde_json::Value {
    if documents.len() == 1 { documents.remove(0) } else { serde_json::Value::Array(documents) }
}
