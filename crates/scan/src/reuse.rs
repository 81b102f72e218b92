//! Reuse of pure work on identical bytes within one scan.
//!
//! The same jar sits in many places of an estate (every copy of an application, every fat
//! jar that bundles it), and the same small files (LICENSE, NOTICE, service files) sit in many
//! jars. Two things the scan computes from such bytes are pure functions of bytes it has just
//! read anyway: the parsed central directory of an archive (with the plan of what to read from
//! it), and the inflation of a small entry. A scan keeps those results on a [`Shelf`], and
//! reuses one only after comparing **every byte** it was computed from with the new bytes. No
//! hash, CRC-32 or size stands in for the bytes, so a crafted archive cannot borrow another
//! archive's result. ([`crate::memo`] keys whole nested archives on a cryptographic hash
//! instead: there, keeping the bytes would cost too much memory.)
//!
//! Bounded: at most a fixed number of bytes per shelf, and at most [`BUCKET`] results sharing
//! a bucket, so a flood of look-alike inputs costs a bounded number of comparisons. When a
//! shelf is full, new results are not kept; nothing is ever evicted (a scan is short).

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

use crate::plan::Plan;
use crate::zipfile::{Ask, Directory, Recall, Recalled, ZipArchive};

/// At most this many kept results share one bucket.
pub(crate) const BUCKET: usize = 4;

/// Bytes of central directories (and their parsed entries) kept per scan.
const DIRECTORY_BYTES: usize = 96 << 20;

/// Bytes of small inflations (compressed and inflated) kept per scan.
const INFLATION_BYTES: usize = 32 << 20;

/// At most this many buckets are remembered as met per shelf (8 bytes each); past that, no
/// new result is kept.
const MAX_MET: usize = 1 << 18;

/// Compressed entries larger than this are not kept (their inflation costs more than a
/// lookup saves only when they repeat, and they rarely do).
pub(crate) const MAX_INFLATION_INPUT: usize = 64 * 1024;

/// What the scan reuses, one per scan, shared by its threads.
#[derive(Debug)]
pub(crate) struct Reuse {
    /// Parsed central directories with their plans, keyed on the archive's length, offset
    /// delta and every byte of the directory.
    pub directories: Shelf<Planned>,
    /// Small inflations, keyed on what was asked and every compressed byte.
    pub inflations: Shelf<Inflation>,
}

impl Default for Reuse {
    fn default() -> Reuse {
        Reuse { directories: Shelf::new(DIRECTORY_BYTES), inflations: Shelf::new(INFLATION_BYTES) }
    }
}

/// A kept directory and the plan of what the scan reads from an archive with it, decided
/// the first time an archive with this directory is scanned.
#[derive(Debug)]
pub(crate) struct Planned {
    /// The parse, shared by every archive opened with it.
    pub directory: Arc<Directory>,
    /// What to read.
    pub plan: OnceLock<Plan>,
}

impl Reuse {
    /// The kept directory `zip` was opened with (the same parse, not only equal bytes), with
    /// its plan slot; `None` when its directory was not kept.
    pub fn planned(&self, zip: &ZipArchive) -> Option<Arc<Planned>> {
        let (len, delta, cd) = zip.directory().identity();
        self.directories.find(bucket_of((len, delta), cd), |p| Arc::ptr_eq(&p.directory, zip.directory()))
    }
}

impl Recall for Reuse {
    fn directory(&self, len: u64, delta: u64, central_directory: &[u8]) -> Option<Arc<Directory>> {
        let bucket = bucket_of((len, delta), central_directory);
        let kept = self.directories.find(bucket, |p| p.directory.is_for(len, delta, central_directory))?;
        Some(Arc::clone(&kept.directory))
    }

    fn keep_directory(&self, directory: Directory) -> Arc<Directory> {
        let (len, delta, cd) = directory.identity();
        let bucket = bucket_of((len, delta), cd);
        if !self.directories.met_before(bucket) {
            return Arc::new(directory);
        }
        let size = directory.held_bytes();
        let planned = Planned { directory: Arc::new(directory), plan: OnceLock::new() };
        let planned =
            self.directories.keep(bucket, planned, size, |kept, new| kept.directory.same_as(&new.directory));
        Arc::clone(&planned.directory)
    }

    fn recalls_inflations_of(&self, compressed_len: usize) -> bool {
        compressed_len <= MAX_INFLATION_INPUT
    }

    fn inflation(&self, ask: Ask, compressed: &[u8], max: usize) -> Recalled {
        let bucket = bucket_of(ask, compressed);
        match self.inflations.find(bucket, |i| i.is_for(ask, compressed)) {
            Some(done) => Recalled::Found(done.inflated[..done.inflated.len().min(max)].to_vec()),
            None if self.inflations.met_before(bucket) => Recalled::Offer,
            None => Recalled::Pass,
        }
    }

