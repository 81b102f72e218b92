//! The Log4Shell records (examples/log4shell-records.json) in vulnrelay's record JSON,
//! and their OSV and CVE exports, validated against the official schemas.

use crate::common::*;
use chrono::{TimeZone, Utc};
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
        assert_eq!(back.decisions, v.decisions);
        assert_eq!(back.credits, v.credits);
        assert_eq!(back.published, v.published);
    }
}

/// The truth table of testdata/jars/log4j/README.md: per CVE, the affected log4j-core
/// ranges `[introduced, fixed)`, read from its `| CVE | [a, b) ∪ ... |` rows.
fn truth_table() -> Vec<(String, Vec<(String, String)>)> {
    let text = std::fs::read_to_string(testdata().join("jars/log4j/README.md")).unwrap();
    let mut out = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 3 || !cells[1].starts_with("CVE-") || !cells[2].starts_with('[') {
            continue;
        }
        let ranges = cells[2]
            .split('∪')
            .map(|r| {
                let r = r.trim().trim_start_matches('[').trim_end_matches(')');
                let (a, b) = r.split_once(',').unwrap();
                (a.trim().to_owned(), b.trim().to_owned())
            })
            .collect();
        out.push((cells[1].to_owned(), ranges));
    }
    assert_eq!(out.len(), 4, "{out:?}");
    out
}

fn pairs(ranges: &[vulnrelay_domain::VersionRange]) -> Vec<(String, String)> {
    ranges
        .iter()
        .map(|r| match &r.end {
            vulnrelay_domain::RangeEnd::Fixed(f) => (r.introduced.clone(), f.clone()),
            other => panic!("{} ends {other:?}, the truth table has fixed ends only", r.introduced),
        })
        .collect()
}

#[test]
fn every_demo_range_agrees_with_the_truth_table() {
    let records = records();
    for (cve, truth) in truth_table() {
        let v = records.iter().find(|v| v.id == cve).unwrap_or_else(|| panic!("no record {cve}"));
        let reconciled = v.reconciled();
        assert_eq!(reconciled.len(), 1, "{cve}: one package");
        assert_eq!(pairs(&reconciled[0].ranges), truth, "{cve}: the reconciled ranges");
        assert_ne!(reconciled[0].decided_by, "", "{cve}");
        // The vendor's own (CNA) ranges are the truth table's.
        let apache = v.affected.iter().find(|a| a.source == "apache").unwrap();
        assert_eq!(pairs(&apache.ranges), truth, "{cve}: Apache's ranges");
    }
}

#[test]
fn osv_writes_one_entry_per_package_with_the_reconciled_ranges() {
    let records = records();
    let truth = truth_table();
    for v in &records {
        let value = osv_record::export(v, now());
        let document: osv::Vulnerability = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(document.affected.len(), 1, "{}: one entry for log4j-core", v.id);
        let entry = &document.affected[0];
        let specific = entry.database_specific.as_ref().unwrap();
        let sources: Vec<&str> =
            specific["sources"].as_array().unwrap().iter().map(|s| s["source"].as_str().unwrap()).collect();
        let expected: Vec<&str> = v.affected.iter().map(|a| a.source.as_str()).collect();
        assert_eq!(sources, expected, "{}: every source kept", v.id);
        assert!(specific["decided_by"].is_string() && specific["basis"].is_string(), "{specific}");
        // Union of the `affected` entries (what OSV consumers take) against the truth table.
        let (_, ranges) = truth.iter().find(|(cve, _)| *cve == v.id).unwrap();
        let in_truth = |version: &MavenVersion| {
            ranges
                .iter()
                .any(|(a, b)| MavenVersion::parse(a) <= *version && *version < MavenVersion::parse(b))
        };
        for version in [
            "2.0-alpha1",
            "2.0-beta2",
            "2.0-beta7",
            "2.0-beta8",
            "2.0-beta9",
            "2.0",
            "2.3",
            "2.3.1",
            "2.3.2",
            "2.4",
            "2.9.1",
            "2.12.1",
            "2.12.2",
            "2.12.3",
            "2.12.4",
            "2.13.0",
            "2.14.1",
            "2.15.0-rc1",
            "2.15.0",
            "2.16.0",
            "2.17.0",
            "2.17.1",
        ] {
            let parsed = MavenVersion::parse(version);
            let affected = document.affected.iter().any(|a| {
                a.is_maven_package("org.apache.logging.log4j", "log4j-core") && a.affects_maven(&parsed)
            });
            assert_eq!(affected, in_truth(&parsed), "{} {version}", v.id);
        }
    }
}

#[test]
fn an_undecided_disagreement_is_exported_as_the_marked_union_and_round_trips() {
    let mut v = records().remove(0);
    v.decisions.clear();
    let document = osv_record::export(&v, now());
    assert!(errors(Schema::Osv, &document).is_empty());
    let entry = &document["affected"][0];
    assert_eq!(entry["database_specific"]["decided_by"], "vulnrelay");
    assert!(entry["database_specific"]["basis"].as_str().unwrap().contains("no decision recorded"));
    let back = osv_record::import(&document, "osv").unwrap();
    assert_eq!(back.affected, v.affected);
    assert!(back.decisions.is_empty());
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
