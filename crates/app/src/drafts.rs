//! Drafts of the notifications an organisation owes on a case, both regimes side by
//! side: for each open obligation met by a notification, its fields prefilled from the
//! case and its vulnerability records (`vulnrelay_policy::drafts`), what is missing,
//! and sending one — a `notified` event per recipient, with the completed content and
//! the receiving system's reference, through the same write path and gates as every
//! other event.
//!
//! Who sees a draft: the obligated organisation's own members, and the analysts and
//! coordinators of the case's platforms (`relations::works_on`); both must be able to
//! read the case. Nobody else, whatever else they may read of the case.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use vulnrelay_domain::{Action, PartyId, Role, Vulnerability};
use vulnrelay_policy::{Draft, Finding, Interpretation, Options, Records, Status};

use crate::App;
use crate::caller::Caller;
use crate::casefile::{Loaded, authorize};
use crate::error::{Error, Result};

/// A case, the organisation whose duties are drafted, and the records the drafts are
/// filled from.
pub struct Drafting {
    /// The case.
    pub loaded: Loaded,
    /// The obligated organisation.
    pub org: PartyId,
    /// The case's vulnerability records.
    pub records: Vec<Vulnerability>,
    /// Severity lines from the records' CVSS vectors.
    pub severity: Vec<String>,
    /// The CN Art. 7(2) content of the report that opened the case, by field id.
    pub report: Option<BTreeMap<String, String>>,
    /// The evaluation time.
    pub as_of: DateTime<Utc>,
}

impl Drafting {
    /// Loads case `id` for `caller`, drafting the duties of `org` (default: the
    /// caller's organisation). 404 when the case is not readable; 403 when the caller
    /// is neither a member of `org` nor works the case as one of its platforms.
    pub async fn load(state: &App, caller: &Caller, id: &str, org: Option<&str>) -> Result<Drafting> {
        let account = caller.require()?;
        let loaded = authorize(state, caller, id, Action::Read).await?;
        let own = account.org_id.as_deref();
        let org = match (org, own) {
            (None, Some(own)) => own.to_owned(),
            (Some(wanted), Some(own)) if wanted == own => own.to_owned(),
            (Some(wanted), _) if crate::relations::works_on(caller, &loaded) => wanted.to_owned(),
            _ => {
                return Err(Error::forbidden(
                    "drafts are for the obligated organisation's members and the case's platforms",
                ));
            }
        };
        let (records, report) = case_sources(state, id).await?;
        let severity = severity_lines(&records);
        Ok(Drafting { loaded, org: PartyId(org), records, severity, report, as_of: Utc::now() })
    }

    /// The findings of every pack, as of now.
    pub fn findings<'a>(&'a self, state: &'a App) -> Vec<Finding<'a>> {
        state.evaluate(
            &self.loaded.case,
            &Options { as_of: self.as_of, interpretation: Interpretation::Hours },
        )
    }

    /// The drafts of the organisation's open duties among `findings`.
    pub fn drafts<'a>(&'a self, findings: &'a [Finding<'a>]) -> Vec<Draft<'a>> {
        let records = Records {
            vulnerabilities: &self.records,
            severity: &self.severity,
            report: self.report.as_ref(),
        };
        vulnrelay_policy::drafts(&self.loaded.case, findings, &self.org, records)
    }
}

/// What a case's drafts are filled from besides the case: its vulnerability records,
/// and the CN Art. 7(2) content of the report that opened it (none for an imported
/// case).
pub async fn case_sources(
    state: &App,
    case_id: &str,
) -> Result<(Vec<Vulnerability>, Option<BTreeMap<String, String>>)> {
    let mut records = Vec::new();
    for stored in state.store.vulnerabilities(Some(case_id)).await? {
        records.push(crate::distribution::decode(&stored)?);
    }
    let report = match state.store.report(case_id).await {
        Ok(report) => Some(report_fields(&report.body)),
        Err(vulnrelay_store::StoreError::NotFound { .. }) => None,
        Err(other) => return Err(other.into()),
    };
    Ok((records, report))
}

/// The CN Art. 7(2) content of a report (`POST /api/v1/reports`) by the packs' field
/// ids: the product's name, model and affected versions, the technical
/// characteristics, harm and scope of impact.
fn report_fields(body: &Value) -> BTreeMap<String, String> {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let mut out = BTreeMap::new();
    let product = &body["product"];
    let mut put = |id: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
            out.insert(id.to_owned(), value);
        }
    };
    put("product_name", text(&product["name"]));
    put("model", text(&product["model"]));
    put(
        "version",
        product["affected_versions"]
            .as_array()
            .map(|vs| vs.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")),
    );
    for id in ["technical_characteristics", "harm", "scope_of_impact"] {
        put(id, text(&body[id]));
    }
    out
}