    fn keep_inflation(&self, ask: Ask, compressed: Vec<u8>, inflated: Vec<u8>) -> Vec<u8> {
        let bucket = bucket_of(ask, &compressed);
        let size = compressed.len() + inflated.capacity();
        let done = Inflation { ask, compressed, inflated };
        let done =
            self.inflations.keep(bucket, done, size, |kept, new| kept.is_for(new.ask, &new.compressed));
        done.inflated.clone()
    }
}

/// One kept inflation: every compressed byte, and what inflating them gave.
#[derive(Debug)]
pub(crate) struct Inflation {
    /// What was asked.
    pub ask: Ask,
    /// Every compressed byte of the entry.
    pub compressed: Vec<u8>,
    /// The bytes inflated: the first `n` for [`Ask::Head`]`(n)` (fewer when the stream ended
    /// first), the whole stream for [`Ask::Whole`].
    pub inflated: Vec<u8>,
}

impl Inflation {
    /// Whether this result was computed from exactly `compressed` for `ask`.
    pub fn is_for(&self, ask: Ask, compressed: &[u8]) -> bool {
        self.ask == ask && self.compressed == compressed
    }
}

/// The bucket of a key: its length and a sample of its bytes (start, middle and end). Only
/// chooses where to look; identity is always decided by comparing every byte.
pub(crate) fn bucket_of(context: impl Hash, bytes: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    context.hash(&mut h);
    bytes.len().hash(&mut h);
    let n = bytes.len();
    let sample = 32.min(n);
    let middle = (n - sample) / 2;
    h.write(&bytes[..sample]);
    h.write(&bytes[middle..middle + sample]);
    h.write(&bytes[n - sample..]);
    h.finish()
}

/// A bounded store of results, found by bucket and identified by a caller's exact test.
#[derive(Debug)]
pub(crate) struct Shelf<V> {
    state: Mutex<ShelfState<V>>,
    max_bytes: usize,
}

#[derive(Debug)]
struct ShelfState<V> {
    buckets: HashMap<u64, Vec<Arc<V>>>,
    bytes: usize,
    /// Buckets met so far whose result was not kept.
    met: HashSet<u64>,
}

impl<V> Shelf<V> {
    fn new(max_bytes: usize) -> Shelf<V> {
        Shelf {
            state: Mutex::new(ShelfState { buckets: HashMap::new(), bytes: 0, met: HashSet::new() }),
            max_bytes,
        }
    }

    /// The kept result in `bucket` for which `is_it` holds. The comparisons run outside the
    /// lock.
    pub fn find(&self, bucket: u64, is_it: impl Fn(&V) -> bool) -> Option<Arc<V>> {
        let mut candidates: [Option<Arc<V>>; BUCKET] = Default::default();
        {
            let state = self.state.lock().ok()?;
            for (slot, kept) in candidates.iter_mut().zip(state.buckets.get(&bucket)?) {
                *slot = Some(Arc::clone(kept));
            }
        }
        candidates.into_iter().flatten().find(|c| is_it(c))
    }

    /// Whether a result in `bucket` was met before in this run, and records this meeting. A
    /// result is kept only the second time its bucket is met: on distinct content nearly every
    /// result is met once, and keeping it would cost memory (and the copy of its bytes) for
    /// no reuse; the copies of a repeated file lose one reuse.
    pub fn met_before(&self, bucket: u64) -> bool {
        let Ok(mut state) = self.state.lock() else { return false };
        if state.buckets.contains_key(&bucket) || state.met.contains(&bucket) {
            return true;
        }
        if state.met.len() < MAX_MET {
            state.met.insert(bucket);
        }
        false
    }

