//! Fuzz target for the CycloneDX SBOM reader: any JSON document must give components or
//! problems.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(document) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = vulnrelay_formats::sbom::parse(&document);
    }
});
