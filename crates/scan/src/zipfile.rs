//! A small, strict ZIP reader built for scanning: it finds the end of central directory
//! (tolerating an executable or shell prefix), reads only the central directory, and
//! decompresses only the entries it is asked for, under [`Limits`]. Every local header that
//! is read is cross-checked against its central directory record.

use std::io::{self, Read};

use flate2::bufread::DeflateDecoder;

use crate::error::{Result, ScanError};
use crate::limits::Limits;
use crate::source::Source;

pub(crate) const LOCAL_SIG: u32 = 0x0403_4b50;
pub(crate) const CENTRAL_SIG: u32 = 0x0201_4b50;
pub(crate) const EOCD_SIG: u32 = 0x0605_4b50;
pub(crate) const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
pub(crate) const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
pub(crate) const DESCRIPTOR_SIG: u32 = 0x0807_4b50;

pub(crate) fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

pub(crate) fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

pub(crate) fn u64_at(b: &[u8], i: usize) -> u64 {
    let mut a = [0; 8];
    a.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(a)
}

/// One central directory record.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Name, decoded as UTF-8 (lossily when it is not).
    pub name: String,
    /// Range of the raw name bytes in [`ZipArchive::central_directory`].
    pub name_range: (usize, usize),
    /// Whether the raw name was valid UTF-8.
    pub utf8_ok: bool,
    /// General-purpose flags.
    pub flags: u16,
    /// Compression method (0 stored, 8 deflated).
    pub method: u16,
    /// CRC-32 of the uncompressed data.
    pub crc32: u32,
    /// Compressed size.
    pub compressed_size: u64,
    /// Uncompressed size (as declared).
    pub uncompressed_size: u64,
    /// Offset of the local header within the source (prefix already applied).
    pub local_offset: u64,
    /// Range of this record in [`ZipArchive::central_directory`].
    pub cd_range: (usize, usize),
}

impl Entry {
    /// Whether the entry is a directory.
    pub fn is_dir(&self) -> bool {
        self.name.ends_with('/')
    }

    /// Whether the entry is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.flags & 1 != 0
    }

    /// Whether a data descriptor follows the data.
    pub fn has_descriptor(&self) -> bool {
        self.flags & 8 != 0
    }
}

/// A parsed ZIP archive: its central directory and where its data lies in the source.
#[derive(Debug)]
pub struct ZipArchive {
    /// The archive bytes (including any prefix).
    pub source: Source,
    /// Entries in central directory order.
    pub entries: Vec<Entry>,
    /// Raw central directory.
    pub central_directory: Vec<u8>,
    /// Value added to every stored offset to get a source position (non-zero when a
    /// prefix was prepended without adjusting offsets).
    pub delta: u64,
    /// Where the central directory starts in the source.
    pub cd_start: u64,
    /// Archive comment.
    pub comment: Vec<u8>,
    /// Whether the archive used ZIP64 end records.
    pub zip64: bool,
}

/// Whether `head` (the first bytes of a file) starts like a ZIP archive.
pub fn has_zip_magic(head: &[u8]) -> bool {
    head.len() >= 4 && head[0] == b'P' && head[1] == b'K' && matches!((head[2], head[3]), (3, 4) | (5, 6))
}

