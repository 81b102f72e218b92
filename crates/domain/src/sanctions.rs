//! Sanctions on platform memberships, and the rectification review that ends a
//! suspension — the MIIT decision's "暂停期满后，根据整改情况，研究恢复": a suspension
//! does not lapse by itself; when its term is over the unit waits for a review of its
//! rectification report (整改报告), which restores it or extends the suspension.
//!
//! The organisation's log is a list of [`OrgEvent`]s; [`status`] folds it, and
//! [`check`] refuses an event the workflow does not allow, before it is appended.

use std::fmt;

use crate::Timestamp;

/// The sanctions ladder, mildest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SanctionKind {
    /// 警告: a warning.
    Warning,
    /// 点名批评: public criticism, which may name an individual researcher.
    PublicCriticism {
        /// The person named, if any.
        individual: Option<String>,
    },
    /// 暂停合作单位: suspension as a cooperating unit until a date (6 months by default).
    Suspension {
        /// The end of the suspension's term; restoration still needs a review.
        until: Timestamp,
    },
    /// 踢出成员单位: expulsion; final.
    Expulsion,
}

impl SanctionKind {
    /// The wire name: `warning`, `public_criticism`, `suspension`, `expulsion`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SanctionKind::Warning => "warning",
            SanctionKind::PublicCriticism { .. } => "public_criticism",
            SanctionKind::Suspension { .. } => "suspension",
            SanctionKind::Expulsion => "expulsion",
        }
    }
}

/// What a decision rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    /// A compliance finding: the rule (`pack/rule`) and the case.
    Finding {
        /// `pack/rule`.
        rule: String,
        /// The case.
        case: String,
    },
    /// An event of a case, by index.
    Event {
        /// The case.
        case: String,
        /// The event's index.
        index: usize,
    },
}

/// The outcome of a rectification review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewOutcome {
    /// The rectification suffices: the membership is restored.
    Restore,
    /// It does not: the suspension is extended.
    Extend {
        /// The new end of the term.
        until: Timestamp,
    },
}

/// An event on an organisation's own log, for one membership scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgEvent {
    /// A sanction was decided.
    Sanctioned {
        /// When.
        at: Timestamp,
        /// Which sanction.
        kind: SanctionKind,
        /// Who decided (an analyst's account).
        author: String,
        /// Why, in words.
        reason: String,
        /// What it rests on; a sanction needs at least one basis.
        basis: Vec<Basis>,
        /// Whether it is published.
        public: bool,
    },
    /// The unit submitted a rectification report.
    RectificationSubmitted {
        /// When.
        at: Timestamp,
        /// Who submitted it.
        author: String,
        /// The report.
        report: String,
    },
    /// An analyst recorded the review of the latest rectification report.
    ReviewRecorded {
        /// When.
        at: Timestamp,
        /// The reviewer.
        reviewer: String,
        /// The outcome.
        outcome: ReviewOutcome,
        /// The review note.
        note: String,
    },
}

impl OrgEvent {
    /// When it happened.
    pub fn at(&self) -> Timestamp {
        match self {
            OrgEvent::Sanctioned { at, .. }
            | OrgEvent::RectificationSubmitted { at, .. }
            | OrgEvent::ReviewRecorded { at, .. } => *at,
        }
    }
}

/// Where a membership stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipStatus {
    /// In good standing (warnings and criticism do not change this).
    Active,
    /// Suspended, within the term.
    Suspended {
        /// End of the term.
        until: Timestamp,
    },
    /// The term is over, but no review has restored the unit yet.
    AwaitingReview {
        /// End of the term.
        until: Timestamp,
        /// Whether a rectification report is waiting for review.
        report_submitted: bool,
    },
    /// Expelled.
    Expelled,
}

impl fmt::Display for MembershipStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MembershipStatus::Active => "active",
            MembershipStatus::Suspended { .. } => "suspended",
            MembershipStatus::AwaitingReview { .. } => "awaiting_review",
            MembershipStatus::Expelled => "expelled",
        })
    }
}

/// The membership's status at `now`, from its events (those after `now` are ignored).
pub fn status(events: &[OrgEvent], now: Timestamp) -> MembershipStatus {
    let mut state = MembershipStatus::Active;
    let mut report_pending = false;
    for event in events.iter().filter(|e| e.at() <= now) {
        match event {
            OrgEvent::Sanctioned { kind: SanctionKind::Suspension { until }, .. } => {
                state = MembershipStatus::Suspended { until: *until };
                report_pending = false;
            }
            OrgEvent::Sanctioned { kind: SanctionKind::Expulsion, .. } => state = MembershipStatus::Expelled,
            OrgEvent::Sanctioned { .. } => {}
            OrgEvent::RectificationSubmitted { .. } => report_pending = true,
            OrgEvent::ReviewRecorded { outcome, .. } => {
                report_pending = false;
                state = match outcome {
                    ReviewOutcome::Restore => MembershipStatus::Active,
                    ReviewOutcome::Extend { until } => MembershipStatus::Suspended { until: *until },
                };
            }
        }
    }
    match state {
        MembershipStatus::Suspended { until } if now >= until => {
            MembershipStatus::AwaitingReview { until, report_submitted: report_pending }
        }
        other => other,
    }
}

