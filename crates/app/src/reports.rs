//! Report intake and the receipt log.
//!
//! A report carries the content CN Art. 7(2) requires: the product (name, model,
//! affected versions, its provider if known), the vulnerability's technical
//! characteristics, its harm and scope of impact, and when it was discovered and the
//! reporter became aware of it; optionally a CVSS v3 vector and attachments (size-capped;
//! one marked as exploit code is never published). Missing content is a problem listing
//! every missing field. An intake opens a case on the receiving platform with the
//! first events (discovered, aware, notified to the platform) and writes a receipt.

use std::collections::BTreeMap;

use base64::Engine;
use chrono_tz::Tz;
use serde_json::{Map, Value, json};
use vulnrelay_domain::{AccountRole, Event, EventKind, NotificationKind, PLATFORM_ROLES, PartyId, Timestamp};
use vulnrelay_formats::case_file;
use vulnrelay_store::{Fragment, NewAttachment, NewEvent, NewReport, Organisation, StoreError};

use crate::App;
use crate::caller::Caller;
use crate::cases::{notification, run_forwards};
use crate::error::{Error, Result};
use crate::input::{Body, Checker};

/// The fields of a report.
pub const REPORT_FIELDS: [&str; 12] = [
    "title",
    "platform",
    "timezone",
    "product",
    "technical_characteristics",
    "harm",
    "scope_of_impact",
    "discovered_at",
    "aware_at",
    "cvss_vector",
    "attachments",
    "note",
];

/// The party id of a product provider the reporter does not know.
pub const UNKNOWN_PROVIDER: &str = "unknown-provider";

/// What an intake did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The report was taken in and its case opened.
    Opened,
    /// The idempotency key was seen before: the first intake, nothing written.
    Repeated,
    /// [`Intake::CheckOnly`]: the report passes; nothing written.
    Passed,
}

/// What [`take_in`] does with a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    /// Checks it and reports every problem; writes nothing (the web form, when it has
    /// problems of its own, shows the intake's beside them in the same round).
    CheckOnly,
    /// Checks it and, when it passes, takes it in.
    Take,
}

/// A report's product: what CN Art. 7(2) asks of it.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct ReportProduct {
    /// Its name.
    pub name: String,
    /// Its model.
    pub model: String,
    /// The affected versions (at least one).
    pub affected_versions: Vec<String>,
    /// Its provider's organisation id, if the reporter knows it.
    pub provider: Option<String>,
    /// Its package URL (`pkg:type/...`).
    pub purl: Option<String>,
}

/// An attachment of a report (size-capped by the instance's configuration).
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct ReportAttachment {
    /// A plain file name (no path).
    pub filename: String,
    /// Its media type (default `application/octet-stream`).
    pub media_type: Option<String>,
    /// The content, base64-encoded.
    #[schema(value_type = String, format = Byte)]
    pub content_base64: Vec<u8>,
    /// Whether it is exploit code (never published).
    pub exploit_code: Option<bool>,
}

/// Body of `POST /api/v1/reports`: the content CN Art. 7(2) requires of a report.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct ReportBody {
    /// A title (default: "Vulnerability in PRODUCT"; at most 300 characters).
    pub title: Option<String>,
    /// The receiving platform's organisation id (default: the reporter's membership
    /// route, else the instance's default platform).
    pub platform: Option<String>,
    /// The IANA time zone of the report's dates (default `Asia/Shanghai`).
    #[schema(value_type = Option<String>)]
    pub timezone: Option<Tz>,
    /// The product.
    pub product: ReportProduct,
    /// The vulnerability's technical characteristics.
    pub technical_characteristics: String,
    /// Its harm.
    pub harm: String,
    /// Its scope of impact.
    pub scope_of_impact: String,
    /// When it was discovered (RFC 3339, or a date in `timezone`).
    #[schema(value_type = String)]
    pub discovered_at: Timestamp,
    /// When the reporter became aware of it (default: when it was discovered).
    #[schema(value_type = Option<String>)]
    pub aware_at: Option<Timestamp>,
    /// A CVSS v3 vector.
    pub cvss_vector: Option<String>,
    /// Attachments.
    pub attachments: Option<Vec<ReportAttachment>>,
    /// A note.
    pub note: Option<String>,
}

