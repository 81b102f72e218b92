//! Conversions of a [`Report`] into the wire formats of `vulnrelay-formats`: the JSON
//! report, SARIF 2.1.0 and CycloneDX 1.6.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use vulnrelay_formats::{cyclonedx as cdx, sarif, scan_report as json};

use crate::advisory::{Advisories, Facts};
use crate::report::{Confidence, EvidenceKind, Finding, Report, Status};

/// Tool name in SARIF and CycloneDX.
pub const TOOL_NAME: &str = "vulnrelay";

fn counts(report: &Report) -> (u64, u64, u64) {
    let mut affected = 0;
    let mut mitigated = 0;
    let mut unknown = 0;
    for f in &report.findings {
        let has = |s: Status| f.vulnerabilities.iter().any(|v| v.status == s);
        if has(Status::Affected) {
            affected += 1;
        } else if has(Status::UnknownVersion) {
            unknown += 1;
        } else if has(Status::Mitigated) {
            mitigated += 1;
        }
    }
    (affected, mitigated, unknown)
}

/// The JSON report as the CLI writes it: [`to_json`] with `fixes`, and in its summary what was
/// left out without being an error — `links_not_followed` (always, a count) and `notes` (the
/// sentences of [`Report::notes`], when there are any). Readers of version 1 ignore both.
pub fn to_json_document(report: &Report, fixes: Vec<json::FixEntry>) -> serde_json::Value {
    let mut doc = to_json(report);
    doc.fixes = fixes;
    let mut value = serde_json::to_value(&doc).unwrap_or_default();
    if let Some(summary) = value.get_mut("summary").and_then(serde_json::Value::as_object_mut) {
        summary.insert("links_not_followed".into(), report.links_not_followed.into());
        let notes = report.notes();
        if !notes.is_empty() {
            summary.insert("notes".into(), notes.into());
        }
    }
    value
}

/// The JSON report.
pub fn to_json(report: &Report) -> json::ScanReport {
    let (affected, mitigated, unknown_version) = counts(report);
    json::ScanReport {
        summary: json::Summary {
            paths: report.paths.iter().map(|p| p.to_string_lossy().into_owned()).collect(),
            files_scanned: report.files_scanned,
            archives_scanned: report.archives_scanned,
            components: report.findings.len() as u64,
            affected,
            mitigated,
            unknown_version,
            errors: report.errors.len() as u64,
            elapsed_ms: report.elapsed.as_millis() as u64,
        },
        findings: report
            .findings
            .iter()
            .map(|f| json::Finding {
                path: f.path.clone(),
                component: json::Component {
                    group: f.component.group.clone(),
                    artifact: f.component.artifact.clone(),
                    version: f.component.version.clone(),
                    version_range: f.component.version_range.clone(),
                },
                evidence: f
                    .evidence
                    .iter()
                    .map(|e| json::Evidence { kind: e.kind.as_str().into(), detail: e.detail.clone() })
                    .collect(),
                confidence: f.confidence.as_str().into(),
                vulnerabilities: f
                    .vulnerabilities
                    .iter()
                    .map(|v| json::Vulnerability {
                        id: v.id.clone(),
                        status: v.status.as_str().into(),
                        fixed_in: v.fixed_in.clone(),
                        sources: v.sources.clone(),
                        reason: v.reason.clone(),
                    })
                    .collect(),
            })
            .collect(),
        errors: report
            .errors
            .iter()
            .map(|e| json::ScanErrorEntry {
                path: e.path.clone(),
                kind: e.error.kind().into(),
                message: e.error.to_string(),
            })
            .collect(),
        fixes: Vec::new(),
    }
}

fn component_label(f: &Finding) -> String {
    let c = &f.component;
    let version = c.version.clone().or_else(|| c.version_range.clone()).unwrap_or_else(|| "?".into());
    match &c.group {
        Some(g) => format!("{g}:{}:{version}", c.artifact),
        None => format!("{}:{version}", c.artifact),
    }
}

fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The base that relative locations of the SARIF log resolve against.
pub const SCAN_ROOT: &str = "SCANROOT";

