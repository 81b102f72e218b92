//! The state of a case, derived from its events (the event log is the truth).
//!
//! ```text
//! received → triaging → confirmed | rejected | duplicate → coordinating → fix_available → published → closed
//! ```
//!
//! The main line only moves forward: each event proposes a state and the case keeps
//! the furthest one reached, so an imported story without workflow events (no
//! `triage_started`, no `verified`) still reaches `published` by its `published` event.

use std::fmt;
use std::str::FromStr;

use crate::{Case, EventKind, EventType};

/// Where a case stands in its workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CaseState {
    /// The report came in; nobody has looked at it yet.
    Received,
    /// A platform is triaging it.
    Triaging,
    /// The vulnerability was verified.
    Confirmed,
    /// Rejected: not a vulnerability.
    Rejected,
    /// A duplicate of another case.
    Duplicate,
    /// Confirmed and being coordinated with other parties (someone was notified).
    Coordinating,
    /// A fix or mitigation is available.
    FixAvailable,
    /// The vulnerability was published.
    Published,
    /// The case is closed.
    Closed,
}

impl CaseState {
    /// Every state, in workflow order.
    pub const ALL: [CaseState; 9] = [
        CaseState::Received,
        CaseState::Triaging,
        CaseState::Confirmed,
        CaseState::Rejected,
        CaseState::Duplicate,
        CaseState::Coordinating,
        CaseState::FixAvailable,
        CaseState::Published,
        CaseState::Closed,
    ];

    /// The wire name, e.g. `fix_available`.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Received => "received",
            CaseState::Triaging => "triaging",
            CaseState::Confirmed => "confirmed",
            CaseState::Rejected => "rejected",
            CaseState::Duplicate => "duplicate",
            CaseState::Coordinating => "coordinating",
            CaseState::FixAvailable => "fix_available",
            CaseState::Published => "published",
            CaseState::Closed => "closed",
        }
    }

    /// The state of `case`: its events folded in time order with [`CaseState::after`].
    ///
    /// A fix counts only when the product's provider or a platform of the case records
    /// it, and the case becomes published only when a platform or the provider
    /// publishes: a reporter's own `published` event records its own disclosure (the
    /// gates judge it) but never opens the case to the public, and a reporter cannot
    /// record a fix for someone else's product.
    pub fn of(case: &Case) -> CaseState {
        case.chronological().into_iter().fold(CaseState::Received, |state, i| {
            let event = &case.events()[i];
            match event.kind {
                EventKind::FixAvailable { .. } | EventKind::Published { .. }
                    if !speaks_for_the_case(case, event) =>
                {
                    state
                }
                _ => state.after(&event.kind),
            }
        })
    }

    /// The state after an event of `kind` happens in this state (whoever recorded it;
    /// [`CaseState::of`] decides whose events move a case).
    pub fn after(self, kind: &EventKind) -> CaseState {
        use CaseState::*;
        let proposed = match kind {
            EventKind::TriageStarted => Triaging,
            EventKind::Verified => Confirmed,
            EventKind::Rejected => return if self.is_open_for_decision() { Rejected } else { self },
            EventKind::Duplicate { .. } => return if self.is_open_for_decision() { Duplicate } else { self },
            EventKind::Notified { .. } if self >= Confirmed => Coordinating,
            EventKind::FixAvailable { .. } => FixAvailable,
            EventKind::Published { .. } => Published,
            EventKind::Closed => return Closed,
            _ => self,
        };
        match self {
            // A rejected or duplicate case stays so until it is closed.
            Rejected | Duplicate | Closed => self,
            _ => self.max(proposed),
        }
    }

    /// Whether the case is still before a verdict (received or triaging), so that it
    /// can be rejected or marked a duplicate.
    pub fn is_open_for_decision(self) -> bool {
        matches!(self, CaseState::Received | CaseState::Triaging)
    }

    /// Whether a new event of type `event` may be recorded in this state: nothing after
    /// `closed`; a verdict (`rejected`, `duplicate`) only before one; `triage_started`
    /// only on a received case; on a rejected or duplicate case only `closed` and
    /// notifications (telling the reporter).
    pub fn accepts(self, event: EventType) -> bool {
        use CaseState::*;
        match (self, event) {
            (Closed, _) => false,
            (Rejected | Duplicate, EventType::Closed | EventType::Notified) => true,
            (Rejected | Duplicate, _) => false,
            (_, EventType::TriageStarted) => self == Received,
            (_, EventType::Rejected | EventType::Duplicate) => self.is_open_for_decision(),
            _ => true,
        }
    }

    /// Whether the case has been published (the public may see it).
    pub fn is_published(self) -> bool {
        self == CaseState::Published
    }
}

/// Whether `event`'s party may move the case to fixed or published: a platform of the
/// case (a party with a platform role) or the provider of the event's product (of any
/// product when the event names none).
fn speaks_for_the_case(case: &Case, event: &crate::Event) -> bool {
    let platform = case.party(&event.party).is_some_and(|p| p.has_any_role(&crate::PLATFORM_ROLES));
    let provider = case
        .products()
        .iter()
        .filter(|p| event.product.as_ref().is_none_or(|id| &p.id == id))
        .any(|p| p.provider == event.party);
    platform || provider
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CaseState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CaseState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| format!("unknown case state `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NotificationKind, PartyId};

    fn fold(kinds: &[EventKind]) -> CaseState {
        kinds.iter().fold(CaseState::Received, |s, k| s.after(k))
    }

    #[test]
    fn the_main_line() {
        let notify = EventKind::Notified {
            to: PartyId("v".into()),
            kind: NotificationKind::Report,
            exploited: false,
            with_exploit_code: false,
            content: None,
        };
        assert_eq!(fold(std::slice::from_ref(&notify)), CaseState::Received);
        assert_eq!(fold(&[EventKind::TriageStarted]), CaseState::Triaging);
        assert_eq!(fold(&[EventKind::TriageStarted, EventKind::Verified]), CaseState::Confirmed);
        assert_eq!(fold(&[EventKind::Verified, notify.clone()]), CaseState::Coordinating);
        let fix = EventKind::FixAvailable { version: None };
        assert_eq!(fold(&[EventKind::Verified, notify, fix.clone()]), CaseState::FixAvailable);
        let publish = EventKind::Published { with_remediation: true, with_exploit_code: false };
        assert_eq!(fold(&[fix, publish.clone()]), CaseState::Published);
        assert_eq!(fold(&[publish, EventKind::Closed]), CaseState::Closed);
    }

    #[test]
    fn verdicts_only_before_confirmation() {
        assert_eq!(fold(&[EventKind::TriageStarted, EventKind::Rejected]), CaseState::Rejected);
        assert_eq!(fold(&[EventKind::Verified, EventKind::Rejected]), CaseState::Confirmed);
        assert_eq!(
            fold(&[EventKind::Duplicate { of: "c1".into() }, EventKind::Verified]),
            CaseState::Duplicate
        );
        assert!(!CaseState::Confirmed.accepts(EventType::Rejected));
        assert!(CaseState::Triaging.accepts(EventType::Duplicate));
        assert!(!CaseState::Triaging.accepts(EventType::TriageStarted));
        assert!(!CaseState::Closed.accepts(EventType::Notified));
        assert!(CaseState::Rejected.accepts(EventType::Closed));
        assert!(!CaseState::Rejected.accepts(EventType::Published));
    }

    #[test]
    fn names_round_trip() {
        for state in CaseState::ALL {
            assert_eq!(state.as_str().parse::<CaseState>(), Ok(state));
        }
    }
}
