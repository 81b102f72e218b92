//! Versions ordered the way each ecosystem orders them: Maven as OSV and Maven's
//! `ComparableVersion` define it ([`crate::maven_version`]), npm and crates.io by
//! semver, PyPI by PEP 440, anything else by a generic dotted comparison. Ranges are the
//! half-open or closed intervals of vulnerability records.

use std::cmp::Ordering;
use std::str::FromStr;

use vulnrelay_domain::{Ecosystem, RangeEnd, VersionRange};

use crate::maven_version::MavenVersion;

/// A version of some ecosystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    /// Maven.
    Maven(MavenVersion),
    /// npm, crates.io.
    Semver(semver::Version),
    /// PyPI.
    Pep440(pep440_rs::Version),
    /// Anything else, or a version its ecosystem's parser refused.
    Generic(Vec<GenericPart>),
}

/// A piece of a generic version: numbers compare as numbers, words as text, and a
/// number sorts after a word (`1.0-rc1` < `1.0.1`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum GenericPart {
    /// A word.
    Word(String),
    /// A number.
    Number(u64),
}

fn generic(text: &str) -> Version {
    let mut parts = Vec::new();
    for piece in text.split(|c: char| !c.is_ascii_alphanumeric()).filter(|p| !p.is_empty()) {
        // Split "rc1" into "rc", 1.
        let mut rest = piece;
        while !rest.is_empty() {
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            if digits > 0 {
                parts.push(GenericPart::Number(rest[..digits].parse().unwrap_or(u64::MAX)));
                rest = &rest[digits..];
            } else {
                let letters = rest.chars().take_while(|c| !c.is_ascii_digit()).count();
                parts.push(GenericPart::Word(rest[..letters].to_ascii_lowercase()));
                rest = &rest[letters..];
            }
        }
    }
    Version::Generic(parts)
}

/// Parses a semver version leniently: a leading `v`, and missing minor or patch
/// numbers (`1.2` = `1.2.0`), are accepted.
fn lenient_semver(text: &str) -> Option<semver::Version> {
    let text = text.trim().trim_start_matches(['v', 'V']);
    if let Ok(v) = semver::Version::parse(text) {
        return Some(v);
    }
    let (core, rest) = match text.find(['-', '+']) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    if numbers.is_empty()
        || numbers.len() > 3
        || numbers.iter().any(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let padded: Vec<&str> = numbers.iter().copied().chain(std::iter::repeat("0")).take(3).collect();
    semver::Version::parse(&format!("{}{rest}", padded.join("."))).ok()
}

impl Version {
    /// Parses `text` as a version of `ecosystem`; never fails: what the ecosystem's
    /// parser refuses is compared generically.
    pub fn parse(ecosystem: &Ecosystem, text: &str) -> Version {
        match ecosystem {
            Ecosystem::Maven => Version::Maven(MavenVersion::parse(text)),
            Ecosystem::Npm | Ecosystem::Cargo => {
                lenient_semver(text).map(Version::Semver).unwrap_or_else(|| generic(text))
            }
            Ecosystem::PyPi => pep440_rs::Version::from_str(text.trim())
                .map(Version::Pep440)
                .unwrap_or_else(|_| generic(text)),
            Ecosystem::Other(_) => lenient_semver(text).map(Version::Semver).unwrap_or_else(|| generic(text)),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Version::Maven(a), Version::Maven(b)) => a.cmp(b),
            (Version::Semver(a), Version::Semver(b)) => {
                a.cmp_precedence(b).then_with(|| a.build.cmp(&b.build))
            }
            (Version::Pep440(a), Version::Pep440(b)) => a.cmp(b),
            (Version::Generic(a), Version::Generic(b)) => a.cmp(b),
            // Mixed kinds (one side refused by its parser): compare as text pieces.
            (a, b) => generic(&a.text()).cmp(&generic(&b.text())),
        }
    }
}

impl Version {
    fn text(&self) -> String {
        match self {
            Version::Maven(v) => v.as_str().to_owned(),
            Version::Semver(v) => v.to_string(),
            Version::Pep440(v) => v.to_string(),
            Version::Generic(parts) => parts
                .iter()
                .map(|p| match p {
                    GenericPart::Word(w) => w.clone(),
                    GenericPart::Number(n) => n.to_string(),
                })
                .collect::<Vec<_>>()
                .join("."),
        }
    }
}

