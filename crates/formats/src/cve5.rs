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
use serde_json::{Map, Value, json};
use vulnrelay_domain::{
    Affected, Ecosystem, IdScheme, Link, Localized, Package, RangeEnd, Score, ThreatEvent, ThreatKind,
    Timestamp, VendorStatement, VendorStatus, VersionRange, Vulnerability,
};

use crate::case_file::Problem;
use crate::maven_version::MavenVersion;
use crate::schemas::{Schema, validate};
use crate::severity::{self, CvssVersion};

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
    let mut statements: Vec<Value> = Vec::new();
    for v in &mine {
        let mut entry = json!({"vendor": v.vendor, "product": v.product});
        let fixed = v.fixed_version.as_deref().map(str::trim).filter(|f| !f.is_empty());
        let default_status = match (v.status, fixed) {
            (VendorStatus::Affected, _) => "affected",
            (VendorStatus::NotAffected, _) => "unaffected",
            (VendorStatus::Fixed, Some(fixed)) => {
                entry["versions"] = json!([{"version": "0", "lessThan": fixed, "status": "affected", "versionType": "custom"}]);
                "unaffected"
            }
            // Fixed in a version it did not name, or not known yet.
            (VendorStatus::Fixed, None) | (VendorStatus::UnderInvestigation, _) => "unknown",
        };
        entry["defaultStatus"] = json!(default_status);
        // `affected` is a set: one vendor product said once.
        if !entries.contains(&entry) {
            entries.push(entry);
        }
        let mut statement = json!({
            "vendor": v.vendor,
            "product": v.product,
            "status": v.status.as_str(),
            "at": time(v.at),
        });
        for (key, value) in [
            ("justification", v.justification.map(|j| j.as_str().to_owned())),
            ("fixedVersion", v.fixed_version.clone()),
            ("statement", v.statement.clone()),
        ] {
            if let Some(value) = value {
                statement[key] = json!(value);
            }
        }
        statements.push(statement);
    }
    let affected = container.entry("affected").or_insert_with(|| Value::Array(Vec::new()));
    if let Some(list) = affected.as_array_mut() {
        for entry in entries {
            if !list.contains(&entry) {
                list.push(entry);
            }
        }
    }
    container.insert(VENDORS_FIELD.into(), Value::Array(statements));
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

fn texts(text: &Localized) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(en) = text.en.as_deref().filter(|t| !t.is_empty()) {
        out.push(json!({"lang": "en", "value": en}));
    }
    if let Some(zh) = text.zh.as_deref().filter(|t| !t.is_empty()) {
        out.push(json!({"lang": "zh", "value": zh}));
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
    let mut container = Map::new();
    container.insert(
        "providerMetadata".into(),
        json!({"orgId": cna.org_id, "shortName": cna.short_name, "dateUpdated": time(updated)}),
    );
    if let Some(title) = vulnerability.title.any() {
        container.insert("title".into(), json!(title));
    }
    container.insert("descriptions".into(), Value::Array(descriptions));
    container.insert("affected".into(), Value::Array(primary.iter().map(|a| affected(a)).collect()));
    // What only an ADP container says stays in it.
    let cwes: Vec<&String> = vulnerability
        .cwes
        .iter()
        .filter(|cwe| !adp_cwes.contains(cwe) || kept.cna_cwes.contains(cwe))
        .collect();
    if !cwes.is_empty() {
        let types: Vec<Value> = cwes
            .iter()
            .map(|cwe| {
                // The CWE's name as CNAs write it (`CWE-502 Deserialization of Untrusted
                // Data`) where it is known; else the id alone.
                let description = match crate::csaf::cwe_name(cwe) {
                    Some(name) => format!("{cwe} {name}"),
                    None => (*cwe).clone(),
                };
                json!({"descriptions": [{"lang": "en", "cweId": cwe, "description": description, "type": "CWE"}]})
            })
            .collect();
        container.insert("problemTypes".into(), Value::Array(types));
    }
    let kept_url = |r: &Value| r["url"].as_str().map(str::to_owned);
    let cna_urls: Vec<String> = kept.references.iter().filter_map(kept_url).collect();
    let references: Vec<Value> = vulnerability
        .references
        .iter()
        .filter(|link| cna_urls.contains(&link.url) || !adp_urls.contains(&link.url))
        .map(|link| match kept.references.iter().find(|r| r["url"] == link.url.as_str()) {
            Some(as_written) => as_written.clone(),
            None => reference(link),
        })
        .collect();
    container.insert("references".into(), Value::Array(references));
    let metrics: Vec<Value> = vulnerability
        .scores
        .iter()
        .filter(|s| !adp_sources.contains(&s.source))
        .filter_map(|s| metric(s, &cna.short_name))
        .collect();
    let mut threats: Vec<Value> = Vec::new();
    for threat in vulnerability.threats.iter().filter(|t| !adp_threats.contains(t)) {
        let mut content =
            json!({"kind": threat.kind.as_str(), "at": time(threat.at), "source": threat.source});
        if let ThreatKind::FixBypassed { version } = &threat.kind {
            content["version"] = json!(version);
        }
        if let Some(reference) = &threat.reference {
            content["reference"] = json!(reference);
        }
        if let Some(note) = &threat.note {
            content["note"] = json!(note);
        }
        threats.push(content);
    }
    if !metrics.is_empty() {
        container.insert("metrics".into(), Value::Array(metrics));
    }
    if !threats.is_empty() {
        // Threat events are not scores: they travel in a custom field of their own.
        container.insert(THREATS_FIELD.into(), Value::Array(threats));
    }
    for (key, text) in
        [("solutions", &vulnerability.remediation), ("workarounds", &vulnerability.workarounds)]
    {
        let entries = texts(text);
        if !entries.is_empty() {
            container.insert(key.into(), Value::Array(entries));
        }
    }
    if !vulnerability.credits.is_empty() {
        let credits: Vec<Value> =
            vulnerability.credits.iter().map(|c| json!({"lang": "en", "value": c})).collect();
        container.insert("credits".into(), Value::Array(credits));
    }
    for (key, value) in &kept.cna {
        container.entry(key.clone()).or_insert_with(|| value.clone());
    }
    let mut metadata = json!({
        "cveId": cve_id,
        "assignerOrgId": cna.org_id,
        "assignerShortName": cna.short_name,
        "state": "PUBLISHED",
        "dateUpdated": time(updated),
    });
    if let Some(reserved) = &kept.date_reserved {
        metadata["dateReserved"] = json!(reserved);
    }
    if let Some(published) = vulnerability.published {
        metadata["datePublished"] = json!(time(published));
    }
    let mut containers = json!({"cna": Value::Object(container)});
    if !kept.adp.is_empty() {
        containers["adp"] = Value::Array(kept.adp.clone());
    }
    Ok(json!({
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": metadata,
        "containers": containers,
    }))
}

