#![doc = include_str!("../README.md")]

mod builtin;
mod draft;
mod eval;
mod finding;
mod history;
mod holidays;
mod pack;
mod raw;
mod text;

pub use builtin::{BUILTIN_PACK_SOURCES, builtin_packs};
pub use draft::{Draft, DraftField, Origin, Records, draft, drafts, is_open, qualifier_words};
pub use eval::{Options, Settings, evaluate, evaluate_with};
pub use finding::{Exception, Explanation, Finding, Reference, Status};
pub use history::{History, history};
pub use holidays::{BUILTIN_HOLIDAY_SOURCES, HOLIDAYS_SCHEMA, HolidayCalendar, HolidayYear};
pub use pack::{
    Actor, Binding, Condition, Confidence, Conflict, ContentField, Deadline, DeadlineBasis, Gate,
    Interpretation, Obligation, ObligationReview, Pack, PackError, Prefill, Qualifier, Recipients, Relation,
    Requirement, Retention, Rule, RuleKind, Text, TriggerEvent,
};
