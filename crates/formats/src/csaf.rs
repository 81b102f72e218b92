//! CSAF 2.0 documents (schema `schemas/csaf/csaf_json_schema.json`): security
//! advisories (`csaf_security_advisory`) and VEX (`csaf_vex`) written from vulnerability
//! records, and advisories read back into records.
//!
//! The product tree has one branch per vendor and product, with a
//! `product_version_range` (in `vers:` notation) for each affected range of the primary
//! source and a `product_version` for each fixed version. The revision history is
//! given by the caller, so every update of a published case appends to it.

use chrono::SecondsFormat;
use serde::Serialize;
use serde_json::{Map, Value};
use vulnrelay_domain::{
    Affected, Ecosystem, IdScheme, Link, Localized, Package, RangeEnd, Score, ThreatKind, Timestamp,
    VendorStatement, VendorStatus, Vulnerability,
};

use crate::case_file::Problem;
use crate::schemas::{Schema, validate};
use crate::severity::{self, CvssVersion};
use crate::to_json;

/// Who publishes the document (written as `/document/publisher`).
#[derive(Debug, Clone, Serialize)]
pub struct Publisher {
    /// `coordinator`, `vendor`, `discoverer`, `user`, `translator` or `other`.
    pub category: String,
    /// Name, e.g. `CNVD` or `vulnrelay demo platform`.
    pub name: String,
    /// A URL that identifies the publisher.
    pub namespace: String,
}

/// One entry of the revision history.
#[derive(Debug, Clone)]
pub struct Revision {
    /// Version number (integer versioning: `1`, `2`, ...).
    pub number: u32,
    /// When.
    pub date: Timestamp,
    /// What changed.
    pub summary: String,
}

/// The document's tracking data.
#[derive(Debug, Clone)]
pub struct Tracking {
    /// Document id, e.g. `VR-2021-0001`.
    pub id: String,
    /// `draft`, `interim` or `final`.
    pub status: String,
    /// Every revision, oldest first (at least one).
    pub revisions: Vec<Revision>,
}

/// Which language the document is written in; texts fall back to the other language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    fn pick(self, text: &Localized) -> Option<String> {
        let (first, second) = match self {
            Lang::En => (&text.en, &text.zh),
            Lang::Zh => (&text.zh, &text.en),
        };
        first.clone().filter(|t| !t.is_empty()).or_else(|| second.clone().filter(|t| !t.is_empty()))
    }
}

/// Why a document cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// No revision was given.
    #[error("a CSAF document needs at least one revision")]
    NoRevision,
    /// No vulnerability was given.
    #[error("a CSAF document needs at least one vulnerability")]
    NoVulnerability,
    /// No record names a product (the product tree would have empty `branches`).
    #[error(
        "no record names an affected product, so the product tree would be empty (CSAF 2.0 needs at least one branch)"
    )]
    NoProducts,
    /// A vulnerability would have no product status (mandatory test 6.1.27.6).
    #[error(
        "{0}: no product is known affected or fixed, and a CSAF vulnerability needs a product status (6.1.27.6)"
    )]
    NoProductStatus(String),
}

/// The status of a product in a VEX document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VexStatus {
    /// Affected.
    KnownAffected,
    /// Not affected, with the reason (a CSAF flag label such as `vulnerable_code_not_present`).
    KnownNotAffected(&'static str),
    /// Fixed.
    Fixed,
    /// Not known yet.
    UnderInvestigation,
}

fn time(at: Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The official names of the CWEs the Log4j records carry (CSAF 6.1.11 checks the name
/// against the id); for others `None`, and no `cwe` is written rather than a wrong name.
pub fn cwe_name(id: &str) -> Option<&'static str> {
    Some(match id {
        "CWE-20" => "Improper Input Validation",
        "CWE-74" => {
            "Improper Neutralization of Special Elements in Output Used by a Downstream Component ('Injection')"
        }
        "CWE-400" => "Uncontrolled Resource Consumption",
        "CWE-502" => "Deserialization of Untrusted Data",
        "CWE-674" => "Uncontrolled Recursion",
        "CWE-917" => {
            "Improper Neutralization of Special Elements used in an Expression Language Statement ('Expression Language Injection')"
        }
        _ => return None,
    })
}

/// The products of a record: (product id, full name, status) for each affected range of
/// the primary (first) source and each fixed version.
struct Products {
    tree: Vec<VendorBranch>,
    affected: Vec<String>,
    fixed: Vec<String>,
}

/// A CSAF 2.0 document as this module writes it.
#[derive(Serialize)]
struct Csaf<'a> {
    document: DocumentMeta<'a>,
    product_tree: ProductTree,
    vulnerabilities: Vec<VulnerabilityEntry>,
}

/// `/document/category`.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum DocumentCategory {
    CsafSecurityAdvisory,
    CsafVex,
}

/// `/document`: the document-level metadata.
#[derive(Serialize)]
struct DocumentMeta<'a> {
    category: DocumentCategory,
    csaf_version: &'static str,
    lang: &'static str,
    title: &'a str,
    publisher: &'a Publisher,
    distribution: Distribution,
    tracking: TrackingMeta<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<Note>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<Reference>,
}

