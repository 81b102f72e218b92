//! Helper threads that inflate an archive's large compressed entries ahead of its scan
//! (`Options::helpers`) must not change a report: every scan here runs without helpers and
//! with one and three, with and without deduplication, on one and two walker threads, and the
//! reports must be equal, while the runs with helpers really inflated archives ahead.

use std::io::Write;

use crate::common::*;
use vulnrelay_scan::{Limits, Options, Report, scan};

/// Scans `opts` in every combination; asserts equal reports; returns the one with one
/// helper (one walker thread, no deduplication: every archive is inflated).
fn same_with_and_without_helpers(opts: &Options) -> Report {
    let mut base = opts.clone();
    base.helpers = Some(0);
    base.threads = 1;
    base.dedup = false;
    let reference = scan(&base).unwrap();
    assert_eq!(reference.archives_inflated_ahead, 0);
    let want = canonical(&reference);
    let mut helped = None;
    for dedup in [false, true] {
        for threads in [1, 2] {
            for helpers in [0, 1, 3] {
                let mut o = opts.clone();
                o.dedup = dedup;
                o.threads = threads;
                o.helpers = Some(helpers);
                let r = scan(&o).unwrap();
                let got = canonical(&r);
                if got != want {
                    let line = got.lines().zip(want.lines()).position(|(x, y)| x != y).unwrap_or(0);
                    panic!(
                        "helpers {helpers}, threads {threads}, dedup {dedup} changed the report at line {line}:\n  got:  {:?}\n  want: {:?}",
                        got.lines().nth(line),
                        want.lines().nth(line)
                    );
                }
                if helpers == 0 {
                    assert_eq!(r.archives_inflated_ahead, 0);
                }
                if (helpers, threads, dedup) == (1, 1, false) {
                    helped = Some(r);
                }
            }
        }
    }
    helped.unwrap()
}

/// Position of the central directory record of `name` in a ZIP built by [`ZipBuilder`].
fn central_record(zip: &[u8], name: &str) -> usize {
    (0..zip.len() - 46)
        .find(|&i| {
            zip[i..i + 4] == [0x50, 0x4b, 0x01, 0x02] && {
                let n = u16::from_le_bytes([zip[i + 28], zip[i + 29]]) as usize;
                zip.get(i + 46..i + 46 + n) == Some(name.as_bytes())
            }
        })
        .expect(name)
}

/// Rewrites the uncompressed size `name`'s central directory record declares.
fn declare_size(zip: &mut [u8], name: &str, size: u32) {
    let at = central_record(zip, name) + 24;
    zip[at..at + 4].copy_from_slice(&size.to_le_bytes());
}

/// Flips bytes in the middle of `name`'s compressed data.
fn corrupt_data(zip: &mut [u8], name: &str) {
    let cd = central_record(zip, name);
    let csize = u32::from_le_bytes(zip[cd + 20..cd + 24].try_into().unwrap()) as usize;
    let local = u32::from_le_bytes(zip[cd + 42..cd + 46].try_into().unwrap()) as usize;
    let n = u16::from_le_bytes([zip[local + 26], zip[local + 27]]) as usize;
    let data = local + 30 + n;
    for b in &mut zip[data + csize / 2..data + csize / 2 + 64] {
        *b ^= 0x5a;
    }
}

/// A war of real jars, all deflated and large enough to be inflated ahead.
fn war_of_real_jars() -> Vec<u8> {
    let core = read("vulnerable/log4j-core-2.14.1.jar");
    let core_2121 = read("vulnerable/log4j-core-2.12.1.jar");
    let bare = rebuild(&core, |n| !n.starts_with("META-INF/maven/"));
    let patched = rebuild(&core_2121, |n| !n.ends_with("JndiLookup.class"));
    ZipBuilder::new()
        .add("WEB-INF/web.xml", b"<web-app/>", false)
        .add("WEB-INF/lib/log4j-core-2.14.1.jar", &core, false)
        .add("WEB-INF/lib/log4j-core-2.12.1.jar", &patched, false)
        .add("WEB-INF/lib/log4j-api-2.14.1.jar", &read("not-vulnerable/log4j-api-2.14.1.jar"), false)
        .add("WEB-INF/lib/log4j-1.2.17.jar", &read("log4j1-or-old/log4j-1.2.17.jar"), false)
        .add("WEB-INF/lib/shaded.jar", &bare, false)
        .add("WEB-INF/lib/log4j-core-2.9.1.jar", &read("vulnerable/log4j-core-2.9.1.jar"), false)
        .build()
}

