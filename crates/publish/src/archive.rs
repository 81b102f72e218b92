//! A ZIP archive assembled from entries deflated beforehand (APPNOTE 6.3.10): each entry
//! is compressed once, when its document changes, and an archive of many is the
//! entries' bytes laid end to end with their headers and the central directory — no
//! entry is compressed again to make it. Zip64 end records are written when there are
//! 65,535 entries or more.

use std::io::Write;

use flate2::Crc;
use flate2::write::DeflateEncoder;

/// One file of an archive, already deflated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its name in the archive, e.g. `CVE-2021-44228.json`.
    pub name: String,
    /// CRC-32 of the uncompressed bytes.
    pub crc32: u32,
    /// Length of the uncompressed bytes.
    pub size: u64,
    /// The raw deflate stream (RFC 1951) of the bytes.
    pub deflated: Vec<u8>,
}

/// Why an archive cannot be assembled.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArchiveError {
    /// An entry or the archive is beyond what this writer lays out (4 GiB per entry and
    /// before the central directory).
    #[error("`{0}` does not fit in a ZIP archive written without Zip64 entry headers")]
    TooLarge(String),
}

/// Compresses `bytes` as the entry `name`.
pub fn deflate(name: &str, bytes: &[u8]) -> Entry {
    let mut encoder =
        DeflateEncoder::new(Vec::with_capacity(bytes.len() / 3), flate2::Compression::default());
    encoder.write_all(bytes).expect("writing to memory cannot fail");
    let deflated = encoder.finish().expect("writing to memory cannot fail");
    let mut crc = Crc::new();
    crc.update(bytes);
    Entry { name: name.to_owned(), crc32: crc.sum(), size: bytes.len() as u64, deflated }
}

/// DOS time and date of every entry: 1980-01-01 00:00, the earliest a ZIP can say, so
/// the same entries always make the same archive.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;
/// Version needed to extract: 2.0 (deflate), 4.5 with Zip64 end records.
const VERSION: u16 = 20;
const VERSION_ZIP64: u16 = 45;
/// General purpose flags: bit 11, names are UTF-8.
const FLAGS: u16 = 1 << 11;
const DEFLATED: u16 = 8;

fn u32_of(n: u64, what: &str) -> Result<u32, ArchiveError> {
    u32::try_from(n).ok().filter(|n| *n != u32::MAX).ok_or_else(|| ArchiveError::TooLarge(what.to_owned()))
}

/// The local header of `entry` followed by its data: the part of an archive an entry
/// takes before the central directory.
pub fn local_record(entry: &Entry) -> Result<Vec<u8>, ArchiveError> {
    let name = entry.name.as_bytes();
    let mut out = Vec::with_capacity(30 + name.len() + entry.deflated.len());
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    for half in [VERSION, FLAGS, DEFLATED, DOS_TIME, DOS_DATE] {
        out.extend_from_slice(&half.to_le_bytes());
    }
    out.extend_from_slice(&entry.crc32.to_le_bytes());
    out.extend_from_slice(&u32_of(entry.deflated.len() as u64, &entry.name)?.to_le_bytes());
    out.extend_from_slice(&u32_of(entry.size, &entry.name)?.to_le_bytes());
    let name_len = u16::try_from(name.len()).map_err(|_| ArchiveError::TooLarge(entry.name.clone()))?;
    out.extend_from_slice(&name_len.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&entry.deflated);
    Ok(out)
}

/// Where an entry's local record lies in an archive, for its central directory header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The entry's name.
    pub name: String,
    /// CRC-32 of the uncompressed bytes.
    pub crc32: u32,
    /// Uncompressed length.
    pub size: u64,
    /// Compressed length.
    pub compressed: u64,
    /// Offset of its local header from the start of the archive.
    pub offset: u64,
}

impl Placed {
    /// `entry`, its local record written at `offset`.
    pub fn of(entry: &Entry, offset: u64) -> Placed {
        Placed {
            name: entry.name.clone(),
            crc32: entry.crc32,
            size: entry.size,
            compressed: entry.deflated.len() as u64,
            offset,
        }
    }
}

