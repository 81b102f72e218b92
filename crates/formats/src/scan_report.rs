//! The JSON report of `vulnrelay scan` (`--format json`), version 1.
//!
//! Shape: `{"summary": {...}, "findings": [{"path", "component": {"group", "artifact",
//! "version"}, "evidence": [...], "confidence", "vulnerabilities": [{"id", "status",
//! "fixed_in"}]}], "errors": [...]}`; `fixes` is present after `--fix`.

use serde::{Deserialize, Serialize};

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// Counts and timing.
    pub summary: Summary,
    /// One entry per identified component, in path order.
    pub findings: Vec<Finding>,
    /// Every file or entry that could not be read completely.
    pub errors: Vec<ScanErrorEntry>,
    /// Files rewritten by `--fix`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<FixEntry>,
}

/// Counts and timing of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The paths given on the command line.
    pub paths: Vec<String>,
    /// Regular files visited.
    pub files_scanned: u64,
    /// Archives opened, at every depth.
    pub archives_scanned: u64,
    /// Components identified (= findings).
    pub components: u64,
    /// Findings with at least one `affected` vulnerability.
    pub affected: u64,
    /// Findings whose vulnerabilities are all `mitigated`/`unknown-version`, at least one `mitigated`.
    pub mitigated: u64,
    /// Findings with an `unknown-version` vulnerability and none `affected`.
    pub unknown_version: u64,
    /// Entries in `errors`.
    pub errors: u64,
    /// Wall time of the scan in milliseconds.
    pub elapsed_ms: u64,
}

/// One identified component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Location, nested archives joined by `!/`.
    pub path: String,
    /// Maven coordinates, as far as known.
    pub component: Component,
    /// Why the scanner believes it.
    pub evidence: Vec<Evidence>,
    /// `high` (pom.properties or exact class fingerprint), `medium` (manifest, fingerprint
    /// range), `low` (file name).
    pub confidence: String,
    /// Applicable vulnerabilities, one per id.
    pub vulnerabilities: Vec<Vulnerability>,
}

/// Maven coordinates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// `groupId`, if known.
    pub group: Option<String>,
    /// `artifactId`.
    pub artifact: String,
    /// Exact version, if known.
    pub version: Option<String>,
    /// Maven range of possible versions when only a class fingerprint dates the component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_range: Option<String>,
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// `pom.properties`, `manifest`, `class`, `fingerprint`, `file-name`.
    pub kind: String,
    /// Entry path or value.
    pub detail: String,
}

/// One vulnerability verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vulnerability {
    /// CVE id (or the advisory id when it has no CVE).
    pub id: String,
    /// `affected`, `mitigated` or `unknown-version`.
    pub status: String,
    /// Versions that fix it.
    pub fixed_in: Vec<String>,
    /// Advisory ids that matched, e.g. `builtin` or the OSV id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Why this status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanErrorEntry {
    /// Location, nested archives joined by `!/`.
    pub path: String,
    /// Machine-readable kind, e.g. `io`, `corrupt-archive`, `limit-exceeded`, `encrypted-entry`.
    pub kind: String,
    /// Human-readable message.
    pub message: String,
}

/// One file rewritten by `--fix`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixEntry {
    /// The file on disk.
    pub path: String,
    /// Entries removed, as `!/` paths.
    pub removed: Vec<String>,
    /// Backup path, unless `--no-backup`.
    pub backup: Option<String>,
}