/// `/document/distribution`: always TLP:WHITE as written here.
#[derive(Serialize)]
struct Distribution {
    tlp: Tlp,
}

/// A TLP label.
#[derive(Serialize)]
struct Tlp {
    label: &'static str,
}

/// `/document/tracking`.
#[derive(Serialize)]
struct TrackingMeta<'a> {
    id: &'a str,
    status: &'a str,
    version: String,
    initial_release_date: String,
    current_release_date: String,
    revision_history: Vec<RevisionEntry<'a>>,
    generator: Generator,
}

/// One entry of `/document/tracking/revision_history`.
#[derive(Serialize)]
struct RevisionEntry<'a> {
    number: String,
    date: String,
    summary: &'a str,
}

/// `/document/tracking/generator`.
#[derive(Serialize)]
struct Generator {
    engine: Engine,
}

/// The generating engine: vulnrelay and its version.
#[derive(Serialize)]
struct Engine {
    name: &'static str,
    version: &'static str,
}

/// A note (of the document or of a vulnerability).
#[derive(Serialize)]
struct Note {
    category: NoteCategory,
    title: &'static str,
    text: String,
}

/// The category of a [`Note`].
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum NoteCategory {
    Description,
    Summary,
}

/// A reference (of the document or of a vulnerability).
#[derive(Serialize)]
struct Reference {
    category: ReferenceCategory,
    summary: String,
    url: String,
}

/// The category of a [`Reference`].
#[derive(Serialize)]
enum ReferenceCategory {
    #[serde(rename = "external")]
    External,
    #[serde(rename = "self")]
    Canonical,
}

/// `/product_tree`: branches (security advisory) or full product names (VEX).
#[derive(Serialize)]
struct ProductTree {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    branches: Vec<VendorBranch>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    full_product_names: Vec<FullProductName>,
}

/// The category of a branch of the product tree.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum BranchCategory {
    Vendor,
    ProductName,
    ProductVersion,
    ProductVersionRange,
}

/// A `vendor` branch, holding its products.
#[derive(Serialize)]
struct VendorBranch {
    category: BranchCategory,
    name: String,
    branches: Vec<ProductBranch>,
}

/// A `product_name` branch: the record's product with its versions as branches, or a
/// downstream vendor's product as a product of its own.
#[derive(Serialize)]
struct ProductBranch {
    category: BranchCategory,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    branches: Option<Vec<VersionBranch>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    product: Option<FullProductName>,
}

/// A `product_version` or `product_version_range` leaf.
#[derive(Serialize)]
struct VersionBranch {
    category: BranchCategory,
    name: String,
    product: FullProductName,
}

/// A full product name: the product id the statuses name.
#[derive(Serialize)]
struct FullProductName {
    name: String,
    product_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    product_identification_helper: Option<IdentificationHelper>,
}

/// How to find the product: its package URL.
#[derive(Serialize)]
struct IdentificationHelper {
    purl: String,
}

/// One entry of `/vulnerabilities`.
#[derive(Serialize)]
struct VulnerabilityEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    cve: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ids: Vec<OtherId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cwe: Option<Cwe>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<Note>,
    #[serde(skip_serializing_if = "Option::is_none")]
    release_date: Option<String>,
    #[serde(skip_serializing_if = "ProductStatus::is_empty")]
    product_status: ProductStatus,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    remediations: Vec<Remediation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scores: Vec<ScoreEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    threats: Vec<Threat>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    flags: Vec<Flag>,
}

/// An identifier other than the CVE id, with the system that gave it.
#[derive(Serialize)]
struct OtherId {
    system_name: String,
    text: String,
}

/// The vulnerability's CWE.
#[derive(Serialize)]
struct Cwe {
    id: String,
    name: &'static str,
}

/// The product ids per status.
#[derive(Default, Serialize)]
struct ProductStatus {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    known_affected: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    known_not_affected: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixed: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    under_investigation: Vec<String>,
}

impl ProductStatus {
    fn is_empty(&self) -> bool {
        self.known_affected.is_empty()
            && self.known_not_affected.is_empty()
            && self.fixed.is_empty()
            && self.under_investigation.is_empty()
    }
}

/// A remediation of some products.
#[derive(Serialize)]
struct Remediation {
    category: RemediationCategory,
    details: String,
    product_ids: Vec<String>,
}

/// The category of a [`Remediation`].
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum RemediationCategory {
    VendorFix,
    Workaround,
    NoneAvailable,
}

/// A CVSS v3 score of some products.
#[derive(Serialize)]
struct ScoreEntry {
    products: Vec<String>,
    cvss_v3: CvssV3,
}

/// The CVSS v3 part of a [`ScoreEntry`].
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CvssV3 {
    version: &'static str,
    vector_string: String,
    base_score: f64,
    base_severity: &'static str,
}

/// A threat: an exploit status of the vulnerability or a vendor's impact statement on
/// one of its products.
#[derive(Serialize)]
struct Threat {
    category: ThreatCategory,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    details: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    product_ids: Vec<String>,
}