/// Appends the central directory of `placed` (in archive order) and the end records to
/// `out`, which holds the local records and nothing after them.
pub fn finish(out: &mut Vec<u8>, placed: &[Placed]) -> Result<(), ArchiveError> {
    let start = out.len() as u64;
    for p in placed {
        let name = p.name.as_bytes();
        out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        for half in [VERSION, VERSION, FLAGS, DEFLATED, DOS_TIME, DOS_DATE] {
            out.extend_from_slice(&half.to_le_bytes());
        }
        out.extend_from_slice(&p.crc32.to_le_bytes());
        out.extend_from_slice(&u32_of(p.compressed, &p.name)?.to_le_bytes());
        out.extend_from_slice(&u32_of(p.size, &p.name)?.to_le_bytes());
        let name_len = u16::try_from(name.len()).map_err(|_| ArchiveError::TooLarge(p.name.clone()))?;
        out.extend_from_slice(&name_len.to_le_bytes());
        // Extra field, comment, disk number, internal and external attributes.
        out.extend_from_slice(&[0u8; 2 + 2 + 2 + 2 + 4]);
        out.extend_from_slice(&u32_of(p.offset, &p.name)?.to_le_bytes());
        out.extend_from_slice(name);
    }
    let end = out.len() as u64;
    let (count, size) = (placed.len() as u64, end - start);
    let zip64 = count >= 0xFFFF || start >= 0xFFFF_FFFF || size >= 0xFFFF_FFFF;
    if zip64 {
        out.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
        out.extend_from_slice(&44u64.to_le_bytes());
        out.extend_from_slice(&VERSION_ZIP64.to_le_bytes());
        out.extend_from_slice(&VERSION_ZIP64.to_le_bytes());
        out.extend_from_slice(&[0u8; 8]);
        for n in [count, count, size, start] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        out.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&end.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
    }
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0u8; 4]);
    let count16 = if zip64 { 0xFFFF } else { count as u16 };
    out.extend_from_slice(&count16.to_le_bytes());
    out.extend_from_slice(&count16.to_le_bytes());
    let (size32, start32) = if zip64 { (u32::MAX, u32::MAX) } else { (size as u32, start as u32) };
    out.extend_from_slice(&size32.to_le_bytes());
    out.extend_from_slice(&start32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(())
}

/// The archive of `entries`, in their order.
pub fn assemble<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Result<Vec<u8>, ArchiveError> {
    let mut out = Vec::new();
    let mut placed = Vec::new();
    for entry in entries {
        placed.push(Placed::of(entry, out.len() as u64));
        out.extend_from_slice(&local_record(entry)?);
    }
    finish(&mut out, &placed)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_archive_is_its_end_record() {
        let zip = assemble([]).unwrap();
        assert_eq!(zip.len(), 22);
        assert_eq!(&zip[..4], b"PK\x05\x06");
    }

    #[test]
    fn the_same_entries_make_the_same_archive() {
        let entries = [deflate("a.json", b"{\"id\": \"A\"}"), deflate("b.json", &[b'x'; 10_000])];
        assert_eq!(assemble(&entries).unwrap(), assemble(&entries).unwrap());
        assert!(entries[1].deflated.len() < 100, "deflated");
    }

    #[test]
    fn archives_read_back_with_every_entry_zip64_past_65535() {
        use std::io::Read;
        for count in [3usize, 70_000] {
            let entries: Vec<Entry> = (0..count)
                .map(|i| deflate(&format!("{i:06}.json"), format!("{{\"n\": {i}}}").as_bytes()))
                .collect();
            let zip = assemble(&entries).unwrap();
            let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
            assert_eq!(archive.len(), count);
            for i in [0, count / 2, count - 1] {
                let mut text = String::new();
                archive.by_name(&format!("{i:06}.json")).unwrap().read_to_string(&mut text).unwrap();
                assert_eq!(text, format!("{{\"n\": {i}}}"));
            }
        }
    }
}