fn affected(a: &Affected) -> Value {
    let mut entry = Map::new();
    entry.insert("vendor".into(), json!(a.package.vendor));
    entry.insert("product".into(), json!(a.package.product));
    let version_type = match &a.package.ecosystem {
        Some((Ecosystem::Maven, name)) => {
            entry.insert("collectionURL".into(), json!("https://repo.maven.apache.org/maven2"));
            entry.insert("packageName".into(), json!(name));
            "maven"
        }
        Some((Ecosystem::Npm, name)) => {
            entry.insert("collectionURL".into(), json!("https://www.npmjs.com"));
            entry.insert("packageName".into(), json!(name));
            "semver"
        }
        Some((Ecosystem::PyPi, name)) => {
            entry.insert("collectionURL".into(), json!("https://pypi.org"));
            entry.insert("packageName".into(), json!(name));
            "python"
        }
        Some((Ecosystem::Cargo, name)) => {
            entry.insert("collectionURL".into(), json!("https://crates.io"));
            entry.insert("packageName".into(), json!(name));
            "semver"
        }
        _ => "custom",
    };
    let mut versions: Vec<Value> = a
        .ranges
        .iter()
        .map(|range| {
            let mut v =
                json!({"version": range.introduced, "status": "affected", "versionType": version_type});
            match &range.end {
                RangeEnd::Fixed(fixed) => v["lessThan"] = json!(fixed),
                RangeEnd::LastAffected(last) => v["lessThanOrEqual"] = json!(last),
                RangeEnd::Open => v["lessThan"] = json!("*"),
            }
            v
        })
        .collect();
    versions.extend(a.versions.iter().map(|v| json!({"version": v, "status": "affected"})));
    entry.insert("versions".into(), Value::Array(versions));
    // No `defaultStatus`: the record says which versions are affected, not that every
    // other version is unaffected.
    Value::Object(entry)
}

fn reference(link: &Link) -> Value {
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
    match tag {
        Some(tag) => json!({"url": link.url, "tags": [tag]}),
        None => json!({"url": link.url}),
    }
}

fn metric(score: &Score, cna: &str) -> Option<Value> {
    let scored = severity::score(&score.vector).ok()?;
    if score.source != cna {
        return Some(json!({"other": {"type": SOURCE_SCORE_TYPE, "content": {
            "source": score.source,
            "vectorString": scored.vector,
            "baseScore": scored.base_score,
        }}}));
    }
    let (key, body) = match scored.version {
        CvssVersion::V2 => (
            "cvssV2_0",
            json!({"version": "2.0", "vectorString": scored.vector, "baseScore": scored.base_score}),
        ),
        version => {
            let key = match version {
                CvssVersion::V3_0 => "cvssV3_0",
                CvssVersion::V3_1 => "cvssV3_1",
                _ => "cvssV4_0",
            };
            (
                key,
                json!({
                    "version": version.as_str(),
                    "vectorString": scored.vector,
                    "baseScore": scored.base_score,
                    "baseSeverity": scored.rating.as_str(),
                }),
            )
        }
    };
    let mut entry = Map::new();
    entry.insert(key.into(), body);
    Some(Value::Object(entry))
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