/// `file://` URI of an absolute path (percent-encoded), or the relative path as a URI
/// reference against [`SCAN_ROOT`].
fn artifact_location(file: &std::path::Path) -> sarif::ArtifactLocation {
    let text = file.to_string_lossy();
    let text = text.strip_prefix("./").unwrap_or(&text);
    if file.is_absolute() {
        sarif::ArtifactLocation { uri: format!("file://{}", percent_encode_path(text)), uri_base_id: None }
    } else {
        sarif::ArtifactLocation { uri: percent_encode_path(text), uri_base_id: Some(SCAN_ROOT.into()) }
    }
}

fn location(f_path: &str, file: &std::path::Path) -> sarif::Location {
    sarif::Location {
        physical_location: Some(sarif::PhysicalLocation { artifact_location: artifact_location(file) }),
        logical_locations: vec![sarif::LogicalLocation {
            fully_qualified_name: f_path.to_owned(),
            kind: Some("module".into()),
        }],
    }
}

/// The SARIF level of a verdict: what must be fixed is an error, what could not be
/// decided a warning, what is mitigated a note.
fn level(status: Status) -> sarif::Level {
    match status {
        Status::Affected => sarif::Level::Error,
        Status::UnknownVersion => sarif::Level::Warning,
        Status::Mitigated => sarif::Level::Note,
    }
}

/// One rule per vulnerability id, from what the advisories say of it: the summary, the
/// CVSS base score as `security-severity` (code-scanning tools rank by it), CWE tags and a
/// link to the record.
fn rule(id: &str, facts: &Facts) -> sarif::ReportingDescriptor {
    let mut properties = BTreeMap::new();
    if let Some(cvss) = &facts.cvss {
        properties
            .insert("security-severity".into(), serde_json::Value::from(format!("{:.1}", cvss.base_score)));
    }
    let tags: Vec<serde_json::Value> = std::iter::once("security".to_owned())
        .chain(facts.cwes.iter().cloned())
        .map(serde_json::Value::from)
        .collect();
    properties.insert("tags".into(), serde_json::Value::Array(tags));
    sarif::ReportingDescriptor {
        id: id.to_owned(),
        short_description: Some(sarif::Message { text: format!("{id} in a Java component") }),
        full_description: facts.summary.clone().map(|text| sarif::Message { text }),
        help_uri: facts
            .url
            .clone()
            .or_else(|| id.starts_with("CVE-").then(|| format!("https://nvd.nist.gov/vuln/detail/{id}"))),
        properties,
    }
}

/// SARIF 2.1.0: one result per (component, vulnerability), one rule per vulnerability id
/// (ranked by its CVSS score from `advisories`); scan errors are tool execution
/// notifications. Files given by relative path resolve against `SCANROOT`, which is
/// `scan_root` (the directory the scan ran in) when given.
pub fn to_sarif(
    report: &Report,
    advisories: &Advisories,
    scan_root: Option<&std::path::Path>,
) -> sarif::SarifLog {
    let mut rules: BTreeMap<String, sarif::ReportingDescriptor> = BTreeMap::new();
    let mut results = Vec::new();
    for f in &report.findings {
        for v in &f.vulnerabilities {
            rules.entry(v.id.clone()).or_insert_with(|| rule(&v.id, &advisories.facts(&v.id)));
            let fixed = if v.fixed_in.is_empty() { "no fixed release".into() } else { v.fixed_in.join(", ") };
            let mut properties = BTreeMap::new();
            properties.insert("status".into(), serde_json::Value::from(v.status.as_str()));
            properties.insert("component".into(), serde_json::Value::from(component_label(f)));
            properties.insert("fixed_in".into(), serde_json::Value::from(v.fixed_in.clone()));
            if let Some(reason) = &v.reason {
                properties.insert("reason".into(), serde_json::Value::from(reason.clone()));
            }
            results.push(sarif::SarifResult {
                rule_id: v.id.clone(),
                level: level(v.status),
                message: sarif::Message {
                    text: format!(
                        "{} at {} is {} by {} (fixed in: {fixed})",
                        component_label(f),
                        f.path,
                        v.status.as_str(),
                        v.id
                    ),
                },
                locations: vec![location(&f.path, &f.file)],
                properties,
            });
        }
    }
    let notifications: Vec<sarif::Notification> = report
        .errors
        .iter()
        .map(|e| sarif::Notification {
            level: sarif::Level::Error,
            message: sarif::Message { text: format!("{}: {}", e.path, e.error) },
            locations: Vec::new(),
        })
        .collect();
    let mut original_uri_base_ids = BTreeMap::new();
    if let Some(root) = scan_root.filter(|r| r.is_absolute()) {
        let text = root.to_string_lossy();
        let uri = format!("file://{}/", percent_encode_path(text.trim_end_matches('/')));
        original_uri_base_ids
            .insert(SCAN_ROOT.to_owned(), sarif::ArtifactLocation { uri, uri_base_id: None });
    }
    sarif::SarifLog {
        schema: sarif::SCHEMA_URI.into(),
        version: "2.1.0".into(),
        runs: vec![sarif::Run {
            tool: sarif::Tool {
                driver: sarif::ToolComponent {
                    name: TOOL_NAME.into(),
                    version: Some(env!("CARGO_PKG_VERSION").into()),
                    // vulnrelay has no public home page to name; SARIF makes this optional.
                    information_uri: None,
                    rules: rules.into_values().collect(),
                },
            },
            results,
            invocations: vec![sarif::Invocation {
                execution_successful: report.errors.is_empty(),
                tool_execution_notifications: notifications,
            }],
            original_uri_base_ids,
        }],
    }
}

