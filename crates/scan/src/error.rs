//! Errors of the scanner.
//!
//! Policy: nothing the scanner meets on disk is fatal. Every problem with one file or one
//! archive entry becomes a [`ScanError`] recorded with its location (an
//! [`crate::ErrorRecord`]), counted in the summary, and turns the exit code to 2; the walk
//! goes on. Variants carry the entry name or the limit that was hit, never a bare string
//! where a typed field fits.

use std::io;

/// One problem met while scanning or fixing.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Reading or writing failed (permission denied, vanished file, ...).
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// The directory walk reported a problem (symlink loop, unreadable directory, ...).
    #[error("walk error: {0}")]
    Walk(String),
    /// The archive's structure is broken.
    #[error("corrupt archive: {0}")]
    CorruptArchive(String),
    /// A local file header disagrees with the central directory.
    #[error("local header of entry {entry:?} does not match the central directory")]
    LocalHeaderMismatch {
        /// Entry name.
        entry: String,
    },
    /// The entry is encrypted and cannot be inspected.
    #[error("entry {entry:?} is encrypted")]
    EncryptedEntry {
        /// Entry name.
        entry: String,
    },
    /// The entry uses a compression method the scanner does not read.
    #[error("entry {entry:?} uses unsupported compression method {method}")]
    UnsupportedCompression {
        /// Entry name.
        entry: String,
        /// ZIP method number.
        method: u16,
    },
    /// The entry's data fails its CRC-32 or declared size.
    #[error("entry {entry:?} is corrupt: {reason}")]
    CorruptEntry {
        /// Entry name.
        entry: String,
        /// What failed.
        reason: String,
    },
    /// A configured limit was reached (zip bomb, huge directory, too many archives).
    #[error("limit exceeded: {what} (limit {limit})")]
    LimitExceeded {
        /// Which limit.
        what: &'static str,
        /// Its value.
        limit: u64,
    },
    /// Archives nest deeper than `--max-depth` (or contain themselves).
    #[error("archive nesting deeper than {limit} levels (self-containing archive?)")]
    DepthExceeded {
        /// The depth limit.
        limit: u32,
    },
    /// An entry name contains control characters or is not valid UTF-8.
    #[error("suspicious entry name {entry:?}: {reason}")]
    BadEntryName {
        /// The name, lossily decoded.
        entry: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// Several entries of one archive failed (a zip bomb of overlapping entries, a budget
    /// that ran out halfway): one error for the archive, with how many and the first.
    #[error("{count} bad entries ({}); first: {first}", tally(kinds))]
    BadEntries {
        /// Entries (or nested archives, themselves counted once) that failed.
        count: u64,
        /// The kinds of the failures beneath, with counts, most frequent first (a nested
        /// archive's own bad entries counted by their kinds).
        kinds: Vec<(&'static str, u64)>,
        /// The first failure: its entry path inside the archive and its message.
        first: String,
        /// Where the failures beneath are, as paths inside the archive (nested ones joined
        /// by `!/`), in order: at most [`ScanError::MAX_LISTED`] of them.
        entries: Vec<String>,
    },
    /// A path named on the command line is neither a regular file nor a directory.
    #[error("not a regular file or directory: {what}")]
    NotAFile {
        /// What it is (`a FIFO`, `a socket`, `a block device`, `a character device`).
        what: &'static str,
    },
    /// `--fix` could not be applied.
    #[error("fix failed: {0}")]
    Fix(String),
}

impl ScanError {
    /// Most failure paths one [`ScanError::BadEntries`] lists (its count has them all).
    pub const MAX_LISTED: usize = 1000;

    /// A short machine-readable kind, used in the JSON report.
    pub fn kind(&self) -> &'static str {
        match self {
            ScanError::Io(_) => "io",
            ScanError::Walk(_) => "walk",
            ScanError::CorruptArchive(_) => "corrupt-archive",
            ScanError::LocalHeaderMismatch { .. } => "local-header-mismatch",
            ScanError::EncryptedEntry { .. } => "encrypted-entry",
            ScanError::UnsupportedCompression { .. } => "unsupported-compression",
            ScanError::CorruptEntry { .. } => "corrupt-entry",
            ScanError::LimitExceeded { .. } => "limit-exceeded",
            ScanError::DepthExceeded { .. } => "depth-exceeded",
            ScanError::BadEntryName { .. } => "bad-entry-name",
            ScanError::BadEntries { .. } => "bad-entries",
            ScanError::NotAFile { .. } => "not-a-file",
            ScanError::Fix(_) => "fix-failed",
        }
    }

    pub(crate) fn corrupt(msg: impl Into<String>) -> ScanError {
        ScanError::CorruptArchive(msg.into())
    }
}

/// `248 local-header-mismatch, 1 corrupt-entry`.
fn tally(kinds: &[(&'static str, u64)]) -> String {
    kinds.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ")
}

/// Result alias of the crate.
pub type Result<T, E = ScanError> = std::result::Result<T, E>;
