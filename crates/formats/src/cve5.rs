//! CVE JSON 5.x records (schema: `schemas/cve/CVE_JSON_5.1_bundled.json`).
//!
//! Export writes a PUBLISHED record with a CNA container: the CNA's own view of the
//! affected versions (no `defaultStatus` the record does not state), its CVSS metrics
//! in their own fields (`cvssV3_1`, `cvssV4_0`, ...), every other source's score as a
//! metrics entry of type `other` (`x_vulnrelay-source-score`) so that no source is
//! silently dropped, and threat events in `x_vulnrelayThreats` (not `metrics`).
//! `dateUpdated` is the record's own `modified`, as in OSV. Import reads 5.0, 5.1 and 5.2 records, the CNA container and every ADP
//! container, and keeps each container's data under its short name as the source.
//!
//! What a record says that vulnrelay's record does not model is [`Kept`] at import and
//! said again at export: the assigner, `dateReserved`, the CNA's `source`, `timeline`
//! and `x_` fields, reference names and tags, and the ADP containers as ADP containers
//! (what only they say is not moved into the CNA container).

use chrono::{DateTime, NaiveDateTime, SecondsFormat};
use serde::Serialize;
use serde_json::{Map, Value, json};
use vulnrelay_domain::{
    Affected, Ecosystem, IdScheme, Link, Localized, Package, RangeEnd, Score, ThreatEvent, ThreatKind,
    Timestamp, VendorStatement, VendorStatus, VersionRange, Vulnerability,
};

use crate::case_file::Problem;
use crate::maven_version::MavenVersion;
use crate::schemas::{Schema, validate};
use crate::severity::{self, CvssVersion};
use crate::to_json;

/// The `other` metrics type under which scores from sources other than the CNA travel.
pub const SOURCE_SCORE_TYPE: &str = "x_vulnrelay-source-score";

/// The `other` metrics type under which earlier exports carried threat events (still
/// read).
pub const THREAT_TYPE: &str = "x_vulnrelay-threat";

/// The CNA container's custom field that carries threat events (not scores, so not
/// `metrics`).
pub const THREATS_FIELD: &str = "x_vulnrelayThreats";

/// The CNA container's custom field that carries the downstream vendors' public
/// statements (CVE 5 has no statement per affected product).
pub const VENDORS_FIELD: &str = "x_vulnrelayVendorStatements";

/// Adds the downstream vendors' public statuses on `vulnerability` (those whose
/// `vulnerability` is one of its identifiers) to its exported CVE record `document`:
/// one `affected` entry per vendor product — `affected` and `not_affected` as the
/// product's `defaultStatus` (`affected`, `unaffected`), `fixed` as the range from
/// version 0 below the fixed version `affected` and every later one `unaffected`,
/// `under_investigation` as `unknown` — and their public statements, with the VEX
/// justifications, in [`VENDORS_FIELD`]. A private note is never here: a
/// [`VendorStatement`] does not carry one.
pub fn add_vendor_statuses(document: &mut Value, vulnerability: &Vulnerability, vendors: &[VendorStatement]) {
    let mine: Vec<&VendorStatement> = vendors
        .iter()
        .filter(|v| vulnerability.ids().any(|id| id.eq_ignore_ascii_case(&v.vulnerability)))
        .collect();
    let Some(container) = document["containers"]["cna"].as_object_mut() else { return };
    if mine.is_empty() {
        return;
    }
    let mut entries: Vec<Value> = Vec::new();
    let mut statements: Vec<VendorStatementOut<'_>> = Vec::new();
    for v in &mine {
        let fixed = v.fixed_version.as_deref().map(str::trim).filter(|f| !f.is_empty());
        let (default_status, versions) = match (v.status, fixed) {
            (VendorStatus::Affected, _) => ("affected", None),
            (VendorStatus::NotAffected, _) => ("unaffected", None),
            (VendorStatus::Fixed, Some(fixed)) => {
                let below = VersionEntry {
                    version: "0",
                    status: "affected",
                    version_type: Some("custom"),
                    less_than: Some(fixed),
                    less_than_or_equal: None,
                };
                ("unaffected", Some(vec![below]))
            }
            // Fixed in a version it did not name, or not known yet.
            (VendorStatus::Fixed, None) | (VendorStatus::UnderInvestigation, _) => ("unknown", None),
        };
        let entry = to_json(&Product {
            vendor: &v.vendor,
            product: &v.product,
            collection_url: None,
            package_name: None,
            versions,
            default_status: Some(default_status),
        });
        // `affected` is a set: one vendor product said once.
        if !entries.contains(&entry) {
            entries.push(entry);
        }
        statements.push(VendorStatementOut {
            vendor: &v.vendor,
            product: &v.product,
            status: v.status.as_str(),
            at: time(v.at),
            justification: v.justification.map(|j| j.as_str()),
            fixed_version: v.fixed_version.as_deref(),
            statement: v.statement.as_deref(),
        });
    }
    let affected = container.entry("affected").or_insert_with(|| Value::Array(Vec::new()));
    if let Some(list) = affected.as_array_mut() {
        for entry in entries {
            if !list.contains(&entry) {
                list.push(entry);
            }
        }
    }
    container.insert(VENDORS_FIELD.into(), to_json(&statements));
}

