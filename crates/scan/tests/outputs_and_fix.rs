//! JSON, SARIF and CycloneDX outputs (CycloneDX validated against the official 1.6 schema
//! with its referenced schemas registered locally), OSV advisories, and `--fix`.

mod common;

use std::path::Path;

use common::*;
use vulnrelay_scan::fix::fix_report;
use vulnrelay_scan::source::Source;
use vulnrelay_scan::zipfile::ZipArchive;
use vulnrelay_scan::{Advisories, Limits, Options, output, scan};

fn schema_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../formats/schemas")
}

fn mixed_report(dir: &Path) -> vulnrelay_scan::Report {
    let patched = rebuild(&read("vulnerable/log4j-core-2.14.1.jar"), |n| !n.ends_with("JndiLookup.class"));
    let shaded = rebuild(&read("vulnerable/shaded-clt-1.0-SNAPSHOT.jar"), |n| {
        !n.starts_with("META-INF/maven/org.apache.logging.log4j/")
    });
    std::fs::write(dir.join("patched.jar"), patched).unwrap();
    std::fs::write(dir.join("shaded.jar"), shaded).unwrap();
    std::fs::write(dir.join("log4j-1.2.17.jar"), read("log4j1-or-old/log4j-1.2.17.jar")).unwrap();
    std::fs::write(dir.join("broken.jar"), b"PK\x03\x04garbage").unwrap();
    scan(&Options::new(vec![dir.to_path_buf()])).unwrap()
}

#[test]
fn json_report_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let report = mixed_report(dir.path());
    let v = serde_json::to_value(output::to_json(&report)).unwrap();
    let summary = &v["summary"];
    for key in ["files_scanned", "archives_scanned", "components", "affected", "errors", "elapsed_ms"] {
        assert!(summary[key].is_u64(), "summary.{key}");
    }
    assert_eq!(summary["errors"], 1);
    assert_eq!(v["errors"][0]["kind"], "corrupt-archive");
    let findings = v["findings"].as_array().unwrap();
    let patched = findings.iter().find(|f| f["path"].as_str().unwrap().ends_with("patched.jar")).unwrap();
    assert_eq!(patched["component"]["group"], "org.apache.logging.log4j");
    assert_eq!(patched["component"]["artifact"], "log4j-core");
    assert_eq!(patched["component"]["version"], "2.14.1");
    assert_eq!(patched["confidence"], "high");
    assert!(patched["evidence"].as_array().unwrap().iter().any(|e| e["kind"] == "pom.properties"));
    let v44228 =
        patched["vulnerabilities"].as_array().unwrap().iter().find(|x| x["id"] == "CVE-2021-44228").unwrap();
    assert_eq!(v44228["status"], "mitigated");
    assert_eq!(v44228["fixed_in"], serde_json::json!(["2.3.1", "2.12.2", "2.15.0"]));
    assert_eq!(report.exit_code(), 2, "errors win over findings");
}

/// Serves the schemas bom-1.6 references from the local copies; any other URI fails, so no
/// network is used.
struct LocalSchemas(Vec<(&'static str, serde_json::Value)>);

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        let wanted = uri.as_str().trim_end_matches('#');
        self.0
            .iter()
            .find(|(u, _)| *u == wanted)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("schema {wanted} is not available offline").into())
    }
}

#[test]
fn cyclonedx_validates_against_the_official_schema() {
    let dir = tempfile::tempdir().unwrap();
    let report = mixed_report(dir.path());
    let bom =
        serde_json::to_value(output::to_cyclonedx(&report, Some("2026-01-01T00:00:00Z".into()))).unwrap();
    let load = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(schema_dir().join("cyclonedx").join(name)).unwrap())
            .unwrap()
    };
    let schema = load("bom-1.6.schema.json");
    let validator = jsonschema::options()
        .with_retriever(LocalSchemas(vec![
            ("http://cyclonedx.org/schema/spdx.schema.json", load("spdx.schema.json")),
            ("http://cyclonedx.org/schema/jsf-0.82.schema.json", load("jsf-0.82.schema.json")),
        ]))
        .build(&schema)
        .unwrap();
    let errors: Vec<String> =
        validator.iter_errors(&bom).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(bom["components"].as_array().unwrap().len(), report.findings.len());
    let ids: Vec<&str> =
        bom["vulnerabilities"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"CVE-2021-44228") && ids.contains(&"CVE-2019-17571"));
    // The validator is not vacuous.
    let mut bad = bom.clone();
    bad["components"][0]["type"] = "not-a-type".into();
    assert!(!validator.is_valid(&bad));
}

