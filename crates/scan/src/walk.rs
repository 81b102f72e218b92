//! The parallel walk: `ignore`'s parallel walker with one visitor per thread; each visitor
//! keeps its own findings and errors and hands them over when its thread ends; they are
//! merged and sorted at the end. A file that cannot be read is an error record, never fatal.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::{ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};

use crate::advisory::Advisories;
use crate::ahead::HelperSlots;
use crate::engine::FileScan;
use crate::error::{Result, ScanError};
use crate::identify::{Collector, ContainerInfo, Want, classify};
use crate::limits::Limits;
use crate::memo::Memo;
use crate::report::{ErrorRecord, Finding, Report};
use crate::source::Source;

/// Progress callbacks (a progress bar in the CLI).
pub trait Progress: Send + Sync {
    /// Called after each file.
    fn file_done(&self, path: &Path, bytes: u64);
}

/// What to scan and how.
#[derive(Clone)]
pub struct Options {
    /// Files and directories.
    pub paths: Vec<PathBuf>,
    /// Glob patterns of paths to skip (matched against the whole path and the file name).
    pub excludes: Vec<String>,
    /// Worker threads; 0 chooses from the number of CPUs: eight per CPU, at least 8 and at
    /// most 64, because on storage that is not cached a thread mostly waits for its small
    /// reads, and more reads in flight keep the disk busy (see [`auto_threads`]).
    pub threads: usize,
    /// Follow symbolic links (loops are reported, not followed).
    pub follow_symlinks: bool,
    /// Limits for hostile input.
    pub limits: Limits,
    /// Advisories to match.
    pub advisories: Advisories,
    /// Progress sink.
    pub progress: Option<Arc<dyn Progress>>,
    /// Scan each distinct compressed nested archive (and gzip file) once per run and replay
    /// its findings for identical copies, identified by a BLAKE3 hash of their compressed bytes
    /// (see `memo`), and reuse parsed central directories and small inflations on byte-for-byte
    /// identical input (see `reuse`); the report is the same either way. On by default.
    pub dedup: bool,
    /// Helper threads that inflate ahead of the scan, at most this many at once over the
    /// whole scan: the large compressed entries of one archive (a war of jars, an ear of
    /// wars) and large gzip files (see `ahead`); the report is the same either way. `None`
    /// chooses 4, and none on one CPU or when `threads` is 1.
    pub helpers: Option<usize>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("paths", &self.paths)
            .field("excludes", &self.excludes)
            .field("threads", &self.threads)
            .field("follow_symlinks", &self.follow_symlinks)
            .field("limits", &self.limits)
            .field("dedup", &self.dedup)
            .field("helpers", &self.helpers)
            .finish_non_exhaustive()
    }
}

impl Options {
    /// Defaults for `paths`: built-in advisories, default limits, automatic threads.
    pub fn new(paths: Vec<PathBuf>) -> Options {
        Options {
            paths,
            excludes: Vec::new(),
            threads: 0,
            follow_symlinks: false,
            limits: Limits::default(),
            advisories: Advisories::builtin(),
            progress: None,
            dedup: true,
            helpers: None,
        }
    }

    /// Helper threads of the scan at once ([`Options::helpers`], resolved).
    pub fn helpers(&self) -> usize {
        match self.helpers {
            Some(n) => n,
            None if self.threads == 1 => 0,
            None => {
                let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
                if cpus > 1 { crate::ahead::DEFAULT_HELPERS } else { 0 }
            }
        }
    }
}

#[derive(Default)]
struct Acc {
    findings: Vec<Finding>,
    errors: Vec<ErrorRecord>,
    disk: Vec<(String, Want, Option<Vec<u8>>)>,
    files: u64,
    archives: u64,
    replayed: u64,
    inflated_ahead: u64,
    links_not_followed: u64,
}

impl Acc {
    fn merge(&mut self, other: Acc) {
        self.findings.extend(other.findings);
        self.errors.extend(other.errors);
        self.disk.extend(other.disk);
        self.files += other.files;
        self.archives += other.archives;
        self.replayed += other.replayed;
        self.inflated_ahead += other.inflated_ahead;
        self.links_not_followed += other.links_not_followed;
    }
}

