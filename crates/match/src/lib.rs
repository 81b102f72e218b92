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

    /// The key as one string, as the store indexes inventory components and records by
    /// it (`Maven:org.apache.logging.log4j:log4j-core`): equal keys give equal strings,
    /// so an index lookup by these strings finds every candidate [`Index::lookup`] can
    /// match.
    pub fn index_key(&self) -> String {
        format!("{}:{}", self.ecosystem.osv_name(), self.name)
    }
}

/// The package keys an [`Index`] of `v` holds entries under (the packages of its
/// reconciled ranges that name an ecosystem), each once.
pub fn package_keys(v: &Vulnerability) -> Vec<PackageKey> {
    let mut keys: Vec<PackageKey> = Vec::new();
    for reconciled in v.reconciled() {
        let Some((ecosystem, name)) = &reconciled.package.ecosystem else { continue };
        let key = PackageKey::new(ecosystem.clone(), name);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
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

/// Ranges and versions, parsed the ecosystem's way.
#[derive(Debug, Clone)]
struct Parsed {
    ranges: Vec<ParsedRange>,
    versions: Vec<Version>,
}

impl Parsed {
    fn new(ecosystem: &Ecosystem, ranges: &[vulnrelay_domain::VersionRange], versions: &[String]) -> Parsed {
        Parsed {
            ranges: ranges.iter().map(|r| ParsedRange::parse(ecosystem, r)).collect(),
            versions: versions.iter().map(|x| Version::parse(ecosystem, x)).collect(),
        }
    }

    fn contains(&self, version: &Version) -> bool {
        self.ranges.iter().any(|r| r.contains(version)) || self.versions.contains(version)
    }
}

/// One vulnerability's decision for one package, and every source's view of it.
#[derive(Debug, Clone)]
struct Entry {
    vulnerability: usize,
    decided_by: String,
    reconciled: Parsed,
    sources: Vec<(String, Parsed)>,
}

/// A component a vulnerability affects by the platform's reconciled ranges, and what
/// each source says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index of the vulnerability in the slice the index was built from.
    pub vulnerability: usize,
    /// The sources whose ranges contain the version, in record order.
    pub sources: Vec<String>,
    /// The sources that name the package but whose ranges do not contain the version.
    pub not_affected_per: Vec<String>,
    /// Who decided the reconciled ranges (`vulnrelay` where no one recorded a decision).
    pub decided_by: String,
}

/// The index: package key -> every vulnerability's reconciled ranges for it, with each
/// source's own.
#[derive(Debug, Clone, Default)]
pub struct Index {
    entries: HashMap<PackageKey, Vec<Entry>>,
    ranges: usize,
}

impl Index {
    /// Indexes every package of `vulnerabilities` that names an ecosystem, by the
    /// records' reconciled ranges ([`Vulnerability::reconciled`]).
    pub fn new(vulnerabilities: &[Vulnerability]) -> Index {
        let mut index = Index::default();
        for (i, v) in vulnerabilities.iter().enumerate() {
            for reconciled in v.reconciled() {
                let Some((ecosystem, name)) = &reconciled.package.ecosystem else { continue };
                let sources: Vec<(String, Parsed)> = v
                    .affected
                    .iter()
                    .filter(|a| a.package.same_as(&reconciled.package))
                    .map(|a| (a.source.clone(), Parsed::new(ecosystem, &a.ranges, &a.versions)))
                    .collect();
                let entry = Entry {
                    vulnerability: i,
                    decided_by: reconciled.decided_by.clone(),
                    reconciled: Parsed::new(ecosystem, &reconciled.ranges, &reconciled.versions),
                    sources,
                };
                index.ranges += entry.reconciled.ranges.len();
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

    /// The vulnerabilities affecting `version` of `package` by their reconciled ranges,
    /// each with the sources that agree and those that do not.
    pub fn lookup(&self, package: &PackageKey, version: &str) -> Vec<Match> {
        let Some(entries) = self.entries.get(package) else { return Vec::new() };
        let version = Version::parse(&package.ecosystem, version);
        let mut out: Vec<Match> = Vec::new();
        for entry in entries {
            if !entry.reconciled.contains(&version) {
                continue;
            }
            let mut found = Match {
                vulnerability: entry.vulnerability,
                sources: Vec::new(),
                not_affected_per: Vec::new(),
                decided_by: entry.decided_by.clone(),
            };
            for (source, parsed) in &entry.sources {
                let list =
                    if parsed.contains(&version) { &mut found.sources } else { &mut found.not_affected_per };
                if !list.contains(source) {
                    list.push(source.clone());
                }
            }
            found.not_affected_per.retain(|s| !found.sources.contains(s));
            out.push(found);
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

    #[test]
    fn matching_follows_the_reconciled_ranges_and_names_the_dissent() {
        use vulnrelay_domain::{Affected, Package, RangeEnd, Reconciled, VersionRange};
        let package = Package {
            vendor: "Apache Software Foundation".into(),
            product: "Apache Log4j2".into(),
            ecosystem: Some((Ecosystem::Maven, "org.apache.logging.log4j:log4j-core".into())),
            purl: None,
        };
        let range = |a: &str, b: &str| VersionRange { introduced: a.into(), end: RangeEnd::Fixed(b.into()) };
        let mut v = Vulnerability::new("CVE-2021-44228");
        v.affected = vec![
            Affected {
                source: "apache".into(),
                package: package.clone(),
                ranges: vec![range("2.0-beta9", "2.3.1"), range("2.4", "2.12.2")],
                versions: Vec::new(),
            },
            Affected {
                source: "cnvd".into(),
                package: package.clone(),
                ranges: vec![VersionRange {
                    introduced: "2.0".into(),
                    end: RangeEnd::LastAffected("2.15.0-rc1".into()),
                }],
                versions: Vec::new(),
            },
        ];
        let key = PackageKey::new(Ecosystem::Maven, "org.apache.logging.log4j:log4j-core");
        // No decision: the union, so CNVD's coarse range makes 2.12.2 affected.
        let undecided = Index::new(std::slice::from_ref(&v));
        assert_eq!(undecided.lookup(&key, "2.12.2")[0].sources, ["cnvd"]);
        v.decisions = vec![Reconciled {
            package,
            ranges: vec![range("2.0-beta9", "2.3.1"), range("2.4", "2.12.2")],
            versions: Vec::new(),
            decided_by: "analyst".into(),
            basis: "vendor".into(),
        }];
        let index = Index::new(std::slice::from_ref(&v));
        assert!(index.lookup(&key, "2.12.2").is_empty());
        assert!(index.lookup(&key, "2.3.1").is_empty());
        let hit = &index.lookup(&key, "2.0-beta9")[0];
        assert_eq!(
            (hit.sources.clone(), hit.not_affected_per.clone()),
            (vec!["apache".to_owned()], vec!["cnvd".to_owned()])
        );
        assert_eq!(hit.decided_by, "analyst");
        assert_eq!(index.lookup(&key, "2.12.1")[0].sources, ["apache", "cnvd"]);
    }
}
