//! Gates at the moment of action: a new event is checked by evaluating the case with
//! the event appended; a `violated` finding that rests on the new event means a gate
//! rule forbids it.

use serde_json::{Value, json};
use vulnrelay_domain::{Case, Timestamp};
use vulnrelay_policy::{Interpretation, Options, Pack, RuleKind, Status, evaluate};

/// A gate rule that forbids a new event.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// `pack/rule`.
    pub rule: String,
    /// The article.
    pub article: String,
    /// The instrument's name (English).
    pub instrument: String,
    /// The finding's message (English).
    pub message: String,
}

/// The gate findings of `case` (the current case plus the new events at
/// `new_events`, indexes into `case.events()`) that are violated by a new event.
pub fn refusals(case: &Case, new_events: &[usize], packs: &[Pack], as_of: Timestamp) -> Vec<Refusal> {
    // Only gates refuse: the obligations (the costly part on a case with thousands of
    // parties and products) are not evaluated here.
    let gates: Vec<Pack> = packs
        .iter()
        .map(|p| Pack {
            rules: p.rules.iter().filter(|r| matches!(r.kind, RuleKind::Gate(_))).cloned().collect(),
            ..p.clone()
        })
        .collect();
    let findings = evaluate(case, &gates, &Options { as_of, interpretation: Interpretation::Hours });
    findings
        .iter()
        .filter(|f| f.status == Status::Violated && matches!(f.rule.kind, RuleKind::Gate(_)))
        .filter(|f| f.evidence.iter().any(|i| new_events.contains(i)))
        .map(|f| Refusal {
            rule: f.rule_id(),
            article: f.rule.article.clone(),
            instrument: f.pack.instrument.en.clone(),
            message: f.message(case).en,
        })
        .collect()
}

/// Each refusing rule as the API names it: `{rule, article, instrument, message}`.
pub fn details(refusals: &[Refusal]) -> Vec<Value> {
    refusals
        .iter()
        .map(|r| json!({"rule": r.rule, "article": r.article, "instrument": r.instrument, "message": r.message}))
        .collect()
}
