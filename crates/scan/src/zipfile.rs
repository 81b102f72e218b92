//! A small, strict ZIP reader built for scanning: it finds the end of central directory
//! (tolerating an executable or shell prefix), reads only the central directory, and
//! decompresses only the entries it is asked for, under [`Limits`]. Every local header that
//! is read is cross-checked against its central directory record.

use std::io::{self, Read};

use std::cell::RefCell;
use std::sync::Arc;

use flate2::bufread::DeflateDecoder;
use flate2::{Decompress, FlushDecompress, Status};

use crate::error::{Result, ScanError};
use crate::limits::Limits;
use crate::source::Source;

pub(crate) const LOCAL_SIG: u32 = 0x0403_4b50;
pub(crate) const CENTRAL_SIG: u32 = 0x0201_4b50;
pub(crate) const EOCD_SIG: u32 = 0x0605_4b50;
pub(crate) const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
pub(crate) const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
pub(crate) const DESCRIPTOR_SIG: u32 = 0x0807_4b50;

#[inline(always)]
pub(crate) fn u16_at(b: &[u8], i: usize) -> u16 {
    let mut a = [0; 2];
    a.copy_from_slice(&b[i..i + 2]);
    u16::from_le_bytes(a)
}

#[inline(always)]
pub(crate) fn u32_at(b: &[u8], i: usize) -> u32 {
    let mut a = [0; 4];
    a.copy_from_slice(&b[i..i + 4]);
    u32::from_le_bytes(a)
}

#[inline(always)]
pub(crate) fn u64_at(b: &[u8], i: usize) -> u64 {
    let mut a = [0; 8];
    a.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(a)
}

/// One central directory record. Its name lives in the archive ([`ZipArchive::name`]): one
/// allocation per archive, not one per entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Range of the decoded name in the archive's name arena.
    name_span: (u32, u32),
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
    dir: bool,
    plain: bool,
}

impl Entry {
    /// Whether the entry is a directory (its name ends with `/`).
    pub fn is_dir(&self) -> bool {
        self.dir
    }

