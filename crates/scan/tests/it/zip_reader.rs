//! The ZIP reader's own contract: whole reads and peeks give the same bytes from a file and
//! from memory, on both inflation paths (small entries through the thread's inflater, large
//! ones streamed); truncated, corrupt and oversized entries are errors, never short data.

use std::io::Write;

use crate::common::ZipBuilder;
use vulnrelay_scan::source::Source;
use vulnrelay_scan::zipfile::ZipArchive;
use vulnrelay_scan::{Limits, ScanError};

/// Deterministic bytes that deflate barely compresses (xorshift).
fn noise(len: usize, mut state: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn on_disk(bytes: &[u8]) -> Source {
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(bytes).unwrap();
    Source::file(file).unwrap()
}

fn text(len: usize) -> Vec<u8> {
    (0..len).map(|i| b"key=value\nname=log4j-core\n"[i % 26]).collect()
}

#[test]
fn whole_reads_and_peeks_agree_between_a_file_and_memory() {
    let entries: Vec<(&str, Vec<u8>, bool)> = vec![
        ("META-INF/maven/g/a/pom.properties", text(300), false),
        ("empty.txt", Vec::new(), false),
        ("stored.bin", noise(5_000, 7), true),
        // Compressed size above the small-entry threshold (1 MiB): the streaming path.
        ("large.bin", noise(1_300_000, 11), false),
        // Needs several 64 KiB output steps on the small path.
        ("text.txt", text(400_000), false),
    ];
    let mut builder = ZipBuilder::new();
    for (name, data, stored) in &entries {
        builder = builder.add(name, data, *stored);
    }
    let bytes = builder.build();
    let limits = Limits::default();
    for source in [Source::memory(bytes.clone()), on_disk(&bytes)] {
        let zip = ZipArchive::open(source, &limits).unwrap();
        assert_eq!(zip.entries().len(), entries.len());
        for (entry, (name, data, _)) in zip.entries().iter().zip(&entries) {
            assert_eq!(zip.name(entry), *name);
            assert_eq!(&zip.read_entry(entry, 2 << 20).unwrap(), data, "{name}");
            let head = zip.peek_entry(entry, 512).unwrap();
            assert_eq!(head, data[..data.len().min(512)], "{name}");
        }
    }
}

#[test]
fn an_end_record_behind_a_long_comment_is_found() {
    let mut bytes = ZipBuilder::new().add("a.txt", &text(100), false).build();
    let comment = vec![b'c'; 20_000];
    let n = bytes.len();
    bytes[n - 2..].copy_from_slice(&(comment.len() as u16).to_le_bytes());
    bytes.extend_from_slice(&comment);
    for source in [Source::memory(bytes.clone()), on_disk(&bytes)] {
        let zip = ZipArchive::open(source, &Limits::default()).unwrap();
        assert_eq!(zip.comment, comment);
        assert_eq!(zip.read_entry(&zip.entries()[0], 1 << 20).unwrap(), text(100));
    }
}

/// Offset of the one central directory record in `bytes`.
fn central_record(bytes: &[u8]) -> usize {
    bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap()
}

#[test]
fn a_truncated_deflate_stream_is_a_corrupt_entry() {
    let mut bytes = ZipBuilder::new().add("a.txt", &noise(10_000, 3), false).build();
    let cd = central_record(&bytes);
    let csize = u32::from_le_bytes(bytes[cd + 20..cd + 24].try_into().unwrap());
    bytes[cd + 20..cd + 24].copy_from_slice(&(csize / 2).to_le_bytes());
    for source in [Source::memory(bytes.clone()), on_disk(&bytes)] {
        let zip = ZipArchive::open(source, &Limits::default()).unwrap();
        let err = zip.read_entry(&zip.entries()[0], 1 << 20).unwrap_err();
        assert!(matches!(err, ScanError::CorruptEntry { .. }), "{err:?}");
    }
}

#[test]
fn corrupt_deflate_data_is_a_corrupt_entry() {
    let mut bytes = ZipBuilder::new().add("a.txt", &text(1_000), false).build();
    // The first compressed byte (after the 30-byte local header and the 5-byte name): a
    // final block of the reserved type 3.
    bytes[35] = 0xFF;
    for source in [Source::memory(bytes.clone()), on_disk(&bytes)] {
        let zip = ZipArchive::open(source, &Limits::default()).unwrap();
        let err = zip.read_entry(&zip.entries()[0], 1 << 20).unwrap_err();
        assert!(matches!(err, ScanError::CorruptEntry { .. }), "{err:?}");
        let err = zip.peek_entry(&zip.entries()[0], 512).unwrap_err();
        assert!(matches!(err, ScanError::CorruptEntry { .. }), "{err:?}");
    }
}

#[test]
fn an_entry_above_the_cap_is_a_limit_not_short_data() {
    let bytes =
        ZipBuilder::new().add("a.txt", &text(1_000), false).add("b.bin", &noise(1_000, 5), true).build();
    let zip = ZipArchive::open(Source::memory(bytes), &Limits::default()).unwrap();
    for entry in zip.entries() {
        let err = zip.read_entry(entry, 999).unwrap_err();
        assert!(matches!(err, ScanError::LimitExceeded { limit: 999, .. }), "{err:?}");
        assert_eq!(zip.read_entry(entry, 1_000).unwrap().len(), 1_000);
    }
}
