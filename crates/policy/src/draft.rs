//! Drafts of the notifications a party still owes: for each open obligation met by a
//! notification, the fields its pack says the notification must carry, filled from
//! what the case and its vulnerability records already know, with what is still
//! missing. No IO, no clock: the findings carry the evaluation time.
//!
//! A draft is derived, never stored: the notification it becomes is recorded as a
//! `notified` event carrying its content (and the receiving system's reference).

use std::collections::BTreeMap;

use vulnrelay_domain::{
    Case, EventKind, Jurisdiction, Localized, NotificationContent, NotificationKind, PartyId, RangeEnd, Role,
    ThreatKind, Vulnerability,
};

use crate::finding::{Explanation, Finding, Status};
use crate::pack::{ContentField, Prefill, Qualifier, Recipients, RuleKind};

/// What the case's records hold beyond the case itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Records<'r> {
    /// The vulnerability records linked to the case.
    pub vulnerabilities: &'r [Vulnerability],
    /// Severity lines prepared by the caller from the records' CVSS vectors, e.g.
    /// `CVSS 3.1 10.0 critical (apache: CVSS:3.1/AV:N/...)`; when empty, the vectors
    /// themselves are used.
    pub severity: &'r [String],
    /// What the report that opened the case said, by the packs' field ids (its CN
    /// Art. 7(2) content: `product_name`, `model`, `version`, ...); used before what
    /// the case and records give.
    pub report: Option<&'r BTreeMap<String, String>>,
}

/// Where a draft field's text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A notification on record already carried it.
    Sent,
    /// The report that opened the case said it.
    Report,
    /// Filled from the case or its records.
    Prefilled(Prefill),
}

impl Origin {
    /// The wire name: `sent`, or the prefill source (`member_states`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Sent => "sent",
            Origin::Report => "report",
            Origin::Prefilled(p) => p.as_str(),
        }
    }
}

/// One field of a draft.
#[derive(Debug, Clone)]
pub struct DraftField<'a> {
    /// The field the law asks for.
    pub field: &'a ContentField,
    /// Its text, when the record gives one.
    pub value: Option<String>,
    /// Where the text comes from.
    pub origin: Option<Origin>,
    /// Declared not applicable / not available by a notification on record.
    pub not_applicable: bool,
}

impl DraftField<'_> {
    /// Whether the field is still to be written.
    pub fn is_missing(&self) -> bool {
        !self.not_applicable && self.value.as_deref().is_none_or(|v| v.trim().is_empty())
    }
}

/// A draft of the notification an open obligation asks for.
#[derive(Debug, Clone)]
pub struct Draft<'a> {
    /// The finding of the open obligation (its rule, party, product, clock).
    pub finding: &'a Finding<'a>,
    /// The kind of notification to send (the first the rule accepts).
    pub kind: NotificationKind,
    /// The roles the notification goes to: every one of them (`to_all_roles`) or any.
    pub recipients: Vec<Role>,
    /// Whether every role in `recipients` must receive it.
    pub to_all: bool,
    /// Where the recipient must be established (empty: anywhere).
    pub to_jurisdictions: Vec<Jurisdiction>,
    /// The fields, in the pack's order.
    pub fields: Vec<DraftField<'a>>,
}