fn purl(f: &Finding) -> Option<String> {
    let g = f.component.group.as_ref()?;
    let v = f.component.version.as_ref()?;
    Some(format!("pkg:maven/{}/{}@{}", g, f.component.artifact, percent_encode_path(v)))
}

fn confidence_value(c: Confidence) -> f64 {
    match c {
        Confidence::High => 1.0,
        Confidence::Medium => 0.7,
        Confidence::Low => 0.3,
    }
}

/// The CycloneDX impact state of a verdict, with the justification and detail it needs:
/// a present vulnerable copy may be exploited, an undecided one is in triage, a backported
/// fix resolved it, a removed class leaves no code to exploit.
fn impact(status: Status, reason: Option<&str>) -> (&'static str, Option<&'static str>) {
    match status {
        Status::Affected => ("exploitable", None),
        Status::UnknownVersion => ("in_triage", None),
        Status::Mitigated if reason.is_some_and(|r| r.starts_with("backported fix")) => ("resolved", None),
        Status::Mitigated => ("not_affected", Some("code_not_present")),
    }
}

fn rating(facts: &Facts) -> Option<cdx::Rating> {
    use vulnrelay_formats::severity::CvssVersion;
    let cvss = facts.cvss.as_ref()?;
    let method = match cvss.version {
        CvssVersion::V2 => "CVSSv2",
        CvssVersion::V3_0 => "CVSSv3",
        CvssVersion::V3_1 => "CVSSv31",
        CvssVersion::V4 => "CVSSv4",
    };
    // CycloneDX writes CVSS v3 vectors without their `CVSS:3.x/` prefix.
    let vector = match cvss.version {
        CvssVersion::V3_0 | CvssVersion::V3_1 => {
            cvss.vector.split_once('/').map_or(&*cvss.vector, |(_, rest)| rest)
        }
        _ => &cvss.vector,
    };
    Some(cdx::Rating {
        score: Some(cvss.base_score),
        severity: Some(cvss.rating.as_str().to_lowercase()),
        method: Some(method.into()),
        vector: Some(vector.to_owned()),
    })
}

/// Where each finding sits: the finding or archive that holds it. A finding at the same
/// path as an earlier one is a copy shaded into it; otherwise its holder is whatever lies
/// at its path up to the last `!/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Holder {
    /// On disk, held by nothing scanned.
    Top,
    /// Inside finding `i`.
    Finding(usize),
    /// Inside archive `i` of the containers (an archive that is no component itself).
    Archive(usize),
}

/// The holders of every finding and of the archives that hold some finding without being
/// components themselves (each archive with its path and its own holder).
fn holders(findings: &[Finding]) -> (Vec<Holder>, Vec<(String, Holder)>) {
    let mut first_at: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        first_at.entry(f.path.as_str()).or_insert(i);
    }
    let mut archives: Vec<(String, Holder)> = Vec::new();
    fn holder_of(
        path: &str,
        first_at: &BTreeMap<&str, usize>,
        archives: &mut Vec<(String, Holder)>,
    ) -> Holder {
        let Some((outer, _)) = path.rsplit_once("!/") else { return Holder::Top };
        if let Some(&i) = first_at.get(outer) {
            return Holder::Finding(i);
        }
        if let Some(i) = archives.iter().position(|(p, _)| p == outer) {
            return Holder::Archive(i);
        }
        let up = holder_of(outer, first_at, archives);
        archives.push((outer.to_owned(), up));
        Holder::Archive(archives.len() - 1)
    }
    let holders = findings
        .iter()
        .enumerate()
        .map(|(i, f)| match first_at[f.path.as_str()] {
            first if first != i => Holder::Finding(first),
            _ => holder_of(&f.path, &first_at, &mut archives),
        })
        .collect();
    (holders, archives)
}

