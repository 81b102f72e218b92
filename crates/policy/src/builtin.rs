//! The packs shipped with vulnrelay, embedded at build time from `policies/`.

use crate::{Pack, PackError};

/// The source text of every shipped pack, as `(file name, TOML)`.
pub const BUILTIN_PACK_SOURCES: [(&str, &str); 3] = [
    ("cn-rmsv-2021.toml", include_str!("../../../policies/cn-rmsv-2021.toml")),
    ("cn-miit-member.toml", include_str!("../../../policies/cn-miit-member.toml")),
    ("eu-cra-2024.toml", include_str!("../../../policies/eu-cra-2024.toml")),
];

/// Parses every shipped pack. A failure here is a bug in a shipped file (a test
/// parses them all), so the error names the file.
pub fn builtin_packs() -> Result<Vec<Pack>, (String, PackError)> {
    BUILTIN_PACK_SOURCES
        .iter()
        .map(|(name, source)| Pack::from_toml(source).map_err(|e| ((*name).to_owned(), e)))
        .collect()
}