impl Body for ReportBody {
    const FIELDS: &'static [&'static str] = &REPORT_FIELDS;

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        let now = chrono::Utc::now();
        let timezone = check.string(object, "$", "timezone", false).and_then(|name| {
            name.parse::<Tz>()
                .map_err(|_| check.problem("$.timezone", format!("`{name}` is not an IANA time zone")))
                .ok()
        });
        let tz = match object.get("timezone") {
            Some(Value::String(_)) => timezone.unwrap_or(Tz::UTC),
            _ => Tz::Asia__Shanghai,
        };
        let mut product = None;
        match object.get("product") {
            None | Some(Value::Null) => check.problem("$.product", "missing required field"),
            Some(value) => {
                if let Some(p) = check.object(
                    value,
                    "$.product",
                    &["name", "model", "affected_versions", "provider", "purl"],
                ) {
                    let name = check.string(p, "$.product", "name", true).map(str::to_owned);
                    let model = check.string(p, "$.product", "model", true).map(str::to_owned);
                    let affected_versions = check.non_empty_strings(p, "$.product", "affected_versions");
                    let provider = check.string(p, "$.product", "provider", false).map(str::to_owned);
                    let purl = check.string(p, "$.product", "purl", false).map(str::to_owned);
                    if let Some(purl) = &purl
                        && !purl.starts_with("pkg:")
                    {
                        check.problem(
                            "$.product.purl",
                            format!("`{purl}` is not a package URL (pkg:type/...)"),
                        );
                    }
                    if let (Some(name), Some(model)) = (name, model) {
                        product = Some(ReportProduct { name, model, affected_versions, provider, purl });
                    }
                }
            }
        }
        let texts = ["technical_characteristics", "harm", "scope_of_impact"]
            .map(|field| check.string(object, "$", field, true).map(str::to_owned));
        let discovered_at = check.event_time(object, "$", "discovered_at", true, tz, now);
        let aware_at = check.event_time(object, "$", "aware_at", false, tz, now);
        if let (Some(d), Some(a)) = (discovered_at, aware_at)
            && a < d
        {
            check.problem("$.aware_at", "must not be before discovered_at");
        }
        let cvss_vector = check.string(object, "$", "cvss_vector", false).map(str::to_owned);
        if let Some(vector) = &cvss_vector
            && let Err(e) = vulnrelay_formats::severity::score(vector)
        {
            check.problem("$.cvss_vector", format!("not a CVSS vector: {}", e.reason));
        }
        let attachments = read_attachments(check, object.get("attachments"));
        let title = check.string(object, "$", "title", false).map(str::to_owned);
        for (field, max) in [
            ("title", TITLE_MAX_CHARS),
            ("technical_characteristics", TEXT_MAX_CHARS),
            ("harm", TEXT_MAX_CHARS),
            ("scope_of_impact", TEXT_MAX_CHARS),
        ] {
            if let Some(text) = object.get(field).and_then(Value::as_str)
                && text.chars().count() > max
            {
                check.problem(format!("$.{field}"), format!("longer than {max} characters"));
            }
        }
        let platform = check.string(object, "$", "platform", false).map(str::to_owned);
        let note = check.string(object, "$", "note", false).map(str::to_owned);
        let [Some(technical_characteristics), Some(harm), Some(scope_of_impact)] = texts else {
            return None;
        };
        Some(ReportBody {
            title,
            platform,
            timezone,
            product: product?,
            technical_characteristics,
            harm,
            scope_of_impact,
            discovered_at: discovered_at?,
            aware_at,
            cvss_vector,
            attachments,
            note,
        })
    }
}

/// A report as submitted: what it says, read into a [`ReportBody`], and the JSON as
/// sent, which the record keeps (its attachments' content aside) with the digest that
/// tells a retry from another report under the same idempotency key.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The report, read.
    pub report: ReportBody,
    /// The JSON as sent.
    pub verbatim: Value,
}

impl Submission {
    /// Reads a submitted report: every problem of its content at once.
    pub fn read(verbatim: Value) -> Result<Submission> {
        let report = crate::input::read(&verbatim)?;
        Ok(Submission { report, verbatim })
    }
}

