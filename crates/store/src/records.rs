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

/// What an advisory is made of ([`Records::advisory_parts`]): every record of the named
/// record's case (itself among them) or itself alone, and its case's snapshot.
#[derive(Debug)]
pub struct AdvisoryParts {
    /// The records of the lead's case by id, the lead among them; the lead alone when it
    /// is of no case.
    pub records: Vec<StoredVulnerability>,
    /// Where in `records` the record named by the id or alias asked for (the lead) is.
    pub lead: usize,
    /// The lead's case as [`Store::case_snapshot`](crate::Store::case_snapshot) reads
    /// it, or what kept it from being read; none for a record of no case.
    pub case: Option<Result<crate::projections::CaseSnapshot>>,
}

/// One record of a keyset page of the records list, with what its case's views say.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordListing {
    /// The record.
    pub stored: StoredVulnerability,
    /// Its case's state (none: a record of no case).
    pub state: Option<String>,
    /// The asking organisation's relation to its case, if any other than the public's.
    pub relation: Option<String>,
}

/// What a page of the records list asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordPageQuery {
    /// The asking organisation (none: the public).
    pub org_id: Option<String>,
    /// Records after this one, in the list's order (a case's records together, the
    /// cases oldest first; a record of no case where it was stored).
    pub after: Option<String>,
    /// At most this many.
    pub limit: i64,
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

    /// Stores many records of no case (each as [`Records::save_vulnerability`] with no
    /// aliases) in one transaction: an import of public records.
    async fn save_vulnerabilities(&self, records: &[(String, Value)], at: Timestamp) -> Result<()>;

    /// The record with this id or alias.
    async fn vulnerability(&self, id_or_alias: &str) -> Result<StoredVulnerability>;

    /// The record with this id or alias, its case's records and its case, read on one
    /// connection in two statements (an advisory's parts; three reads before).
    async fn advisory_parts(&self, id_or_alias: &str) -> Result<AdvisoryParts>;

    /// Every record, by id; those of one case when `case_id` is given.
    async fn vulnerabilities(&self, case_id: Option<&str>) -> Result<Vec<StoredVulnerability>>;

    /// One keyset page of every record, by id after `after`: what a pass over all
    /// records reads, a page at a time.
    async fn vulnerability_page(&self, after: Option<&str>, limit: i64) -> Result<Vec<StoredVulnerability>>;

    /// One keyset page of the records an organisation (or the public) may list: the
    /// public ones (of no case, or of a published case) and those of the cases it
    /// stands in a relation to, a case's records together, the cases oldest first. The
    /// caller applies the access function to each; the page may hold records it then
    /// drops.
    async fn record_page(&self, query: &RecordPageQuery) -> Result<Vec<RecordListing>>;

    /// One keyset page of the public advisories, newest first, each by its lead record:
    /// a record of no case, or the first record (by id) of a published case; after the
    /// advisory led by `after`.
    async fn advisory_page(&self, after: Option<&str>, limit: i64) -> Result<Vec<StoredVulnerability>>;

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

/// The statements of the records' hot read paths, shared by both back ends (`$N`
/// placeholders), public so that a test can have PostgreSQL EXPLAIN each one.
pub mod sql {
    /// The columns of a stored record.
    macro_rules! record_columns {
        () => {
            "v.id, v.case_id, v.record, v.created_at, v.updated_at"
        };
    }

    /// A page of every record by id, after `$1`, at most `$2`: a pass over all records.
    pub const RECORDS_BY_ID: &str = concat!(
        "SELECT ",
        record_columns!(),
        " FROM vulnerabilities v WHERE v.id > $1 ORDER BY v.id LIMIT $2"
    );

