//! What the scan reads from a ZIP archive, decided from its central directory alone: which
//! names are reported as bad, which entries identification wants, which classes date a
//! log4j-core copy, and which entries may be nested archives. A pure function of the parsed
//! directory, so an identical directory elsewhere in the scan reuses it ([`crate::reuse`]).

use crate::identify::{Want, classify};
use crate::kind::{NEVER_ARCHIVE_EXTS, check_name, lower_ext_match};
use crate::zipfile::ZipArchive;

/// One thing to do for one entry, in central directory order.
#[derive(Debug)]
pub(crate) enum Step {
    /// The entry's name cannot be reported as it is: an error, and the entry is skipped.
    BadName {
        /// Index of the entry.
        idx: usize,
        /// Why.
        reason: &'static str,
    },
    /// An entry identification wants (its bytes read when [`Want::needs_bytes`]).
    Want {
        /// Index of the entry.
        idx: usize,
        /// What it is.
        want: Want,
    },
    /// A log4j-core fingerprint class: noted now, read only if no pom.properties dates its
    /// copy.
    Fingerprint {
        /// Index of the entry.
        idx: usize,
        /// What it is (a [`Want::Core`]).
        want: Want,
    },
}

/// What to read from an archive.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Steps in central directory order.
    pub steps: Vec<Step>,
    /// Entries that may hold a nested archive (their first bytes decide), in order.
    pub nested: Vec<usize>,
    /// The longest package directory the classes of the archive's own unit share (not
    /// under `META-INF/`, `WEB-INF/` or `BOOT-INF/`), when it has two parts or more
    /// (`groovy/json/`): a hint for naming a jar without a pom. A jar that bundles a few
    /// classes of another project (Lucene's analyzers carry `org/tartarus/snowball/`) is
    /// named after the package root that holds at least [`OWN_SHARE`] of its classes.
    pub class_prefix: Option<String>,
}

/// The share of a jar's classes (in percent) that one package root must hold to give the
/// jar's package prefix when the classes lie under several roots.
pub(crate) const OWN_SHARE: usize = 75;

/// At most this many package roots are told apart per archive; classes under further roots
/// still count towards the total, so a jar of many projects gives no prefix.
const MAX_ROOTS: usize = 32;

/// The classes of an archive by package root (a class's first two directories): how many
/// each holds and the directory they share.
#[derive(Default)]
struct PackageRoots<'a> {
    /// (root, classes under it, their common directory).
    roots: Vec<(&'a str, usize, &'a str)>,
    /// The root of the previous class: classes come grouped by package.
    last: usize,
    /// Every class counted.
    total: usize,
}

impl<'a> PackageRoots<'a> {
    fn add(&mut self, dir: &'a str) {
        self.total += 1;
        if dir.is_empty() {
            // A class in no package (`module-info.class`) has no root: as the prefix of
            // every directory, it would take in every class after it.
            return;
        }
        let hit = |r: &(&str, usize, &str)| dir.starts_with(r.0);
        let at = if self.roots.get(self.last).is_some_and(hit) {
            Some(self.last)
        } else {
            self.roots.iter().position(hit)
        };
        match at {
            Some(i) => {
                let (_, count, common) = &mut self.roots[i];
                *count += 1;
                *common = common_dir(common, dir);
                self.last = i;
            }
            None if self.roots.len() < MAX_ROOTS => {
                // The first two directories, or the whole directory when it is shallower.
                let end = dir.match_indices('/').nth(1).map_or(dir.len(), |(i, _)| i + 1);
                self.roots.push((&dir[..end], 1, dir));
                self.last = self.roots.len() - 1;
            }
            None => {}
        }
    }

    /// The common directory of the root that holds [`OWN_SHARE`] of the classes, when it
    /// has two parts or more.
    fn prefix(&self) -> Option<&'a str> {
        let (_, count, common) = self.roots.iter().max_by_key(|r| r.1)?;
        (count * 100 >= self.total * OWN_SHARE && common.matches('/').count() >= 2).then_some(*common)
    }
}