/// The category of a [`Threat`].
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum ThreatCategory {
    ExploitStatus,
    Impact,
}

/// A flag: why some products are not affected.
#[derive(Serialize)]
struct Flag {
    label: &'static str,
    product_ids: Vec<String>,
}

fn vers(package: &Package, range: &vulnrelay_domain::VersionRange) -> String {
    let scheme = match &package.ecosystem {
        Some((Ecosystem::Maven, _)) => "maven",
        Some((Ecosystem::Npm, _)) => "npm",
        Some((Ecosystem::PyPi, _)) => "pypi",
        Some((Ecosystem::Cargo, _)) => "cargo",
        _ => "generic",
    };
    let start = if range.introduced == "0" { String::new() } else { format!(">={}", range.introduced) };
    let end = match &range.end {
        RangeEnd::Fixed(v) => format!("<{v}"),
        RangeEnd::LastAffected(v) => format!("<={v}"),
        RangeEnd::Open => String::new(),
    };
    let parts: Vec<String> = [start, end].into_iter().filter(|p| !p.is_empty()).collect();
    if parts.is_empty() { format!("vers:{scheme}/*") } else { format!("vers:{scheme}/{}", parts.join("|")) }
}

fn products(vulnerability: &Vulnerability, prefix: &str) -> Products {
    let mut out = Products { tree: Vec::new(), affected: Vec::new(), fixed: Vec::new() };
    let Some(primary) = vulnerability.affected.first() else { return out };
    let primary: Vec<&Affected> =
        vulnerability.affected.iter().filter(|a| a.source == primary.source).collect();
    let mut counter = 0;
    let mut next_id = || {
        counter += 1;
        format!("{prefix}-{counter:04}")
    };
    for affected in primary {
        let package = &affected.package;
        let mut versions = Vec::new();
        let mut leaf = |category, name: String, id: &str| {
            let product = product_name(package, &name, id);
            versions.push(VersionBranch { category, name, product });
        };
        for range in &affected.ranges {
            let id = next_id();
            leaf(BranchCategory::ProductVersionRange, vers(package, range), &id);
            out.affected.push(id);
        }
        for version in &affected.versions {
            let id = next_id();
            leaf(BranchCategory::ProductVersion, version.clone(), &id);
            out.affected.push(id);
        }
        for version in &vulnerability.fixed_versions {
            let id = next_id();
            leaf(BranchCategory::ProductVersion, version.clone(), &id);
            out.fixed.push(id);
        }
        let product_branch = ProductBranch {
            category: BranchCategory::ProductName,
            name: package.product.clone(),
            branches: Some(versions),
            product: None,
        };
        match out.tree.iter_mut().find(|v| v.name == package.vendor) {
            Some(vendor) => vendor.branches.push(product_branch),
            None => out.tree.push(VendorBranch {
                category: BranchCategory::Vendor,
                name: package.vendor.clone(),
                branches: vec![product_branch],
            }),
        }
    }
    out
}

fn product_name(package: &Package, version: &str, id: &str) -> FullProductName {
    let purl = package.purl.as_ref().filter(|_| !version.starts_with("vers:"));
    FullProductName {
        name: format!("{} {version}", package.product),
        product_id: id.to_owned(),
        product_identification_helper: purl
            .map(|purl| IdentificationHelper { purl: format!("{purl}@{version}") }),
    }
}

fn document<'a>(
    category: DocumentCategory,
    title: &'a str,
    publisher: &'a Publisher,
    tracking: &'a Tracking,
    lang: Lang,
) -> Result<DocumentMeta<'a>, ExportError> {
    let first = tracking.revisions.first().ok_or(ExportError::NoRevision)?;
    let last = tracking.revisions.last().ok_or(ExportError::NoRevision)?;
    let revision_history = tracking
        .revisions
        .iter()
        .map(|r| RevisionEntry { number: r.number.to_string(), date: time(r.date), summary: &r.summary })
        .collect();
    Ok(DocumentMeta {
        category,
        csaf_version: "2.0",
        lang: lang.tag(),
        title,
        publisher,
        distribution: Distribution { tlp: Tlp { label: "WHITE" } },
        tracking: TrackingMeta {
            id: &tracking.id,
            status: &tracking.status,
            version: last.number.to_string(),
            initial_release_date: time(first.date),
            current_release_date: time(last.date),
            revision_history,
            generator: Generator { engine: Engine { name: "vulnrelay", version: env!("CARGO_PKG_VERSION") } },
        },
        notes: Vec::new(),
        references: Vec::new(),
    })
}