/// A CVE JSON 5.1 record as [`export`] writes it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    data_type: &'static str,
    data_version: &'static str,
    cve_metadata: Metadata<'a>,
    containers: Containers<'a>,
}

/// `cveMetadata`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata<'a> {
    cve_id: &'a str,
    assigner_org_id: &'a str,
    assigner_short_name: &'a str,
    state: &'static str,
    date_updated: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_reserved: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_published: Option<String>,
}

/// `containers`: the CNA's, and the ADP containers as the imported record wrote them.
#[derive(Serialize)]
struct Containers<'a> {
    cna: CnaContainer<'a>,
    #[serde(skip_serializing_if = "<[Value]>::is_empty")]
    adp: &'a [Value],
}

/// `containers.cna`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CnaContainer<'a> {
    /// What the imported record's CNA container said that vulnrelay does not model
    /// ([`Kept::cna`]). It comes first: a field the container writes itself comes after it
    /// and so replaces a kept one of the same name in the JSON value (whose map keeps the
    /// last value of a key).
    #[serde(flatten)]
    kept: &'a Map<String, Value>,
    provider_metadata: ProviderMetadata<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    descriptions: Vec<Text<'a>>,
    affected: Vec<Product<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problem_types: Vec<ProblemType<'a>>,
    references: Vec<Reference<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    metrics: Vec<Metric<'a>>,
    /// Threat events, in the custom field [`THREATS_FIELD`].
    #[serde(rename = "x_vulnrelayThreats", skip_serializing_if = "Vec::is_empty")]
    threats: Vec<ThreatContent<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    solutions: Vec<Text<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    workarounds: Vec<Text<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    credits: Vec<Text<'a>>,
}

/// `providerMetadata`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProviderMetadata<'a> {
    org_id: &'a str,
    short_name: &'a str,
    date_updated: String,
}

/// A text in one language (descriptions, solutions, workarounds, credits).
#[derive(Serialize)]
struct Text<'a> {
    lang: &'static str,
    value: &'a str,
}

/// An `affected` entry: a product, its package where the ecosystem is known, its
/// versions and, for a downstream vendor's product, its default status.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Product<'a> {
    vendor: &'a str,
    product: &'a str,
    #[serde(rename = "collectionURL", skip_serializing_if = "Option::is_none")]
    collection_url: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    versions: Option<Vec<VersionEntry<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_status: Option<&'static str>,
}

/// A version, or a range of versions from `version`, of an `affected` entry.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VersionEntry<'a> {
    version: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    less_than: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    less_than_or_equal: Option<&'a str>,
}

/// A `problemTypes` entry: one CWE.
#[derive(Serialize)]
struct ProblemType<'a> {
    descriptions: Vec<ProblemDescription<'a>>,
}

/// The CWE of a [`ProblemType`].
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProblemDescription<'a> {
    lang: &'static str,
    cwe_id: &'a str,
    description: String,
    r#type: &'static str,
}