#[test]
fn wars_and_ears_of_real_jars_give_the_same_report_with_and_without_helpers() {
    let dir = tempfile::tempdir().unwrap();
    let war = war_of_real_jars();
    let ear = ZipBuilder::new()
        .add("META-INF/application.xml", b"<application/>", false)
        .add("a.war", &war, false)
        .add("b.war", &rebuild(&war, |n| !n.contains("log4j-1.2.17")), false)
        .build();
    write(dir.path(), "deploy/app.ear", &ear);
    write(dir.path(), "deploy/web.war", &war);
    write(dir.path(), "copy/app.ear", &ear);
    let mut opts = Options::new(vec![dir.path().to_path_buf()]);
    let r = same_with_and_without_helpers(&opts);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    // The war on disk alone has six jars (a top-level archive of a one-thread walk always finds
    // the scan's helper free); the ears' wars and their jars may find it busy.
    assert!(r.archives_inflated_ahead >= 6, "inflated ahead {}", r.archives_inflated_ahead);
    let want = "deploy/app.ear!/b.war!/WEB-INF/lib/shaded.jar";
    let f = r.findings.iter().find(|f| f.path.ends_with(want)).expect(want);
    assert_eq!(f.location, ["b.war", "WEB-INF/lib/shaded.jar"]);
    // Depth limits that cut the jars of the ear's wars but not those of the war on disk.
    opts.limits = Limits { max_depth: 1, ..Limits::default() };
    let r = same_with_and_without_helpers(&opts);
    assert!(has_error_kind(&r, "depth-exceeded"));
}

#[test]
fn budgets_that_run_out_midway_give_the_same_report_with_and_without_helpers() {
    let dir = tempfile::tempdir().unwrap();
    let war = war_of_real_jars();
    write(dir.path(), "web.war", &war);
    let core = read("vulnerable/log4j-core-2.14.1.jar");
    let mut opts = Options::new(vec![dir.path().to_path_buf()]);
    // The smallest byte budget that lets the fifth jar (one a helper inflates) be entered,
    // found without helpers: one byte less runs out exactly at the end of its stream.
    let shaded_fails = |budget: u64| {
        let mut o = opts.clone();
        (o.helpers, o.threads, o.limits.max_total_bytes) = (Some(0), 1, budget);
        error_paths(&scan(&o).unwrap()).iter().any(|p| p.ends_with("WEB-INF/lib/shaded.jar"))
    };
    let (mut lo, mut hi) = (1u64, 64 << 20);
    assert!(shaded_fails(lo) && !shaded_fails(hi));
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if shaded_fails(mid) { lo = mid } else { hi = mid }
    }
    for limits in [
        // The byte budget runs out exactly at the end of a jar's stream, and just after it.
        Limits { max_total_bytes: lo, ..Limits::default() },
        Limits { max_total_bytes: hi, ..Limits::default() },
        // It runs out inside the third jar.
        Limits { max_total_bytes: 3 * core.len() as u64, ..Limits::default() },
        Limits { max_archives: 4, ..Limits::default() },
        Limits { max_entry_bytes: core.len() as u64 - 1, ..Limits::default() },
        // Jars above the spill threshold are streamed to temporary files, not inflated ahead.
        Limits { spill_threshold: 1 << 20, ..Limits::default() },
    ] {
        opts.limits = limits;
        let r = same_with_and_without_helpers(&opts);
        if opts.limits.spill_threshold == 1 << 20 || opts.limits.max_total_bytes == hi {
            assert!(!error_paths(&r).iter().any(|p| p.ends_with("WEB-INF/lib/shaded.jar")), "{:?}", r.errors);
        } else {
            assert!(has_error_kind(&r, "limit-exceeded"), "{:?}", opts.limits);
        }
    }
}