fn vulnerability_entry(
    v: &Vulnerability,
    products: &Products,
    lang: Lang,
    publisher: &str,
) -> VulnerabilityEntry {
    let ids = v
        .ids()
        .filter(|id| IdScheme::of(id) != IdScheme::Cve)
        .map(|id| {
            let system = match IdScheme::of(id) {
                IdScheme::Cnvd => "CNVD",
                IdScheme::Cnnvd => "CNNVD",
                IdScheme::Nvdb => "NVDB",
                IdScheme::Ghsa => "GitHub Advisory Database",
                _ => publisher,
            };
            OtherId { system_name: system.to_owned(), text: id.to_owned() }
        })
        .collect();
    let remediation =
        |category, details| Remediation { category, details, product_ids: products.affected.clone() };
    let mut remediations = Vec::new();
    if let Some(details) = lang.pick(&v.remediation) {
        remediations.push(remediation(RemediationCategory::VendorFix, details));
    }
    if let Some(details) = lang.pick(&v.workarounds) {
        remediations.push(remediation(RemediationCategory::Workaround, details));
    }
    if remediations.is_empty() {
        // Every known_affected product needs an action statement (6.1.27.10).
        let details = match lang {
            Lang::En => "No remediation is recorded yet.",
            Lang::Zh => "尚无修复措施记录。",
        };
        remediations.push(remediation(RemediationCategory::NoneAvailable, details.to_owned()));
    }
    if products.affected.is_empty() {
        remediations.clear();
    }
    // One CVSS v3 score per document: the first source's (CSAF scores carry no source).
    let score = v.scores.iter().find_map(|s| {
        severity::score(&s.vector).ok().filter(|x| matches!(x.version, CvssVersion::V3_0 | CvssVersion::V3_1))
    });
    let scores = score
        .filter(|_| !products.affected.is_empty())
        .map(|score| ScoreEntry {
            products: products.affected.clone(),
            cvss_v3: CvssV3 {
                version: score.version.as_str(),
                vector_string: score.vector,
                base_score: score.base_score,
                base_severity: score.rating.as_str(),
            },
        })
        .into_iter()
        .collect();
    let threats = v
        .threats
        .iter()
        .map(|t| {
            let what = match (&t.kind, lang) {
                (ThreatKind::ExploitDetailsPublic, Lang::En) => "Exploitation details are public".to_owned(),
                (ThreatKind::ExploitDetailsPublic, Lang::Zh) => "漏洞利用细节公开".to_owned(),
                (ThreatKind::ProofOfConcept, Lang::En) => "Proof-of-concept code is published".to_owned(),
                (ThreatKind::ProofOfConcept, Lang::Zh) => "概念验证代码已发布".to_owned(),
                (ThreatKind::ActivelyExploited, Lang::En) => "Actively exploited".to_owned(),
                (ThreatKind::ActivelyExploited, Lang::Zh) => "已被积极利用".to_owned(),
                (ThreatKind::FixBypassed { version }, Lang::En) => {
                    format!("The fix in {version} was bypassed")
                }
                (ThreatKind::FixBypassed { version }, Lang::Zh) => format!("{version} 中的修复已被绕过"),
            };
            Threat {
                category: ThreatCategory::ExploitStatus,
                date: Some(time(t.at)),
                details: format!("{what} ({})", t.source),
                product_ids: Vec::new(),
            }
        })
        .collect();
    VulnerabilityEntry {
        cve: v.id_of(IdScheme::Cve).map(str::to_owned),
        ids,
        title: lang.pick(&v.title),
        cwe: v.cwes.first().and_then(|cwe| Some(Cwe { id: cwe.clone(), name: cwe_name(cwe)? })),
        notes: lang
            .pick(&v.description)
            .map(|text| Note { category: NoteCategory::Description, title: "Description", text })
            .into_iter()
            .collect(),
        release_date: v.published.map(time),
        product_status: ProductStatus {
            known_affected: products.affected.clone(),
            fixed: products.fixed.clone(),
            ..ProductStatus::default()
        },
        remediations,
        scores,
        threats,
        references: v
            .references
            .iter()
            .map(|r| Reference {
                category: ReferenceCategory::External,
                summary: r.kind.clone(),
                url: r.url.clone(),
            })
            .collect(),
        flags: Vec::new(),
    }
}

/// Writes a `csaf_security_advisory` for the vulnerabilities of a case.
pub fn security_advisory(
    title: &str,
    publisher: &Publisher,
    tracking: &Tracking,
    vulnerabilities: &[Vulnerability],
    lang: Lang,
) -> Result<Value, ExportError> {
    if vulnerabilities.is_empty() {
        return Err(ExportError::NoVulnerability);
    }
    let mut document = document(DocumentCategory::CsafSecurityAdvisory, title, publisher, tracking, lang)?;
    let mut branches: Vec<VendorBranch> = Vec::new();
    let mut entries = Vec::new();
    for (i, v) in vulnerabilities.iter().enumerate() {
        let mut products = products(v, &format!("VR{}", i + 1));
        if products.affected.is_empty() && products.fixed.is_empty() {
            return Err(ExportError::NoProductStatus(v.id.clone()));
        }
        entries.push(vulnerability_entry(v, &products, lang, &publisher.name));
        merge_branches(&mut branches, std::mem::take(&mut products.tree));
    }
    if branches.is_empty() {
        return Err(ExportError::NoProducts);
    }
    let summary = vulnerabilities.iter().filter_map(|v| lang.pick(&v.title)).collect::<Vec<_>>().join("; ");
    let text = if summary.is_empty() { title.to_owned() } else { summary };
    document.notes = vec![Note { category: NoteCategory::Summary, title: "Summary", text }];
    let mut urls: Vec<&str> = vulnerabilities
        .iter()
        .flat_map(|v| v.references.iter().filter(|r| r.kind == "advisory").take(1))
        .map(|r| r.url.as_str())
        .collect();
    urls.dedup();
    document.references = urls
        .iter()
        .map(|url| Reference {
            category: ReferenceCategory::External,
            summary: "Advisory".into(),
            url: (*url).to_owned(),
        })
        .collect();
    let product_tree = ProductTree { branches, full_product_names: Vec::new() };
    Ok(to_json(&Csaf { document, product_tree, vulnerabilities: entries }))
}

