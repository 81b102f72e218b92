//! CSAF 2.0 documents (schema `schemas/csaf/csaf_json_schema.json`): security
//! advisories (`csaf_security_advisory`) and VEX (`csaf_vex`) written from vulnerability
//! records, and advisories read back into records.
//!
//! The product tree has one branch per vendor and product, with a
//! `product_version_range` (in `vers:` notation) for each affected range of the primary
//! source and a `product_version` for each fixed version. The revision history is
//! given by the caller, so every update of a published case appends to it.

use chrono::SecondsFormat;
use serde_json::{Map, Value, json};
use vulnrelay_domain::{
    Affected, Ecosystem, IdScheme, Link, Localized, Package, RangeEnd, Score, ThreatKind, Timestamp,
    VendorStatement, VendorStatus, Vulnerability,
};

use crate::case_file::Problem;
use crate::schemas::{Schema, validate};
use crate::severity::{self, CvssVersion};

/// Who publishes the document.
#[derive(Debug, Clone)]
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
    tree: Vec<Value>,
    affected: Vec<String>,
    fixed: Vec<String>,
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
        for range in &affected.ranges {
            let id = next_id();
            let name = vers(package, range);
            versions.push(json!({"category": "product_version_range", "name": name,
                "product": product_name(package, &name, &id)}));
            out.affected.push(id);
        }
        for version in &affected.versions {
            let id = next_id();
            versions.push(json!({"category": "product_version", "name": version,
                "product": product_name(package, version, &id)}));
            out.affected.push(id);
        }
        for version in &vulnerability.fixed_versions {
            let id = next_id();
            versions.push(json!({"category": "product_version", "name": version,
                "product": product_name(package, version, &id)}));
            out.fixed.push(id);
        }
        let product_branch =
            json!({"category": "product_name", "name": package.product, "branches": versions});
        match out.tree.iter_mut().find(|v| v["name"] == package.vendor.as_str()) {
            Some(vendor) => vendor["branches"].as_array_mut().expect("vendor branches").push(product_branch),
            None => out
                .tree
                .push(json!({"category": "vendor", "name": package.vendor, "branches": [product_branch]})),
        }
    }
    out
}

fn product_name(package: &Package, version: &str, id: &str) -> Value {
    let mut product = json!({"name": format!("{} {version}", package.product), "product_id": id});
    if let Some(purl) = &package.purl
        && !version.starts_with("vers:")
    {
        product["product_identification_helper"] = json!({"purl": format!("{purl}@{version}")});
    }
    product
}

fn document(
    category: &str,
    title: &str,
    publisher: &Publisher,
    tracking: &Tracking,
    lang: Lang,
) -> Result<Value, ExportError> {
    let first = tracking.revisions.first().ok_or(ExportError::NoRevision)?;
    let last = tracking.revisions.last().ok_or(ExportError::NoRevision)?;
    let history: Vec<Value> = tracking
        .revisions
        .iter()
        .map(|r| json!({"number": r.number.to_string(), "date": time(r.date), "summary": r.summary}))
        .collect();
    Ok(json!({
        "category": category,
        "csaf_version": "2.0",
        "lang": lang.tag(),
        "title": title,
        "publisher": {"category": publisher.category, "name": publisher.name, "namespace": publisher.namespace},
        "distribution": {"tlp": {"label": "WHITE"}},
        "tracking": {
            "id": tracking.id,
            "status": tracking.status,
            "version": last.number.to_string(),
            "initial_release_date": time(first.date),
            "current_release_date": time(last.date),
            "revision_history": history,
            "generator": {"engine": {"name": "vulnrelay", "version": env!("CARGO_PKG_VERSION")}},
        },
    }))
}

