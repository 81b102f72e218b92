//! Test helpers: the real jars and a tiny ZIP writer with full control over the bytes.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::write::DeflateEncoder;
use vulnrelay_scan::{Finding, Options, Report, scan};

pub fn jars() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/jars/log4j")
}

pub fn jar(rel: &str) -> PathBuf {
    jars().join(rel)
}

pub fn read(rel: &str) -> Vec<u8> {
    std::fs::read(jar(rel)).unwrap()
}

#[derive(Clone)]
pub struct Item {
    pub name: Vec<u8>,
    pub data: Vec<u8>,
    pub stored: bool,
    pub descriptor: bool,
    pub encrypted: bool,
}

#[derive(Default, Clone)]
pub struct ZipBuilder {
    pub prefix: Vec<u8>,
    pub items: Vec<Item>,
}

impl ZipBuilder {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn prefix(mut self, p: &[u8]) -> Self {
        self.prefix = p.to_vec();
        self
    }
    pub fn add(mut self, name: &str, data: &[u8], stored: bool) -> Self {
        self.items.push(Item {
            name: name.into(),
            data: data.to_vec(),
            stored,
            descriptor: false,
            encrypted: false,
        });
        self
    }
    pub fn add_item(mut self, item: Item) -> Self {
        self.items.push(item);
        self
    }
    /// Offsets in the central directory are absolute (from the start of the file).
    pub fn build(&self) -> Vec<u8> {
        let mut out = self.prefix.clone();
        let mut cd = Vec::new();
        for it in &self.items {
            let mut crc = flate2::Crc::new();
            crc.update(&it.data);
            let data = if it.stored {
                it.data.clone()
            } else {
                let mut e = DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(&it.data).unwrap();
                e.finish().unwrap()
            };
            let method: u16 = if it.stored { 0 } else { 8 };
            let mut flags: u16 = 0x0800;
            if it.descriptor {
                flags |= 8;
            }
            if it.encrypted {
                flags |= 1;
            }
            let offset = out.len() as u32;
            let (lcrc, lc, lu) =
                if it.descriptor { (0, 0, 0) } else { (crc.sum(), data.len() as u32, it.data.len() as u32) };
            out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            out.extend_from_slice(&20u16.to_le_bytes());
            out.extend_from_slice(&flags.to_le_bytes());
            out.extend_from_slice(&method.to_le_bytes());
            out.extend_from_slice(&[0, 0, 0x21, 0x52]);
            out.extend_from_slice(&lcrc.to_le_bytes());
            out.extend_from_slice(&lc.to_le_bytes());
            out.extend_from_slice(&lu.to_le_bytes());
            out.extend_from_slice(&(it.name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&it.name);
            out.extend_from_slice(&data);
            if it.descriptor {
                out.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
                out.extend_from_slice(&crc.sum().to_le_bytes());
                out.extend_from_slice(&(data.len() as u32).to_le_bytes());
                out.extend_from_slice(&(it.data.len() as u32).to_le_bytes());
            }
            cd.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            cd.extend_from_slice(&20u16.to_le_bytes());
            cd.extend_from_slice(&20u16.to_le_bytes());
            cd.extend_from_slice(&flags.to_le_bytes());
            cd.extend_from_slice(&method.to_le_bytes());
            cd.extend_from_slice(&[0, 0, 0x21, 0x52]);
            cd.extend_from_slice(&crc.sum().to_le_bytes());
            cd.extend_from_slice(&(data.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(it.data.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(it.name.len() as u16).to_le_bytes());
            cd.extend_from_slice(&[0; 8]);
            cd.extend_from_slice(&[0; 4]);
            cd.extend_from_slice(&offset.to_le_bytes());
            cd.extend_from_slice(&it.name);
        }
        let cd_off = out.len() as u32;
        out.extend_from_slice(&cd);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(self.items.len() as u16).to_le_bytes());
        out.extend_from_slice(&(self.items.len() as u16).to_le_bytes());
        out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_off.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }
}

/// Entries of a real jar: (name, data, stored).
pub fn entries_of(bytes: &[u8]) -> Vec<(String, Vec<u8>, bool)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut d = Vec::new();
            f.read_to_end(&mut d).unwrap();
            (f.name().unwrap().to_string(), d, f.compression() == zip::CompressionMethod::Stored)
        })
        .collect()
}