/// A reference: as the imported record wrote it, or written from the record's link.
#[derive(Serialize)]
#[serde(untagged)]
enum Reference<'a> {
    AsWritten(&'a Value),
    Link {
        url: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        tags: Option<[&'static str; 1]>,
    },
}

/// A `metrics` entry: the CNA's own CVSS score in the field of its version, or another
/// source's score as an `other` metric.
#[derive(Serialize)]
enum Metric<'a> {
    #[serde(rename = "other")]
    Other(OtherMetric<'a>),
    #[serde(rename = "cvssV2_0")]
    CvssV2_0(Cvss),
    #[serde(rename = "cvssV3_0")]
    CvssV3_0(Cvss),
    #[serde(rename = "cvssV3_1")]
    CvssV3_1(Cvss),
    #[serde(rename = "cvssV4_0")]
    CvssV4_0(Cvss),
}

/// A CVSS score (`baseSeverity` from version 3.0 on).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Cvss {
    version: &'static str,
    vector_string: String,
    base_score: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    base_severity: Option<&'static str>,
}

/// An `other` metric: a score of another source ([`SOURCE_SCORE_TYPE`]).
#[derive(Serialize)]
struct OtherMetric<'a> {
    r#type: &'static str,
    content: SourceScore<'a>,
}

/// The content of an [`OtherMetric`].
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SourceScore<'a> {
    source: &'a str,
    vector_string: String,
    base_score: f64,
}

/// A threat event in [`THREATS_FIELD`].
#[derive(Serialize)]
struct ThreatContent<'a> {
    kind: &'static str,
    at: String,
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

/// A downstream vendor's public statement in [`VENDORS_FIELD`].
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VendorStatementOut<'a> {
    vendor: &'a str,
    product: &'a str,
    status: &'static str,
    at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fixed_version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statement: Option<&'a str>,
}

/// Who publishes the record: the CNA's organisation id (a UUID from the CVE Program)
/// and short name.
#[derive(Debug, Clone)]
pub struct Cna {
    /// The CNA's organisation UUID.
    pub org_id: String,
    /// The CNA's short name; affected data and scores from this source go into the CNA
    /// container as the CNA's own.
    pub short_name: String,
}

/// What an imported CVE record said beyond vulnrelay's record, kept (as JSON in
/// [`Vulnerability::cve_kept`]) so that the export says it again.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Kept {
    /// `cveMetadata.assignerOrgId`: whose record it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigner_org_id: Option<String>,
    /// `cveMetadata.assignerShortName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigner_short_name: Option<String>,
    /// `cveMetadata.dateReserved`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_reserved: Option<String>,
    /// The CNA container's fields vulnrelay does not model: `source`, `timeline`, `x_…`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub cna: Map<String, Value>,
    /// The CNA container's CWE ids (the record's own list also holds the ADPs').
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cna_cwes: Vec<String>,
    /// The CNA container's references as written (with `name` and `tags`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Value>,
    /// The ADP containers, as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adp: Vec<Value>,
}

impl Kept {
    /// What a record carries in [`Vulnerability::cve_kept`], if anything readable.
    pub fn of(vulnerability: &Vulnerability) -> Option<Kept> {
        serde_json::from_str(vulnerability.cve_kept.as_deref()?).ok()
    }

    /// What the ADP containers say, as the import read it: their sources' names, CWE
    /// ids, reference URLs and threat events.
    fn adp_said(&self) -> (Vec<String>, Vec<String>, Vec<String>, Vec<ThreatEvent>) {
        let (mut sources, mut cwes, mut urls, mut threats) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for adp in &self.adp {
            sources.push(source_name(adp, "adp"));
            for problem_type in array(&adp["problemTypes"]) {
                cwes.extend(
                    array(&problem_type["descriptions"])
                        .iter()
                        .filter_map(|d| d["cweId"].as_str().map(str::to_owned)),
                );
            }
            urls.extend(
                array(&adp["references"]).iter().filter_map(|r| r["url"].as_str().map(str::to_owned)),
            );
            threats.extend(array(&adp["metrics"]).iter().filter_map(|m| read_threat(&m["other"])));
        }
        (sources, cwes, urls, threats)
    }
}

