//! Advisories: the built-in Log4j records (as OSV documents) and any OSV files given with
//! `--advisories`, matched against identified Maven components with Maven version order.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use vulnrelay_formats::maven_version::{EcosystemRange, Event, MavenVersion, VersionRange};
use vulnrelay_formats::osv::{self, Affected, Package, Range, RangeEvent, RangeType};

use crate::error::{Result, ScanError};
use crate::log4j::{JNDI_LOOKUP_CVES, LOG4J1_CVES};
use crate::report::{Status, Verdict};

/// Maven group of log4j 2.
pub const LOG4J2_GROUP: &str = "org.apache.logging.log4j";

/// A set of advisories to match components against.
#[derive(Debug, Clone)]
pub struct Advisories {
    /// Where each record came from, and the record.
    docs: Vec<(String, osv::Vulnerability)>,
    /// Per Maven group, per artifact: the `affected` entries that name the package, in record
    /// order, ready to evaluate (a component is matched against its own entries only, not
    /// against every record).
    by_package: HashMap<String, HashMap<String, Vec<Target>>>,
}

/// One `affected` entry of a record, its versions parsed and its ranges sorted once.
#[derive(Debug, Clone)]
struct Target {
    /// Index of the record in [`Advisories::docs`].
    doc: usize,
    /// The record's CVE id (or its own id).
    id: String,
    /// Enumerated affected versions.
    versions: Vec<MavenVersion>,
    /// `ECOSYSTEM` ranges (`SEMVER`/`GIT` ranges do not apply to Maven).
    ranges: Vec<EcosystemRange>,
    /// Whether every version is affected (only `introduced: "0"` events).
    every_version: bool,
    /// The `fixed` versions of its ranges.
    fixed: Vec<String>,
}

impl Target {
    fn of(doc: usize, record: &osv::Vulnerability, affected: &Affected) -> Target {
        Target {
            doc,
            id: record.cve_or_id().to_owned(),
            versions: affected.versions.iter().map(|v| MavenVersion::parse(v)).collect(),
            ranges: affected
                .ranges
                .iter()
                .filter(|r| r.kind == RangeType::Ecosystem)
                .map(|r| EcosystemRange::new(&r.events.iter().map(Event::from).collect::<Vec<_>>()))
                .collect(),
            every_version: affects_every_version(affected),
            fixed: affected.fixed_versions(),
        }
    }

    /// Whether Maven version `v` is affected (as [`Affected::affects_maven`]).
    fn affects(&self, v: &MavenVersion) -> bool {
        self.versions.contains(v) || self.ranges.iter().any(|r| r.affects(v))
    }
}

/// What is known about a component's version.
#[derive(Debug, Clone)]
pub enum VersionKnowledge {
    /// One version.
    Exact(MavenVersion),
    /// One of these versions (a fingerprint range expanded over known releases).
    Candidates(Vec<MavenVersion>),
    /// Nothing.
    Unknown,
}

/// Class facts that change verdicts.
#[derive(Debug, Clone, Default)]
pub struct ClassFacts {
    /// For log4j-core: `Some(false)` when the copy's classes were found without `JndiLookup.class`.
    pub jndi_lookup_present: Option<bool>,
    /// For log4j 1.x: the CVE ids whose class is present; `None` when no classes were seen.
    pub log4j1_cves: Option<BTreeSet<&'static str>>,
    /// For log4j 1.x: the CVE ids whose backported fix is in, with the evidence.
    pub log4j1_fixed: BTreeMap<&'static str, String>,
}

fn ranges(pairs: &[(&str, &str)]) -> Vec<Range> {
    let mut events = Vec::new();
    for (introduced, fixed) in pairs {
        events.push(RangeEvent::Introduced((*introduced).to_owned()));
        if !fixed.is_empty() {
            events.push(RangeEvent::Fixed((*fixed).to_owned()));
        }
    }
    vec![Range { kind: RangeType::Ecosystem, repo: None, events }]
}

fn builtin_doc(id: &str, artifact: &str, summary: &str, pairs: &[(&str, &str)]) -> osv::Vulnerability {
    let (group, name) = artifact.split_once(':').unwrap_or(("", artifact));
    osv::Vulnerability {
        schema_version: Some("1.6.0".into()),
        id: id.into(),
        modified: "2022-01-18T00:00:00Z".into(),
        published: None,
        withdrawn: None,
        aliases: Vec::new(),
        summary: Some(summary.into()),
        details: None,
        severity: Vec::new(),
        affected: vec![Affected {
            package: Package {
                ecosystem: "Maven".into(),
                name: artifact.into(),
                purl: Some(format!("pkg:maven/{group}/{name}")),
            },
            ranges: ranges(pairs),
            versions: Vec::new(),
            ecosystem_specific: None,
            database_specific: None,
        }],
        references: vec![osv::Reference {
            kind: "ADVISORY".into(),
            url: format!("https://nvd.nist.gov/vuln/detail/{id}"),
        }],
        database_specific: None,
    }
}

