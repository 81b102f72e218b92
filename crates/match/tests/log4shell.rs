//! Matching inventory components against the Log4Shell records: the verdicts of the
//! reference truth table (testdata/jars/log4j/README.md) by the reconciled ranges, with
//! what each source says.

use vulnrelay_domain::Vulnerability;
use vulnrelay_formats::record;
use vulnrelay_match::Index;

fn records() -> Vec<Vulnerability> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/log4shell-records.json");
    record::parse_all(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// (CVE id, sources) for a log4j-core version.
fn matches(version: &str) -> Vec<(String, Vec<String>)> {
    let records = records();
    let index = Index::new(&records);
    index
        .lookup_purl(&format!("pkg:maven/org.apache.logging.log4j/log4j-core@{version}"))
        .unwrap()
        .into_iter()
        .map(|m| (records[m.vulnerability].id.clone(), m.sources))
        .collect()
}

fn ids(version: &str) -> Vec<String> {
    matches(version).into_iter().map(|(id, _)| id).collect()
}

#[test]
fn a_vulnerable_version_matches_every_cve_it_has() {
    assert_eq!(ids("2.14.1"), ["CVE-2021-44228", "CVE-2021-45046", "CVE-2021-45105", "CVE-2021-44832"]);
    assert_eq!(matches("2.14.1")[0].1, ["apache", "github", "cnvd"]);
}

#[test]
fn the_truth_table_versions_match_as_the_records_say() {
    assert!(ids("2.17.1").is_empty());
    assert_eq!(ids("2.17.0"), ["CVE-2021-44832"]);
    assert_eq!(ids("2.16.0"), ["CVE-2021-45105", "CVE-2021-44832"]);
    assert_eq!(ids("2.15.0"), ["CVE-2021-45046", "CVE-2021-45105", "CVE-2021-44832"]);
    assert_eq!(ids("2.12.2"), ["CVE-2021-45105", "CVE-2021-44832"]);
    assert_eq!(ids("2.3.1"), ["CVE-2021-44832"]);
    assert_eq!(ids("2.0-beta2"), ["CVE-2021-45105"]);
    assert_eq!(ids("2.0-beta9"), ["CVE-2021-44228", "CVE-2021-45046", "CVE-2021-45105", "CVE-2021-44832"]);
}

#[test]
fn the_bypassed_release_candidate_is_still_affected() {
    // 2.15.0-rc1 sorts before 2.15.0, and CNVD names it explicitly.
    let rc1 = matches("2.15.0-rc1");
    assert_eq!(
        rc1[0],
        ("CVE-2021-44228".to_owned(), vec!["apache".to_owned(), "github".to_owned(), "cnvd".to_owned()])
    );
    assert!(matches("2.15.0").iter().all(|(id, _)| id != "CVE-2021-44228"));
}

#[test]
fn sources_that_disagree_are_shown_but_not_acted_on() {
    let records = records();
    let index = Index::new(&records);
    let lookup = |version: &str| {
        index.lookup_purl(&format!("pkg:maven/org.apache.logging.log4j/log4j-core@{version}")).unwrap()
    };
    // CNVD's "2.0 - 2.15.0-rc1" has no gap for the 2.12.2 backport: the recorded
    // decision (Apache's ranges) says 2.12.2 is fixed, so no match for CVE-2021-44228.
    assert!(lookup("2.12.2").iter().all(|m| records[m.vulnerability].id != "CVE-2021-44228"));
    // GitHub's ranges start at 0; Apache's at 2.0-beta9: 2.0-beta8 matches nothing.
    assert_eq!(ids("2.0-beta8"), ["CVE-2021-45105", "CVE-2021-44832"]);
    // Where it matches, the sources that disagree are named, with who decided.
    let m = &lookup("2.0")[0];
    assert_eq!(records[m.vulnerability].id, "CVE-2021-44228");
    assert_eq!(m.sources, ["apache", "github", "cnvd"]);
    let m = &lookup("2.0-beta9")[0];
    assert_eq!(
        (m.sources.clone(), m.not_affected_per.clone()),
        (vec!["apache".to_owned(), "github".to_owned()], vec!["cnvd".to_owned()])
    );
    assert_eq!(m.decided_by, "MIIT analyst (analyst@nvdb.miit.example)");
}

#[test]
fn other_packages_do_not_match() {
    let index = Index::new(&records());
    assert!(index.lookup_purl("pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1").unwrap().is_empty());
    assert!(index.lookup_purl("pkg:npm/log4j-core@2.14.1").unwrap().is_empty());
    assert_eq!(index.size(), (1, 12));
}
