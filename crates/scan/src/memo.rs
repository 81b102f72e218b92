//! Deduplication of identical compressed archives within one scan.
//!
//! Real estates hold the same artifact many times (the same war in every copy of an ear, the
//! same image layer in every tar.gz). Entering a *compressed* archive means inflating every
//! byte of it, so the scan keeps, per run, the outcome of each compressed nested archive (and
//! each gzip file) it entered, keyed on a BLAKE3 hash of its **compressed bytes** (plus method,
//! sizes, CRC-32 and its base name). Hashing compressed bytes is several times cheaper than
//! inflating them (BLAKE3 hashes several times faster than SHA-256 even where the CPU has SHA
//! extensions, with the same 256-bit collision resistance), and identical compressed bytes under the same method decompress to
//! identical content, so the outcome is the same: it is replayed under the new path chain.
//! Only an archive whose cheap identity (every part of the key but the hash) was met before in
//! the run is hashed ([`Memo::met_before`]): on distinct content no hash is computed for
//! nothing, and a repeated archive's second copy computes the outcome later copies replay.
//!
//! What is never done: a key on CRC-32 or on the central directory alone (both forgeable,
//! so a crafted archive could inherit another's verdict); a key on anything less than every
//! byte the scan would have decompressed. STORED nested archives and archives on disk are not
//! memoized: the scan reads only their central directory and a few entries, cheaper than
//! hashing them. (What it computes from those reads, the parsed directory and the small
//! inflations, is reused on identical bytes: see [`crate::reuse`].)
//!
//! A replay is exact, not approximate: an outcome is kept only when its subtree produced no
//! error, and it is replayed only when the file's remaining budgets (decompressed bytes,
//! archives) exceed what the subtree consumed and the depth limit admits its deepest level;
//! otherwise the archive is scanned again. Replays charge the budgets and the archive count
//! exactly as a scan would, so a report with deduplication equals one without.
//!
//! Walker threads share the memo. A thread that meets an archive another thread is scanning
//! right now waits for that outcome instead of inflating it too, but only while it is not
//! itself computing an outcome: a thread that holds a key never waits, so no two threads can
//! wait on each other (a self-containing archive included).

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{self, BufRead};
use std::sync::{Arc, Condvar, Mutex};

use crate::kind::Kind;
use crate::report::Finding;
use crate::reuse::Reuse;
use crate::source::Source;
use crate::zipfile::{Entry, ZipArchive};

/// At most this many outcomes are kept per scan (memory stays bounded on huge estates).
const MAX_OUTCOMES: usize = 1 << 16;

/// At most this many sightings are remembered per scan (8 bytes each); past that, every
/// compressed archive is hashed, as if met before.
const MAX_SIGHTINGS: usize = 1 << 20;

/// The cheap identity of a compressed archive: every part of its [`Key`] but the digest,
/// hashed. Equal for every copy of an archive, so the second copy finds the first one's
/// sighting; a collision only costs a hash, never a wrong replay (the key decides that).
pub(crate) fn sighting(
    kind: Kind,
    method: u16,
    stored_len: u64,
    declared_len: u64,
    crc32: u32,
    name: &str,
) -> u64 {
    let mut h = DefaultHasher::new();
    (kind, method, stored_len, declared_len, crc32, crate::kind::base_name(name)).hash(&mut h);
    h.finish()
}

/// The [`sighting`] of nested entry `entry` (named `name`, detected as `kind`).
pub(crate) fn entry_sighting(kind: Kind, entry: &Entry, name: &str) -> u64 {
    sighting(kind, entry.method, entry.compressed_size, entry.uncompressed_size, entry.crc32, name)
}

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
    /// BLAKE3 hash of every compressed byte.
    pub digest: [u8; 32],
    /// Base name (the file-name fallback and dating hint read it).
    pub name: String,
}

impl Key {
    /// The key of nested entry `entry` of an archive (named `name`, detected as `kind`) whose
    /// compressed bytes hash to `digest`.
    pub fn of_entry(kind: Kind, entry: &Entry, name: &str, digest: [u8; 32]) -> Key {
        Key {
            kind,
            method: entry.method,
            stored_len: entry.compressed_size,
            declared_len: entry.uncompressed_size,
            crc32: entry.crc32,
            digest,
            name: crate::kind::base_name(name).to_owned(),
        }
    }
}

