//! The query parsers of the API (`within=`, `as_of=`): any text gets a value or a
//! message, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = vulnrelay_formats::time::parse_window(text);
        let _ = vulnrelay_formats::case_file::parse_time(text, chrono_tz::Tz::Asia__Shanghai);
    }
});
