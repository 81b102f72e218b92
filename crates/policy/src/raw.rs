//! The TOML shape of a policy pack (`vulnrelay/policy-pack/v1`), kept apart from the
//! checked model in `pack.rs`. Every table rejects unknown keys.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPack {
    pub schema: String,
    pub id: String,
    pub title: RawText,
    pub instrument: RawInstrument,
    pub scope: RawScope,
    pub days: Option<RawDays>,
    #[serde(default)]
    pub rules: Vec<RawRule>,
}

/// How the instrument's days are counted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDays {
    pub timezone: Option<String>,
    pub holidays: Option<String>,
    #[serde(default)]
    pub readings: Vec<String>,
}

/// A sanction's text with the confidence of the research behind it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSanction {
    pub zh: String,
    pub en: String,
    pub confidence: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawText {
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawInstrument {
    pub name: RawText,
    pub version: String,
    pub in_force: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScope {
    pub jurisdictions: Vec<String>,
}

/// One rule; which keys are required depends on `kind`, checked in `pack.rs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    pub id: String,
    pub kind: String,
    pub article: String,
    pub confidence: String,
    pub title: RawText,
    pub note: Option<RawText>,
    pub sanction: Option<RawSanction>,
    pub binds: Option<RawBinding>,
    // obligation
    pub trigger: Option<RawTrigger>,
    pub anchor: Option<RawTrigger>,
    pub required: Option<Vec<RawRequirement>>,
    pub deadline: Option<RawDeadline>,
    pub deadline_basis: Option<String>,
    #[serde(default)]
    pub deadline_configurable: bool,
    /// The fields a notification that meets the obligation must carry.
    #[serde(default)]
    pub content: Vec<RawField>,
    // gate
    pub event: Option<String>,
    #[serde(default)]
    pub applies_when: Vec<String>,
    #[serde(default)]
    pub forbidden_when: Vec<String>,
    #[serde(default)]
    pub unless: Vec<String>,
    #[serde(default)]
    pub exception: Vec<String>,
    #[serde(default)]
    pub review_when: Vec<String>,
    // conflict
    #[serde(default)]
    pub obligations: Vec<String>,
    pub gate: Option<String>,
    // retention
    pub record: Option<String>,
    pub min_age_months: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBinding {
    #[serde(default)]
    pub roles: Vec<String>,
    pub jurisdictions: Option<Vec<String>>,
    #[serde(default)]
    pub relations: Vec<String>,
    pub membership: Option<String>,
    pub market: Option<String>,
    pub applies_from: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTrigger {
    pub events: Vec<String>,
    pub by: String,
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub others_seen: bool,
}

/// One field a notification must carry, with the article that asks for it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawField {
    pub id: String,
    pub article: String,
    pub confidence: String,
    pub label: RawText,
    pub qualifier: Option<String>,
    pub from: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRequirement {
    pub event: String,
    #[serde(default)]
    pub to_any_role: Vec<String>,
    #[serde(default)]
    pub to_all_roles: Vec<String>,
    pub to: Option<String>,
    #[serde(default)]
    pub to_jurisdictions: Vec<String>,
    #[serde(default)]
    pub kinds: Vec<String>,
    pub with_remediation: Option<bool>,
}

/// `deadline = "immediately"`, `deadline = { hours = 24 }`, `deadline = { days = 2 }` or
/// `deadline = { months = 1 }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawDeadline {
    Word(String),
    Amount(BTreeMap<String, u32>),
}
