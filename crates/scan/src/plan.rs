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
    /// The longest package directory every class of the archive's own unit shares (not
    /// under `META-INF/`, `WEB-INF/` or `BOOT-INF/`), when it has two parts or more
    /// (`groovy/json/`): a hint for naming a jar without a pom.
    pub class_prefix: Option<String>,
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
        let mut prefix: Option<&str> = None;
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
                && prefix != Some("")
                && !["META-INF/", "WEB-INF/", "BOOT-INF/"].iter().any(|p| name.starts_with(p))
            {
                let dir = name.rfind('/').map_or("", |i| &name[..=i]);
                prefix = Some(match prefix {
                    None => dir,
                    Some(p) => common_dir(p, dir),
                });
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
        plan.class_prefix = prefix.filter(|p| p.matches('/').count() >= 2).map(str::to_owned);
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
