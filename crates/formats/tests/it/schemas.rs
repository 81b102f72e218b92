//! The official schemas (vendored copies) load offline and accept the real example
//! documents: the ground the export and import tests stand on.

use crate::common::*;

/// The SHA-256 digest of each official schema file as published (see the schemas'
/// README for where each comes from), so a vendored copy that drifts fails here.
const OFFICIAL_DIGESTS: [(&str, &str); 13] = [
    ("cve/CVE_JSON_5.1_bundled.json", "f30c895c4474f8e6d2bb881a044f271a317d31451bd89f6a61234264f9068089"),
    ("csaf/csaf_json_schema.json", "29c114b35b0a30831f1674f2ab8b3ed9b2890cfeaa63b924ac6ed9d70ef44262"),
    ("csaf/cvss-v2.0.json", "cd1a7c0815b7a47dc12fb7dded10622b96d562841f7bc6d2d8765c5d937a28f2"),
    ("csaf/cvss-v3.0.json", "b2b587e5dfa6d9a4be89e25cb593df04f14e7ffbe8fe5b167ceee17b6097d919"),
    ("csaf/cvss-v3.1.json", "77ff3df106e4588e2bb5c9cf0237f962c62d35c5002443c4bf7cc7ca16ee171f"),
    ("csaf/provider_json_schema.json", "0270d0cfadf5202ff83a63502012a407e0e8ec3194a07296f13641c9f5630aba"),
    ("csaf/aggregator_json_schema.json", "6e76b27b9552168e756f4b1c8be0a9d43414338ee44793e55357869b86031242"),
    ("osv/schema.json", "7a511902b57297197b37298f6adaa2acb15f22b3f641bb9f547f19dcbe533ba8"),
    ("cyclonedx/bom-1.6.schema.json", "18f57f7482593bad9f21b4feed09084640cbeff419d62ad5090c5ceccca5b37d"),
    ("cyclonedx/spdx.schema.json", "ea6e844ee6fba1e93473d94834d0ee0996970533497935f932f73d488ffdf4a3"),
    ("cyclonedx/jsf-0.82.schema.json", "8bae002c25e723db7ee1f26afde680ae1a2b1a8f6b4b4b0fd65dc3becb090aae"),
    ("sarif/sarif-2.1.0-rtm.5.json", "2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8"),
    ("csaf/ROLIE_feed_json_schema.json", "cdb6374de8f2e51eac168f0b6e0e99fc281d5bef1b7ebbd827a75ca9324fa1c6"),
];

#[test]
fn vendored_schemas_are_the_official_files() {
    use sha2::{Digest, Sha256};
    for (file, digest) in OFFICIAL_DIGESTS {
        let ours = std::fs::read(schemas().join(file)).unwrap();
        assert_eq!(hex::encode(Sha256::digest(&ours)), digest, "{file} differs from the official schema");
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
