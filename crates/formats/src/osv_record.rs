//! OSV records (schema `schemas/osv/schema.json`) written from and read into
//! vulnerability records. The document types are those of [`crate::osv`], which the
//! scanner also reads.
//!
//! Each package has one `affected` entry with the platform's reconciled ranges
//! ([`Vulnerability::reconciled`]: the recorded decision, or where none is recorded the
//! view the sources share, else their union), and who decided them and why
//! (`database_specific.decided_by`, `basis`); every source's own ranges stay beside
//! them in `database_specific.sources`. OSV consumers take the union of `affected`
//! entries, so one entry per source would make versions affected that no decision
//! calls affected. Every source's score is kept in the record's `database_specific.scores`;
//! `severity` carries one score per CVSS version, the first source's.

use chrono::SecondsFormat;
use serde_json::{Value, json};
use vulnrelay_domain::{
    Affected, Ecosystem, Link, Localized, Package, RangeEnd, Reconciled, Score, Timestamp, VendorStatement,
    VersionRange, Vulnerability,
};

use crate::case_file::Problem;
use crate::osv;
use crate::schemas::{Schema, validate};
use crate::severity::{self, CvssVersion};

/// The OSV schema version written.
pub const SCHEMA_VERSION: &str = "1.6.0";

/// Adds the downstream vendors' public statuses on `document`'s vulnerability (those
/// whose `vulnerability` is its id or an alias) as `database_specific.vendors`: vendor,
/// product, status, justification, fixed version and statement (never a private note,
/// which a [`VendorStatement`] does not carry).
pub fn add_vendor_statuses(document: &mut Value, vendors: &[VendorStatement]) {
    let mut ids: Vec<&str> = Vec::new();
    if let Some(id) = document["id"].as_str() {
        ids.push(id);
    }
    if let Some(aliases) = document["aliases"].as_array() {
        ids.extend(aliases.iter().filter_map(Value::as_str));
    }
    let list: Vec<Value> = vendors
        .iter()
        .filter(|v| ids.contains(&v.vulnerability.as_str()))
        .map(|v| {
            json!({
                "vendor": v.vendor,
                "product": v.product,
                "status": v.status.as_str(),
                "justification": v.justification.map(|j| j.as_str()),
                "fixed_version": v.fixed_version,
                "statement": v.statement,
                "at": v.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            })
        })
        .collect();
    if list.is_empty() {
        return;
    }
    if !document["database_specific"].is_object() {
        document["database_specific"] = json!({});
    }
    document["database_specific"]["vendors"] = Value::Array(list);
}

/// Writes `vulnerability` as an OSV record, modified at `modified` (its own
/// `modified` time wins when it has one).
pub fn export(vulnerability: &Vulnerability, modified: Timestamp) -> Value {
    let time = |t: Timestamp| t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    let mut severity_entries: Vec<osv::Severity> = Vec::new();
    for score in &vulnerability.scores {
        let Ok(scored) = severity::score(&score.vector) else { continue };
        let kind = match scored.version {
            CvssVersion::V2 => "CVSS_V2",
            CvssVersion::V3_0 | CvssVersion::V3_1 => "CVSS_V3",
            CvssVersion::V4 => "CVSS_V4",
        };
        if !severity_entries.iter().any(|s| s.kind == kind) {
            severity_entries.push(osv::Severity { kind: kind.to_owned(), score: scored.vector });
        }
    }
    let record = osv::Vulnerability {
        schema_version: Some(SCHEMA_VERSION.to_owned()),
        id: vulnerability.id.clone(),
        modified: time(vulnerability.modified.unwrap_or(modified)),
        published: vulnerability.published.map(time),
        withdrawn: None,
        aliases: vulnerability.aliases.clone(),
        summary: vulnerability.title.any().map(str::to_owned),
        details: vulnerability.description.any().map(str::to_owned),
        severity: severity_entries,
        affected: vulnerability
            .reconciled()
            .iter()
            .filter_map(|r| affected(r, &vulnerability.affected))
            .collect(),
        references: vulnerability
            .references
            .iter()
            .map(|link| osv::Reference { kind: reference_type(&link.kind).to_owned(), url: link.url.clone() })
            .collect(),
        database_specific: None,
    };
    let mut document = serde_json::to_value(record).expect("OSV records serialise");
    if !vulnerability.credits.is_empty() {
        document["credits"] =
            Value::Array(vulnerability.credits.iter().map(|c| json!({"name": c})).collect());
    }
    let mut specific = serde_json::Map::new();
    if !vulnerability.scores.is_empty() {
        let scores: Vec<Value> =
            vulnerability.scores.iter().map(|s| json!({"source": s.source, "vector": s.vector})).collect();
        specific.insert("scores".into(), Value::Array(scores));
    }
    if !vulnerability.cwes.is_empty() {
        specific.insert("cwe_ids".into(), json!(vulnerability.cwes));
    }
    if !vulnerability.threats.is_empty() {
        let threats = crate::record::VulnerabilityJson::from(vulnerability).threats;
        specific.insert("threats".into(), serde_json::to_value(threats).expect("threats serialise"));
    }
    for (key, text) in [
        ("title", &vulnerability.title),
        ("description", &vulnerability.description),
        ("remediation", &vulnerability.remediation),
        ("workarounds", &vulnerability.workarounds),
    ] {
        if !text.is_empty() {
            specific.insert(key.into(), json!({"en": text.en, "zh": text.zh}));
        }
    }
    if !specific.is_empty() {
        document["database_specific"] = Value::Object(specific);
    }
    document
}

