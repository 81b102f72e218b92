#![doc = include_str!("../README.md")]

mod access;
mod case;
mod event;
mod ids;
mod intervals;
mod party;
mod product;
mod sanctions;
mod state;
mod vulnerability;

pub use access::{AccountRole, Action, Actor, CaseAccess, PLATFORM_ROLES, Relation, allowed, can};
pub use case::{Case, CaseProblem, ProblemField};
pub use event::{
    Event, EventKind, EventType, EvidenceQuality, NotificationContent, NotificationKind, VendorStatement,
    VendorStatus, VexJustification,
};
pub use ids::{IdTemplate, IdTemplateError};
pub use intervals::{Interval, IntervalKind, QuarterStats, intervals, quarterly, quarterly_from};
pub use party::{Jurisdiction, JurisdictionError, Membership, Party, PartyId, Role, UnknownRole};
pub use product::{EU_MEMBER_STATES, Market, Product, ProductId};
pub use sanctions::{
    Basis, MembershipStatus, OrgEvent, ReviewOutcome, SanctionError, SanctionKind, Standing,
    check as check_org_event, standing, status as membership_status,
};
pub use state::CaseState;
pub use vulnerability::{
    Affected, Ecosystem, IdScheme, Link, Localized, Package, RangeEnd, Reconciled, Score, ThreatEvent,
    ThreatKind, ThreatLevel, ThreatStatus, VersionRange, Vulnerability,
};

/// An instant in time, always in UTC inside the domain; a case carries the time zone
/// used to show and to interpret it.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
