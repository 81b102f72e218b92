//! Benchmark of `vulnrelay scan` on **distinct** real jars, where reusing work on identical
//! bytes cannot help: the corpus is built from the jars of Debian's Java library packages
//! (`bench/distinct-corpus.sh` downloads and unpacks them), deduplicated by SHA-256. Every
//! third distinct jar goes into one of 20 fat archives holding disjoint subsets (war, ear
//! holding a war and jars, zip, tar.gz, Spring Boot jar with STORED libs, tgz → ear → war);
//! the others are plain files. So every jar's bytes are in the corpus exactly once.
//!
//! Measured in the same run, `--runs` rounds (default 5), each alternating: `cat` of every
//! file to /dev/null, reading every byte in-process (1 MiB buffer), the scan with reuse
//! (default options) and without (`Options::dedup = false`), each scan's peak resident set
//! (`VmHWM`, reset before it). Then, when the page cache can be dropped (root), the same from
//! a cold cache. Prints every round and the medians with their ratios to `cat`.
//!
//! Usage: `cargo run --release -p vulnrelay-bench --bin distinct -- --build OUT SRC...` builds
//! the corpus in OUT from the jars under the SRC directories; `-- OUT [--runs N]` measures.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use vulnrelay_bench::disk::{
    cat_every_file, drop_caches, median, peak_rss, read_every_byte, reset_peak_rss, storage_read_bytes,
    summary,
};
use zip::write::SimpleFileOptions;

/// Fat archives the corpus holds; each nests a disjoint subset of the distinct jars.
const FAT_ARCHIVES: usize = 20;

/// Every regular `.jar` file under `dir` (links are not followed: a package's links point at
/// jars already found under their real path).
fn jars_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let Ok(t) = e.file_type() else { continue };
        let p = e.path();
        if t.is_dir() {
            jars_under(&p, out);
        } else if t.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("jar")) {
            out.push(p);
        }
    }
}

/// A ZIP archive of `entries`, STORED or deflated.
fn zip_of(entries: &[(String, &[u8])], stored: bool) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    let method = if stored { zip::CompressionMethod::Stored } else { zip::CompressionMethod::Deflated };
    let opts = SimpleFileOptions::default().compression_method(method).large_file(false);
    for (name, data) in entries {
        w.start_file(name.as_str(), opts).expect("zip entry");
        w.write_all(data).expect("zip write");
    }
    w.finish().expect("zip").into_inner()
}

/// A gzipped tar of `entries`.
fn tgz_of(entries: &[(String, &[u8])]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, name, *data).expect("tar entry");
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar.into_inner().expect("tar")).expect("gzip");
    gz.finish().expect("gzip")
}

/// Names `jars` under `dir/`.
fn under<'a>(dir: &str, jars: &[(&'a str, &'a [u8])]) -> Vec<(String, &'a [u8])> {
    jars.iter().map(|(n, b)| (format!("{dir}/{n}"), *b)).collect()
}

/// Fat archive number `i` of the kind its number picks, holding `jars`: (file name, bytes).
fn fat_archive(i: usize, jars: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let half = jars.len() / 2;
    match i % 6 {
        0 => (format!("app-{i}.war"), zip_of(&under("WEB-INF/lib", jars), false)),
        1 => {
            let war = zip_of(&under("WEB-INF/lib", &jars[..half]), false);
            let mut entries = vec![("web.war".to_owned(), war.as_slice())];
            entries.extend(under("lib", &jars[half..]));
            (format!("app-{i}.ear"), zip_of(&entries, false))
        }
        2 => (format!("dist-{i}.zip"), zip_of(&under("dist/lib", jars), false)),
        3 => (format!("image-{i}.tar.gz"), tgz_of(&under("opt/app/lib", jars))),
        4 => {
            let mut entries = under("BOOT-INF/lib", jars);
            entries.push(("META-INF/MANIFEST.MF".to_owned(), b"Manifest-Version: 1.0\r\n\r\n".as_slice()));
            (format!("boot-{i}.jar"), zip_of(&entries, true))
        }
        _ => {
            let war = zip_of(&under("WEB-INF/lib", jars), false);
            let ear = zip_of(&[("web.war".to_owned(), war.as_slice())], false);
            (format!("bundle-{i}.tgz"), tgz_of(&[("deploy/app.ear".to_owned(), ear.as_slice())]))
        }
    }
}

