//! CSAF 2.0: advisories and VEX written from the Log4Shell records validate against the
//! official schema; the real advisories import; what the format shares round-trips.

use crate::common::*;
use chrono::{TimeZone, Utc};
use vulnrelay_domain::Vulnerability;
use vulnrelay_formats::csaf::{self, ExportError, Lang, Publisher, Revision, Tracking, VexStatus};
use vulnrelay_formats::record;

fn records() -> Vec<Vulnerability> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/log4shell-records.json");
    record::parse_all(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn publisher() -> Publisher {
    Publisher {
        category: "coordinator".into(),
        name: "vulnrelay demo platform".into(),
        namespace: "https://vulnrelay.invalid".into(),
    }
}

fn tracking() -> Tracking {
    Tracking {
        id: "VR-2021-0001".into(),
        status: "final".into(),
        revisions: vec![
            Revision {
                number: 1,
                date: Utc.with_ymd_and_hms(2021, 12, 10, 0, 0, 0).unwrap(),
                summary: "Initial version".into(),
            },
            Revision {
                number: 2,
                date: Utc.with_ymd_and_hms(2021, 12, 28, 0, 0, 0).unwrap(),
                summary: "CVE-2021-44832 added".into(),
            },
        ],
    }
}

#[test]
fn the_log4shell_advisory_validates_in_both_languages() {
    for lang in [Lang::En, Lang::Zh] {
        let doc = csaf::security_advisory(
            "Apache Log4j2 vulnerabilities",
            &publisher(),
            &tracking(),
            &records(),
            lang,
        )
        .unwrap();
        let problems = errors(Schema::Csaf, &doc);
        assert!(problems.is_empty(), "{lang:?}: {problems:#?}");
        assert_eq!(doc["document"]["tracking"]["version"], "2");
        assert_eq!(doc["document"]["tracking"]["revision_history"].as_array().unwrap().len(), 2);
        let first = &doc["vulnerabilities"][0];
        assert_eq!(first["cve"], "CVE-2021-44228");
        assert_eq!(first["ids"][0], serde_json::json!({"system_name": "CNVD", "text": "CNVD-2021-95914"}));
        assert_eq!(first["ids"][1]["system_name"], "CNNVD");
        assert_eq!(first["scores"][0]["cvss_v3"]["baseScore"], 10.0);
    }
    let zh = csaf::security_advisory("Apache Log4j2 漏洞", &publisher(), &tracking(), &records(), Lang::Zh)
        .unwrap();
    assert_eq!(zh["document"]["lang"], "zh-CN");
    assert_eq!(zh["vulnerabilities"][0]["title"], "Apache Log4j2 远程代码执行漏洞");
}

#[test]
fn the_product_tree_names_each_affected_range_and_fixed_version() {
    let doc =
        csaf::security_advisory("Log4Shell", &publisher(), &tracking(), &records()[..1], Lang::En).unwrap();
    let versions = &doc["product_tree"]["branches"][0]["branches"][0]["branches"];
    let names: Vec<&str> = versions.as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "vers:maven/>=2.0-beta9|<2.3.1",
            "vers:maven/>=2.4|<2.12.2",
            "vers:maven/>=2.13.0|<2.15.0",
            "2.15.0",
            "2.12.2",
            "2.3.1"
        ]
    );
    let status = &doc["vulnerabilities"][0]["product_status"];
    assert_eq!(status["known_affected"].as_array().unwrap().len(), 3);
    assert_eq!(status["fixed"].as_array().unwrap().len(), 3);
    assert_eq!(
        versions[3]["product"]["product_identification_helper"]["purl"],
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.15.0"
    );
}