/// CycloneDX 1.6: every component (evidence and occurrences) nested under the archive
/// or component that holds it, with `dependencies` saying the same; every vulnerability
/// with its rating and CWEs from `advisories`, one entry per impact state (a mitigated
/// copy is never `exploitable`). `timestamp` is RFC 3339 or `None`.
pub fn to_cyclonedx(report: &Report, advisories: &Advisories, timestamp: Option<String>) -> cdx::Bom {
    let mut flat: Vec<cdx::Component> = Vec::new();
    let mut vulns: BTreeMap<(String, &'static str), cdx::Vulnerability> = BTreeMap::new();
    let mut hasher = Sha256::new();
    for (i, f) in report.findings.iter().enumerate() {
        hasher.update(f.path.as_bytes());
        hasher.update(component_label(f).as_bytes());
        let bom_ref = format!("component-{}", i + 1);
        let methods: Vec<cdx::Method> = f
            .evidence
            .iter()
            .map(|e| cdx::Method {
                technique: match e.kind {
                    EvidenceKind::PomProperties | EvidenceKind::PomXml | EvidenceKind::Manifest => {
                        "manifest-analysis"
                    }
                    EvidenceKind::WellKnown | EvidenceKind::PackagePrefix => "other",
                    EvidenceKind::Class | EvidenceKind::FixClass => "binary-analysis",
                    EvidenceKind::Fingerprint => "hash-comparison",
                    EvidenceKind::FileName => "filename",
                }
                .into(),
                confidence: confidence_value(f.confidence),
                value: Some(e.detail.clone()),
            })
            .collect();
        let mut properties = Vec::new();
        if let Some(r) = &f.component.version_range {
            properties.push(cdx::Property { name: "vulnrelay:version_range".into(), value: r.clone() });
        }
        flat.push(cdx::Component {
            kind: "library".into(),
            bom_ref: Some(bom_ref.clone()),
            group: f.component.group.clone(),
            name: f.component.artifact.clone(),
            version: f.component.version.clone(),
            purl: purl(f),
            evidence: Some(cdx::ComponentEvidence {
                identity: vec![cdx::IdentityEvidence {
                    field: if f.component.version.is_some() { "version".into() } else { "name".into() },
                    confidence: confidence_value(f.confidence),
                    methods,
                }],
                occurrences: vec![cdx::Occurrence { location: f.path.clone() }],
            }),
            properties,
            components: Vec::new(),
        });
        for v in &f.vulnerabilities {
            let (state, justification) = impact(v.status, v.reason.as_deref());
            let entry = vulns.entry((v.id.clone(), state)).or_insert_with(|| {
                let facts = advisories.facts(&v.id);
                cdx::Vulnerability {
                    bom_ref: Some(format!("vulnerability-{}-{state}", v.id)),
                    id: v.id.clone(),
                    source: v.id.starts_with("CVE-").then(|| cdx::Source {
                        name: "NVD".into(),
                        url: Some(format!("https://nvd.nist.gov/vuln/detail/{}", v.id)),
                    }),
                    references: Vec::new(),
                    ratings: rating(&facts).into_iter().collect(),
                    cwes: facts.cwes.iter().filter_map(|c| c.strip_prefix("CWE-")?.parse().ok()).collect(),
                    description: facts.summary.clone(),
                    recommendation: (!v.fixed_in.is_empty())
                        .then(|| format!("Upgrade to one of: {}", v.fixed_in.join(", "))),
                    analysis: Some(cdx::Analysis {
                        state: state.into(),
                        justification: justification.map(str::to_owned),
                        response: Vec::new(),
                        detail: None,
                    }),
                    affects: Vec::new(),
                }
            });
            if let (Some(reason), Some(analysis)) = (&v.reason, entry.analysis.as_mut()) {
                match &mut analysis.detail {
                    Some(detail) if !detail.split("; ").any(|d| d == reason) => {
                        detail.push_str("; ");
                        detail.push_str(reason);
                    }
                    Some(_) => {}
                    None => analysis.detail = Some(reason.clone()),
                }
            }
            let status = match v.status {
                Status::Affected => "affected",
                Status::Mitigated => "unaffected",
                Status::UnknownVersion => "unknown",
            };
            let version = f.component.version.clone().or_else(|| f.component.version_range.clone());
            entry.affects.push(cdx::Affects {
                reference: bom_ref.clone(),
                versions: version
                    .map(|version| cdx::AffectedVersion { version, status: status.into() })
                    .into_iter()
                    .collect(),
            });
        }
    }
    // Nest each component under its holder, archives that are no component becoming
    // `file` components of their own; one map of what each holds gives both the tree
    // and `dependencies`.
    let (holder_of, archives) = holders(&report.findings);
    let mut held: BTreeMap<Holder, Vec<Holder>> = BTreeMap::new();
    for (i, holder) in holder_of.iter().enumerate() {
        held.entry(*holder).or_default().push(Holder::Finding(i));
    }
    for (i, (_, holder)) in archives.iter().enumerate() {
        held.entry(*holder).or_default().push(Holder::Archive(i));
    }
    let mut nodes: BTreeMap<Holder, cdx::Component> =
        flat.into_iter().enumerate().map(|(i, c)| (Holder::Finding(i), c)).collect();
    for (i, (path, _)) in archives.iter().enumerate() {
        let component = cdx::Component {
            kind: "file".into(),
            bom_ref: Some(format!("archive-{}", i + 1)),
            group: None,
            name: path.rsplit("!/").next().unwrap_or(path).rsplit('/').next().unwrap_or(path).to_owned(),
            version: None,
            purl: None,
            evidence: Some(cdx::ComponentEvidence {
                identity: Vec::new(),
                occurrences: vec![cdx::Occurrence { location: path.clone() }],
            }),
            properties: Vec::new(),
            components: Vec::new(),
        };
        nodes.insert(Holder::Archive(i), component);
    }
    let bom_ref = |node: &Holder, nodes: &BTreeMap<Holder, cdx::Component>| {
        nodes.get(node).and_then(|c| c.bom_ref.clone()).unwrap_or_default()
    };
    let mut dependencies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for node in nodes.keys() {
        let mut depends_on: Vec<String> =
            held.get(node).into_iter().flatten().map(|child| bom_ref(child, &nodes)).collect();
        depends_on.sort();
        dependencies.insert(bom_ref(node, &nodes), depends_on);
    }
    /// `node` with everything it holds inside it, each level sorted by `bom-ref`.
    fn nest(
        node: Holder,
        held: &BTreeMap<Holder, Vec<Holder>>,
        nodes: &mut BTreeMap<Holder, cdx::Component>,
    ) -> Vec<cdx::Component> {
        let mut out: Vec<cdx::Component> = held
            .get(&node)
            .into_iter()
            .flatten()
            .filter_map(|child| {
                let inner = nest(*child, held, nodes);
                let mut component = nodes.remove(child)?;
                component.components = inner;
                Some(component)
            })
            .collect();
        out.sort_by(|a, b| a.bom_ref.cmp(&b.bom_ref));
        out
    }
    let components = nest(Holder::Top, &held, &mut nodes);
    let vulnerabilities: Vec<cdx::Vulnerability> = vulns.into_values().collect();
    let digest = hasher.finalize();
    let h: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let serial =
        format!("urn:uuid:{}-{}-4{}-8{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32]);
    cdx::Bom {
        bom_format: "CycloneDX".into(),
        spec_version: "1.6".into(),
        serial_number: serial,
        version: 1,
        metadata: cdx::Metadata {
            timestamp,
            tools: cdx::Tools {
                components: vec![cdx::Component {
                    kind: "application".into(),
                    bom_ref: None,
                    group: None,
                    name: TOOL_NAME.into(),
                    version: Some(env!("CARGO_PKG_VERSION").into()),
                    purl: None,
                    evidence: None,
                    properties: Vec::new(),
                    components: Vec::new(),
                }],
            },
        },
        components,
        dependencies: dependencies
            .into_iter()
            .map(|(reference, depends_on)| cdx::Dependency { reference, depends_on })
            .collect(),
        vulnerabilities,
    }
}