/// What the published CVE records say of the built-in ids beyond their ranges: the CWE
/// ids of the CNA's `problemTypes`, and the CVSS v3.1 vector of CISA's ADP container where
/// it scored the record (testdata/examples/cve holds the records; a test compares).
pub const BUILTIN_FACTS: [(&str, Option<&str>, &[&str]); 6] = [
    (
        "CVE-2021-44228",
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"),
        &["CWE-502", "CWE-400", "CWE-20"],
    ),
    ("CVE-2021-45046", None, &["CWE-917"]),
    ("CVE-2021-45105", None, &["CWE-20", "CWE-674"]),
    ("CVE-2021-44832", Some("CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:H"), &["CWE-20", "CWE-74"]),
    ("CVE-2019-17571", None, &["CWE-502"]),
    ("CVE-2021-4104", None, &["CWE-502"]),
];

/// What the advisories say of one vulnerability id, for reports that rank and explain
/// it: its summary, its highest CVSS score, its CWE ids and a link to read more.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// The first record's summary.
    pub summary: Option<String>,
    /// The highest-scoring CVSS vector among the records, scored.
    pub cvss: Option<vulnrelay_formats::severity::Scored>,
    /// CWE ids (`CWE-502`), each once, in the records' order.
    pub cwes: Vec<String>,
    /// The first record's first advisory or web link.
    pub url: Option<String>,
}

/// The built-in OSV records: log4j-core CVE-2021-44228, -45046, -45105, -44832 (ranges from
/// the CVE records) and the log4j 1.x CVEs (no fixed release).
pub fn builtin_documents() -> Vec<osv::Vulnerability> {
    let core = "org.apache.logging.log4j:log4j-core";
    let l1 = "log4j:log4j";
    let docs = vec![
        builtin_doc(
            "CVE-2021-44228",
            core,
            "Log4Shell: JNDI lookups in log messages allow remote code execution",
            &[("2.0-beta9", "2.3.1"), ("2.4", "2.12.2"), ("2.13.0", "2.15.0")],
        ),
        builtin_doc(
            "CVE-2021-45046",
            core,
            "Incomplete fix of CVE-2021-44228 in non-default configurations (Thread Context lookups)",
            &[("2.0-beta9", "2.3.1"), ("2.4", "2.12.2"), ("2.13.0", "2.16.0")],
        ),
        builtin_doc(
            "CVE-2021-45105",
            core,
            "Uncontrolled recursion in self-referential lookups (denial of service)",
            &[("2.0-alpha1", "2.3.1"), ("2.4", "2.12.3"), ("2.13.0", "2.17.0")],
        ),
        builtin_doc(
            "CVE-2021-44832",
            core,
            "Remote code execution via JDBC Appender with a JNDI data source from an attacker-controlled configuration",
            &[("2.0-beta7", "2.3.2"), ("2.4", "2.12.4"), ("2.13.0", "2.17.1")],
        ),
        builtin_doc(
            "CVE-2019-17571",
            l1,
            "Deserialization of untrusted data in SocketServer (log4j 1.2)",
            &[("0", "")],
        ),
        builtin_doc("CVE-2021-4104", l1, "JMSAppender JNDI deserialization (log4j 1.2)", &[("0", "")]),
        builtin_doc("CVE-2022-23302", l1, "JMSSink JNDI deserialization (log4j 1.x)", &[("0", "")]),
        builtin_doc("CVE-2022-23305", l1, "SQL injection in JDBCAppender (log4j 1.2.x)", &[("0", "")]),
        builtin_doc("CVE-2022-23307", l1, "Deserialization in Chainsaw (log4j 1.2.x)", &[("0", "")]),
    ];
    docs.into_iter()
        .map(|mut doc| {
            if let Some((_, vector, cwes)) = BUILTIN_FACTS.iter().find(|(id, _, _)| *id == doc.id) {
                doc.severity = vector
                    .map(|v| osv::Severity { kind: "CVSS_V3".into(), score: v.into() })
                    .into_iter()
                    .collect();
                doc.database_specific = Some(serde_json::json!({ "cwe_ids": cwes }));
            }
            doc
        })
        .collect()
}