impl<'a> Draft<'a> {
    /// The fields still to be written.
    pub fn missing(&self) -> Vec<&'a ContentField> {
        self.fields.iter().filter(|f| f.is_missing()).map(|f| f.field).collect()
    }

    /// The draft's content with `completed` (field id → text) laid over the prefilled
    /// text and `not_applicable` declared for qualified fields only: the content of the
    /// `notified` event that sends it. Unknown field ids are returned as the error.
    pub fn complete(
        &self,
        completed: &BTreeMap<String, String>,
        not_applicable: &[String],
        reference: Option<String>,
    ) -> Result<NotificationContent, Vec<String>> {
        let unknown: Vec<String> = completed
            .keys()
            .chain(not_applicable)
            .filter(|id| !self.fields.iter().any(|f| &f.field.id == *id))
            .cloned()
            .collect();
        let unqualified: Vec<String> = not_applicable
            .iter()
            .filter(|id| self.fields.iter().any(|f| &f.field.id == *id && f.field.qualifier.is_none()))
            .map(|id| format!("{id} (the law asks for it without qualification)"))
            .collect();
        if !unknown.is_empty() || !unqualified.is_empty() {
            return Err(unknown.into_iter().chain(unqualified).collect());
        }
        let mut content = NotificationContent { reference, ..NotificationContent::default() };
        for f in &self.fields {
            let text = completed.get(&f.field.id).or(f.value.as_ref()).filter(|t| !t.trim().is_empty());
            if let Some(text) = text {
                content.fields.insert(f.field.id.clone(), text.clone());
            }
            if not_applicable.contains(&f.field.id) || (f.not_applicable && text.is_none()) {
                content.not_applicable.insert(f.field.id.clone());
            }
        }
        Ok(content)
    }
}

/// Whether a finding is an open duty a draft helps with: pending, overdue, sent
/// without all its content, or waiting for its anchor (a final report before the fix).
/// A duty whose party is not shown to know (`not_started` on another's sighting) is not.
pub fn is_open(finding: &Finding<'_>) -> bool {
    match finding.status {
        Status::Pending | Status::Overdue | Status::MetIncomplete => true,
        Status::NotStarted => matches!(finding.explanation, Explanation::WaitingFor(_)),
        _ => false,
    }
}

/// Drafts for every open obligation of `party` in `findings` (evaluated on `case`) that
/// a notification meets, in the findings' order.
pub fn drafts<'a>(
    case: &Case,
    findings: &'a [Finding<'a>],
    party: &PartyId,
    records: Records<'_>,
) -> Vec<Draft<'a>> {
    findings
        .iter()
        .filter(|f| f.party == party && is_open(f))
        .filter_map(|f| draft(case, f, records))
        .collect()
}

/// The draft for one finding, when its rule is an obligation met by a notification.
pub fn draft<'a>(case: &Case, finding: &'a Finding<'a>, records: Records<'_>) -> Option<Draft<'a>> {
    let RuleKind::Obligation(obligation) = &finding.rule.kind else { return None };
    let requirement =
        obligation.required.iter().find(|r| r.event == vulnrelay_domain::EventType::Notified)?;
    let kind = requirement.kinds.first().copied().unwrap_or(NotificationKind::Report);
    let (recipients, to_all) = match &requirement.to {
        Recipients::AllRoles(roles) => (roles.clone(), true),
        Recipients::AnyRole(roles) => (roles.clone(), false),
        Recipients::ProductProvider => (vec![Role::ProductProvider], false),
        Recipients::Anyone => (Vec::new(), false),
    };
    // Chinese first for a pack that binds parties in China, English otherwise.
    let zh_first = finding.pack.jurisdictions.iter().any(|j| j.as_str() == "CN");
    let sent = sent_content(case, finding);
    let fields = obligation
        .content
        .iter()
        .map(|field| {
            let qualified = field.qualifier.is_some();
            if let Some(text) =
                sent.iter().find_map(|c| c.fields.get(&field.id)).filter(|t| !t.trim().is_empty())
            {
                return DraftField {
                    field,
                    value: Some(text.clone()),
                    origin: Some(Origin::Sent),
                    not_applicable: false,
                };
            }
            if qualified && sent.iter().any(|c| c.not_applicable.contains(&field.id)) {
                return DraftField { field, value: None, origin: Some(Origin::Sent), not_applicable: true };
            }
            if let Some(text) = records.report.and_then(|r| r.get(&field.id)).filter(|t| !t.trim().is_empty())
            {
                return DraftField {
                    field,
                    value: Some(text.clone()),
                    origin: Some(Origin::Report),
                    not_applicable: false,
                };
            }
            let value = field.from.and_then(|source| prefill(source, case, finding, records, zh_first));
            DraftField {
                field,
                origin: value.as_ref().and(field.from.map(Origin::Prefilled)),
                value,
                not_applicable: false,
            }
        })
        .collect();
    Some(Draft {
        finding,
        kind,
        recipients,
        to_all,
        to_jurisdictions: requirement.to_jurisdictions.clone(),
        fields,
    })
}