    /// Whether the name is printable ASCII only (so valid UTF-8 without control characters).
    pub fn has_plain_name(&self) -> bool {
        self.plain
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

/// A parsed central directory: what [`ZipArchive::open`] computes from the directory's bytes,
/// the archive's length and its offset delta alone, so a scan can reuse it for an archive
/// with the same three (see `Recall`).
#[derive(Debug)]
pub struct Directory {
    /// Entries in central directory order.
    entries: Vec<Entry>,
    /// Every entry name, decoded (lossily when not UTF-8), one after another.
    names: String,
    /// Raw central directory.
    central_directory: Vec<u8>,
    /// Length of the archive it was parsed for.
    len: u64,
    /// Offset delta it was parsed with.
    delta: u64,
}

impl Directory {
    /// Whether this directory was parsed from exactly `central_directory` for an archive of
    /// `len` bytes with offset delta `delta`.
    pub(crate) fn is_for(&self, len: u64, delta: u64, central_directory: &[u8]) -> bool {
        self.len == len && self.delta == delta && self.central_directory == central_directory
    }

    /// Whether `other` was parsed from the same bytes, length and delta as this one.
    pub(crate) fn same_as(&self, other: &Directory) -> bool {
        self.is_for(other.len, other.delta, &other.central_directory)
    }

    /// The length and offset delta of the archive it was parsed for, and its raw bytes.
    pub(crate) fn identity(&self) -> (u64, u64, &[u8]) {
        (self.len, self.delta, &self.central_directory)
    }

    /// Bytes this parse holds in memory.
    pub(crate) fn held_bytes(&self) -> usize {
        self.central_directory.capacity()
            + self.names.capacity()
            + self.entries.capacity() * std::mem::size_of::<Entry>()
    }
}

/// What an inflation of an entry was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Ask {
    /// The first bytes (at most this many) of the entry.
    Head(usize),
    /// The whole entry; kept only when the stream ended.
    Whole,
}

/// What [`Recall::inflation`] answers.
#[derive(Debug)]
pub(crate) enum Recalled {
    /// The bytes an earlier inflation of the same compressed bytes for the same ask gave.
    Found(Vec<u8>),
    /// Not kept; offer this one when it completes.
    Offer,
    /// Not kept, and not wanted.
    Pass,
}

/// Work on identical bytes kept beyond one archive. The reader asks before it parses a
/// central directory or inflates a small entry, and offers what it computed; it knows
/// nothing of how, or for how long, results are kept (the scan's run-wide store implements
/// this: `crate::reuse`). An implementation answers only for exactly the same bytes.
pub(crate) trait Recall: Sync {
    /// A parse of exactly `central_directory` for an archive of `len` bytes with offset delta
    /// `delta`.
    fn directory(&self, len: u64, delta: u64, central_directory: &[u8]) -> Option<Arc<Directory>>;
    /// Offers a fresh parse; returns it shared.
    fn keep_directory(&self, directory: Directory) -> Arc<Directory>;
    /// Whether inflations of entries of `compressed_len` compressed bytes are asked for and
    /// offered.
    fn recalls_inflations_of(&self, compressed_len: usize) -> bool;
    /// What inflating exactly `compressed` for `ask` gave (at most `max` bytes of it), or
    /// whether to offer this inflation.
    fn inflation(&self, ask: Ask, compressed: &[u8], max: usize) -> Recalled;
    /// Offers a completed inflation of `compressed` for `ask`; returns the inflated bytes.
    fn keep_inflation(&self, ask: Ask, compressed: Vec<u8>, inflated: Vec<u8>) -> Vec<u8>;
}

/// A parsed ZIP archive: its central directory and where its data lies in the source.
#[derive(Debug)]
pub struct ZipArchive {
    /// The archive bytes (including any prefix).
    pub source: Source,
    /// The parsed central directory (shared with identical archives of the same scan).
    directory: Arc<Directory>,
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

/// Bytes read from the end of an archive to find its end record before trying the
/// largest tail a comment allows.
const SHORT_TAIL: u64 = 4096;

/// Position of the end of central directory record in `tail`, searching backwards for one
/// whose comment fits.
fn find_end_record(tail: &[u8]) -> Option<usize> {
    let mut i = tail.len().checked_sub(22)?;
    loop {
        if u32_at(tail, i) == EOCD_SIG && i + 22 + u16_at(tail, i + 20) as usize <= tail.len() {
            return Some(i);
        }
        if i == 0 {
            return None;
        }
        i -= 1;
    }
}

/// Whether `head` (the first bytes of a file) starts like a ZIP archive.
pub fn has_zip_magic(head: &[u8]) -> bool {
    head.len() >= 4 && head[0] == b'P' && head[1] == b'K' && matches!((head[2], head[3]), (3, 4) | (5, 6))
}

impl ZipArchive {
    /// Reads the end records and the central directory of `source`.
    pub fn open(source: Source, limits: &Limits) -> Result<ZipArchive> {
        ZipArchive::open_reusing(source, limits, None)
    }

