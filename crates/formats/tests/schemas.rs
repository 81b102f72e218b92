//! The official schemas (vendored copies) load offline and accept the real example
//! documents: the ground the export and import tests stand on.

mod common;

use std::path::PathBuf;

use common::*;

#[test]
fn vendored_schemas_are_identical_to_the_reference_copies() {
    let vendored = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas");
    for file in [
        "cve/CVE_JSON_5.1_bundled.json",
        "csaf/csaf_json_schema.json",
        "csaf/cvss-v2.0.json",
        "csaf/cvss-v3.0.json",
        "csaf/cvss-v3.1.json",
        "csaf/provider_json_schema.json",
        "osv/schema.json",
        "cyclonedx/bom-1.6.schema.json",
        "cyclonedx/spdx.schema.json",
        "cyclonedx/jsf-0.82.schema.json",
    ] {
        let ours = std::fs::read(vendored.join(file)).unwrap();
        let theirs = std::fs::read(reference().join("schemas").join(file)).unwrap();
        assert!(ours == theirs, "{file} differs from the reference copy");
    }
}

#[test]
fn real_cve_records_validate_against_cve_5_1() {
    for file in CVE_EXAMPLES {
        let errors = errors(Schema::Cve, &load(file));
        assert!(errors.is_empty(), "{file}: {errors:#?}");
    }
}

#[test]
fn real_csaf_advisories_validate_against_csaf_2_0() {
    for file in CSAF_EXAMPLES {
        let errors = errors(Schema::Csaf, &load(file));
        assert!(errors.is_empty(), "{file}: {errors:#?}");
    }
}

#[test]
fn the_schemas_refuse_what_they_should_with_paths() {
    let mut record = load("examples/cve/CVE-2021-44228.json");
    record["cveMetadata"]["cveId"] = "CVE-21-1".into();
    let problems = errors(Schema::Cve, &record);
    assert!(problems.iter().any(|p| p.starts_with("$.cveMetadata.cveId: ")), "{problems:#?}");
    let mut advisory = load("examples/csaf/rhsa-2021_5186.json");
    advisory["document"]["csaf_version"] = "1.0".into();
    let problems = errors(Schema::Csaf, &advisory);
    assert!(problems.iter().any(|p| p.starts_with("$.document.csaf_version: ")), "{problems:#?}");
    let problems = errors(Schema::Osv, &serde_json::json!({"id": 7}));
    assert!(!problems.is_empty());
}
