//! Fuzz target for package-URL parsing in the matcher: any UTF-8 text must give a key or an
//! error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = vulnrelay_match::parse_purl(text);
    }
});
