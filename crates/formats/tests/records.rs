//! The Log4Shell records (examples/log4shell-records.json) in vulnrelay's record JSON,
//! and their OSV and CVE exports, validated against the official schemas.

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use serde_json::json;
use vulnrelay_domain::{IdScheme, Vulnerability};
use vulnrelay_formats::maven_version::MavenVersion;
use vulnrelay_formats::record::{self, VulnerabilityJson};
use vulnrelay_formats::{cve5, osv, osv_record};

fn records() -> Vec<Vulnerability> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/log4shell-records.json");
    record::parse_all(&std::fs::read_to_string(path).unwrap()).unwrap_or_else(|p| panic!("{p:#?}"))
}

fn now() -> vulnrelay_domain::Timestamp {
    Utc.with_ymd_and_hms(2022, 1, 5, 0, 0, 0).unwrap()
}

#[test]
fn the_log4shell_records_carry_every_id_and_every_source() {
    let records = records();
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["CVE-2021-44228", "CVE-2021-45046", "CVE-2021-45105", "CVE-2021-44832"]);
    let log4shell = &records[0];
    assert_eq!(log4shell.id_of(IdScheme::Cnvd), Some("CNVD-2021-95914"));
    assert_eq!(log4shell.id_of(IdScheme::Cnnvd), Some("CNNVD-202112-799"));
    let sources: Vec<&str> = log4shell.affected.iter().map(|a| a.source.as_str()).collect();
    assert_eq!(sources, ["apache", "github", "cnvd"]);
    assert!(records.iter().all(|r| r.missing_for_publication().is_empty()));
}

#[test]
fn disagreeing_scores_are_shown_side_by_side_with_chinese_grades() {
    let json = VulnerabilityJson::from(&records()[2]);
    let shown: Vec<(String, f64, String, String)> = json
        .scores
        .iter()
        .map(|s| (s.source.clone(), s.base_score.unwrap(), s.cnvd.clone().unwrap(), s.cnnvd.clone().unwrap()))
        .collect();
    assert_eq!(
        shown,
        [
            ("apache".into(), 5.9, "中".into(), "中危".into()),
            ("github".into(), 8.6, "高".into(), "高危".into())
        ]
    );
}

#[test]
fn record_json_round_trips() {
    for v in records() {
        let text = serde_json::to_string(&VulnerabilityJson::from(&v)).unwrap();
        let again = record::parse_all(&text).unwrap();
        assert_eq!(again, std::slice::from_ref(&v));
    }
}

#[test]
fn bad_record_json_names_every_problem() {
    let doc = json!([
        {"id": "VR-1", "scores": [{"source": "x", "vector": "CVSS:3.1/AV:Q"}], "published": "soon"},
        {"id": "VR-2", "colour": "red"},
        {"id": "VR-3", "affected": [{"source": "s", "vendor": "v", "product": "p", "ecosystem": "Maven",
            "ranges": [{"introduced": "1", "fixed": "2", "last_affected": "3"}]}]}
    ]);
    let problems = record::parse_all(&doc.to_string()).unwrap_err();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        ["$[0].published", "$[0].scores[0].vector", "$[1]", "$[2].affected[0]", "$[2].affected[0].ranges[0]"]
    );
    assert!(problems[2].message.contains("unknown field `colour`"), "{problems:#?}");
}

#[test]
fn osv_exports_validate_and_keep_every_source() {
    for v in records() {
        let document = osv_record::export(&v, now());
        let problems = errors(Schema::Osv, &document);
        assert!(problems.is_empty(), "{}: {problems:#?}", v.id);
        let back = osv_record::import(&document, "osv").unwrap();
        assert_eq!(back.id, v.id);
        assert_eq!(back.aliases, v.aliases);
        assert_eq!(back.title, v.title);
        assert_eq!(back.description, v.description);
        assert_eq!(back.remediation, v.remediation);
        assert_eq!(back.cwes, v.cwes);
        assert_eq!(back.scores, v.scores);
        assert_eq!(back.affected, v.affected);
        assert_eq!(back.credits, v.credits);
        assert_eq!(back.published, v.published);
    }
}

#[test]
fn the_scanner_reads_the_osv_export_as_the_ranges_say() {
    let v = &records()[0];
    let document: osv::Vulnerability = serde_json::from_value(osv_record::export(v, now())).unwrap();
    let affects = |version: &str| {
        document.affected.iter().filter(|a| a.database_specific.as_ref().unwrap()["source"] == "apache").any(
            |a| {
                a.is_maven_package("org.apache.logging.log4j", "log4j-core")
                    && a.affects_maven(&MavenVersion::parse(version))
            },
        )
    };
    assert!(affects("2.14.1"));
    assert!(affects("2.0-beta9"));
    assert!(!affects("2.0-beta8"));
    assert!(!affects("2.12.2"));
    assert!(!affects("2.15.0"));
    assert!(!affects("2.17.1"));
}