fn vulnerability_entry(v: &Vulnerability, products: &Products, lang: Lang, publisher: &str) -> Value {
    let mut entry = Map::new();
    if let Some(cve) = v.id_of(IdScheme::Cve) {
        entry.insert("cve".into(), json!(cve));
    }
    let ids: Vec<Value> = v
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
            json!({"system_name": system, "text": id})
        })
        .collect();
    if !ids.is_empty() {
        entry.insert("ids".into(), Value::Array(ids));
    }
    if let Some(title) = lang.pick(&v.title) {
        entry.insert("title".into(), json!(title));
    }
    if let Some((cwe, name)) = v.cwes.first().and_then(|cwe| Some((cwe, cwe_name(cwe)?))) {
        entry.insert("cwe".into(), json!({"id": cwe, "name": name}));
    }
    if let Some(description) = lang.pick(&v.description) {
        entry.insert(
            "notes".into(),
            json!([{"category": "description", "title": "Description", "text": description}]),
        );
    }
    if let Some(published) = v.published {
        entry.insert("release_date".into(), json!(time(published)));
    }
    let mut status = Map::new();
    if !products.affected.is_empty() {
        status.insert("known_affected".into(), json!(products.affected));
    }
    if !products.fixed.is_empty() {
        status.insert("fixed".into(), json!(products.fixed));
    }
    if !status.is_empty() {
        entry.insert("product_status".into(), Value::Object(status));
    }
    let mut remediations = Vec::new();
    if let Some(details) = lang.pick(&v.remediation) {
        remediations
            .push(json!({"category": "vendor_fix", "details": details, "product_ids": products.affected}));
    }
    if let Some(details) = lang.pick(&v.workarounds) {
        remediations
            .push(json!({"category": "workaround", "details": details, "product_ids": products.affected}));
    }
    if remediations.is_empty() {
        // Every known_affected product needs an action statement (6.1.27.10).
        let details = match lang {
            Lang::En => "No remediation is recorded yet.",
            Lang::Zh => "尚无修复措施记录。",
        };
        remediations.push(
            json!({"category": "none_available", "details": details, "product_ids": products.affected}),
        );
    }
    if !products.affected.is_empty() {
        entry.insert("remediations".into(), Value::Array(remediations));
    }
    // One CVSS v3 score per document: the first source's (CSAF scores carry no source).
    let score = v.scores.iter().find_map(|s| {
        severity::score(&s.vector).ok().filter(|x| matches!(x.version, CvssVersion::V3_0 | CvssVersion::V3_1))
    });
    if let (Some(score), false) = (score, products.affected.is_empty()) {
        entry.insert(
            "scores".into(),
            json!([{"products": products.affected, "cvss_v3": {
                "version": score.version.as_str(),
                "vectorString": score.vector,
                "baseScore": score.base_score,
                "baseSeverity": score.rating.as_str(),
            }}]),
        );
    }
    if !v.threats.is_empty() {
        let threats: Vec<Value> = v
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
                    (ThreatKind::FixBypassed { version }, Lang::En) => format!("The fix in {version} was bypassed"),
                    (ThreatKind::FixBypassed { version }, Lang::Zh) => format!("{version} 中的修复已被绕过"),
                };
                json!({"category": "exploit_status", "date": time(t.at), "details": format!("{what} ({})", t.source)})
            })
            .collect();
        entry.insert("threats".into(), Value::Array(threats));
    }
    if !v.references.is_empty() {
        let refs: Vec<Value> = v
            .references
            .iter()
            .map(|r| json!({"category": "external", "summary": r.kind, "url": r.url}))
            .collect();
        entry.insert("references".into(), Value::Array(refs));
    }
    Value::Object(entry)
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
    let mut doc = document("csaf_security_advisory", title, publisher, tracking, lang)?;
    let mut branches: Vec<Value> = Vec::new();
    let mut entries = Vec::new();
    for (i, v) in vulnerabilities.iter().enumerate() {
        let products = products(v, &format!("VR{}", i + 1));
        if products.affected.is_empty() && products.fixed.is_empty() {
            return Err(ExportError::NoProductStatus(v.id.clone()));
        }
        merge_branches(&mut branches, &products.tree);
        entries.push(vulnerability_entry(v, &products, lang, &publisher.name));
    }
    if branches.is_empty() {
        return Err(ExportError::NoProducts);
    }
    let summary = vulnerabilities.iter().filter_map(|v| lang.pick(&v.title)).collect::<Vec<_>>().join("; ");
    doc["notes"] = json!([{"category": "summary", "title": "Summary", "text": if summary.is_empty() { title.to_owned() } else { summary }}]);
    let mut urls: Vec<&str> = vulnerabilities
        .iter()
        .flat_map(|v| v.references.iter().filter(|r| r.kind == "advisory").take(1))
        .map(|r| r.url.as_str())
        .collect();
    urls.dedup();
    let references: Vec<Value> =
        urls.iter().map(|url| json!({"category": "external", "summary": "Advisory", "url": url})).collect();
    if !references.is_empty() {
        doc["references"] = Value::Array(references);
    }
    Ok(json!({"document": doc, "product_tree": {"branches": branches}, "vulnerabilities": entries}))
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
        push_to(entry, &["product_status", status_key], json!(id));
        match statement.status {
            VendorStatus::Affected => {
                let details = statement.statement.clone().unwrap_or_else(|| match lang {
                    Lang::En => "The vendor has not announced a fix.".to_owned(),
                    Lang::Zh => "厂商尚未公布修复措施。".to_owned(),
                });
                push_to(
                    entry,
                    &["remediations"],
                    json!({"category": "none_available", "details": details, "product_ids": [id]}),
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
                    json!({"category": "vendor_fix", "details": details, "product_ids": [id]}),
                );
            }
            VendorStatus::NotAffected => {
                if let Some(label) = statement.justification {
                    push_to(entry, &["flags"], json!({"label": label.as_str(), "product_ids": [id]}));
                }
            }
            VendorStatus::UnderInvestigation => {}
        }
        if let Some(text) = statement.statement.as_deref().filter(|t| !t.trim().is_empty()) {
            let details = match lang {
                Lang::En => format!("Statement of {} on {}: {text}", statement.vendor, statement.product),
                Lang::Zh => format!("{}关于{}的声明：{text}", statement.vendor, statement.product),
            };
            push_to(
                entry,
                &["threats"],
                json!({"category": "impact", "details": details, "product_ids": [id]}),
            );
        } else if statement.status == VendorStatus::NotAffected {
            // CSAF 6.1.27.9 asks every known_not_affected product for an impact statement.
            let details = match lang {
                Lang::En => {
                    format!("{} states that {} is not affected.", statement.vendor, statement.product)
                }
                Lang::Zh => format!("{}声明{}不受影响。", statement.vendor, statement.product),
            };
            push_to(
                entry,
                &["threats"],
                json!({"category": "impact", "details": details, "product_ids": [id]}),
            );
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
    let branch = json!({"category": "product_name", "name": product,
        "product": {"name": format!("{vendor} {product}"), "product_id": id}});
    let Some(branches) = document["product_tree"]["branches"].as_array_mut() else { return };
    match branches.iter_mut().find(|b| b["category"] == "vendor" && b["name"] == vendor) {
        Some(existing) => {
            if let Some(list) = existing["branches"].as_array_mut() {
                list.push(branch);
            }
        }
        None => branches.push(json!({"category": "vendor", "name": vendor, "branches": [branch]})),
    }
}

