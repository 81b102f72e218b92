//! Deduplication of identical compressed archives (`Options::dedup`, on by default) must not
//! change a report: every scan here runs with and without it and the reports must be equal
//! (findings with their paths, files, locations, evidence and verdicts; errors; counts), while
//! the deduplicated run really replayed archives.

use std::io::Write;

use crate::common::*;
use vulnrelay_scan::{Limits, Options, Report, scan};

/// Scans with and without deduplication on each number of `threads`; asserts equal reports;
/// returns the deduplicated one (one thread).
fn both_on(opts: &Options, threads: &[usize]) -> Report {
    let mut off = opts.clone();
    off.dedup = false;
    for &threads in threads {
        let mut on = opts.clone();
        on.dedup = true;
        on.threads = threads;
        off.threads = threads;
        let with = scan(&on).unwrap();
        let without = scan(&off).unwrap();
        assert_eq!(without.archives_replayed, 0);
        let (a, b) = (canonical(&with), canonical(&without));
        if a != b {
            let line = a.lines().zip(b.lines()).position(|(x, y)| x != y).unwrap_or(0);
            panic!(
                "dedup changed the report ({threads} threads) at line {line}:\n  with:    {:?}\n  without: {:?}",
                a.lines().nth(line),
                b.lines().nth(line)
            );
        }
    }
    let mut on = opts.clone();
    on.dedup = true;
    on.threads = 1;
    scan(&on).unwrap()
}

/// [`both_on`] one thread.
fn both(opts: &Options) -> Report {
    both_on(opts, &[1])
}