impl ZipArchive {
    /// Reads the end records and the central directory of `source`.
    pub fn open(source: Source, limits: &Limits) -> Result<ZipArchive> {
        let len = source.len();
        if len < 22 {
            return Err(ScanError::corrupt("too short for a ZIP end record"));
        }
        let tail_len = len.min(22 + 65535);
        let tail_start = len - tail_len;
        let tail = source.read_vec(tail_start, tail_len as usize)?;
        let mut eocd = None;
        let mut i = tail.len() - 22;
        loop {
            if u32_at(&tail, i) == EOCD_SIG {
                let comment_len = u16_at(&tail, i + 20) as usize;
                if i + 22 + comment_len <= tail.len() {
                    eocd = Some(i);
                    break;
                }
            }
            if i == 0 {
                break;
            }
            i -= 1;
        }
        let e = eocd.ok_or_else(|| ScanError::corrupt("no end of central directory record"))?;
        let eocd_pos = tail_start + e as u64;
        let comment_len = u16_at(&tail, e + 20) as usize;
        let comment = tail[e + 22..e + 22 + comment_len].to_vec();
        let mut entries_total = u64::from(u16_at(&tail, e + 10));
        let mut cd_size = u64::from(u32_at(&tail, e + 12));
        let mut cd_offset = u64::from(u32_at(&tail, e + 16));
        let mut cd_end = eocd_pos;
        let mut zip64 = false;
        // Bytes at `pos`, from the tail already read when they lie there.
        let read = |pos: u64, n: usize| -> io::Result<Vec<u8>> {
            match pos.checked_sub(tail_start) {
                Some(off) if off + n as u64 <= tail_len => Ok(tail[off as usize..off as usize + n].to_vec()),
                _ => source.read_vec(pos, n),
            }
        };
        if eocd_pos >= 20 {
            let loc = read(eocd_pos - 20, 20)?;
            if u32_at(&loc, 0) == ZIP64_LOCATOR_SIG {
                let declared = u64_at(&loc, 8);
                let expected = (eocd_pos - 20).checked_sub(56);
                let mut found = None;
                for pos in [Some(declared), expected].into_iter().flatten() {
                    if pos.checked_add(56).is_some_and(|end| end <= len) {
                        let rec = source.read_vec(pos, 56)?;
                        if u32_at(&rec, 0) == ZIP64_EOCD_SIG {
                            found = Some((pos, rec));
                            break;
                        }
                    }
                }
                let (pos, rec) = found.ok_or_else(|| ScanError::corrupt("ZIP64 end record not found"))?;
                entries_total = u64_at(&rec, 32);
                cd_size = u64_at(&rec, 40);
                cd_offset = u64_at(&rec, 48);
                cd_end = pos;
                zip64 = true;
            }
        }
        if cd_size > limits.max_central_directory_bytes {
            return Err(ScanError::LimitExceeded {
                what: "central directory bytes",
                limit: limits.max_central_directory_bytes,
            });
        }
        if entries_total > limits.max_entries {
            return Err(ScanError::LimitExceeded { what: "entries per archive", limit: limits.max_entries });
        }
        let actual_start = cd_end
            .checked_sub(cd_size)
            .ok_or_else(|| ScanError::corrupt("central directory size too large"))?;
        let sig_at = |pos: u64| -> io::Result<Option<u32>> {
            if pos.checked_add(4).is_none_or(|end| end > len) {
                return Ok(None);
            }
            let b = read(pos, 4)?;
            Ok(Some(u32_at(&b, 0)))
        };
        let (cd_start, delta) = if cd_size == 0 {
            (actual_start, actual_start.saturating_sub(cd_offset))
        } else if sig_at(cd_offset)? == Some(CENTRAL_SIG)
            && cd_offset.checked_add(cd_size).is_some_and(|end| end <= cd_end)
        {
            (cd_offset, 0)
        } else if actual_start >= cd_offset && sig_at(actual_start)? == Some(CENTRAL_SIG) {
            (actual_start, actual_start - cd_offset)
        } else {
            return Err(ScanError::corrupt("central directory not found where the end record says"));
        };
        let cd = read(cd_start, cd_size as usize)?;
        let mut entries = Vec::with_capacity(entries_total.min(65536) as usize);
        let mut p = 0usize;
        while p + 46 <= cd.len() {
            if u32_at(&cd, p) != CENTRAL_SIG {
                return Err(ScanError::corrupt(format!("bad central directory record at offset {p}")));
            }
            let flags = u16_at(&cd, p + 8);
            let method = u16_at(&cd, p + 10);
            let crc32 = u32_at(&cd, p + 16);
            let mut csize = u64::from(u32_at(&cd, p + 20));
            let mut usize_ = u64::from(u32_at(&cd, p + 24));
            let n = u16_at(&cd, p + 28) as usize;
            let m = u16_at(&cd, p + 30) as usize;
            let k = u16_at(&cd, p + 32) as usize;
            let mut offset = u64::from(u32_at(&cd, p + 42));
            let end = p + 46 + n + m + k;
            if end > cd.len() {
                return Err(ScanError::corrupt("central directory record runs past its end"));
            }
            let raw_name = &cd[p + 46..p + 46 + n];
            let extra = &cd[p + 46 + n..p + 46 + n + m];
            if usize_ == 0xFFFF_FFFF || csize == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
                let mut q = 0;
                while q + 4 <= extra.len() {
                    let id = u16_at(extra, q);
                    let sz = u16_at(extra, q + 2) as usize;
                    let body = extra.get(q + 4..q + 4 + sz).unwrap_or(&[]);
                    if id == 1 {
                        let mut r = 0;
                        for field in [&mut usize_, &mut csize, &mut offset] {
                            if *field == 0xFFFF_FFFF && r + 8 <= body.len() {
                                *field = u64_at(body, r);
                                r += 8;
                            }
                        }
                    }
                    q += 4 + sz;
                }
            }
            let (name, utf8_ok) = match std::str::from_utf8(raw_name) {
                Ok(s) => (s.to_owned(), true),
                Err(_) => (String::from_utf8_lossy(raw_name).into_owned(), false),
            };
            let local_offset = offset
                .checked_add(delta)
                .filter(|o| *o < len)
                .ok_or_else(|| ScanError::corrupt(format!("entry {name:?} points outside the archive")))?;
            entries.push(Entry {
                name,
                name_range: (p + 46, p + 46 + n),
                utf8_ok,
                flags,
                method,
                crc32,
                compressed_size: csize,
                uncompressed_size: usize_,
                local_offset,
                cd_range: (p, end),
            });
            if entries.len() as u64 > limits.max_entries {
                return Err(ScanError::LimitExceeded {
                    what: "entries per archive",
                    limit: limits.max_entries,
                });
            }
            p = end;
        }
        Ok(ZipArchive { source, entries, central_directory: cd, delta, cd_start, comment, zip64 })
    }

    /// The raw (undecoded) name of `entry`.
    pub fn raw_name(&self, entry: &Entry) -> &[u8] {
        &self.central_directory[entry.name_range.0..entry.name_range.1]
    }

    /// Reads and checks the local header of `entry`; returns the data window.
    pub fn data_window(&self, entry: &Entry) -> Result<(u64, Source)> {
        let raw_name = self.raw_name(entry);
        // One read for the header and the name it should carry; the short read of the
        // header alone only when that fails (end of data).
        let hdr = match self.source.read_vec(entry.local_offset, 30 + raw_name.len()) {
            Ok(v) => v,
            Err(_) => self
                .source
                .read_vec(entry.local_offset, 30)
                .map_err(|_| ScanError::corrupt(format!("local header of {:?} is truncated", entry.name)))?,
        };
        if u32_at(&hdr, 0) != LOCAL_SIG {
            return Err(ScanError::LocalHeaderMismatch { entry: entry.name.clone() });
        }
        let n = u16_at(&hdr, 26) as u64;
        let m = u16_at(&hdr, 28) as u64;
        let name_matches = if hdr.len() == 30 + n as usize {
            &hdr[30..] == raw_name
        } else {
            self.source.read_vec(entry.local_offset + 30, n as usize)? == raw_name
        };
        if !name_matches || u16_at(&hdr, 8) != entry.method {
            return Err(ScanError::LocalHeaderMismatch { entry: entry.name.clone() });
        }
        let data_start = entry.local_offset + 30 + n + m;
        let window = self.source.slice(data_start, entry.compressed_size).ok_or_else(|| {
            ScanError::corrupt(format!("data of {:?} runs past the end of the archive", entry.name))
        })?;
        Ok((data_start, window))
    }

    /// A decompressing reader for `entry` (no size cap applied; see [`read_entry`](Self::read_entry)).
    pub fn open_entry(&self, entry: &Entry) -> Result<Box<dyn Read + Send>> {
        self.open_entry_buffered(entry, 64 * 1024)
    }

    /// Like [`open_entry`](Self::open_entry), reading compressed data of a file through a
    /// buffer of at most `buffer` bytes (compressed data in memory is read in place).
    fn open_entry_buffered(&self, entry: &Entry, buffer: usize) -> Result<Box<dyn Read + Send>> {
        if entry.is_encrypted() {
            return Err(ScanError::EncryptedEntry { entry: entry.name.clone() });
        }
        let (_, window) = self.data_window(entry)?;
        match entry.method {
            0 => Ok(Box::new(window.reader())),
            8 => Ok(Box::new(DeflateDecoder::new(window.buf_reader(buffer)))),
            method => Err(ScanError::UnsupportedCompression { entry: entry.name.clone(), method }),
        }
    }

    /// Reads the whole entry into memory, at most `cap` bytes, and checks its CRC-32.
    pub fn read_entry(&self, entry: &Entry, cap: u64) -> Result<Vec<u8>> {
        let reader = self.open_entry_buffered(entry, 64 * 1024)?;
        let mut out = Vec::with_capacity(entry.uncompressed_size.min(cap).min(1 << 20) as usize);
        let mut limited = reader.take(cap + 1);
        limited.read_to_end(&mut out).map_err(|e| corrupt_entry(entry, e))?;
        if out.len() as u64 > cap {
            return Err(ScanError::LimitExceeded { what: "decompressed bytes per entry", limit: cap });
        }
        check_crc(entry, &out)?;
        Ok(out)
    }

    /// Decompresses up to `n` bytes from the start of the entry.
    pub fn peek_entry(&self, entry: &Entry, n: usize) -> Result<Vec<u8>> {
        // A few compressed kilobytes give `n` bytes; more are read only when needed.
        let reader = self.open_entry_buffered(entry, 8 * 1024)?;
        let mut out = Vec::with_capacity(n);
        reader.take(n as u64).read_to_end(&mut out).map_err(|e| corrupt_entry(entry, e))?;
        Ok(out)
    }
}

