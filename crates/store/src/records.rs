//! Vulnerability records and their identifiers: records are kept as vulnrelay record
//! JSON (`vulnrelay/vulnerability/v1`), found by any of their identifiers; identifiers
//! of the platforms' schemes are numbered by counters that never hand out a number
//! twice, however many requests race; CVE ids come from a pool an administrator loads
//! (as a CNA reserves them from CVE Services) and go to one vulnerability each, once.

use async_trait::async_trait;
use serde_json::Value;
use vulnrelay_domain::{IdTemplate, Timestamp};

use crate::Result;

/// A stored vulnerability record.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVulnerability {
    /// The primary id.
    pub id: String,
    /// The case it belongs to, if any.
    pub case_id: Option<String>,
    /// The record, as vulnrelay record JSON.
    pub record: Value,
    /// When it was first stored.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// One change of a record: the CSAF revision history follows these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRevision {
    /// 1 for the first version, then one more per change.
    pub number: i64,
    /// When the change was saved.
    pub at: Timestamp,
    /// What changed, in words.
    pub summary: String,
}

/// What changed between two versions of a record, in words; `None` when nothing did.
/// Added identifiers and threat events are named; other changes name their fields.
pub fn revision_summary(old: Option<&Value>, new: &Value) -> Option<String> {
    let Some(old) = old else { return Some("Initial version".to_owned()) };
    if old == new {
        return None;
    }
    let empty = serde_json::Map::new();
    let (old_map, new_map) = (old.as_object().unwrap_or(&empty), new.as_object().unwrap_or(&empty));
    let mut keys: Vec<&String> = old_map.keys().chain(new_map.keys()).collect();
    keys.sort();
    keys.dedup();
    let list = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    let mut parts = Vec::new();
    let mut others = Vec::new();
    for key in keys {
        let (before, after) = (old_map.get(key.as_str()), new_map.get(key.as_str()));
        if before == after {
            continue;
        }
        let added: Vec<Value> = list(after).into_iter().filter(|v| !list(before).contains(v)).collect();
        let removed = list(before).iter().any(|v| !list(after).contains(v));
        match key.as_str() {
            "aliases" if !added.is_empty() && !removed => parts.push(format!(
                "Added identifiers {}",
                added.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
            )),
            "threats" if !added.is_empty() && !removed => parts.push(format!(
                "Added threat events: {}",
                added
                    .iter()
                    .map(|t| format!(
                        "{} ({})",
                        t["kind"].as_str().unwrap_or("?"),
                        t["source"].as_str().unwrap_or("?")
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => others.push(key.as_str()),
        }
    }
    if !others.is_empty() {
        parts.push(format!("Updated {}", others.join(", ")));
    }
    Some(parts.join("; "))
}

/// Storage of vulnerability records and identifiers.
#[async_trait]
pub trait Records: Send + Sync {
    /// The next identifier of `template` for the period of `at` (a year or a month,
    /// as the template says), e.g. `CNVD-2021-00001`. Unique under any concurrency.
    async fn assign_id(&self, template: &IdTemplate, at: Timestamp) -> Result<String>;

    /// Adds CVE ids to the pool; ids already there are left as they are. Returns how
    /// many were new.
    async fn load_cve_pool(&self, ids: &[String], at: Timestamp) -> Result<usize>;

    /// The CVE id of `vulnerability_id`: the one it already has, or the lowest free one
    /// of the pool, assigned to it for good. Fails with `NotFound` when the pool is
    /// empty.
    async fn take_cve_id(&self, vulnerability_id: &str, at: Timestamp) -> Result<String>;

    /// How many pool ids are still free.
    async fn free_cve_ids(&self) -> Result<u64>;

    /// Stores a record (new, or replacing the one with the same id), with every
    /// identifier in `aliases` pointing at it, and a revision when the record changed
    /// ([`revision_summary`]). An alias that already names another record is a
    /// `Conflict`.
    async fn save_vulnerability(
        &self,
        id: &str,
        case_id: Option<&str>,
        record: &Value,
        aliases: &[String],
        at: Timestamp,
    ) -> Result<()>;

    /// The record with this id or alias.
    async fn vulnerability(&self, id_or_alias: &str) -> Result<StoredVulnerability>;

    /// Every record, by id; those of one case when `case_id` is given.
    async fn vulnerabilities(&self, case_id: Option<&str>) -> Result<Vec<StoredVulnerability>>;

    /// The records an index of matching holds entries under one of these package keys
    /// for ([`crate::match_keys`]), by id: every record a component of those packages
    /// may match, read through the index of records by package.
    async fn vulnerabilities_for_packages(&self, keys: &[String]) -> Result<Vec<StoredVulnerability>>;

    /// A record's revisions, oldest first.
    async fn vulnerability_revisions(&self, id: &str) -> Result<Vec<RecordRevision>>;

    /// An opaque value that changes whenever anything public distribution is built from
    /// changes: records and their revisions, cases, their events (which decide
    /// publication), parties, products and embargoes. What is derived from those alone
    /// stays current while it stays the same.
    async fn publication_version(&self) -> Result<String>;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::revision_summary;

    #[test]
    fn summaries_name_what_changed() {
        let v1 = json!({"id": "CVE-2021-44228", "aliases": ["CNVD-2021-95914"], "threats": [], "title": {"en": "a"}});
        assert_eq!(revision_summary(None, &v1).as_deref(), Some("Initial version"));
        assert_eq!(revision_summary(Some(&v1), &v1), None);
        let mut v2 = v1.clone();
        v2["aliases"] = json!(["CNVD-2021-95914", "CNNVD-202112-799"]);
        v2["threats"] = json!([{"kind": "actively_exploited", "source": "CNVD"}]);
        v2["title"] = json!({"en": "b"});
        assert_eq!(
            revision_summary(Some(&v1), &v2).as_deref(),
            Some(
                "Added identifiers CNNVD-202112-799; Added threat events: actively_exploited (CNVD); Updated title"
            )
        );
    }
}