#[test]
fn cve_exports_of_the_records_validate() {
    let cna =
        cve5::Cna { org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(), short_name: "apache".into() };
    for v in records() {
        let document = cve5::export(&v, &cna, now()).unwrap();
        let problems = errors(Schema::Cve, &document);
        assert!(problems.is_empty(), "{}: {problems:#?}", v.id);
        let back = cve5::import(&document).unwrap();
        assert_eq!(back.scores, v.scores, "{}", v.id);
        assert_eq!(back.affected[0].package.ecosystem, v.affected[0].package.ecosystem);
        assert_eq!(back.affected[0].ranges, v.affected[0].ranges);
        assert_eq!(back.remediation, v.remediation);
    }
}

#[test]
fn import_detects_every_format_and_locates_problems_in_arrays() {
    use vulnrelay_formats::import::{self, Format};
    let text = |file: &str| std::fs::read_to_string(testdata().join(file)).unwrap();
    assert_eq!(import::import(&text("examples/cve/CVE-2021-44228.json"), "x").unwrap().format, Format::Cve);
    let csaf = import::import(&text("examples/csaf/rhsa-2021_5186.json"), "x").unwrap();
    assert_eq!((csaf.format, csaf.records.len()), (Format::Csaf, 2));
    let osv_array =
        serde_json::to_string(&records().iter().map(|v| osv_record::export(v, now())).collect::<Vec<_>>())
            .unwrap();
    let osv = import::import(&osv_array, "x").unwrap();
    assert_eq!((osv.format, osv.records.len()), (Format::Osv, 4));
    let ours = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/log4shell-records.json"),
    )
    .unwrap();
    assert_eq!(import::import(&ours, "x").unwrap().format, Format::Vulnrelay);
    // A broken second record in an array is named by its index.
    let mut broken: Vec<serde_json::Value> = serde_json::from_str(&osv_array).unwrap();
    broken[1]["modified"] = json!(12);
    let problems = import::import(&serde_json::to_string(&broken).unwrap(), "x").unwrap_err();
    assert!(problems.iter().any(|p| p.path == "$[1].modified"), "{problems:#?}");
}

#[test]
fn threat_events_travel_through_every_format() {
    use vulnrelay_domain::{ThreatKind, ThreatLevel};
    let v = &records()[0];
    assert_eq!(v.threats.len(), 4);
    let status = v.threat_status(Utc.with_ymd_and_hms(2021, 12, 11, 0, 0, 0).unwrap());
    assert_eq!(status.level, ThreatLevel::ActivelyExploited);
    assert_eq!(status.since.as_ref().unwrap().source, "CISA KEV");
    assert_eq!(status.bypassed[0].0, "2.15.0-rc1");
    // OSV keeps them in database_specific.
    let osv = osv_record::export(v, now());
    assert!(errors(Schema::Osv, &osv).is_empty());
    assert_eq!(osv_record::import(&osv, "x").unwrap().threats, v.threats);
    // CVE carries them as `other` metrics.
    let cna =
        cve5::Cna { org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(), short_name: "apache".into() };
    let cve = cve5::export(v, &cna, now()).unwrap();
    assert!(errors(Schema::Cve, &cve).is_empty());
    assert_eq!(cve5::import(&cve).unwrap().threats, v.threats);
    // CSAF shows them as exploit_status threats.
    let publisher = vulnrelay_formats::csaf::Publisher {
        category: "coordinator".into(),
        name: "vulnrelay".into(),
        namespace: "https://vulnrelay.invalid".into(),
    };
    let tracking = vulnrelay_formats::csaf::Tracking {
        id: "VR-2021-0001".into(),
        status: "final".into(),
        revisions: vec![vulnrelay_formats::csaf::Revision {
            number: 1,
            date: now(),
            summary: "Initial".into(),
        }],
    };
    let csaf = vulnrelay_formats::csaf::security_advisory(
        "Log4Shell",
        &publisher,
        &tracking,
        std::slice::from_ref(v),
        vulnrelay_formats::csaf::Lang::Zh,
    )
    .unwrap();
    assert!(errors(Schema::Csaf, &csaf).is_empty());
    let threats = csaf["vulnerabilities"][0]["threats"].as_array().unwrap();
    assert_eq!(threats[2]["details"], "已被积极利用 (CISA KEV)");
    assert!(matches!(v.threats[3].kind, ThreatKind::FixBypassed { .. }));
}

#[test]
fn cisa_kev_and_ssvc_in_real_records_mean_active_exploitation() {
    use vulnrelay_domain::ThreatLevel;
    let v = cve5::import(&load("examples/cve/CVE-2021-44228.json")).unwrap();
    let sources: Vec<&str> = v.threats.iter().map(|t| t.source.as_str()).collect();
    assert_eq!(sources, ["SSVC (CISA Coordinator)", "CISA KEV"]);
    let kev = &v.threats[1];
    assert_eq!(kev.at, Utc.with_ymd_and_hms(2021, 12, 10, 0, 0, 0).unwrap());
    assert_eq!(v.threat_status(now()).level, ThreatLevel::ActivelyExploited);
}