#[test]
fn sarif_has_the_2_1_0_structure() {
    // No SARIF 2.1.0 schema file is available offline here; this checks the structural subset
    // the schema requires of what we write.
    let dir = tempfile::tempdir().unwrap();
    let report = mixed_report(dir.path());
    let v = serde_json::to_value(output::to_sarif(&report)).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().contains("sarif"));
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "vulnrelay");
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        assert!(rules.contains(&r["ruleId"].as_str().unwrap()));
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        assert!(r["message"]["text"].is_string());
        let loc = &r["locations"][0];
        assert!(loc["physicalLocation"]["artifactLocation"]["uri"].is_string());
        assert!(loc["logicalLocations"][0]["fullyQualifiedName"].is_string());
    }
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    assert_eq!(run["invocations"][0]["toolExecutionNotifications"].as_array().unwrap().len(), 1);
}

#[test]
fn osv_advisories_match_any_maven_component() {
    let dir = tempfile::tempdir().unwrap();
    let jar = ZipBuilder::new()
        .add(
            "META-INF/maven/com.example/widget/pom.properties",
            b"groupId=com.example\nartifactId=widget\nversion=1.4.0-beta2\n",
            false,
        )
        .build();
    std::fs::write(dir.path().join("widget.jar"), jar).unwrap();
    let adv = dir.path().join("advisories");
    std::fs::create_dir(&adv).unwrap();
    std::fs::write(
        adv.join("GHSA-test.json"),
        r#"{"id": "GHSA-xxxx-yyyy-zzzz", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2099-0001"],
            "affected": [{"package": {"ecosystem": "Maven", "name": "com.example:widget"},
              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.4.0"}]}]}]}"#,
    )
    .unwrap();
    let mut advisories = Advisories::builtin();
    assert_eq!(advisories.load_path(&adv).unwrap(), 1);
    let mut opts = Options::new(vec![dir.path().join("widget.jar")]);
    opts.advisories = advisories;
    let r = scan(&opts).unwrap();
    let f = &r.findings[0];
    assert_eq!(verdicts(f), [("CVE-2099-0001".into(), "affected")], "1.4.0-beta2 < 1.4.0");
    assert_eq!(f.vulnerabilities[0].sources, ["GHSA-xxxx-yyyy-zzzz"]);
    assert_eq!(f.vulnerabilities[0].fixed_in, ["1.4.0"]);
    assert!(Advisories::builtin().load_path(&dir.path().join("widget.jar")).is_err());

    // More records: a second one for the same CVE (merged), one naming the version in a list
    // under a repository-qualified ecosystem, and three that must not match: withdrawn, another
    // group with the same artifact, and a range the version lies above.
    let record = |id: &str, extra: &str, affected: &str| {
        format!(r#"{{"id": "{id}", "modified": "2024-01-01T00:00:00Z"{extra}, "affected": [{affected}]}}"#)
    };
    let range = |name: &str, events: &str| {
        format!(
            r#"{{"package": {{"ecosystem": "Maven", "name": "{name}"}}, "ranges": [{{"type": "ECOSYSTEM", "events": [{events}]}}]}}"#
        )
    };
    for (file, text) in [
        (
            "GHSA-second.json",
            record(
                "GHSA-second",
                r#", "aliases": ["CVE-2099-0001"]"#,
                &range("com.example:widget", r#"{"introduced": "0"}, {"fixed": "1.4.1"}"#),
            ),
        ),
        (
            "listed.json",
            record(
                "CVE-2099-0002",
                "",
                r#"{"package": {"ecosystem": "Maven:https://repo1.maven.org/maven2/", "name": "com.example:widget"}, "versions": ["1.3", "1.4.0-beta2"]}"#,
            ),
        ),
        (
            "withdrawn.json",
            record(
                "CVE-2099-0003",
                r#", "withdrawn": "2024-02-01T00:00:00Z""#,
                &range("com.example:widget", r#"{"introduced": "0"}"#),
            ),
        ),
        (
            "other-group.json",
            record("CVE-2099-0004", "", &range("org.other:widget", r#"{"introduced": "0"}"#)),
        ),
        (
            "below.json",
            record(
                "CVE-2099-0005",
                "",
                &range("com.example:widget", r#"{"introduced": "0"}, {"last_affected": "1.3.9"}"#),
            ),
        ),
    ] {
        std::fs::write(adv.join(file), text).unwrap();
    }
    let mut advisories = Advisories::builtin();
    assert_eq!(advisories.load_path(&adv).unwrap(), 6);
    opts.advisories = advisories;
    let r = scan(&opts).unwrap();
    let f = &r.findings[0];
    assert_eq!(
        verdicts(f),
        [("CVE-2099-0001".into(), "affected"), ("CVE-2099-0002".into(), "affected")],
        "{:?}",
        f.vulnerabilities
    );
    assert_eq!(f.vulnerabilities[0].sources, ["GHSA-second", "GHSA-xxxx-yyyy-zzzz"]);
    assert_eq!(f.vulnerabilities[0].fixed_in, ["1.4.1", "1.4.0"]);
}

/// Raw bytes (local header + data) and method of every entry, by name.
fn raw_entries(bytes: &[u8]) -> Vec<(String, u16, u16, Vec<u8>)> {
    let zip = ZipArchive::open(Source::memory(bytes.to_vec()), &Limits::default()).unwrap();
    zip.entries()
        .iter()
        .map(|e| {
            let (start, window) = zip.data_window(e).unwrap();
            let data = window.read_vec(0, window.len() as usize).unwrap();
            let _ = start;
            (zip.name(e).to_owned(), e.method, e.flags, data)
        })
        .collect()
}

#[test]
fn fix_removes_jndilookup_at_every_depth_and_keeps_everything_else() {
    let dir = tempfile::tempdir().unwrap();
    let core = read("vulnerable/log4j-core-2.14.1.jar");
    let fixed_core = read("not-vulnerable/log4j-core-2.17.1.jar");
    // A signed inner jar (changes) and a signed sibling (unchanged).
    let signed_core = {
        let mut b = ZipBuilder::new();
        for (n, d, s) in entries_of(&core) {
            if !n.ends_with('/') {
                b = b.add(&n, &d, s);
            }
        }
        b.add("META-INF/SIGNER.SF", b"sig", false).add("META-INF/SIGNER.RSA", b"rsa", false).build()
    };
    let signed_sibling = ZipBuilder::new()
        .add("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n", false)
        .add("META-INF/OTHER.SF", b"sig", false)
        .build();
    let war = ZipBuilder::new().add("WEB-INF/lib/log4j-core-2.14.1.jar", &core, false).build();
    let stored_with_descriptor = Item {
        name: b"BOOT-INF/lib/readme.bin".to_vec(),
        data: b"stored entry that came with a data descriptor".repeat(3),
        stored: true,
        descriptor: true,
        encrypted: false,
    };
    let app = ZipBuilder::new()
        .prefix(b"#!/bin/sh\nexec java -jar \"$0\"\n")
        .add("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n", false)
        .add("BOOT-INF/lib/log4j-core-2.14.1.jar", &signed_core, true)
        .add("BOOT-INF/lib/log4j-core-2.17.1.jar", &fixed_core, true)
        .add("BOOT-INF/lib/signed-other.jar", &signed_sibling, true)
        .add("BOOT-INF/lib/web.war", &war, false)
        .add_item(stored_with_descriptor)
        .add("META-INF/APP.SF", b"outer signature", false)
        .build();
    let path = dir.path().join("app.jar");
    std::fs::write(&path, &app).unwrap();
    let original = app.clone();

    let report = scan(&Options::new(vec![path.clone()])).unwrap();
    let (fixes, errors) = fix_report(&report, true, &Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(fixes.len(), 1);
    let removed = &fixes[0].removed;
    for expected in [
        "!/BOOT-INF/lib/log4j-core-2.14.1.jar!/org/apache/logging/log4j/core/lookup/JndiLookup.class",
        "!/BOOT-INF/lib/log4j-core-2.14.1.jar!/META-INF/SIGNER.SF",
        "!/BOOT-INF/lib/web.war!/WEB-INF/lib/log4j-core-2.14.1.jar!/org/apache/logging/log4j/core/lookup/JndiLookup.class",
        "!/META-INF/APP.SF",
    ] {
        assert!(removed.iter().any(|r| r.ends_with(expected)), "{expected} in {removed:#?}");
    }
    let backup = fixes[0].backup.clone().unwrap();
    assert_eq!(std::fs::read(&backup).unwrap(), original, "backup is the original");

    let new = std::fs::read(&path).unwrap();
    assert!(new.starts_with(b"#!/bin/sh\nexec java -jar \"$0\"\n"), "executable prefix kept");
    vulnrelay_scan::fix::verify(Source::memory(new.clone()), &Limits::default()).unwrap();
    let before = raw_entries(&original);
    let after = raw_entries(&new);
    let after_names: Vec<&str> = after.iter().map(|e| e.0.as_str()).collect();
    assert!(!after_names.contains(&"META-INF/APP.SF"));
    for (name, method, _, data) in &before {
        if name == "META-INF/APP.SF" {
            continue;
        }
        let (_, m2, flags2, d2) = after.iter().find(|e| &e.0 == name).unwrap();
        assert_eq!(method, m2, "{name}: compression method kept");
        if *m2 == 0 {
            assert_eq!(flags2 & 8, 0, "{name}: STORED without data descriptor");
        }
        let changed = name.ends_with("log4j-core-2.14.1.jar") || name.ends_with("web.war");
        if !changed {
            assert_eq!(data, d2, "{name}: byte for byte");
        }
    }
    // Inner jars: JndiLookup gone, signatures of the changed jar gone, sibling untouched.
    let inner = |name: &str| -> Vec<u8> {
        let zip = ZipArchive::open(Source::memory(new.clone()), &Limits::default()).unwrap();
        let e = zip.entries().iter().find(|e| zip.name(e) == name).unwrap();
        zip.read_entry(e, u64::MAX >> 1).unwrap()
    };
    let core_after = entries_of(&inner("BOOT-INF/lib/log4j-core-2.14.1.jar"));
    assert!(
        core_after
            .iter()
            .all(|e| !e.0.ends_with("JndiLookup.class") && !e.0.ends_with(".SF") && !e.0.ends_with(".RSA"))
    );
    assert_eq!(core_after.len(), entries_of(&signed_core).len() - 3);
    assert!(entries_of(&inner("BOOT-INF/lib/signed-other.jar")).iter().any(|e| e.0 == "META-INF/OTHER.SF"));

    // Rescan: mitigated everywhere; second fix run changes nothing.
    let report = scan(&Options::new(vec![path.clone()])).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let cores: Vec<_> =
        report.findings.iter().filter(|f| f.component.version.as_deref() == Some("2.14.1")).collect();
    assert_eq!(cores.len(), 2);
    for f in cores {
        assert_eq!(verdicts(f)[0], ("CVE-2021-44228".into(), "mitigated"));
        assert!(!f.needs_fix());
    }
    let (fixes, errors) = fix_report(&report, true, &Limits::default());
    assert!(fixes.is_empty() && errors.is_empty());
    assert_eq!(std::fs::read(&path).unwrap(), new, "second run is a no-op");
}

#[test]
fn fix_without_backup_and_on_disk_trees() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log4j-core-2.14.1.jar");
    std::fs::write(&path, read("vulnerable/log4j-core-2.14.1.jar")).unwrap();
    let class = dir.path().join("tree/org/apache/logging/log4j/core/lookup/JndiLookup.class");
    let manager = dir.path().join("tree/org/apache/logging/log4j/core/net/JndiManager.class");
    for (name, data, _) in entries_of(&read("vulnerable/log4j-core-2.10.0.jar")) {
        let target = if name.ends_with("core/lookup/JndiLookup.class") {
            &class
        } else if name.ends_with("core/net/JndiManager.class") {
            &manager
        } else {
            continue;
        };
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, data).unwrap();
    }
    let report = scan(&Options::new(vec![dir.path().to_path_buf()])).unwrap();
    let (fixes, errors) = fix_report(&report, false, &Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(fixes.len(), 2);
    assert!(fixes.iter().all(|f| f.backup.is_none()));
    assert!(!class.exists());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.iter().filter(|n| n.contains("backup")).count(), 0, "{names:?}");
    let report = scan(&Options::new(vec![dir.path().to_path_buf()])).unwrap();
    assert!(report.findings.iter().all(|f| !f.needs_fix()));
    assert!(
        report.findings.iter().all(|f| f.vulnerabilities.iter().any(|v| v.status.as_str() == "mitigated"))
    );
}
