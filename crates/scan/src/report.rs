//! What a scan reports: the components it identified, their verdicts with evidence, and the
//! errors it met (one per file or archive that could not be read as it should).

use std::path::PathBuf;
use std::time::Duration;

use crate::error::ScanError;
use crate::log4j;

/// Maven coordinates of an identified component.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Component {
    /// `groupId`, when known.
    pub group: Option<String>,
    /// `artifactId` (or the best name available).
    pub artifact: String,
    /// Exact version, when known.
    pub version: Option<String>,
    /// Possible versions as a Maven range, when only a fingerprint dates the component.
    pub version_range: Option<String>,
}

/// How sure an identification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Confidence {
    /// From the file name only.
    Low,
    /// From a MANIFEST or a fingerprint range.
    Medium,
    /// From pom.properties or an exact class fingerprint.
    High,
}

impl Confidence {
    /// Lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// Kind of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EvidenceKind {
    /// A `META-INF/maven/*/*/pom.properties`.
    PomProperties,
    /// A `META-INF/maven/*/*/pom.xml` (read when no pom.properties is beside it).
    PomXml,
    /// A table of well-known artifacts, keyed by a bundle, module or package name.
    WellKnown,
    /// The common package prefix of the container's classes.
    PackagePrefix,
    /// `META-INF/MANIFEST.MF`.
    Manifest,
    /// A class file (or its absence).
    Class,
    /// Class content fingerprint.
    Fingerprint,
    /// A class carrying a backported fix, used by the class it protects.
    FixClass,
    /// The file name.
    FileName,
}

impl EvidenceKind {
    /// Name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::PomProperties => "pom.properties",
            EvidenceKind::PomXml => "pom.xml",
            EvidenceKind::WellKnown => "well-known",
            EvidenceKind::PackagePrefix => "package-prefix",
            EvidenceKind::Manifest => "manifest",
            EvidenceKind::Class => "class",
            EvidenceKind::Fingerprint => "fingerprint",
            EvidenceKind::FixClass => "fix-class",
            EvidenceKind::FileName => "file-name",
        }
    }
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Kind.
    pub kind: EvidenceKind,
    /// Entry path or description.
    pub detail: String,
}

/// Status of one vulnerability in one component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The version is affected and the vulnerable code is present.
    Affected,
    /// The version is affected but the vulnerable class was removed (`JndiLookup.class`), or
    /// a backported fix is in (log4j 1.x fix classes used by the class they protect).
    Mitigated,
    /// The vulnerable class is present but the version could not be narrowed enough.
    UnknownVersion,
}

impl Status {
    /// Name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Affected => "affected",
            Status::Mitigated => "mitigated",
            Status::UnknownVersion => "unknown-version",
        }
    }

    pub(crate) fn rank(self) -> u8 {
        match self {
            Status::Mitigated => 0,
            Status::UnknownVersion => 1,
            Status::Affected => 2,
        }
    }
}

/// One vulnerability verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// CVE id (or advisory id).
    pub id: String,
    /// Status.
    pub status: Status,
    /// Versions that fix it.
    pub fixed_in: Vec<String>,
    /// Advisories that matched (`builtin` or OSV ids).
    pub sources: Vec<String>,
    /// Why this status, when not plain.
    pub reason: Option<String>,
}

/// One identified component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Display path, nested archives joined by `!/`.
    pub path: String,
    /// The file on disk holding it (for trees on disk: the directory).
    pub file: PathBuf,
    /// Chain of entry names from `file` down to the innermost archive holding the component.
    pub location: Vec<String>,
    /// Coordinates.
    pub component: Component,
    /// Evidence.
    pub evidence: Vec<Evidence>,
    /// Confidence.
    pub confidence: Confidence,
    /// Verdicts, one per id.
    pub vulnerabilities: Vec<Verdict>,
    /// Entries of the innermost archive (or files on disk) that `--fix` removes.
    pub fix_targets: Vec<String>,
}

impl Finding {
    /// Whether any verdict is `affected` or `unknown-version`.
    pub fn is_exposed(&self) -> bool {
        self.vulnerabilities.iter().any(|v| v.status != Status::Mitigated)
    }

    /// The version to move to: for every vulnerability not mitigated, its lowest fixed
    /// version above the component's own, and of those the highest. `None` without a known
    /// version, without an exposed vulnerability, or when one of them has no fixed version
    /// above (nothing to move to: log4j 1.x).
    pub fn upgrade_to(&self) -> Option<String> {
        use vulnrelay_formats::maven_version::MavenVersion;
        let current = MavenVersion::parse(self.component.version.as_deref()?);
        let mut target: Option<(MavenVersion, &str)> = None;
        let mut any = false;
        for v in self.vulnerabilities.iter().filter(|v| v.status != Status::Mitigated) {
            any = true;
            let lowest = v
                .fixed_in
                .iter()
                .map(|f| (MavenVersion::parse(f), f.as_str()))
                .filter(|(f, _)| *f > current)
                .min_by(|a, b| a.0.cmp(&b.0))?;
            if target.as_ref().is_none_or(|t| lowest.0 > t.0) {
                target = Some(lowest);
            }
        }
        target.filter(|_| any).map(|(_, s)| s.to_owned())
    }

    /// Whether `--fix` should remove `JndiLookup.class` here: a JNDI-lookup CVE is
    /// affected or of unknown version.
    pub fn needs_fix(&self) -> bool {
        !self.fix_targets.is_empty()
            && self
                .vulnerabilities
                .iter()
                .any(|v| log4j::JNDI_LOOKUP_CVES.contains(&v.id.as_str()) && v.status != Status::Mitigated)
    }
}

/// An error with its location.
#[derive(Debug)]
pub struct ErrorRecord {
    /// Display path, nested archives joined by `!/`.
    pub path: String,
    /// The error.
    pub error: ScanError,
}

/// The result of a scan.
#[derive(Debug, Default)]
pub struct Report {
    /// Paths given.
    pub paths: Vec<PathBuf>,
    /// Findings, sorted by path.
    pub findings: Vec<Finding>,
    /// Errors, sorted by path.
    pub errors: Vec<ErrorRecord>,
    /// Regular files visited.
    pub files_scanned: u64,
    /// Archives opened at every depth (replayed ones included, as if opened).
    pub archives_scanned: u64,
    /// Compressed archives not inflated again because an identical one had been scanned in
    /// the same run (their findings replayed under their own path; see `Options::dedup`).
    pub archives_replayed: u64,
    /// Compressed nested archives helper threads inflated ahead of the scan (see
    /// `Options::helpers`), whether the scan then entered them or stopped first (a budget
    /// ran out).
    pub archives_inflated_ahead: u64,
    /// Symbolic links met in the walk and not followed (without `Options::follow_symlinks`):
    /// neither their targets nor anything under them was scanned.
    pub links_not_followed: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl Report {
    /// The notes of the summary: what was left out without being an error.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.links_not_followed > 0 {
            let n = self.links_not_followed;
            let s = if n == 1 { "" } else { "s" };
            notes.push(format!(
                "{n} symbolic link{s} not followed (their targets were not scanned; --follow-symlinks follows them)"
            ));
        }
        notes
    }
}

impl Report {
    /// Exit code: 2 when there were errors, else 1 when anything is affected (or of unknown
    /// version), else 0.
    pub fn exit_code(&self) -> u8 {
        if !self.errors.is_empty() {
            2
        } else if self.findings.iter().any(Finding::is_exposed) {
            1
        } else {
            0
        }
    }
}