    /// A page of the public records, with the asking organisation's (`$1`) relation to
    /// their case, after (`$2` listed_at, `$3` case_key, `$4` id), at most `$5`. The
    /// relation is looked up row by row, not joined (see the published cases' page,
    /// `projections::sql`: a join planned once for every organisation reads all of a
    /// platform's relations).
    pub const RECORDS_PUBLIC: &str = concat!(
        "SELECT ",
        record_columns!(),
        ", v.listed_at, cv.state, \
         (SELECT r.relation FROM case_relations r WHERE r.case_id = v.case_id AND r.org_id = $1) AS relation \
         FROM vulnerabilities v \
         LEFT JOIN case_views cv ON cv.case_id = v.case_id \
         WHERE v.public = TRUE AND (v.listed_at, v.case_key, v.id) > ($2, $3, $4) \
         ORDER BY v.listed_at, v.case_key, v.id LIMIT $5"
    );
    /// A page of the records of the cases organisation `$1` stands in a relation to
    /// (same parameters), in the order of its relations' index.
    pub const RECORDS_RELATED: &str = concat!(
        "SELECT ",
        record_columns!(),
        ", v.listed_at, cv.state, r.relation FROM case_relations r \
         JOIN case_views cv ON cv.case_id = r.case_id \
         JOIN vulnerabilities v ON v.case_id = r.case_id \
         WHERE r.org_id = $1 AND (r.created_at, r.case_id) >= ($2, $3) \
         AND ((r.created_at, r.case_id) > ($2, $3) OR v.id > $4) \
         ORDER BY r.created_at, r.case_id, v.id LIMIT $5"
    );
    /// The first page of the public advisories' lead records, newest first, at most
    /// `$1`.
    pub const ADVISORIES_FIRST: &str = concat!(
        "SELECT ",
        record_columns!(),
        " FROM vulnerabilities v WHERE v.public = TRUE \
         AND (v.case_key = '' OR v.id = (SELECT MIN(w.id) FROM vulnerabilities w WHERE w.case_id = v.case_id)) \
         ORDER BY v.listed_at DESC, v.case_key DESC, v.id DESC LIMIT $1"
    );
    /// The next page: the lead records before (`$2` listed_at, `$3` case_key, `$4` id)
    /// in list order, newest first, at most `$1`.
    pub const ADVISORIES_AFTER: &str = concat!(
        "SELECT ",
        record_columns!(),
        " FROM vulnerabilities v WHERE v.public = TRUE AND (v.listed_at, v.case_key, v.id) < ($2, $3, $4) \
         AND (v.case_key = '' OR v.id = (SELECT MIN(w.id) FROM vulnerabilities w WHERE w.case_id = v.case_id)) \
         ORDER BY v.listed_at DESC, v.case_key DESC, v.id DESC LIMIT $1"
    );
    /// The records of case `$1`, by id.
    pub const CASE_RECORDS: &str =
        concat!("SELECT ", record_columns!(), " FROM vulnerabilities v WHERE v.case_id = $1 ORDER BY v.id");
    /// The record with id or alias `$1` (`lead` true) and the other records of its case
    /// (`lead` false), by id: each through its key or the case's index.
    pub const ADVISORY_RECORDS: &str = concat!(
        "SELECT ",
        record_columns!(),
        ", TRUE AS lead FROM vulnerability_aliases a JOIN vulnerabilities v ON v.id = a.vulnerability_id \
         WHERE a.alias = $1 \
         UNION ALL SELECT ",
        record_columns!(),
        ", FALSE FROM vulnerability_aliases a JOIN vulnerabilities l ON l.id = a.vulnerability_id \
         JOIN vulnerabilities v ON v.case_id = l.case_id AND v.id <> l.id WHERE a.alias = $1 \
         ORDER BY id"
    );
    /// The record with id or alias `$1`.
    pub const RECORD_BY_ALIAS: &str = concat!(
        "SELECT ",
        record_columns!(),
        " FROM vulnerability_aliases a JOIN vulnerabilities v ON v.id = a.vulnerability_id WHERE a.alias = $1"
    );
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