/// An event the workflow refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SanctionError {
    /// Sanctions rest on findings or events.
    #[error("a sanction needs at least one basis (a finding or an event)")]
    NoBasis,
    /// Nothing can happen to an expelled membership.
    #[error("the membership was expelled")]
    Expelled,
    /// A suspension must end after it starts.
    #[error("the suspension must end after it is decided")]
    EndsBeforeItStarts,
    /// Only a suspended unit submits a rectification report.
    #[error("only a suspended unit submits a rectification report (the membership is {0})")]
    NotSuspended(MembershipStatus),
    /// A review needs a rectification report to review.
    #[error("no rectification report awaits review: restoration needs a report and a recorded review")]
    NoReport,
    /// A restoration before the term is over.
    #[error("the suspension runs until {until}; restoration is reviewed after the term")]
    TermNotOver {
        /// End of the term.
        until: Timestamp,
    },
    /// Events are appended in time order.
    #[error("the log already has an event at a later time")]
    OutOfOrder,
}

/// Whether `event` may be appended to `events`.
pub fn check(events: &[OrgEvent], event: &OrgEvent) -> Result<(), SanctionError> {
    if events.last().is_some_and(|last| last.at() > event.at()) {
        return Err(SanctionError::OutOfOrder);
    }
    let now = event.at();
    let current = status(events, now);
    if current == MembershipStatus::Expelled {
        return Err(SanctionError::Expelled);
    }
    let report_pending = {
        let mut pending = false;
        for e in events {
            match e {
                OrgEvent::RectificationSubmitted { .. } => pending = true,
                OrgEvent::ReviewRecorded { .. }
                | OrgEvent::Sanctioned { kind: SanctionKind::Suspension { .. }, .. } => pending = false,
                _ => {}
            }
        }
        pending
    };
    match event {
        OrgEvent::Sanctioned { basis, kind, at, .. } => {
            if basis.is_empty() {
                return Err(SanctionError::NoBasis);
            }
            if let SanctionKind::Suspension { until } = kind
                && until <= at
            {
                return Err(SanctionError::EndsBeforeItStarts);
            }
            Ok(())
        }
        OrgEvent::RectificationSubmitted { .. } => match current {
            MembershipStatus::Suspended { .. } | MembershipStatus::AwaitingReview { .. } => Ok(()),
            other => Err(SanctionError::NotSuspended(other)),
        },
        OrgEvent::ReviewRecorded { outcome, at, .. } => {
            if !report_pending {
                return Err(SanctionError::NoReport);
            }
            match (current, outcome) {
                (MembershipStatus::Suspended { until }, ReviewOutcome::Restore) => {
                    Err(SanctionError::TermNotOver { until })
                }
                (_, ReviewOutcome::Extend { until }) if until <= at => Err(SanctionError::EndsBeforeItStarts),
                _ => Ok(()),
            }
        }
    }
}

/// What a membership status allows and requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Whether the unit receives risk warnings before publication (TLP:AMBER).
    pub receives_prepublication_warnings: bool,
    /// Whether the unit may submit reports as a member (it may always report as a
    /// non-member).
    pub reports_as_member: bool,
}

