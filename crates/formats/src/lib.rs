#![doc = include_str!("../README.md")]

pub mod case_file;
pub mod compliance;
pub mod csaf;
pub mod cve5;
pub mod cyclonedx;
pub mod import;
pub mod maven_version;
pub mod osv;
pub mod osv_record;
pub mod record;
pub mod sarif;
pub mod sbom;
pub mod scan_report;
pub mod schemas;
pub mod severity;
pub mod version;
