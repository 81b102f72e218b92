//! Deduplication of identical compressed archives within one scan.
//!
//! Real estates hold the same artifact many times (the same war in every copy of an ear, the
//! same image layer in every tar.gz). Entering a *compressed* archive means inflating every
//! byte of it, so the scan keeps, per run, the outcome of each compressed nested archive (and
//! each gzip file) it entered, keyed on a SHA-256 of its **compressed bytes** (plus method,
//! sizes, CRC-32 and its base name). Hashing compressed bytes is several times cheaper than
//! inflating them, and identical compressed bytes under the same method decompress to
//! identical content, so the outcome is the same: it is replayed under the new path chain.
//!
//! What is never done: a key on CRC-32 or on the central directory alone (both forgeable,
//! so a crafted archive could inherit another's verdict); a key on anything less than every
//! byte the scan would have decompressed. STORED nested archives and archives on disk are not
//! memoized: the scan reads only their central directory and a few entries, cheaper than
//! hashing them.
//!
//! A replay is exact, not approximate: an outcome is kept only when its subtree produced no
//! error, and it is replayed only when the file's remaining budgets (decompressed bytes,
//! archives) exceed what the subtree consumed and the depth limit admits its deepest level;
//! otherwise the archive is scanned again. Replays charge the budgets and the archive count
//! exactly as a scan would, so a report with deduplication equals one without.

use std::collections::HashMap;
use std::io::{self, BufRead};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::Finding;
use crate::engine::Kind;
use crate::source::Source;

/// At most this many outcomes are kept per scan (memory stays bounded on huge estates).
const MAX_OUTCOMES: usize = 1 << 16;

/// Identity of a compressed archive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    /// What it decompresses into.
    pub kind: Kind,
    /// Compression method of the entry (0 for a gzip file).
    pub method: u16,
    /// Length of the compressed bytes.
    pub stored_len: u64,
    /// Declared decompressed length (the compressed length for a gzip file).
    pub declared_len: u64,
    /// Declared CRC-32 (0 for a gzip file); never trusted alone.
    pub crc32: u32,
    /// SHA-256 of every compressed byte.
    pub digest: [u8; 32],
    /// Base name (the file-name fallback and dating hint read it).
    pub name: String,
}

/// SHA-256 of every byte of `source`, compressed data of a buffer read in place.
pub(crate) fn digest(source: &Source) -> io::Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    source.will_need();
    let mut reader = source.buf_reader(256 * 1024);
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len();
        hasher.update(chunk);
        reader.consume(n);
    }
    Ok(hasher.finalize().into())
}

/// What scanning one archive produced and consumed.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// Findings, `path` and `location` relative to the archive (the suffix after its own
    /// display path and location), `file` empty.
    pub findings: Vec<Finding>,
    /// Archives opened (the archive itself included).
    pub archives: u64,
    /// Decompressed bytes charged to the file's budget.
    pub bytes: u64,
    /// Deepest nesting entered, relative to the archive's own depth.
    pub depth: u32,
}

/// Outcomes of one scan, shared by its walker threads.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    outcomes: Mutex<HashMap<Key, Arc<Outcome>>>,
}

impl Memo {
    pub fn get(&self, key: &Key) -> Option<Arc<Outcome>> {
        self.outcomes.lock().ok()?.get(key).cloned()
    }

    pub fn insert(&self, key: Key, outcome: Outcome) {
        if let Ok(mut map) = self.outcomes.lock()
            && map.len() < MAX_OUTCOMES
        {
            map.entry(key).or_insert_with(|| Arc::new(outcome));
        }
    }
}