/// "CVSS 3.1 10.0 CRITICAL (apache, CVE-2021-44228)" for each score on record.
fn severity_lines(records: &[Vulnerability]) -> Vec<String> {
    records
        .iter()
        .flat_map(|v| {
            v.scores.iter().filter_map(move |s| {
                vulnrelay_formats::severity::score(&s.vector).ok().map(|scored| {
                    format!(
                        "CVSS {} {:.1} {} ({}, {}: {})",
                        scored.version.as_str(),
                        scored.base_score,
                        scored.rating.as_str(),
                        v.id,
                        s.source,
                        scored.vector
                    )
                })
            })
        })
        .collect()
}

/// A draft's identity on the case: `pack/rule` and the product.
pub fn draft_key(draft: &Draft<'_>) -> (String, Option<String>) {
    (draft.finding.rule_id(), draft.finding.product.map(|p| p.0.clone()))
}

/// One draft as JSON: the duty, its clock, the notification to send, and its fields.
pub fn draft_json(loaded: &Loaded, draft: &Draft<'_>) -> Value {
    let f = draft.finding;
    let tz = loaded.case.timezone();
    let time = |t: Option<DateTime<Utc>>| t.map(|t| t.with_timezone(&tz).to_rfc3339());
    let fields: Vec<Value> = draft
        .fields
        .iter()
        .map(|field| {
            json!({
                "id": field.field.id,
                "article": field.field.article,
                "confidence": field.field.confidence.tag(),
                "label": {"en": field.field.label.en, "zh": field.field.label.zh},
                "qualifier": field.field.qualifier.map(|q| q.as_str()),
                "value": field.value,
                "origin": field.origin.map(|o| o.as_str()),
                "not_applicable": field.not_applicable,
                "missing": field.is_missing(),
            })
        })
        .collect();
    let message = f.message(&loaded.case);
    json!({
        "rule": f.rule_id(),
        "policy": f.pack.id,
        "article": f.rule.article,
        "confidence": f.rule.confidence.tag(),
        "title": {"en": f.rule.title.en, "zh": f.rule.title.zh},
        "party": f.party.0,
        "product": f.product.map(|p| &p.0),
        "status": f.status.as_str(),
        "anchor_at": time(f.anchor_at),
        "due_at": time(f.due_at),
        "message": {"en": message.en, "zh": message.zh},
        "kind": draft.kind.as_str(),
        "recipients": draft.recipients.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "to_all": draft.to_all,
        "to_jurisdictions": draft.to_jurisdictions.iter().map(|j| j.as_str()).collect::<Vec<_>>(),
        "fields": fields,
        "missing": draft.missing().iter().map(|m| &m.id).collect::<Vec<_>>(),
    })
}

/// `GET /api/v1/cases/{id}/drafts`: the notifications `org` (default: the caller's
/// organisation) still owes on the case, as [`drafts_json`].
pub async fn list(state: &App, caller: &Caller, id: &str, org: Option<&str>) -> Result<Value> {
    let drafting = Drafting::load(state, caller, id, org).await?;
    Ok(drafts_json(state, &drafting))
}

