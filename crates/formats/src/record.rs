//! `vulnrelay/vulnerability/v1`: vulnrelay's own JSON for a vulnerability record, as
//! the API serves it and as example files carry it. Scores are written with their
//! derived values (score, rating, CNVD and CNNVD grades); on input those are accepted
//! and recomputed from the vector, so a document read back is not trusted for them.

use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};
use vulnrelay_domain::{
    Affected, Ecosystem, Link, Localized, Package, RangeEnd, Reconciled, Score, ThreatEvent, ThreatKind,
    Timestamp, VersionRange, Vulnerability,
};

use crate::case_file::Problem;
use crate::severity;

/// A text in both languages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextJson {
    /// Simplified Chinese.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zh: Option<String>,
    /// English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

/// A version range: `introduced` up to `fixed` (excluded) or `last_affected` (included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeJson {
    /// First affected version.
    pub introduced: String,
    /// First fixed version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    /// Last affected version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
}

/// What one source says is affected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AffectedJson {
    /// Who says so.
    pub source: String,
    /// Vendor.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// OSV ecosystem name (`Maven`, `npm`, `PyPI`, `crates.io`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    /// Package name in the ecosystem (`group:artifact` for Maven).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Package URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Ranges.
    #[serde(default)]
    pub ranges: Vec<RangeJson>,
    /// Individually listed versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
}

/// The platform's decision on what is affected in one package, and who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconciledJson {
    /// Vendor.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// OSV ecosystem name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    /// Package name in the ecosystem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Package URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Ranges.
    #[serde(default)]
    pub ranges: Vec<RangeJson>,
    /// Individually listed versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// Who decided.
    pub decided_by: String,
    /// Why.
    pub basis: String,
}

/// A score from one source, with what vulnrelay derives from its vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreJson {
    /// Who scored it.
    pub source: String,
    /// CVSS vector.
    pub vector: String,
    /// CVSS version (derived).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Base score (derived).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_score: Option<f64>,
    /// CVSS rating (derived).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<String>,
    /// CNVD grade 高/中/低 (derived, docs/severity.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnvd: Option<String>,
    /// CNNVD grade 超危/高危/中危/低危 (derived, docs/severity.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnnvd: Option<String>,
}

/// A link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkJson {
    /// URL.
    pub url: String,
    /// Kind of page.
    #[serde(default = "web")]
    pub kind: String,
}

fn web() -> String {
    "web".to_owned()
}

/// A dated threat event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreatJson {
    /// When (RFC 3339).
    pub at: String,
    /// `exploit_details_public`, `proof_of_concept`, `actively_exploited` or `fix_bypassed`.
    pub kind: String,
    /// For `fix_bypassed`: the bypassed version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Who reports it, or `observed`.
    pub source: String,
    /// A link to the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// A note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A vulnerability record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VulnerabilityJson {
    /// Primary id.
    pub id: String,
    /// Other ids.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Title.
    #[serde(default)]
    pub title: TextJson,
    /// Description.
    #[serde(default)]
    pub description: TextJson,
    /// CWE ids.
    #[serde(default)]
    pub cwes: Vec<String>,
    /// Affected products per source.
    #[serde(default)]
    pub affected: Vec<AffectedJson>,
    /// The platform's recorded decisions on what is affected, per package.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reconciled: Vec<ReconciledJson>,
    /// Fixed versions.
    #[serde(default)]
    pub fixed_versions: Vec<String>,
    /// Scores per source.
    #[serde(default)]
    pub scores: Vec<ScoreJson>,
    /// Remediation.
    #[serde(default)]
    pub remediation: TextJson,
    /// Workarounds.
    #[serde(default)]
    pub workarounds: TextJson,
    /// Credits.
    #[serde(default)]
    pub credits: Vec<String>,
    /// Links.
    #[serde(default)]
    pub references: Vec<LinkJson>,
    /// Threat events.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threats: Vec<ThreatJson>,
    /// Publication time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Last change (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// What the CVE record it came from said beyond this record (see
    /// [`crate::cve5::Kept`]), written back by the CVE export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cve_kept: Option<serde_json::Value>,
}

fn text_out(text: &Localized) -> TextJson {
    TextJson { zh: text.zh.clone(), en: text.en.clone() }
}

fn text_in(text: TextJson) -> Localized {
    Localized { zh: text.zh, en: text.en }
}

fn ranges_out(ranges: &[VersionRange]) -> Vec<RangeJson> {
    ranges
        .iter()
        .map(|r| RangeJson {
            introduced: r.introduced.clone(),
            fixed: match &r.end {
                RangeEnd::Fixed(v) => Some(v.clone()),
                _ => None,
            },
            last_affected: match &r.end {
                RangeEnd::LastAffected(v) => Some(v.clone()),
                _ => None,
            },
        })
        .collect()
}