    /// [`open`](Self::open), reusing the parse of an identical directory `recall` kept (and
    /// offering this one to it).
    pub(crate) fn open_reusing(
        source: Source,
        limits: &Limits,
        recall: Option<&dyn Recall>,
    ) -> Result<ZipArchive> {
        let len = source.len();
        if len < 22 {
            return Err(ScanError::corrupt("too short for a ZIP end record"));
        }
        // Nearly every archive ends with its end record (no comment): a short tail finds it;
        // the whole 64 KiB a comment may take is read only when the short one does not.
        let full_tail = len.min(22 + 65535);
        let mut tail_len = len.min(SHORT_TAIL);
        let mut tail_start = len - tail_len;
        let mut tail = source.read_vec(tail_start, tail_len as usize)?;
        let mut eocd = find_end_record(&tail);
        if eocd.is_none() && tail_len < full_tail {
            tail_len = full_tail;
            tail_start = len - tail_len;
            tail = source.read_vec(tail_start, tail_len as usize)?;
            eocd = find_end_record(&tail);
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
        // Bytes at `pos`, taking the part that lies in the tail already read from there.
        let read = |pos: u64, n: usize| -> io::Result<Vec<u8>> {
            let end = pos + n as u64;
            if end <= tail_start || end > len {
                return source.read_vec(pos, n);
            }
            let mut out = if pos < tail_start {
                source.read_vec(pos, (tail_start - pos) as usize)?
            } else {
                Vec::new()
            };
            out.reserve_exact(n - out.len());
            let from = pos.saturating_sub(tail_start) as usize;
            out.extend_from_slice(&tail[from..(end - tail_start) as usize]);
            Ok(out)
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
        let directory = match recall {
            Some(recall) => match recall.directory(len, delta, &cd) {
                Some(directory) => directory,
                None => recall.keep_directory(parse_directory(cd, len, delta, entries_total, limits)?),
            },
            None => Arc::new(parse_directory(cd, len, delta, entries_total, limits)?),
        };
        Ok(ZipArchive { source, directory, delta, cd_start, comment, zip64 })
    }
}

/// Parses central directory `cd` of an archive of `len` bytes whose stored offsets are off by
/// `delta`, expecting about `entries_hint` records.
fn parse_directory(
    cd: Vec<u8>,
    len: u64,
    delta: u64,
    entries_hint: u64,
    limits: &Limits,
) -> Result<Directory> {
    let mut entries = Vec::with_capacity(entries_hint.min(65536) as usize);
    let mut names: Vec<u8> = Vec::with_capacity(cd.len() / 2);
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
        let name_start = names.len();
        // Printable ASCII (nearly every name) is valid UTF-8 without control characters:
        // one pass the compiler vectorizes, and the whole buffer is validated once below.
        let plain = raw_name.iter().fold(true, |ok, &b| ok & (0x20..0x7f).contains(&b));
        let utf8_ok = if plain {
            names.extend_from_slice(raw_name);
            true
        } else {
            match std::str::from_utf8(raw_name) {
                Ok(s) => {
                    names.extend_from_slice(s.as_bytes());
                    true
                }
                Err(_) => {
                    names.extend_from_slice(String::from_utf8_lossy(raw_name).as_bytes());
                    false
                }
            }
        };
        let name = &names[name_start..];
        let local_offset = offset.checked_add(delta).filter(|o| *o < len).ok_or_else(|| {
            let name = String::from_utf8_lossy(name);
            ScanError::corrupt(format!("entry {name:?} points outside the archive"))
        })?;
        let span =
            |i: usize| u32::try_from(i).map_err(|_| ScanError::corrupt("entry names exceed 4 GiB in all"));
        entries.push(Entry {
            name_span: (span(name_start)?, span(names.len())?),
            name_range: (p + 46, p + 46 + n),
            utf8_ok,
            flags,
            method,
            crc32,
            compressed_size: csize,
            uncompressed_size: usize_,
            local_offset,
            cd_range: (p, end),
            dir: name.ends_with(b"/"),
            plain,
        });
        if entries.len() as u64 > limits.max_entries {
            return Err(ScanError::LimitExceeded { what: "entries per archive", limit: limits.max_entries });
        }
        p = end;
    }
    // Every piece appended above is UTF-8, so this cannot fail; checking costs one fast pass.
    let names = String::from_utf8(names).map_err(|_| ScanError::corrupt("entry names are not UTF-8"))?;
    // A directory may be kept for the whole scan: hold no more than it needs (a crafted end
    // record can declare 65,535 entries for a directory of one).
    entries.shrink_to_fit();
    Ok(Directory { entries, names, central_directory: cd, len, delta })
}

impl ZipArchive {
    /// Entries in central directory order.
    pub fn entries(&self) -> &[Entry] {
        &self.directory.entries
    }

