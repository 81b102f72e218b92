//! Archives the tests build from the real jars: Spring Boot, war, ear, deep nesting, plain
//! zip, tar.gz, shell prefix, renamed jars, exploded trees; and hostile input.

use std::io::Write;

use crate::common::*;
use vulnrelay_scan::{Limits, Options, scan};

fn core_2141() -> Vec<u8> {
    read("vulnerable/log4j-core-2.14.1.jar")
}

#[test]
fn spring_boot_fat_jar_with_stored_libs() {
    let dir = tempfile::tempdir().unwrap();
    let fat = ZipBuilder::new()
        .add(
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\r\nMain-Class: org.springframework.boot.loader.JarLauncher\r\n\r\n",
            false,
        )
        .add("BOOT-INF/classes/com/example/App.class", b"\xca\xfe\xba\xbe-not-really-a-class", false)
        .add("BOOT-INF/lib/log4j-core-2.14.1.jar", &core_2141(), true)
        .add("BOOT-INF/lib/log4j-api-2.14.1.jar", &read("not-vulnerable/log4j-api-2.14.1.jar"), true)
        .build();
    let r = scan_bytes(dir.path(), "app.jar", &fat);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let f = core_finding(&r);
    assert!(f.path.ends_with("app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar"), "{}", f.path);
    assert_eq!(f.location, ["BOOT-INF/lib/log4j-core-2.14.1.jar"]);
    assert_eq!(cves(f), ALL4);
    assert_eq!(r.archives_scanned, 3);
}

#[test]
fn war_ear_without_directory_entries_and_four_deep_nesting() {
    let dir = tempfile::tempdir().unwrap();
    let war = ZipBuilder::new()
        .add("WEB-INF/web.xml", b"<web-app/>", false)
        .add("WEB-INF/lib/log4j-core-2.12.1.jar", &read("vulnerable/log4j-core-2.12.1.jar"), false)
        .build();
    let ear = ZipBuilder::new()
        .add("META-INF/application.xml", b"<application/>", false)
        .add("web.war", &war, false)
        .build();
    let r = scan_bytes(dir.path(), "app.ear", &ear);
    let f = core_finding(&r);
    assert!(f.path.ends_with("app.ear!/web.war!/WEB-INF/lib/log4j-core-2.12.1.jar"), "{}", f.path);
    assert_eq!(f.component.version.as_deref(), Some("2.12.1"));
    // 4 levels: zip > ear > war > jar, and the jar inside a STORED lib of a jar.
    let lib =
        ZipBuilder::new().add("lib/log4j-core-2.3.jar", &read("vulnerable/log4j-core-2.3.jar"), true).build();
    let war = ZipBuilder::new().add("WEB-INF/lib/wrapper.jar", &lib, false).build();
    let ear = ZipBuilder::new().add("web.war", &war, true).build();
    let outer = ZipBuilder::new().add("dist/app.ear", &ear, false).build();
    let r = scan_bytes(dir.path(), "bundle.zip", &outer);
    let f = core_finding(&r);
    assert!(
        f.path
            .ends_with("bundle.zip!/dist/app.ear!/web.war!/WEB-INF/lib/wrapper.jar!/lib/log4j-core-2.3.jar"),
        "{}",
        f.path
    );
    assert_eq!(f.location.len(), 4);
    assert_eq!(r.archives_scanned, 5);
    // --max-depth 2 stops before the jar and says so.
    let mut opts = Options::new(vec![dir.path().join("bundle.zip")]);
    opts.limits.max_depth = 2;
    let r = scan(&opts).unwrap();
    assert!(r.findings.iter().all(|f| f.component.artifact != "log4j-core"));
    assert_eq!(r.errors[0].error.kind(), "depth-exceeded");
    assert_eq!(r.exit_code(), 2);
}