/// Rebuilds a real jar without the entries `drop` rejects (and without directory entries).
pub fn rebuild(bytes: &[u8], keep: impl Fn(&str) -> bool) -> Vec<u8> {
    let mut b = ZipBuilder::new();
    for (name, data, stored) in entries_of(bytes) {
        if !name.ends_with('/') && keep(&name) {
            b = b.add(&name, &data, stored);
        }
    }
    b.build()
}

pub fn scan_paths(paths: &[&Path]) -> Report {
    scan(&Options::new(paths.iter().map(|p| p.to_path_buf()).collect())).unwrap()
}

pub fn scan_bytes(dir: &Path, name: &str, bytes: &[u8]) -> Report {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    scan_paths(&[&p])
}

/// (CVE, status) pairs of a finding, sorted.
pub fn verdicts(f: &Finding) -> Vec<(String, &'static str)> {
    let mut v: Vec<_> = f.vulnerabilities.iter().map(|v| (v.id.clone(), v.status.as_str())).collect();
    v.sort();
    v
}

pub fn cves(f: &Finding) -> Vec<String> {
    let mut v: Vec<_> = f.vulnerabilities.iter().map(|v| v.id.clone()).collect();
    v.sort();
    v
}

pub fn core_finding(r: &Report) -> &Finding {
    let found: Vec<_> = r.findings.iter().filter(|f| f.component.artifact == "log4j-core").collect();
    assert_eq!(found.len(), 1, "{:#?}", r.findings);
    found[0]
}

pub const ALL4: [&str; 4] = ["CVE-2021-44228", "CVE-2021-44832", "CVE-2021-45046", "CVE-2021-45105"];

/// Everything of a report but its wall time and its replay and inflated-ahead counts.
pub fn canonical(r: &Report) -> String {
    let errors: Vec<(String, String, &str)> =
        r.errors.iter().map(|e| (e.path.clone(), e.error.to_string(), e.error.kind())).collect();
    let mut json = vulnrelay_scan::output::to_json(&Report {
        paths: r.paths.clone(),
        findings: r.findings.clone(),
        errors: Vec::new(),
        files_scanned: r.files_scanned,
        archives_scanned: r.archives_scanned,
        archives_replayed: 0,
        archives_inflated_ahead: 0,
        links_not_followed: r.links_not_followed,
        elapsed: Default::default(),
    });
    json.summary.errors = r.errors.len() as u64;
    format!(
        "{}\n{:#?}\n{errors:#?}\nfiles {} archives {}",
        serde_json::to_string_pretty(&json).unwrap(),
        r.findings,
        r.files_scanned,
        r.archives_scanned
    )
}

/// Writes `bytes` to `rel` under `dir`, creating directories.
pub fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// A tar.gz of `files` (name, bytes).
pub fn tgz_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, name, *data).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar.into_inner().unwrap()).unwrap();
    gz.finish().unwrap()
}

/// Whether the report has an error of `kind`, alone or among the bad entries of an archive.
pub fn has_error_kind(r: &Report, kind: &str) -> bool {
    r.errors.iter().any(|e| match &e.error {
        vulnrelay_scan::ScanError::BadEntries { kinds, .. } => kinds.iter().any(|(k, _)| *k == kind),
        other => other.kind() == kind,
    })
}

/// The path of every failure of the report, those grouped in an archive's bad entries
/// included (up to the listing cap).
pub fn error_paths(r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for e in &r.errors {
        match &e.error {
            vulnrelay_scan::ScanError::BadEntries { entries, .. } => out.extend(
                entries
                    .iter()
                    .map(|p| if p.is_empty() { e.path.clone() } else { format!("{}!/{p}", e.path) }),
            ),
            _ => out.push(e.path.clone()),
        }
    }
    out
}

/// How many failures of `kind` the report has, those grouped in bad entries included.
pub fn error_count(r: &Report, kind: &str) -> u64 {
    r.errors
        .iter()
        .map(|e| match &e.error {
            vulnrelay_scan::ScanError::BadEntries { kinds, .. } => {
                kinds.iter().filter(|(k, _)| *k == kind).map(|(_, n)| n).sum()
            }
            other => u64::from(other.kind() == kind),
        })
        .sum()
}

/// The vendored Debian jars (`testdata/jars/debian`).
pub fn debian(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/jars/debian").join(rel)).unwrap()
}
