//! The match keys the store indexes inventory components and records by, so that a
//! re-match reads only what it may affect: a changed record the components of its
//! packages, a new inventory the records of its components' packages.
//!
//! A key is [`vulnrelay_match::PackageKey::index_key`] (ecosystem and normalised name):
//! a component's from its package URL, a record's from the packages of its reconciled
//! ranges ([`vulnrelay_match::package_keys`]). Both are written in the transaction that
//! writes the component or the record, so the index never lags the rows.

use serde_json::Value;
use vulnrelay_formats::record::VulnerabilityJson;

/// The key of a component with package URL `purl`; none without one, or with one that
/// cannot be matched (no version, not a package URL), as matching skips those too.
pub fn component_key(purl: Option<&str>) -> Option<String> {
    let (key, _) = vulnrelay_match::parse_purl(purl?).ok()?;
    Some(key.index_key())
}

/// The keys of a record (vulnrelay record JSON), each once; none for a record that does
/// not decode, which matching leaves out too.
pub fn record_keys(record: &Value) -> Vec<String> {
    let Ok(json) = serde_json::from_value::<VulnerabilityJson>(record.clone()) else { return Vec::new() };
    let Ok(v) = json.into_domain("$") else { return Vec::new() };
    vulnrelay_match::package_keys(&v).iter().map(vulnrelay_match::PackageKey::index_key).collect()
}

/// The lookups by package key, as each back end runs them (public so that a test can
/// EXPLAIN them): `$1` is the keys as one JSON array.
pub mod sql {
    use crate::Backend;

    /// A subquery giving the keys of the JSON array bound as `$1`, as column
    /// `package_key`.
    pub const fn keys(backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => "SELECT value AS package_key FROM json_each($1)",
            Backend::Postgres => "SELECT jsonb_array_elements_text(CAST($1 AS jsonb)) AS package_key",
        }
    }

    /// The current components of those packages, in the order of the full inventory.
    pub fn components(backend: Backend) -> String {
        format!(
            "SELECT g.org_id, g.name AS group_name, c.name, c.version, c.purl, c.bom_ref \
             FROM asset_components c JOIN asset_groups g ON g.id = c.group_id \
             WHERE c.package_key IN ({}) ORDER BY g.org_id, g.name, c.position",
            keys(backend)
        )
    }

    /// The records of those packages, by id.
    pub fn records(backend: Backend) -> String {
        format!(
            "SELECT id, case_id, record, created_at, updated_at FROM vulnerabilities WHERE id IN \
             (SELECT p.vulnerability_id FROM record_packages p WHERE p.package_key IN ({})) ORDER BY id",
            keys(backend)
        )
    }
}
