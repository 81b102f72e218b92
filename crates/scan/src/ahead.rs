//! Inflating the large compressed entries of one archive on helper threads, ahead of the
//! scan that consumes them in order.
//!
//! A war of jars or an ear of wars is one file on disk, so the walk gives it to one thread;
//! without help that thread inflates every nested archive in turn while the other CPUs may
//! have nothing left to do (one large ear is often the last file of a scan, or the only
//! one). Helpers run the parts of entering a nested archive that depend on nothing but its
//! bytes — peeking at its head, hashing it for deduplication, inflating it — while the
//! scanning thread consumes the results in central-directory order and does everything
//! else exactly as without help: budgets are charged, limits checked, outcomes memoized
//! and errors reported in the same order, so a report does not depend on which thread
//! inflated what. What helpers hold ready is bounded by the entries' declared sizes
//! ([`MAX_AHEAD_BYTES`]); an entry that inflates past its declared size, or fails to, is
//! left to the scanning thread, which reads it itself as it would have without help.
//!
//! A gzip file (a tar.gz image layer) is one stream: a helper decompresses it in fixed
//! chunks ([`Chunked`]) while the scanning thread reads the tar and scans its entries. Read
//! inline the stream is cut into the same chunks, so a corrupt stream fails after the same
//! bytes either way.

use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Condvar, Mutex, PoisonError};

use flate2::{Decompress, FlushDecompress, Status};

use crate::error::Result;
use crate::kind::{HEAD, nested_kind};
use crate::limits::Limits;
use crate::memo::{self, Key, Memo};
use crate::zipfile::{Entry, ZipArchive};

/// Helper threads a scan runs at once by default (see [`HelperSlots`]).
pub(crate) const DEFAULT_HELPERS: usize = 4;

/// The helper threads one scan may run at once, over all its walker threads: what helpers
/// hold inflated is bounded per archive ([`MAX_AHEAD_BYTES`]), so this bounds it per scan.
#[derive(Debug)]
pub(crate) struct HelperSlots {
    cap: usize,
    active: AtomicUsize,
}

/// A helper slot, given back when dropped.
pub(crate) struct Taken<'a> {
    slots: &'a HelperSlots,
}

impl HelperSlots {
    /// Room for `cap` helper threads at once.
    pub fn new(cap: usize) -> HelperSlots {
        HelperSlots { cap, active: AtomicUsize::new(0) }
    }

    /// A free slot, if there is one.
    pub fn take_one(&self) -> Option<Taken<'_>> {
        self.active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |active| {
                (active < self.cap).then_some(active + 1)
            })
            .ok()
            .map(|_| Taken { slots: self })
    }
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        self.slots.active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Entries smaller than this (compressed) are entered by the scanning thread alone: handing
/// them over costs more than inflating them.
pub(crate) const MIN_COMPRESSED_BYTES: u64 = 64 * 1024;

/// Most declared bytes held inflated and not yet consumed (one entry is always allowed).
pub(crate) const MAX_AHEAD_BYTES: u64 = 64 << 20;

/// What a helper prepared for one entry.
pub(crate) struct Prepared {
    /// The entry's first bytes, as [`ZipArchive::peek_entry`] returns them.
    pub head: Result<Vec<u8>>,
    /// The deduplication digest when a memo is in use: `Some(None)` when it could not be
    /// computed (the scan then goes without deduplication, as it would have).
    pub digest: Option<Option<[u8; 32]>>,
    /// The whole inflated stream, when the entry is a nested archive the scan will enter
    /// and its stream ended cleanly within its declared size. Anything else (a stream that
    /// fails, or runs past its declared size) is left to the scanning thread, which then
    /// reads it itself exactly as without help.
    pub inflated: Option<Vec<u8>>,
}

