//! Every real jar of `reference/jars/log4j` against the truth table in its README, with and
//! without its pom.properties (fingerprint dating).

use crate::common::*;

/// Expected CVE ids per file, parsed from the README's table.
fn truth_table() -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(jars().join("README.md")).unwrap();
    let mut rows = Vec::new();
    for line in readme.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 || !cells[1].ends_with(".jar") {
            continue;
        }
        let file = cells[1].to_owned();
        let expected = cells[3];
        let ids: Vec<String> = if expected.starts_with("all four") {
            ALL4.iter().map(|s| s.to_string()).collect()
        } else if expected.starts_with("none") {
            Vec::new()
        } else if expected.starts_with("log4j 1.x CVEs") {
            // The classes present decide; 1.2.17 has all five (checked below from its entries).
            let names: Vec<String> = entries_of(&read(&file)).into_iter().map(|e| e.0).collect();
            let mut v = Vec::new();
            for (cve, class) in [
                ("CVE-2019-17571", "org/apache/log4j/net/SocketServer.class"),
                ("CVE-2021-4104", "org/apache/log4j/net/JMSAppender.class"),
                ("CVE-2022-23302", "org/apache/log4j/net/JMSSink.class"),
                ("CVE-2022-23305", "org/apache/log4j/jdbc/JDBCAppender.class"),
                ("CVE-2022-23307", "org/apache/log4j/chainsaw/"),
            ] {
                if names.iter().any(|n| n.starts_with(class)) {
                    v.push(cve.to_owned());
                }
            }
            assert_eq!(v.len(), 5);
            v
        } else {
            expected
                .split([',', ' '])
                .filter(|t| t.chars().all(|c| c.is_ascii_digit()) && !t.is_empty())
                .map(|n| format!("CVE-2021-{n}"))
                .collect()
        };
        let mut ids = ids;
        ids.sort();
        rows.push((file, ids));
    }
    assert_eq!(rows.len(), 19, "README table rows");
    rows
}

#[test]
fn every_real_jar_matches_the_truth_table() {
    for (file, expected) in truth_table() {
        let report = scan_paths(&[&jar(&file)]);
        assert!(report.errors.is_empty(), "{file}: {:?}", report.errors);
        let mut got: Vec<String> = report.findings.iter().flat_map(cves).collect();
        got.sort();
        got.dedup();
        assert_eq!(got, expected, "{file}");
        for f in &report.findings {
            for v in &f.vulnerabilities {
                assert_eq!(v.status.as_str(), "affected", "{file} {}", v.id);
            }
        }
        let code = report.exit_code();
        assert_eq!(code, if expected.is_empty() { 0 } else { 1 }, "{file}");
    }
}

#[test]
fn versions_and_confidence_from_pom_properties() {
    for (file, version) in [
        ("vulnerable/log4j-core-2.0-beta9.jar", "2.0-beta9"),
        ("vulnerable/shaded-clt-1.0-SNAPSHOT.jar", "2.14.1"),
        ("not-vulnerable/log4j-core-2.17.1.jar", "2.17.1"),
    ] {
        let r = scan_paths(&[&jar(file)]);
        let f = core_finding(&r);
        assert_eq!(f.component.version.as_deref(), Some(version));
        assert_eq!(f.component.group.as_deref(), Some("org.apache.logging.log4j"));
        assert_eq!(f.confidence.as_str(), "high");
        assert!(f.evidence.iter().any(|e| e.kind.as_str() == "pom.properties"));
    }
    let shaded = scan_paths(&[&jar("vulnerable/shaded-clt-1.0-SNAPSHOT.jar")]);
    let artifacts: Vec<&str> = shaded.findings.iter().map(|f| f.component.artifact.as_str()).collect();
    for a in ["clt", "slf4j-api", "slf4j-nop", "log4j-core"] {
        assert!(artifacts.contains(&a), "uber jar: every pom.properties is a component: {artifacts:?}");
    }
    let core = core_finding(&shaded);
    assert!(core.evidence.iter().any(|e| e.detail == "clt/shaded/l/core/lookup/JndiLookup.class"));
}

