//! Random-access byte sources: a window of a file on disk (top-level files, STORED nested
//! entries, spilled temporary files) or of a buffer in memory (small compressed nested
//! entries). Windows nest without copying, so a STORED jar inside a STORED jar inside a
//! file is read straight from the file at an offset.

use std::fs::File;
use std::io::{self, BufRead, Read};
use std::sync::Arc;

#[derive(Debug, Clone)]
enum Backing {
    File(Arc<File>),
    /// A `Vec` behind the `Arc` (not `Arc<[u8]>`): taking a buffer in costs no copy.
    Mem(Arc<Vec<u8>>),
}

/// A window `[start, start + len)` of a file or buffer.
#[derive(Debug, Clone)]
pub struct Source {
    backing: Backing,
    start: u64,
    len: u64,
}

#[cfg(unix)]
fn file_read_at(f: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(f, buf, pos)
}

#[cfg(windows)]
fn file_read_at(f: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(f, buf, pos)
}

impl Source {
    /// The whole of an open file.
    pub fn file(file: File) -> io::Result<Source> {
        let len = file.metadata()?.len();
        Ok(Source { backing: Backing::File(Arc::new(file)), start: 0, len })
    }

    /// A buffer in memory.
    pub fn memory(bytes: Vec<u8>) -> Source {
        let len = bytes.len() as u64;
        Source { backing: Backing::Mem(Arc::new(bytes)), start: 0, len }
    }

    /// The window's bytes when they are in memory (read in place, no copy); `None` for a
    /// window of a file.
    pub fn in_memory(&self) -> Option<&[u8]> {
        match &self.backing {
            Backing::Mem(m) => Some(&m[self.start as usize..(self.start + self.len) as usize]),
            Backing::File(_) => None,
        }
    }

    /// Tells the kernel that the file behind this source is read at random places (its end
    /// records, a few entries): no read-ahead around each small read. Only a hint.
    pub fn advise_random(&self) {
        self.advise(0, 0, Advice::Random);
    }

    /// Tells the kernel that the whole window is about to be read sequentially, so it fetches
    /// it in large asynchronous requests (a compressed nested archive being inflated or
    /// hashed, a gzip file). Only a hint.
    pub fn will_need(&self) {
        if self.len > 0 {
            self.advise(self.start, self.len, Advice::WillNeed);
        }
    }

    #[allow(unused_variables)]
    fn advise(&self, start: u64, len: u64, advice: Advice) {
        #[cfg(target_os = "linux")]
        if let Backing::File(f) = &self.backing {
            use rustix::fs::{Advice as A, fadvise};
            let advice = match advice {
                Advice::Random => A::Random,
                Advice::WillNeed => A::WillNeed,
            };
            // A hint: its failure changes nothing.
            let _ = fadvise(&**f, start, std::num::NonZeroU64::new(len), advice);
        }
    }

    /// Length of the window.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the window is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A sub-window, or `None` when it does not fit.
    pub fn slice(&self, pos: u64, len: u64) -> Option<Source> {
        let end = pos.checked_add(len)?;
        (end <= self.len).then(|| Source { backing: self.backing.clone(), start: self.start + pos, len })
    }

