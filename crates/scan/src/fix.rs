//! `--fix`: remove `JndiLookup.class` from affected log4j-core copies at every nesting depth.
//!
//! Each changed archive is rewritten entry by entry in central-directory order: removed
//! entries (and, in a changed jar, its signature files `META-INF/*.SF|RSA|DSA|EC`) are left
//! out; rewritten nested archives are stored again with their original compression method;
//! every other entry is copied byte for byte (local header, compressed data, descriptor),
//! except that a STORED entry loses its data descriptor (sizes and CRC go into the local
//! header, as Spring Boot's launcher requires). An executable prefix is copied as is. The new
//! file is written to a temporary file in the same directory, fsynced, verified by a strict
//! streaming re-read (and by the independent `zip` crate), then renamed over the original; a
//! backup is hard-linked (or copied) first unless disabled.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Decompress;
use flate2::FlushDecompress;
use flate2::write::DeflateEncoder;
use vulnrelay_formats::scan_report::FixEntry;

use crate::error::{Result, ScanError};
use crate::limits::Limits;
use crate::report::{ErrorRecord, Report};
use crate::source::Source;
use crate::zipfile::{
    CENTRAL_SIG, DESCRIPTOR_SIG, EOCD_SIG, Entry, LOCAL_SIG, ZIP64_EOCD_SIG, ZIP64_LOCATOR_SIG, ZipArchive,
    u16_at, u32_at,
};

/// One file changed by `--fix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixOutcome {
    /// The file on disk.
    pub path: PathBuf,
    /// Entries removed, as `!/` paths.
    pub removed: Vec<String>,
    /// Backup, unless disabled.
    pub backup: Option<PathBuf>,
}

impl FixOutcome {
    /// The JSON report form.
    pub fn to_wire(&self) -> FixEntry {
        FixEntry {
            path: self.path.to_string_lossy().into_owned(),
            removed: self.removed.clone(),
            backup: self.backup.as_ref().map(|b| b.to_string_lossy().into_owned()),
        }
    }
}

/// What to remove inside one archive, and in archives nested in it.
#[derive(Debug, Default, Clone)]
pub struct Plan {
    /// Entry names to remove here.
    pub remove: BTreeSet<String>,
    /// Nested archives (by entry name) with their own plans.
    pub nested: BTreeMap<String, Plan>,
}

impl Plan {
    fn insert(&mut self, location: &[String], targets: &[String]) {
        match location.split_first() {
            None => self.remove.extend(targets.iter().cloned()),
            Some((first, rest)) => self.nested.entry(first.clone()).or_default().insert(rest, targets),
        }
    }
}

fn is_signature(name: &str) -> bool {
    let Some(base) = name.strip_prefix("META-INF/") else { return false };
    if base.contains('/') {
        return false;
    }
    let upper = base.to_ascii_uppercase();
    upper.starts_with("SIG-") || [".SF", ".RSA", ".DSA", ".EC"].iter().any(|e| upper.ends_with(e))
}

