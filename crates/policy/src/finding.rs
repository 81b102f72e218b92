//! What the evaluator returns: one finding per rule, bound party and product.
//!
//! A finding borrows its rule and pack and holds only facts (times, statuses, event
//! indexes, the condition that decided a gate); the words come later, from
//! [`Finding::message`], so evaluating a million events formats no text.

use std::fmt;

use vulnrelay_domain::{Case, EventType, PartyId, ProductId, Timestamp};

use crate::{Condition, Confidence, ContentField, Interpretation, Pack, Rule, Text};

/// Where a party stands on a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Done on time, or (for a gate) the event was allowed.
    Met,
    /// A notification went out on time, but without content the law asks of it (the
    /// finding's `missing` fields).
    MetIncomplete,
    /// Done after the deadline.
    MetLate,
    /// Not done yet; the deadline (if any) has not passed.
    Pending,
    /// Not done and the deadline has passed.
    Overdue,
    /// A gate forbade an event that happened anyway.
    Violated,
    /// Two rules pull in opposite directions; a person must decide.
    Conflict,
    /// The duty exists but its clock waits for an event (e.g. a fix).
    NotStarted,
    /// The law leaves the case open (the research calls it a legal-review question):
    /// the engine does not decide; a person must. Not a problem for the exit code, but
    /// always listed.
    NeedsReview,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 9] = [
        Status::Met,
        Status::MetIncomplete,
        Status::MetLate,
        Status::Pending,
        Status::Overdue,
        Status::Violated,
        Status::Conflict,
        Status::NotStarted,
        Status::NeedsReview,
    ];

    /// The wire name, e.g. `met_late`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::MetIncomplete => "met_incomplete",
            Status::MetLate => "met_late",
            Status::Pending => "pending",
            Status::Overdue => "overdue",
            Status::Violated => "violated",
            Status::Conflict => "conflict",
            Status::NotStarted => "not_started",
            Status::NeedsReview => "needs_review",
        }
    }

    /// Whether the status is a problem: incomplete, late, overdue, violated or in
    /// conflict (the statuses that make `vulnrelay check` exit with 1).
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            Status::MetIncomplete | Status::MetLate | Status::Overdue | Status::Violated | Status::Conflict
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The legal source of a rule: instrument, version and article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference<'a> {
    /// The instrument's name.
    pub instrument: &'a Text,
    /// The instrument's version.
    pub version: &'a str,
    /// The article.
    pub article: &'a str,
    /// How sure the source research is of the text.
    pub confidence: Confidence,
}

/// Why a finding has its status, as facts to be put in words later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Explanation<'a> {
    /// An obligation's clock: see the finding's times.
    Clock,
    /// An obligation whose clock waits for one of these events.
    WaitingFor(&'a [EventType]),
    /// An obligation that runs from the bound party's own knowledge: another party's
    /// trigger (the event at this index) is on record, the bound party's is not.
    NotAware {
        /// The other party's event.
        seen: usize,
    },
    /// A gate examined the event at this index: allowed by an exemption, allowed
    /// because a forbidding condition did not hold, or (both `None`) forbidden.
    Gate {
        /// The event examined.
        event: usize,
        /// The exemption that allowed it.
        exemption: Option<&'a Condition>,
        /// The forbidding condition that did not hold.
        not_forbidden_because: Option<&'a Condition>,
        /// The gate's several-part exception, when it was examined.
        exception: Option<Exception<'a>>,
        /// The condition that leaves a forbidden event to a person's review.
        review: Option<&'a Condition>,
    },
    /// A conflict between the rules in `related`.
    Conflict,
    /// An obligation's clock, not met in time, which the law leaves to a person:
    /// `review` holds for the trigger (the event at this index).
    ClockReview {
        /// The trigger event.
        trigger: usize,
        /// The condition that holds.
        review: &'a crate::pack::ObligationReview,
    },
}

/// The parts of a gate's exception that are on the record, and those that are not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception<'a> {
    /// Parts present.
    pub present: Vec<&'a Condition>,
    /// Parts missing.
    pub missing: Vec<&'a Condition>,
}

/// One rule applied to one bound party (and product).
#[derive(Debug, Clone)]
pub struct Finding<'a> {
    /// The pack of the rule.
    pub pack: &'a Pack,
    /// The rule.
    pub rule: &'a Rule,
    /// The bound party.
    pub party: &'a PartyId,
    /// The product concerned.
    pub product: Option<&'a ProductId>,
    /// Where the party stands.
    pub status: Status,
    /// The evaluation time.
    pub as_of: Timestamp,
    /// When the clock started (obligations) or the event examined happened (gates).
    pub anchor_at: Option<Timestamp>,
    /// When the duty falls due; `None` when there is no numeric deadline.
    pub due_at: Option<Timestamp>,
    /// When the duty was met.
    pub satisfied_at: Option<Timestamp>,
    /// How late: met late by, or overdue by as of the evaluation time.
    pub late_by_hours: Option<f64>,
    /// Indexes of the events the finding rests on, in the case's original order.
    pub evidence: Vec<usize>,
    /// Other rules involved (for conflicts), with their packs.
    pub related: Vec<(&'a Pack, &'a Rule)>,
    /// The interpretation used for a day-based deadline.
    pub interpretation: Option<Interpretation>,
    /// Whether the deadline was set by configuration rather than by the pack.
    pub deadline_configured: bool,
    /// Why it has its status.
    pub explanation: Explanation<'a>,
    /// The content fields the law asks of the notification that no notification on
    /// record carried (`met_incomplete`, or alongside `met_late`).
    pub missing: Vec<&'a ContentField>,
    /// Whether any notification that counts recorded its content at all: when none
    /// did, the fields are not shown by the record, which is not the same as a report
    /// shown to lack them (the status is the same; the words differ).
    pub content_recorded: bool,
}

impl<'a> Finding<'a> {
    /// The rule as `pack/rule`, e.g. `cn-rmsv-2021/art7-2-report`.
    pub fn rule_id(&self) -> String {
        format!("{}/{}", self.pack.id, self.rule.id)
    }

    /// The other rules involved, as `pack/rule`.
    pub fn related_rule_ids(&self) -> Vec<String> {
        self.related.iter().map(|(pack, rule)| format!("{}/{}", pack.id, rule.id)).collect()
    }

    /// The legal source.
    pub fn reference(&self) -> Reference<'a> {
        Reference {
            instrument: &self.pack.instrument,
            version: &self.pack.version,
            article: &self.rule.article,
            confidence: self.rule.confidence,
        }
    }

    /// The sanction a breach exposes the party to: the rule's, when the status is a problem.
    pub fn sanction(&self) -> Option<&'a Text> {
        self.rule.sanction.as_ref().filter(|_| self.status.is_problem())
    }

    /// [`Finding::sanction`] with the research's confidence in its text, e.g. `[V]`,
    /// or "unverified" for \[M\].
    pub fn sanction_marked(&self) -> Option<Text> {
        self.sanction().map(|text| crate::text::sanction(text, self.rule.sanction_confidence))
    }

    /// The notes that go with the finding, in both languages: why a gate applied, the
    /// rule's note, how its days were read, where its deadline comes from.
    pub fn notes(&self, case: &Case) -> Vec<Text> {
        crate::text::notes(case, self)
    }

    /// What the finding means, in both languages, with times in the case's time zone.
    /// `case` must be the case the finding was evaluated on.
    pub fn message(&self, case: &Case) -> Text {
        crate::text::message(case, self)
    }
}
