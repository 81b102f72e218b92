//! Differential fuzz target for the scanner's reuse of work on identical bytes (`memo` and
//! `reuse`: replayed nested archives, shared directory parses, reused small inflations): the
//! input is written to disk three times (twice as it is, once behind a shell prefix its
//! offsets ignore) and scanned with deduplication and without, and the reports must be equal
//! (findings, errors, counts; not the replay count). Also catches panics and hangs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vulnrelay_scan::{Limits, Options, Report, scan};

/// Everything of a report but its wall time and what was replayed or inflated ahead.
fn canonical(r: &Report) -> String {
    let errors: Vec<(String, String)> =
        r.errors.iter().map(|e| (e.path.clone(), e.error.to_string())).collect();
    format!("{:?}\n{errors:?}\n{} {}", r.findings, r.files_scanned, r.archives_scanned)
}

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("a.war"), data).expect("write input");
    std::fs::write(dir.path().join("b.war"), data).expect("write input");
    let prefixed = [b"#!/bin/sh\nexec java -jar \"$0\"\n".as_slice(), data].concat();
    std::fs::write(dir.path().join("c.jar"), prefixed).expect("write input");
    let mut opts = Options::new(vec![dir.path().to_path_buf()]);
    opts.threads = 1;
    opts.helpers = Some(0);
    opts.limits = Limits { max_entry_bytes: 4 << 20, max_total_bytes: 8 << 20, ..Limits::default() };
    let reports: Vec<String> = [true, false]
        .into_iter()
        .map(|dedup| {
            let mut o = opts.clone();
            o.dedup = dedup;
            canonical(&scan(&o).expect("scan"))
        })
        .collect();
    assert_eq!(reports[0], reports[1], "reuse changed the report");
});