fn ranges_in(ranges: Vec<RangeJson>) -> Vec<VersionRange> {
    ranges
        .into_iter()
        .map(|r| VersionRange {
            introduced: r.introduced,
            end: match (r.fixed, r.last_affected) {
                (Some(fixed), _) => RangeEnd::Fixed(fixed),
                (None, Some(last)) => RangeEnd::LastAffected(last),
                (None, None) => RangeEnd::Open,
            },
        })
        .collect()
}

fn package_in(
    vendor: String,
    product: String,
    ecosystem: Option<String>,
    package: Option<String>,
    purl: Option<String>,
) -> Package {
    Package {
        vendor,
        product,
        ecosystem: ecosystem.zip(package).map(|(e, name)| (Ecosystem::from_osv_name(&e), name)),
        purl,
    }
}

impl From<&Vulnerability> for VulnerabilityJson {
    fn from(v: &Vulnerability) -> Self {
        let time = |t: &Timestamp| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        VulnerabilityJson {
            id: v.id.clone(),
            aliases: v.aliases.clone(),
            title: text_out(&v.title),
            description: text_out(&v.description),
            cwes: v.cwes.clone(),
            affected: v
                .affected
                .iter()
                .map(|a| AffectedJson {
                    source: a.source.clone(),
                    vendor: a.package.vendor.clone(),
                    product: a.package.product.clone(),
                    ecosystem: a.package.ecosystem.as_ref().map(|(e, _)| e.osv_name().to_owned()),
                    package: a.package.ecosystem.as_ref().map(|(_, name)| name.clone()),
                    purl: a.package.purl.clone(),
                    ranges: ranges_out(&a.ranges),
                    versions: a.versions.clone(),
                })
                .collect(),
            reconciled: v
                .decisions
                .iter()
                .map(|d| ReconciledJson {
                    vendor: d.package.vendor.clone(),
                    product: d.package.product.clone(),
                    ecosystem: d.package.ecosystem.as_ref().map(|(e, _)| e.osv_name().to_owned()),
                    package: d.package.ecosystem.as_ref().map(|(_, name)| name.clone()),
                    purl: d.package.purl.clone(),
                    ranges: ranges_out(&d.ranges),
                    versions: d.versions.clone(),
                    decided_by: d.decided_by.clone(),
                    basis: d.basis.clone(),
                })
                .collect(),
            fixed_versions: v.fixed_versions.clone(),
            scores: v
                .scores
                .iter()
                .map(|s| {
                    let scored = severity::score(&s.vector).ok();
                    ScoreJson {
                        source: s.source.clone(),
                        vector: s.vector.clone(),
                        version: scored.as_ref().map(|x| x.version.as_str().to_owned()),
                        base_score: scored.as_ref().map(|x| x.base_score),
                        rating: scored.as_ref().map(|x| x.rating.as_str().to_owned()),
                        cnvd: scored.as_ref().map(|x| x.cnvd().zh().to_owned()),
                        cnnvd: scored.as_ref().map(|x| x.cnnvd().zh().to_owned()),
                    }
                })
                .collect(),
            remediation: text_out(&v.remediation),
            workarounds: text_out(&v.workarounds),
            credits: v.credits.clone(),
            references: v
                .references
                .iter()
                .map(|l| LinkJson { url: l.url.clone(), kind: l.kind.clone() })
                .collect(),
            threats: v
                .threats
                .iter()
                .map(|t| ThreatJson {
                    at: time(&t.at),
                    kind: t.kind.as_str().to_owned(),
                    version: match &t.kind {
                        ThreatKind::FixBypassed { version } => Some(version.clone()),
                        _ => None,
                    },
                    source: t.source.clone(),
                    reference: t.reference.clone(),
                    note: t.note.clone(),
                })
                .collect(),
            published: v.published.as_ref().map(time),
            modified: v.modified.as_ref().map(time),
            cve_kept: v.cve_kept.as_deref().and_then(|text| serde_json::from_str(text).ok()),
        }
    }
}