fn osv_ranges(ecosystem: &Ecosystem, ranges: &[VersionRange]) -> Vec<osv::Range> {
    let kind = match ecosystem {
        Ecosystem::Maven | Ecosystem::PyPi | Ecosystem::Other(_) => osv::RangeType::Ecosystem,
        Ecosystem::Npm | Ecosystem::Cargo => osv::RangeType::Semver,
    };
    ranges
        .iter()
        .map(|range| {
            let mut events = vec![osv::RangeEvent::Introduced(range.introduced.clone())];
            match &range.end {
                RangeEnd::Fixed(v) => events.push(osv::RangeEvent::Fixed(v.clone())),
                RangeEnd::LastAffected(v) => events.push(osv::RangeEvent::LastAffected(v.clone())),
                RangeEnd::Open => {}
            }
            osv::Range { kind, repo: None, events }
        })
        .collect()
}

/// The `affected` entry of one package: the reconciled ranges, and every source's view
/// of the package under `database_specific.sources`.
fn affected(r: &Reconciled, views: &[Affected]) -> Option<osv::Affected> {
    let (ecosystem, name) = r.package.ecosystem.as_ref()?;
    let sources: Vec<Value> = views
        .iter()
        .filter(|a| a.package.same_as(&r.package))
        .map(|a| {
            let mut view = json!({
                "source": a.source,
                "ranges": osv_ranges(ecosystem, &a.ranges),
            });
            if !a.versions.is_empty() {
                view["versions"] = json!(a.versions);
            }
            view
        })
        .collect();
    Some(osv::Affected {
        package: osv::Package {
            ecosystem: ecosystem.osv_name().to_owned(),
            name: name.clone(),
            purl: r.package.purl.clone(),
        },
        ranges: osv_ranges(ecosystem, &r.ranges),
        versions: r.versions.clone(),
        ecosystem_specific: None,
        database_specific: Some(json!({
            "vendor": r.package.vendor,
            "product": r.package.product,
            "decided_by": r.decided_by,
            "basis": r.basis,
            "sources": sources,
        })),
    })
}

fn reference_type(kind: &str) -> &'static str {
    match kind {
        "advisory" => "ADVISORY",
        "article" => "ARTICLE",
        "report" => "REPORT",
        "patch" | "fix" => "FIX",
        "package" | "release" => "PACKAGE",
        "exploit" | "evidence" => "EVIDENCE",
        _ => "WEB",
    }
}

