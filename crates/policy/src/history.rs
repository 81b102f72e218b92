//! An organisation's record: how many of its obligations it met on time, late, or
//! missed, and how many rules it broke, over any set of findings (one case, or all of
//! its cases).

use std::collections::BTreeMap;

use vulnrelay_domain::PartyId;

use crate::{Finding, RuleKind, Status};

/// Counts of one party's findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct History {
    /// Obligations met on time.
    pub on_time: usize,
    /// Obligations met on time by a notification that lacked content the law asks for.
    pub incomplete: usize,
    /// Obligations met late.
    pub late: usize,
    /// Obligations past their deadline and not met.
    pub missed: usize,
    /// Obligations still open (pending or not started).
    pub open: usize,
    /// Events a gate forbade.
    pub violations: usize,
    /// Conflicts awaiting a person's decision.
    pub conflicts: usize,
    /// Events the law leaves open, awaiting a person's review.
    pub reviews: usize,
}

impl History {
    /// Share of settled obligations met on time (an incomplete notification sent in time
    /// is not), when any are settled.
    pub fn on_time_rate(&self) -> Option<f64> {
        let settled = self.on_time + self.incomplete + self.late + self.missed;
        (settled > 0).then(|| self.on_time as f64 / settled as f64)
    }
}

/// Every bound party's history over `findings`. Gates that allowed an event are not
/// counted: they are no obligation.
pub fn history<'a>(findings: &[Finding<'a>]) -> BTreeMap<&'a PartyId, History> {
    let mut out: BTreeMap<&'a PartyId, History> = BTreeMap::new();
    for f in findings {
        let entry = out.entry(f.party).or_default();
        let obligation = matches!(f.rule.kind, RuleKind::Obligation(_));
        match f.status {
            Status::Met if obligation => entry.on_time += 1,
            Status::Met => {}
            Status::MetLate => entry.late += 1,
            Status::MetIncomplete => entry.incomplete += 1,
            Status::Overdue => entry.missed += 1,
            Status::Pending | Status::NotStarted => entry.open += 1,
            Status::Violated => entry.violations += 1,
            Status::Conflict => entry.conflicts += 1,
            Status::NeedsReview => entry.reviews += 1,
        }
    }
    out
}