    /// The raw central directory.
    pub fn central_directory(&self) -> &[u8] {
        &self.directory.central_directory
    }

    /// The parsed central directory, shared with identical archives of the same scan.
    pub(crate) fn directory(&self) -> &Arc<Directory> {
        &self.directory
    }

    /// The name of `entry`, decoded as UTF-8 (lossily when it is not; see [`Entry::utf8_ok`]).
    pub fn name(&self, entry: &Entry) -> &str {
        &self.directory.names[entry.name_span.0 as usize..entry.name_span.1 as usize]
    }

    /// The raw (undecoded) name of `entry`.
    pub fn raw_name(&self, entry: &Entry) -> &[u8] {
        &self.directory.central_directory[entry.name_range.0..entry.name_range.1]
    }

    /// Reads and checks the local header of `entry`; returns the data window.
    pub fn data_window(&self, entry: &Entry) -> Result<(u64, Source)> {
        let raw_name = self.raw_name(entry);
        // One read for the header and the name it should carry (on the stack for the usual
        // short names); the short read of the header alone only when that fails (end of data).
        let mut stack = [0u8; 30 + 226];
        let want = 30 + raw_name.len();
        let heap;
        let hdr: &[u8] = if want <= stack.len()
            && self.source.read_exact_at(entry.local_offset, &mut stack[..want]).is_ok()
        {
            &stack[..want]
        } else {
            heap = match self.source.read_vec(entry.local_offset, want) {
                Ok(v) => v,
                Err(_) => self.source.read_vec(entry.local_offset, 30).map_err(|_| {
                    ScanError::corrupt(format!("local header of {:?} is truncated", self.name(entry)))
                })?,
            };
            &heap
        };
        if u32_at(hdr, 0) != LOCAL_SIG {
            return Err(ScanError::LocalHeaderMismatch { entry: self.name(entry).to_owned() });
        }
        let n = u16_at(hdr, 26) as u64;
        let m = u16_at(hdr, 28) as u64;
        let name_matches = if hdr.len() == 30 + n as usize {
            &hdr[30..] == raw_name
        } else {
            self.source.read_vec(entry.local_offset + 30, n as usize)? == raw_name
        };
        if !name_matches || u16_at(hdr, 8) != entry.method {
            return Err(ScanError::LocalHeaderMismatch { entry: self.name(entry).to_owned() });
        }
        let data_start = entry.local_offset + 30 + n + m;
        let window = self.source.slice(data_start, entry.compressed_size).ok_or_else(|| {
            ScanError::corrupt(format!("data of {:?} runs past the end of the archive", self.name(entry)))
        })?;
        Ok((data_start, window))
    }

    /// A decompressing reader for `entry` (no size cap applied; see [`read_entry`](Self::read_entry)).
    pub fn open_entry(&self, entry: &Entry) -> Result<Box<dyn Read + Send>> {
        let window = self.checked_window(entry)?;
        Ok(match entry.method {
            0 => Box::new(window.reader()),
            _ => Box::new(DeflateDecoder::new(window.buf_reader(64 * 1024))),
        })
    }

    /// The data window of an entry this reader can decompress (STORED or deflated, not
    /// encrypted).
    fn checked_window(&self, entry: &Entry) -> Result<Source> {
        if entry.is_encrypted() {
            return Err(ScanError::EncryptedEntry { entry: self.name(entry).to_owned() });
        }
        if !matches!(entry.method, 0 | 8) {
            return Err(ScanError::UnsupportedCompression {
                entry: self.name(entry).to_owned(),
                method: entry.method,
            });
        }
        Ok(self.data_window(entry)?.1)
    }

    /// Reads the whole entry into memory, at most `cap` bytes, and checks its CRC-32.
    pub fn read_entry(&self, entry: &Entry, cap: u64) -> Result<Vec<u8>> {
        self.read_entry_reusing(entry, cap, None)
    }