fn build(out: &Path, sources: &[PathBuf]) {
    let mut paths = Vec::new();
    for s in sources {
        jars_under(s, &mut paths);
    }
    paths.sort();
    // Distinct by SHA-256 of the bytes; ordered by that hash (deterministic for a set of
    // packages), the first path seen names it.
    let mut distinct: BTreeMap<[u8; 32], (String, Vec<u8>)> = BTreeMap::new();
    let (mut seen, mut not_zip) = (0usize, 0usize);
    for p in &paths {
        let Ok(bytes) = fs::read(p) else { continue };
        seen += 1;
        if !bytes.starts_with(b"PK") {
            not_zip += 1;
            continue;
        }
        let name = p.file_name().unwrap_or_default().to_string_lossy().into_owned();
        distinct.entry(Sha256::digest(&bytes).into()).or_insert((name, bytes));
    }
    fs::create_dir_all(out).expect("corpus directory");
    let mut groups: Vec<Vec<(&str, &[u8])>> = vec![Vec::new(); FAT_ARCHIVES];
    let (mut plain, mut plain_bytes, mut total) = (0usize, 0u64, 0u64);
    for (n, (hash, (name, bytes))) in distinct.iter().enumerate() {
        if n % 3 == 0 {
            groups[(n / 3) % FAT_ARCHIVES].push((name.as_str(), bytes.as_slice()));
            continue;
        }
        let dir = out.join("lib").join(hash[..4].iter().map(|b| format!("{b:02x}")).collect::<String>());
        fs::create_dir_all(&dir).expect("jar directory");
        fs::write(dir.join(name), bytes).expect("jar");
        plain += 1;
        plain_bytes += bytes.len() as u64;
    }
    total += plain_bytes;
    fs::create_dir_all(out.join("fat")).expect("fat directory");
    for (i, jars) in groups.iter().enumerate() {
        let (name, bytes) = fat_archive(i, jars);
        fs::write(out.join("fat").join(&name), &bytes).expect("fat archive");
        total += bytes.len() as u64;
        println!("  {name}: {} jars, {:.1} MB", jars.len(), bytes.len() as f64 / 1e6);
    }
    println!(
        "corpus: {} jar files read ({} not ZIP), {} distinct by SHA-256: {} plain ({:.1} MB), {} in {} fat archives; {:.1} MB in {}",
        seen,
        not_zip,
        distinct.len(),
        plain,
        plain_bytes as f64 / 1e6,
        distinct.len() - plain,
        FAT_ARCHIVES,
        total as f64 / 1e6,
        out.display()
    );
}

/// One measured scan: wall time, peak resident set, bytes from storage, the report.
fn timed_scan(
    opts: &vulnrelay_scan::Options,
) -> (Duration, Option<u64>, Option<u64>, vulnrelay_scan::Report) {
    let reset = reset_peak_rss();
    let before = storage_read_bytes();
    let start = Instant::now();
    let report = vulnrelay_scan::scan(opts).expect("scan");
    let t = start.elapsed();
    let read = before.and_then(|b| storage_read_bytes().map(|a| a - b));
    (t, peak_rss().filter(|_| reset), read, report)
}

fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// One round's figures.
#[derive(Default, Clone, Copy)]
struct Round {
    cat: Duration,
    rust: Duration,
    scan: Duration,
    plain: Duration,
    scan_rss: u64,
    plain_rss: u64,
    scan_read: u64,
    plain_read: u64,
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn measure(dir: &Path, runs: usize) {
    let bytes = read_every_byte(dir);
    let files = fs::read_dir(dir.join("lib")).map(|d| d.count()).unwrap_or(0);
    println!("corpus {}: {:.1} MB ({} plain-jar directories)", dir.display(), bytes as f64 / 1e6, files);
    let opts = vulnrelay_scan::Options::new(vec![dir.to_path_buf()]);
    let mut no_dedup = opts.clone();
    no_dedup.dedup = false;
    let (_, _, _, first) = timed_scan(&opts);
    assert!(first.errors.is_empty(), "{:?}", first.errors.first());
    println!("scan: {} ({} threads)", summary(&first), vulnrelay_scan::walk::auto_threads());
    let mb = |b: u64| b as f64 / 1e6;
    for cold in [false, true] {
        if cold && let Err(e) = drop_caches() {
            println!("cold cache: not measured ({e})");
            break;
        }
        let label = if cold { "cold" } else { "warm" };
        let mut rounds = Vec::new();
        for r in 0..runs {
            let mut round = Round::default();
            // Each measurement of a cold round starts from a dropped cache; a warm round reads
            // the corpus once first.
            let prepare = || {
                if cold {
                    drop_caches().expect("drop caches");
                } else {
                    read_every_byte(dir);
                }
            };
            prepare();
            round.cat = timed(|| assert!(cat_every_file(dir), "cat"));
            prepare();
            round.rust = timed(|| assert_eq!(read_every_byte(dir), bytes));
            // Alternate which scan goes first, so that load from other processes hits both.
            for which in if r % 2 == 0 { [true, false] } else { [false, true] } {
                prepare();
                let (t, rss, read, report) = timed_scan(if which { &opts } else { &no_dedup });
                assert_eq!(report.findings, first.findings, "the same report with and without reuse");
                if which {
                    (round.scan, round.scan_rss, round.scan_read) = (t, rss.unwrap_or(0), read.unwrap_or(0));
                } else {
                    (round.plain, round.plain_rss, round.plain_read) =
                        (t, rss.unwrap_or(0), read.unwrap_or(0));
                }
            }
            println!(
                "{label} round {}: cat {:.3} s, Rust read {:.3} s; scan {:.3} s ({:.2}× cat, peak RSS {:.0} MB, storage {:.0} MB); without reuse {:.3} s ({:.2}× cat, peak RSS {:.0} MB, storage {:.0} MB)",
                r + 1,
                secs(round.cat),
                secs(round.rust),
                secs(round.scan),
                secs(round.scan) / secs(round.cat),
                mb(round.scan_rss),
                mb(round.scan_read),
                secs(round.plain),
                secs(round.plain) / secs(round.cat),
                mb(round.plain_rss),
                mb(round.plain_read),
            );
            rounds.push(round);
        }
        let m = |f: fn(&Round) -> Duration| median(&rounds.iter().map(f).collect::<Vec<_>>());
        let r = |f: fn(&Round) -> u64| median(&rounds.iter().map(f).collect::<Vec<_>>());
        let (cat, rust, scan, plain) = (m(|r| r.cat), m(|r| r.rust), m(|r| r.scan), m(|r| r.plain));
        println!(
            "{label}, medians of {runs}: cat {:.3} s, Rust read {:.3} s; scan {:.3} s = {:.2}× cat, peak RSS {:.0} MB; without reuse {:.3} s = {:.2}× cat, peak RSS {:.0} MB; reuse ÷ no reuse: time {:.2}, memory {:.2}",
            secs(cat),
            secs(rust),
            secs(scan),
            secs(scan) / secs(cat),
            mb(r(|r| r.scan_rss)),
            secs(plain),
            secs(plain) / secs(cat),
            mb(r(|r| r.plain_rss)),
            secs(scan) / secs(plain),
            r(|r| r.scan_rss) as f64 / r(|r| r.plain_rss).max(1) as f64,
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--build") {
        let out = PathBuf::from(args.get(1).expect("--build OUT SRC..."));
        let sources: Vec<PathBuf> = args[2..].iter().map(PathBuf::from).collect();
        assert!(!sources.is_empty(), "--build OUT SRC...");
        build(&out, &sources);
        return;
    }
    let dir = PathBuf::from(args.first().expect("corpus directory (build it with --build OUT SRC...)"));
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .map_or(5, |n| n.parse().expect("--runs N"));
    measure(&dir, runs);
}
