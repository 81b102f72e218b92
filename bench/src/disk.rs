//! Disk-side helpers of the scan benchmarks: reading every byte of a corpus (the `cat`
//! baseline), dropping the page cache, the bytes storage delivered, and a process's peak
//! memory.

use std::fs::{self, File};
use std::io::Read;
use std::path::Path;
use std::process::Command;

/// Reads every byte of every file under `dir` once (1 MiB buffer); returns how many.
pub fn read_every_byte(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    let mut buf = vec![0u8; 1 << 20];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let mut f = File::open(e.path()).unwrap();
                loop {
                    let n = f.read(&mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    total += n as u64;
                }
            }
        }
    }
    total
}

/// Drops the page cache (needs root); `Err` says why it could not.
pub fn drop_caches() -> Result<(), String> {
    Command::new("sync").status().map_err(|e| format!("sync: {e}"))?;
    fs::write("/proc/sys/vm/drop_caches", "3").map_err(|e| format!("/proc/sys/vm/drop_caches: {e}"))
}

/// Bytes this process has caused to be fetched from storage so far.
pub fn storage_read_bytes() -> Option<u64> {
    let io = fs::read_to_string("/proc/self/io").ok()?;
    io.lines().find_map(|l| l.strip_prefix("read_bytes: ")).and_then(|v| v.trim().parse().ok())
}

/// Runs `f` once right after dropping the page cache: (time, storage bytes read, result).
pub fn cold<T>(f: impl FnOnce() -> T) -> Result<(std::time::Duration, Option<u64>, T), String> {
    drop_caches()?;
    let before = storage_read_bytes();
    let start = std::time::Instant::now();
    let out = f();
    let t = start.elapsed();
    let bytes = before.and_then(|b| storage_read_bytes().map(|a| a - b));
    Ok((t, bytes, out))
}

/// Megabytes of `bytes`, or `?`.
pub fn mb(bytes: Option<u64>) -> String {
    bytes.map(|b| format!("{:.1} MB", b as f64 / 1e6)).unwrap_or_else(|| "?".into())
}

/// One line of a report's counts.
pub fn summary(report: &vulnrelay_scan::Report) -> String {
    format!(
        "{} files, {} archives ({} replayed, {} inflated ahead), {} components, {} exposed",
        report.files_scanned,
        report.archives_scanned,
        report.archives_replayed,
        report.archives_inflated_ahead,
        report.findings.len(),
        report.findings.iter().filter(|f| f.is_exposed()).count()
    )
}

/// Resets this process's peak resident set size (`VmHWM`), so that [`peak_rss`] after some
/// work measures that work; `false` when the kernel does not allow it.
pub fn reset_peak_rss() -> bool {
    fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// This process's peak resident set size in bytes (`VmHWM` of `/proc/self/status`).
pub fn peak_rss() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let kb = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().strip_suffix("kB")?.trim();
    kb.parse::<u64>().ok().map(|k| k * 1024)
}

/// `cat` of every file under `dir` to /dev/null (`find … -exec cat {} +`); whether it ran.
pub fn cat_every_file(dir: &Path) -> bool {
    let cmd = format!("find '{}' -type f -exec cat {{}} + > /dev/null", dir.display());
    Command::new("sh").arg("-c").arg(&cmd).status().is_ok_and(|s| s.success())
}

/// The middle value of `values` (the lower middle of an even count).
pub fn median<T: Copy + Ord>(values: &[T]) -> T {
    let mut v = values.to_vec();
    v.sort();
    v[(v.len() - 1) / 2]
}