#[test]
fn real_jars_and_repeated_nested_archives_give_the_same_report_with_and_without_dedup() {
    let dir = tempfile::tempdir().unwrap();
    let core = read("vulnerable/log4j-core-2.14.1.jar");
    let core_2121 = read("vulnerable/log4j-core-2.12.1.jar");
    let api = read("not-vulnerable/log4j-api-2.14.1.jar");
    let l1 = read("log4j1-or-old/log4j-1.2.17.jar");
    // log4j-core without its pom.properties: dated by fingerprints, named by its file.
    let bare = rebuild(&core, |n| !n.starts_with("META-INF/maven/"));
    let patched = rebuild(&core_2121, |n| !n.ends_with("JndiLookup.class"));
    let war = ZipBuilder::new()
        .add("WEB-INF/web.xml", b"<web-app/>", false)
        .add("WEB-INF/lib/log4j-core-2.14.1.jar", &core, false)
        .add("WEB-INF/lib/log4j-core-2.12.1.jar", &patched, false)
        .add("WEB-INF/lib/log4j-api-2.14.1.jar", &api, false)
        .add("WEB-INF/lib/log4j-1.2.17.jar", &l1, false)
        .add("WEB-INF/lib/shaded.jar", &bare, false)
        .add("WEB-INF/lib/log4j-core-2.14.1-renamed.jar", &bare, false)
        .build();
    let ear = ZipBuilder::new()
        .add("META-INF/application.xml", b"<application/>", false)
        .add("web.war", &war, false)
        .build();
    // The same war at another depth and under another name; the same ear in a zip.
    let bundle = ZipBuilder::new()
        .add("dist/app.ear", &ear, false)
        .add("dist/other.war", &war, false)
        .add("dist/copy/web.war", &war, false)
        .build();
    let tgz = tgz_of(&[("opt/lib/log4j-core-2.14.1.jar", &core), ("opt/lib/app.ear", &ear)]);
    for app in ["a", "b"] {
        write(dir.path(), &format!("{app}/deploy/app.ear"), &ear);
        write(dir.path(), &format!("{app}/bundle.zip"), &bundle);
        write(dir.path(), &format!("{app}/image.tar.gz"), &tgz);
        write(dir.path(), &format!("{app}/layer"), &tgz);
        // A gzip file holding a jar, and one stored in a jar.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&core).unwrap();
        let gz = gz.finish().unwrap();
        write(dir.path(), &format!("{app}/log4j-core.jar.gz"), &gz);
        write(
            dir.path(),
            &format!("{app}/holder.jar"),
            &ZipBuilder::new().add("x/core.jar.gz", &gz, true).build(),
        );
    }
    let mut opts = Options::new(vec![dir.path().to_path_buf(), jars()]);
    // Two threads too: the replay must not depend on which copy a thread meets first.
    let r = both_on(&opts, &[1, 2]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert!(r.archives_replayed >= 15, "replayed {}", r.archives_replayed);
    // Each copy is reported under its own path.
    for app in ["a", "b"] {
        let want = format!("{app}/deploy/app.ear!/web.war!/WEB-INF/lib/log4j-core-2.14.1.jar");
        assert!(r.findings.iter().any(|f| f.path.ends_with(&want)), "{want}");
        let want = format!("{app}/layer!/opt/lib/app.ear!/web.war!/WEB-INF/lib/shaded.jar");
        let f = r.findings.iter().find(|f| f.path.ends_with(&want)).expect(&want);
        assert_eq!(f.location, ["opt/lib/app.ear", "web.war", "WEB-INF/lib/shaded.jar"]);
        assert_eq!(f.file, dir.path().join(app).join("layer"));
    }
    // Depth limits that cut some copies and not others (the war is at depths 1 and 2).
    for depth in [1, 2] {
        opts.limits = Limits { max_depth: depth, ..Limits::default() };
        let r = both(&opts);
        assert!(has_error_kind(&r, "depth-exceeded"));
    }
}

#[test]
fn budgets_that_run_out_midway_give_the_same_report_with_and_without_dedup() {
    let dir = tempfile::tempdir().unwrap();
    let core = read("vulnerable/log4j-core-2.14.1.jar");
    let war = ZipBuilder::new()
        .add("WEB-INF/lib/log4j-core-2.14.1.jar", &core, false)
        .add("WEB-INF/lib/again.jar", &core, false)
        .build();
    // One file with the same war many times: the byte and archive budgets of that file run
    // out after some copies; replays must charge them as a scan does.
    let mut b = ZipBuilder::new();
    for i in 0..5 {
        b = b.add(&format!("w{i}/web.war"), &war, false);
    }
    write(dir.path(), "many.ear", &b.build());
    let mut opts = Options::new(vec![dir.path().to_path_buf()]);
    let per_war = war.len() as u64 + 2 * core.len() as u64;
    for limits in [
        Limits { max_total_bytes: per_war * 3 + per_war / 2, ..Limits::default() },
        Limits { max_total_bytes: per_war * 5, ..Limits::default() },
        Limits { max_archives: 10, ..Limits::default() },
        Limits { max_archives: 11, ..Limits::default() },
        Limits { max_entry_bytes: core.len() as u64 + 10, ..Limits::default() },
    ] {
        opts.limits = limits;
        let r = both(&opts);
        assert!(has_error_kind(&r, "limit-exceeded"), "{:?}", opts.limits);
    }
    opts.limits = Limits::default();
    let r = both(&opts);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    // The first war is met once and scanned without a key; the second computes the outcome
    // the last three replay.
    assert_eq!(r.archives_replayed, 3);
    assert_eq!(r.findings.iter().filter(|f| f.component.artifact == "log4j-core").count(), 10);
}

#[test]
fn compressed_self_similar_archives_and_corrupt_copies_give_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    // Each level holds the level below twice, deflated: 2^12 paths, one content per level.
    let mut z = ZipBuilder::new()
        .add("META-INF/maven/g/a/pom.properties", b"groupId=g\nartifactId=a\nversion=1\n", false)
        .build();
    for _ in 0..12 {
        z = ZipBuilder::new().add("a/self.jar", &z, false).add("b/self.jar", &z, false).build();
    }
    write(dir.path(), "quine.zip", &z);
    let mut opts = Options::new(vec![dir.path().join("quine.zip")]);
    opts.limits.max_archives = 1000;
    let r = both(&opts);
    assert!(has_error_kind(&r, "limit-exceeded"));
    opts.limits = Limits { max_depth: 8, ..Limits::default() };
    let r = both(&opts);
    assert!(has_error_kind(&r, "depth-exceeded"));
    opts.limits = Limits::default();
    let r = both(&opts);
    assert!(r.errors.is_empty());
    assert_eq!(r.findings.len(), 1 << 12);
    assert!(r.archives_replayed > 0);
    // A copy with a corrupt inner jar (an error inside) is never memoized nor replayed
    // blindly: its error is reported under each copy.
    let core = read("vulnerable/log4j-core-2.14.1.jar");
    let mut broken = core.clone();
    let n = broken.len();
    broken.truncate(n - 30);
    let war = ZipBuilder::new()
        .add("WEB-INF/lib/broken.jar", &broken, false)
        .add("WEB-INF/lib/core.jar", &core, false)
        .build();
    for i in 0..3 {
        write(dir.path(), &format!("d{i}/app.ear"), &ZipBuilder::new().add("web.war", &war, false).build());
    }
    let r = both(&Options::new(vec![dir.path().to_path_buf()]));
    assert_eq!(r.errors.iter().filter(|e| e.path.ends_with("web.war!/WEB-INF/lib/broken.jar")).count(), 3);
}

/// A log4j-core component `version` in the scan's report, by path suffix.
fn version_at<'r>(r: &'r Report, path_suffix: &str) -> &'r str {
    let f =
        r.findings.iter().find(|f| f.path.ends_with(path_suffix)).unwrap_or_else(|| panic!("{path_suffix}"));
    f.component.version.as_deref().unwrap_or_default()
}

