#![doc = include_str!("../README.md")]

use std::collections::HashMap;
use std::str::FromStr;

use packageurl::PackageUrl;
use vulnrelay_domain::{Ecosystem, Vulnerability};
use vulnrelay_formats::version::{ParsedRange, Version};

/// A package, as the index keys it: ecosystem and normalised name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PackageKey {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The name, normalised for the ecosystem (`group:artifact` for Maven, `@scope/name`
    /// for npm, PEP 503 for PyPI).
    pub name: String,
}

impl PackageKey {
    /// The key of a package named `name` in `ecosystem`, normalised.
    pub fn new(ecosystem: Ecosystem, name: &str) -> PackageKey {
        let name = match &ecosystem {
            Ecosystem::Maven => name.to_owned(),
            Ecosystem::PyPi => normalise_python(name),
            Ecosystem::Npm | Ecosystem::Cargo | Ecosystem::Other(_) => name.to_ascii_lowercase(),
        };
        PackageKey { ecosystem, name }
    }
}

/// PEP 503: lower case, and every run of `-`, `_` and `.` becomes one `-`.
fn normalise_python(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_run = false;
        }
    }
    out
}

/// A package URL that cannot be matched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComponentError {
    /// Not a package URL.
    #[error("`{purl}` is not a package URL: {reason}")]
    Purl {
        /// The text.
        purl: String,
        /// Why.
        reason: String,
    },
    /// No version, so nothing can be said.
    #[error("`{0}` has no version")]
    NoVersion(String),
}

/// The package key and version of a package URL (`pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1`).
pub fn parse_purl(purl: &str) -> Result<(PackageKey, String), ComponentError> {
    let parsed = PackageUrl::from_str(purl)
        .map_err(|e| ComponentError::Purl { purl: purl.to_owned(), reason: e.to_string() })?;
    let version = parsed.version().ok_or_else(|| ComponentError::NoVersion(purl.to_owned()))?.to_owned();
    let name = parsed.name();
    let namespace = parsed.namespace();
    let (ecosystem, full) = match parsed.ty() {
        "maven" => (Ecosystem::Maven, format!("{}:{name}", namespace.unwrap_or_default())),
        "npm" => (
            Ecosystem::Npm,
            match namespace {
                Some(scope) => format!("{scope}/{name}"),
                None => name.to_owned(),
            },
        ),
        "pypi" => (Ecosystem::PyPi, name.to_owned()),
        "cargo" => (Ecosystem::Cargo, name.to_owned()),
        other => (
            Ecosystem::Other(other.to_owned()),
            match namespace {
                Some(ns) => format!("{ns}/{name}"),
                None => name.to_owned(),
            },
        ),
    };
    Ok((PackageKey::new(ecosystem, &full), version))
}

/// One source's view of one vulnerability for one package.
#[derive(Debug, Clone)]
struct Entry {
    vulnerability: usize,
    source: String,
    ranges: Vec<ParsedRange>,
    versions: Vec<Version>,
}

/// A component a vulnerability affects, and which sources say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index of the vulnerability in the slice the index was built from.
    pub vulnerability: usize,
    /// The sources whose ranges contain the version, in record order.
    pub sources: Vec<String>,
}

/// The index: package key -> every source's ranges for it.
#[derive(Debug, Clone, Default)]
pub struct Index {
    entries: HashMap<PackageKey, Vec<Entry>>,
    ranges: usize,
}

impl Index {
    /// Indexes every affected package of `vulnerabilities` that names an ecosystem.
    pub fn new(vulnerabilities: &[Vulnerability]) -> Index {
        let mut index = Index::default();
        for (i, v) in vulnerabilities.iter().enumerate() {
            for affected in &v.affected {
                let Some((ecosystem, name)) = &affected.package.ecosystem else { continue };
                let entry = Entry {
                    vulnerability: i,
                    source: affected.source.clone(),
                    ranges: affected.ranges.iter().map(|r| ParsedRange::parse(ecosystem, r)).collect(),
                    versions: affected.versions.iter().map(|x| Version::parse(ecosystem, x)).collect(),
                };
                index.ranges += entry.ranges.len();
                index.entries.entry(PackageKey::new(ecosystem.clone(), name)).or_default().push(entry);
            }
        }
        index
    }

    /// How many packages and ranges are indexed.
    pub fn size(&self) -> (usize, usize) {
        (self.entries.len(), self.ranges)
    }

    /// Whether any record names `package` at all.
    pub fn covers(&self, package: &PackageKey) -> bool {
        self.entries.contains_key(package)
    }

    /// The vulnerabilities affecting `version` of `package`.
    pub fn lookup(&self, package: &PackageKey, version: &str) -> Vec<Match> {
        let Some(entries) = self.entries.get(package) else { return Vec::new() };
        let version = Version::parse(&package.ecosystem, version);
        let mut out: Vec<Match> = Vec::new();
        for entry in entries {
            let hit = entry.ranges.iter().any(|r| r.contains(&version)) || entry.versions.contains(&version);
            if !hit {
                continue;
            }
            match out.iter_mut().find(|m| m.vulnerability == entry.vulnerability) {
                Some(existing) => {
                    if !existing.sources.contains(&entry.source) {
                        existing.sources.push(entry.source.clone());
                    }
                }
                None => out
                    .push(Match { vulnerability: entry.vulnerability, sources: vec![entry.source.clone()] }),
            }
        }
        out
    }

    /// The vulnerabilities affecting the component a package URL names.
    pub fn lookup_purl(&self, purl: &str) -> Result<Vec<Match>, ComponentError> {
        let (key, version) = parse_purl(purl)?;
        Ok(self.lookup(&key, &version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_urls_become_keys() {
        let (key, version) = parse_purl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1").unwrap();
        assert_eq!(key, PackageKey::new(Ecosystem::Maven, "org.apache.logging.log4j:log4j-core"));
        assert_eq!(version, "2.14.1");
        let (key, _) = parse_purl("pkg:npm/%40babel/core@7.0.0").unwrap();
        assert_eq!(key.name, "@babel/core");
        let (key, _) = parse_purl("pkg:pypi/Django_REST.framework@3.0").unwrap();
        assert_eq!(key, PackageKey::new(Ecosystem::PyPi, "django-rest-framework"));
        assert!(matches!(parse_purl("pkg:cargo/serde"), Err(ComponentError::NoVersion(_))));
        assert!(matches!(parse_purl("maven:log4j"), Err(ComponentError::Purl { .. })));
    }
}
