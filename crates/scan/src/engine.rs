//! Scanning one file on disk: detect archives by content, enter them (ZIP, tar, gzip) up to
//! the depth limit, read only the entries identification needs, and recurse into nested
//! archives: STORED ones as windows of the parent (no copy), compressed ones decompressed into
//! memory or, above the spill threshold, into an anonymous temporary file.

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::path::Path;
use std::rc::Rc;

use flate2::read::GzDecoder;

use crate::advisory::Advisories;
use crate::ahead::{self, Ahead, Chunked, HelperSlots, Prepared, Taken};
use crate::error::{Result, ScanError};
use crate::identify::{Collector, ContainerInfo, Want, classify};
use crate::kind::{HEAD, NEVER_ARCHIVE_EXTS, base_name, check_name, lower_ext_match, nested_kind};
pub use crate::kind::{Kind, archive_name, detect};
use crate::limits::Limits;
use crate::memo::{self, Key, Lookup, Memo, Outcome};
use crate::plan::{Plan, Step};
use crate::report::{ErrorRecord, Finding};
use crate::reuse::Reuse;
use crate::source::Source;
use crate::zipfile::{Entry, Recall, ZipArchive, has_zip_magic};

/// Decompressed-byte budget for one file on disk, shared by the readers of all levels.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    bytes_left: Rc<Cell<u64>>,
    archives_left: Rc<Cell<u64>>,
}

#[derive(Debug)]
struct BudgetExhausted;

impl std::fmt::Display for BudgetExhausted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("decompressed-bytes budget exhausted")
    }
}

impl std::error::Error for BudgetExhausted {}

struct BudgetReader<R> {
    inner: R,
    budget: Budget,
}

impl<R: Read> Read for BudgetReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.budget.bytes_left.get();
        if left == 0 {
            return Err(io::Error::other(BudgetExhausted));
        }
        let max = buf.len().min(left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..max])?;
        self.budget.bytes_left.set(left - n as u64);
        Ok(n)
    }
}

/// The per-file scanning context.
pub(crate) struct FileScan<'a> {
    pub limits: &'a Limits,
    pub advisories: &'a Advisories,
    pub file: &'a Path,
    pub findings: Vec<Finding>,
    pub errors: Vec<ErrorRecord>,
    pub archives: u64,
    /// Archives whose memoized outcome was replayed instead of scanning them.
    pub replayed: u64,
    /// Compressed nested archives helpers inflated ahead ([`crate::ahead`]), used or not.
    pub inflated_ahead: u64,
    budget: Budget,
    /// Outcomes of compressed archives already scanned in this run (deduplication).
    memo: Option<&'a Memo>,
    /// Deepest nesting entered so far (reset at the start of a memoized subtree).
    deepest: u32,
    /// Memo keys this scan is computing now (other threads may wait for them).
    claims: u32,
    /// The scan's helper threads ([`crate::ahead`]); none by default.
    helpers: Option<&'a HelperSlots>,
}

/// The state of a [`FileScan`] when a memoized subtree starts.
struct Mark {
    findings: usize,
    errors: usize,
    bytes_left: u64,
    archives: u64,
    deepest: u32,
    depth: u32,
}

fn map_io(e: io::Error, limits: &Limits) -> ScanError {
    if e.get_ref().is_some_and(|i| i.is::<BudgetExhausted>()) {
        ScanError::LimitExceeded { what: "decompressed bytes per file", limit: limits.max_total_bytes }
    } else {
        ScanError::Io(e)
    }
}

fn chain_display(chain: &[String]) -> String {
    chain.join("!/")
}

