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

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use crate::zipfile::Directory;

/// At most this many kept results share one bucket.
pub(crate) const BUCKET: usize = 4;

/// Bytes of central directories (and their parsed entries) kept per scan.
const DIRECTORY_BYTES: usize = 96 << 20;

/// Bytes of small inflations (compressed and inflated) kept per scan.
const INFLATION_BYTES: usize = 32 << 20;

/// Compressed entries larger than this are not kept (their inflation costs more than a
/// lookup saves only when they repeat, and they rarely do).
pub(crate) const MAX_INFLATION_INPUT: usize = 64 * 1024;

/// What the scan reuses, one per scan, shared by its threads.
#[derive(Debug)]
pub(crate) struct Reuse {
    /// Parsed central directories, keyed on the archive's length, offset delta and every byte
    /// of the directory.
    pub directories: Shelf<Directory>,
    /// Small inflations, keyed on what was asked and every compressed byte.
    pub inflations: Shelf<Inflation>,
}

impl Default for Reuse {
    fn default() -> Reuse {
        Reuse { directories: Shelf::new(DIRECTORY_BYTES), inflations: Shelf::new(INFLATION_BYTES) }
    }
}

/// What an inflation was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Ask {
    /// The first bytes (at most this many) of the entry.
    Head(usize),
    /// The whole entry; kept only when the stream ended.
    Whole,
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
}

impl<V> Shelf<V> {
    fn new(max_bytes: usize) -> Shelf<V> {
        Shelf { state: Mutex::new(ShelfState { buckets: HashMap::new(), bytes: 0 }), max_bytes }
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
        // At most BUCKET results per bucket.
        let wide: Shelf<u32> = Shelf::new(1 << 20);
        for i in 0..10u32 {
            wide.keep(9, i, 1, |k, v| k == v);
        }
        assert!(wide.find(9, |k| *k == BUCKET as u32 - 1).is_some());
        assert!(wide.find(9, |k| *k == BUCKET as u32).is_none());
    }
}
