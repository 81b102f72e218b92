//! Resource limits for hostile input, passed in as one struct.

/// Caps that keep a scan bounded in time, memory and disk on hostile archives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Deepest archive nesting entered (`--max-depth`); the file on disk is depth 0.
    pub max_depth: u32,
    /// Most decompressed bytes read from one entry.
    pub max_entry_bytes: u64,
    /// Most decompressed bytes read in total for one file on disk, all nesting levels included.
    pub max_total_bytes: u64,
    /// Most entries in one archive's central directory.
    pub max_entries: u64,
    /// Most nested archives opened for one file on disk.
    pub max_archives: u64,
    /// Largest central directory read into memory.
    pub max_central_directory_bytes: u64,
    /// Largest small entry (pom.properties, MANIFEST.MF, class) read for identification.
    pub max_small_entry_bytes: u64,
    /// Compressed inner archives up to this many decompressed bytes are held in memory;
    /// larger ones are streamed to an anonymous temporary file.
    pub spill_threshold: u64,
}

impl Limits {
    /// Most decompressed bytes of one nested archive held in memory: up to the spill
    /// threshold, and never past the per-entry cap.
    pub fn in_memory_bytes(&self) -> u64 {
        self.spill_threshold.min(self.max_entry_bytes)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 16,
            max_entry_bytes: 2 << 30,
            max_total_bytes: 16 << 30,
            max_entries: 1_000_000,
            max_archives: 100_000,
            max_central_directory_bytes: 512 << 20,
            max_small_entry_bytes: 16 << 20,
            spill_threshold: 64 << 20,
        }
    }
}