/// Why a record cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// The vulnerability has no CVE id.
    #[error("{0} has no CVE id")]
    NoCveId(String),
    /// The CVE format needs something the record lacks.
    #[error("{id}: a CVE record needs {what}")]
    Missing {
        /// The vulnerability.
        id: String,
        /// What is missing.
        what: &'static str,
    },
}

fn time(at: Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn texts(text: &Localized) -> Vec<Text<'_>> {
    let mut out = Vec::new();
    if let Some(en) = text.en.as_deref().filter(|t| !t.is_empty()) {
        out.push(Text { lang: "en", value: en });
    }
    if let Some(zh) = text.zh.as_deref().filter(|t| !t.is_empty()) {
        out.push(Text { lang: "zh", value: zh });
    }
    out
}

/// Writes `vulnerability` as a CVE JSON 5.1 record published by `cna`, last updated at
/// the record's own `modified` time, else at `updated` (the same rule as the OSV
/// `modified` of [`crate::osv_record::export`], so both formats agree).
pub fn export(vulnerability: &Vulnerability, cna: &Cna, updated: Timestamp) -> Result<Value, ExportError> {
    let kept = Kept::of(vulnerability).unwrap_or_default();
    // A record imported from the CVE Program stays its assigner's record.
    let assigner = match (&kept.assigner_org_id, &kept.assigner_short_name) {
        (Some(org_id), Some(short_name)) => Cna { org_id: org_id.clone(), short_name: short_name.clone() },
        _ => cna.clone(),
    };
    let cna = &assigner;
    let (adp_sources, adp_cwes, adp_urls, adp_threats) = kept.adp_said();
    let updated = vulnerability.modified.unwrap_or(updated);
    let id = vulnerability.id.clone();
    let cve_id = vulnerability.id_of(IdScheme::Cve).ok_or_else(|| ExportError::NoCveId(id.clone()))?;
    let descriptions = texts(&vulnerability.description);
    if vulnerability.description.en.as_deref().is_none_or(str::is_empty) {
        return Err(ExportError::Missing { id, what: "an English description" });
    }
    if vulnerability.references.is_empty() {
        return Err(ExportError::Missing { id, what: "at least one reference" });
    }
    let primary: Vec<&Affected> = {
        let own: Vec<&Affected> =
            vulnerability.affected.iter().filter(|a| a.source == cna.short_name).collect();
        if own.is_empty() { vulnerability.affected.iter().take(1).collect() } else { own }
    };
    if primary.is_empty() {
        return Err(ExportError::Missing { id, what: "affected products" });
    }
    // What only an ADP container says stays in it.
    let problem_types = vulnerability
        .cwes
        .iter()
        .filter(|cwe| !adp_cwes.contains(cwe) || kept.cna_cwes.contains(cwe))
        .map(|cwe| {
            // The CWE's name as CNAs write it (`CWE-502 Deserialization of Untrusted
            // Data`) where it is known; else the id alone.
            let description = match crate::csaf::cwe_name(cwe) {
                Some(name) => format!("{cwe} {name}"),
                None => cwe.clone(),
            };
            ProblemType {
                descriptions: vec![ProblemDescription {
                    lang: "en",
                    cwe_id: cwe,
                    description,
                    r#type: "CWE",
                }],
            }
        })
        .collect();
    let kept_url = |r: &Value| r["url"].as_str().map(str::to_owned);
    let cna_urls: Vec<String> = kept.references.iter().filter_map(kept_url).collect();
    let references = vulnerability
        .references
        .iter()
        .filter(|link| cna_urls.contains(&link.url) || !adp_urls.contains(&link.url))
        .map(|link| match kept.references.iter().find(|r| r["url"] == link.url.as_str()) {
            Some(as_written) => Reference::AsWritten(as_written),
            None => reference(link),
        })
        .collect();
    let metrics = vulnerability
        .scores
        .iter()
        .filter(|s| !adp_sources.contains(&s.source))
        .filter_map(|s| metric(s, &cna.short_name))
        .collect();
    // Threat events are not scores: they travel in a custom field of their own.
    let threats = vulnerability
        .threats
        .iter()
        .filter(|t| !adp_threats.contains(t))
        .map(|threat| ThreatContent {
            kind: threat.kind.as_str(),
            at: time(threat.at),
            source: &threat.source,
            version: match &threat.kind {
                ThreatKind::FixBypassed { version } => Some(version),
                _ => None,
            },
            reference: threat.reference.as_deref(),
            note: threat.note.as_deref(),
        })
        .collect();
    let container = CnaContainer {
        kept: &kept.cna,
        provider_metadata: ProviderMetadata {
            org_id: &cna.org_id,
            short_name: &cna.short_name,
            date_updated: time(updated),
        },
        title: vulnerability.title.any(),
        descriptions,
        affected: primary.iter().map(|a| affected(a)).collect(),
        problem_types,
        references,
        metrics,
        threats,
        solutions: texts(&vulnerability.remediation),
        workarounds: texts(&vulnerability.workarounds),
        credits: vulnerability.credits.iter().map(|c| Text { lang: "en", value: c }).collect(),
    };
    let metadata = Metadata {
        cve_id,
        assigner_org_id: &cna.org_id,
        assigner_short_name: &cna.short_name,
        state: "PUBLISHED",
        date_updated: time(updated),
        date_reserved: kept.date_reserved.as_deref(),
        date_published: vulnerability.published.map(time),
    };
    Ok(to_json(&Record {
        data_type: "CVE_RECORD",
        data_version: "5.1",
        cve_metadata: metadata,
        containers: Containers { cna: container, adp: &kept.adp },
    }))
}

