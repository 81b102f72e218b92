//! OSV (Open Source Vulnerability) documents, as the OSV schema defines them
//! (`reference/schemas/osv/schema.json`). Only the fields vulnrelay reads or writes are typed;
//! the rest is kept in `database_specific`-style `serde_json::Value`s where the schema allows it.

use serde::{Deserialize, Serialize};

use crate::maven_version::{Event, MavenVersion, events_affect};

/// One OSV vulnerability record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vulnerability {
    /// Schema version, e.g. `1.6.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    /// Identifier, e.g. `GHSA-jfh8-c2jp-5v3q` or `CVE-2021-44228`.
    pub id: String,
    /// RFC 3339 time of the last change.
    pub modified: String,
    /// RFC 3339 time of publication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// RFC 3339 time of withdrawal; a withdrawn record matches nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    /// Other identifiers of the same vulnerability (e.g. the CVE id).
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_empty")]
    pub aliases: Vec<String>,
    /// One-line summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Longer description (CommonMark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Severity scores.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<Severity>,
    /// Affected packages and their version ranges.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_empty")]
    pub affected: Vec<Affected>,
    /// Links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// The database's own fields (vulnrelay writes `cwe_ids`, `scores`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
}

impl Vulnerability {
    /// The CWE ids the record names in `database_specific.cwe_ids` (as vulnrelay and
    /// GitHub's advisory database write them).
    pub fn cwe_ids(&self) -> Vec<String> {
        let ids = self.database_specific.as_ref().and_then(|d| d["cwe_ids"].as_array());
        ids.into_iter().flatten().filter_map(|id| id.as_str().map(str::to_owned)).collect()
    }
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A severity score (`CVSS_V3` vector, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Severity {
    /// Score type, e.g. `CVSS_V3`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The vector or score.
    pub score: String,
}

/// A reference link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// Reference type, e.g. `ADVISORY`, `WEB`, `FIX`.
    #[serde(rename = "type")]
    pub kind: String,
    /// URL.
    pub url: String,
}

/// One affected package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// The package.
    pub package: Package,
    /// Version ranges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    /// Explicitly enumerated affected versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// Ecosystem-specific data, kept as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<serde_json::Value>,
    /// Database-specific data, kept as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
}

/// A package coordinate. For `Maven`, `name` is `groupId:artifactId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Ecosystem, e.g. `Maven` (may carry a `:suffix`).
    pub ecosystem: String,
    /// Package name.
    pub name: String,
    /// Package URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// Kind of an OSV range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RangeType {
    /// Commit hashes.
    Git,
    /// Semantic versions.
    Semver,
    /// The ecosystem's own version order (Maven's for `Maven`).
    Ecosystem,
}

/// A version range as a list of events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Range {
    /// Kind of range.
    #[serde(rename = "type")]
    pub kind: RangeType,
    /// Repository, for `GIT` ranges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Events.
    pub events: Vec<RangeEvent>,
}

/// One range event; exactly one field is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RangeEvent {
    /// First affected version (`"0"`: from the beginning).
    Introduced(String),
    /// First fixed version.
    Fixed(String),
    /// Last affected version.
    LastAffected(String),
    /// Upper limit.
    Limit(String),
}

impl From<&RangeEvent> for Event {
    fn from(e: &RangeEvent) -> Event {
        match e {
            RangeEvent::Introduced(s) => Event::Introduced(s.clone()),
            RangeEvent::Fixed(s) => Event::Fixed(s.clone()),
            RangeEvent::LastAffected(s) => Event::LastAffected(s.clone()),
            RangeEvent::Limit(s) => Event::Limit(s.clone()),
        }
    }
}

impl Affected {
    /// The Maven package (`group`, `artifact`) this entry names; `None` outside the Maven
    /// ecosystem (a repository-qualified `Maven:<url>` counts as Maven).
    pub fn maven_package(&self) -> Option<(&str, &str)> {
        let eco = self.package.ecosystem.split(':').next().unwrap_or_default();
        self.package.name.split_once(':').filter(|_| eco == "Maven")
    }

    /// Whether this entry names the Maven package `group:artifact`.
    pub fn is_maven_package(&self, group: &str, artifact: &str) -> bool {
        self.maven_package() == Some((group, artifact))
    }

    /// Whether Maven version `v` is affected by this entry (enumerated versions or
    /// `ECOSYSTEM` ranges; `SEMVER`/`GIT` ranges do not apply to Maven).
    pub fn affects_maven(&self, v: &MavenVersion) -> bool {
        self.versions.iter().any(|x| MavenVersion::parse(x) == *v)
            || self.ranges.iter().filter(|r| r.kind == RangeType::Ecosystem).any(|r| {
                let events: Vec<Event> = r.events.iter().map(Event::from).collect();
                events_affect(&events, v)
            })
    }

    /// The `fixed` versions named in this entry's ranges.
    pub fn fixed_versions(&self) -> Vec<String> {
        self.ranges
            .iter()
            .flat_map(|r| r.events.iter())
            .filter_map(|e| match e {
                RangeEvent::Fixed(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }
}

impl Vulnerability {
    /// The CVE id of the record: its id if that is a CVE, else the first CVE alias, else the id.
    pub fn cve_or_id(&self) -> &str {
        if self.id.starts_with("CVE-") {
            return &self.id;
        }
        self.aliases.iter().find(|a| a.starts_with("CVE-")).unwrap_or(&self.id)
    }
}

/// Parses one OSV document, or a JSON array of them.
pub fn parse_documents(json: &str) -> Result<Vec<Vulnerability>, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(json)?;
    match value {
        serde_json::Value::Array(_) => serde_json::from_value(value),
        other => Ok(vec![serde_json::from_value(other)?]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{
      "schema_version": "1.6.0",
      "id": "GHSA-jfh8-c2jp-5v3q",
      "modified": "2024-01-01T00:00:00Z",
      "aliases": ["CVE-2021-44228"],
      "affected": [{
        "package": {"ecosystem": "Maven", "name": "org.apache.logging.log4j:log4j-core"},
        "ranges": [{"type": "ECOSYSTEM", "events": [
          {"introduced": "2.0-beta9"}, {"fixed": "2.3.1"},
          {"introduced": "2.4"}, {"fixed": "2.12.2"},
          {"introduced": "2.13.0"}, {"fixed": "2.15.0"}]}]
      }],
      "unknown_field": 1
    }"#;

    #[test]
    fn parses_and_matches() {
        let docs = parse_documents(DOC).unwrap();
        assert_eq!(docs.len(), 1);
        let d = &docs[0];
        assert_eq!(d.cve_or_id(), "CVE-2021-44228");
        let a = &d.affected[0];
        assert!(a.is_maven_package("org.apache.logging.log4j", "log4j-core"));
        assert!(!a.is_maven_package("org.apache.logging.log4j", "log4j-api"));
        assert!(a.affects_maven(&MavenVersion::parse("2.14.1")));
        assert!(!a.affects_maven(&MavenVersion::parse("2.12.2")));
        assert_eq!(a.fixed_versions(), ["2.3.1", "2.12.2", "2.15.0"]);
    }

    #[test]
    fn round_trip_validates_against_official_schema() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/osv/schema.json");
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let docs = parse_documents(DOC).unwrap();
        let out = serde_json::to_value(&docs[0]).unwrap();
        let errors: Vec<String> = validator.iter_errors(&out).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        assert!(out.get("unknown_field").is_none());
        let bad = serde_json::json!({"id": "X", "modified": "not a time", "affected": [{"package": {}}]});
        assert!(!validator.is_valid(&bad));
    }
}