/// [`digest`] of the compressed bytes of `entry` of `zip`; `None` when they cannot be read
/// (the archive is then entered without deduplication).
pub(crate) fn entry_digest(zip: &ZipArchive, entry: &Entry) -> Option<[u8; 32]> {
    zip.data_window(entry).ok().and_then(|(_, window)| digest(&window).ok())
}

/// BLAKE3 hash of every byte of `source`, compressed data of a buffer read in place.
pub(crate) fn digest(source: &Source) -> io::Result<[u8; 32]> {
    let mut hasher = blake3::Hasher::new();
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
    Ok(*hasher.finalize().as_bytes())
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

/// Outcomes of one scan, shared by its walker threads, and the keys being computed; and the
/// smaller results the scan reuses on identical bytes ([`Reuse`]).
#[derive(Debug, Default)]
pub(crate) struct Memo {
    state: Mutex<State>,
    done: Condvar,
    /// Parsed directories and small inflations, reused on identical bytes.
    pub reuse: Reuse,
}

#[derive(Debug, Default)]
struct State {
    outcomes: HashMap<Key, Arc<Outcome>>,
    in_flight: HashSet<Key>,
    /// Sightings of compressed archives met so far ([`sighting`]).
    sightings: HashSet<u64>,
}

/// What [`Memo::lookup`] found.
pub(crate) enum Lookup<'m> {
    /// An identical archive was scanned: its outcome.
    Hit(Arc<Outcome>),
    /// Nobody has it: the caller scans it and hands the outcome over.
    Claimed(Claim<'m>),
    /// Another thread is scanning it and the caller may not wait: the caller scans it too.
    Busy,
}

/// The duty to report the outcome of a key; dropped unfinished (an unwinding panic), it
/// releases the key with no outcome so that no waiter waits forever.
pub(crate) struct Claim<'m> {
    memo: &'m Memo,
    key: Option<Key>,
}

impl Claim<'_> {
    /// Releases the key, keeping `outcome` when there is one.
    pub fn finish(mut self, outcome: Option<Outcome>) {
        if let Some(key) = self.key.take() {
            self.memo.finish(key, outcome);
        }
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.memo.finish(key, None);
        }
    }
}

impl Memo {
    /// Looks `key` up; when another thread is computing it, waits for it if `may_wait` (the
    /// caller holds no claim: then no cycle of waiting threads can form).
    pub fn lookup(&self, key: &Key, may_wait: bool) -> Lookup<'_> {
        let Ok(mut state) = self.state.lock() else { return Lookup::Busy };
        loop {
            if let Some(outcome) = state.outcomes.get(key) {
                return Lookup::Hit(Arc::clone(outcome));
            }
            if !state.in_flight.contains(key) {
                state.in_flight.insert(key.clone());
                return Lookup::Claimed(Claim { memo: self, key: Some(key.clone()) });
            }
            if !may_wait {
                return Lookup::Busy;
            }
            state = match self.done.wait(state) {
                Ok(s) => s,
                Err(_) => return Lookup::Busy,
            };
        }
    }

    /// Whether a compressed archive with this [`sighting`] was met before in this run, and
    /// records this meeting. Only then is it worth hashing its compressed bytes for a key: on
    /// distinct content every archive is met once, and hashing it would cost time for no
    /// replay. (The first copy of an archive is therefore scanned without a key, the second
    /// computes the outcome that later copies replay.)
    pub fn met_before(&self, sighting: u64) -> bool {
        let Ok(mut state) = self.state.lock() else { return false };
        if state.sightings.len() >= MAX_SIGHTINGS {
            return true;
        }
        !state.sightings.insert(sighting)
    }

    /// As [`met_before`](Self::met_before), without recording (a helper looking ahead of the
    /// scan, which records).
    pub fn seen(&self, sighting: u64) -> bool {
        self.state.lock().is_ok_and(|s| s.sightings.len() >= MAX_SIGHTINGS || s.sightings.contains(&sighting))
    }

    /// Whether an outcome for `key` is kept (a lookup now would replay it).
    pub fn known(&self, key: &Key) -> bool {
        self.state.lock().is_ok_and(|state| state.outcomes.contains_key(key))
    }

    fn finish(&self, key: Key, outcome: Option<Outcome>) {
        if let Ok(mut state) = self.state.lock() {
            state.in_flight.remove(&key);
            if let Some(outcome) = outcome
                && state.outcomes.len() < MAX_OUTCOMES
            {
                state.outcomes.insert(key, Arc::new(outcome));
            }
        }
        self.done.notify_all();
    }
}