fn affects_every_version(a: &Affected) -> bool {
    !a.ranges.is_empty()
        && a.ranges.iter().all(|r| {
            r.kind == RangeType::Ecosystem
                && r.events.iter().all(|e| matches!(e, RangeEvent::Introduced(v) if v == "0"))
        })
}

impl Advisories {
    /// The built-in advisories only.
    pub fn builtin() -> Advisories {
        let mut advisories = Advisories::empty();
        for d in builtin_documents() {
            advisories.push("builtin".to_owned(), d);
        }
        advisories
    }

    /// No advisories.
    pub fn empty() -> Advisories {
        Advisories { docs: Vec::new(), by_package: HashMap::new() }
    }

    /// Adds record `doc` from `source`, indexing its Maven packages (a withdrawn record
    /// matches nothing).
    fn push(&mut self, source: String, doc: osv::Vulnerability) {
        let idx = self.docs.len();
        if doc.withdrawn.is_none() {
            for a in &doc.affected {
                if let Some((group, artifact)) = a.maven_package() {
                    self.by_package
                        .entry(group.to_owned())
                        .or_default()
                        .entry(artifact.to_owned())
                        .or_default()
                        .push(Target::of(idx, &doc, a));
                }
            }
        }
        self.docs.push((source, doc));
    }