#[test]
fn corrupt_streams_and_lying_sizes_give_the_same_report_with_and_without_helpers() {
    let dir = tempfile::tempdir().unwrap();
    let core = read("vulnerable/log4j-core-2.14.1.jar");
    let mut war = war_of_real_jars();
    // One jar's deflate stream is corrupt; another inflates past the size it declares; a
    // third declares more than it holds.
    corrupt_data(&mut war, "WEB-INF/lib/log4j-1.2.17.jar");
    declare_size(&mut war, "WEB-INF/lib/log4j-core-2.14.1.jar", core.len() as u32 / 2);
    declare_size(&mut war, "WEB-INF/lib/shaded.jar", core.len() as u32 * 2);
    write(dir.path(), "web.war", &war);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&war).unwrap();
    write(dir.path(), "web.war.gz", &gz.finish().unwrap());
    let opts = Options::new(vec![dir.path().to_path_buf()]);
    let r = same_with_and_without_helpers(&opts);
    assert!(r.archives_inflated_ahead > 0);
    // The jar that lies about its size is still scanned (sizes are not checked here); the
    // corrupt one is an error under its path, in the war on disk and in the gzipped one.
    assert!(r.findings.iter().any(|f| f.path.ends_with("web.war!/WEB-INF/lib/log4j-core-2.14.1.jar")));
    let broken = r.errors.iter().filter(|e| e.path.ends_with("WEB-INF/lib/log4j-1.2.17.jar")).count();
    assert_eq!(broken, 2, "{:#?}", r.errors);
}

#[test]
fn tar_gz_images_whole_truncated_and_corrupt_give_the_same_report_with_and_without_helpers() {
    let dir = tempfile::tempdir().unwrap();
    let core = read("vulnerable/log4j-core-2.14.1.jar");
    let war = war_of_real_jars();
    let tgz = tgz_of(&[
        ("opt/lib/log4j-core-2.14.1.jar", &core),
        ("opt/app/web.war", &war),
        ("opt/lib/log4j-1.2.17.jar", &read("log4j1-or-old/log4j-1.2.17.jar")),
        ("opt/lib/log4j-core-2.3.jar", &read("vulnerable/log4j-core-2.3.jar")),
    ]);
    assert!(tgz.len() as u64 > 4 << 20);
    write(dir.path(), "image.tar.gz", &tgz);
    let mut cut = tgz.clone();
    cut.truncate(tgz.len() * 2 / 3);
    write(dir.path(), "truncated.tar.gz", &cut);
    let mut bad = tgz.clone();
    for b in &mut bad[tgz.len() / 2..tgz.len() / 2 + 4096] {
        *b = b.wrapping_mul(31).wrapping_add(7);
    }
    write(dir.path(), "corrupt.tar.gz", &bad);
    let mut opts = Options::new(vec![dir.path().to_path_buf()]);
    let r = same_with_and_without_helpers(&opts);
    assert!(r.findings.iter().any(|f| f.path.ends_with("image.tar.gz!/opt/lib/log4j-core-2.3.jar")));
    assert!(
        r.findings.iter().any(|f| f.path.ends_with("image.tar.gz!/opt/app/web.war!/WEB-INF/lib/shaded.jar"))
    );
    assert!(r.errors.iter().any(|e| e.path.contains("truncated.tar.gz")), "{:#?}", r.errors);
    assert!(r.errors.iter().any(|e| e.path.contains("corrupt.tar.gz")), "{:#?}", r.errors);
    assert!(!r.errors.iter().any(|e| e.path.contains("image.tar.gz")), "{:#?}", r.errors);
    // The byte budget running out partway through the stream.
    opts.limits = Limits { max_total_bytes: 2 * core.len() as u64, ..Limits::default() };
    let r = same_with_and_without_helpers(&opts);
    assert!(has_error_kind(&r, "limit-exceeded"));
}

