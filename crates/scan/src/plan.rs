//! What the scan reads from a ZIP archive, decided from its central directory alone: which
//! names are reported as bad, which entries identification wants, which classes date a
//! log4j-core copy, and which entries may be nested archives. A pure function of the parsed
//! directory, so an identical directory elsewhere in the scan reuses it ([`crate::reuse`]).

use crate::engine::{NEVER_ARCHIVE_EXTS, check_name, lower_ext_match};
use crate::identify::{Want, classify};
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
}

impl Plan {
    /// The plan for `zip`.
    pub fn of(zip: &ZipArchive) -> Plan {
        let mut plan = Plan::default();
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
        plan
    }
}
