//! CVE JSON 5 import and export against the real Log4j records and the official schema.

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use vulnrelay_domain::{Localized, RangeEnd, Score, VersionRange, Vulnerability};
use vulnrelay_formats::cve5::{self, Cna, ExportError};

fn cna() -> Cna {
    Cna { org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(), short_name: "apache".into() }
}

fn updated() -> vulnrelay_domain::Timestamp {
    Utc.with_ymd_and_hms(2021, 12, 28, 0, 0, 0).unwrap()
}

fn import(file: &str) -> Vulnerability {
    cve5::import(&load(file)).unwrap_or_else(|problems| panic!("{file}: {problems:#?}"))
}

fn range(introduced: &str, fixed: &str) -> VersionRange {
    VersionRange { introduced: introduced.into(), end: RangeEnd::Fixed(fixed.into()) }
}

#[test]
fn every_real_record_imports() {
    for file in CVE_EXAMPLES {
        let v = import(file);
        assert!(v.id.starts_with("CVE-"), "{file}");
        assert!(v.description.en.is_some(), "{file}");
        assert!(!v.affected.is_empty(), "{file}");
    }
}

#[test]
fn log4shell_keeps_every_source() {
    let v = import("examples/cve/CVE-2021-44228.json");
    assert_eq!(v.id, "CVE-2021-44228");
    assert_eq!(v.cwes, ["CWE-502", "CWE-400", "CWE-20"]);
    // The CNA's custom version block with changes unrolls into the three stretches.
    let apache = &v.affected[0];
    assert_eq!(apache.source, "apache");
    assert_eq!(
        apache.ranges,
        [range("2.0-beta9", "2.3.1"), range("2.4", "2.12.2"), range("2.13.0", "2.15.0")]
    );
    // The CVSS score comes from CISA's ADP container, and says so.
    assert_eq!(
        v.scores,
        [Score { source: "CISA-ADP".into(), vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H".into() }]
    );
    assert!(v.credits[0].contains("Chen Zhaojun"));
    assert_eq!(v.published.unwrap().to_rfc3339(), "2021-12-10T00:00:00+00:00");
}

#[test]
fn unordered_changes_and_non_version_starts_are_read_as_the_cna_meant() {
    let v = import("examples/cve/CVE-2021-44832.json");
    assert_eq!(
        v.affected[0].ranges,
        [range("2.0-beta7", "2.3.2"), range("2.4", "2.12.4"), range("2.13.0", "2.17.1")]
    );
    let v = import("examples/cve/CVE-2021-45105.json");
    assert_eq!(
        v.affected[0].ranges,
        [range("2.0-alpha1", "2.3.1"), range("2.4", "2.12.3"), range("2.13.0", "2.17.0")]
    );
    let v = import("examples/cve/CVE-2021-45046.json");
    assert_eq!(v.affected[0].ranges, [range("0", "2.16.0")]);
    // Free text where a version should be is kept as written, not guessed at.
    let v = import("examples/cve/CVE-2019-17571.json");
    assert_eq!(v.affected[0].versions, ["versions up to 1.2.17"]);
}

#[test]
fn exports_validate_and_round_trip_what_the_format_shares() {
    for file in CVE_EXAMPLES {
        let original = import(file);
        let cna = Cna {
            org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(),
            short_name: original.affected[0].source.clone(),
        };
        let exported = cve5::export(&original, &cna, updated()).unwrap();
        let problems = errors(Schema::Cve, &exported);
        assert!(problems.is_empty(), "{file}: {problems:#?}");
        let again = cve5::import(&exported).unwrap();
        assert_eq!(again.id, original.id, "{file}");
        assert_eq!(again.title, original.title, "{file}");
        assert_eq!(again.description, original.description, "{file}");
        assert_eq!(again.cwes, original.cwes, "{file}");
        assert_eq!(again.credits, original.credits, "{file}");
        assert_eq!(again.published, original.published, "{file}");
        // Every source's score survives, the CNA's as CVSS metrics, others as `other`.
        assert_eq!(again.scores, original.scores, "{file}");
        let urls = |v: &Vulnerability| v.references.iter().map(|r| r.url.clone()).collect::<Vec<_>>();
        assert_eq!(urls(&again), urls(&original), "{file}");
        // The CNA's view of what is affected survives (other sources' views go to OSV).
        assert_eq!(again.affected[0].ranges, original.affected[0].ranges, "{file}");
        assert_eq!(again.affected[0].versions, original.affected[0].versions, "{file}");
    }
}

#[test]
fn a_record_with_chinese_texts_and_disagreeing_sources_exports_valid() {
    let mut v = import("examples/cve/CVE-2021-45105.json");
    v.add_alias("CNVD-2021-00000");
    v.title.zh = Some("Apache Log4j2 自引用查找导致的拒绝服务漏洞".into());
    v.description.zh = Some("Apache Log4j2 在处理自引用查找时存在无限递归，可导致拒绝服务。".into());
    v.remediation = Localized::both("升级到 2.17.0 或更高版本", "Upgrade to 2.17.0 or later");
    v.scores = vec![
        Score { source: "apache".into(), vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H".into() },
        Score { source: "github".into(), vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:H".into() },
    ];
    let exported = cve5::export(&v, &cna(), updated()).unwrap();
    assert!(errors(Schema::Cve, &exported).is_empty(), "{:#?}", errors(Schema::Cve, &exported));
    let metrics = exported["containers"]["cna"]["metrics"].as_array().unwrap();
    assert_eq!(metrics[0]["cvssV3_1"]["baseScore"], 5.9);
    assert_eq!(metrics[1]["other"]["content"]["source"], "github");
    assert_eq!(metrics[1]["other"]["content"]["baseScore"], 8.6);
    let back = cve5::import(&exported).unwrap();
    assert_eq!(back.scores, v.scores);
    assert_eq!(back.remediation, v.remediation);
    assert_eq!(back.description.zh, v.description.zh);
}

#[test]
fn export_refuses_what_the_format_cannot_carry() {
    let mut v = import("examples/cve/CVE-2021-4104.json");
    v.id = "VR-2021-0001".into();
    assert_eq!(cve5::export(&v, &cna(), updated()), Err(ExportError::NoCveId("VR-2021-0001".into())));
    let mut v = import("examples/cve/CVE-2021-4104.json");
    v.references.clear();
    assert!(matches!(
        cve5::export(&v, &cna(), updated()),
        Err(ExportError::Missing { what: "at least one reference", .. })
    ));
}

#[test]
fn import_reports_every_schema_problem_by_path() {
    let mut record = load("examples/cve/CVE-2021-44228.json");
    record["containers"]["cna"]["descriptions"] = serde_json::json!([]);
    record["containers"]["cna"]["references"][0]["url"] = serde_json::json!(42);
    let problems = cve5::import(&record).unwrap_err();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert!(paths.contains(&"$.containers.cna.descriptions"), "{problems:#?}");
    assert!(paths.contains(&"$.containers.cna.references[0].url"), "{problems:#?}");
}