#[test]
fn helpers_inflate_no_more_than_the_byte_budget_lets_the_scan_read() {
    // Thirty large jars in one war, and a budget that lets the scan read three of them:
    // without that bound helpers would inflate every one only for the scan to refuse it.
    let dir = tempfile::tempdir().unwrap();
    let core = read("vulnerable/log4j-core-2.3.jar");
    let mut b = ZipBuilder::new();
    for i in 0..30 {
        b = b.add(&format!("WEB-INF/lib/core-{i:02}.jar"), &core, false);
    }
    write(dir.path(), "many.war", &b.build());
    let mut opts = Options::new(vec![dir.path().to_path_buf()]);
    opts.limits = Limits { max_total_bytes: 3 * core.len() as u64 + 1000, ..Limits::default() };
    let r = same_with_and_without_helpers(&opts);
    let refused = error_count(&r, "limit-exceeded");
    assert!(refused >= 26, "{refused} refused: {:#?}", r.errors);
    for helpers in [1, 3] {
        opts.helpers = Some(helpers);
        let r = scan(&opts).unwrap();
        assert!(r.archives_inflated_ahead <= 3, "{helpers} helpers inflated {}", r.archives_inflated_ahead);
    }
}

#[test]
fn randomly_damaged_wars_give_the_same_report_with_and_without_helpers() {
    // A small xorshift generator with a fixed seed: the same damage on every run.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let war = ZipBuilder::new()
        .add("WEB-INF/lib/a.jar", &read("vulnerable/log4j-core-2.3.jar"), false)
        .add("WEB-INF/lib/b.jar", &read("log4j1-or-old/log4j-1.2.17.jar"), false)
        .add("WEB-INF/lib/c.jar", &read("vulnerable/log4j-core-2.0-beta9.jar"), false)
        .add("WEB-INF/lib/d.jar", &read("not-vulnerable/log4j-api-2.14.1.jar"), false)
        .build();
    let dir = tempfile::tempdir().unwrap();
    let mut partly_damaged = 0;
    for case in 0..24 {
        let mut bytes = war.clone();
        for _ in 0..1 + next(4) {
            match next(3) {
                // Scribble over a run of bytes anywhere (data, local headers, the directory).
                0 => {
                    let at = next(bytes.len() - 64);
                    for b in &mut bytes[at..at + 1 + next(63)] {
                        *b = next(256) as u8;
                    }
                }
                // Change one size field of one central directory record.
                1 => {
                    let name = ["WEB-INF/lib/a.jar", "WEB-INF/lib/b.jar", "WEB-INF/lib/c.jar"][next(3)];
                    declare_size(&mut bytes, name, next(2 << 20) as u32);
                }
                // Flip bits in one entry's compressed data.
                _ => corrupt_data(&mut bytes, ["WEB-INF/lib/a.jar", "WEB-INF/lib/c.jar"][next(2)]),
            }
        }
        let path = dir.path().join(format!("case-{case:02}.war"));
        std::fs::write(&path, &bytes).unwrap();
        let mut opts = Options::new(vec![path]);
        if case % 3 == 0 {
            opts.limits = Limits { max_total_bytes: 1 + next(4 << 20) as u64, ..Limits::default() };
        }
        let reports: Vec<Report> = [0, 1, 3]
            .iter()
            .map(|&helpers| {
                let mut o = opts.clone();
                (o.helpers, o.threads) = (Some(helpers), 1);
                scan(&o).unwrap()
            })
            .collect();
        assert_eq!(canonical(&reports[0]), canonical(&reports[1]), "case {case}, one helper");
        assert_eq!(canonical(&reports[0]), canonical(&reports[2]), "case {case}, three helpers");
        partly_damaged += usize::from(!reports[0].findings.is_empty() && !reports[0].errors.is_empty());
    }
    // Most cases break some entries and leave others to be found.
    assert!(partly_damaged >= 8, "{partly_damaged} of 24 cases partly damaged");
}