/// Reads an OSV record: validates it against the OSV schema, then maps it, taking
/// `source` as the source of data the record does not attribute itself.
pub fn import(document: &Value, source: &str) -> Result<Vulnerability, Vec<Problem>> {
    let problems = validate(Schema::Osv, document);
    if !problems.is_empty() {
        return Err(problems);
    }
    let record: osv::Vulnerability = serde_json::from_value(document.clone())
        .map_err(|e| vec![Problem { path: "$".into(), message: e.to_string() }])?;
    let specific = &document["database_specific"];
    let mut v = Vulnerability::new(record.id.clone());
    v.aliases = record.aliases.clone();
    v.published = record.published.as_deref().and_then(rfc3339);
    v.modified = rfc3339(&record.modified);
    v.title =
        localized(&specific["title"]).unwrap_or_else(|| Localized { zh: None, en: record.summary.clone() });
    v.description = localized(&specific["description"])
        .unwrap_or_else(|| Localized { zh: None, en: record.details.clone() });
    v.remediation = localized(&specific["remediation"]).unwrap_or_default();
    v.workarounds = localized(&specific["workarounds"]).unwrap_or_default();
    v.cwes = specific["cwe_ids"]
        .as_array()
        .map(|ids| ids.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    v.scores = match specific["scores"].as_array() {
        Some(scores) => scores
            .iter()
            .filter_map(|s| {
                Some(Score {
                    source: s["source"].as_str()?.to_owned(),
                    vector: s["vector"].as_str()?.to_owned(),
                })
            })
            .collect(),
        None => record
            .severity
            .iter()
            .filter(|s| s.kind.starts_with("CVSS"))
            .map(|s| Score { source: source.to_owned(), vector: s.score.clone() })
            .collect(),
    };
    if let Some(threats) = specific.get("threats") {
        let mut carrier = crate::record::VulnerabilityJson::from(&Vulnerability::new(v.id.clone()));
        carrier.threats = serde_json::from_value(threats.clone()).map_err(|e| {
            vec![Problem { path: "$.database_specific.threats".into(), message: e.to_string() }]
        })?;
        v.threats = carrier.into_domain("$.database_specific")?.threats;
    }
    v.credits = document["credits"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c["name"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    v.references = record
        .references
        .iter()
        .map(|r| Link { url: r.url.clone(), kind: r.kind.to_ascii_lowercase().replace("fix", "patch") })
        .collect();
    for (i, entry) in record.affected.iter().enumerate() {
        let specific = entry.database_specific.as_ref();
        let text = |key: &str| specific.and_then(|d| d[key].as_str()).map(str::to_owned);
        let package = Package {
            vendor: text("vendor").unwrap_or_default(),
            product: text("product").unwrap_or_else(|| entry.package.name.clone()),
            ecosystem: Some((Ecosystem::from_osv_name(&entry.package.ecosystem), entry.package.name.clone())),
            purl: entry.package.purl.clone(),
        };
        let reconciled_ranges: Vec<VersionRange> =
            entry.ranges.iter().flat_map(|r| ranges(&r.events)).collect();
        match specific.and_then(|d| d.get("sources")) {
            Some(views) => {
                // vulnrelay's own layout: every source's view, and the decision.
                let views: Vec<SourceView> = serde_json::from_value(views.clone()).map_err(|e| {
                    vec![Problem {
                        path: format!("$.affected[{i}].database_specific.sources"),
                        message: e.to_string(),
                    }]
                })?;
                for view in views {
                    v.affected.push(Affected {
                        source: view.source,
                        package: package.clone(),
                        ranges: view.ranges.iter().flat_map(|r| ranges(&r.events)).collect(),
                        versions: view.versions,
                    });
                }
                let decided_by = text("decided_by").unwrap_or_else(|| source.to_owned());
                if decided_by != "vulnrelay" {
                    v.decisions.push(Reconciled {
                        package,
                        ranges: reconciled_ranges,
                        versions: entry.versions.clone(),
                        decided_by,
                        basis: text("basis").unwrap_or_default(),
                    });
                }
            }
            None => v.affected.push(Affected {
                source: text("source").unwrap_or_else(|| source.to_owned()),
                package,
                ranges: reconciled_ranges,
                versions: entry.versions.clone(),
            }),
        }
    }
    Ok(v)
}

/// One source's view of a package, as [`export`] writes it under
/// `database_specific.sources`.
#[derive(serde::Deserialize)]
struct SourceView {
    source: String,
    #[serde(default)]
    ranges: Vec<osv::Range>,
    #[serde(default)]
    versions: Vec<String>,
}

fn rfc3339(text: &str) -> Option<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.to_utc()).and_then(crate::time::sane)
}

fn localized(value: &Value) -> Option<Localized> {
    value.is_object().then(|| Localized {
        zh: value["zh"].as_str().map(str::to_owned),
        en: value["en"].as_str().map(str::to_owned),
    })
}

/// Pairs OSV events into ranges: each `introduced` runs to the next `fixed` or
/// `last_affected`, or stays open.
fn ranges(events: &[osv::RangeEvent]) -> Vec<VersionRange> {
    let mut out = Vec::new();
    let mut open: Option<String> = None;
    for event in events {
        match event {
            osv::RangeEvent::Introduced(v) => {
                if let Some(start) = open.take() {
                    out.push(VersionRange { introduced: start, end: RangeEnd::Open });
                }
                open = Some(v.clone());
            }
            osv::RangeEvent::Fixed(v) | osv::RangeEvent::Limit(v) => {
                if let Some(start) = open.take() {
                    out.push(VersionRange { introduced: start, end: RangeEnd::Fixed(v.clone()) });
                }
            }
            osv::RangeEvent::LastAffected(v) => {
                if let Some(start) = open.take() {
                    out.push(VersionRange { introduced: start, end: RangeEnd::LastAffected(v.clone()) });
                }
            }
        }
    }
    if let Some(start) = open {
        out.push(VersionRange { introduced: start, end: RangeEnd::Open });
    }
    out
}
