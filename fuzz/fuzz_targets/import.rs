//! Fuzz target for record import (format detection, OSV, CVE 5, CSAF): any UTF-8 text must
//! give records or problems.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = vulnrelay_formats::import::import(text, "fuzz");
    }
});
