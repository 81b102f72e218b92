//! Shared helpers: the official schemas (vendored in `schemas/`) and the real example
//! documents of the repository's `testdata/`, loaded without any network access.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;
pub use vulnrelay_formats::schemas::Schema;

/// The repository's `testdata/` (real documents, see its README).
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// The vendored official schemas (`crates/formats/schemas`).
pub fn schemas() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

/// Reads a JSON file: `schemas/...` from the vendored schemas, anything else from
/// `testdata/`.
pub fn load(relative: &str) -> Value {
    let path = match relative.strip_prefix("schemas/") {
        Some(schema) => schemas().join(schema),
        None => testdata().join(relative),
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every way `document` breaks the official schema, as `path: message` lines.
pub fn errors(schema: Schema, document: &Value) -> Vec<String> {
    vulnrelay_formats::schemas::validate(schema, document).iter().map(ToString::to_string).collect()
}

pub const CVE_SCHEMA: &str = "schemas/cve/CVE_JSON_5.1_bundled.json";
pub const CSAF_SCHEMA: &str = "schemas/csaf/csaf_json_schema.json";
pub const OSV_SCHEMA: &str = "schemas/osv/schema.json";

/// The real CVE records of the Log4j vulnerabilities.
pub const CVE_EXAMPLES: [&str; 6] = [
    "examples/cve/CVE-2019-17571.json",
    "examples/cve/CVE-2021-4104.json",
    "examples/cve/CVE-2021-44228.json",
    "examples/cve/CVE-2021-44832.json",
    "examples/cve/CVE-2021-45046.json",
    "examples/cve/CVE-2021-45105.json",
];

/// The real CSAF advisories.
pub const CSAF_EXAMPLES: [&str; 4] = [
    "examples/csaf/bsi-2022-0001.json",
    "examples/csaf/cisco-sa-20180328-smi2.json",
    "examples/csaf/rhsa-2021_5186.json",
    "examples/csaf/rhsa-2021_5217.json",
];
