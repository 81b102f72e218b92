//! JSON, SARIF and CycloneDX outputs (CycloneDX validated against the official 1.6 schema
//! with its referenced schemas registered locally), OSV advisories, and `--fix`.

use std::path::Path;

use crate::common::*;
use vulnrelay_formats::schemas::{Schema, validate};
use vulnrelay_scan::fix::fix_report;
use vulnrelay_scan::source::Source;
use vulnrelay_scan::zipfile::ZipArchive;
use vulnrelay_scan::{Advisories, Limits, Options, output, scan};

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

/// A vulnerable log4j-core three archives deep (ear → war → jar), none of the outer two
/// a component of its own.
fn nested_ear(dir: &Path) {
    let war = ZipBuilder::new()
        .add("WEB-INF/lib/log4j-core-2.14.1.jar", &read("vulnerable/log4j-core-2.14.1.jar"), true)
        .build();
    let ear = ZipBuilder::new().add("web.war", &war, true).build();
    std::fs::write(dir.join("app.ear"), ear).unwrap();
}

fn find_component<'a>(
    components: &'a [serde_json::Value],
    occurrence_suffix: &str,
) -> Option<&'a serde_json::Value> {
    components.iter().find_map(|c| {
        let here = c["evidence"]["occurrences"][0]["location"]
            .as_str()
            .is_some_and(|l| l.ends_with(occurrence_suffix));
        if here {
            Some(c)
        } else {
            find_component(c["components"].as_array().map(Vec::as_slice).unwrap_or(&[]), occurrence_suffix)
        }
    })
}