    /// Reads at `pos` into `buf`, returning how many bytes were read (0 at the end).
    pub fn read_at(&self, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
        if pos >= self.len {
            return Ok(0);
        }
        let n = (buf.len() as u64).min(self.len - pos) as usize;
        match &self.backing {
            Backing::File(f) => loop {
                match file_read_at(f, &mut buf[..n], self.start + pos) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => return other,
                }
            },
            Backing::Mem(m) => {
                let s = (self.start + pos) as usize;
                buf[..n].copy_from_slice(&m[s..s + n]);
                Ok(n)
            }
        }
    }

    /// Fills `buf` from `pos` or fails with `UnexpectedEof`.
    pub fn read_exact_at(&self, mut pos: u64, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.read_at(pos, buf)?;
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "unexpected end of data"));
            }
            pos += n as u64;
            buf = &mut buf[n..];
        }
        Ok(())
    }

    /// Reads `len` bytes at `pos` into a new vector (or fails with `UnexpectedEof`). The
    /// vector is not zero-filled first: bytes of a buffer are copied into it, and bytes of a
    /// file (on Linux) are read into its spare capacity.
    pub fn read_vec(&self, pos: u64, len: usize) -> io::Result<Vec<u8>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let end = pos.checked_add(len as u64).filter(|end| *end <= self.len);
        match &self.backing {
            Backing::Mem(m) => match end {
                Some(end) => Ok(m[(self.start + pos) as usize..(self.start + end) as usize].to_vec()),
                None => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "unexpected end of data")),
            },
            #[cfg(target_os = "linux")]
            Backing::File(f) => {
                if end.is_none() {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "unexpected end of data"));
                }
                let mut v = Vec::with_capacity(len);
                while v.len() < len {
                    let at = self.start + pos + v.len() as u64;
                    match rustix::io::pread(&**f, rustix::buffer::spare_capacity(&mut v), at) {
                        Ok(0) => {
                            return Err(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "unexpected end of data",
                            ));
                        }
                        Ok(_) => {}
                        Err(rustix::io::Errno::INTR) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                // The spare capacity may be larger than asked: what was read past is dropped.
                v.truncate(len);
                Ok(v)
            }
            #[cfg(not(target_os = "linux"))]
            Backing::File(_) => {
                let mut v = vec![0; len];
                self.read_exact_at(pos, &mut v)?;
                Ok(v)
            }
        }
    }

    /// A sequential reader over the whole window.
    pub fn reader(&self) -> SourceReader {
        SourceReader { source: self.clone(), pos: 0 }
    }

    /// A buffered sequential reader over the whole window: a window of a buffer in memory is
    /// handed out in place (no copy, no buffer); a window of a file is read through a buffer
    /// of at most `capacity` bytes (never more than the window needs).
    pub fn buf_reader(&self, capacity: usize) -> Box<dyn BufRead + Send> {
        match &self.backing {
            Backing::Mem(m) => Box::new(MemWindow {
                bytes: Arc::clone(m),
                pos: self.start as usize,
                end: (self.start + self.len) as usize,
            }),
            Backing::File(_) => {
                let capacity = (capacity as u64).min(self.len).max(1) as usize;
                Box::new(io::BufReader::with_capacity(capacity, self.reader()))
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Advice {
    Random,
    WillNeed,
}

/// A window of a buffer in memory read in place.
#[derive(Debug)]
struct MemWindow {
    bytes: Arc<Vec<u8>>,
    pos: usize,
    end: usize,
}

impl Read for MemWindow {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.end - self.pos);
        buf[..n].copy_from_slice(&self.bytes[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl BufRead for MemWindow {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        Ok(&self.bytes[self.pos..self.end])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.end);
    }
}

/// Sequential [`Read`] over a [`Source`].
#[derive(Debug)]
pub struct SourceReader {
    source: Source,
    pos: u64,
}

impl Read for SourceReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.source.read_at(self.pos, buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_vec_reads_exactly_the_window_of_a_file_or_buffer_or_fails_at_its_end() {
        use std::io::Write;
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&bytes).unwrap();
        let on_disk = Source::file(file).unwrap().slice(1000, 90_000).unwrap();
        let in_memory = Source::memory(bytes.clone()).slice(1000, 90_000).unwrap();
        for source in [on_disk, in_memory] {
            assert_eq!(source.read_vec(0, 90_000).unwrap(), &bytes[1000..91_000]);
            assert_eq!(source.read_vec(500, 7).unwrap(), &bytes[1500..1507]);
            assert!(source.read_vec(0, 0).unwrap().is_empty());
            assert!(source.read_vec(200_000, 0).unwrap().is_empty());
            for (pos, len) in [(89_999, 2), (90_000, 1), (u64::MAX, 1)] {
                let err = source.read_vec(pos, len).unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{pos} {len}");
            }
        }
    }
}