#[test]
fn tar_gz_plain_tar_and_gzipped_jar() {
    let dir = tempfile::tempdir().unwrap();
    let mut tar = tar::Builder::new(Vec::new());
    let data = core_2141();
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    tar.append_data(&mut h, "opt/app/lib/log4j-core-2.14.1.jar", &data[..]).unwrap();
    let tar = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    let tgz = gz.finish().unwrap();
    // Named without an archive extension: detected by content.
    for (name, bytes) in [("image.tgz", &tgz), ("layer", &tgz), ("plain.tar", &tar)] {
        let r = scan_bytes(dir.path(), name, bytes);
        assert!(r.errors.is_empty(), "{name}: {:?}", r.errors);
        let f = core_finding(&r);
        assert!(f.path.ends_with(&format!("{name}!/opt/app/lib/log4j-core-2.14.1.jar")), "{}", f.path);
        assert_eq!(cves(f), ALL4);
    }
}

#[test]
fn shell_prefixed_and_renamed_jars() {
    let dir = tempfile::tempdir().unwrap();
    let mut prefixed = b"#!/bin/sh\nexec java -jar \"$0\" \"$@\"\n".to_vec();
    let inner = ZipBuilder::new().add("BOOT-INF/lib/log4j-core-2.14.1.jar", &core_2141(), true).build();
    prefixed.extend_from_slice(&inner);
    // Offsets were not adjusted for the prefix: the reader must find them anyway.
    let r = scan_bytes(dir.path(), "app.run", &prefixed);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(cves(core_finding(&r)), ALL4);
    // Offsets adjusted (absolute), as ZipBuilder::prefix writes them.
    let abs = ZipBuilder::new()
        .prefix(b"#!/bin/bash\necho hi\nexit 0\n")
        .add("x/log4j-core.jar", &core_2141(), true)
        .build();
    let r = scan_bytes(dir.path(), "app2", &abs);
    assert_eq!(cves(core_finding(&r)), ALL4);
    // A renamed jar on disk and inside a war.
    let r = scan_bytes(dir.path(), "notes.txt", &core_2141());
    assert_eq!(cves(core_finding(&r)), ALL4);
    let war = ZipBuilder::new().add("WEB-INF/lib/data.bin", &core_2141(), false).build();
    let r = scan_bytes(dir.path(), "w.dat", &war);
    assert!(core_finding(&r).path.ends_with("w.dat!/WEB-INF/lib/data.bin"));
}

#[test]
fn exploded_class_tree_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("webapp/WEB-INF/classes");
    for (name, data, _) in entries_of(&core_2141()) {
        if name.ends_with('/') {
            continue;
        }
        let p = root.join(&name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
    let r = scan_paths(&[dir.path()]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let f = core_finding(&r);
    assert_eq!(f.component.version.as_deref(), Some("2.14.1"));
    assert!(f.path.ends_with("webapp/WEB-INF/classes"), "{}", f.path);
    assert_eq!(cves(f), ALL4);
    // Without META-INF, the fingerprint dates the tree.
    std::fs::remove_dir_all(root.join("META-INF")).unwrap();
    let r = scan_paths(&[dir.path()]);
    let f = core_finding(&r);
    assert_eq!(f.component.version.as_deref(), Some("2.14.1"));
    assert!(f.path.ends_with("org/apache/logging/log4j"), "{}", f.path);
}

#[test]
fn borrowed_manifest_in_uber_jar_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let jar = ZipBuilder::new()
        .add(
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\nImplementation-Title: log4j-core\nImplementation-Version: 2.14.1\n\n",
            false,
        )
        .add("com/example/Main.class", b"x", false)
        .build();
    let r = scan_bytes(dir.path(), "uber.jar", &jar);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    let jar = ZipBuilder::new()
        .add("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\nImplementation-Title: foo\nImplementation-Version: 1.2\nImplementation-Vendor-Id: com.example\n\n", false)
        .build();
    let r = scan_bytes(dir.path(), "foo-9.9.jar", &jar);
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].component.artifact, "foo");
    assert_eq!(r.findings[0].confidence.as_str(), "medium");
    let r = scan_bytes(dir.path(), "bar-1.0.jar", &ZipBuilder::new().add("a.txt", b"a", false).build());
    assert_eq!(r.findings[0].component.artifact, "bar");
    assert_eq!(r.findings[0].component.version.as_deref(), Some("1.0"));
    assert_eq!(r.findings[0].confidence.as_str(), "low");
}