struct Shared {
    opts: Options,
    excludes: GlobSet,
    out: Mutex<Acc>,
    memo: Option<Memo>,
    /// The scan's helper threads, when it has any.
    helpers: Option<HelperSlots>,
}

struct Visitor {
    shared: Arc<Shared>,
    acc: Acc,
}

impl Drop for Visitor {
    fn drop(&mut self) {
        let acc = std::mem::take(&mut self.acc);
        if let Ok(mut out) = self.shared.out.lock() {
            out.merge(acc);
        }
    }
}

fn error_path(e: &ignore::Error) -> Option<PathBuf> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => error_path(err),
        ignore::Error::Partial(errs) => errs.first().and_then(error_path),
        _ => None,
    }
}

/// Scans one file on disk into `acc`.
fn scan_file(path: &Path, shared: &Shared, acc: &mut Acc) {
    let (opts, memo, helpers) = (&shared.opts, shared.memo.as_ref(), shared.helpers.as_ref());
    acc.files += 1;
    let display = path.to_string_lossy().into_owned();
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            acc.errors.push(ErrorRecord { path: display, error: ScanError::Io(e) });
            return;
        }
    };
    let source = match Source::file(file) {
        Ok(s) => s,
        Err(e) => {
            acc.errors.push(ErrorRecord { path: display, error: ScanError::Io(e) });
            return;
        }
    };
    // End records and a few entries are read, not the whole file (unless it is a gzip or
    // tar file or holds a compressed archive: those ranges are announced when entered).
    source.advise_random();
    let mut head = vec![0; 512.min(source.len() as usize)];
    if let Err(e) = source.read_exact_at(0, &mut head) {
        acc.errors.push(ErrorRecord { path: display, error: ScanError::Io(e) });
        return;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut fs = FileScan::new(&opts.limits, &opts.advisories, path, memo).with_helpers(helpers);
    let was_archive = fs.scan_top(display.clone(), source.clone(), &head, &name);
    acc.findings.append(&mut fs.findings);
    acc.errors.append(&mut fs.errors);
    acc.archives += fs.archives;
    acc.replayed += fs.replayed;
    acc.inflated_ahead += fs.inflated_ahead;
    if !was_archive {
        let slashed =
            if std::path::MAIN_SEPARATOR == '/' { display.clone() } else { display.replace('\\', "/") };
        if let Some(want) = classify(&slashed) {
            let bytes = if want.needs_bytes() {
                let cap = opts.limits.max_small_entry_bytes;
                let mut b = Vec::new();
                match source.reader().take(cap).read_to_end(&mut b) {
                    Ok(_) => Some(b),
                    Err(e) => {
                        acc.errors.push(ErrorRecord { path: display, error: ScanError::Io(e) });
                        return;
                    }
                }
            } else {
                None
            };
            acc.disk.push((slashed, want, bytes));
        }
    }
    if let Some(p) = &opts.progress {
        p.file_done(path, source.len());
    }
}

impl ParallelVisitor for Visitor {
    fn visit(&mut self, entry: std::result::Result<ignore::DirEntry, ignore::Error>) -> WalkState {
        match entry {
            Err(e) => {
                let path = error_path(&e).map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
                self.acc.errors.push(ErrorRecord { path, error: ScanError::Walk(e.to_string()) });
            }
            Ok(entry) => {
                if let Some(err) = entry.error() {
                    let path = entry.path().to_string_lossy().into_owned();
                    self.acc.errors.push(ErrorRecord { path, error: ScanError::Walk(err.to_string()) });
                }
                if entry.file_type().is_some_and(|t| t.is_file()) {
                    scan_file(entry.path(), &self.shared, &mut self.acc);
                } else if entry.path_is_symlink() && !self.shared.opts.follow_symlinks {
                    self.acc.links_not_followed += 1;
                }
            }
        }
        WalkState::Continue
    }
}

struct Builder {
    shared: Arc<Shared>,
}

impl<'s> ParallelVisitorBuilder<'s> for Builder {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Visitor { shared: Arc::clone(&self.shared), acc: Acc::default() })
    }
}