fn affected(a: &Affected) -> Product<'_> {
    let (collection_url, package_name, version_type) = match &a.package.ecosystem {
        Some((Ecosystem::Maven, name)) => (Some("https://repo.maven.apache.org/maven2"), Some(name), "maven"),
        Some((Ecosystem::Npm, name)) => (Some("https://www.npmjs.com"), Some(name), "semver"),
        Some((Ecosystem::PyPi, name)) => (Some("https://pypi.org"), Some(name), "python"),
        Some((Ecosystem::Cargo, name)) => (Some("https://crates.io"), Some(name), "semver"),
        _ => (None, None, "custom"),
    };
    let ranges = a.ranges.iter().map(|range| {
        let (less_than, less_than_or_equal) = match &range.end {
            RangeEnd::Fixed(fixed) => (Some(fixed.as_str()), None),
            RangeEnd::LastAffected(last) => (None, Some(last.as_str())),
            RangeEnd::Open => (Some("*"), None),
        };
        VersionEntry {
            version: &range.introduced,
            status: "affected",
            version_type: Some(version_type),
            less_than,
            less_than_or_equal,
        }
    });
    let versions = a.versions.iter().map(|v| VersionEntry {
        version: v,
        status: "affected",
        version_type: None,
        less_than: None,
        less_than_or_equal: None,
    });
    Product {
        vendor: &a.package.vendor,
        product: &a.package.product,
        collection_url,
        package_name: package_name.map(String::as_str),
        versions: Some(ranges.chain(versions).collect()),
        // No `defaultStatus`: the record says which versions are affected, not that
        // every other version is unaffected.
        default_status: None,
    }
}

fn reference(link: &Link) -> Reference<'_> {
    let tag = match link.kind.as_str() {
        "advisory" => Some("vendor-advisory"),
        "patch" | "fix" => Some("patch"),
        "report" => Some("issue-tracking"),
        "article" => Some("technical-description"),
        "exploit" => Some("exploit"),
        "mitigation" => Some("mitigation"),
        "release" | "package" => Some("release-notes"),
        _ => None,
    };
    Reference::Link { url: &link.url, tags: tag.map(|tag| [tag]) }
}