/// Whether helpers may prepare `entry` of an archive entered at `depth`.
pub(crate) fn eligible(entry: &Entry, limits: &Limits, depth: u32) -> bool {
    entry.method == 8
        && !entry.is_encrypted()
        && entry.compressed_size >= MIN_COMPRESSED_BYTES
        && entry.uncompressed_size <= limits.in_memory_bytes()
        && depth < limits.max_depth
}

/// The state of one job.
enum Slot {
    /// Nobody has started it.
    Waiting,
    /// A helper is preparing it.
    Running,
    /// Ready to be taken.
    Done(Box<Prepared>),
    /// The scanning thread took it (or chose to enter the entry itself).
    Taken,
}

struct State {
    /// Next job a helper may start.
    next: usize,
    /// Decompressed bytes the scanning thread may still read for its file (its budget, as
    /// it last told): helpers inflate no more than that ahead, so a file whose budget runs
    /// out costs no more inflation with helpers than without.
    left: u64,
    slots: Vec<Slot>,
    /// Declared bytes of jobs started and not yet taken.
    ahead: u64,
    /// The scanning thread is done with this archive: helpers stop.
    closed: bool,
    /// Entries inflated so far (used by the scan or not).
    inflated: u64,
}

/// Entries of one archive prepared by helper threads; see the module documentation.
pub(crate) struct Ahead<'a> {
    zip: &'a ZipArchive,
    limits: &'a Limits,
    memo: Option<&'a Memo>,
    /// Entry indices, in the order the scanning thread enters them.
    jobs: Vec<usize>,
    state: Mutex<State>,
    changed: Condvar,
}

