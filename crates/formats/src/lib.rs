#![doc = include_str!("../README.md")]

pub mod case_file;
pub mod compliance;
pub mod csaf;
pub mod cve5;
pub mod cyclonedx;
pub mod fields;
pub mod import;
pub mod maven_version;
pub mod org_event;
pub mod osv;
pub mod osv_record;
pub mod record;
pub mod sarif;
pub mod sbom;
pub mod scan_report;
pub mod schemas;
pub mod severity;
pub mod time;
pub mod version;
pub mod vex;

/// A typed document as a JSON value. The typed models of this crate serialise to JSON
/// without fail (string keys, no custom serialisers that refuse), so a failure here is a
/// bug in a model.
pub(crate) fn to_json<T: serde::Serialize>(document: &T) -> serde_json::Value {
    serde_json::to_value(document).expect("the typed document models serialise to JSON")
}