struct Counting<W> {
    inner: W,
    pos: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn copy_range(src: &Source, pos: u64, len: u64, out: &mut impl Write) -> Result<()> {
    let window = src.slice(pos, len).ok_or_else(|| ScanError::corrupt("entry data runs past the end"))?;
    io::copy(&mut window.reader(), out)?;
    Ok(())
}

fn descriptor_len(src: &Source, at: u64, zip64: bool) -> Result<u64> {
    let sig = src.read_vec(at, 4).map(|b| u32_at(&b, 0)).unwrap_or(0);
    let body = if zip64 { 20 } else { 12 };
    Ok(if sig == DESCRIPTOR_SIG { body + 4 } else { body })
}

/// Rewrites `zip` following `plan` into `out`. Returns the removed `!/` paths (relative to
/// this archive), or `None` when nothing changed.
fn rewrite(
    zip: &ZipArchive,
    plan: &Plan,
    limits: &Limits,
    out: &mut Counting<impl Write>,
) -> Result<Option<Vec<String>>> {
    let mut removed: Vec<String> = Vec::new();
    let mut replaced: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
    for (name, sub) in &plan.nested {
        let Some(idx) = zip.entries().iter().position(|e| zip.name(e) == name) else { continue };
        let entry = &zip.entries()[idx];
        let inner = if entry.method == 0 {
            zip.data_window(entry)?.1
        } else {
            Source::memory(zip.read_entry(entry, limits.max_entry_bytes)?)
        };
        let inner_zip = ZipArchive::open(inner, limits)?;
        let mut buf = Counting { inner: Vec::new(), pos: 0 };
        if let Some(r) = rewrite(&inner_zip, sub, limits, &mut buf)? {
            verify_bytes(buf.inner.clone(), limits)?;
            removed.extend(r.into_iter().map(|x| format!("{name}!/{x}")));
            replaced.insert(idx, buf.inner);
        }
    }
    let drop: BTreeSet<usize> = zip
        .entries()
        .iter()
        .enumerate()
        .filter(|(_, e)| plan.remove.contains(zip.name(e)))
        .map(|(i, _)| i)
        .collect();
    if drop.is_empty() && replaced.is_empty() {
        return Ok(None);
    }
    for &i in &drop {
        removed.push(zip.name(&zip.entries()[i]).to_owned());
    }
    let signatures: BTreeSet<usize> =
        zip.entries().iter().enumerate().filter(|(_, e)| is_signature(zip.name(e))).map(|(i, _)| i).collect();
    for &i in &signatures {
        removed.push(zip.name(&zip.entries()[i]).to_owned());
    }
    let prefix_len = zip.entries().iter().map(|e| e.local_offset).min().unwrap_or(zip.cd_start);
    copy_range(&zip.source, 0, prefix_len, out)?;
    let mut cd: Vec<u8> = Vec::new();
    let mut count: u64 = 0;
    for (i, entry) in zip.entries().iter().enumerate() {
        if drop.contains(&i) || signatures.contains(&i) {
            continue;
        }
        let new_offset =
            out.pos.checked_sub(zip.delta).ok_or_else(|| ScanError::Fix("offset underflow".into()))?;
        let mut record = zip.central_directory()[entry.cd_range.0..entry.cd_range.1].to_vec();
        if let Some(bytes) = replaced.get(&i) {
            write_new_entry(zip, entry, bytes, &mut record, out)?;
        } else {
            copy_entry(zip, entry, &mut record, out)?;
        }
        set_offset(&mut record, new_offset, zip.name(entry))?;
        cd.extend_from_slice(&record);
        count += 1;
    }
    let cd_pos = out.pos - zip.delta;
    out.write_all(&cd)?;
    let cd_size = cd.len() as u64;
    let need64 = zip.zip64 || count >= 0xFFFF || cd_pos >= 0xFFFF_FFFF || cd_size >= 0xFFFF_FFFF;
    if need64 {
        let z64_pos = out.pos - zip.delta;
        let mut r = Vec::with_capacity(76);
        r.extend_from_slice(&ZIP64_EOCD_SIG.to_le_bytes());
        r.extend_from_slice(&44u64.to_le_bytes());
        r.extend_from_slice(&45u16.to_le_bytes());
        r.extend_from_slice(&45u16.to_le_bytes());
        r.extend_from_slice(&0u32.to_le_bytes());
        r.extend_from_slice(&0u32.to_le_bytes());
        r.extend_from_slice(&count.to_le_bytes());
        r.extend_from_slice(&count.to_le_bytes());
        r.extend_from_slice(&cd_size.to_le_bytes());
        r.extend_from_slice(&cd_pos.to_le_bytes());
        r.extend_from_slice(&ZIP64_LOCATOR_SIG.to_le_bytes());
        r.extend_from_slice(&0u32.to_le_bytes());
        r.extend_from_slice(&z64_pos.to_le_bytes());
        r.extend_from_slice(&1u32.to_le_bytes());
        out.write_all(&r)?;
    }
    let mut e = Vec::with_capacity(22 + zip.comment.len());
    e.extend_from_slice(&EOCD_SIG.to_le_bytes());
    e.extend_from_slice(&[0, 0, 0, 0]);
    let c16 = if need64 { 0xFFFF } else { count as u16 };
    e.extend_from_slice(&c16.to_le_bytes());
    e.extend_from_slice(&c16.to_le_bytes());
    e.extend_from_slice(&(if need64 { 0xFFFF_FFFF } else { cd_size as u32 }).to_le_bytes());
    e.extend_from_slice(&(if need64 { 0xFFFF_FFFF } else { cd_pos as u32 }).to_le_bytes());
    e.extend_from_slice(&(zip.comment.len() as u16).to_le_bytes());
    e.extend_from_slice(&zip.comment);
    out.write_all(&e)?;
    Ok(Some(removed))
}

fn set_offset(record: &mut [u8], offset: u64, name: &str) -> Result<()> {
    if u32_at(record, 42) == 0xFFFF_FFFF {
        // Offset lives in the ZIP64 extra field, after any 64-bit sizes present there.
        let n = u16_at(record, 28) as usize;
        let m = u16_at(record, 30) as usize;
        let mut skip = 0;
        if u32_at(record, 24) == 0xFFFF_FFFF {
            skip += 8;
        }
        if u32_at(record, 20) == 0xFFFF_FFFF {
            skip += 8;
        }
        let mut q = 46 + n;
        while q + 4 <= 46 + n + m {
            let id = u16_at(record, q);
            let sz = u16_at(record, q + 2) as usize;
            if id == 1 && skip + 8 <= sz {
                record[q + 4 + skip..q + 12 + skip].copy_from_slice(&offset.to_le_bytes());
                return Ok(());
            }
            q += 4 + sz;
        }
        return Err(ScanError::Fix(format!("ZIP64 offset of {name:?} not found")));
    }
    let o = u32::try_from(offset).map_err(|_| ScanError::Fix(format!("{name:?}: offset beyond 4 GiB")))?;
    if o == 0xFFFF_FFFF {
        return Err(ScanError::Fix(format!("{name:?}: offset needs ZIP64")));
    }
    record[42..46].copy_from_slice(&o.to_le_bytes());
    Ok(())
}

fn copy_entry(
    zip: &ZipArchive,
    entry: &Entry,
    record: &mut [u8],
    out: &mut Counting<impl Write>,
) -> Result<()> {
    let (data_start, _) = zip.data_window(entry)?;
    let header_len = data_start - entry.local_offset;
    if entry.method == 0 && entry.has_descriptor() {
        let mut header = zip.source.read_vec(entry.local_offset, header_len as usize)?;
        let flags = u16_at(&header, 6) & !8;
        header[6..8].copy_from_slice(&flags.to_le_bytes());
        header[14..18].copy_from_slice(&entry.crc32.to_le_bytes());
        let small = |v: u64| u32::try_from(v).map_err(|_| ScanError::Fix("STORED entry over 4 GiB".into()));
        header[18..22].copy_from_slice(&small(entry.compressed_size)?.to_le_bytes());
        header[22..26].copy_from_slice(&small(entry.uncompressed_size)?.to_le_bytes());
        out.write_all(&header)?;
        copy_range(&zip.source, data_start, entry.compressed_size, out)?;
        let cd_flags = u16_at(record, 8) & !8;
        record[8..10].copy_from_slice(&cd_flags.to_le_bytes());
        return Ok(());
    }
    let mut len = header_len + entry.compressed_size;
    if entry.has_descriptor() {
        len += descriptor_len(&zip.source, data_start + entry.compressed_size, zip.zip64)?;
    }
    copy_range(&zip.source, entry.local_offset, len, out)
}

fn write_new_entry(
    zip: &ZipArchive,
    entry: &Entry,
    bytes: &[u8],
    record: &mut [u8],
    out: &mut Counting<impl Write>,
) -> Result<()> {
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    let data = match entry.method {
        0 => bytes.to_vec(),
        8 => {
            let mut enc = DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(bytes)?;
            enc.finish()?
        }
        method => {
            return Err(ScanError::UnsupportedCompression { entry: zip.name(entry).to_owned(), method });
        }
    };
    let small = |v: usize| u32::try_from(v).ok().filter(|v| *v != 0xFFFF_FFFF);
    let (Some(csize), Some(usize_)) = (small(data.len()), small(bytes.len())) else {
        return Err(ScanError::Fix(format!("rewritten {:?} exceeds 4 GiB", zip.name(entry))));
    };
    let hdr = zip.source.read_vec(entry.local_offset, 30)?;
    let mut h = hdr.clone();
    let flags = u16_at(&hdr, 6) & !8;
    h[6..8].copy_from_slice(&flags.to_le_bytes());
    h[14..18].copy_from_slice(&crc.sum().to_le_bytes());
    h[18..22].copy_from_slice(&csize.to_le_bytes());
    h[22..26].copy_from_slice(&usize_.to_le_bytes());
    h[28..30].copy_from_slice(&0u16.to_le_bytes());
    out.write_all(&h)?;
    out.write_all(zip.raw_name(entry))?;
    out.write_all(&data)?;
    let cd_flags = u16_at(record, 8) & !8;
    record[8..10].copy_from_slice(&cd_flags.to_le_bytes());
    record[16..20].copy_from_slice(&crc.sum().to_le_bytes());
    if u32_at(record, 20) == 0xFFFF_FFFF || u32_at(record, 24) == 0xFFFF_FFFF {
        return Err(ScanError::Fix(format!(
            "{:?}: ZIP64 sizes not supported when rewriting",
            zip.name(entry)
        )));
    }
    record[20..24].copy_from_slice(&csize.to_le_bytes());
    record[24..28].copy_from_slice(&usize_.to_le_bytes());
    Ok(())
}

fn inflate_exact(src: &Source, pos: u64, csize: u64, expect: u64, max: u64) -> Result<Vec<u8>> {
    let input =
        src.read_vec(pos, usize::try_from(csize).map_err(|_| ScanError::Fix("entry too large".into()))?)?;
    let mut d = Decompress::new(false);
    let mut out = Vec::with_capacity(expect.min(max) as usize);
    loop {
        if out.len() as u64 > max {
            return Err(ScanError::LimitExceeded { what: "decompressed bytes per entry", limit: max });
        }
        out.reserve(64 * 1024);
        let before_in = d.total_in();
        let before_out = d.total_out();
        let status = d
            .decompress_vec(&input[d.total_in() as usize..], &mut out, FlushDecompress::None)
            .map_err(|e| ScanError::Fix(format!("inflate: {e}")))?;
        if status == flate2::Status::StreamEnd {
            break;
        }
        if d.total_in() == before_in && d.total_out() == before_out {
            return Err(ScanError::Fix(
                "deflate stream does not end where the central directory says".into(),
            ));
        }
    }
    if d.total_in() != csize {
        return Err(ScanError::Fix("deflate stream length differs from the compressed size".into()));
    }
    Ok(out)
}

/// Strict streaming verification of a ZIP: from the first local header to the central
/// directory, every local header must follow the previous entry's data (and descriptor)
/// exactly, match its central directory record, have no data descriptor when STORED, and
/// decompress to the declared size and CRC-32. The `zip` crate then reads every entry again.
pub fn verify(source: Source, limits: &Limits) -> Result<()> {
    let zip = ZipArchive::open(source.clone(), limits)?;
    let mut order: Vec<&Entry> = zip.entries().iter().collect();
    order.sort_by_key(|e| e.local_offset);
    let mut pos = order.first().map(|e| e.local_offset).unwrap_or(zip.cd_start);
    for entry in order {
        let fail =
            |what: &str| ScanError::Fix(format!("verification of {:?} failed: {what}", zip.name(entry)));
        if entry.local_offset != pos {
            return Err(fail("gap or overlap before the local header"));
        }
        let hdr = source.read_vec(pos, 30)?;
        if u32_at(&hdr, 0) != LOCAL_SIG {
            return Err(fail("no local header signature"));
        }
        let (data_start, _) = zip.data_window(entry)?;
        let local_flags = u16_at(&hdr, 6);
        if entry.method == 0 && local_flags & 8 != 0 {
            return Err(fail("STORED entry with a data descriptor"));
        }
        if local_flags & 8 == 0
            && (u32_at(&hdr, 14) != entry.crc32
                || u64::from(u32_at(&hdr, 18)) != entry.compressed_size.min(0xFFFF_FFFF))
        {
            return Err(fail("local header sizes or CRC differ from the central directory"));
        }
        let data = match entry.method {
            0 => source.read_vec(data_start, entry.compressed_size as usize)?,
            8 => inflate_exact(
                &source,
                data_start,
                entry.compressed_size,
                entry.uncompressed_size,
                limits.max_entry_bytes,
            )?,
            m => {
                return Err(ScanError::UnsupportedCompression {
                    entry: zip.name(entry).to_owned(),
                    method: m,
                });
            }
        };
        zip.check_crc(entry, &data)?;
        pos = data_start + entry.compressed_size;
        if local_flags & 8 != 0 {
            pos += descriptor_len(&source, pos, zip.zip64)?;
        }
    }
    if pos != zip.cd_start {
        return Err(ScanError::Fix("data between the last entry and the central directory".into()));
    }
    let cd = source.read_vec(zip.cd_start, 4)?;
    if !zip.entries().is_empty() && u32_at(&cd, 0) != CENTRAL_SIG {
        return Err(ScanError::Fix("central directory signature missing".into()));
    }
    // Independent second reader.
    let mut reader = zip::ZipArchive::new(SeekSource { source: source.clone(), pos: 0 })
        .map_err(|e| ScanError::Fix(format!("zip crate cannot open the result: {e}")))?;
    for i in 0..reader.len() {
        let mut f = reader.by_index(i).map_err(|e| ScanError::Fix(format!("zip crate: {e}")))?;
        io::copy(&mut f, &mut io::sink()).map_err(|e| ScanError::Fix(format!("zip crate: {e}")))?;
    }
    Ok(())
}

fn verify_bytes(bytes: Vec<u8>, limits: &Limits) -> Result<()> {
    verify(Source::memory(bytes), limits)
}

struct SeekSource {
    source: Source,
    pos: u64,
}

impl Read for SeekSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.source.read_at(self.pos, buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl io::Seek for SeekSource {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let new = match to {
            io::SeekFrom::Start(p) => Some(p),
            io::SeekFrom::End(d) => self.source.len().checked_add_signed(d),
            io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = new.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before start"))?;
        Ok(self.pos)
    }
}

fn backup_path(path: &Path) -> PathBuf {
    let mut n = 0;
    loop {
        let mut s = path.as_os_str().to_owned();
        s.push(if n == 0 { ".vulnrelay-backup".to_owned() } else { format!(".vulnrelay-backup.{n}") });
        let p = PathBuf::from(s);
        if !p.exists() {
            return p;
        }
        n += 1;
    }
}

fn make_backup(path: &Path) -> Result<PathBuf> {
    let b = backup_path(path);
    if fs::hard_link(path, &b).is_err() {
        fs::copy(path, &b)?;
    }
    Ok(b)
}

/// Applies `plan` to the archive at `path`; `None` when nothing changed.
pub fn fix_archive(path: &Path, plan: &Plan, backup: bool, limits: &Limits) -> Result<Option<FixOutcome>> {
    let file = File::open(path)?;
    let perms = file.metadata()?.permissions();
    let zip = ZipArchive::open(Source::file(file)?, limits)?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new().prefix(".vulnrelay-fix-").tempfile_in(dir)?;
    let mut out = Counting { inner: io::BufWriter::with_capacity(1 << 20, tmp.as_file()), pos: 0 };
    let Some(removed) = rewrite(&zip, plan, limits, &mut out)? else { return Ok(None) };
    out.flush()?;
    drop(out);
    tmp.as_file().sync_all()?;
    verify(Source::file(File::open(tmp.path())?)?, limits)?;
    fs::set_permissions(tmp.path(), perms)?;
    let backup = if backup { Some(make_backup(path)?) } else { None };
    tmp.persist(path).map_err(|e| ScanError::Io(e.error))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    let display = path.to_string_lossy();
    Ok(Some(FixOutcome {
        path: path.to_path_buf(),
        removed: removed.into_iter().map(|r| format!("{display}!/{r}")).collect(),
        backup,
    }))
}

/// Fixes every finding of `report` that needs it. Returns what changed and the errors.
pub fn fix_report(report: &Report, backup: bool, limits: &Limits) -> (Vec<FixOutcome>, Vec<ErrorRecord>) {
    let mut plans: BTreeMap<PathBuf, Plan> = BTreeMap::new();
    let mut loose: Vec<PathBuf> = Vec::new();
    for f in report.findings.iter().filter(|f| f.needs_fix()) {
        if f.file.is_dir() {
            loose.extend(f.fix_targets.iter().map(PathBuf::from));
        } else {
            plans.entry(f.file.clone()).or_default().insert(&f.location, &f.fix_targets);
        }
    }
    let mut outcomes = Vec::new();
    let mut errors = Vec::new();
    for (path, plan) in plans {
        match fix_archive(&path, &plan, backup, limits) {
            Ok(Some(o)) => outcomes.push(o),
            Ok(None) => {}
            Err(error) => errors.push(ErrorRecord { path: path.to_string_lossy().into_owned(), error }),
        }
    }
    for class in loose {
        let result = if backup {
            let b = backup_path(&class);
            fs::rename(&class, &b).map(|()| Some(b))
        } else {
            fs::remove_file(&class).map(|()| None)
        };
        match result {
            Ok(backup) => outcomes.push(FixOutcome {
                path: class.clone(),
                removed: vec![class.to_string_lossy().into_owned()],
                backup,
            }),
            Err(e) => errors
                .push(ErrorRecord { path: class.to_string_lossy().into_owned(), error: ScanError::Io(e) }),
        }
    }
    (outcomes, errors)
}
