//! Fuzz target for the archive reader: central directory parsing, local header
//! cross-checks, bounded decompression of every entry, and the strict verifier.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vulnrelay_scan::Limits;
use vulnrelay_scan::source::Source;
use vulnrelay_scan::zipfile::ZipArchive;

fuzz_target!(|data: &[u8]| {
    let limits =
        Limits { max_entry_bytes: 1 << 20, max_central_directory_bytes: 1 << 20, ..Limits::default() };
    let source = Source::memory(data.to_vec());
    if let Ok(zip) = ZipArchive::open(source.clone(), &limits) {
        for entry in zip.entries() {
            let _ = zip.read_entry(entry, 1 << 20);
            let _ = zip.peek_entry(entry, 512);
        }
    }
    let _ = vulnrelay_scan::fix::verify(source, &limits);
});