impl<'a> FileScan<'a> {
    pub fn new(
        limits: &'a Limits,
        advisories: &'a Advisories,
        file: &'a Path,
        memo: Option<&'a Memo>,
    ) -> FileScan<'a> {
        FileScan {
            limits,
            advisories,
            file,
            findings: Vec::new(),
            errors: Vec::new(),
            archives: 0,
            replayed: 0,
            inflated_ahead: 0,
            budget: Budget {
                bytes_left: Rc::new(Cell::new(limits.max_total_bytes)),
                archives_left: Rc::new(Cell::new(limits.max_archives)),
            },
            memo,
            deepest: 0,
            claims: 0,
            helpers: None,
        }
    }

    /// What this scan reuses on identical bytes ([`crate::reuse`]): only with deduplication.
    fn reuse(&self) -> Option<&'a Reuse> {
        self.memo.map(|memo| &memo.reuse)
    }

    /// [`reuse`](Self::reuse) as the ZIP reader sees it.
    fn recall(&self) -> Option<&'a dyn Recall> {
        self.reuse().map(|reuse| reuse as &dyn Recall)
    }

    /// Lets archives with several large compressed entries, and large gzip files, use the
    /// scan's helper threads (`helpers`) to inflate ahead of the scan ([`crate::ahead`]); the
    /// report is the same.
    pub(crate) fn with_helpers(mut self, helpers: Option<&'a HelperSlots>) -> Self {
        self.helpers = helpers;
        self
    }

    /// Scans the archive identified by `key` at `chain` (entered at `depth`) with `scan`, or
    /// replays the outcome of an identical one. When another thread is scanning an identical
    /// archive right now, waits for its outcome, but only while this scan computes no key of
    /// its own: a thread holding a key never waits, so no two threads wait on each other.
    fn memoized(
        &mut self,
        memo: &'a Memo,
        key: Key,
        chain: &mut Vec<String>,
        depth: u32,
        scan: impl FnOnce(&mut Self, &mut Vec<String>) -> Result<()>,
    ) -> Result<()> {
        let claim = match memo.lookup(&key, self.claims == 0) {
            Lookup::Hit(outcome) => {
                if self.replay(&outcome, chain, depth) {
                    return Ok(());
                }
                return scan(self, chain);
            }
            Lookup::Busy => return scan(self, chain),
            Lookup::Claimed(claim) => claim,
        };
        self.claims += 1;
        let mark = self.mark(depth);
        let result = scan(self, chain);
        let outcome = self.remember(mark, chain, result.is_ok());
        self.claims -= 1;
        claim.finish(outcome);
        result
    }

    /// Replays `outcome` for the archive at `chain` (entered at `depth`) if the file's budgets
    /// and the depth limit let the archive be scanned exactly as it was; charges the budgets
    /// as a scan would.
    fn replay(&mut self, outcome: &Outcome, chain: &[String], depth: u32) -> bool {
        let bytes_left = self.budget.bytes_left.get();
        let archives_left = self.budget.archives_left.get();
        if depth.saturating_add(outcome.depth) > self.limits.max_depth
            || bytes_left <= outcome.bytes
            || archives_left < outcome.archives
        {
            return false;
        }
        self.budget.bytes_left.set(bytes_left - outcome.bytes);
        self.budget.archives_left.set(archives_left - outcome.archives);
        self.archives += outcome.archives;
        self.replayed += 1;
        self.deepest = self.deepest.max(depth + outcome.depth);
        let display = chain_display(chain);
        for f in &outcome.findings {
            let mut location = chain[1..].to_vec();
            location.extend(f.location.iter().cloned());
            self.findings.push(Finding {
                path: format!("{display}{}", f.path),
                file: self.file.to_path_buf(),
                location,
                ..f.clone()
            });
        }
        true
    }

    /// Starts recording a subtree entered at `depth`.
    fn mark(&mut self, depth: u32) -> Mark {
        let mark = Mark {
            findings: self.findings.len(),
            errors: self.errors.len(),
            bytes_left: self.budget.bytes_left.get(),
            archives: self.archives,
            deepest: self.deepest,
            depth,
        };
        self.deepest = depth;
        mark
    }

    /// Ends recording the subtree of `chain` started at `mark`; its outcome when it
    /// succeeded (`ok`) and produced no error.
    fn remember(&mut self, mark: Mark, chain: &[String], ok: bool) -> Option<Outcome> {
        let deepest = self.deepest;
        self.deepest = mark.deepest.max(deepest);
        if !ok || self.errors.len() != mark.errors {
            return None;
        }
        let display = chain_display(chain);
        let skip = chain.len() - 1;
        let mut findings = Vec::with_capacity(self.findings.len() - mark.findings);
        for f in &self.findings[mark.findings..] {
            let (Some(suffix), Some(location)) = (f.path.strip_prefix(&display), f.location.get(skip..))
            else {
                return None;
            };
            findings.push(Finding {
                path: suffix.to_owned(),
                file: Default::default(),
                location: location.to_vec(),
                ..f.clone()
            });
        }
        Some(Outcome {
            findings,
            archives: self.archives - mark.archives,
            bytes: mark.bytes_left - self.budget.bytes_left.get(),
            depth: deepest - mark.depth,
        })
    }

    fn error(&mut self, chain: &[String], error: ScanError) {
        self.errors.push(ErrorRecord { path: chain_display(chain), error });
    }

    /// Scans a file on disk already opened; `head` holds its first bytes.
    pub fn scan_top(&mut self, display: String, source: Source, head: &[u8], name: &str) -> bool {
        let Some(kind) = detect(head, name) else { return false };
        let guessed = kind == Kind::Zip && !has_zip_magic(head);
        let mut chain = vec![display];
        if guessed {
            // Only a prefixed ZIP if an end record is really there; otherwise not an archive.
            if ZipArchive::open_reusing(source.clone(), self.limits, self.recall()).is_err() {
                return false;
            }
        }
        if kind == Kind::Gzip
            && let Some(memo) = self.memo
            && memo.met_before(memo::sighting(kind, 0, source.len(), source.len(), 0, &chain[0]))
            && let Ok(digest) = memo::digest(&source)
        {
            let key = Key {
                kind,
                method: 0,
                stored_len: source.len(),
                declared_len: source.len(),
                crc32: 0,
                digest,
                name: base_name(&chain[0]).to_owned(),
            };
            let _ = self.memoized(memo, key, &mut chain, 0, |scan, chain| {
                scan.scan_source(chain, source, kind, 0);
                Ok(())
            });
            return true;
        }
        self.scan_source(&mut chain, source, kind, 0);
        true
    }

    fn scan_source(&mut self, chain: &mut Vec<String>, source: Source, kind: Kind, depth: u32) {
        let left = self.budget.archives_left.get();
        if left == 0 {
            self.error(
                chain,
                ScanError::LimitExceeded {
                    what: "nested archives per file",
                    limit: self.limits.max_archives,
                },
            );
            return;
        }
        self.budget.archives_left.set(left - 1);
        self.archives += 1;
        self.deepest = self.deepest.max(depth);
        let errors_before = self.errors.len();
        match kind {
            Kind::Zip => self.scan_zip(chain, source, depth),
            Kind::Gzip => self.scan_gzip(chain, source, depth),
            Kind::Tar => {
                source.will_need();
                let reader = BudgetReader { inner: source.reader(), budget: self.budget.clone() };
                self.scan_tar(chain, reader, depth)
            }
        }
        self.group_errors(chain, errors_before);
    }

    /// One error per archive: when the archive at `chain` recorded more than one error since
    /// `mark` (its entries', and its nested archives', each of those already one), they
    /// become a single [`ScanError::BadEntries`] at the archive's path, with their count, their
    /// kinds and the first of them.
    fn group_errors(&mut self, chain: &[String], mark: usize) {
        if self.errors.len() <= mark + 1 {
            return;
        }
        let group: Vec<ErrorRecord> = self.errors.drain(mark..).collect();
        let display = chain_display(chain);
        let relative = |path: &str| -> String {
            path.strip_prefix(&display).map(|p| p.trim_start_matches("!/")).unwrap_or(path).to_owned()
        };
        let mut kinds: Vec<(&'static str, u64)> = Vec::new();
        let mut entries: Vec<String> = Vec::new();
        for e in &group {
            let at = relative(&e.path);
            let beneath = match &e.error {
                ScanError::BadEntries { kinds, entries: inner, .. } => {
                    for p in inner {
                        if entries.len() < ScanError::MAX_LISTED {
                            entries.push(if at.is_empty() { p.clone() } else { format!("{at}!/{p}") });
                        }
                    }
                    kinds.clone()
                }
                other => {
                    if entries.len() < ScanError::MAX_LISTED {
                        entries.push(at);
                    }
                    vec![(other.kind(), 1)]
                }
            };
            for (kind, count) in beneath {
                match kinds.iter_mut().find(|(k, _)| *k == kind) {
                    Some((_, n)) => *n += count,
                    None => kinds.push((kind, count)),
                }
            }
        }
        kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let first = &group[0];
        let at = relative(&first.path);
        let first = if at.is_empty() { first.error.to_string() } else { format!("{at}: {}", first.error) };
        self.errors.push(ErrorRecord {
            path: display,
            error: ScanError::BadEntries { count: group.len() as u64, kinds, first, entries },
        });
    }

    fn info(&self, chain: &[String]) -> ContainerInfo {
        let file_name = base_name(chain.last().map(String::as_str).unwrap_or_default()).to_owned();
        ContainerInfo {
            display: chain_display(chain),
            file: self.file.to_path_buf(),
            location: chain[1..].to_vec(),
            file_name: Some(file_name),
        }
    }

    fn scan_zip(&mut self, chain: &mut Vec<String>, source: Source, depth: u32) {
        let zip = match ZipArchive::open_reusing(source, self.limits, self.recall()) {
            Ok(z) => z,
            Err(e) => return self.error(chain, e),
        };
        // What to read follows from the directory alone: decided once per identical directory
        // when work is reused, every time otherwise.
        let (kept, fresh);
        let plan = match self.reuse().and_then(|reuse| reuse.planned(&zip)) {
            Some(planned) => {
                kept = planned;
                kept.plan.get_or_init(|| Plan::of(&zip))
            }
            None => {
                fresh = Plan::of(&zip);
                &fresh
            }
        };
        let mut collector = Collector::new();
        collector.set_class_prefix(plan.class_prefix.clone());
        let mut fingerprints = Vec::new();
        for step in &plan.steps {
            match step {
                Step::BadName { idx, reason } => {
                    let name = zip.name(&zip.entries()[*idx]);
                    chain.push(name.to_owned());
                    self.error(chain, ScanError::BadEntryName { entry: name.to_owned(), reason });
                    chain.pop();
                }
                Step::Fingerprint { idx, want } => {
                    // Read only if no pom.properties dates its copy (below).
                    if let Want::Core { root, class } = want {
                        fingerprints.push((*idx, root.clone(), *class));
                    }
                    collector.add(zip.name(&zip.entries()[*idx]), want.clone(), Some(Vec::new()));
                }
                Step::Want { idx, want } => {
                    let entry = &zip.entries()[*idx];
                    let bytes = if want.needs_bytes() {
                        match self.read_small(chain, &zip, entry) {
                            Some(b) => Some(b),
                            None => continue,
                        }
                    } else {
                        None
                    };
                    collector.add(zip.name(entry), want.clone(), bytes);
                }
            }
        }
        let nested = &plan.nested;
        if !fingerprints.is_empty() {
            let undated = collector.undated_core_roots();
            for (idx, root, class) in fingerprints {
                if undated.contains(&root)
                    && let Some(bytes) = self.read_small(chain, &zip, &zip.entries()[idx])
                {
                    collector.add_class_bytes(&root, class, bytes);
                }
            }
        }
        let info = self.info(chain);
        self.findings.extend(collector.resolve(&info, self.advisories));
        let jobs: Vec<usize> = nested
            .iter()
            .copied()
            .filter(|&i| ahead::eligible(&zip.entries()[i], self.limits, depth))
            .collect();
        // One slot per helper thread, given back when that thread runs out of jobs, so that
        // the archives nested in this one can use it.
        let helpers: Vec<Taken<'_>> = match self.helpers {
            Some(slots) if jobs.len() >= 2 => (1..jobs.len()).map_while(|_| slots.take_one()).collect(),
            _ => Vec::new(),
        };
        if helpers.is_empty() {
            for &idx in nested {
                self.nested_entry(chain, &zip, idx, depth, None);
            }
            return;
        }
        // Two or more large compressed entries: helpers inflate them ahead of this loop.
        let ahead = Ahead::new(&zip, jobs, self.limits, self.memo, self.budget.bytes_left.get());
        std::thread::scope(|s| {
            let _closing = ahead.closing();
            for slot in helpers {
                let ahead = &ahead;
                s.spawn(move || ahead.help(slot));
            }
            for &idx in nested {
                let prepared = ahead.take(idx, self.budget.bytes_left.get());
                self.nested_entry(chain, &zip, idx, depth, prepared);
            }
        });
        self.inflated_ahead += ahead.inflated();
    }

    /// Enters nested entry `idx` of `zip` (with what helpers prepared for it, if anything),
    /// recording an error under its path.
    fn nested_entry(
        &mut self,
        chain: &mut Vec<String>,
        zip: &ZipArchive,
        idx: usize,
        depth: u32,
        prepared: Option<Prepared>,
    ) {
        chain.push(zip.name(&zip.entries()[idx]).to_owned());
        if let Err(e) = self.nested_zip_entry(chain, zip, idx, depth, prepared) {
            self.error(chain, e);
        }
        chain.pop();
    }

    /// Reads a small entry whole (capped per entry and by the file's budget, which it
    /// charges); `None` after recording the error.
    fn read_small(&mut self, chain: &mut Vec<String>, zip: &ZipArchive, entry: &Entry) -> Option<Vec<u8>> {
        let cap = self.limits.max_small_entry_bytes.min(self.budget.bytes_left.get());
        match zip.read_entry_reusing(entry, cap, self.recall()) {
            Ok(b) => {
                self.budget.bytes_left.set(self.budget.bytes_left.get().saturating_sub(b.len() as u64));
                Some(b)
            }
            Err(e) => {
                chain.push(zip.name(entry).to_owned());
                self.error(chain, e);
                chain.pop();
                None
            }
        }
    }

    fn nested_zip_entry(
        &mut self,
        chain: &mut Vec<String>,
        zip: &ZipArchive,
        idx: usize,
        depth: u32,
        prepared: Option<Prepared>,
    ) -> Result<()> {
        let entry = &zip.entries()[idx];
        let name = zip.name(entry);
        let by_name = archive_name(name);
        if entry.is_encrypted() {
            return if by_name { Err(ScanError::EncryptedEntry { entry: name.to_owned() }) } else { Ok(()) };
        }
        let (prepared_head, prepared_digest, inflated) = match prepared {
            Some(p) => (Some(p.head), p.digest, p.inflated),
            None => (None, None, None),
        };
        let head = match (prepared_head, entry.method) {
            (Some(head), _) => head?,
            (None, 0) => {
                let (_, window) = zip.data_window(entry)?;
                let mut head = vec![0; HEAD.min(window.len() as usize)];
                window.read_exact_at(0, &mut head)?;
                head
            }
            (None, 8) => zip.peek_entry_reusing(entry, HEAD, self.recall())?,
            (None, method) => {
                return if by_name {
                    Err(ScanError::UnsupportedCompression { entry: name.to_owned(), method })
                } else {
                    Ok(())
                };
            }
        };
        let Some(kind) = nested_kind(&head, name) else { return Ok(()) };
        if depth + 1 > self.limits.max_depth {
            return Err(ScanError::DepthExceeded { limit: self.limits.max_depth });
        }
        // Compressed (or gzip) content already scanned in this run is replayed, not inflated.
        let digest = || match prepared_digest {
            Some(prepared) => prepared,
            None => memo::entry_digest(zip, entry),
        };
        if (entry.method != 0 || kind == Kind::Gzip)
            && let Some(memo) = self.memo
            && memo.met_before(memo::entry_sighting(kind, entry, name))
            && let Some(digest) = digest()
        {
            let key = Key::of_entry(kind, entry, name, digest);
            return self.memoized(memo, key, chain, depth + 1, |scan, chain| {
                scan.enter_nested(chain, zip, idx, kind, &head, depth, inflated)
            });
        }
        self.enter_nested(chain, zip, idx, kind, &head, depth, inflated)
    }

    /// Enters the nested archive of `zip.entries[idx]`, detected as `kind` from `head`
    /// (`inflated`: its whole stream, when a helper inflated it).
    #[allow(clippy::too_many_arguments)]
    fn enter_nested(
        &mut self,
        chain: &mut Vec<String>,
        zip: &ZipArchive,
        idx: usize,
        kind: Kind,
        head: &[u8],
        depth: u32,
        inflated: Option<Vec<u8>>,
    ) -> Result<()> {
        let entry = &zip.entries()[idx];
        let source = if entry.method == 0 {
            zip.data_window(entry)?.1
        } else if let Some(inflated) = inflated.or_else(|| self.inflate_whole(zip, entry)) {
            self.spill_prepared(inflated)?
        } else {
            zip.data_window(entry)?.1.will_need();
            let reader = zip.open_entry(entry)?;
            self.spill(reader, entry.uncompressed_size)?
        };
        if kind == Kind::Zip && !has_zip_magic(head) {
            // A prefixed inner archive: only enter it if it really is a ZIP.
            if ZipArchive::open_reusing(source.clone(), self.limits, self.recall()).is_err() {
                return Ok(());
            }
        }
        self.scan_source(chain, source, kind, depth + 1);
        Ok(())
    }

    /// The whole of deflated `entry` inflated in one call ([`crate::zipfile::inflate_whole`]),
    /// when its declared size fits in memory and in the file's budget; `None` otherwise, or
    /// when the data does not inflate cleanly to at most that size (it is then streamed,
    /// which reports what is wrong).
    fn inflate_whole(&self, zip: &ZipArchive, entry: &Entry) -> Option<Vec<u8>> {
        let max = self.limits.in_memory_bytes().min(self.budget.bytes_left.get());
        let (_, window) = zip.data_window(entry).ok()?;
        window.will_need();
        crate::zipfile::inflate_whole(&window, entry.uncompressed_size, max)
    }

    /// Reads a decompressing stream into a [`Source`]: memory up to the spill threshold, an
    /// anonymous temporary file beyond it; capped per entry and by the file's budget.
    /// `size_hint` (the declared size) only pre-sizes the buffer in memory.
    fn spill(&mut self, reader: impl Read, size_hint: u64) -> Result<Source> {
        // Up to the threshold (or the cap), decompress straight into one buffer of the
        // declared size: no intermediate chunk, no regrowth when the declaration is right.
        let in_mem = self.limits.in_memory_bytes();
        let mem: Vec<u8> = Vec::with_capacity(size_hint.min(in_mem).saturating_add(1) as usize);
        self.spill_rest(mem, reader)
    }

    /// [`spill`](Self::spill) of a stream a helper inflated whole: its bytes are charged as
    /// the budget reader would have charged them (the budget runs out when they reach what
    /// is left).
    fn spill_prepared(&mut self, bytes: Vec<u8>) -> Result<Source> {
        let read = bytes.len() as u64;
        let left = self.budget.bytes_left.get();
        if read >= left {
            self.budget.bytes_left.set(0);
            return Err(map_io(io::Error::other(BudgetExhausted), self.limits));
        }
        self.budget.bytes_left.set(left - read);
        self.spill_rest(bytes, io::empty())
    }

    /// The rest of [`spill`](Self::spill), `mem` holding the stream's first bytes (charged).
    fn spill_rest(&mut self, mut mem: Vec<u8>, reader: impl Read) -> Result<Source> {
        let cap = self.limits.max_entry_bytes;
        let threshold = self.limits.spill_threshold;
        let in_mem = self.limits.in_memory_bytes();
        let mut reader = BudgetReader { inner: reader, budget: self.budget.clone() };
        let room = (in_mem + 1).saturating_sub(mem.len() as u64);
        if let Err(e) = (&mut reader).take(room).read_to_end(&mut mem) {
            return Err(map_io(e, self.limits));
        }
        let mut total = mem.len() as u64;
        if total > cap {
            return Err(ScanError::LimitExceeded { what: "decompressed bytes per entry", limit: cap });
        }
        if total <= threshold {
            return Ok(Source::memory(mem));
        }
        let mut file = io::BufWriter::with_capacity(1 << 20, tempfile::tempfile()?);
        file.write_all(&mem)?;
        drop(mem);
        let mut chunk = vec![0u8; 256 * 1024];
        loop {
            let n = match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(map_io(e, self.limits)),
            };
            total += n as u64;
            if total > cap {
                return Err(ScanError::LimitExceeded { what: "decompressed bytes per entry", limit: cap });
            }
            file.write_all(&chunk[..n])?;
        }
        let file = file.into_inner().map_err(|e| ScanError::Io(e.into_error()))?;
        Ok(Source::file(file)?)
    }

    fn scan_gzip(&mut self, chain: &mut Vec<String>, source: Source, depth: u32) {
        source.will_need();
        let decoder = GzDecoder::new(io::BufReader::new(source.reader()));
        let helper = self
            .helpers
            .filter(|_| source.len() >= ahead::GUNZIP_AHEAD_MIN_BYTES)
            .and_then(HelperSlots::take_one);
        if let Some(slot) = helper {
            // A helper decompresses while this thread reads the tar and scans its entries.
            std::thread::scope(|s| self.scan_gzip_stream(chain, Chunked::ahead(s, decoder, slot), depth));
        } else {
            self.scan_gzip_stream(chain, Chunked::inline(decoder), depth);
        }
    }

    /// Scans the decompressed stream of a gzip file: a tar archive or a ZIP.
    fn scan_gzip_stream(&mut self, chain: &mut Vec<String>, stream: impl Read, depth: u32) {
        let mut reader = BudgetReader { inner: stream, budget: self.budget.clone() };
        let mut head = Vec::with_capacity(HEAD);
        if let Err(e) = (&mut reader).take(HEAD as u64).read_to_end(&mut head) {
            return self.error(chain, ScanError::CorruptArchive(format!("gzip: {}", map_io(e, self.limits))));
        }
        let rest = io::Cursor::new(head.clone()).chain(reader);
        if head.len() >= 262 && &head[257..262] == b"ustar" {
            self.scan_tar(chain, rest, depth);
        } else if has_zip_magic(&head) {
            if depth + 1 > self.limits.max_depth {
                return self.error(chain, ScanError::DepthExceeded { limit: self.limits.max_depth });
            }
            match self.spill(rest, 0) {
                Ok(src) => self.scan_source(chain, src, Kind::Zip, depth + 1),
                Err(e) => self.error(chain, e),
            }
        }
    }

    fn scan_tar(&mut self, chain: &mut Vec<String>, reader: impl Read, depth: u32) {
        let mut archive = tar::Archive::new(reader);
        let mut collector = Collector::new();
        let entries = match archive.entries() {
            Ok(e) => e,
            Err(e) => return self.error(chain, ScanError::CorruptArchive(format!("tar: {e}"))),
        };
        let mut count: u64 = 0;
        for entry in entries {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.error(chain, ScanError::CorruptArchive(format!("tar: {}", map_io(e, self.limits))));
                    break;
                }
            };
            count += 1;
            if count > self.limits.max_entries {
                self.error(
                    chain,
                    ScanError::LimitExceeded { what: "entries per archive", limit: self.limits.max_entries },
                );
                break;
            }
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let raw = entry.path_bytes().into_owned();
            let (name, utf8_ok) = match String::from_utf8(raw) {
                Ok(s) => (s, true),
                Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), false),
            };
            let name = name.trim_start_matches("./").to_owned();
            if let Some(reason) = check_name(&name, utf8_ok) {
                chain.push(name.clone());
                self.error(chain, ScanError::BadEntryName { entry: name, reason });
                chain.pop();
                continue;
            }
            if let Some(want) = classify(&name) {
                let bytes = if want.needs_bytes() {
                    let mut b = Vec::new();
                    let cap = self.limits.max_small_entry_bytes;
                    match (&mut entry).take(cap + 1).read_to_end(&mut b) {
                        Ok(_) if b.len() as u64 > cap => {
                            chain.push(name.clone());
                            self.error(
                                chain,
                                ScanError::LimitExceeded { what: "small entry bytes", limit: cap },
                            );
                            chain.pop();
                            continue;
                        }
                        Ok(_) => Some(b),
                        Err(e) => {
                            chain.push(name.clone());
                            self.error(chain, map_io(e, self.limits));
                            chain.pop();
                            break;
                        }
                    }
                } else {
                    None
                };
                collector.add(&name, want, bytes);
                continue;
            }
            if entry.size() < 22 || lower_ext_match(&name, &NEVER_ARCHIVE_EXTS) {
                continue;
            }
            let mut head = Vec::with_capacity(HEAD);
            if let Err(e) = (&mut entry).take(HEAD as u64).read_to_end(&mut head) {
                self.error(chain, map_io(e, self.limits));
                break;
            }
            let Some(kind) = detect(&head, &name) else { continue };
            chain.push(name.clone());
            if depth + 1 > self.limits.max_depth {
                self.error(chain, ScanError::DepthExceeded { limit: self.limits.max_depth });
                chain.pop();
                continue;
            }
            let size = entry.size();
            let rest = io::Cursor::new(head).chain(&mut entry);
            match self.spill(rest, size) {
                Ok(src) => {
                    let real = kind != Kind::Zip
                        || has_zip_magic(&src.read_vec(0, 4).unwrap_or_default())
                        || ZipArchive::open_reusing(src.clone(), self.limits, self.recall()).is_ok();
                    if real {
                        self.scan_source(chain, src, kind, depth + 1);
                    }
                }
                Err(e) => self.error(chain, e),
            }
            chain.pop();
        }
        let info = self.info(chain);
        self.findings.extend(collector.resolve(&info, self.advisories));
    }
}