/// Appends `item` to the array at `path` under `value`, making the objects and the
/// array on the way.
fn push_to(value: &mut Value, path: &[&str], item: Value) {
    let mut at = value;
    for (i, key) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        at = match at.as_object_mut() {
            Some(object) => object.entry(*key).or_insert_with(|| if last { json!([]) } else { json!({}) }),
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
    let mut doc = document("csaf_vex", title, publisher, tracking, lang)?;
    let description = lang.pick(&vulnerability.description).unwrap_or_else(|| title.to_owned());
    doc["notes"] = json!([{"category": "summary", "title": "Summary", "text": description}]);
    let mut full = Vec::new();
    let mut status: Map<String, Value> = Map::new();
    let mut flags: Vec<Value> = Vec::new();
    for (i, (name, product_status)) in statuses.iter().enumerate() {
        let id = format!("VEX-{:04}", i + 1);
        full.push(json!({"name": name, "product_id": id}));
        let key = match product_status {
            VexStatus::KnownAffected => "known_affected",
            VexStatus::KnownNotAffected(label) => {
                flags.push(json!({"label": label, "product_ids": [id.clone()]}));
                "known_not_affected"
            }
            VexStatus::Fixed => "fixed",
            VexStatus::UnderInvestigation => "under_investigation",
        };
        status.entry(key).or_insert_with(|| json!([])).as_array_mut().expect("array").push(json!(id));
    }
    if status.is_empty() {
        return Err(ExportError::NoProductStatus(vulnerability.id.clone()));
    }
    // The known_affected products get the record's remediations (or `none_available`)
    // and its score.
    let affected: Vec<String> = status
        .get("known_affected")
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(|id| id.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let products = Products { tree: Vec::new(), affected, fixed: Vec::new() };
    let mut entry = vulnerability_entry(vulnerability, &products, lang, &publisher.name);
    entry["product_status"] = Value::Object(status);
    if !flags.is_empty() {
        entry["flags"] = Value::Array(flags);
    }
    Ok(json!({"document": doc, "product_tree": {"full_product_names": full}, "vulnerabilities": [entry]}))
}

/// Gives a CSAF document its canonical URL: a `self` reference in
/// `/document/references` (CSAF 2.0 6.2.11), replacing any earlier one.
pub fn set_self_reference(document: &mut Value, url: &str) {
    let references = document["document"]
        .as_object_mut()
        .expect("a CSAF document")
        .entry("references")
        .or_insert_with(|| json!([]));
    if let Some(list) = references.as_array_mut() {
        list.retain(|r| r["category"] != "self");
        list.insert(0, json!({"category": "self", "summary": "Canonical URL", "url": url}));
    }
}

fn merge_branches(into: &mut Vec<Value>, new: &[Value]) {
    for vendor in new {
        match into.iter_mut().find(|v| v["name"] == vendor["name"]) {
            Some(existing) => {
                let more = vendor["branches"].as_array().cloned().unwrap_or_default();
                existing["branches"].as_array_mut().expect("vendor branches").extend(more);
            }
            None => into.push(vendor.clone()),
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
