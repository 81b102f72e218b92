//! Backported fixes recognised by the classes that carry them: Debian's patched
//! `log4j-1.2-1.2.17.jar` (testdata/jars/debian), relocated copies of its classes, and the
//! controls that keep the recognition honest (a fix class nobody uses is no fix); and Debian's
//! `log4j-core` 2.19.0, which needs no backport, reported as not affected.

use crate::common::*;
use vulnrelay_scan::Finding;

const FIXED: [&str; 3] = ["CVE-2019-17571", "CVE-2022-23305", "CVE-2022-23307"];

fn log4j1(r: &vulnrelay_scan::Report) -> &Finding {
    let found: Vec<_> = r.findings.iter().filter(|f| f.component.artifact == "log4j").collect();
    assert_eq!(found.len(), 1, "{:#?}", r.findings);
    found[0]
}

fn fix_evidence(f: &Finding) -> Vec<&str> {
    f.evidence.iter().filter(|e| e.kind.as_str() == "fix-class").map(|e| e.detail.as_str()).collect()
}

/// Asserts the three present CVEs of a Debian copy under `root` are mitigated with their
/// fix classes as evidence, and the JMS CVEs are not reported.
fn assert_debian_copy(f: &Finding, root: &str) {
    assert_eq!(verdicts(f), FIXED.iter().map(|c| (c.to_string(), "mitigated")).collect::<Vec<_>>(), "{f:#?}");
    assert!(!f.is_exposed());
    let fixes = fix_evidence(f);
    for expected in [
        format!(
            "CVE-2019-17571 fixed: {root}FilteredObjectInputStream.class used by {root}net/SocketNode.class"
        ),
        format!(
            "CVE-2022-23305 fixed: {root}jdbc/JdbcPatternParser.class used by {root}jdbc/JDBCAppender.class"
        ),
        format!(
            "CVE-2022-23307 fixed: {root}net/HardenedLoggingEventInputStream.class used by \
             {root}chainsaw/LoggingReceiver$Slurper.class"
        ),
    ] {
        assert!(fixes.contains(&expected.as_str()), "{expected} not in {fixes:#?}");
    }
    for v in &f.vulnerabilities {
        let reason = v.reason.as_deref().unwrap_or_default();
        assert!(reason.starts_with("backported fix: "), "{}: {reason}", v.id);
    }
    for absent in ["net/JMSAppender.class absent (CVE-2021-4104", "net/JMSSink.class absent (CVE-2022-23302"]
    {
        let wanted = format!("{root}{absent}");
        assert!(f.evidence.iter().any(|e| e.detail.starts_with(&wanted)), "{wanted}: {:#?}", f.evidence);
    }
}

#[test]
fn debian_log4j_1_2_17_is_not_a_false_alarm() {
    let dir = tempfile::tempdir().unwrap();
    let r = scan_bytes(dir.path(), "log4j-1.2-1.2.17.jar", &debian("log4j-1.2-1.2.17.jar"));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = log4j1(&r);
    assert_eq!(f.component.group.as_deref(), Some("log4j"));
    assert_eq!(f.component.version.as_deref(), Some("1.2.17"), "version from its manifest");
    assert!(f.evidence.iter().any(|e| e.kind.as_str() == "manifest" && e.detail == "META-INF/MANIFEST.MF"));
    assert_debian_copy(f, "org/apache/log4j/");
    assert_eq!(r.exit_code(), 0);
}

#[test]
fn upstream_1_2_17_stays_affected_for_all_five() {
    let r = scan_paths(&[&jar("log4j1-or-old/log4j-1.2.17.jar")]);
    let f = log4j1(&r);
    assert_eq!(verdicts(f).len(), 5);
    assert!(f.vulnerabilities.iter().all(|v| v.status.as_str() == "affected"));
    assert!(fix_evidence(f).is_empty());
    assert_eq!(r.exit_code(), 1);
}

#[test]
fn relocated_byte_identical_copies_and_nesting() {
    // As in kotlin-compiler: the Debian classes, byte for byte, inside another artifact's jar,
    // under another package prefix, without log4j's manifest.
    let dir = tempfile::tempdir().unwrap();
    let mut fat = ZipBuilder::new()
        .add(
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\r\nImplementation-Title: kotlin-compiler\r\n",
            false,
        )
        .add(
            "META-INF/maven/org.jetbrains.kotlin/kotlin-compiler/pom.properties",
            b"groupId=org.jetbrains.kotlin\nartifactId=kotlin-compiler\nversion=1.3.31\n",
            false,
        );
    for (name, data, stored) in entries_of(&debian("log4j-1.2-1.2.17.jar")) {
        if name.starts_with("org/apache/log4j/") && !name.ends_with('/') {
            fat = fat.add(&format!("org/jetbrains/kotlin/relocated/{name}"), &data, stored);
        }
    }
    let fat = fat.build();
    let r = scan_bytes(dir.path(), "kotlin-compiler-1.3.31.jar", &fat);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let f = log4j1(&r);
    assert_eq!(f.component.version, None, "kotlin's manifest does not date log4j");
    assert_debian_copy(f, "org/jetbrains/kotlin/relocated/org/apache/log4j/");
    assert_eq!(r.exit_code(), 0);

    // The same fat jar inside a war inside a tar.gz: the same verdicts, deeper.
    let war = ZipBuilder::new().add("WEB-INF/lib/kotlin-compiler-1.3.31.jar", &fat, false).build();
    let r = scan_bytes(dir.path(), "app.tar.gz", &tgz_of(&[("app/app.war", &war)]));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let f = log4j1(&r);
    assert!(f.path.ends_with("app.war!/WEB-INF/lib/kotlin-compiler-1.3.31.jar"), "{}", f.path);
    assert_debian_copy(f, "org/jetbrains/kotlin/relocated/org/apache/log4j/");
}