/// Walker threads when none are asked for: eight per CPU, 8 to 64. A scan of files not in
/// the page cache is bound by storage latency (a few small reads per jar); more threads keep
/// more reads in flight. A warm scan is CPU-bound and loses nothing measurable to the extra
/// threads. Memory: each thread holds at most its own nested archives below
/// `Limits::spill_threshold`; with `Options::dedup`, the scan also keeps at most 96 MB of
/// parsed central directories and 32 MB of small inflations for reuse (see `reuse`).
pub fn auto_threads() -> usize {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    cpus.saturating_mul(8).clamp(8, 64)
}

/// What a file that is neither a regular file, a directory nor a link is.
fn special_kind(t: &std::fs::FileType) -> Option<&'static str> {
    if t.is_file() || t.is_dir() || t.is_symlink() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
    }
    Some("a special file")
}

fn build_excludes(patterns: &[String]) -> Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).map_err(|e| ScanError::Walk(format!("invalid --exclude pattern {p:?}: {e}")))?);
    }
    b.build().map_err(|e| ScanError::Walk(e.to_string()))
}

/// Walks `opts.paths` in parallel and scans every regular file. Fails only on invalid
/// options (a bad exclude glob); every problem on disk is an error record in the report.
pub fn scan(opts: &Options) -> Result<Report> {
    let start = Instant::now();
    let excludes = build_excludes(&opts.excludes)?;
    let memo = opts.dedup.then(Memo::default);
    let helpers = Some(opts.helpers()).filter(|n| *n > 0).map(HelperSlots::new);
    let shared =
        Arc::new(Shared { opts: opts.clone(), excludes, out: Mutex::new(Acc::default()), memo, helpers });
    let mut acc = Acc::default();
    let mut roots = Vec::new();
    for p in &opts.paths {
        match std::fs::symlink_metadata(p) {
            // A named path is scanned through a link to it; one that is neither a regular
            // file nor a directory (a FIFO would block, a device is no archive) is reported.
            Ok(_) => match std::fs::metadata(p).ok().and_then(|m| special_kind(&m.file_type())) {
                Some(what) => acc.errors.push(ErrorRecord {
                    path: p.to_string_lossy().into_owned(),
                    error: ScanError::NotAFile { what },
                }),
                None => roots.push(p.clone()),
            },
            Err(e) => acc
                .errors
                .push(ErrorRecord { path: p.to_string_lossy().into_owned(), error: ScanError::Io(e) }),
        }
    }
    if let Some((first, rest)) = roots.split_first() {
        let mut builder = WalkBuilder::new(first);
        for r in rest {
            builder.add(r);
        }
        let filter_shared = Arc::clone(&shared);
        builder
            .standard_filters(false)
            .follow_links(opts.follow_symlinks)
            .threads(if opts.threads == 0 { auto_threads() } else { opts.threads })
            .filter_entry(move |e| {
                let set = &filter_shared.excludes;
                set.is_empty() || !(set.is_match(e.path()) || set.is_match(e.file_name()))
            });
        let mut visitors = Builder { shared: Arc::clone(&shared) };
        builder.build_parallel().visit(&mut visitors);
    }
    let mut out = shared.out.lock().map(|mut g| std::mem::take(&mut *g)).unwrap_or_default();
    out.merge(acc);
    let mut findings = out.findings;
    if !out.disk.is_empty() {
        let mut collector = Collector::new();
        for (name, want, bytes) in out.disk {
            collector.add(&name, want, bytes);
        }
        let info = ContainerInfo {
            display: String::new(),
            file: PathBuf::new(),
            location: Vec::new(),
            file_name: None,
        };
        for mut f in collector.resolve(&info, &opts.advisories) {
            f.file = PathBuf::from(&f.path);
            findings.push(f);
        }
    }
    // By path only (a stable sort): the findings of one container keep the order identification
    // gave them, the outer pom first.
    findings.sort_by(|a, b| a.path.cmp(&b.path));
    let mut errors = out.errors;
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Report {
        paths: opts.paths.clone(),
        findings,
        errors,
        files_scanned: out.files,
        archives_scanned: out.archives,
        archives_replayed: out.replayed,
        archives_inflated_ahead: out.inflated_ahead,
        links_not_followed: out.links_not_followed,
        elapsed: start.elapsed(),
    })
}