    /// [`read_entry`](Self::read_entry), reusing an identical small inflation `recall` kept
    /// (and offering this one to it).
    pub(crate) fn read_entry_reusing(
        &self,
        entry: &Entry,
        cap: u64,
        recall: Option<&dyn Recall>,
    ) -> Result<Vec<u8>> {
        let window = self.checked_window(entry)?;
        let out = if entry.method == 0 {
            let take = window.len().min(cap.saturating_add(1));
            let len = usize::try_from(take).map_err(|_| ScanError::corrupt("entry too large"))?;
            window.read_vec(0, len)?
        } else if window.len() <= SMALL_COMPRESSED {
            let expect = entry.uncompressed_size.min(cap).min(1 << 20) as usize;
            let max = usize::try_from(cap).unwrap_or(usize::MAX).saturating_add(1);
            inflate_small(&window, expect, max, true, recall).map_err(|e| self.corrupt_entry(entry, e))?
        } else if let Some(out) = inflate_whole(&window, entry.uncompressed_size, cap.saturating_add(1)) {
            out
        } else {
            let reader = DeflateDecoder::new(window.buf_reader(64 * 1024));
            let mut out = Vec::with_capacity(entry.uncompressed_size.min(cap).min(1 << 20) as usize);
            reader
                .take(cap.saturating_add(1))
                .read_to_end(&mut out)
                .map_err(|e| self.corrupt_entry(entry, e))?;
            out
        };
        if out.len() as u64 > cap {
            return Err(ScanError::LimitExceeded { what: "decompressed bytes per entry", limit: cap });
        }
        self.check_crc(entry, &out)?;
        Ok(out)
    }

    /// Decompresses up to `n` bytes from the start of the entry.
    pub fn peek_entry(&self, entry: &Entry, n: usize) -> Result<Vec<u8>> {
        self.peek_entry_reusing(entry, n, None)
    }

    /// [`peek_entry`](Self::peek_entry), reusing an identical peek `recall` kept (and offering
    /// this one to it).
    pub(crate) fn peek_entry_reusing(
        &self,
        entry: &Entry,
        n: usize,
        recall: Option<&dyn Recall>,
    ) -> Result<Vec<u8>> {
        let window = self.checked_window(entry)?;
        if entry.method == 0 {
            let take = window.len().min(n as u64) as usize;
            return Ok(window.read_vec(0, take)?);
        }
        inflate_small(&window, n, n, false, recall).map_err(|e| self.corrupt_entry(entry, e))
    }

    /// The error of `entry` failing to decompress with `e`.
    pub(crate) fn corrupt_entry(&self, entry: &Entry, e: io::Error) -> ScanError {
        ScanError::CorruptEntry { entry: self.name(entry).to_owned(), reason: e.to_string() }
    }

