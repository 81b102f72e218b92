//! Differential fuzz target for the scanner's helpers: the input, written to disk as an
//! archive, is scanned without helper threads and with two, and the two reports must be
//! equal (findings, errors, counts). Also catches panics and hangs in the scanning engine.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vulnrelay_scan::{Limits, Options, Report, scan};

/// Everything of a report but its wall time and the inflated-ahead count.
fn canonical(r: &Report) -> String {
    let errors: Vec<(String, String)> =
        r.errors.iter().map(|e| (e.path.clone(), e.error.to_string())).collect();
    format!(
        "{:?}\n{errors:?}\n{} {} {}",
        r.findings, r.files_scanned, r.archives_scanned, r.archives_replayed
    )
}

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("input.war");
    std::fs::write(&path, data).expect("write input");
    let mut opts = Options::new(vec![path]);
    opts.threads = 1;
    opts.limits = Limits { max_entry_bytes: 4 << 20, max_total_bytes: 8 << 20, ..Limits::default() };
    let reports: Vec<String> = [0, 2]
        .into_iter()
        .map(|helpers| {
            let mut o = opts.clone();
            o.helpers = Some(helpers);
            canonical(&scan(&o).expect("scan"))
        })
        .collect();
    assert_eq!(reports[0], reports[1], "helpers changed the report");
});
