//! `vulnrelay scan` end to end: exit codes, formats, --fix.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn jar(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/jars/log4j").join(rel)
}

fn vulnrelay() -> Command {
    Command::cargo_bin("vulnrelay").unwrap()
}

#[test]
fn exit_codes_and_json() {
    let out = vulnrelay()
        .args(["scan", "--format", "json"])
        .arg(jar("not-vulnerable/log4j-core-2.17.1.jar"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["component"]["version"], "2.17.1");
    let out =
        vulnrelay().args(["scan", "--quiet"]).arg(jar("vulnerable/log4j-core-2.14.1.jar")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("CVE-2021-44228"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.jar"), b"PK\x03\x04broken").unwrap();
    let out = vulnrelay()
        .args(["scan"])
        .arg(dir.path())
        .arg(jar("vulnerable/log4j-core-2.14.1.jar"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "errors beat findings");
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.jar"));
    for format in ["sarif", "cyclonedx"] {
        let out = vulnrelay().args(["scan", "--format", format]).arg(jar("vulnerable")).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap();
    }
}

#[test]
fn fix_then_rescan() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("log4j-core-2.14.1.jar");
    std::fs::copy(jar("vulnerable/log4j-core-2.14.1.jar"), &p).unwrap();
    let out = vulnrelay().args(["scan", "--fix", "--format", "json"]).arg(&p).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fixes"].as_array().unwrap().len(), 1);
    assert!(v["fixes"][0]["backup"].is_string());
    let out = vulnrelay().args(["scan", "--format", "json"]).arg(&p).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let statuses: Vec<&str> = v["findings"][0]["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == "mitigated").count(), 2);
    assert_eq!(out.status.code(), Some(1), "45105 and 44832 remain");
    let out = vulnrelay().args(["scan", "--no-backup"]).arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "--no-backup requires --fix");
}

#[test]
fn no_dedup_gives_the_same_findings() {
    let findings = |extra: &[&str]| {
        let out = vulnrelay()
            .args(["scan", "--format", "json", "--threads", "2"])
            .args(extra)
            .arg(jar("vulnerable"))
            .arg(jar("vulnerable"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut list: Vec<String> =
            v["findings"].as_array_mut().unwrap().iter().map(|f| f.to_string()).collect();
        list.sort();
        list
    };
    assert_eq!(findings(&[]), findings(&["--no-dedup"]));
}

#[cfg(unix)]
#[test]
fn debian_backports_links_and_fifos() {
    // Debian's patched log4j 1.2.17: mitigated, exit 0, the fix classes named.
    let debian =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/jars/debian/log4j-1.2-1.2.17.jar");
    let out = vulnrelay().args(["scan", "--format", "json"]).arg(&debian).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["component"]["version"], "1.2.17");
    let statuses: Vec<&str> = v["findings"][0]["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["mitigated"; 3]);
    let kinds: Vec<&str> = v["findings"][0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "fix-class").count(), 3);
    // A link not followed is a note in the table's summary; a named FIFO is an error.
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&debian, dir.path().join("link.jar")).unwrap();
    let out = vulnrelay().args(["scan"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("note: 1 symbolic link not followed"), "{stdout}");
    // In the JSON summary: the count and the note.
    let out = vulnrelay().args(["scan", "--format", "json"]).arg(dir.path()).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["links_not_followed"], 1);
    let note = v["summary"]["notes"][0].as_str().unwrap_or_default();
    assert!(note.starts_with("1 symbolic link not followed"), "{v}");
    assert_eq!(v["summary"]["files_scanned"], 0);
    let out = vulnrelay().args(["scan", "--format", "json"]).arg(&debian).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["links_not_followed"], 0);
    assert!(v["summary"].get("notes").is_none(), "{v}");
    let fifo = dir.path().join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let out = vulnrelay().args(["scan"]).arg(&fifo).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file or directory: a FIFO"));
}

#[test]
fn the_table_groups_by_component_with_the_version_to_move_to() {
    let dir = tempfile::tempdir().unwrap();
    let core = std::fs::read(jar("vulnerable/log4j-core-2.14.1.jar")).unwrap();
    std::fs::write(dir.path().join("a.jar"), &core).unwrap();
    std::fs::write(dir.path().join("b.jar"), &core).unwrap();
    std::fs::copy(jar("log4j1-or-old/log4j-1.2.17.jar"), dir.path().join("log4j-1.2.17.jar")).unwrap();
    let out = vulnrelay().args(["scan", "--quiet"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = text.lines().filter(|l| !l.starts_with("    ")).collect();
    assert_eq!(rows.len(), 3, "a header and one row per component:\n{text}");
    let core_row = rows.iter().find(|r| r.contains("org.apache.logging.log4j:log4j-core:2.14.1")).unwrap();
    assert!(core_row.starts_with("affected"), "{core_row}");
    assert!(core_row.contains(" 2.17.1 "), "{core_row}");
    assert!(core_row.contains("CVE-2021-44228"), "{core_row}");
    let l1_row = rows.iter().find(|r| r.contains("log4j:log4j:1.2.17")).unwrap();
    assert!(l1_row.contains(" no fix "), "{l1_row}");
    let places: Vec<&str> = text.lines().filter(|l| l.starts_with("    ")).collect();
    assert_eq!(places.len(), 3, "{text}");
    assert!(places.iter().any(|p| p.ends_with("a.jar")) && places.iter().any(|p| p.ends_with("b.jar")));
}