    /// Checks decompressed `data` against the CRC-32 and size `entry` declares.
    pub(crate) fn check_crc(&self, entry: &Entry, data: &[u8]) -> Result<()> {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        if crc.sum() != entry.crc32 {
            return Err(ScanError::CorruptEntry {
                entry: self.name(entry).to_owned(),
                reason: "CRC-32 mismatch".into(),
            });
        }
        if data.len() as u64 != entry.uncompressed_size {
            return Err(ScanError::CorruptEntry {
                entry: self.name(entry).to_owned(),
                reason: format!("size {} differs from declared {}", data.len(), entry.uncompressed_size),
            });
        }
        Ok(())
    }
}

/// Compressed entries up to this size are inflated by [`inflate_small`] (the thread's
/// inflater and input buffer, reused); larger ones stream through a fresh decoder.
const SMALL_COMPRESSED: u64 = 1 << 20;

/// The largest inflated size [`inflate_whole`] allocates at once.
const WHOLE_MAX: u64 = 1 << 30;

thread_local! {
    /// The thread's libdeflate decompressor (about 32 KiB of tables), reused.
    static WHOLE: RefCell<libdeflater::Decompressor> = RefCell::new(libdeflater::Decompressor::new());
}

/// Inflates the raw deflate data in `window` in one call (libdeflate, which decodes a whole
/// buffer about twice as fast as a streaming zlib) into a buffer of the entry's declared
/// size, when that size is below `max`. `None` when the data is not one clean stream that
/// fits the declared size (a size declared too small, bad or cut-short data): the caller
/// then streams it under its limits, which reports what is wrong. Never more than the
/// declared size is allocated.
pub(crate) fn inflate_whole(window: &Source, declared: u64, max: u64) -> Option<Vec<u8>> {
    if declared >= max || declared > WHOLE_MAX || declared == 0 {
        return None;
    }
    let size = usize::try_from(declared).ok()?;
    let copied;
    let input = match window.in_memory() {
        Some(bytes) => bytes,
        None => {
            copied = window.read_vec(0, usize::try_from(window.len()).ok()?).ok()?;
            &copied[..]
        }
    };
    let mut out = vec![0; size];
    let n = WHOLE.with(|d| d.borrow_mut().deflate_decompress(input, &mut out)).ok()?;
    out.truncate(n);
    Some(out)
}

/// Compressed bytes read from a file per step when only the start of an entry is wanted.
const PEEK_INPUT: usize = 8 * 1024;

/// One inflater and one input buffer per thread: a jar has a few small entries to read and
/// a few more to peek at, and a fresh zlib state (about 40 KiB) and buffer for each cost more
/// than inflating them. The buffer keeps its largest size, at most [`SMALL_COMPRESSED`].
struct Inflater {
    state: Decompress,
    input: Vec<u8>,
}

thread_local! {
    static INFLATER: RefCell<Inflater> =
        RefCell::new(Inflater { state: Decompress::new(false), input: Vec::new() });
}

/// Inflates the raw deflate data in `window` with the thread's inflater until the stream
/// ends, the input runs out (a truncated stream: what came out is returned, and the size and
/// CRC-32 check of a whole-entry read reports it) or `max` bytes are out. `expect` pre-sizes
/// the output; `whole` reads all the compressed bytes of a file at once (a whole entry)
/// rather than a few kilobytes at a time (a peek). With `recall`, an inflation of exactly the
/// same compressed bytes for the same ask is reused, and this one is offered when it completed.
fn inflate_small(
    window: &Source,
    expect: usize,
    max: usize,
    whole: bool,
    recall: Option<&dyn Recall>,
) -> io::Result<Vec<u8>> {
    let ask = if whole { Ask::Whole } else { Ask::Head(max) };
    INFLATER.with_borrow_mut(|Inflater { state, input }| -> io::Result<Vec<u8>> {
        let total = window.len() as usize;
        let mut out = Vec::new();
        let mut offer = None;
        let mut ended = false;
        let mut pos = 0;
        'input: loop {
            let chunk: &[u8] = match window.in_memory() {
                Some(all) => &all[pos..],
                None => {
                    let step = if whole { total - pos } else { (total - pos).min(PEEK_INPUT) };
                    if input.len() < step {
                        input.resize(step, 0);
                    }
                    window.read_exact_at(pos as u64, &mut input[..step])?;
                    &input[..step]
                }
            };
            if pos == 0 {
                // Every compressed byte at hand: an identical inflation may be reused.
                if let Some(recall) = recall
                    && chunk.len() == total
                    && recall.recalls_inflations_of(total)
                {
                    match recall.inflation(ask, chunk, max) {
                        Recalled::Found(done) => return Ok(done),
                        Recalled::Offer => offer = Some(recall),
                        Recalled::Pass => {}
                    }
                }
                state.reset(false);
                out.reserve_exact(expect.min(max));
            }
            let last = pos + chunk.len() == total;
            let flush = if last { FlushDecompress::Finish } else { FlushDecompress::None };
            let mut used = 0;
            loop {
                if out.len() >= max {
                    break 'input;
                }
                if out.len() == out.capacity() {
                    out.reserve_exact((max - out.len()).min(64 * 1024));
                }
                let (in_before, out_before) = (state.total_in(), state.total_out());
                let status = state
                    .decompress_vec(&chunk[used..], &mut out, flush)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                used += (state.total_in() - in_before) as usize;
                if status == Status::StreamEnd {
                    ended = true;
                    break 'input;
                }
                if (state.total_in(), state.total_out()) == (in_before, out_before) {
                    break;
                }
            }
            pos += used;
            if last || used == 0 {
                break;
            }
        }
        out.truncate(max);
        let complete = ended || (ask != Ask::Whole && out.len() >= max);
        if let Some(recall) = offer
            && complete
        {
            let compressed = match window.in_memory() {
                Some(all) => all.to_vec(),
                None => input[..total].to_vec(),
            };
            // Kept for the whole scan: no spare capacity (a lying declared size pre-sized it).
            out.shrink_to_fit();
            return Ok(recall.keep_inflation(ask, compressed, out));
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_inflation_takes_only_clean_streams_of_the_declared_size() {
        use std::io::Write;
        let data: Vec<u8> = (0..200_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&data).unwrap();
        let deflated = enc.finish().unwrap();
        let n = data.len() as u64;
        let window = Source::memory(deflated.clone());
        assert_eq!(inflate_whole(&window, n, n + 1).as_deref(), Some(&data[..]));
        // A declared size above the real one: the real bytes, no more.
        assert_eq!(inflate_whole(&window, n + 10, n + 11).as_deref(), Some(&data[..]));
        // Declared too small (a lie), at or past the limit, or nothing: the caller streams.
        assert_eq!(inflate_whole(&window, n - 1, n + 1), None);
        assert_eq!(inflate_whole(&window, n, n), None);
        assert_eq!(inflate_whole(&window, 0, n), None);
        // Cut short or corrupt: the caller streams it and reports what is wrong.
        assert_eq!(inflate_whole(&Source::memory(deflated[..deflated.len() / 2].to_vec()), n, n + 1), None);
        let mut bad = deflated;
        bad[0] = 0xff;
        assert_eq!(inflate_whole(&Source::memory(bad), n, n + 1), None);
    }

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

    fn small_zip() -> Vec<u8> {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        w.start_file("META-INF/MANIFEST.MF", zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(b"Manifest-Version: 1.0\r\n\r\n").unwrap();
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn a_parsed_directory_knows_its_bytes_length_and_delta_and_holds_no_spare_room() {
        let jar = small_zip();
        let a = open(jar.clone()).unwrap();
        let d = a.directory();
        let (len, delta, cd) = d.identity();
        assert!(d.is_for(len, delta, cd));
        assert_eq!(d.entries.capacity(), d.entries.len());
        assert!(!d.is_for(len + 1, delta, cd));
        assert!(!d.is_for(len, delta + 1, cd));
        let mut other = cd.to_vec();
        *other.last_mut().unwrap() ^= 1;
        assert!(!d.is_for(len, delta, &other));
        // The same directory behind a prefix its offsets ignore: another delta.
        let prefixed = open([b"#!/bin/sh\n".as_slice(), &jar].concat()).unwrap();
        assert!(!d.same_as(prefixed.directory()));
        assert!(d.same_as(open(jar.clone()).unwrap().directory()));
        assert_eq!(prefixed.entries()[0].local_offset, a.entries()[0].local_offset + 10);
        // An end record declaring 65,535 entries for a directory of one: the parse holds one
        // entry's room, not 65,535.
        let mut lying = jar.clone();
        let eocd = lying.len() - 22;
        lying[eocd + 8..eocd + 12].copy_from_slice(&[0xff; 4]);
        let lied = open(lying).unwrap();
        assert_eq!(lied.entries().len(), 1);
        assert_eq!(lied.directory.entries.capacity(), 1);
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