/// The drafts of `drafting`, regime by regime (pack order), with the conflicts between
/// regimes that bind the organisation.
pub fn drafts_json(state: &App, drafting: &Drafting) -> Value {
    let findings = drafting.findings(state);
    let drafts = drafting.drafts(&findings);
    let loaded = &drafting.loaded;
    let regimes: Vec<Value> = state
        .packs
        .iter()
        .filter(|pack| drafts.iter().any(|d| d.finding.pack.id == pack.id))
        .map(|pack| {
            json!({
                "policy": pack.id,
                "title": {"en": pack.title.en, "zh": pack.title.zh},
                "drafts": drafts.iter().filter(|d| d.finding.pack.id == pack.id).map(|d| draft_json(loaded, d)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let conflicts: Vec<Value> = findings
        .iter()
        .filter(|f| f.party == &drafting.org && f.status == Status::Conflict)
        .map(|f| {
            let message = f.message(&loaded.case);
            json!({"rule": f.rule_id(), "related": f.related_rule_ids(), "message": {"en": message.en, "zh": message.zh}})
        })
        .collect();
    json!({
        "case": loaded.record.id,
        "org": drafting.org.0,
        "as_of": drafting.as_of.to_rfc3339(),
        "regimes": regimes,
        "conflicts": conflicts,
    })
}

/// What the sender completed: field texts, qualified fields declared not to apply, the
/// receiving system's reference, and (optionally) the recipients.
#[derive(Debug, Default)]
pub struct Completion {
    /// `pack/rule` of the draft.
    pub rule: String,
    /// The product of the draft, when the case has several.
    pub product: Option<String>,
    /// Field id → text.
    pub fields: BTreeMap<String, String>,
    /// Qualified fields declared not to apply.
    pub not_applicable: Vec<String>,
    /// The reference the receiving system gave the submission.
    pub reference: Option<String>,
    /// Recipients' organisation ids; default: for each role, a party of the case with
    /// it, else an active organisation on the platform with it.
    pub to: Vec<String>,
}

/// Sends a draft: one `notified` event per recipient, with the completed content, by
/// the caller (through `append_event`: the gates, the forwarding rules, the hash
/// chain). Only the obligated organisation's members may send its notifications.
pub async fn send(state: &App, caller: &Caller, id: &str, completion: Completion) -> Result<Value> {
    let drafting = Drafting::load(state, caller, id, None).await?;
    let account = caller.require()?;
    if account.org_id.as_deref() != Some(drafting.org.0.as_str()) {
        return Err(Error::forbidden("only the obligated organisation sends its notifications"));
    }
    let findings = drafting.findings(state);
    let drafts = drafting.drafts(&findings);
    let draft = drafts
        .iter()
        .find(|d| {
            let (rule, product) = draft_key(d);
            rule == completion.rule && (completion.product.is_none() || product == completion.product)
        })
        .ok_or_else(|| Error::not_found("open obligation of your organisation with that rule"))?;
    let reference = completion.reference.filter(|r| !r.trim().is_empty());
    let content =
        draft.complete(&completion.fields, &completion.not_applicable, reference).map_err(|bad| {
            Error::invalid(
                bad.into_iter()
                    .map(|b| ("$.fields".to_owned(), format!("not a field of this notification: {b}")))
                    .collect(),
            )
        })?;
    let recipients = if completion.to.is_empty() {
        default_recipients(state, &drafting.loaded, draft).await?
    } else {
        completion.to.clone()
    };
    if recipients.is_empty() {
        return Err(Error::invalid(vec![(
            "$.to".into(),
            format!(
                "no organisation with the role {} on the case or the platform: name the recipients",
                draft.recipients.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" / ")
            ),
        )]));
    }
    let kind = draft.kind;
    let product = draft.finding.product.map(|p| p.0.clone());
    let content = vulnrelay_formats::case_file::content_to_value(&content);
    drop(drafts);
    let mut answers = Vec::new();
    for to in recipients {
        let details = [("to", json!(to)), ("kind", json!(kind.as_str())), ("content", content.clone())];
        let event = crate::cases::EventBody {
            event_type: vulnrelay_domain::EventType::Notified,
            at: None,
            party: None,
            product: product.clone(),
            note: None,
            override_reason: None,
            details: details.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        };
        answers.push(crate::cases::append_event(state, caller, id, event).await?);
    }
    Ok(json!({"sent": answers}))
}

/// For each role the draft names (every one, or the first for "any of"), a party of the
/// case with it, else an active organisation on the platform with it (and in the
/// jurisdictions the rule requires).
async fn default_recipients(state: &App, loaded: &Loaded, draft: &Draft<'_>) -> Result<Vec<String>> {
    let roles: Vec<Role> = if draft.to_all {
        draft.recipients.clone()
    } else {
        draft.recipients.iter().take(1).copied().collect()
    };
    let fits = |jurisdiction: &vulnrelay_domain::Jurisdiction| {
        draft.to_jurisdictions.is_empty() || draft.to_jurisdictions.contains(jurisdiction)
    };
    let mut out = Vec::new();
    for role in roles {
        if let Some(p) = loaded.case.parties().iter().find(|p| p.has_role(role) && fits(&p.jurisdiction)) {
            out.push(p.id.0.clone());
            continue;
        }
        // The organisations holding the role, by id, through the roles' index.
        let mut after = None;
        loop {
            let filter = vulnrelay_store::OrgFilter {
                status: Some(vulnrelay_store::Status::Active),
                roles: &[role],
                after: after.as_deref(),
                limit: 50,
                ..Default::default()
            };
            let (orgs, next) = crate::orgs::page(state, filter).await?;
            if let Some(org) = orgs.iter().find(|o| fits(&o.jurisdiction)) {
                out.push(org.id.clone());
                break;
            }
            match next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
    }
    Ok(out)
}

/// What a reminder says of the draft for a deadline: ready, and what is missing.
pub fn reminder_words(draft: &Draft<'_>) -> vulnrelay_policy::Text {
    let missing = draft.missing();
    if missing.is_empty() {
        return vulnrelay_policy::Text { en: "draft ready".into(), zh: "草稿已就绪".into() };
    }
    let en: Vec<&str> = missing.iter().map(|m| m.label.en.as_str()).collect();
    let zh: Vec<&str> = missing.iter().map(|m| m.label.zh.as_str()).collect();
    vulnrelay_policy::Text {
        en: format!("draft ready; {} missing", en.join(", ")),
        zh: format!("草稿已就绪；缺少{}", zh.join("、")),
    }
}
