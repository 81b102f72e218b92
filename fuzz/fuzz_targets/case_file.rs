//! Fuzz target for the case-file reader: any UTF-8 text must give a case or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = vulnrelay_formats::case_file::parse(text);
    }
});