/// Takes a report in (the body of `POST /api/v1/reports`, also built by the web UI's
/// report form) through `channel` (`api`, `web`): checks what it refers to and the
/// instance's limits, opens its case, writes the receipt and runs the forwarding rules.
/// Answers [`Outcome::Opened`] and the intake, or [`Outcome::Repeated`] and the first
/// intake when `idempotency_key` was seen before; with [`Intake::CheckOnly`],
/// [`Outcome::Passed`] and `null` once it passes.
pub async fn take_in(
    state: &App,
    caller: &Caller,
    idempotency_key: Option<&str>,
    channel: &str,
    submission: Submission,
    intake: Intake,
) -> Result<(Outcome, Value)> {
    let account = caller.require_role(&[AccountRole::Reporter, AccountRole::Coordinator])?;
    let Some(reporter_org) = account.org_id.clone() else {
        return Err(Error::forbidden("the account belongs to no organisation"));
    };
    let now = chrono::Utc::now();
    let Submission { report: body, verbatim } = submission;
    let tz = body.timezone.unwrap_or(Tz::Asia__Shanghai);
    let mut check = Checker::default();
    let attachments =
        attachments_within_limits(&mut check, body.attachments.unwrap_or_default(), &state.config);
    let cvss = body
        .cvss_vector
        .as_deref()
        .and_then(|vector| vulnrelay_formats::severity::score(vector).ok())
        .map(|scored| (scored.vector, scored.base_score));
    // References to organisations: each one must exist. Every organisation the case may
    // involve (the reporter, a named provider and platform, else the platforms the
    // routes and the default lead to) is read at once, with its membership history
    // (the parties' fragments need both): one statement, however many.
    let mut wanted: Vec<&str> = vec![reporter_org.as_str()];
    wanted.extend(body.product.provider.as_deref());
    match body.platform.as_deref() {
        Some(named) => wanted.push(named),
        None => {
            wanted.extend(state.config.forwarding.member_routes.iter().map(|r| r.platform.as_str()));
            wanted.extend(state.config.default_platform.as_deref());
        }
    }
    wanted.sort_unstable();
    wanted.dedup();
    let mut known: BTreeMap<String, (Organisation, Vec<vulnrelay_store::MembershipChange>)> = state
        .store
        .orgs_with_history(&wanted)
        .await?
        .into_iter()
        .map(|(org, history)| (org.id.clone(), (org, history)))
        .collect();
    let provider = match &body.product.provider {
        Some(id) => match known.get(id) {
            Some((org, _)) if org.status == vulnrelay_store::Status::Active => Some(id.clone()),
            _ => {
                check.problem("$.product.provider", format!("unknown organisation `{id}`"));
                None
            }
        },
        None => None,
    };
    let Some(reporter_history) = known.get(&reporter_org).map(|(_, history)| history) else {
        return Err(StoreError::NotFound { what: "organisation", id: reporter_org }.into());
    };
    let platform =
        choose_platform(state, &reporter_org, reporter_history, body.platform, &known, &mut check).await?;
    check.finish()?;
    if intake == Intake::CheckOnly {
        return Ok((Outcome::Passed, Value::Null));
    }
    let Some(platform) = platform else {
        return Err(Error::bad_request("unreadable report"));
    };
    let (product_name, purl, discovered_at, aware_at, title) =
        (body.product.name, body.product.purl, body.discovered_at, body.aware_at, body.title);

    // The parties' fragments: the reporter, the platform, the provider, each once. A
    // platform only the configuration names, that no organisation is registered as, is
    // read alone (and fails as it did).
    if !known.contains_key(&platform) {
        let org = state.store.org(&platform).await?;
        let history = state.store.membership_history(&platform).await?;
        known.insert(platform.clone(), (org, history));
    }
    let mut parties: Vec<Fragment> = Vec::new();
    for id in [Some(&reporter_org), Some(&platform), provider.as_ref()].into_iter().flatten() {
        if parties.iter().any(|p| &p.id == id) {
            continue;
        }
        if let Some((org, history)) = known.get(id) {
            parties.push(crate::casefile::party_fragment(org, history));
        }
    }
    let provider = match provider {
        Some(id) => id,
        None => {
            parties.push(Fragment {
                id: UNKNOWN_PROVIDER.into(),
                value: json!({"id": UNKNOWN_PROVIDER, "name": "Provider not known to the reporter",
                              "roles": ["product_provider"], "jurisdiction": "ZZ"}),
            });
            UNKNOWN_PROVIDER.to_owned()
        }
    };
    let mut product_value = json!({"id": "product", "name": product_name, "provider": provider});
    if let Some(purl) = purl {
        product_value["purl"] = json!(purl);
    }
    let recorded = |event: Event| NewEvent {
        at: event.at,
        body: case_file::event_to_value(&event, tz),
        recorded_by: Some(account.id.clone()),
        override_reason: None,
    };
    let by_reporter = |at: Timestamp, kind: EventKind| Event {
        at,
        party: PartyId(reporter_org.clone()),
        product: None,
        kind,
        note: None,
    };
    let mut events = vec![recorded(by_reporter(discovered_at, EventKind::Discovered))];
    if let Some(aware_at) = aware_at.filter(|a| *a != discovered_at) {
        events.push(recorded(by_reporter(aware_at, EventKind::Aware)));
    }
    if platform != reporter_org {
        let note = Some("Report submitted to the platform".to_owned());
        events.push(recorded(notification(
            now,
            &reporter_org,
            &platform,
            None,
            NotificationKind::Report,
            note,
        )));
    }
    let mut stored_body = verbatim.clone();
    if let Some(list) = stored_body.get_mut("attachments").and_then(Value::as_array_mut) {
        // The content lives in the attachments table; the report keeps the metadata.
        for item in list {
            if let Some(o) = item.as_object_mut() {
                o.remove("content_base64");
            }
        }
    }
    if let Some((vector, score)) = &cvss {
        stored_body["cvss"] = json!({"vector": vector, "base_score": score});
    }
    // The digest of the whole submission (attachments' content included), so that an
    // idempotency key sent again with another body is told apart from a retry.
    let digest = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(verbatim.to_string().as_bytes()))
    };
    stored_body["submission_sha256"] = json!(digest);
    let report = NewReport {
        title: title.unwrap_or_else(|| format!("Vulnerability in {product_name}")),
        timezone: tz.name().to_owned(),
        reporter_org: reporter_org.clone(),
        platform_org: platform.clone(),
        body: stored_body,
        submitted_by: Some(account.id.clone()),
        idempotency_key: idempotency_key.map(|k| format!("{}:{k}", account.id)),
        parties,
        products: vec![Fragment { id: "product".into(), value: product_value }],
        events,
        attachments,
        channel: channel.into(),
        submitter: format!("{} ({})", account.email, reporter_org),
        received_at: now,
    };
    let intake = state.store.take_report(&report).await?;
    if !intake.created {
        let first = state.store.report(&intake.case_id).await?;
        if first.body.get("submission_sha256") != Some(&json!(digest)) {
            return Err(Error::conflict(
                "idempotency_conflict",
                "this idempotency key was used for a different report; use a new key for a new report",
            ));
        }
    }
    if intake.created {
        // A report to a platform hosted on a peer instance is relayed there.
        crate::federation::outbound::queue(state, &intake.case_id).await;
    }
    let status = if intake.created { Outcome::Opened } else { Outcome::Repeated };
    let forwards = if intake.created {
        run_forwards(
            state,
            &account.id,
            &intake.case_id,
            vec![(platform.clone(), crate::forwarding::Trigger::Received)],
        )
        .await?
    } else {
        Vec::new()
    };
    let body = json!({
        "case": intake.case_id,
        "report": intake.report_id,
        "receipt": {"id": intake.receipt_id, "received_at": now.to_rfc3339(), "channel": channel},
        "platform": platform,
        "forwarded": forwards,
    });
    Ok((status, body))
}