#[test]
fn fingerprints_date_every_core_jar_without_pom_properties() {
    let dir = tempfile::tempdir().unwrap();
    for (file, expected) in truth_table() {
        let name = file.rsplit('/').next().unwrap();
        let Some(version) = name.strip_prefix("log4j-core-").and_then(|s| s.strip_suffix(".jar")) else {
            continue;
        };
        let stripped = rebuild(&read(&file), |n| !n.starts_with("META-INF/maven/"));
        // Renamed so the file name cannot help.
        let report = scan_bytes(dir.path(), &format!("stripped-{version}.bin"), &stripped);
        assert!(report.errors.is_empty(), "{file}: {:?}", report.errors);
        let cores: Vec<_> = report.findings.iter().filter(|f| f.component.artifact == "log4j-core").collect();
        assert_eq!(cores.len(), 1, "{file}");
        let f = cores[0];
        assert_eq!(f.component.version.as_deref(), Some(version), "{file} dated by fingerprint");
        assert_eq!(f.confidence.as_str(), "high");
        assert!(f.evidence.iter().any(|e| e.kind.as_str() == "fingerprint"));
        assert_eq!(cves(f), expected, "{file}");
    }
}

#[test]
fn fingerprint_table_matches_the_real_jars() {
    use sha2::{Digest, Sha256};
    let mut checked = 0;
    for (file, _) in truth_table() {
        let name = file.rsplit('/').next().unwrap();
        let Some(version) = name.strip_prefix("log4j-core-").and_then(|s| s.strip_suffix(".jar")) else {
            continue;
        };
        for (entry, data, _) in entries_of(&read(&file)) {
            for class in vulnrelay_scan::log4j::FINGERPRINT_CLASSES {
                if entry == format!("org/apache/logging/log4j/{class}") {
                    let hash: String = Sha256::digest(&data).iter().map(|b| format!("{b:02x}")).collect();
                    let row = vulnrelay_scan::log4j::FINGERPRINTS
                        .iter()
                        .find(|(c, h, _)| *c == class && *h == hash)
                        .unwrap_or_else(|| panic!("{file}: {class} hash {hash} not in the table"));
                    assert!(row.2.contains(&version), "{file}: {class}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 30, "{checked}");
}

#[test]
fn shaded_jar_without_log4j_core_pom_is_dated_by_features() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = rebuild(&read("vulnerable/shaded-clt-1.0-SNAPSHOT.jar"), |n| {
        !n.starts_with("META-INF/maven/org.apache.logging.log4j/")
    });
    let r = scan_bytes(dir.path(), "clt.jar", &bytes);
    let f = core_finding(&r);
    assert_eq!(f.component.version, None);
    assert_eq!(f.component.version_range.as_deref(), Some("[2.1,2.3.1),[2.4,2.12.2),[2.13.0,2.15.0)"));
    assert_eq!(f.confidence.as_str(), "medium");
    assert_eq!(cves(f), ALL4);
    assert!(f.vulnerabilities.iter().all(|v| v.status.as_str() == "affected"));
    assert_eq!(r.exit_code(), 1);
}

#[test]
fn patched_jar_is_mitigated_for_44228_and_45046_only() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = rebuild(&read("vulnerable/log4j-core-2.14.1.jar"), |n| !n.ends_with("JndiLookup.class"));
    let r = scan_bytes(dir.path(), "log4j-core-2.14.1.jar", &bytes);
    let f = core_finding(&r);
    assert_eq!(
        verdicts(f),
        [
            ("CVE-2021-44228".into(), "mitigated"),
            ("CVE-2021-44832".into(), "affected"),
            ("CVE-2021-45046".into(), "mitigated"),
            ("CVE-2021-45105".into(), "affected"),
        ]
    );
    // Patched and without pom.properties: the fingerprint of JndiManager still dates it.
    let both = rebuild(&read("vulnerable/log4j-core-2.14.1.jar"), |n| {
        !n.ends_with("JndiLookup.class") && !n.starts_with("META-INF/maven/")
    });
    let r = scan_bytes(dir.path(), "x.jar", &both);
    let f = core_finding(&r);
    assert_eq!(f.component.version.as_deref(), Some("2.14.1"));
    assert_eq!(verdicts(f)[0], ("CVE-2021-44228".into(), "mitigated"));
}

#[test]
fn bridges_and_apis_are_not_affected() {
    for file in [
        "not-vulnerable/log4j-api-2.14.1.jar",
        "not-vulnerable/log4j-1.2-api-2.12.1.jar",
        "not-vulnerable/log4j-slf4j-impl-2.13.2.jar",
        "not-vulnerable/log4j-over-slf4j-1.7.32.jar",
    ] {
        let r = scan_paths(&[&jar(file)]);
        assert_eq!(r.findings.len(), 1, "{file}: {:#?}", r.findings);
        assert!(r.findings[0].vulnerabilities.is_empty(), "{file}");
        assert_eq!(r.exit_code(), 0);
    }
}

#[test]
fn log4j1_reports_only_cves_whose_class_is_present() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = rebuild(&read("log4j1-or-old/log4j-1.2.17.jar"), |n| {
        !n.contains("/net/JMS") && !n.contains("/chainsaw/")
    });
    let r = scan_bytes(dir.path(), "log4j-1.2.17.jar", &bytes);
    let f = r.findings.iter().find(|f| f.component.artifact == "log4j").unwrap();
    assert_eq!(cves(f), ["CVE-2019-17571", "CVE-2022-23305"]);
    // Without pom.properties, the classes alone identify log4j 1.x.
    let bare = rebuild(&read("log4j1-or-old/log4j-1.2.17.jar"), |n| !n.starts_with("META-INF/"));
    let r = scan_bytes(dir.path(), "renamed.bin", &bare);
    let f = r.findings.iter().find(|f| f.component.artifact == "log4j").unwrap();
    assert_eq!(f.component.group.as_deref(), Some("log4j"));
    assert_eq!(cves(f).len(), 5);
}

#[test]
fn the_version_to_move_to_fixes_every_exposed_vulnerability_on_its_line() {
    for (file, expected) in [
        ("vulnerable/log4j-core-2.14.1.jar", Some("2.17.1")),
        ("vulnerable/log4j-core-2.12.1.jar", Some("2.12.4")),
        ("vulnerable/log4j-core-2.3.jar", Some("2.3.2")),
        ("not-vulnerable/log4j-core-2.16.0.jar", Some("2.17.1")),
        ("not-vulnerable/log4j-core-2.17.0.jar", Some("2.17.1")),
        ("not-vulnerable/log4j-core-2.17.1.jar", None),
        ("log4j1-or-old/log4j-1.2.17.jar", None),
    ] {
        let r = scan_paths(&[&jar(file)]);
        let f = r.findings.iter().find(|f| f.component.artifact.starts_with("log4j")).unwrap();
        assert_eq!(f.upgrade_to().as_deref(), expected, "{file}");
    }
    // With JndiLookup.class removed, the two JNDI CVEs no longer ask for 2.15.0/2.16.0, but
    // 45105 and 44832 still ask for 2.17.1.
    let dir = tempfile::tempdir().unwrap();
    let bytes = rebuild(&read("vulnerable/log4j-core-2.12.1.jar"), |n| !n.ends_with("JndiLookup.class"));
    let r = scan_bytes(dir.path(), "log4j-core-2.12.1.jar", &bytes);
    assert_eq!(core_finding(&r).upgrade_to().as_deref(), Some("2.12.4"));
}