/// The content of the bound party's notifications among the finding's evidence.
fn sent_content<'c>(case: &'c Case, finding: &Finding<'_>) -> Vec<&'c NotificationContent> {
    finding
        .evidence
        .iter()
        .filter_map(|&i| case.events().get(i))
        .filter(|e| &e.party == finding.party)
        .filter_map(|e| match &e.kind {
            EventKind::Notified { content: Some(content), .. } => Some(content.as_ref()),
            _ => None,
        })
        .collect()
}

fn localized(text: &Localized, zh_first: bool) -> Option<String> {
    let (first, second) = if zh_first { (&text.zh, &text.en) } else { (&text.en, &text.zh) };
    first.as_ref().or(second.as_ref()).filter(|t| !t.trim().is_empty()).cloned()
}

fn join(lines: Vec<String>, zh_first: bool) -> Option<String> {
    let lines: Vec<String> = lines.into_iter().filter(|l| !l.trim().is_empty()).collect();
    (!lines.is_empty()).then(|| lines.join(if zh_first { "；" } else { "; " }))
}

/// The text of a field from `source`, when the record holds it.
fn prefill(
    source: Prefill,
    case: &Case,
    finding: &Finding<'_>,
    records: Records<'_>,
    zh_first: bool,
) -> Option<String> {
    let product = finding.product.and_then(|id| case.products().iter().find(|p| &p.id == id));
    let party_name = |id: &PartyId| {
        case.parties().iter().find(|p| &p.id == id).map_or_else(|| id.0.clone(), |p| p.name.clone())
    };
    let vulns = records.vulnerabilities;
    let concerns = |i: usize| {
        let event = &case.events()[i];
        event.at <= finding.as_of && finding.product.is_none_or(|p| event.concerns(p))
    };
    match source {
        Prefill::ProductName => product.map(|p| p.name.clone()),
        Prefill::ProductVersion => {
            let lines = vulns
                .iter()
                .flat_map(|v| &v.affected)
                .map(|a| {
                    let ranges: Vec<String> = a
                        .ranges
                        .iter()
                        .map(|r| match &r.end {
                            RangeEnd::Fixed(fixed) => format!("[{}, {fixed})", r.introduced),
                            RangeEnd::LastAffected(last) => format!("[{}, {last}]", r.introduced),
                            RangeEnd::Open => format!(">= {}", r.introduced),
                        })
                        .chain(a.versions.iter().cloned())
                        .collect();
                    format!("{} ({}): {}", a.package.product, a.source, ranges.join(", "))
                })
                .collect();
            join(lines, zh_first)
        }
        Prefill::ProductInformation => product.map(|p| {
            let mut text = format!("{} — {}", p.name, party_name(&p.provider));
            if let Some(purl) = &p.purl {
                text.push_str(&format!(" ({purl})"));
            }
            text
        }),
        Prefill::MemberStates => {
            // Only named Member States: "EU" says the market, not where in it.
            let states: Vec<&str> = product
                .map(|p| {
                    p.markets
                        .iter()
                        .map(|m| m.0.as_str())
                        .filter(|m| vulnrelay_domain::EU_MEMBER_STATES.contains(m))
                        .collect()
                })
                .unwrap_or_default();
            (!states.is_empty()).then(|| states.join(", "))
        }
        Prefill::Description => join(
            vulns
                .iter()
                .map(|v| {
                    let ids = std::iter::once(v.id.as_str()).chain(v.aliases.iter().map(String::as_str));
                    let ids: Vec<&str> = ids.collect();
                    match localized(&v.description, zh_first) {
                        Some(d) => format!("{} — {d}", ids.join(", ")),
                        None => String::new(),
                    }
                })
                .collect(),
            zh_first,
        ),
        Prefill::Severity => {
            let lines: Vec<String> = if records.severity.is_empty() {
                vulns
                    .iter()
                    .flat_map(|v| {
                        v.scores.iter().map(move |s| format!("{}: {} ({})", v.id, s.vector, s.source))
                    })
                    .collect()
            } else {
                records.severity.to_vec()
            };
            join(lines, zh_first)
        }
        Prefill::Exploitation => {
            let mut lines: Vec<String> = case
                .events()
                .iter()
                .enumerate()
                .filter(|&(i, e)| concerns(i) && matches!(e.kind, EventKind::Exploited))
                .map(|(_, e)| {
                    let at = e.at.with_timezone(&case.timezone()).format("%Y-%m-%d %H:%M %:z");
                    if zh_first {
                        format!("{}于{at}获知漏洞被积极利用", party_name(&e.party))
                    } else {
                        format!("active exploitation known to {} since {at}", party_name(&e.party))
                    }
                })
                .collect();
            lines.extend(vulns.iter().flat_map(|v| {
                v.threats.iter().filter(|t| t.at <= finding.as_of).map(move |t| {
                    let what = match &t.kind {
                        ThreatKind::FixBypassed { version } => format!("fix_bypassed {version}"),
                        other => other.as_str().to_owned(),
                    };
                    let mut line = format!("{}: {what} ({}, {})", v.id, t.source, t.at.format("%Y-%m-%d"));
                    if let Some(note) = &t.note {
                        line.push_str(&format!(" — {note}"));
                    }
                    line
                })
            }));
            join(lines, zh_first)
        }
        // The records name no actor: threat events say what happened and who reports it.
        Prefill::MaliciousActor => None,
        Prefill::SecurityUpdate => {
            let mut lines: Vec<String> = case
                .events()
                .iter()
                .enumerate()
                .filter(|&(i, _)| concerns(i))
                .filter_map(|(_, e)| match &e.kind {
                    EventKind::FixAvailable { version } => {
                        let at = e.at.with_timezone(&case.timezone()).format("%Y-%m-%d");
                        Some(match (version, zh_first) {
                            (Some(v), true) => format!("{at}提供修补版本 {v}"),
                            (Some(v), false) => format!("fixed version {v} available {at}"),
                            (None, true) => format!("{at}提供修补措施"),
                            (None, false) => format!("fix or mitigation available {at}"),
                        })
                    }
                    _ => None,
                })
                .collect();
            for v in vulns {
                if !v.fixed_versions.is_empty() {
                    lines.push(format!("{}: {}", v.id, v.fixed_versions.join(", ")));
                }
                lines.extend(localized(&v.remediation, zh_first));
            }
            join(lines, zh_first)
        }
        Prefill::ScopeOfImpact => {
            let mut lines: Vec<String> = case
                .products()
                .iter()
                .filter(|p| finding.product.is_none_or(|id| &p.id == id || p.upstream.contains(id)))
                .map(|p| {
                    let markets: Vec<&str> = p.markets.iter().map(|m| m.0.as_str()).collect();
                    if markets.is_empty() {
                        p.name.clone()
                    } else {
                        format!("{} [{}]", p.name, markets.join(", "))
                    }
                })
                .collect();
            lines.extend(vulns.iter().flat_map(|v| {
                v.affected.iter().map(|a| match &a.package.ecosystem {
                    Some((_, name)) => format!("{} ({name})", a.package.product),
                    None => a.package.product.clone(),
                })
            }));
            lines.dedup();
            join(lines, zh_first)
        }
    }
}

/// Whether a field is qualified ("where applicable", "where available").
pub fn qualifier_words(qualifier: Qualifier) -> crate::Text {
    match qualifier {
        Qualifier::WhereApplicable => {
            crate::Text { zh: "如适用".to_owned(), en: "where applicable".to_owned() }
        }
        Qualifier::WhereAvailable => {
            crate::Text { zh: "如有".to_owned(), en: "where available".to_owned() }
        }
    }
}