#[test]
fn the_same_directory_at_other_offsets_and_lengths_is_parsed_for_each() {
    // One jar on its own, behind a shell prefix whose offsets were not adjusted (same central
    // directory bytes, another offset delta), with bytes after its end (another length), and
    // twice inside a fat jar (the same directory at two offsets of the parent).
    let core = read("vulnerable/log4j-core-2.14.1.jar");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "plain/core.jar", &core);
    write(
        dir.path(),
        "prefixed/core.jar",
        &[b"#!/bin/sh\nexec java -jar \"$0\" \"$@\"\n".as_slice(), &core].concat(),
    );
    write(dir.path(), "trailing/core.jar", &[core.as_slice(), b"trailing bytes"].concat());
    let fat = ZipBuilder::new()
        .add("BOOT-INF/lib/a.jar", &core, true)
        .add("BOOT-INF/lib/b.jar", &core, true)
        .build();
    write(dir.path(), "fat/app.jar", &fat);
    let r = both_on(&Options::new(vec![dir.path().to_path_buf()]), &[1, 2]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    for path in
        ["plain/core.jar", "prefixed/core.jar", "trailing/core.jar", "app.jar!/BOOT-INF/lib/a.jar", "b.jar"]
    {
        assert_eq!(version_at(&r, path), "2.14.1", "{path}");
    }
}

#[test]
fn the_same_compressed_bytes_peeked_and_read_whole_are_told_apart() {
    // The same text, deflated the same way, is first only peeked at (a file that might be an
    // archive) and then read whole (a pom.properties whose version lies past the peek).
    let pom = format!(
        "#{}\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n",
        "padding ".repeat(100)
    );
    let peeked = ZipBuilder::new().add("LICENSE", pom.as_bytes(), false).build();
    let read_whole = ZipBuilder::new()
        .add("META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties", pom.as_bytes(), false)
        .build();
    let dir = tempfile::tempdir().unwrap();
    let both_jars = ZipBuilder::new().add("a.jar", &peeked, true).add("b.jar", &read_whole, true).build();
    write(dir.path(), "app.zip", &both_jars);
    let r = both(&Options::new(vec![dir.path().to_path_buf()]));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(version_at(&r, "app.zip!/b.jar"), "2.14.1");
}

/// The 4 bytes that, appended to `prefix`, give CRC-32 `target` (CRC-32 is affine over GF(2),
/// so forging it is solving 32 linear equations).
fn forge_crc(prefix: &[u8], target: u32) -> [u8; 4] {
    let crc_of = |x: u32| {
        let mut c = flate2::Crc::new();
        c.update(prefix);
        c.update(&x.to_le_bytes());
        c.sum()
    };
    let base = crc_of(0);
    // basis[p]: a combination of input bits (mask) whose effect has highest bit p.
    let mut basis: [Option<(u32, u32)>; 32] = [None; 32];
    for bit in 0..32 {
        let (mut v, mut m) = (crc_of(1 << bit) ^ base, 1u32 << bit);
        for p in (0..32).rev() {
            if v >> p & 1 == 0 {
                continue;
            }
            match basis[p] {
                Some((bv, bm)) => (v, m) = (v ^ bv, m ^ bm),
                None => {
                    basis[p] = Some((v, m));
                    break;
                }
            }
        }
    }
    let (mut t, mut x) = (target ^ base, 0u32);
    for p in (0..32).rev() {
        if t >> p & 1 == 1 {
            let (bv, bm) = basis[p].expect("CRC-32 of 4 appended bytes reaches every value");
            (t, x) = (t ^ bv, x ^ bm);
        }
    }
    assert_eq!(crc_of(x), target);
    x.to_le_bytes()
}

#[test]
fn entries_with_the_same_crc_and_size_but_other_bytes_are_told_apart() {
    // Two pom.properties of equal length and equal CRC-32 (forged) that name other versions:
    // nothing but their bytes tells them apart, and the scan must.
    let pom = |version: &str| {
        format!("groupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion={version}\n#")
    };
    let vulnerable = [pom("2.14.1").as_bytes(), b"abcd"].concat();
    let mut crc = flate2::Crc::new();
    crc.update(&vulnerable);
    let fixed_text = pom("2.17.1");
    let fixed = [fixed_text.as_bytes(), &forge_crc(fixed_text.as_bytes(), crc.sum())].concat();
    let mut check = flate2::Crc::new();
    check.update(&fixed);
    assert_eq!((check.sum(), fixed.len()), (crc.sum(), vulnerable.len()));
    let jar = |pom: &[u8]| {
        ZipBuilder::new()
            .add("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\n\r\n", false)
            .add("META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties", pom, false)
            .build()
    };
    let (a, b) = (jar(&vulnerable), jar(&fixed));
    let dir = tempfile::tempdir().unwrap();
    let app = ZipBuilder::new()
        .add("lib/a.jar", &a, true)
        .add("lib/b.jar", &b, true)
        .add("again/a.jar", &a, true)
        .add("again/b.jar", &b, true)
        .build();
    write(dir.path(), "app.zip", &app);
    write(dir.path(), "b.jar", &b);
    write(dir.path(), "a.jar", &a);
    let r = both_on(&Options::new(vec![dir.path().to_path_buf()]), &[1, 2]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    for (path, version) in [
        ("app.zip!/lib/a.jar", "2.14.1"),
        ("app.zip!/lib/b.jar", "2.17.1"),
        ("app.zip!/again/a.jar", "2.14.1"),
        ("app.zip!/again/b.jar", "2.17.1"),
        ("/a.jar", "2.14.1"),
        ("/b.jar", "2.17.1"),
    ] {
        assert_eq!(version_at(&r, path), version, "{path}");
    }
}
