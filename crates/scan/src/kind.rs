//! Archive kinds and entry-name checks: what some bytes are (ZIP, gzip, tar) from their first
//! bytes and name, which names are never archives, and which names are refused. Pure functions
//! of names and bytes, shared by the scan, its plans, its helpers and its memo.

use crate::zipfile::has_zip_magic;
/// What kind of archive some bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// ZIP (jar, war, ear, ...), possibly after a prefix.
    Zip,
    /// gzip (tar.gz, or a gzipped jar).
    Gzip,
    /// POSIX/GNU tar.
    Tar,
}

/// Bytes read from the start of an entry or file to tell what kind of archive it is.
pub(crate) const HEAD: usize = 512;

const ARCHIVE_EXTS: [&str; 17] = [
    ".jar", ".war", ".ear", ".zip", ".aar", ".rar", ".nar", ".hpi", ".jpi", ".jmod", ".sar", ".par", ".kar",
    ".tar", ".tgz", ".gz", ".apk",
];

pub(crate) const NEVER_ARCHIVE_EXTS: [&str; 40] = [
    ".class",
    ".properties",
    ".xml",
    ".mf",
    ".html",
    ".htm",
    ".txt",
    ".png",
    ".gif",
    ".jpg",
    ".jpeg",
    ".svg",
    ".css",
    ".js",
    ".json",
    ".dtd",
    ".xsd",
    ".sf",
    ".rsa",
    ".dsa",
    ".ec",
    ".java",
    ".kotlin_module",
    ".md",
    ".yml",
    ".yaml",
    ".vm",
    ".ftl",
    ".tld",
    ".ico",
    ".ttf",
    ".woff",
    ".woff2",
    ".map",
    ".sql",
    ".groovy",
    ".kt",
    ".scala",
    ".list",
    ".factories",
];

pub(crate) fn lower_ext_match(name: &str, exts: &[&str]) -> bool {
    let b = name.as_bytes();
    exts.iter().any(|e| b.len() >= e.len() && b[b.len() - e.len()..].eq_ignore_ascii_case(e.as_bytes()))
}

/// Whether a name looks like an archive.
pub fn archive_name(name: &str) -> bool {
    lower_ext_match(name, &ARCHIVE_EXTS)
}

/// Detects an archive from its first bytes; `name` decides only whether a ZIP with a prefix
/// (shell script, executable) is worth looking for.
pub fn detect(head: &[u8], name: &str) -> Option<Kind> {
    if has_zip_magic(head) {
        return Some(Kind::Zip);
    }
    if head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b {
        return Some(Kind::Gzip);
    }
    if head.len() >= 262 && &head[257..262] == b"ustar" {
        return Some(Kind::Tar);
    }
    let prefixed = head.starts_with(b"#!") || head.starts_with(b"MZ") || head.starts_with(b"\x7fELF");
    if prefixed || archive_name(name) { Some(Kind::Zip).filter(|_| head.len() >= 22) } else { None }
}

/// The kind of archive a nested entry named `name` is, from its first bytes: as [`detect`],
/// but a ZIP without its magic at the start (a prefixed one) only under an archive's name.
pub(crate) fn nested_kind(head: &[u8], name: &str) -> Option<Kind> {
    detect(head, name).filter(|&kind| kind != Kind::Zip || has_zip_magic(head) || archive_name(name))
}

/// The last `/`-separated part of a path or entry name.
pub(crate) fn base_name(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Why an entry name is refused (not UTF-8, control characters), or `None`.
pub(crate) fn check_name(name: &str, utf8_ok: bool) -> Option<&'static str> {
    if !utf8_ok {
        return Some("not valid UTF-8");
    }
    // Every control character (C0, DEL, C1) is a byte below 0x20, 0x7f, or starts with 0xc2
    // in UTF-8: names without those bytes (nearly all) are not decoded char by char.
    // (A fold without early exit: the compiler vectorizes it.)
    let suspicious = name.bytes().fold(false, |seen, b| seen | (b < 0x20) | (b == 0x7f) | (b == 0xc2));
    if suspicious && name.chars().any(char::is_control) {
        return Some("contains control characters");
    }
    None
}