/// A range with its bounds parsed once, for fast repeated checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRange {
    /// Lower bound (included); `None` for `introduced: "0"`.
    pub lower: Option<Version>,
    /// Upper bound.
    pub upper: Upper,
}

/// The upper end of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upper {
    /// Excluded (the fixed version).
    Excluded(Version),
    /// Included (the last affected version).
    Included(Version),
    /// None.
    Unbounded,
}

impl ParsedRange {
    /// Parses a record's range for `ecosystem`.
    pub fn parse(ecosystem: &Ecosystem, range: &VersionRange) -> ParsedRange {
        let lower = (range.introduced != "0").then(|| Version::parse(ecosystem, &range.introduced));
        let upper = match &range.end {
            RangeEnd::Fixed(v) => Upper::Excluded(Version::parse(ecosystem, v)),
            RangeEnd::LastAffected(v) => Upper::Included(Version::parse(ecosystem, v)),
            RangeEnd::Open => Upper::Unbounded,
        };
        ParsedRange { lower, upper }
    }

    /// Whether `version` lies in the range.
    pub fn contains(&self, version: &Version) -> bool {
        self.lower.as_ref().is_none_or(|lower| version >= lower)
            && match &self.upper {
                Upper::Excluded(end) => version < end,
                Upper::Included(end) => version <= end,
                Upper::Unbounded => true,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(eco: &Ecosystem, text: &str) -> Version {
        Version::parse(eco, text)
    }

    fn sorted(eco: Ecosystem, versions: &[&str]) {
        for pair in versions.windows(2) {
            assert!(v(&eco, pair[0]) < v(&eco, pair[1]), "{eco:?}: {} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn each_ecosystem_orders_its_own_way() {
        sorted(
            Ecosystem::Maven,
            &[
                "2.0-alpha1",
                "2.0-beta9",
                "2.0-rc1",
                "2.0",
                "2.3.1",
                "2.12.2",
                "2.15.0-rc1",
                "2.15.0",
                "2.17.1",
            ],
        );
        sorted(
            Ecosystem::Npm,
            &["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0", "1.2.0", "1.10.0", "2.0.0"],
        );
        sorted(Ecosystem::Cargo, &["0.9.9", "0.10.0", "1.0.0-rc.1", "1.0.0"]);
        sorted(Ecosystem::PyPi, &["1.0.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.1"]);
        sorted(Ecosystem::Other("Debian".into()), &["1.2", "1.10", "2.0"]);
    }

    #[test]
    fn lenient_semver_fills_missing_parts() {
        assert_eq!(v(&Ecosystem::Npm, "v1.2"), v(&Ecosystem::Npm, "1.2.0"));
        assert_eq!(v(&Ecosystem::Cargo, "3"), v(&Ecosystem::Cargo, "3.0.0"));
        assert!(matches!(v(&Ecosystem::Npm, "banana"), Version::Generic(_)));
    }

    #[test]
    fn pep440_equivalences_hold() {
        assert_eq!(v(&Ecosystem::PyPi, "1.0"), v(&Ecosystem::PyPi, "1.0.0"));
        assert_eq!(v(&Ecosystem::PyPi, "1.0RC1"), v(&Ecosystem::PyPi, "1.0rc1"));
    }

    #[test]
    fn ranges_include_and_exclude_their_ends() {
        let maven = Ecosystem::Maven;
        let fixed = ParsedRange::parse(
            &maven,
            &VersionRange { introduced: "2.0-beta9".into(), end: RangeEnd::Fixed("2.3.1".into()) },
        );
        assert!(fixed.contains(&v(&maven, "2.0-beta9")));
        assert!(fixed.contains(&v(&maven, "2.3")));
        assert!(!fixed.contains(&v(&maven, "2.3.1")));
        assert!(!fixed.contains(&v(&maven, "2.0-beta8")));
        let last = ParsedRange::parse(
            &maven,
            &VersionRange { introduced: "0".into(), end: RangeEnd::LastAffected("2.15.0-rc1".into()) },
        );
        assert!(last.contains(&v(&maven, "1.0")));
        assert!(last.contains(&v(&maven, "2.15.0-rc1")));
        assert!(!last.contains(&v(&maven, "2.15.0")));
        let open = ParsedRange::parse(
            &Ecosystem::Npm,
            &VersionRange { introduced: "1.0.0".into(), end: RangeEnd::Open },
        );
        assert!(open.contains(&v(&Ecosystem::Npm, "99.0.0")));
    }
}