/// The longest title a report may have, in characters.
pub const TITLE_MAX_CHARS: usize = 300;
/// The longest text field of a report (technical characteristics, harm, scope), in
/// characters.
pub const TEXT_MAX_CHARS: usize = 20_000;

fn read_attachments(check: &mut Checker, value: Option<&Value>) -> Option<Vec<ReportAttachment>> {
    let items = match value {
        None | Some(Value::Null) => return None,
        Some(Value::Array(items)) => items,
        Some(other) => {
            check.problem(
                "$.attachments",
                format!("expected an array, found {}", crate::input::kind_of(other)),
            );
            return None;
        }
    };
    let mut attachments = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("$.attachments[{i}]");
        let Some(o) =
            check.object(item, &path, &["filename", "media_type", "content_base64", "exploit_code"])
        else {
            continue;
        };
        let filename = check.string(o, &path, "filename", true).map(str::to_owned);
        let media_type = check.string(o, &path, "media_type", false).map(str::to_owned);
        let exploit_code = o.contains_key("exploit_code").then(|| check.boolean(o, &path, "exploit_code"));
        let content = check.string(o, &path, "content_base64", true).and_then(|text| {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| check.problem(format!("{path}.content_base64"), format!("not base64: {e}")))
                .ok()
        });
        if let Some(name) = &filename
            && (name.contains('/') || name.contains('\\') || name.chars().any(char::is_control))
        {
            check.problem(format!("{path}.filename"), "must be a plain file name");
        }
        if let (Some(filename), Some(content_base64)) = (filename, content) {
            attachments.push(ReportAttachment { filename, media_type, content_base64, exploit_code });
        }
    }
    Some(attachments)
}

