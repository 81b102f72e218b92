//! `vulnrelay import` and `vulnrelay export` end to end, and the OSV export feeding
//! `vulnrelay scan --advisories`.

use crate::common;

use assert_cmd::Command;
use serde_json::Value;

fn vulnrelay(args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("vulnrelay")
        .unwrap()
        .current_dir(common::workspace())
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn import_shows_every_source_with_grades() {
    let (code, stdout, stderr) = vulnrelay(&[
        "import",
        "examples/log4shell-records.json",
        "testdata/examples/cve/CVE-2021-44228.json",
        "testdata/examples/csaf/cisco-sa-20180328-smi2.json",
    ]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert!(stdout.contains("CVE-2021-44228 (CNVD-2021-95914, CNNVD-202112-799"), "{stdout}");
    assert!(stdout.contains("score apache      5.9 MEDIUM   CNVD 中 CNNVD 中危"), "{stdout}");
    assert!(stdout.contains("score github      8.6 HIGH     CNVD 高 CNNVD 高危"), "{stdout}");
    assert!(stdout.contains("cisco-sa-20180328-smi2.json: CSAF 2.0 (1 record)"), "{stdout}");
}

#[test]
fn import_of_a_broken_document_exits_2_naming_paths() {
    let dir = tempfile::tempdir().unwrap();
    let mut record: Value = serde_json::from_str(
        &std::fs::read_to_string(common::workspace().join("testdata/examples/cve/CVE-2021-4104.json"))
            .unwrap(),
    )
    .unwrap();
    record["containers"]["cna"]["affected"] = serde_json::json!("everything");
    let path = dir.path().join("broken.json");
    std::fs::write(&path, record.to_string()).unwrap();
    let (code, _, stderr) = vulnrelay(&["import", path.to_str().unwrap(), "examples/log4shell-records.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("$.containers.cna.affected"), "{stderr}");
}

#[test]
fn export_writes_each_format_and_refuses_unknown_ids() {
    for format in ["cve", "csaf", "osv", "record"] {
        let (code, stdout, stderr) = vulnrelay(&[
            "export",
            "--format",
            format,
            "--records",
            "examples/log4shell-records.json",
            "CVE-2021-44228",
        ]);
        assert_eq!(code, 0, "{format}: {stderr}");
        let document: Value = serde_json::from_str(&stdout).unwrap();
        assert!(stdout.contains("CVE-2021-44228"), "{format}");
        assert!(document.is_object() || document.is_array());
    }
    let (code, _, stderr) =
        vulnrelay(&["export", "--format", "cve", "--records", "examples/log4shell-records.json", "VR-9"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no record VR-9"), "{stderr}");
}

#[test]
fn the_osv_export_is_one_document_per_id_and_drives_the_scanner() {
    // Several records are never one JSON array: one file per id.
    let (code, stdout, stderr) =
        vulnrelay(&["export", "--format", "osv", "--records", "examples/log4shell-records.json"]);
    assert_eq!(code, 2, "{stdout}");
    assert!(stderr.contains("--out-dir"), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let advisories = dir.path().join("osv");
    let (code, _, stderr) = vulnrelay(&[
        "export",
        "--format",
        "osv",
        "--records",
        "examples/log4shell-records.json",
        "--out-dir",
        advisories.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let mut names: Vec<String> = std::fs::read_dir(&advisories)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["CVE-2021-44228.json", "CVE-2021-44832.json", "CVE-2021-45046.json", "CVE-2021-45105.json"]
    );
    for name in &names {
        let document: Value = serde_json::from_slice(&std::fs::read(advisories.join(name)).unwrap()).unwrap();
        assert!(document.is_object(), "{name}");
        assert_eq!(format!("{}.json", document["id"].as_str().unwrap()), *name);
    }
    // A CSAF document with two vulnerabilities: one OSV document per id.
    let csaf_dir = dir.path().join("rhsa");
    let (code, _, stderr) = vulnrelay(&[
        "export",
        "--format",
        "osv",
        "--records",
        "testdata/examples/csaf/rhsa-2021_5186.json",
        "--out-dir",
        csaf_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read_dir(&csaf_dir).unwrap().count(), 2);
    let jar = common::workspace().join("testdata/jars/log4j/vulnerable/log4j-core-2.14.1.jar");
    let (code, stdout, stderr) = vulnrelay(&[
        "scan",
        jar.to_str().unwrap(),
        "--advisories",
        advisories.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("CVE-2021-44228"), "{stdout}");
}

#[test]
fn the_scanners_sbom_is_an_inventory_the_matcher_warns_on() {
    let jar = common::workspace().join("testdata/jars/log4j/vulnerable/log4j-core-2.14.1.jar");
    let fixed = common::workspace().join("testdata/jars/log4j/not-vulnerable/log4j-core-2.17.1.jar");
    let (code, stdout, stderr) =
        vulnrelay(&["scan", jar.to_str().unwrap(), fixed.to_str().unwrap(), "--format", "cyclonedx"]);
    assert_eq!(code, 1, "{stderr}");
    let bom: Value = serde_json::from_str(&stdout).unwrap();
    let components = vulnrelay_formats::sbom::parse(&bom).unwrap();
    let records = vulnrelay_formats::record::parse_all(
        &std::fs::read_to_string(common::workspace().join("examples/log4shell-records.json")).unwrap(),
    )
    .unwrap();
    let index = vulnrelay_match::Index::new(&records);
    let mut warned: Vec<(String, String)> = Vec::new();
    for component in &components {
        let Some(purl) = &component.purl else { continue };
        for m in index.lookup_purl(purl).unwrap_or_default() {
            warned.push((component.version.clone().unwrap_or_default(), records[m.vulnerability].id.clone()));
        }
    }
    assert!(warned.contains(&("2.14.1".to_owned(), "CVE-2021-44228".to_owned())), "{warned:?}");
    assert!(warned.iter().all(|(version, _)| version != "2.17.1"), "{warned:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_exports_by_case_or_record_and_its_osv_zip_drives_the_scanner() {
    use vulnrelay_formats::schemas::{Schema, validate};
    let db = vulnrelay_store::testing::TestDb::sqlite().await;
    let demo = vulnrelay_server::demo::load(&db.store).await.unwrap();
    let url = db.url.clone();
    // A case id exports all its records in one CSAF advisory.
    let (code, stdout, stderr) =
        vulnrelay(&["export", "--database", &url, "--format", "csaf", &demo.case_id]);
    assert_eq!(code, 0, "{stderr}");
    let csaf: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(validate(Schema::Csaf, &csaf), []);
    assert_eq!(csaf["vulnerabilities"].as_array().unwrap().len(), 4);
    // Any alias finds its record.
    let (code, stdout, stderr) =
        vulnrelay(&["export", "--database", &url, "--format", "cve", "CNVD-2021-95914"]);
    assert_eq!(code, 0, "{stderr}");
    let cve: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(cve["cveMetadata"]["cveId"], "CVE-2021-44228");
    let (code, _, stderr) = vulnrelay(&["export", "--database", &url, "--format", "osv", "CVE-1999-0001"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no record or case CVE-1999-0001"), "{stderr}");
    // The platform's OSV zip is an advisory source for the scanner.
    let state = vulnrelay_server::AppState::new(db.store.clone(), vulnrelay_server::Config::default());
    let zip =
        vulnrelay_server::distribution::public_snapshot(&state).await.unwrap().osv_zip().unwrap().to_vec();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("osv-all.zip");
    std::fs::write(&path, &zip).unwrap();
    let jar = common::workspace().join("testdata/jars/log4j/vulnerable/log4j-core-2.14.1.jar");
    let (code, stdout, stderr) = vulnrelay(&[
        "scan",
        jar.to_str().unwrap(),
        "--advisories",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{stderr}");
    for cve in ["CVE-2021-44228", "CVE-2021-45046", "CVE-2021-45105", "CVE-2021-44832"] {
        assert!(stdout.contains(cve), "{cve}: {stdout}");
    }
    // `vulnrelay import` reads the platform's own zip, entry by entry.
    let (code, stdout, stderr) = vulnrelay(&["import", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    for id in ["CVE-2021-44228", "CVE-2021-45046", "CVE-2021-45105", "CVE-2021-44832"] {
        assert!(stdout.contains(&format!("osv-all.zip!/{id}.json: OSV (1 record)")), "{id}: {stdout}");
    }
    // A broken zip is an error, not an empty advisory set.
    std::fs::write(&path, &zip[..zip.len() / 2]).unwrap();
    let (code, _, stderr) =
        vulnrelay(&["scan", jar.to_str().unwrap(), "--advisories", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
}

/// The truth table of testdata/jars/log4j/README.md: per jar (its path under
/// `testdata/jars/log4j`), the log4j-core CVEs it is affected by.
fn jar_truth_table() -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(common::workspace().join("testdata/jars/log4j/README.md")).unwrap();
    let all: Vec<String> =
        ["44228", "45046", "45105", "44832"].iter().map(|n| format!("CVE-2021-{n}")).collect();
    let mut out = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 || !cells[1].ends_with(".jar") {
            continue;
        }
        let expected = cells[3];
        let cves: Vec<String> = if expected == "all four" {
            all.clone()
        } else {
            all.iter().filter(|cve| expected.contains(&cve["CVE-2021-".len()..])).cloned().collect()
        };
        out.push((cells[1].to_owned(), cves));
    }
    assert_eq!(out.len(), 19, "{out:?}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanning_the_reference_jars_with_the_platforms_osv_zip_gives_the_truth_table() {
    let db = vulnrelay_store::testing::TestDb::sqlite().await;
    vulnrelay_server::demo::load(&db.store).await.unwrap();
    let state = vulnrelay_server::AppState::new(db.store.clone(), vulnrelay_server::Config::default());
    let zip =
        vulnrelay_server::distribution::public_snapshot(&state).await.unwrap().osv_zip().unwrap().to_vec();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("osv-all.zip");
    std::fs::write(&path, &zip).unwrap();
    let jars = common::workspace().join("testdata/jars/log4j");
    let (code, stdout, stderr) = vulnrelay(&[
        "scan",
        jars.to_str().unwrap(),
        "--advisories",
        path.to_str().unwrap(),
        "--format",
        "json",
        "--quiet",
    ]);
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    for (jar, truth) in jar_truth_table() {
        let four = ["CVE-2021-44228", "CVE-2021-45046", "CVE-2021-45105", "CVE-2021-44832"];
        // (every verdict, the verdicts the platform's zip gives), for the log4j-core CVEs.
        let mut every: Vec<String> = Vec::new();
        let mut from_zip: Vec<String> = Vec::new();
        let outer = |f: &&Value| {
            let path = f["path"].as_str().unwrap();
            path.split("!/").next().unwrap().ends_with(&format!("/{jar}"))
        };
        let found: Vec<&Value> = findings.iter().filter(outer).collect();
        assert!(!found.is_empty() || truth.is_empty(), "{jar}: not found in {stdout}");
        for finding in found {
            for v in finding["vulnerabilities"].as_array().unwrap() {
                let id = v["id"].as_str().unwrap().to_owned();
                if !four.contains(&id.as_str()) {
                    continue;
                }
                let sources: Vec<&str> =
                    v["sources"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
                if sources.iter().any(|s| *s != "builtin") && !from_zip.contains(&id) {
                    from_zip.push(id.clone());
                }
                if !every.contains(&id) {
                    every.push(id);
                }
            }
        }
        every.sort();
        from_zip.sort();
        let mut truth = truth;
        truth.sort();
        assert_eq!(every, truth, "{jar}: every verdict");
        assert_eq!(from_zip, truth, "{jar}: the verdicts of the platform's all.zip");
    }
}
