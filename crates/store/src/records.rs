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
    /// identifier in `aliases` pointing at it. An alias that already names another
    /// record is a `Conflict`.
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
}