/// The common directory of `a` and `b` (each ending in `/` or empty).
fn common_dir<'a>(a: &'a str, b: &str) -> &'a str {
    let n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    match a[..n].rfind('/') {
        Some(i) => &a[..=i],
        None => "",
    }
}

impl Plan {
    /// The plan for `zip`.
    pub fn of(zip: &ZipArchive) -> Plan {
        let mut plan = Plan::default();
        let mut roots = PackageRoots::default();
        for (idx, entry) in zip.entries().iter().enumerate() {
            if entry.is_dir() {
                continue;
            }
            let name = zip.name(entry);
            if !entry.has_plain_name()
                && let Some(reason) = check_name(name, entry.utf8_ok)
            {
                plan.steps.push(Step::BadName { idx, reason });
                continue;
            }
            if name.ends_with(".class")
                && !["META-INF/", "WEB-INF/", "BOOT-INF/"].iter().any(|p| name.starts_with(p))
            {
                // (`memchr`'s search: `str::rfind` was 1.5 % of a scan's CPU here.)
                roots.add(memchr::memrchr(b'/', name.as_bytes()).map_or("", |i| &name[..=i]));
            }
            if let Some(want) = classify(name) {
                plan.steps.push(if want.is_fingerprint() {
                    Step::Fingerprint { idx, want }
                } else {
                    Step::Want { idx, want }
                });
            } else if entry.uncompressed_size >= 22
                && !name.ends_with(".class")
                && !lower_ext_match(name, &NEVER_ARCHIVE_EXTS)
            {
                plan.nested.push(idx);
            }
        }
        plan.class_prefix = roots.prefix().map(str::to_owned);
        // A pom.xml is read only where no pom.properties is beside it.
        let dir_of = |idx: usize| {
            let name = zip.name(&zip.entries()[idx]);
            name.rsplit_once('/').map_or("", |(d, _)| d)
        };
        let with_properties: Vec<&str> = plan
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Want { idx, want: Want::Pom { .. } } => Some(dir_of(*idx)),
                _ => None,
            })
            .collect();
        if !with_properties.is_empty() {
            plan.steps.retain(|s| match s {
                Step::Want { idx, want: Want::PomXml { .. } } => !with_properties.contains(&dir_of(*idx)),
                _ => true,
            });
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::PackageRoots;

    fn prefix_of(classes: &[&'static str]) -> Option<&'static str> {
        let mut roots = PackageRoots::default();
        for c in classes {
            roots.add(c.rfind('/').map_or("", |i| &c[..=i]));
        }
        roots.prefix()
    }

    #[test]
    fn the_package_prefix_is_the_root_that_holds_most_classes() {
        let mut lucene = vec!["org/apache/lucene/analysis/ar/A.class"; 30];
        lucene.extend(["org/apache/lucene/analysis/bg/B.class"; 10]);
        lucene.extend(["org/tartarus/snowball/S.class"; 5]);
        assert_eq!(prefix_of(&lucene), Some("org/apache/lucene/analysis/"));
        // Two projects of equal weight: no prefix.
        assert_eq!(prefix_of(&["a/b/c/X.class", "a/b/c/Y.class", "d/e/f/Z.class", "d/e/f/W.class"]), None);
        // Packages side by side under one project's root.
        let aop = [
            "org/aopalliance/aop/A.class",
            "org/aopalliance/intercept/I.class",
            "org/aopalliance/reflect/R.class",
        ];
        assert_eq!(prefix_of(&aop), Some("org/aopalliance/"));
        // One package: the whole of it; too shallow: none.
        assert_eq!(prefix_of(&["groovy/json/A.class", "groovy/json/internal/B.class"]), Some("groovy/json/"));
        assert_eq!(prefix_of(&["Jama/A.class", "Jama/util/B.class"]), None);
        assert_eq!(prefix_of(&["A.class"]), None);
        // A class in no package, first in the directory, counts but roots nothing.
        let mut catalina = vec!["module-info.class"];
        catalina.extend(["org/apache/catalina/A.class"; 8]);
        assert_eq!(prefix_of(&catalina), Some("org/apache/catalina/"));
    }
}