impl VulnerabilityJson {
    /// Converts to the domain record, checking vectors, ranges and times; every problem
    /// is reported with its path under `at` (e.g. `$[0]`).
    pub fn into_domain(self, at: &str) -> Result<Vulnerability, Vec<Problem>> {
        let mut problems: Vec<Problem> = Vec::new();
        let time = |field: &str, text: Option<String>, problems: &mut Vec<Problem>| {
            text.and_then(|t| {
                let parsed = chrono::DateTime::parse_from_rfc3339(&t)
                    .map_err(|_| format!("`{t}` is not an RFC 3339 time"))
                    .and_then(|parsed| crate::time::in_range(parsed.to_utc(), None));
                match parsed {
                    Ok(t) => Some(t),
                    Err(message) => {
                        problems.push(Problem { path: format!("{at}.{field}"), message });
                        None
                    }
                }
            })
        };
        let published = time("published", self.published, &mut problems);
        let modified = time("modified", self.modified, &mut problems);
        let mut threats = Vec::new();
        for (i, threat) in self.threats.into_iter().enumerate() {
            let when = time(&format!("threats[{i}].at"), Some(threat.at), &mut problems);
            let kind = match (threat.kind.as_str(), threat.version) {
                ("exploit_details_public", None) => Some(ThreatKind::ExploitDetailsPublic),
                ("proof_of_concept", None) => Some(ThreatKind::ProofOfConcept),
                ("actively_exploited", None) => Some(ThreatKind::ActivelyExploited),
                ("fix_bypassed", Some(version)) => Some(ThreatKind::FixBypassed { version }),
                ("fix_bypassed", None) => {
                    problems.push(Problem {
                        path: format!("{at}.threats[{i}].version"),
                        message: "a bypassed fix names its version".into(),
                    });
                    None
                }
                (other, _) => {
                    problems.push(Problem {
                        path: format!("{at}.threats[{i}].kind"),
                        message: format!("unknown threat kind `{other}`"),
                    });
                    None
                }
            };
            if let (Some(when), Some(kind)) = (when, kind) {
                threats.push(ThreatEvent {
                    at: when,
                    kind,
                    source: threat.source,
                    reference: threat.reference,
                    note: threat.note,
                });
            }
        }
        let mut v = Vulnerability::new(self.id);
        if v.id.trim().is_empty() {
            problems.push(Problem { path: format!("{at}.id"), message: "must not be empty".into() });
        }
        for (i, score) in self.scores.iter().enumerate() {
            if let Err(e) = severity::score(&score.vector) {
                problems.push(Problem { path: format!("{at}.scores[{i}].vector"), message: e.to_string() });
            }
        }
        for (i, affected) in self.affected.iter().enumerate() {
            if affected.ecosystem.is_some() != affected.package.is_some() {
                problems.push(Problem {
                    path: format!("{at}.affected[{i}]"),
                    message: "`ecosystem` and `package` go together".into(),
                });
            }
            for (j, range) in affected.ranges.iter().enumerate() {
                if range.fixed.is_some() && range.last_affected.is_some() {
                    problems.push(Problem {
                        path: format!("{at}.affected[{i}].ranges[{j}]"),
                        message: "give `fixed` or `last_affected`, not both".into(),
                    });
                }
            }
        }
        for (i, decision) in self.reconciled.iter().enumerate() {
            if decision.ecosystem.is_some() != decision.package.is_some() {
                problems.push(Problem {
                    path: format!("{at}.reconciled[{i}]"),
                    message: "`ecosystem` and `package` go together".into(),
                });
            }
            if decision.decided_by.trim().is_empty() {
                problems.push(Problem {
                    path: format!("{at}.reconciled[{i}].decided_by"),
                    message: "a decision names who made it".into(),
                });
            }
            for (j, range) in decision.ranges.iter().enumerate() {
                if range.fixed.is_some() && range.last_affected.is_some() {
                    problems.push(Problem {
                        path: format!("{at}.reconciled[{i}].ranges[{j}]"),
                        message: "give `fixed` or `last_affected`, not both".into(),
                    });
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        v.aliases = self.aliases;
        v.title = text_in(self.title);
        v.description = text_in(self.description);
        v.cwes = self.cwes;
        v.affected = self
            .affected
            .into_iter()
            .map(|a| Affected {
                source: a.source,
                package: package_in(a.vendor, a.product, a.ecosystem, a.package, a.purl),
                ranges: ranges_in(a.ranges),
                versions: a.versions,
            })
            .collect();
        v.decisions = self
            .reconciled
            .into_iter()
            .map(|d| Reconciled {
                package: package_in(d.vendor, d.product, d.ecosystem, d.package, d.purl),
                ranges: ranges_in(d.ranges),
                versions: d.versions,
                decided_by: d.decided_by,
                basis: d.basis,
            })
            .collect();
        v.fixed_versions = self.fixed_versions;
        v.scores = self.scores.into_iter().map(|s| Score { source: s.source, vector: s.vector }).collect();
        v.remediation = text_in(self.remediation);
        v.workarounds = text_in(self.workarounds);
        v.credits = self.credits;
        v.references = self.references.into_iter().map(|l| Link { url: l.url, kind: l.kind }).collect();
        v.threats = threats;
        v.published = published;
        v.modified = modified;
        v.cve_kept = self.cve_kept.filter(|kept| !kept.is_null()).map(|kept| kept.to_string());
        Ok(v)
    }
}

/// Reads a JSON array of records (or one record), reporting every problem.
pub fn parse_all(json: &str) -> Result<Vec<Vulnerability>, Vec<Problem>> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| vec![Problem { path: "$".into(), message: format!("not valid JSON: {e}") }])?;
    let items = match value {
        serde_json::Value::Array(items) => {
            items.into_iter().enumerate().map(|(i, v)| (format!("$[{i}]"), v)).collect()
        }
        other => vec![("$".to_owned(), other)],
    };
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for (at, item) in items {
        match serde_json::from_value::<VulnerabilityJson>(item) {
            Ok(record) => match record.into_domain(&at) {
                Ok(v) => records.push(v),
                Err(found) => problems.extend(found),
            },
            Err(e) => problems.push(Problem { path: at, message: e.to_string() }),
        }
    }
    if problems.is_empty() { Ok(records) } else { Err(problems) }
}