/// Adds the downstream vendors' public statuses to a `csaf_security_advisory`: one
/// product per vendor product (under a `vendor` branch), in the `product_status` of
/// each vulnerability the vendor answered — `known_affected` (with `none_available`),
/// `known_not_affected` (with its justification as a flag), `fixed` (with a
/// `vendor_fix` naming the version) or `under_investigation` — and each statement as an
/// `impact` threat of that product. A status for a vulnerability the document does not
/// cover is left out.
pub fn add_vendor_statuses(document: &mut Value, vendors: &[VendorStatement], lang: Lang) {
    let mut ids: Vec<((String, String), String)> = Vec::new();
    for statement in vendors {
        let Some(index) = vulnerability_index(document, &statement.vulnerability) else { continue };
        let key = (statement.vendor.clone(), statement.product.clone());
        let id = match ids.iter().find(|(k, _)| *k == key) {
            Some((_, id)) => id.clone(),
            None => {
                let id = format!("VENDOR-{:04}", ids.len() + 1);
                add_vendor_product(document, &statement.vendor, &statement.product, &id);
                ids.push((key, id.clone()));
                id
            }
        };
        let entry = &mut document["vulnerabilities"][index];
        let status_key = match statement.status {
            VendorStatus::UnderInvestigation => "under_investigation",
            VendorStatus::Affected => "known_affected",
            VendorStatus::NotAffected => "known_not_affected",
            VendorStatus::Fixed => "fixed",
        };
        push_to(entry, &["product_status", status_key], Value::String(id.clone()));
        let remediation =
            |category, details| Remediation { category, details, product_ids: vec![id.clone()] };
        match statement.status {
            VendorStatus::Affected => {
                let details = statement.statement.clone().unwrap_or_else(|| match lang {
                    Lang::En => "The vendor has not announced a fix.".to_owned(),
                    Lang::Zh => "厂商尚未公布修复措施。".to_owned(),
                });
                push_to(
                    entry,
                    &["remediations"],
                    to_json(&remediation(RemediationCategory::NoneAvailable, details)),
                );
            }
            VendorStatus::Fixed => {
                let version = statement.fixed_version.clone().unwrap_or_default();
                let details = match lang {
                    Lang::En => format!("Fixed in {version}."),
                    Lang::Zh => format!("已在 {version} 修复。"),
                };
                push_to(
                    entry,
                    &["remediations"],
                    to_json(&remediation(RemediationCategory::VendorFix, details)),
                );
            }
            VendorStatus::NotAffected => {
                if let Some(label) = statement.justification {
                    let flag = Flag { label: label.as_str(), product_ids: vec![id.clone()] };
                    push_to(entry, &["flags"], to_json(&flag));
                }
            }
            VendorStatus::UnderInvestigation => {}
        }
        let impact = if let Some(text) = statement.statement.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(match lang {
                Lang::En => format!("Statement of {} on {}: {text}", statement.vendor, statement.product),
                Lang::Zh => format!("{}关于{}的声明：{text}", statement.vendor, statement.product),
            })
        } else if statement.status == VendorStatus::NotAffected {
            // CSAF 6.1.27.9 asks every known_not_affected product for an impact statement.
            Some(match lang {
                Lang::En => {
                    format!("{} states that {} is not affected.", statement.vendor, statement.product)
                }
                Lang::Zh => format!("{}声明{}不受影响。", statement.vendor, statement.product),
            })
        } else {
            None
        };
        if let Some(details) = impact {
            let threat =
                Threat { category: ThreatCategory::Impact, date: None, details, product_ids: vec![id] };
            push_to(entry, &["threats"], to_json(&threat));
        }
    }
}

fn vulnerability_index(document: &Value, id: &str) -> Option<usize> {
    document["vulnerabilities"].as_array()?.iter().position(|v| {
        v["cve"].as_str() == Some(id)
            || v["ids"].as_array().is_some_and(|ids| ids.iter().any(|i| i["text"].as_str() == Some(id)))
    })
}

