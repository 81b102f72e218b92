//! Access control: the one function, [`can`], that every read or write of a case goes
//! through (API and UI alike). The written matrix is `docs/access.md`; a property test
//! in the server crate checks this function against it.
//!
//! Who may do what follows from the caller's organisation's *relation* to the case
//! (platform, reporter, notified provider, or none) and the caller's account roles:
//!
//! - a platform organisation's analysts and coordinators see and work every case on
//!   their platform (the intake platform, and every platform the case was forwarded
//!   to); only analysts may override a gate;
//! - the reporter's organisation sees its own cases; its reporters and coordinators
//!   add events and comments and may read the exploit code they attached;
//! - a product provider sees a case once it has been notified on it (or acted on it);
//!   its vendor contacts and coordinators add events and comments;
//! - everyone else, including anonymous callers, sees a case only once it is
//!   published, and never its exploit code.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use crate::{Case, CaseState, EventKind, PartyId, Role};

/// What an account may do on the platform, independent of any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountRole {
    /// Submits reports for its organisation (or as an individual).
    Reporter,
    /// A platform analyst: triages, verifies, forwards, publishes, overrides gates.
    Analyst,
    /// A product provider's contact (PSIRT): confirms, records fixes.
    VendorContact,
    /// Coordinates cases for its organisation, whatever its relation to a case.
    Coordinator,
    /// Receives what is published (risk warnings, bulletins).
    Subscriber,
    /// Administers organisations and accounts; no case rights by itself.
    Admin,
}

impl AccountRole {
    /// Every account role.
    pub const ALL: [AccountRole; 6] = [
        AccountRole::Reporter,
        AccountRole::Analyst,
        AccountRole::VendorContact,
        AccountRole::Coordinator,
        AccountRole::Subscriber,
        AccountRole::Admin,
    ];

    /// The wire name, e.g. `vendor_contact`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountRole::Reporter => "reporter",
            AccountRole::Analyst => "analyst",
            AccountRole::VendorContact => "vendor_contact",
            AccountRole::Coordinator => "coordinator",
            AccountRole::Subscriber => "subscriber",
            AccountRole::Admin => "admin",
        }
    }
}

impl fmt::Display for AccountRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AccountRole {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AccountRole::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| format!("unknown account role `{s}`"))
    }
}

/// Who is asking: an account's organisation and roles, or nobody (anonymous).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Actor {
    /// The account's organisation (its party id), if it has one.
    pub org: Option<PartyId>,
    /// The account's roles.
    pub roles: Vec<AccountRole>,
}

impl Actor {
    /// An anonymous caller.
    pub fn anonymous() -> Actor {
        Actor::default()
    }

    /// Whether the actor holds any of `roles`.
    pub fn has_any(&self, roles: &[AccountRole]) -> bool {
        self.roles.iter().any(|r| roles.contains(r))
    }
}

/// Something an actor may want to do with a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See the case: its summary, timeline, report, compliance and export.
    Read,
    /// Download an attachment marked as exploit code.
    ReadExploitCode,
    /// Add a comment.
    Comment,
    /// Record an event on the timeline.
    AppendEvent,
    /// Forward the case along the reporting chain.
    Forward,
    /// Set the planned public date (embargo).
    SetEmbargo,
    /// Record an event that a gate forbids, with a reason.
    OverrideGate,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 7] = [
        Action::Read,
        Action::ReadExploitCode,
        Action::Comment,
        Action::AppendEvent,
        Action::Forward,
        Action::SetEmbargo,
        Action::OverrideGate,
    ];

    /// The name used in docs/access.md.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::ReadExploitCode => "read_exploit_code",
            Action::Comment => "comment",
            Action::AppendEvent => "append_event",
            Action::Forward => "forward",
            Action::SetEmbargo => "set_embargo",
            Action::OverrideGate => "override_gate",
        }
    }
}

/// How an organisation stands to a case; the strongest relation wins, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// A platform the case is on: the intake platform or one it was forwarded to.
    Platform,
    /// The organisation that reported it.
    Reporter,
    /// A provider of one of its products that has been notified on it (or acted on it).
    NotifiedProvider,
    /// None of the above.
    Public,
}

impl Relation {
    /// The name used in docs/access.md.
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Platform => "platform",
            Relation::Reporter => "reporter",
            Relation::NotifiedProvider => "notified_provider",
            Relation::Public => "public",
        }
    }
}

impl FromStr for Relation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Relation::Platform, Relation::Reporter, Relation::NotifiedProvider, Relation::Public]
            .into_iter()
            .find(|relation| relation.as_str() == s)
            .ok_or_else(|| format!("unknown relation `{s}`"))
    }
}

/// The roles that make a party a platform when a case is forwarded to it.
pub const PLATFORM_ROLES: [Role; 6] = [
    Role::RegulatorPlatform,
    Role::NationalVulnerabilityDb,
    Role::InternationalVulnerabilityDb,
    Role::VulnerabilityPlatform,
    Role::CsirtCoordinator,
    Role::PublicSecurity,
];