pub(crate) fn corrupt_entry(entry: &Entry, e: io::Error) -> ScanError {
    ScanError::CorruptEntry { entry: entry.name.clone(), reason: e.to_string() }
}

pub(crate) fn check_crc(entry: &Entry, data: &[u8]) -> Result<()> {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    if crc.sum() != entry.crc32 {
        return Err(ScanError::CorruptEntry { entry: entry.name.clone(), reason: "CRC-32 mismatch".into() });
    }
    if data.len() as u64 != entry.uncompressed_size {
        return Err(ScanError::CorruptEntry {
            entry: entry.name.clone(),
            reason: format!("size {} differs from declared {}", data.len(), entry.uncompressed_size),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eocd() -> Vec<u8> {
        let mut e = EOCD_SIG.to_le_bytes().to_vec();
        e.extend_from_slice(&[0; 4]);
        e.extend_from_slice(&[0xFF; 12]);
        e.extend_from_slice(&[0; 2]);
        e
    }

    fn locator(declared: u64) -> Vec<u8> {
        let mut l = ZIP64_LOCATOR_SIG.to_le_bytes().to_vec();
        l.extend_from_slice(&[0; 4]);
        l.extend_from_slice(&declared.to_le_bytes());
        l.extend_from_slice(&1u32.to_le_bytes());
        l
    }

    fn open(bytes: Vec<u8>) -> Result<ZipArchive> {
        ZipArchive::open(Source::memory(bytes), &Limits::default())
    }

    // Offsets read from ZIP64 records near u64::MAX once overflowed (a panic in debug builds).
    #[test]
    fn zip64_offsets_near_the_top_of_u64_are_corrupt_not_a_panic() {
        let mut bytes = locator(u64::MAX - 10);
        bytes.extend(eocd());
        let err = open(bytes).unwrap_err();
        assert!(matches!(err, ScanError::CorruptArchive(_)), "{err:?}");

        let mut bytes = vec![0; 46];
        let mut rec = ZIP64_EOCD_SIG.to_le_bytes().to_vec();
        rec.resize(32, 0);
        rec.extend_from_slice(&1u64.to_le_bytes());
        rec.extend_from_slice(&46u64.to_le_bytes());
        rec.extend_from_slice(&(u64::MAX - 2).to_le_bytes());
        assert_eq!(rec.len(), 56);
        bytes.extend(rec);
        bytes.extend(locator(46));
        bytes.extend(eocd());
        let err = open(bytes).unwrap_err();
        assert!(matches!(err, ScanError::CorruptArchive(_)), "{err:?}");
    }
}