#[test]
fn a_fix_class_nobody_uses_is_no_fix() {
    // Upstream 1.2.17 with Debian's fix classes added but its own SocketNode, JDBCAppender
    // and chainsaw: every CVE stays affected.
    let dir = tempfile::tempdir().unwrap();
    let mut b = ZipBuilder::new();
    for (name, data, stored) in entries_of(&read("log4j1-or-old/log4j-1.2.17.jar")) {
        if !name.ends_with('/') {
            b = b.add(&name, &data, stored);
        }
    }
    for (name, data, stored) in entries_of(&debian("log4j-1.2-1.2.17.jar")) {
        if ["Hardened", "FilteredObjectInputStream", "JdbcPatternParser"].iter().any(|c| name.contains(c)) {
            b = b.add(&name, &data, stored);
        }
    }
    let r = scan_bytes(dir.path(), "log4j-1.2.17.jar", &b.build());
    let f = log4j1(&r);
    assert!(f.vulnerabilities.iter().all(|v| v.status.as_str() == "affected"), "{f:#?}");
    assert_eq!(verdicts(f).len(), 5);
    assert!(fix_evidence(f).is_empty());
    assert_eq!(r.exit_code(), 1);
}

#[test]
fn each_fix_is_judged_on_its_own() {
    // Debian's jar without the hardened streams: chainsaw's fix is gone (its Slurper still
    // names the missing class), the other two stay fixed.
    let dir = tempfile::tempdir().unwrap();
    let bytes = rebuild(&debian("log4j-1.2-1.2.17.jar"), |n| !n.contains("/net/Hardened"));
    let r = scan_bytes(dir.path(), "log4j-1.2-1.2.17.jar", &bytes);
    let f = log4j1(&r);
    assert_eq!(
        verdicts(f),
        [
            ("CVE-2019-17571".into(), "mitigated"),
            ("CVE-2022-23305".into(), "mitigated"),
            ("CVE-2022-23307".into(), "affected"),
        ]
    );
    assert_eq!(r.exit_code(), 1);
    // With its pom.properties back (as a Maven-built copy has it): the same judgement.
    let mut b = ZipBuilder::new();
    for (name, data, stored) in entries_of(&debian("log4j-1.2-1.2.17.jar")) {
        if !name.ends_with('/') {
            b = b.add(&name, &data, stored);
        }
    }
    let b = b.add(
        "META-INF/maven/log4j/log4j/pom.properties",
        b"groupId=log4j\nartifactId=log4j\nversion=1.2.17\n",
        false,
    );
    let r = scan_bytes(dir.path(), "log4j-1.2.17.jar", &b.build());
    let f = log4j1(&r);
    assert_eq!(f.confidence.as_str(), "high");
    assert_debian_copy(f, "org/apache/log4j/");
}

#[test]
fn debian_log4j_core_2_19_0_is_not_a_false_alarm_with_or_without_its_pom() {
    let jar = debian("log4j-core-2.19.0.jar");
    let dir = tempfile::tempdir().unwrap();
    let shipped = scan_bytes(dir.path(), "log4j-core.jar", &jar);
    assert!(shipped.errors.is_empty(), "{:?}", shipped.errors);
    assert_eq!(shipped.findings.len(), 1, "{:#?}", shipped.findings);
    let f = &shipped.findings[0];
    assert_eq!(
        (f.component.group.as_deref(), f.component.artifact.as_str(), f.component.version.as_deref()),
        (Some("org.apache.logging.log4j"), "log4j-core", Some("2.19.0"))
    );
    assert!(f.evidence.iter().any(|e| e.detail == "org/apache/logging/log4j/core/lookup/JndiLookup.class"));
    assert!(f.vulnerabilities.is_empty(), "{:#?}", f.vulnerabilities);
    assert_eq!(shipped.exit_code(), 0);
    // Without its pom.properties and under a name that says nothing, its classes date it.
    let stripped = rebuild(&jar, |n| !n.starts_with("META-INF/maven/"));
    let bare = scan_bytes(dir.path(), "blob.bin", &stripped);
    assert!(bare.errors.is_empty(), "{:?}", bare.errors);
    let cores: Vec<_> = bare.findings.iter().filter(|f| f.component.artifact == "log4j-core").collect();
    assert_eq!(cores.len(), 1, "{:#?}", bare.findings);
    assert!(
        cores[0].vulnerabilities.iter().all(|v| v.status.as_str() != "affected"),
        "{:#?}",
        cores[0].vulnerabilities
    );
    assert_eq!(bare.exit_code(), 0);
}
