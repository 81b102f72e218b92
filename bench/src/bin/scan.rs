//! Benchmark of `vulnrelay scan`: builds a corpus of at least 500 MB from the real Log4j jars
//! (plain jars, Spring Boot fat jars with STORED libs, wars with compressed libs inside ears,
//! tar.gz images) in a temporary directory, then prints, in the same run, the scan's wall
//! time, the time to read every byte of the corpus once (like `cat` to /dev/null), and the
//! ratio. Then, when the page cache can be dropped (root: `/proc/sys/vm/drop_caches`), the
//! same three measurements once each from a cold cache, with the bytes the storage layer
//! actually delivered (`read_bytes` of `/proc/self/io`) for the in-process ones.
//! The scan runs twice each time: with deduplication of identical compressed archives (the
//! default) and without (`Options::dedup = false`), so both figures come from the same run.
//! Usage: `cargo run --release -p vulnrelay-bench --bin scan [-- TARGET_MB]`;
//! `-- --corpus DIR [TARGET_MB]` only builds the corpus in DIR, and
//! `-- --once DIR [--no-dedup] [--threads N] [--helpers N] [--repeat N]` only scans DIR
//! (N times, printing the last; for `perf stat` and `valgrind --tool=callgrind`).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use vulnrelay_bench::best_of;
use vulnrelay_bench::disk::{cold, mb, read_every_byte, storage_read_bytes, summary};
use zip::write::SimpleFileOptions;

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/jars/log4j");
    let mut out = Vec::new();
    for sub in ["vulnerable", "not-vulnerable", "log4j1-or-old"] {
        let mut names: Vec<PathBuf> =
            fs::read_dir(root.join(sub)).expect("fixtures").map(|e| e.unwrap().path()).collect();
        names.sort();
        for p in names {
            out.push((p.file_name().unwrap().to_string_lossy().into_owned(), fs::read(&p).unwrap()));
        }
    }
    out
}