#[test]
fn vex_documents_validate_with_justifications() {
    let statuses = vec![
        ("log4j-core 2.14.1".to_owned(), VexStatus::KnownAffected),
        ("log4j-core 2.17.1".to_owned(), VexStatus::Fixed),
        ("log4j-api 2.14.1".to_owned(), VexStatus::KnownNotAffected("vulnerable_code_not_present")),
        ("vendored-app 3.2".to_owned(), VexStatus::UnderInvestigation),
    ];
    let doc =
        csaf::vex("Log4Shell status", &publisher(), &tracking(), &records()[0], &statuses, Lang::En).unwrap();
    let problems = errors(Schema::Csaf, &doc);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(doc["document"]["category"], "csaf_vex");
    let status = &doc["vulnerabilities"][0]["product_status"];
    assert_eq!(status["known_not_affected"], serde_json::json!(["VEX-0003"]));
    assert_eq!(doc["vulnerabilities"][0]["flags"][0]["label"], "vulnerable_code_not_present");
}

#[test]
fn real_advisories_import() {
    for file in CSAF_EXAMPLES {
        let records = csaf::import(&load(file)).unwrap_or_else(|p| panic!("{file}: {p:#?}"));
        assert!(!records.is_empty(), "{file}");
        assert!(records.iter().all(|r| r.id.starts_with("CVE-")), "{file}");
    }
    let cisco = csaf::import(&load("examples/csaf/cisco-sa-20180328-smi2.json")).unwrap();
    assert_eq!(cisco[0].id, "CVE-2018-0171");
    assert_eq!(cisco[0].scores[0].source, "Cisco PSIRT");
    assert!(cisco[0].scores[0].vector.starts_with("CVSS:3.0/"));
    let redhat = csaf::import(&load("examples/csaf/rhsa-2021_5186.json")).unwrap();
    assert_eq!(redhat.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["CVE-2021-4104", "CVE-2021-4125"]);
    // Red Hat lists fixed and not-affected products only.
    assert!(redhat[0].affected.is_empty());
    assert!(redhat[0].fixed_versions[0].contains("ose-metering-hive"), "{:?}", redhat[0].fixed_versions);
}

#[test]
fn what_csaf_shares_round_trips() {
    let originals = records();
    let doc = csaf::security_advisory("Log4j", &publisher(), &tracking(), &originals, Lang::En).unwrap();
    let back = csaf::import(&doc).unwrap();
    assert_eq!(back.len(), originals.len());
    for (b, o) in back.iter().zip(&originals) {
        assert_eq!(b.id, o.id);
        assert_eq!(b.aliases, o.aliases);
        assert_eq!(b.title.en, o.title.en);
        assert_eq!(b.description.en, o.description.en);
        assert_eq!(b.remediation.en, o.remediation.en);
        assert_eq!(b.workarounds.en, o.workarounds.en);
        assert_eq!(b.cwes.first(), o.cwes.first());
        assert_eq!(b.published, o.published);
        assert_eq!(b.scores[0].vector, o.scores[0].vector);
        assert_eq!(
            b.references.iter().map(|r| &r.url).collect::<Vec<_>>(),
            o.references.iter().map(|r| &r.url).collect::<Vec<_>>()
        );
    }
}

#[test]
fn export_and_import_refuse_bad_input() {
    let mut empty = tracking();
    empty.revisions.clear();
    assert_eq!(
        csaf::security_advisory("x", &publisher(), &empty, &records(), Lang::En),
        Err(ExportError::NoRevision)
    );
    assert_eq!(
        csaf::security_advisory("x", &publisher(), &tracking(), &[], Lang::En),
        Err(ExportError::NoVulnerability)
    );
    let mut doc = load("examples/csaf/bsi-2022-0001.json");
    doc["document"]["tracking"]["status"] = "published".into();
    doc["document"]["publisher"].as_object_mut().unwrap().remove("namespace");
    let problems = csaf::import(&doc).unwrap_err();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert!(paths.contains(&"$.document.tracking.status"), "{problems:#?}");
    assert!(paths.contains(&"$.document.publisher"), "{problems:#?}");
}

