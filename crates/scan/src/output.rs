//! Conversions of a [`Report`] into the wire formats of `vulnrelay-formats`: the JSON
//! report, SARIF 2.1.0 and CycloneDX 1.6.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use vulnrelay_formats::{cyclonedx as cdx, sarif, scan_report as json};

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

fn location(f_path: &str, file: &std::path::Path) -> sarif::Location {
    sarif::Location {
        physical_location: Some(sarif::PhysicalLocation {
            artifact_location: sarif::ArtifactLocation { uri: percent_encode_path(&file.to_string_lossy()) },
        }),
        logical_locations: vec![sarif::LogicalLocation {
            fully_qualified_name: f_path.to_owned(),
            kind: Some("module".into()),
        }],
    }
}

/// SARIF 2.1.0: one result per (component, vulnerability), one rule per vulnerability id;
/// scan errors are tool execution notifications.
pub fn to_sarif(report: &Report) -> sarif::SarifLog {
    let mut rules: BTreeMap<String, sarif::ReportingDescriptor> = BTreeMap::new();
    let mut results = Vec::new();
    for f in &report.findings {
        for v in &f.vulnerabilities {
            rules.entry(v.id.clone()).or_insert_with(|| sarif::ReportingDescriptor {
                id: v.id.clone(),
                short_description: Some(sarif::Message { text: format!("{} in a Java component", v.id) }),
                help_uri: v
                    .id
                    .starts_with("CVE-")
                    .then(|| format!("https://nvd.nist.gov/vuln/detail/{}", v.id)),
            });
            let level = match v.status {
                Status::Affected => sarif::Level::Error,
                Status::UnknownVersion => sarif::Level::Warning,
                Status::Mitigated => sarif::Level::Note,
            };
            let fixed = if v.fixed_in.is_empty() { "no fixed release".into() } else { v.fixed_in.join(", ") };
            let mut properties = BTreeMap::new();
            properties.insert("status".into(), serde_json::Value::from(v.status.as_str()));
            properties.insert("component".into(), serde_json::Value::from(component_label(f)));
            properties.insert("fixed_in".into(), serde_json::Value::from(v.fixed_in.clone()));
            results.push(sarif::SarifResult {
                rule_id: v.id.clone(),
                level,
                message: sarif::Message {
                    text: format!(
                        "{} is {} by {} (fixed in: {fixed})",
                        component_label(f),
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
    sarif::SarifLog {
        schema: sarif::SCHEMA_URI.into(),
        version: "2.1.0".into(),
        runs: vec![sarif::Run {
            tool: sarif::Tool {
                driver: sarif::ToolComponent {
                    name: TOOL_NAME.into(),
                    version: Some(env!("CARGO_PKG_VERSION").into()),
                    information_uri: Some("https://example.invalid/vulnrelay".into()),
                    rules: rules.into_values().collect(),
                },
            },
            results,
            invocations: vec![sarif::Invocation {
                execution_successful: report.errors.is_empty(),
                tool_execution_notifications: notifications,
            }],
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

/// CycloneDX 1.6 with every component (evidence and occurrences) and every vulnerability
/// (affects with status, analysis state). `timestamp` is RFC 3339 or `None`.
pub fn to_cyclonedx(report: &Report, timestamp: Option<String>) -> cdx::Bom {
    let mut components = Vec::new();
    let mut vulns: BTreeMap<String, cdx::Vulnerability> = BTreeMap::new();
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
        components.push(cdx::Component {
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
        });
        for v in &f.vulnerabilities {
            let entry = vulns.entry(v.id.clone()).or_insert_with(|| cdx::Vulnerability {
                bom_ref: Some(format!("vulnerability-{}", v.id)),
                id: v.id.clone(),
                source: v.id.starts_with("CVE-").then(|| cdx::Source {
                    name: "NVD".into(),
                    url: Some(format!("https://nvd.nist.gov/vuln/detail/{}", v.id)),
                }),
                recommendation: (!v.fixed_in.is_empty())
                    .then(|| format!("Upgrade to one of: {}", v.fixed_in.join(", "))),
                analysis: None,
                affects: Vec::new(),
            });
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
    let mut vulnerabilities: Vec<cdx::Vulnerability> = vulns.into_values().collect();
    for v in &mut vulnerabilities {
        let statuses: Vec<&str> =
            v.affects.iter().flat_map(|a| a.versions.iter().map(|x| x.status.as_str())).collect();
        let state = if statuses.contains(&"affected") {
            "exploitable"
        } else if statuses.contains(&"unknown") || statuses.is_empty() {
            "in_triage"
        } else {
            "resolved"
        };
        v.analysis = Some(cdx::Analysis {
            state: state.into(),
            detail: (state == "resolved").then(|| "JndiLookup.class removed from every affected copy".into()),
        });
    }
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
                }],
            },
        },
        components,
        vulnerabilities,
    }
}