fn metric<'a>(score: &'a Score, cna: &str) -> Option<Metric<'a>> {
    let scored = severity::score(&score.vector).ok()?;
    if score.source != cna {
        return Some(Metric::Other(OtherMetric {
            r#type: SOURCE_SCORE_TYPE,
            content: SourceScore {
                source: &score.source,
                vector_string: scored.vector,
                base_score: scored.base_score,
            },
        }));
    }
    let version = scored.version;
    let cvss = Cvss {
        version: version.as_str(),
        vector_string: scored.vector,
        base_score: scored.base_score,
        base_severity: (version != CvssVersion::V2).then(|| scored.rating.as_str()),
    };
    Some(match version {
        CvssVersion::V2 => Metric::CvssV2_0(cvss),
        CvssVersion::V3_0 => Metric::CvssV3_0(cvss),
        CvssVersion::V3_1 => Metric::CvssV3_1(cvss),
        CvssVersion::V4 => Metric::CvssV4_0(cvss),
    })
}
/// Reads a CVE JSON 5.x record: validates it against the CVE 5.1 schema (every
/// problem, by JSON path), then keeps each container's data under its source name.
pub fn import(document: &Value) -> Result<Vulnerability, Vec<Problem>> {
    let problems = validate(Schema::Cve, document);
    if !problems.is_empty() {
        return Err(problems);
    }
    let metadata = &document["cveMetadata"];
    let id = metadata["cveId"].as_str().unwrap_or_default();
    let mut vulnerability = Vulnerability::new(id);
    if metadata["state"] == "REJECTED" {
        return Err(vec![Problem {
            path: "$.cveMetadata.state".into(),
            message: "the record is REJECTED".into(),
        }]);
    }
    vulnerability.published = metadata["datePublished"].as_str().and_then(parse_time);
    vulnerability.modified = metadata["dateUpdated"].as_str().and_then(parse_time);
    let cna = &document["containers"]["cna"];
    let cna_name = source_name(cna, metadata["assignerShortName"].as_str().unwrap_or("cna"));
    vulnerability.title.en = cna["title"].as_str().map(str::to_owned);
    vulnerability.description = read_texts(&cna["descriptions"]);
    vulnerability.remediation = read_texts(&cna["solutions"]);
    vulnerability.workarounds = read_texts(&cna["workarounds"]);
    vulnerability.credits =
        array(&cna["credits"]).iter().filter_map(|c| c["value"].as_str().map(str::to_owned)).collect();
    let mut containers = vec![(cna_name, cna)];
    for adp in array(&document["containers"]["adp"]) {
        containers.push((source_name(adp, "adp"), adp));
    }
    for (source, container) in &containers {
        for problem_type in array(&container["problemTypes"]) {
            for description in array(&problem_type["descriptions"]) {
                if let Some(cwe) = description["cweId"].as_str()
                    && !vulnerability.cwes.iter().any(|c| c == cwe)
                {
                    vulnerability.cwes.push(cwe.to_owned());
                }
            }
        }
        for entry in array(&container["affected"]) {
            vulnerability.affected.push(read_affected(entry, source));
        }
        for metric in array(&container["metrics"]) {
            vulnerability.scores.extend(read_metric(metric, source));
            vulnerability.threats.extend(read_threat(&metric["other"]));
        }
        for threat in array(&container[THREATS_FIELD]) {
            vulnerability.threats.extend(read_threat(&json!({"type": THREAT_TYPE, "content": threat})));
        }
        for link in array(&container["references"]) {
            if let Some(url) = link["url"].as_str()
                && !vulnerability.references.iter().any(|r| r.url == url)
            {
                let tags: Vec<&str> = array(&link["tags"]).iter().filter_map(Value::as_str).collect();
                vulnerability
                    .references
                    .push(Link { url: url.to_owned(), kind: link_kind(&tags).to_owned() });
            }
        }
    }
    let kept = Kept {
        assigner_org_id: metadata["assignerOrgId"].as_str().map(str::to_owned),
        assigner_short_name: metadata["assignerShortName"].as_str().map(str::to_owned),
        date_reserved: metadata["dateReserved"].as_str().map(str::to_owned),
        cna: cna
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(key, _)| {
                matches!(key.as_str(), "source" | "timeline")
                    || (key.starts_with("x_") && *key != THREATS_FIELD)
            })
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
        cna_cwes: array(&cna["problemTypes"])
            .iter()
            .flat_map(|p| array(&p["descriptions"]))
            .filter_map(|d| d["cweId"].as_str().map(str::to_owned))
            .collect(),
        references: array(&cna["references"]).to_vec(),
        adp: array(&document["containers"]["adp"]).to_vec(),
    };
    vulnerability.cve_kept = Some(serde_json::to_string(&kept).expect("JSON values serialise"));
    Ok(vulnerability)
}