/// A case as access control sees it: the case, who reported it and where it came in.
#[derive(Debug, Clone, Copy)]
pub struct CaseAccess<'a> {
    /// The case, built from its events.
    pub case: &'a Case,
    /// The reporter's organisation.
    pub reporter: &'a PartyId,
    /// The platform that received the report.
    pub platform: &'a PartyId,
}

impl CaseAccess<'_> {
    /// The relation of `org` to the case.
    pub fn relation(&self, org: &PartyId) -> Relation {
        let case = self.case;
        let notified = case.events().iter().any(|e| e.recipient() == Some(org));
        let provider = case.products().iter().any(|p| &p.provider == org);
        let acted = case.events().iter().any(|e| &e.party == org && !is_membership_event(&e.kind));
        self.decide(org, notified, provider, acted)
    }

    /// The relation of each of `orgs` to the case, as [`CaseAccess::relation`] gives
    /// it, reading the events once for all of them (a case with thousands of parties).
    pub fn relations<'o>(&self, orgs: impl IntoIterator<Item = &'o PartyId>) -> Vec<(&'o PartyId, Relation)> {
        let case = self.case;
        let notified: HashSet<&PartyId> = case.events().iter().filter_map(|e| e.recipient()).collect();
        let providers: HashSet<&PartyId> = case.products().iter().map(|p| &p.provider).collect();
        let acted: HashSet<&PartyId> =
            case.events().iter().filter(|e| !is_membership_event(&e.kind)).map(|e| &e.party).collect();
        orgs.into_iter()
            .map(|org| {
                (org, self.decide(org, notified.contains(org), providers.contains(org), acted.contains(org)))
            })
            .collect()
    }

    /// The relation of `org`, given whether it was notified, provides a product of the
    /// case and recorded an event of its own (membership events aside).
    fn decide(&self, org: &PartyId, notified: bool, provider: bool, acted: bool) -> Relation {
        let forwarded_platform =
            notified && self.case.party(org).is_some_and(|party| party.has_any_role(&PLATFORM_ROLES));
        if org == self.platform || forwarded_platform {
            return Relation::Platform;
        }
        if org == self.reporter {
            return Relation::Reporter;
        }
        if provider && (notified || acted) {
            return Relation::NotifiedProvider;
        }
        Relation::Public
    }

    /// The case's state, derived from its events.
    pub fn state(&self) -> CaseState {
        CaseState::of(self.case)
    }
}

fn is_membership_event(kind: &EventKind) -> bool {
    matches!(kind, EventKind::MembershipSuspended { .. } | EventKind::MembershipRestored { .. })
}

/// Whether `actor` may do `action` on `case`. The one access function: every path
/// that reads or writes a case asks it, and a case the actor may not [`Action::Read`]
/// is answered as if it did not exist.
pub fn can(actor: &Actor, action: Action, case: &CaseAccess<'_>) -> bool {
    let relation = actor.org.as_ref().map_or(Relation::Public, |org| case.relation(org));
    allowed(relation, &actor.roles, case.state(), action)
}

/// The matrix of docs/access.md: whether an actor with `roles`, standing in `relation`
/// to a case in `state`, may do `action`.
pub fn allowed(relation: Relation, roles: &[AccountRole], state: CaseState, action: Action) -> bool {
    use AccountRole::*;
    let any = |wanted: &[AccountRole]| roles.iter().any(|r| wanted.contains(r));
    let public = || action == Action::Read && state.is_published();
    match relation {
        Relation::Platform if any(&[Analyst, Coordinator]) => match action {
            Action::OverrideGate => any(&[Analyst]),
            _ => true,
        },
        // An account with no role at all has no rights beyond the public's.
        Relation::Reporter | Relation::NotifiedProvider if roles.is_empty() => public(),
        Relation::Reporter => match action {
            Action::Read => true,
            Action::ReadExploitCode | Action::Comment | Action::AppendEvent => any(&[Reporter, Coordinator]),
            Action::Forward | Action::SetEmbargo | Action::OverrideGate => false,
        },
        Relation::NotifiedProvider => match action {
            Action::Read => true,
            Action::Comment | Action::AppendEvent => any(&[VendorContact, Coordinator]),
            _ => false,
        },
        // A platform's other accounts, and everyone else: only what is published.
        Relation::Platform | Relation::Public => public(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for role in AccountRole::ALL {
            assert_eq!(role.as_str().parse::<AccountRole>(), Ok(role));
        }
    }

    #[test]
    fn only_analysts_override() {
        for role in AccountRole::ALL {
            let expected = role == AccountRole::Analyst;
            assert_eq!(
                allowed(Relation::Platform, &[role], CaseState::Triaging, Action::OverrideGate),
                expected
            );
        }
    }
}