fn add_vendor_product(document: &mut Value, vendor: &str, product: &str, id: &str) {
    let branch = ProductBranch {
        category: BranchCategory::ProductName,
        name: product.to_owned(),
        branches: None,
        product: Some(FullProductName {
            name: format!("{vendor} {product}"),
            product_id: id.to_owned(),
            product_identification_helper: None,
        }),
    };
    let Some(branches) = document["product_tree"]["branches"].as_array_mut() else { return };
    match branches.iter_mut().find(|b| b["category"] == "vendor" && b["name"] == vendor) {
        Some(existing) => {
            if let Some(list) = existing["branches"].as_array_mut() {
                list.push(to_json(&branch));
            }
        }
        None => branches.push(to_json(&VendorBranch {
            category: BranchCategory::Vendor,
            name: vendor.to_owned(),
            branches: vec![branch],
        })),
    }
}

/// Appends `item` to the array at `path` under `value`, making the objects and the
/// array on the way.
fn push_to(value: &mut Value, path: &[&str], item: Value) {
    let mut at = value;
    for (i, key) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        at = match at.as_object_mut() {
            Some(object) => object
                .entry(*key)
                .or_insert_with(|| if last { Value::Array(Vec::new()) } else { Value::Object(Map::new()) }),
            None => return,
        };
    }
    if let Some(list) = at.as_array_mut() {
        list.push(item);
    }
}

/// Writes a `csaf_vex` for one vulnerability, with an explicit status for each product
/// (name, status). Products not affected carry their justification as a flag.
pub fn vex(
    title: &str,
    publisher: &Publisher,
    tracking: &Tracking,
    vulnerability: &Vulnerability,
    statuses: &[(String, VexStatus)],
    lang: Lang,
) -> Result<Value, ExportError> {
    let mut document = document(DocumentCategory::CsafVex, title, publisher, tracking, lang)?;
    let text = lang.pick(&vulnerability.description).unwrap_or_else(|| title.to_owned());
    document.notes = vec![Note { category: NoteCategory::Summary, title: "Summary", text }];
    let mut full_product_names = Vec::new();
    let mut status = ProductStatus::default();
    let mut flags = Vec::new();
    for (i, (name, product_status)) in statuses.iter().enumerate() {
        let id = format!("VEX-{:04}", i + 1);
        full_product_names.push(FullProductName {
            name: name.clone(),
            product_id: id.clone(),
            product_identification_helper: None,
        });
        let list = match product_status {
            VexStatus::KnownAffected => &mut status.known_affected,
            VexStatus::KnownNotAffected(label) => {
                flags.push(Flag { label, product_ids: vec![id.clone()] });
                &mut status.known_not_affected
            }
            VexStatus::Fixed => &mut status.fixed,
            VexStatus::UnderInvestigation => &mut status.under_investigation,
        };
        list.push(id);
    }
    if status.is_empty() {
        return Err(ExportError::NoProductStatus(vulnerability.id.clone()));
    }
    // The known_affected products get the record's remediations (or `none_available`)
    // and its score.
    let products = Products { tree: Vec::new(), affected: status.known_affected.clone(), fixed: Vec::new() };
    let mut entry = vulnerability_entry(vulnerability, &products, lang, &publisher.name);
    entry.product_status = status;
    entry.flags = flags;
    let product_tree = ProductTree { branches: Vec::new(), full_product_names };
    Ok(to_json(&Csaf { document, product_tree, vulnerabilities: vec![entry] }))
}

/// Gives a CSAF document its canonical URL: a `self` reference in
/// `/document/references` (CSAF 2.0 6.2.11), replacing any earlier one.
pub fn set_self_reference(document: &mut Value, url: &str) {
    let Some(meta) = document["document"].as_object_mut() else { return };
    let references = meta.entry("references").or_insert_with(|| Value::Array(Vec::new()));
    if let Some(list) = references.as_array_mut() {
        list.retain(|r| r["category"] != "self");
        let canonical = Reference {
            category: ReferenceCategory::Canonical,
            summary: "Canonical URL".into(),
            url: url.into(),
        };
        list.insert(0, to_json(&canonical));
    }
}