/// Duplicates every central directory record of a one-entry ZIP, so that two records (same
/// name) point at the same local header: an overlapping, self-similar archive.
fn doubled(inner: &[u8], name: &str) -> Vec<u8> {
    let mut z = ZipBuilder::new().add(name, inner, true).build();
    let eocd = z.len() - 22;
    let cd_len = u32::from_le_bytes(z[eocd + 12..eocd + 16].try_into().unwrap()) as usize;
    let cd_start = eocd - cd_len;
    let record = z[cd_start..eocd].to_vec();
    let tail = z[eocd..].to_vec();
    z.truncate(eocd);
    z.extend_from_slice(&record);
    z.extend_from_slice(&tail);
    let n = z.len() - 22;
    z[n + 8..n + 12].copy_from_slice(&[2, 0, 2, 0]);
    z[n + 12..n + 16].copy_from_slice(&((2 * cd_len) as u32).to_le_bytes());
    z
}

#[test]
fn self_similar_archives_stop_at_depth_and_archive_budget() {
    let dir = tempfile::tempdir().unwrap();
    // 24 levels, each entering the same inner archive twice: 2^24 paths without limits.
    let mut z = ZipBuilder::new().add("leaf.txt", b"leaf", false).build();
    for _ in 0..24 {
        z = doubled(&z, "self.zip");
    }
    let path = dir.path().join("quine.zip");
    std::fs::write(&path, &z).unwrap();
    let mut opts = Options::new(vec![path]);
    opts.limits.max_archives = 5000;
    let r = scan(&opts).unwrap();
    assert!(has_error_kind(&r, "limit-exceeded"), "{:?}", r.errors);
    assert_eq!(r.errors.len(), 1, "one error for the one file: {:?}", r.errors);
    assert!(r.archives_scanned <= 5000);
    assert_eq!(r.exit_code(), 2);
    // A plain chain deeper than the depth limit.
    let mut chain = ZipBuilder::new().add("leaf.txt", b"leaf", false).build();
    for _ in 0..20 {
        chain = ZipBuilder::new().add("nested.jar", &chain, false).build();
    }
    let r = scan_bytes(dir.path(), "deep.jar", &chain);
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert_eq!(r.errors[0].error.kind(), "depth-exceeded");
    assert_eq!(r.errors[0].path.matches("!/nested.jar").count(), 17);
    assert_eq!(r.archives_scanned, 17);
}

#[test]
fn zip_bombs_hit_the_byte_caps() {
    let dir = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 64 << 20];
    // An inner jar holding 64 MiB of zeros STORED: deflated in the outer archive to ~64 KiB.
    let bomb_jar = ZipBuilder::new().add("zeros.bin", &zeros, true).build();
    let bomb = ZipBuilder::new().add("lib/bomb.jar", &bomb_jar, false).build();
    assert!(bomb.len() < (1 << 20));
    let path = dir.path().join("bomb.zip");
    std::fs::write(&path, &bomb).unwrap();
    let mut opts = Options::new(vec![path.clone()]);
    opts.limits = Limits { max_entry_bytes: 8 << 20, ..Limits::default() };
    let r = scan(&opts).unwrap();
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert_eq!(r.errors[0].error.kind(), "limit-exceeded");
    assert!(r.errors[0].path.ends_with("bomb.zip!/lib/bomb.jar"));
    opts.limits = Limits { max_total_bytes: 4 << 20, ..Limits::default() };
    let r = scan(&opts).unwrap();
    assert_eq!(r.errors[0].error.kind(), "limit-exceeded");
    // Above the spill threshold the inner archive goes to a temporary file, and is scanned.
    opts.limits = Limits { spill_threshold: 1 << 20, ..Limits::default() };
    let r = scan(&opts).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.archives_scanned, 2);
}