    /// Keeps `value` (of `size` bytes) in `bucket` unless the shelf or the bucket is full or
    /// an equal result (`same(kept, value)`) is already there; returns it shared either way.
    pub fn keep(&self, bucket: u64, value: V, size: usize, same: impl Fn(&V, &V) -> bool) -> Arc<V> {
        let value = Arc::new(value);
        if let Ok(mut state) = self.state.lock()
            && state.bytes + size <= self.max_bytes
        {
            let kept = state.buckets.entry(bucket).or_default();
            if kept.len() < BUCKET && !kept.iter().any(|k| same(k, &value)) {
                kept.push(Arc::clone(&value));
                state.bytes += size;
            }
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ScanError;
    use crate::limits::Limits;
    use crate::source::Source;

    fn small_zip() -> Vec<u8> {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file("META-INF/MANIFEST.MF", zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(b"Manifest-Version: 1.0\r\n\r\n").unwrap();
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn a_parsed_directory_is_shared_only_for_the_same_length_delta_and_bytes() {
        let reuse = Reuse::default();
        let limits = Limits::default();
        let jar = small_zip();
        let open = |bytes: &[u8]| {
            ZipArchive::open_reusing(Source::memory(bytes.to_vec()), &limits, Some(&reuse as &dyn Recall))
        };
        // Met once, a parse is not kept; met again, it is; then identical archives share it.
        let (first, a, b) = (open(&jar).unwrap(), open(&jar).unwrap(), open(&jar).unwrap());
        assert!(reuse.planned(&first).is_none(), "a parse met once is not kept");
        assert!(!Arc::ptr_eq(first.directory(), a.directory()));
        assert!(Arc::ptr_eq(a.directory(), b.directory()), "identical archives share one parse");
        let planned = reuse.planned(&a).expect("kept with a plan slot");
        assert!(Arc::ptr_eq(&planned, &reuse.planned(&b).unwrap()));
        // The same directory bytes behind a prefix its offsets ignore: another delta.
        let prefixed = [b"#!/bin/sh\n".as_slice(), &jar].concat();
        let (p1, p2) = (open(&prefixed).unwrap(), open(&prefixed).unwrap());
        assert!(reuse.planned(&p1).is_none());
        assert!(!Arc::ptr_eq(a.directory(), p2.directory()));
        assert!(!Arc::ptr_eq(&planned, &reuse.planned(&p2).unwrap()));
        // An archive opened without the store has no kept plan, even with equal bytes.
        let alone = ZipArchive::open(Source::memory(jar.clone()), &limits).unwrap();
        assert!(reuse.planned(&alone).is_none());
    }

    #[test]
    fn a_kept_inflation_holds_no_room_a_lying_size_asked_for() {
        // The central directory declares 1 MiB for an entry that inflates to a few bytes.
        let mut jar = small_zip();
        let eocd = jar.len() - 22;
        let at = |i: usize| u32::from_le_bytes(jar[i..i + 4].try_into().unwrap()) as usize;
        let cd = at(eocd + 16);
        jar[cd + 24..cd + 28].copy_from_slice(&(1u32 << 20).to_le_bytes());
        let reuse = Reuse::default();
        let recall = Some(&reuse as &dyn Recall);
        let zip = ZipArchive::open_reusing(Source::memory(jar), &Limits::default(), recall).unwrap();
        let entry = &zip.entries()[0];
        let err = zip.read_entry_reusing(entry, 1 << 20, recall).unwrap_err();
        assert!(matches!(err, ScanError::CorruptEntry { .. }), "{err:?}");
        let (_, window) = zip.data_window(entry).unwrap();
        let compressed = window.in_memory().unwrap();
        let find =
            || reuse.inflations.find(bucket_of(Ask::Whole, compressed), |i| i.is_for(Ask::Whole, compressed));
        assert!(find().is_none(), "an inflation met once is not kept");
        let second = zip.read_entry_reusing(entry, 1 << 20, recall).unwrap_err();
        assert_eq!(second.to_string(), err.to_string());
        let kept = find().expect("the completed inflation, met again, is kept");
        assert_eq!(kept.inflated.capacity(), kept.inflated.len());
        // Reused, it fails the same way.
        let again = zip.read_entry_reusing(entry, 1 << 20, recall).unwrap_err();
        assert_eq!(again.to_string(), err.to_string());
    }

    #[test]
    fn buckets_sample_short_and_long_keys_without_panicking() {
        for len in 0..100 {
            let bytes = vec![7u8; len];
            assert_eq!(bucket_of(1u8, &bytes), bucket_of(1u8, &bytes));
        }
        assert_ne!(bucket_of(1u8, b"abc"), bucket_of(2u8, b"abc"));
    }

    #[test]
    fn a_shelf_finds_only_what_the_exact_test_accepts_and_stays_bounded() {
        let shelf: Shelf<Vec<u8>> = Shelf::new(10);
        let a = b"abcd".to_vec();
        shelf.keep(1, a.clone(), 4, |k, v| k == v);
        assert_eq!(shelf.find(1, |k| *k == a).as_deref(), Some(&a));
        // Same bucket, different bytes: not found.
        assert!(shelf.find(1, |k| k == b"abce").is_none());
        // A duplicate is not kept twice; the byte bound holds.
        shelf.keep(1, a.clone(), 4, |k, v| k == v);
        shelf.keep(2, b"efgh".to_vec(), 4, |k, v| k == v);
        shelf.keep(3, b"ijkl".to_vec(), 4, |k, v| k == v);
        assert!(shelf.find(3, |k| k == b"ijkl").is_none(), "over the byte bound");
        // A bucket is met before from its second meeting on, or once a result is kept in it.
        assert!(!shelf.met_before(7) && shelf.met_before(7) && shelf.met_before(1));
        // At most BUCKET results per bucket.
        let wide: Shelf<u32> = Shelf::new(1 << 20);
        for i in 0..10u32 {
            wide.keep(9, i, 1, |k, v| k == v);
        }
        assert!(wide.find(9, |k| *k == BUCKET as u32 - 1).is_some());
        assert!(wide.find(9, |k| *k == BUCKET as u32).is_none());
    }
}