fn array(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn source_name(container: &Value, fallback: &str) -> String {
    container["providerMetadata"]["shortName"].as_str().unwrap_or(fallback).to_owned()
}

/// RFC 3339, or the zone-less timestamps some real records carry (taken as UTC).
fn parse_time(text: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|t| t.and_utc()))
        .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").ok().map(|t| t.and_utc()))
        .and_then(crate::time::sane)
}

fn read_texts(list: &Value) -> Localized {
    let mut text = Localized::default();
    for entry in array(list) {
        let (Some(lang), Some(value)) = (entry["lang"].as_str(), entry["value"].as_str()) else { continue };
        let slot = if lang.starts_with("zh") {
            &mut text.zh
        } else if lang.starts_with("en") {
            &mut text.en
        } else {
            continue;
        };
        match slot {
            Some(existing) => {
                existing.push_str("\n\n");
                existing.push_str(value);
            }
            None => *slot = Some(value.to_owned()),
        }
    }
    text
}

fn link_kind(tags: &[&str]) -> &'static str {
    for tag in tags {
        match *tag {
            "vendor-advisory" | "third-party-advisory" | "government-resource" => return "advisory",
            "patch" => return "patch",
            "issue-tracking" => return "report",
            "exploit" => return "exploit",
            "mitigation" => return "mitigation",
            "release-notes" => return "release",
            "technical-description" | "mailing-list" => return "article",
            _ => {}
        }
    }
    "web"
}

fn read_metric(metric: &Value, source: &str) -> Option<Score> {
    for key in ["cvssV4_0", "cvssV3_1", "cvssV3_0", "cvssV2_0"] {
        if let Some(vector) = metric[key]["vectorString"].as_str() {
            return Some(Score { source: source.to_owned(), vector: vector.to_owned() });
        }
    }
    let other = &metric["other"];
    if other["type"] == SOURCE_SCORE_TYPE {
        let content = &other["content"];
        return Some(Score {
            source: content["source"].as_str()?.to_owned(),
            vector: content["vectorString"].as_str()?.to_owned(),
        });
    }
    None
}

/// A threat event from an `other` metric: vulnrelay's own, CISA's KEV entry, or an
/// SSVC decision that says exploitation is active.
fn read_threat(other: &Value) -> Option<ThreatEvent> {
    let content = &other["content"];
    match other["type"].as_str()? {
        THREAT_TYPE => {
            let kind = match content["kind"].as_str()? {
                "exploit_details_public" => ThreatKind::ExploitDetailsPublic,
                "proof_of_concept" => ThreatKind::ProofOfConcept,
                "actively_exploited" => ThreatKind::ActivelyExploited,
                "fix_bypassed" => {
                    ThreatKind::FixBypassed { version: content["version"].as_str()?.to_owned() }
                }
                _ => return None,
            };
            Some(ThreatEvent {
                at: parse_time(content["at"].as_str()?)?,
                kind,
                source: content["source"].as_str()?.to_owned(),
                reference: content["reference"].as_str().map(str::to_owned),
                note: content["note"].as_str().map(str::to_owned),
            })
        }
        "kev" => Some(ThreatEvent {
            at: parse_time(&format!("{}T00:00:00Z", content["dateAdded"].as_str()?))?,
            kind: ThreatKind::ActivelyExploited,
            source: "CISA KEV".into(),
            reference: content["reference"].as_str().map(str::to_owned),
            note: None,
        }),
        "ssvc" if array(&content["options"]).iter().any(|o| o["Exploitation"] == "active") => {
            Some(ThreatEvent {
                at: parse_time(content["timestamp"].as_str()?)?,
                kind: ThreatKind::ActivelyExploited,
                source: format!("SSVC ({})", content["role"].as_str().unwrap_or("unknown role")),
                reference: None,
                note: None,
            })
        }
        _ => None,
    }
}