#[test]
fn corrupt_encrypted_and_strange_entries_are_errors_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let core = core_2141();
    // Truncated jar: no end record.
    let r = scan_bytes(dir.path(), "truncated.jar", &core[..core.len() / 2]);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].error.kind(), "corrupt-archive");
    assert_eq!(r.exit_code(), 2);
    // Corrupt data in the entry identification needs: CRC failure reported, scan continues.
    let mut b = ZipBuilder::new()
        .add("META-INF/maven/g/a/pom.properties", b"groupId=g\nartifactId=a\nversion=1\n", true)
        .build();
    let at = 30 + "META-INF/maven/g/a/pom.properties".len() + 3;
    b[at] ^= 0xff;
    let r = scan_bytes(dir.path(), "crc.jar", &b);
    assert_eq!(r.errors[0].error.kind(), "corrupt-entry");
    // Encrypted nested jar and a non-UTF-8 name.
    let enc = Item {
        name: b"lib/secret.jar".to_vec(),
        data: core.clone(),
        stored: false,
        descriptor: false,
        encrypted: true,
    };
    let bad = Item {
        name: b"lib/\xff\xfe.jar".to_vec(),
        data: b"x".repeat(100),
        stored: true,
        descriptor: false,
        encrypted: false,
    };
    let z =
        ZipBuilder::new().add_item(enc).add_item(bad).add("lib/log4j-core-2.14.1.jar", &core, true).build();
    let r = scan_bytes(dir.path(), "mixed.jar", &z);
    assert!(has_error_kind(&r, "encrypted-entry") && has_error_kind(&r, "bad-entry-name"), "{:?}", r.errors);
    assert_eq!(r.errors.len(), 1, "one error for the archive: {:?}", r.errors);
    assert!(r.errors[0].error.to_string().starts_with("2 bad entries"), "{}", r.errors[0].error);
    assert_eq!(cves(core_finding(&r)), ALL4, "the good entry is still scanned");
    // Random bytes named .jar.
    let r = scan_bytes(dir.path(), "random.jar", &[7u8; 4096]);
    assert!(r.errors.is_empty() && r.findings.is_empty());
    // Local header that disagrees with the central directory.
    let mut z = ZipBuilder::new().add("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n", true).build();
    z[30] = b'X';
    let r = scan_bytes(dir.path(), "mismatch.jar", &z);
    assert_eq!(r.errors[0].error.kind(), "local-header-mismatch");
}

#[cfg(unix)]
#[test]
fn symlink_loops_missing_paths_and_unreadable_files() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("a")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("a/loop")).unwrap();
    std::fs::write(dir.path().join("a/log4j-core-2.14.1.jar"), core_2141()).unwrap();
    let mut opts = Options::new(vec![dir.path().to_path_buf(), dir.path().join("missing")]);
    opts.follow_symlinks = true;
    let r = scan(&opts).unwrap();
    let kinds: Vec<&str> = r.errors.iter().map(|e| e.error.kind()).collect();
    assert!(kinds.contains(&"walk"), "loop reported: {kinds:?}");
    assert!(kinds.contains(&"io"), "missing path reported: {kinds:?}");
    assert_eq!(r.findings.iter().filter(|f| f.component.artifact == "log4j-core").count(), 1);
    assert_eq!(r.exit_code(), 2);
    // Unreadable file (only meaningful when not running as root).
    let p = dir.path().join("a/locked.jar");
    std::fs::write(&p, core_2141()).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&p).is_err() {
        let r = scan_paths(&[&p]);
        assert_eq!(r.errors[0].error.kind(), "io");
        assert_eq!(r.exit_code(), 2);
    }
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn excludes_skip_matching_paths() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("skip")).unwrap();
    std::fs::write(dir.path().join("skip/log4j-core-2.14.1.jar"), core_2141()).unwrap();
    std::fs::write(dir.path().join("keep.jar"), core_2141()).unwrap();
    let mut opts = Options::new(vec![dir.path().to_path_buf()]);
    opts.excludes = vec!["skip".into()];
    opts.threads = 2;
    let r = scan(&opts).unwrap();
    assert_eq!(r.findings.len(), 1);
    assert!(r.findings[0].path.ends_with("keep.jar"));
    opts.excludes = vec!["[".into()];
    assert!(scan(&opts).is_err());
}