/// What the standard's mandatory tests require and the schema does not: no empty
/// product tree, a product status for every vulnerability (6.1.27.6), an action
/// statement for every known_affected product (6.1.27.10), no CWE name that is not the
/// CWE's (6.1.11).
#[test]
fn export_refuses_or_completes_what_the_mandatory_tests_require() {
    let mut bare = records().remove(0);
    bare.affected.clear();
    bare.decisions.clear();
    bare.fixed_versions.clear();
    assert_eq!(
        csaf::security_advisory("x", &publisher(), &tracking(), &[bare.clone()], Lang::En),
        Err(ExportError::NoProductStatus("CVE-2021-44228".into()))
    );
    assert_eq!(
        csaf::vex("x", &publisher(), &tracking(), &bare, &[], Lang::En),
        Err(ExportError::NoProductStatus("CVE-2021-44228".into()))
    );
    let mut unremedied = records().remove(0);
    unremedied.remediation = Default::default();
    unremedied.workarounds = Default::default();
    unremedied.cwes = vec!["CWE-1321".into()];
    let vex = csaf::vex(
        "x",
        &publisher(),
        &tracking(),
        &unremedied,
        &[("log4j-core 2.14.1".into(), VexStatus::KnownAffected)],
        Lang::En,
    )
    .unwrap();
    assert_eq!(errors(Schema::Csaf, &vex), Vec::<String>::new());
    let entry = &vex["vulnerabilities"][0];
    assert_eq!(entry["remediations"][0]["category"], "none_available");
    assert_eq!(entry["remediations"][0]["product_ids"], serde_json::json!(["VEX-0001"]));
    assert!(entry.get("cwe").is_none(), "no invented CWE name: {entry}");
    let advisory = csaf::security_advisory("x", &publisher(), &tracking(), &records(), Lang::En).unwrap();
    for entry in advisory["vulnerabilities"].as_array().unwrap() {
        assert!(entry["remediations"].as_array().is_some_and(|r| !r.is_empty()), "{entry}");
    }
}

#[test]
fn import_maps_vendor_and_product_from_the_product_tree_and_keeps_title_and_dates() {
    let bsi = csaf::import(&load("examples/csaf/bsi-2022-0001.json")).unwrap().remove(0);
    let affected = &bsi.affected[0];
    assert_eq!(
        (affected.package.vendor.as_str(), affected.package.product.as_str()),
        ("CSAF Tools", "CVRF-CSAF-Converter")
    );
    assert!(affected.versions.contains(&"1.0.0-alpha".to_owned()), "{:?}", affected.versions);
    assert_eq!(affected.source, "Bundesamt für Sicherheit in der Informationstechnik");
    // The vulnerability has no title of its own: the document's.
    let doc = load("examples/csaf/bsi-2022-0001.json");
    assert_eq!(bsi.title.en.as_deref(), doc["document"]["title"].as_str());
    assert!(bsi.modified.is_some() && bsi.published.is_some());
    let cisco = csaf::import(&load("examples/csaf/cisco-sa-20180328-smi2.json")).unwrap().remove(0);
    assert!(cisco.affected.iter().all(|a| a.package.vendor == "Cisco"), "{:?}", cisco.affected);
    assert!(cisco.affected.iter().any(|a| a.package.product == "IOS"));
    // What this writer exports comes back as the same ranges.
    let advisory = csaf::security_advisory("x", &publisher(), &tracking(), &records(), Lang::En).unwrap();
    let back = csaf::import(&advisory).unwrap();
    assert_eq!(back[0].affected[0].ranges, records()[0].affected[0].ranges);
}

#[test]
fn import_refuses_impossible_dates_and_scores_that_do_not_match_their_vector() {
    let mut doc = load("examples/csaf/bsi-2022-0001.json");
    doc["document"]["tracking"]["initial_release_date"] = "2022-02-30T00:00:00Z".into();
    let score = doc["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"].as_f64().unwrap();
    doc["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"] = (score + 1.0).into();
    let problems = csaf::import(&doc).unwrap_err();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert!(paths.contains(&"$.document.tracking.initial_release_date"), "{problems:#?}");
    assert!(paths.contains(&"$.vulnerabilities[0].scores[0].cvss_v3.baseScore"), "{problems:#?}");
}
