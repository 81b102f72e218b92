//! Snapshots of every export of the Log4Shell records (examples/log4shell-records.json):
//! a CVE JSON 5.1 record and an OSV record per vulnerability, the case's CSAF 2.0
//! security advisory and a CSAF VEX — each validated against its official schema, then
//! pinned, so a change of any exported field shows in review.

use chrono::{TimeZone, Utc};
use vulnrelay_domain::Vulnerability;
use vulnrelay_formats::csaf::{self, Publisher, Revision, Tracking, VexStatus};
use vulnrelay_formats::schemas::{Schema, validate};
use vulnrelay_formats::{cve5, osv_record, record};

fn records() -> Vec<Vulnerability> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/log4shell-records.json");
    record::parse_all(&std::fs::read_to_string(path).unwrap()).unwrap_or_else(|p| panic!("{p:#?}"))
}

fn at(month: u32, day: u32) -> vulnrelay_domain::Timestamp {
    let year = if month == 12 { 2021 } else { 2022 };
    Utc.with_ymd_and_hms(year, month, day, 0, 0, 0).unwrap()
}

fn valid(schema: Schema, document: &serde_json::Value) -> &serde_json::Value {
    assert_eq!(validate(schema, document), [], "{document:#}");
    document
}

#[test]
fn cve_and_osv_records_of_each_vulnerability() {
    let cna =
        cve5::Cna { org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(), short_name: "apache".into() };
    for v in records() {
        let cve = cve5::export(&v, &cna, at(1, 5)).unwrap();
        insta::assert_json_snapshot!(format!("cve-{}", v.id), valid(Schema::Cve, &cve));
        let osv = osv_record::export(&v, at(1, 5));
        insta::assert_json_snapshot!(format!("osv-{}", v.id), valid(Schema::Osv, &osv));
    }
}

#[test]
fn the_case_advisory_and_its_vex() {
    let records = records();
    let publisher = Publisher {
        category: "coordinator".into(),
        name: "vulnrelay".into(),
        namespace: "https://vulnrelay.invalid".into(),
    };
    let tracking = Tracking {
        id: "CVE-2021-44228".into(),
        status: "final".into(),
        revisions: vec![
            Revision { number: 1, date: at(12, 10), summary: "Initial version".into() },
            Revision {
                number: 2,
                date: at(12, 14),
                summary: "CVE-2021-45046: Added threat events: fix_bypassed (Apache)".into(),
            },
        ],
    };
    let advisory = csaf::security_advisory(
        "Apache Log4j2 JNDI RCE (Log4Shell, CVE-2021-44228)",
        &publisher,
        &tracking,
        &records,
        csaf::Lang::En,
    )
    .unwrap();
    insta::assert_json_snapshot!("csaf-advisory-log4shell", valid(Schema::Csaf, &advisory));
    let zh = csaf::security_advisory(
        "Apache Log4j2 远程代码执行漏洞",
        &publisher,
        &tracking,
        &records,
        csaf::Lang::Zh,
    )
    .unwrap();
    insta::assert_json_snapshot!("csaf-advisory-log4shell-zh", valid(Schema::Csaf, &zh));
    let statuses = [
        ("Apache Log4j2 2.14.1".to_owned(), VexStatus::KnownAffected),
        ("Apache Log4j2 2.17.1".to_owned(), VexStatus::Fixed),
        ("Apache Log4j2 1.2.17".to_owned(), VexStatus::KnownNotAffected("vulnerable_code_not_present")),
    ];
    let vex_tracking = Tracking { id: "CVE-2021-44228-vex".into(), ..tracking };
    let vex = csaf::vex("VEX: Log4Shell", &publisher, &vex_tracking, &records[0], &statuses, csaf::Lang::En)
        .unwrap();
    insta::assert_json_snapshot!("csaf-vex-log4shell", valid(Schema::Csaf, &vex));
}