/// The attachments within the instance's limits: how many, each one's size, the total.
fn attachments_within_limits(
    check: &mut Checker,
    attachments: Vec<ReportAttachment>,
    config: &crate::Config,
) -> Vec<NewAttachment> {
    if attachments.len() > config.max_attachments {
        check.problem("$.attachments", format!("more than {} attachments", config.max_attachments));
        return Vec::new();
    }
    let max_bytes = config.max_attachment_bytes;
    for (i, attachment) in attachments.iter().enumerate() {
        if attachment.content_base64.len() > max_bytes {
            check.problem(
                format!("$.attachments[{i}].content_base64"),
                format!("larger than the {max_bytes}-byte limit"),
            );
        }
    }
    let total: usize = attachments.iter().map(|a| a.content_base64.len()).sum();
    if total > config.max_attachments_total_bytes {
        check.problem(
            "$.attachments",
            format!(
                "{total} bytes in all, more than the {}-byte limit per report",
                config.max_attachments_total_bytes
            ),
        );
    }
    attachments
        .into_iter()
        .map(|a| NewAttachment {
            filename: a.filename,
            media_type: a.media_type.unwrap_or_else(|| "application/octet-stream".into()),
            exploit_code: a.exploit_code.unwrap_or(false),
            content: a.content_base64,
        })
        .collect()
}

/// The receiving platform: the one the report names (among the organisations read,
/// `known`), else the route of a membership of the reporter (whose membership `history`
/// is given) in good standing, else the configured default.
async fn choose_platform(
    state: &App,
    reporter: &str,
    history: &[vulnrelay_store::MembershipChange],
    named: Option<String>,
    known: &BTreeMap<String, (Organisation, Vec<vulnrelay_store::MembershipChange>)>,
    check: &mut Checker,
) -> Result<Option<String>> {
    if let Some(id) = named {
        match known.get(&id) {
            Some((org, _))
                if org.roles.iter().any(|r| PLATFORM_ROLES.contains(r))
                    && org.status == vulnrelay_store::Status::Active =>
            {
                return Ok(Some(id));
            }
            Some(_) => check.problem("$.platform", format!("`{id}` is not a platform")),
            None => check.problem("$.platform", format!("unknown organisation `{id}`")),
        }
        return Ok(None);
    }
    for route in &state.config.forwarding.member_routes {
        let last = history.iter().rev().find(|c| c.scheme == route.scheme);
        let joined = last.is_some_and(|c| !matches!(c.change, vulnrelay_store::MembershipChangeKind::Ended));
        // A suspended member still reports, but as a non-member: its reports take the
        // default route, not the members' one.
        if joined
            && crate::sanctions::standing_of(state, reporter, &route.scheme, chrono::Utc::now())
                .await?
                .1
                .reports_as_member
        {
            return Ok(Some(route.platform.clone()));
        }
    }
    if let Some(default) = &state.config.default_platform {
        return Ok(Some(default.clone()));
    }
    check.problem("$.platform", "missing required field (no default platform is configured)");
    Ok(None)
}