/// Reads an `affected` entry. Version entries with `changes` are unrolled into
/// ranges (a `version` that is not a version, as real records say `"log4j-core"`, then
/// starts where the first `affected` change is); without changes such a `version`
/// (`"Apache Log4j2"`) is kept as written, never read as `0`.
fn read_affected(entry: &Value, source: &str) -> Affected {
    let vendor = entry["vendor"].as_str().unwrap_or_default().to_owned();
    let product = entry["product"].as_str().or(entry["packageName"].as_str()).unwrap_or_default().to_owned();
    let ecosystem = match (entry["collectionURL"].as_str(), entry["packageName"].as_str()) {
        (Some(url), Some(name)) if url.contains("maven") => Some((Ecosystem::Maven, name.to_owned())),
        (Some(url), Some(name)) if url.contains("npmjs") => Some((Ecosystem::Npm, name.to_owned())),
        (Some(url), Some(name)) if url.contains("pypi") => Some((Ecosystem::PyPi, name.to_owned())),
        (Some(url), Some(name)) if url.contains("crates.io") => Some((Ecosystem::Cargo, name.to_owned())),
        _ => None,
    };
    let purl = match &ecosystem {
        Some((Ecosystem::Maven, name)) => name.split_once(':').map(|(g, a)| format!("pkg:maven/{g}/{a}")),
        _ => None,
    };
    let mut affected = Affected {
        source: source.to_owned(),
        package: Package { vendor, product, ecosystem, purl },
        ranges: Vec::new(),
        versions: Vec::new(),
    };
    for version in array(&entry["versions"]) {
        read_version(version, &mut affected);
    }
    affected
}

fn is_version(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_digit()) && !text.contains(['*', ' '])
}

fn read_version(version: &Value, affected: &mut Affected) {
    let start = version["version"].as_str().unwrap_or_default();
    let status = version["status"].as_str().unwrap_or_default();
    let less_than = version["lessThan"].as_str();
    let less_or_equal = version["lessThanOrEqual"].as_str();
    let mut changes: Vec<(MavenVersion, String, bool)> = array(&version["changes"])
        .iter()
        .filter_map(|c| {
            let at = c["at"].as_str()?;
            Some((MavenVersion::parse(at), at.to_owned(), c["status"] == "affected"))
        })
        .collect();
    if less_than.is_none() && less_or_equal.is_none() && changes.is_empty() {
        if status == "affected" {
            affected.versions.push(start.to_owned());
        }
        return;
    }
    changes.sort_by(|a, b| a.0.cmp(&b.0));
    // Where the stretch starts and whether it starts affected.
    // A start that is not a version (`"Apache Log4j2"`) is kept as written where
    // nothing else says where the range starts: it is not turned into `0`.
    let (mut from, mut is_affected) = if is_version(start) || changes.is_empty() {
        (start.to_owned(), status == "affected")
    } else {
        ("0".to_owned(), false)
    };
    for (_, at, now_affected) in changes {
        if is_affected && !now_affected {
            affected.ranges.push(VersionRange { introduced: from.clone(), end: RangeEnd::Fixed(at.clone()) });
        }
        if !is_affected && now_affected {
            from = at;
        }
        is_affected = now_affected;
    }
    if is_affected {
        let end = match (less_than, less_or_equal) {
            (Some(limit), _) if is_version(limit) => RangeEnd::Fixed(limit.to_owned()),
            (_, Some(last)) if is_version(last) => RangeEnd::LastAffected(last.to_owned()),
            _ => RangeEnd::Open,
        };
        affected.ranges.push(VersionRange { introduced: from, end });
    }
}