fn merge_branches(into: &mut Vec<VendorBranch>, new: Vec<VendorBranch>) {
    for vendor in new {
        match into.iter_mut().find(|v| v.name == vendor.name) {
            Some(existing) => existing.branches.extend(vendor.branches),
            None => into.push(vendor),
        }
    }
}
/// Reads a CSAF 2.0 advisory: validates it against the schema (every problem, by JSON
/// path), then returns one record per vulnerability, attributed to the publisher.
pub fn import(document: &Value) -> Result<Vec<Vulnerability>, Vec<Problem>> {
    let mut problems = validate(Schema::Csaf, document);
    if problems.is_empty() {
        problems.extend(checks(document));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let source = document["document"]["publisher"]["name"].as_str().unwrap_or("csaf").to_owned();
    let lang_zh = document["document"]["lang"].as_str().is_some_and(|l| l.starts_with("zh"));
    let names = product_names(&document["product_tree"]);
    let mut tree = Vec::new();
    tree_products(&document["product_tree"]["branches"], &TreePath::default(), &mut tree);
    let tracking = &document["document"]["tracking"];
    let modified = tracking["current_release_date"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .and_then(|t| crate::time::sane(t.to_utc()));
    let initial = tracking["initial_release_date"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .and_then(|t| crate::time::sane(t.to_utc()));
    let mut out = Vec::new();
    for (i, entry) in
        document["vulnerabilities"].as_array().map(Vec::as_slice).unwrap_or_default().iter().enumerate()
    {
        let id = entry["cve"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| entry["ids"][0]["text"].as_str().map(str::to_owned))
            .unwrap_or_else(|| {
                format!("{}#{}", document["document"]["tracking"]["id"].as_str().unwrap_or("csaf"), i + 1)
            });
        let mut v = Vulnerability::new(id);
        for alias in entry["ids"].as_array().map(Vec::as_slice).unwrap_or_default() {
            if let Some(text) = alias["text"].as_str() {
                v.add_alias(text);
            }
        }
        let text = |t: Option<&str>| {
            let t = t.map(str::to_owned);
            if lang_zh { Localized { zh: t, en: None } } else { Localized { zh: None, en: t } }
        };
        v.title = text(entry["title"].as_str());
        let notes = entry["notes"].as_array().map(Vec::as_slice).unwrap_or_default();
        let description = notes
            .iter()
            .find(|n| n["category"] == "description")
            .or_else(|| notes.iter().find(|n| n["category"] == "summary"))
            .or(notes.first());
        v.description = text(description.and_then(|n| n["text"].as_str()));
        if let Some(cwe) = entry["cwe"]["id"].as_str() {
            v.cwes.push(cwe.to_owned());
        }
        v.published = entry["release_date"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .and_then(|t| crate::time::sane(t.to_utc()))
            .or(initial);
        v.modified = modified;
        if v.title.is_empty() {
            v.title = text(document["document"]["title"].as_str());
        }
        let remediations = entry["remediations"].as_array().map(Vec::as_slice).unwrap_or_default();
        let joined = |category: &str| {
            let parts: Vec<&str> = remediations
                .iter()
                .filter(|r| r["category"] == category)
                .filter_map(|r| r["details"].as_str())
                .collect();
            (!parts.is_empty()).then(|| parts.join("\n\n"))
        };
        v.remediation = text(joined("vendor_fix").as_deref());
        v.workarounds = text(joined("workaround").or_else(|| joined("mitigation")).as_deref());
        for score in entry["scores"].as_array().map(Vec::as_slice).unwrap_or_default() {
            for key in ["cvss_v3", "cvss_v2"] {
                if let Some(vector) = score[key]["vectorString"].as_str()
                    && !v.scores.iter().any(|s| s.vector == vector)
                {
                    v.scores.push(Score { source: source.clone(), vector: vector.to_owned() });
                }
            }
        }
        for reference in entry["references"].as_array().map(Vec::as_slice).unwrap_or_default() {
            if let Some(url) = reference["url"].as_str() {
                v.references.push(Link { url: url.to_owned(), kind: "advisory".into() });
            }
        }
        let ids = |key: &str| -> Vec<&str> {
            entry["product_status"][key]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter_map(Value::as_str)
                .collect()
        };
        for id in ids("fixed") {
            let version = match tree.iter().find(|p| p.id == id) {
                Some(p) => p.version.clone().unwrap_or_else(|| p.name.clone()),
                None => names.iter().find(|(pid, _)| pid == id).map_or(id.to_owned(), |(_, n)| n.clone()),
            };
            if !v.fixed_versions.contains(&version) {
                v.fixed_versions.push(version);
            }
        }
        // Known affected products, one entry per vendor and product of the product tree.
        for id in ids("known_affected") {
            let found = tree.iter().find(|p| p.id == id);
            let (vendor, product) = match found {
                Some(p) => (
                    p.vendor.clone().unwrap_or_else(|| source.clone()),
                    p.product.clone().unwrap_or_else(|| p.name.clone()),
                ),
                None => (source.clone(), source.clone()),
            };
            let index = match v
                .affected
                .iter()
                .position(|a| a.package.vendor == vendor && a.package.product == product)
            {
                Some(i) => i,
                None => {
                    v.affected.push(Affected {
                        source: source.clone(),
                        package: Package { vendor, product, ecosystem: None, purl: None },
                        ranges: Vec::new(),
                        versions: Vec::new(),
                    });
                    v.affected.len() - 1
                }
            };
            let affected = &mut v.affected[index];
            match found {
                Some(p) if p.range => match vers_range(p.version.as_deref().unwrap_or_default()) {
                    Some(ranges) => affected.ranges.extend(ranges),
                    None => affected.versions.push(p.version.clone().unwrap_or_else(|| p.name.clone())),
                },
                Some(p) => affected.versions.push(p.version.clone().unwrap_or_else(|| p.name.clone())),
                None => affected
                    .versions
                    .push(names.iter().find(|(pid, _)| pid == id).map_or(id.to_owned(), |(_, n)| n.clone())),
            }
        }
        out.push(v);
    }
    Ok(out)
}

/// What the schema does not check and the standard does: every date-time is a real one
/// (`2022-02-30` is not), and a CVSS base score matches its vector (6.1.9).
fn checks(document: &Value) -> Vec<Problem> {
    const TIMES: [&str; 5] =
        ["date", "release_date", "discovery_date", "initial_release_date", "current_release_date"];
    fn walk(value: &Value, path: &str, out: &mut Vec<Problem>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let here = format!("{path}.{key}");
                    if let (true, Some(text)) = (TIMES.contains(&key.as_str()), child.as_str())
                        && chrono::DateTime::parse_from_rfc3339(text).is_err()
                    {
                        out.push(Problem {
                            path: here.clone(),
                            message: format!("`{text}` is not a valid date-time"),
                        });
                    }
                    walk(child, &here, out);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(document, "$", &mut out);
    for (i, entry) in
        document["vulnerabilities"].as_array().map(Vec::as_slice).unwrap_or_default().iter().enumerate()
    {
        for (j, score) in entry["scores"].as_array().map(Vec::as_slice).unwrap_or_default().iter().enumerate()
        {
            for key in ["cvss_v3", "cvss_v2"] {
                let cvss = &score[key];
                let (Some(vector), Some(stated)) =
                    (cvss["vectorString"].as_str(), cvss["baseScore"].as_f64())
                else {
                    continue;
                };
                let path = format!("$.vulnerabilities[{i}].scores[{j}].{key}");
                match severity::score(vector) {
                    Ok(scored) if (scored.base_score - stated).abs() > 0.05 => out.push(Problem {
                        path: format!("{path}.baseScore"),
                        message: format!(
                            "{stated} does not match the vector `{vector}`, which scores {} (6.1.9)",
                            scored.base_score
                        ),
                    }),
                    Ok(_) => {}
                    Err(e) => {
                        out.push(Problem { path: format!("{path}.vectorString"), message: e.to_string() })
                    }
                }
            }
        }
    }
    out
}

/// Where a product sits in the product tree.
#[derive(Debug, Clone, Default)]
struct TreePath {
    vendor: Option<String>,
    product: Option<String>,
}

/// A product of the tree's branches: its vendor and product (the nearest `vendor` and
/// `product_name`, else `product_family`, above it) and its version (the leaf's name
/// where the leaf is a version, a range, a service pack or a patch level).
#[derive(Debug, Clone)]
struct TreeProduct {
    id: String,
    name: String,
    vendor: Option<String>,
    product: Option<String>,
    version: Option<String>,
    range: bool,
}

fn tree_products(branches: &Value, path: &TreePath, out: &mut Vec<TreeProduct>) {
    for branch in branches.as_array().map(Vec::as_slice).unwrap_or_default() {
        let name = branch["name"].as_str().unwrap_or_default().to_owned();
        let category = branch["category"].as_str().unwrap_or_default();
        let mut here = path.clone();
        match category {
            "vendor" => here.vendor = Some(name.clone()),
            "product_name" => here.product = Some(name.clone()),
            "product_family" if here.product.is_none() => here.product = Some(name.clone()),
            _ => {}
        }
        if let Some(id) = branch["product"]["product_id"].as_str() {
            let versioned = matches!(
                category,
                "product_version" | "product_version_range" | "service_pack" | "patch_level"
            );
            out.push(TreeProduct {
                id: id.to_owned(),
                name: branch["product"]["name"].as_str().unwrap_or(&name).to_owned(),
                vendor: here.vendor.clone(),
                product: here.product.clone(),
                version: versioned.then(|| name.clone()),
                range: category == "product_version_range",
            });
        }
        tree_products(&branch["branches"], &here, out);
    }
}

/// The ranges of a `vers:` text this writer produces (`vers:maven/>=2.4|<2.12.2`, `*`);
/// `None` for any other form.
fn vers_range(text: &str) -> Option<Vec<vulnrelay_domain::VersionRange>> {
    let (_, constraints) = text.strip_prefix("vers:")?.split_once('/')?;
    if constraints == "*" {
        return Some(vec![vulnrelay_domain::VersionRange { introduced: "0".into(), end: RangeEnd::Open }]);
    }
    let mut introduced = "0".to_owned();
    let mut end = RangeEnd::Open;
    for part in constraints.split('|') {
        if let Some(v) = part.strip_prefix(">=") {
            introduced = v.to_owned();
        } else if let Some(v) = part.strip_prefix("<=") {
            end = RangeEnd::LastAffected(v.to_owned());
        } else if let Some(v) = part.strip_prefix('<') {
            end = RangeEnd::Fixed(v.to_owned());
        } else {
            return None;
        }
    }
    Some(vec![vulnrelay_domain::VersionRange { introduced, end }])
}

/// Every (product id, name) of a product tree: full product names at every depth and
/// in relationships.
fn product_names(tree: &Value) -> Vec<(String, String)> {
    fn walk(value: &Value, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(map) => {
                if let (Some(Value::String(id)), Some(Value::String(name))) =
                    (map.get("product_id"), map.get("name"))
                {
                    out.push((id.clone(), name.clone()));
                }
                for child in map.values() {
                    walk(child, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(tree, &mut out);
    out
}