#[test]
fn cyclonedx_validates_nests_components_and_rates_vulnerabilities() {
    let dir = tempfile::tempdir().unwrap();
    nested_ear(dir.path());
    let report = mixed_report(dir.path());
    let bom = serde_json::to_value(output::to_cyclonedx(
        &report,
        &Advisories::builtin(),
        Some("2026-01-01T00:00:00Z".into()),
    ))
    .unwrap();
    let errors = validate(Schema::CycloneDx, &bom);
    assert!(errors.is_empty(), "{errors:#?}");
    // The validator is not vacuous.
    let mut bad = bom.clone();
    bad["components"][0]["type"] = "not-a-type".into();
    assert!(!validate(Schema::CycloneDx, &bad).is_empty());
    // The nested copy sits under the war, which sits under the ear; `dependencies` says so.
    let components = bom["components"].as_array().unwrap();
    let ear = find_component(components, "app.ear").expect("the ear is a component");
    assert_eq!(ear["type"], "file");
    let war = &ear["components"][0];
    assert_eq!((war["type"].as_str(), war["name"].as_str()), (Some("file"), Some("web.war")), "{ear:#}");
    let core = &war["components"][0];
    assert_eq!(core["name"], "log4j-core");
    assert!(
        core["evidence"]["occurrences"][0]["location"]
            .as_str()
            .unwrap()
            .ends_with("app.ear!/web.war!/WEB-INF/lib/log4j-core-2.14.1.jar")
    );
    let depends_on = |reference: &serde_json::Value| -> Vec<String> {
        bom["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ref"] == *reference)
            .map(|d| {
                d["dependsOn"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|x| x.as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(depends_on(&ear["bom-ref"]), [war["bom-ref"].as_str().unwrap()]);
    assert_eq!(depends_on(&war["bom-ref"]), [core["bom-ref"].as_str().unwrap()]);
    // Every component of the report is in the tree once.
    fn count(components: &[serde_json::Value]) -> usize {
        components.iter().filter(|c| c["type"] == "library").count()
            + components
                .iter()
                .map(|c| count(c["components"].as_array().map(Vec::as_slice).unwrap_or(&[])))
                .sum::<usize>()
    }
    assert_eq!(count(components), report.findings.len());
    // The copy without JndiLookup.class is not affected (code not present); the nested one
    // is exploitable; both carry the CVSS rating and CWEs of the record.
    let vulns = bom["vulnerabilities"].as_array().unwrap();
    let of = |id: &str, state: &str| {
        vulns
            .iter()
            .find(|v| v["id"] == id && v["analysis"]["state"] == state)
            .unwrap_or_else(|| panic!("{id} {state}: {vulns:#?}"))
    };
    let exploitable = of("CVE-2021-44228", "exploitable");
    assert!(exploitable["affects"].as_array().unwrap().iter().any(|a| a["ref"] == core["bom-ref"]));
    let not_affected = of("CVE-2021-44228", "not_affected");
    assert_eq!(not_affected["analysis"]["justification"], "code_not_present");
    assert!(not_affected["analysis"]["detail"].as_str().unwrap().contains("JndiLookup.class"));
    assert!(!not_affected["affects"].as_array().unwrap().iter().any(|a| a["ref"] == core["bom-ref"]));
    for v in [exploitable, not_affected] {
        assert_eq!(v["ratings"][0]["score"], 10.0);
        assert_eq!(v["ratings"][0]["severity"], "critical");
        assert_eq!(v["ratings"][0]["method"], "CVSSv31");
        assert_eq!(v["ratings"][0]["vector"], "AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H");
        assert_eq!(v["cwes"], serde_json::json!([502, 400, 20]));
    }
    assert!(of("CVE-2019-17571", "exploitable")["ratings"].as_array().is_none(), "no score is made up");
}

#[test]
fn sarif_validates_against_the_2_1_0_schema_and_ranks_by_severity() {
    let dir = tempfile::tempdir().unwrap();
    nested_ear(dir.path());
    let mut report = mixed_report(dir.path());
    let log = serde_json::to_value(output::to_sarif(&report, &Advisories::builtin(), None)).unwrap();
    let errors = validate(Schema::Sarif, &log);
    assert!(errors.is_empty(), "{errors:#?}");
    let mut bad = log.clone();
    bad["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validate(Schema::Sarif, &bad).is_empty(), "the validator is not vacuous");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "vulnrelay");
    assert!(run["tool"]["driver"].get("informationUri").is_none(), "no made-up home page");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let rule = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("no rule {id}"));
    assert_eq!(rule("CVE-2021-44228")["properties"]["security-severity"], "10.0");
    assert_eq!(rule("CVE-2021-44832")["properties"]["security-severity"], "6.6");
    assert_eq!(
        rule("CVE-2021-44228")["properties"]["tags"],
        serde_json::json!(["security", "CWE-502", "CWE-400", "CWE-20"])
    );
    assert!(rule("CVE-2019-17571")["properties"].get("security-severity").is_none(), "no score is made up");
    let results = run["results"].as_array().unwrap();
    let result = |path_end: &str, id: &str| {
        results
            .iter()
            .find(|r| {
                r["ruleId"] == id
                    && r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                        .as_str()
                        .unwrap()
                        .ends_with(path_end)
            })
            .unwrap_or_else(|| panic!("no {id} at {path_end}"))
    };
    // Levels follow the status; the nested path is the logical location, the file on disk
    // the physical one, as an absolute file URI.
    assert_eq!(result("patched.jar", "CVE-2021-44228")["level"], "note");
    let nested = result("app.ear!/web.war!/WEB-INF/lib/log4j-core-2.14.1.jar", "CVE-2021-44228");
    assert_eq!(nested["level"], "error");
    let uri = nested["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
    assert!(uri.starts_with("file:///") && uri.ends_with("/app.ear"), "{uri}");
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    assert_eq!(run["invocations"][0]["toolExecutionNotifications"].as_array().unwrap().len(), 1);
    // A path given relative to where the scan ran resolves against SCANROOT.
    for f in &mut report.findings {
        f.file = Path::new("build/libs").join(f.file.file_name().unwrap());
    }
    let log = serde_json::to_value(output::to_sarif(
        &report,
        &Advisories::builtin(),
        Some(Path::new("/srv/my app")),
    ))
    .unwrap();
    assert!(validate(Schema::Sarif, &log).is_empty());
    let run = &log["runs"][0];
    assert_eq!(run["originalUriBaseIds"]["SCANROOT"]["uri"], "file:///srv/my%20app/");
    let location = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(location["uriBaseId"], "SCANROOT");
    assert!(location["uri"].as_str().unwrap().starts_with("build/libs/"), "{location}");
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

/// The built-in CWE ids and CVSS vectors are the published CVE records' own: the CNA's
/// `problemTypes`, and the score of CISA's ADP container where there is one.
#[test]
fn builtin_facts_are_the_published_cve_records() {
    let records = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/examples/cve");
    for (id, vector, cwes) in vulnrelay_scan::advisory::BUILTIN_FACTS {
        let text = std::fs::read_to_string(records.join(format!("{id}.json"))).unwrap();
        let record: serde_json::Value = serde_json::from_str(&text).unwrap();
        let containers = &record["containers"];
        let listed: Vec<&str> = containers["cna"]["problemTypes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["descriptions"].as_array().unwrap())
            .filter_map(|d| d["cweId"].as_str())
            .collect();
        assert_eq!(listed, cwes, "{id}");
        let scored: Vec<&str> = containers["adp"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|adp| adp["metrics"].as_array().into_iter().flatten())
            .filter_map(|m| m["cvssV3_1"]["vectorString"].as_str())
            .collect();
        assert_eq!(scored.first().copied(), vector, "{id}");
    }
}