/// The rights of a membership status.
pub fn standing(status: MembershipStatus) -> Standing {
    let active = status == MembershipStatus::Active;
    Standing { receives_prepublication_warnings: active, reports_as_member: active }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn day(month: u32, d: u32) -> Timestamp {
        let year = if month >= 11 { 2021 } else { 2022 };
        chrono::Utc.with_ymd_and_hms(year, month, d, 0, 0, 0).unwrap()
    }

    fn basis() -> Vec<Basis> {
        vec![Basis::Finding { rule: "cn-miit-member/member-report-2d".into(), case: "log4shell".into() }]
    }

    fn suspension() -> OrgEvent {
        OrgEvent::Sanctioned {
            at: day(12, 22),
            kind: SanctionKind::Suspension { until: day(6, 22) },
            author: "analyst".into(),
            reason: "未及时向电信主管部门报告".into(),
            basis: basis(),
            public: true,
        }
    }

    fn report(at: Timestamp) -> OrgEvent {
        OrgEvent::RectificationSubmitted { at, author: "unit".into(), report: "整改报告".into() }
    }

    fn review(at: Timestamp, outcome: ReviewOutcome) -> OrgEvent {
        OrgEvent::ReviewRecorded { at, reviewer: "analyst".into(), outcome, note: "reviewed".into() }
    }

    /// Appends after checking, as the store does.
    fn log(events: Vec<OrgEvent>) -> Result<Vec<OrgEvent>, SanctionError> {
        let mut out = Vec::new();
        for e in events {
            check(&out, &e)?;
            out.push(e);
        }
        Ok(out)
    }

    #[test]
    fn the_log4shell_suspension_runs_six_months_and_ends_only_by_review() {
        let events = log(vec![suspension()]).unwrap();
        assert_eq!(status(&events, day(12, 21)), MembershipStatus::Active);
        assert_eq!(status(&events, day(3, 1)), MembershipStatus::Suspended { until: day(6, 22) });
        // The term is over, but nobody restored the unit.
        assert_eq!(
            status(&events, day(7, 1)),
            MembershipStatus::AwaitingReview { until: day(6, 22), report_submitted: false }
        );
        let events =
            log(vec![suspension(), report(day(5, 1)), review(day(6, 23), ReviewOutcome::Restore)]).unwrap();
        assert_eq!(status(&events, day(6, 23)), MembershipStatus::Active);
    }

    #[test]
    fn no_restoration_without_a_report_and_a_review() {
        assert_eq!(
            log(vec![suspension(), review(day(6, 23), ReviewOutcome::Restore)]),
            Err(SanctionError::NoReport)
        );
        assert_eq!(
            log(vec![suspension(), report(day(3, 1)), review(day(3, 2), ReviewOutcome::Restore)]),
            Err(SanctionError::TermNotOver { until: day(6, 22) })
        );
        assert_eq!(log(vec![report(day(3, 1))]), Err(SanctionError::NotSuspended(MembershipStatus::Active)));
        // One report, one review: a second review needs a new report.
        assert_eq!(
            log(vec![
                suspension(),
                report(day(5, 1)),
                review(day(6, 23), ReviewOutcome::Extend { until: day(9, 1) }),
                review(day(9, 2), ReviewOutcome::Restore),
            ]),
            Err(SanctionError::NoReport)
        );
    }

    #[test]
    fn a_review_may_extend_the_suspension() {
        let events = log(vec![
            suspension(),
            report(day(6, 1)),
            review(day(6, 23), ReviewOutcome::Extend { until: day(9, 1) }),
            report(day(8, 20)),
            review(day(9, 2), ReviewOutcome::Restore),
        ])
        .unwrap();
        assert_eq!(status(&events, day(7, 1)), MembershipStatus::Suspended { until: day(9, 1) });
        assert_eq!(status(&events, day(9, 2)), MembershipStatus::Active);
    }

    #[test]
    fn warnings_and_criticism_leave_rights_intact_suspension_and_expulsion_do_not() {
        let warning = OrgEvent::Sanctioned {
            at: day(12, 1),
            kind: SanctionKind::Warning,
            author: "a".into(),
            reason: "r".into(),
            basis: basis(),
            public: false,
        };
        let criticism = OrgEvent::Sanctioned {
            at: day(12, 2),
            kind: SanctionKind::PublicCriticism { individual: Some("a researcher".into()) },
            author: "a".into(),
            reason: "r".into(),
            basis: basis(),
            public: true,
        };
        let events = log(vec![warning, criticism]).unwrap();
        assert_eq!(
            standing(status(&events, day(12, 3))),
            Standing { receives_prepublication_warnings: true, reports_as_member: true }
        );
        let suspended = log(vec![suspension()]).unwrap();
        assert!(!standing(status(&suspended, day(1, 1))).receives_prepublication_warnings);
        assert!(!standing(status(&suspended, day(7, 1))).receives_prepublication_warnings);
        let expelled = log(vec![OrgEvent::Sanctioned {
            at: day(12, 5),
            kind: SanctionKind::Expulsion,
            author: "a".into(),
            reason: "r".into(),
            basis: basis(),
            public: true,
        }])
        .unwrap();
        assert_eq!(status(&expelled, day(12, 6)), MembershipStatus::Expelled);
        assert_eq!(check(&expelled, &report(day(12, 7))), Err(SanctionError::Expelled));
    }

    #[test]
    fn sanctions_need_a_basis_and_a_sensible_term() {
        let mut bare = suspension();
        if let OrgEvent::Sanctioned { basis, .. } = &mut bare {
            basis.clear();
        }
        assert_eq!(check(&[], &bare), Err(SanctionError::NoBasis));
        let backwards = OrgEvent::Sanctioned {
            at: day(12, 22),
            kind: SanctionKind::Suspension { until: day(12, 1) },
            author: "a".into(),
            reason: "r".into(),
            basis: basis(),
            public: true,
        };
        assert_eq!(check(&[], &backwards), Err(SanctionError::EndsBeforeItStarts));
        assert_eq!(check(&[suspension()], &report(day(12, 1))), Err(SanctionError::OutOfOrder));
    }
}
