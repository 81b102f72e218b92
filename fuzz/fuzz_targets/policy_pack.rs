//! Fuzz target for policy packs: any UTF-8 text must give a pack or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = vulnrelay_policy::Pack::from_toml(text);
    }
});