    /// What the records of `id` (their id, or their CVE alias) say of it beyond ranges.
    pub fn facts(&self, id: &str) -> Facts {
        let mut facts = Facts::default();
        for (_, doc) in self.docs.iter().filter(|(_, d)| d.cve_or_id() == id || d.id == id) {
            if facts.summary.is_none() {
                facts.summary = doc.summary.clone().filter(|s| !s.is_empty());
            }
            if facts.url.is_none() {
                facts.url = doc.references.first().map(|r| r.url.clone());
            }
            for severity in &doc.severity {
                let Ok(scored) = vulnrelay_formats::severity::score(&severity.score) else { continue };
                if facts.cvss.as_ref().is_none_or(|best| scored.base_score > best.base_score) {
                    facts.cvss = Some(scored);
                }
            }
            for cwe in doc.cwe_ids() {
                if !facts.cwes.contains(&cwe) {
                    facts.cwes.push(cwe);
                }
            }
        }
        facts
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Adds OSV records from a JSON file (one record or an array), from every `*.json`
    /// entry of a zip file (such as the platform's `/api/v1/osv/all.zip`), or from every
    /// `*.json` file under a directory. Returns how many records were added.
    pub fn load_path(&mut self, path: &Path) -> Result<usize> {
        let mut files = Vec::new();
        if path.is_dir() {
            let mut stack = vec![path.to_path_buf()];
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir)? {
                    let p = entry?.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|e| e == "json") {
                        files.push(p);
                    }
                }
            }
            files.sort();
        } else {
            files.push(path.to_path_buf());
        }
        let mut added = 0;
        for file in files {
            let bytes = std::fs::read(&file)?;
            let texts = if bytes.starts_with(b"PK\x03\x04") {
                zipped_json(&bytes).map_err(|e| ScanError::Walk(format!("{}: {e}", file.display())))?
            } else {
                vec![(
                    String::new(),
                    String::from_utf8(bytes)
                        .map_err(|_| ScanError::Walk(format!("{}: not UTF-8 text", file.display())))?,
                )]
            };
            for (entry, text) in texts {
                let place = if entry.is_empty() {
                    file.display().to_string()
                } else {
                    format!("{}!/{entry}", file.display())
                };
                let docs = osv::parse_documents(&text)
                    .map_err(|e| ScanError::Walk(format!("{place}: not an OSV document: {e}")))?;
                for d in docs {
                    self.push(d.id.clone(), d);
                    added += 1;
                }
            }
        }
        Ok(added)
    }

    /// Verdicts for component `group:artifact` with what is known of its version.
    pub fn evaluate(
        &self,
        group: &str,
        artifact: &str,
        version: &VersionKnowledge,
        facts: &ClassFacts,
    ) -> Vec<Verdict> {
        let mut out: Vec<Verdict> = Vec::new();
        let targets = self.by_package.get(group).and_then(|artifacts| artifacts.get(artifact));
        for a in targets.into_iter().flatten() {
            let (source, id) = (&self.docs[a.doc].0, &a.id);
            let is_class_cve = LOG4J1_CVES.iter().any(|(cve, _)| *cve == id);
            if group == "log4j"
                && artifact == "log4j"
                && is_class_cve
                && !facts.log4j1_cves.as_ref().is_some_and(|s| s.contains(id.as_str()))
            {
                continue;
            }
            let mitigation =
                if JNDI_LOOKUP_CVES.contains(&id.as_str()) && facts.jndi_lookup_present == Some(false) {
                    Some("version affected, but JndiLookup.class is absent".to_owned())
                } else if group == "log4j" && artifact == "log4j" && is_class_cve {
                    facts.log4j1_fixed.get(id.as_str()).map(|e| format!("backported fix: {e}"))
                } else {
                    None
                };
            let mitigated = mitigation.is_some();
            let per = |v: &MavenVersion| -> Option<Status> {
                a.affects(v).then_some(if mitigated { Status::Mitigated } else { Status::Affected })
            };
            let (status, reason) = match version {
                VersionKnowledge::Exact(v) => match per(v) {
                    Some(s) => (s, None),
                    None => continue,
                },
                VersionKnowledge::Candidates(vs) => {
                    let statuses: Vec<Option<Status>> = vs.iter().map(per).collect();
                    if statuses.iter().all(|s| *s == Some(Status::Affected)) {
                        (Status::Affected, None)
                    } else if statuses.iter().all(|s| *s == Some(Status::Mitigated)) {
                        (Status::Mitigated, None)
                    } else if statuses.contains(&Some(Status::Affected)) {
                        (
                            Status::UnknownVersion,
                            Some("some of the possible versions are affected".to_owned()),
                        )
                    } else {
                        continue;
                    }
                }
                VersionKnowledge::Unknown => {
                    if a.every_version {
                        (if mitigated { Status::Mitigated } else { Status::Affected }, None)
                    } else {
                        (Status::UnknownVersion, Some("version unknown".to_owned()))
                    }
                }
            };
            let reason = reason.or_else(|| mitigation.filter(|_| status == Status::Mitigated));
            let fixed = a.fixed.clone();
            match out.iter_mut().find(|v| v.id == *id) {
                Some(existing) => {
                    if status.rank() > existing.status.rank() {
                        existing.status = status;
                        existing.reason = reason;
                    }
                    for f in fixed {
                        if !existing.fixed_in.contains(&f) {
                            existing.fixed_in.push(f);
                        }
                    }
                    if !existing.sources.contains(source) {
                        existing.sources.push(source.clone());
                    }
                }
                None => out.push(Verdict {
                    id: id.clone(),
                    status,
                    fixed_in: fixed,
                    sources: vec![source.clone()],
                    reason,
                }),
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }
}

/// Expands a Maven range over the known log4j-core releases.
pub fn log4j_candidates(range: &str) -> Vec<MavenVersion> {
    let Ok(r) = VersionRange::parse(range) else { return Vec::new() };
    crate::log4j::LOG4J_CORE_RELEASES
        .iter()
        .map(|v| MavenVersion::parse(v))
        .filter(|v| r.contains(v))
        .collect()
}

/// The largest advisory zip entry read, and the most read from one zip in all: an
/// advisory export is text, so anything larger is refused rather than inflated.
const MAX_ZIP_ENTRY: u64 = 16 * 1024 * 1024;
const MAX_ZIP_TOTAL: u64 = 512 * 1024 * 1024;

/// The `*.json` entries of a zip, as text, refusing entries (or a total) past the limits.
fn zipped_json(bytes: &[u8]) -> std::result::Result<Vec<(String, String)>, String> {
    use std::io::Read;
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| format!("not a zip: {e}"))?;
    let mut out = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| format!("entry {i}: {e}"))?;
        let name = entry.name().map_err(|e| format!("entry {i}: {e}"))?.into_owned();
        if entry.is_dir() || !name.ends_with(".json") {
            continue;
        }
        let mut text = String::new();
        let read =
            entry.take(MAX_ZIP_ENTRY + 1).read_to_string(&mut text).map_err(|e| format!("{name}: {e}"))?
                as u64;
        if read > MAX_ZIP_ENTRY {
            return Err(format!("{name}: larger than {MAX_ZIP_ENTRY} bytes"));
        }
        total += read;
        if total > MAX_ZIP_TOTAL {
            return Err(format!("more than {MAX_ZIP_TOTAL} bytes of advisories"));
        }
        out.push((name, text));
    }
    if out.is_empty() {
        return Err("the zip holds no *.json advisories".to_owned());
    }
    out.sort();
    Ok(out)
}