fn zip_of(entries: &[(String, &[u8])], stored: bool) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    let method = if stored { zip::CompressionMethod::Stored } else { zip::CompressionMethod::Deflated };
    let opts = SimpleFileOptions::default().compression_method(method);
    for (name, data) in entries {
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn build_corpus(dir: &Path, target: u64) -> (u64, u64) {
    let jars = fixtures();
    let mut total = 0u64;
    let mut files = 0u64;
    let mut i = 0usize;
    let write = |rel: String, bytes: &[u8], total: &mut u64, files: &mut u64| {
        let p = dir.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
        *total += bytes.len() as u64;
        *files += 1;
    };
    let libs: Vec<(String, &[u8])> =
        jars.iter().map(|(n, b)| (format!("BOOT-INF/lib/{n}"), b.as_slice())).collect();
    let fat = zip_of(&libs, true);
    let web: Vec<(String, &[u8])> =
        jars.iter().take(8).map(|(n, b)| (format!("WEB-INF/lib/{n}"), b.as_slice())).collect();
    let war = zip_of(&web, false);
    let ear = zip_of(&[("web.war".to_owned(), war.as_slice())], false);
    let mut tar = tar::Builder::new(Vec::new());
    for (n, b) in jars.iter().take(4) {
        let mut h = tar::Header::new_gnu();
        h.set_size(b.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, format!("opt/lib/{n}"), b.as_slice()).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar.into_inner().unwrap()).unwrap();
    let tgz = gz.finish().unwrap();
    while total < target {
        let app = format!("app-{i:03}");
        for (n, b) in &jars {
            write(format!("{app}/lib/{n}"), b, &mut total, &mut files);
        }
        write(format!("{app}/boot/app-{i}.jar"), &fat, &mut total, &mut files);
        if i.is_multiple_of(3) {
            write(format!("{app}/deploy/app.ear"), &ear, &mut total, &mut files);
        }
        if i.is_multiple_of(5) {
            write(format!("{app}/image.tar.gz"), &tgz, &mut total, &mut files);
        }
        for k in 0..20 {
            write(
                format!("{app}/conf/file{k}.properties"),
                format!("key{k}=value\n").as_bytes(),
                &mut total,
                &mut files,
            );
        }
        i += 1;
    }
    (total, files)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--corpus") => {
            let dir = PathBuf::from(&args[1]);
            let target_mb: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(520);
            let (bytes, files) = build_corpus(&dir, target_mb << 20);
            println!("corpus: {} files, {:.1} MB in {}", files, bytes as f64 / 1e6, dir.display());
            return;
        }
        Some("--once") => {
            let mut opts = vulnrelay_scan::Options::new(vec![PathBuf::from(&args[1])]);
            opts.dedup = !args.iter().any(|a| a == "--no-dedup");
            if let Some(n) = args.iter().position(|a| a == "--threads").and_then(|i| args.get(i + 1)) {
                opts.threads = n.parse().expect("--threads N");
            }
            if let Some(n) = args.iter().position(|a| a == "--helpers").and_then(|i| args.get(i + 1)) {
                opts.helpers = Some(n.parse().expect("--helpers N"));
            }
            let repeat: usize = args
                .iter()
                .position(|a| a == "--repeat")
                .and_then(|i| args.get(i + 1))
                .map_or(1, |n| n.parse().expect("--repeat N"));
            for _ in 1..repeat {
                vulnrelay_scan::scan(&opts).expect("scan");
            }
            let before = storage_read_bytes();
            let report = vulnrelay_scan::scan(&opts).expect("scan");
            let read = before.and_then(|b| storage_read_bytes().map(|a| a - b));
            println!(
                "scan (dedup {}): {:.3} s, storage read {}, {}",
                opts.dedup,
                report.elapsed.as_secs_f64(),
                mb(read),
                summary(&report)
            );
            return;
        }
        _ => {}
    }
    let target_mb: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(520);
    let dir = tempfile::tempdir().expect("temp dir");
    let (bytes, files) = build_corpus(dir.path(), target_mb << 20);
    println!("corpus: {} files, {:.1} MB in {}", files, bytes as f64 / 1e6, dir.path().display());
    // Warm the page cache once so both measurements read from memory.
    read_every_byte(dir.path());
    let (cat_rust, read) = best_of(3, || read_every_byte(dir.path()));
    assert_eq!(read, bytes);
    let cat_cmd = format!("find '{}' -type f -exec cat {{}} + > /dev/null", dir.path().display());
    let (cat_tool, status) = best_of(3, || Command::new("sh").arg("-c").arg(&cat_cmd).status());
    let cat_tool_ok = status.map(|s| s.success()).unwrap_or(false);
    let opts = vulnrelay_scan::Options::new(vec![dir.path().to_path_buf()]);
    let mut no_dedup = opts.clone();
    no_dedup.dedup = false;
    // Alternate the two so that load from other processes hits both alike.
    let mut scan_time = std::time::Duration::MAX;
    let mut plain_time = std::time::Duration::MAX;
    let mut report = None;
    let mut plain_report = None;
    for _ in 0..3 {
        let (t, r) = best_of(1, || vulnrelay_scan::scan(&opts).expect("scan"));
        scan_time = scan_time.min(t);
        report = Some(r);
        let (t, r) = best_of(1, || vulnrelay_scan::scan(&no_dedup).expect("scan"));
        plain_time = plain_time.min(t);
        plain_report = Some(r);
    }
    let (report, plain_report) = (report.unwrap(), plain_report.unwrap());
    assert!(report.errors.is_empty(), "{:?}", report.errors.first());
    assert!(plain_report.errors.is_empty(), "{:?}", plain_report.errors.first());
    assert_eq!(report.findings, plain_report.findings);
    println!(
        "scan: {:.3} s ({}, {} threads)",
        scan_time.as_secs_f64(),
        summary(&report),
        vulnrelay_scan::walk::auto_threads()
    );
    println!("scan without dedup: {:.3} s ({})", plain_time.as_secs_f64(), summary(&plain_report));
    println!("read every byte once (Rust, 1 MiB buffer): {:.3} s", cat_rust.as_secs_f64());
    if cat_tool_ok {
        println!("read every byte once (find | cat > /dev/null): {:.3} s", cat_tool.as_secs_f64());
    }
    let baseline = if cat_tool_ok { cat_rust.min(cat_tool) } else { cat_rust };
    println!(
        "ratio scan / read-every-byte: {:.3} (scan throughput {:.0} MB/s of corpus); without dedup {:.3}",
        scan_time.as_secs_f64() / baseline.as_secs_f64(),
        bytes as f64 / 1e6 / scan_time.as_secs_f64(),
        plain_time.as_secs_f64() / baseline.as_secs_f64()
    );
    if cat_tool_ok {
        // The issue's own baseline: `cat` to /dev/null (the line above takes the faster read).
        println!(
            "ratio scan / cat: {:.3}; without dedup {:.3}",
            scan_time.as_secs_f64() / cat_tool.as_secs_f64(),
            plain_time.as_secs_f64() / cat_tool.as_secs_f64()
        );
    }
    // Cold page cache: one run each, right after dropping the cache.
    match cold(|| vulnrelay_scan::scan(&opts).expect("scan")).and_then(|scan| {
        let rust = cold(|| read_every_byte(dir.path()))?;
        let cat = cold(|| Command::new("sh").arg("-c").arg(&cat_cmd).status())?;
        let plain = cold(|| vulnrelay_scan::scan(&no_dedup).expect("scan"))?;
        Ok((scan, rust, cat, plain))
    }) {
        Ok(((scan_t, scan_b, report), (rust_t, rust_b, _), (cat_t, _, _), (plain_t, plain_b, _))) => {
            assert!(report.errors.is_empty(), "{:?}", report.errors.first());
            let baseline = rust_t.min(cat_t);
            println!(
                "cold cache: scan {:.3} s (storage read {}), read every byte {:.3} s (Rust, storage read {}) / {:.3} s (cat); ratio {:.3}; without dedup {:.3} s (storage read {}), ratio {:.3}",
                scan_t.as_secs_f64(),
                mb(scan_b),
                rust_t.as_secs_f64(),
                mb(rust_b),
                cat_t.as_secs_f64(),
                scan_t.as_secs_f64() / baseline.as_secs_f64(),
                plain_t.as_secs_f64(),
                mb(plain_b),
                plain_t.as_secs_f64() / baseline.as_secs_f64()
            );
        }
        Err(e) => println!("cold cache: not measured ({e})"),
    }
    // Breakdown by kind of file: the same scan restricted by --exclude globs.
    for (label, exclude) in [
        ("plain jars (lib/)", vec!["boot", "deploy", "*.tar.gz"]),
        ("Spring Boot fat jars, STORED libs (boot/)", vec!["lib", "deploy", "*.tar.gz"]),
        ("ears with deflated wars and jars, tar.gz (deploy/, image.tar.gz)", vec!["lib", "boot"]),
    ] {
        let mut o = opts.clone();
        o.excludes = exclude.iter().map(|s| (*s).to_owned()).collect();
        let (t, r) = best_of(3, || vulnrelay_scan::scan(&o).expect("scan"));
        let part: u64 = r
            .findings
            .iter()
            .map(|f| f.file.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .iter()
            .filter_map(|p| fs::metadata(p).ok().map(|m| m.len()))
            .sum();
        println!(
            "  {label}: {:.1} MB scanned in {:.3} s = {:.0} MB/s (read-every-byte rate {:.0} MB/s)",
            part as f64 / 1e6,
            t.as_secs_f64(),
            part as f64 / 1e6 / t.as_secs_f64(),
            bytes as f64 / 1e6 / baseline.as_secs_f64()
        );
    }
}