impl<'a> Ahead<'a> {
    /// Jobs for `jobs` (entry indices of `zip`, in scanning order); `left`: the scanning
    /// thread's remaining decompressed-byte budget (see [`Ahead::take`]).
    pub fn new(
        zip: &'a ZipArchive,
        jobs: Vec<usize>,
        limits: &'a Limits,
        memo: Option<&'a Memo>,
        left: u64,
    ) -> Self {
        let slots = jobs.iter().map(|_| Slot::Waiting).collect();
        Ahead {
            zip,
            limits,
            memo,
            jobs,
            state: Mutex::new(State { next: 0, left, slots, ahead: 0, closed: false, inflated: 0 }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn declared(&self, job: usize) -> u64 {
        self.zip.entries()[self.jobs[job]].uncompressed_size
    }

    /// Starts the next job if the scan is open and the bytes held ahead allow it.
    fn start_next(&self, state: &mut State) -> Option<usize> {
        if state.closed || state.next >= self.jobs.len() {
            return None;
        }
        let declared = self.declared(state.next);
        if state.ahead > 0 && state.ahead.saturating_add(declared) > MAX_AHEAD_BYTES.min(state.left) {
            return None;
        }
        let job = state.next;
        self.start(state, job);
        Some(job)
    }

    /// Marks `job` (the next one) as being prepared.
    fn start(&self, state: &mut State, job: usize) {
        state.next = job + 1;
        state.slots[job] = Slot::Running;
        state.ahead += self.declared(job);
    }

    /// Prepares `job` (started by [`start_next`](Self::start_next)) with no lock held, and
    /// hands it over; `before_handing_over` runs just before.
    fn run(&self, job: usize, before_handing_over: impl FnOnce()) {
        /// Should preparing panic (a bug), hands the job back unprepared as the panic
        /// unwinds, so that the scanning thread enters it itself rather than wait forever.
        struct Unprepared<'x, 'a>(&'x Ahead<'a>, Option<usize>);
        impl Drop for Unprepared<'_, '_> {
            fn drop(&mut self) {
                if let Some(job) = self.1 {
                    let mut state = self.0.lock();
                    state.slots[job] = Slot::Taken;
                    state.ahead -= self.0.declared(job);
                    drop(state);
                    self.0.changed.notify_all();
                }
            }
        }
        let mut guard = Unprepared(self, Some(job));
        let left = self.lock().left;
        let prepared = self.prepare(self.jobs[job], left);
        guard.1 = None;
        before_handing_over();
        let mut state = self.lock();
        state.inflated += u64::from(prepared.inflated.is_some());
        state.slots[job] = Slot::Done(Box::new(prepared));
        drop(state);
        self.changed.notify_all();
    }

    /// A helper's loop: prepares jobs in order until none is left or the scan closes. The
    /// helper's `slot` is given back before its last job is handed over, so that the archive
    /// the scanning thread enters next can have it.
    pub fn help(&self, slot: Taken<'_>) {
        let mut slot = Some(slot);
        loop {
            let (job, last) = {
                let mut state = self.lock();
                loop {
                    if state.closed || state.next >= self.jobs.len() {
                        return;
                    }
                    if let Some(job) = self.start_next(&mut state) {
                        break (job, state.next >= self.jobs.len());
                    }
                    state = self.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
                }
            };
            self.run(job, || {
                if last {
                    drop(slot.take());
                }
            });
        }
    }

    /// What the scanning thread gets for entry `idx`: the prepared work (prepared now when no
    /// helper has started it), or `None` when `idx` is not a job. While a helper is preparing
    /// it, prepares a later job rather than wait idle. `left`: the scanning thread's remaining
    /// decompressed-byte budget now.
    pub fn take(&self, idx: usize, left: u64) -> Option<Prepared> {
        // Entry indices are in central-directory order, so the jobs are sorted.
        let job = self.jobs.binary_search(&idx).ok()?;
        let mut state = self.lock();
        state.left = left;
        loop {
            match std::mem::replace(&mut state.slots[job], Slot::Taken) {
                Slot::Waiting => {
                    // Jobs start in order and are taken in order: this one is `next`.
                    self.start(&mut state, job);
                    drop(state);
                    self.run(job, || {});
                    state = self.lock();
                }
                Slot::Running => {
                    state.slots[job] = Slot::Running;
                    if let Some(later) = self.start_next(&mut state) {
                        drop(state);
                        self.run(later, || {});
                        state = self.lock();
                    } else {
                        state = self.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
                    }
                }
                Slot::Done(prepared) => {
                    state.ahead -= self.declared(job);
                    // The scan is about to charge these bytes: later jobs see them gone.
                    let bytes = prepared.inflated.as_ref().map_or(0, |b| b.len() as u64);
                    state.left = state.left.saturating_sub(bytes);
                    drop(state);
                    self.changed.notify_all();
                    return Some(*prepared);
                }
                Slot::Taken => return None,
            }
        }
    }

    /// Tells the helpers to stop (the scanning thread has left the archive).
    pub fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_all();
    }

    /// A guard that [closes](Self::close) this when dropped, also while a panic of the
    /// scanning thread unwinds: helpers waiting for room then stop, and their scope can end.
    pub fn closing(&self) -> impl Drop + '_ {
        struct Closing<'x, 'a>(&'x Ahead<'a>);
        impl Drop for Closing<'_, '_> {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        Closing(self)
    }

    /// Entries inflated ahead so far, whether the scan used them or not.
    pub fn inflated(&self) -> u64 {
        self.lock().inflated
    }

    /// Peeks at, hashes and inflates entry `idx` as entering it would; does not inflate an
    /// entry that declares `left` bytes or more (the budget would stop it).
    fn prepare(&self, idx: usize, left: u64) -> Prepared {
        let zip = self.zip;
        let entry = &zip.entries()[idx];
        let name = zip.name(entry);
        let head = zip.peek_entry(entry, HEAD);
        let kind = head.as_ref().ok().and_then(|h| nested_kind(h, name));
        let Some(kind) = kind else { return Prepared { head, digest: None, inflated: None } };
        let mut digest = None;
        if let Some(memo) = self.memo
            && memo.seen(memo::entry_sighting(kind, entry, name))
        {
            let d = memo::entry_digest(zip, entry);
            if let Some(d) = d {
                let key = Key::of_entry(kind, entry, name, d);
                // An identical archive was scanned already: the scan replays it, no inflation.
                if memo.known(&key) {
                    return Prepared { head, digest: Some(Some(d)), inflated: None };
                }
            }
            digest = Some(d);
        }
        if entry.uncompressed_size >= left {
            return Prepared { head, digest, inflated: None };
        }
        let limit = self.limits.in_memory_bytes().min(entry.uncompressed_size).saturating_add(1);
        Prepared { head, digest, inflated: inflate(zip, entry, limit) }
    }
}

/// The whole inflated stream of deflated `entry` if it ends cleanly within `limit - 1` bytes.
/// Inflates into the spare capacity of one buffer: nothing is zero-filled first.
fn inflate(zip: &ZipArchive, entry: &Entry, limit: u64) -> Option<Vec<u8>> {
    let (_, window) = zip.data_window(entry).ok()?;
    window.will_need();
    if let Some(out) = crate::zipfile::inflate_whole(&window, entry.uncompressed_size, limit) {
        return Some(out);
    }
    let mut input = window.buf_reader(256 * 1024);
    let limit = usize::try_from(limit).ok()?;
    let mut out = Vec::with_capacity(limit);
    let mut state = Decompress::new(false);
    loop {
        let chunk = input.fill_buf().ok()?;
        let flush = if chunk.is_empty() { FlushDecompress::Finish } else { FlushDecompress::None };
        let (in_before, out_before) = (state.total_in(), state.total_out());
        let status = state.decompress_vec(chunk, &mut out, flush).ok()?;
        let used = (state.total_in() - in_before) as usize;
        input.consume(used);
        if status == Status::StreamEnd {
            return (out.len() < limit).then_some(out);
        }
        if out.len() >= limit || (used == 0 && state.total_out() == out_before) {
            // Past the limit, or the input ended before the stream did.
            return None;
        }
    }
}

/// Bytes a decompressed stream is read in by [`Chunked`].
const CHUNK_BYTES: usize = 256 * 1024;

/// Compressed gzip files at least this large are decompressed on a helper thread.
pub(crate) const GUNZIP_AHEAD_MIN_BYTES: u64 = 1 << 20;

/// Chunks a helper may hold decompressed ahead of the scan.
const CHUNKS_AHEAD: usize = 4;

/// What follows a chunk of a stream.
enum After {
    /// More chunks.
    More,
    /// The end of the stream.
    End,
    /// The error that stopped the stream (taken when first returned).
    Failed(Option<io::Error>),
}

/// Reads up to [`CHUNK_BYTES`] from `inner` into `buf` (a chunk already read, or an empty
/// vector: only bytes it never held are zero-filled): the bytes and what follows them.
fn read_chunk(inner: &mut impl Read, mut buf: Vec<u8>) -> (Vec<u8>, After) {
    buf.resize(CHUNK_BYTES, 0);
    let mut n = 0;
    let after = loop {
        if n == buf.len() {
            break After::More;
        }
        match inner.read(&mut buf[n..]) {
            Ok(0) => break After::End,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break After::Failed(Some(e)),
        }
    };
    buf.truncate(n);
    (buf, after)
}

/// Where [`Chunked`] gets its chunks.
enum Feed<R> {
    /// Reads them itself.
    Inline(R),
    /// A helper thread reads them ahead; chunks read are sent back to it to be filled again.
    Ahead(Receiver<(Vec<u8>, After)>, SyncSender<Vec<u8>>),
}

/// A decompressed stream read in fixed chunks, by the reading thread itself or by a helper
/// thread ahead of it ([`Chunked::ahead`]). Either way its reader sees the same bytes and
/// meets an error after the same bytes, however it reads.
pub(crate) struct Chunked<R> {
    feed: Feed<R>,
    buf: Vec<u8>,
    pos: usize,
    after: After,
}

impl<R: Read + Send> Chunked<R> {
    /// Chunks of `inner` read on demand.
    pub fn inline(inner: R) -> Self {
        Chunked { feed: Feed::Inline(inner), buf: Vec::new(), pos: 0, after: After::More }
    }

    /// Chunks of `inner` read by a helper thread of `scope` (holding `slot` until the stream
    /// ends), at most [`CHUNKS_AHEAD`] ahead; the helper stops when this reader is dropped.
    pub fn ahead<'scope>(
        scope: &'scope std::thread::Scope<'scope, '_>,
        mut inner: R,
        slot: Taken<'scope>,
    ) -> Self
    where
        R: 'scope,
    {
        let (send, receive) = sync_channel(CHUNKS_AHEAD);
        let (give_back, given_back) = sync_channel::<Vec<u8>>(CHUNKS_AHEAD + 2);
        scope.spawn(move || {
            let _slot = slot;
            loop {
                let (bytes, after) = read_chunk(&mut inner, given_back.try_recv().unwrap_or_default());
                let last = !matches!(after, After::More);
                if send.send((bytes, after)).is_err() || last {
                    return;
                }
            }
        });
        Chunked { feed: Feed::Ahead(receive, give_back), buf: Vec::new(), pos: 0, after: After::More }
    }
}

impl<R: Read> Read for Chunked<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos < self.buf.len() {
                let n = out.len().min(self.buf.len() - self.pos);
                out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            match &mut self.after {
                After::End => return Ok(0),
                After::Failed(e) => {
                    return Err(e.take().unwrap_or_else(|| io::Error::other("the stream failed earlier")));
                }
                After::More => {
                    let used = std::mem::take(&mut self.buf);
                    let (bytes, after) = match &mut self.feed {
                        Feed::Inline(inner) => read_chunk(inner, used),
                        Feed::Ahead(receive, give_back) => {
                            // The helper fills it again (or it is dropped if it has enough).
                            if used.capacity() > 0 {
                                let _ = give_back.try_send(used);
                            }
                            receive.recv().unwrap_or_else(|_| {
                                (
                                    Vec::new(),
                                    After::Failed(Some(io::Error::other("the decompressing thread stopped"))),
                                )
                            })
                        }
                    };
                    (self.buf, self.pos, self.after) = (bytes, 0, after);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_slots_are_shared_up_to_their_cap_and_given_back() {
        let slots = HelperSlots::new(2);
        let a = slots.take_one();
        let b = slots.take_one();
        assert!(a.is_some() && b.is_some() && slots.take_one().is_none());
        drop(a);
        let c = slots.take_one();
        assert!(c.is_some() && slots.take_one().is_none());
        drop((b, c));
        assert_eq!(slots.active.load(Ordering::Acquire), 0);
        assert!(HelperSlots::new(0).take_one().is_none());
    }

    #[test]
    fn a_stream_read_in_chunks_fails_after_the_same_bytes_however_it_is_read() {
        // A reader that gives 1000 bytes in odd pieces, then fails.
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 >= 1000 {
                    return Err(io::Error::other("broken"));
                }
                let n = buf.len().min(37).min(1000 - self.0);
                buf[..n].fill(7);
                self.0 += n;
                Ok(n)
            }
        }
        for size in [1, 100, 4096] {
            let mut r = Chunked::inline(Failing(0));
            let (mut got, mut buf) = (0, vec![0; size]);
            let err = loop {
                match r.read(&mut buf) {
                    Ok(n) => got += n,
                    Err(e) => break e,
                }
            };
            assert_eq!((got, err.to_string().as_str()), (1000, "broken"));
            assert!(r.read(&mut buf).is_err());
        }
        let slots = HelperSlots::new(1);
        std::thread::scope(|s| {
            let mut r = Chunked::ahead(s, Failing(0), slots.take_one().unwrap());
            let mut all = Vec::new();
            assert_eq!(r.read_to_end(&mut all).unwrap_err().to_string(), "broken");
            assert_eq!(all.len(), 1000);
        });
        // The helper gave its slot back when the stream ended.
        assert!(slots.take_one().is_some());
    }
}
