//! Multi-party coordination: the downstream vendors a platform adds to a case, their
//! status per vulnerability and product, their own regulatory clocks, and the board
//! that shows who has answered and who is late.
//!
//! Everything is on the case's event log:
//! - a vendor joins as a case party, each of its products as a case product naming the
//!   case's components as `upstream`, with one `notified` event per product from the
//!   platform: from then on `domain::can` sees a notified provider, which may read the
//!   case, and the policy packs see a provider that has learned of a vulnerability in
//!   its product (CN Art. 7 runs from that receipt, for each vendor on its own);
//! - a status is a `vendor_status` event of the vendor (or of a platform analyst on its
//!   behalf, recorded under the analyst's account); its private note to the platform is
//!   kept beside the log (`store::Coordination`), shown only to the case's platforms
//!   and to the vendor that wrote it;
//! - notices ("you were added", reminders) go through the delivery outbox in the
//!   transaction of the change (reminders once per key).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use vulnrelay_domain::{Action, Case, Event, EventKind, ProductId, Role, Timestamp};
use vulnrelay_policy::{Interpretation, Options, Status};
use vulnrelay_store::{
    CaseChange, CaseSchedule, Fragment, Notice, PrivateNote, ReminderSchedule, Silence, StoredVulnerability,
};

use crate::App;
use crate::caller::Caller;
use crate::casefile::{Loaded, org_fragment};
use crate::error::{Error, Result};
pub use crate::participants::{Entry, Participant, default_product, narrow, participants, product_id};

/// At most this many vendors in one request that adds participants.
pub const MAX_VENDORS_PER_REQUEST: usize = 5_000;
/// At most this many products per vendor in one request.
pub const MAX_PRODUCTS_PER_VENDOR: usize = 100;
/// The longest statement or private note accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;

/// A vendor product to add, as the platform names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    /// The product's name (unique per vendor on the case).
    pub name: String,
    /// Its version, if known.
    pub version: Option<String>,
    /// Its package URL, if it has one.
    pub purl: Option<String>,
}

/// A vendor to add, with its products.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewParticipant {
    /// The vendor's organisation id.
    pub org: String,
    /// Its products that embed the case's component.
    pub products: Vec<NewProduct>,
}

/// The platform's organisation, when `caller` works `loaded` as one of its platforms.
fn platform_of(caller: &Caller, loaded: &Loaded) -> Option<String> {
    crate::relations::works_on(caller, loaded)
        .then(|| caller.account.as_ref().and_then(|a| a.org_id.clone()))
        .flatten()
}

/// Loads a case the caller works as a platform: 404 when it may not see it, 403 when it
/// sees it but is not one of its platforms' analysts or coordinators.
async fn as_platform(state: &App, caller: &Caller, id: &str) -> Result<(std::sync::Arc<Loaded>, String)> {
    let loaded = state.boards.authorize(state, caller, id, Action::Read).await?;
    match platform_of(caller, &loaded) {
        Some(org) => Ok((loaded, org)),
        None => Err(Error::forbidden("only the case's platforms coordinate its vendors")),
    }
}

/// Adds vendors to case `id` for a platform analyst or coordinator: checks every
/// vendor and product at once (422 with every problem), then records, in one
/// transaction, the parties and products that join and one `notified` event per new
/// product from the platform (through the gates), with one "added" notice per vendor
/// through the delivery outbox. Products already on the case are left as they are.
pub async fn add_participants(
    state: &App,
    caller: &Caller,
    id: &str,
    vendors: Vec<NewParticipant>,
    message: Option<String>,
) -> Result<Value> {
    let (loaded, platform) = as_platform(state, caller, id).await?;
    let mut problems: Vec<(String, String)> = Vec::new();
    if vendors.is_empty() {
        problems.push(("$.vendors".into(), "name at least one vendor".into()));
    }
    if vendors.len() > MAX_VENDORS_PER_REQUEST {
        problems.push((
            "$.vendors".into(),
            format!("at most {MAX_VENDORS_PER_REQUEST} vendors per request, {} given", vendors.len()),
        ));
        return Err(Error::invalid(problems));
    }
    if message.as_ref().is_some_and(|m| m.chars().count() > MAX_TEXT_CHARS) {
        problems.push(("$.message".into(), format!("at most {MAX_TEXT_CHARS} characters")));
    }
    // The case's own components: what the vendors' products embed.
    let components: Vec<String> =
        loaded.products.iter().filter(|p| p.value.get("upstream").is_none()).map(|p| p.id.clone()).collect();
    let mut parties = Vec::new();
    let mut products = Vec::new();
    let mut events = Vec::new();
    let mut notices = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, vendor) in vendors.iter().enumerate() {
        let at = format!("$.vendors[{i}]");
        if !seen.insert(vendor.org.clone()) {
            problems.push((format!("{at}.org"), format!("`{}` is named twice", vendor.org)));
            continue;
        }
        let org = match state.store.org(&vendor.org).await {
            Ok(org) if org.status == vulnrelay_store::Status::Active => org,
            Ok(_) | Err(vulnrelay_store::StoreError::NotFound { .. }) => {
                problems.push((format!("{at}.org"), format!("no active organisation `{}`", vendor.org)));
                continue;
            }
            Err(other) => return Err(other.into()),
        };
        if !org.roles.contains(&Role::ProductProvider) {
            problems.push((format!("{at}.org"), format!("`{}` is not a product provider", vendor.org)));
            continue;
        }
        if vendor.products.is_empty() || vendor.products.len() > MAX_PRODUCTS_PER_VENDOR {
            problems.push((
                format!("{at}.products"),
                format!("name between 1 and {MAX_PRODUCTS_PER_VENDOR} products"),
            ));
            continue;
        }
        let mut names = BTreeSet::new();
        let mut new_products = Vec::new();
        for (j, product) in vendor.products.iter().enumerate() {
            let path = format!("{at}.products[{j}]");
            let name = product.name.trim();
            if name.is_empty() || name.chars().count() > 200 {
                problems.push((format!("{path}.name"), "a name of 1 to 200 characters".into()));
                continue;
            }
            if !names.insert(name.to_owned()) {
                problems.push((format!("{path}.name"), format!("`{name}` is named twice")));
                continue;
            }
            if let Some(purl) = &product.purl
                && !purl.starts_with("pkg:")
            {
                problems
                    .push((format!("{path}.purl"), format!("`{purl}` is not a package URL (pkg:type/...)")));
                continue;
            }
            let pid = product_id(&org.id, name);
            if loaded.products.iter().any(|p| p.id == pid) {
                continue;
            }
            let display = match product.version.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                Some(version) => format!("{name} {version}"),
                None => name.to_owned(),
            };
            let mut value = json!({"id": pid, "name": display, "provider": org.id, "upstream": components});
            if let Some(purl) = &product.purl {
                value["purl"] = json!(purl);
            }
            new_products.push(Fragment { id: pid, value });
        }
        if new_products.is_empty() {
            continue;
        }
        if !loaded.parties.iter().any(|p| p.id == org.id) {
            parties.push(org_fragment(state, &org.id).await?);
        }
        for product in &new_products {
            let note = message.clone().filter(|m| !m.trim().is_empty());
            let event = crate::cases::notification(
                Utc::now(),
                &platform,
                &org.id,
                Some(&product.id),
                vulnrelay_domain::NotificationKind::Report,
                note,
            );
            events.push(vulnrelay_formats::case_file::event_to_value(&event, chrono_tz::Tz::UTC));
        }
        notices.push(Notice {
            key: format!("coordination.added.{id}.{}.{}", org.id, loaded.record.last_seq),
            case_id: id.to_owned(),
            org_id: org.id.clone(),
            topic: "coordination.added".into(),
            payload: json!({
                "case": id,
                "title": loaded.record.title,
                "platform": platform,
                "products": new_products.iter().map(|p| &p.id).collect::<Vec<_>>(),
                "message": message,
                "board": format!("/cases/{id}/coordination"),
            }),
        });
        products.extend(new_products);
    }
    if !problems.is_empty() {
        return Err(Error::invalid(problems));
    }
    if events.is_empty() {
        return Ok(json!({"case": id, "added": [], "products": 0}));
    }
    let added: Vec<String> = notices.iter().map(|n| n.org_id.clone()).collect();
    // Vendors hosted on a federation peer are told through the relay outbox too (the
    // change's `notified` events are relayed to their host, see `federation::queue`).
    let peers = if state.federation.get().is_some() { state.store.peers().await? } else { Vec::new() };
    let relayed: Vec<&String> =
        added.iter().filter(|org| peers.iter().any(|p| p.orgs.contains(org))).collect();
    let count = products.len();
    let with = CaseChange { parties, products, notices, ..CaseChange::default() };
    crate::cases::record_change(state, caller, &loaded, events, with, None).await?;
    Ok(json!({"case": id, "added": added, "relayed": relayed, "products": count}))
}

/// On a mirror just opened from a peer's forward: when `vendor`, the organisation it
/// was relayed to, is a downstream vendor on it (a platform of the case told it about
/// its products), the "added" notice to its inbox and webhooks here, as the platform's
/// own instance sends a local vendor. Failures are logged: the mirror stands.
pub async fn notify_relayed(state: &App, case_id: &str, from: &str, vendor: &str) {
    let sent = async {
        let loaded = crate::casefile::load(state, case_id).await?;
        let Some(p) = participants(&loaded.case).into_iter().find(|p| p.vendor == vendor) else {
            return Ok(0);
        };
        let notice = Notice {
            key: format!("coordination.added.{case_id}.{vendor}.relayed"),
            case_id: case_id.to_owned(),
            org_id: vendor.to_owned(),
            topic: "coordination.added".into(),
            payload: json!({
                "case": case_id,
                "title": loaded.record.title,
                "platform": from,
                "relayed": true,
                "products": p.products.iter().map(|e| &e.product).collect::<Vec<_>>(),
                "board": format!("/cases/{case_id}/coordination"),
            }),
        };
        Ok::<usize, Error>(state.store.send_notices(&[notice], Utc::now()).await?)
    };
    if let Err(error) = sent.await {
        tracing::warn!(case = %case_id, %vendor, error = %error, "notifying a relayed vendor failed");
    }
}

/// A vendor's status on one vulnerability for one of its products, as sent (the body
/// of `POST /api/v1/cases/{id}/vendor-status`).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// The vendor's product (a case product id).
    pub product: String,
    /// The vulnerability (any of its identifiers).
    pub vulnerability: String,
    /// `under_investigation`, `affected`, `not_affected`, `fixed`.
    pub status: String,
    /// The VEX justification of a `not_affected`.
    pub justification: Option<String>,
    /// The version that fixes it.
    pub fixed_version: Option<String>,
    /// The public statement.
    pub statement: Option<String>,
    /// The private note to the platform.
    pub private_note: Option<String>,
}

/// Records a vendor's status: the product's provider (its vendor contacts and
/// coordinators), or a platform analyst on its behalf. The event goes through the
/// case-file check (every problem, 422) and the gates like any other; the private note
/// is stored beside it in the same transaction.
pub async fn set_status(state: &App, caller: &Caller, id: &str, input: StatusInput) -> Result<Value> {
    let account = caller.require()?.clone();
    let loaded = state.boards.authorize(state, caller, id, Action::AppendEvent).await?;
    let own_org = account.org_id.clone().unwrap_or_default();
    let Some(product) = loaded.case.product(&ProductId(input.product.clone())) else {
        return Err(Error::invalid(vec![(
            "$.product".into(),
            format!("no product `{}` on this case", input.product),
        )]));
    };
    let vendor = product.provider.0.clone();
    if vendor != own_org && platform_of(caller, &loaded).is_none() {
        return Err(Error::forbidden("only the product's provider, or the case's platforms, set its status"));
    }
    let mut problems = Vec::new();
    for (key, text) in [("statement", &input.statement), ("private_note", &input.private_note)] {
        if text.as_ref().is_some_and(|t| t.chars().count() > MAX_TEXT_CHARS) {
            problems.push((format!("$.{key}"), format!("at most {MAX_TEXT_CHARS} characters")));
        }
    }
    let records = state.store.vulnerabilities(Some(id)).await?;
    let vulnerability = match canonical_vulnerability(&records, &input.vulnerability) {
        Ok(v) => v,
        Err(message) => {
            problems.push(("$.vulnerability".into(), message));
            String::new()
        }
    };
    if !problems.is_empty() {
        return Err(Error::invalid(problems));
    }
    let current = loaded.state();
    if !current.accepts(vulnrelay_domain::EventType::VendorStatus) {
        return Err(Error::conflict(
            "invalid_transition",
            format!("a vendor status cannot be recorded on a case that is {current}"),
        ));
    }
    let mut event = json!({
        "at": Utc::now().to_rfc3339(),
        "type": "vendor_status",
        "party": vendor,
        "product": input.product,
        "vulnerability": vulnerability,
        "status": input.status,
    });
    let non_empty = |t: &Option<String>| t.as_ref().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    for (key, value) in [
        ("justification", &input.justification),
        ("fixed_version", &input.fixed_version),
        ("statement", &input.statement),
    ] {
        if let Some(text) = non_empty(value) {
            event[key] = json!(text);
        }
    }
    let private_notes = non_empty(&input.private_note)
        .map(|note| vec![PrivateNote { event: 0, org_id: own_org.clone(), note }])
        .unwrap_or_default();
    let with = CaseChange { private_notes, ..CaseChange::default() };
    let stored = crate::cases::record_change(state, caller, &loaded, vec![event], with, None).await?;
    Ok(json!({
        "case": id,
        "seq": stored.first().map(|e| e.seq),
        "vendor": vendor,
        "product": input.product,
        "vulnerability": vulnerability,
        "status": input.status,
    }))
}

/// The primary id of the case's record that `given` names (any identifier); with no
/// records on the case, `given` itself.
fn canonical_vulnerability(records: &[StoredVulnerability], given: &str) -> Result<String, String> {
    let given = given.trim();
    if given.is_empty() {
        return Err("name the vulnerability (CVE, CNVD, ... id)".into());
    }
    if records.is_empty() {
        return Ok(given.to_owned());
    }
    for record in records {
        let aliases = record.record.get("aliases").and_then(Value::as_array).cloned().unwrap_or_default();
        if record.id.eq_ignore_ascii_case(given)
            || aliases.iter().filter_map(Value::as_str).any(|a| a.eq_ignore_ascii_case(given))
        {
            return Ok(record.id.clone());
        }
    }
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    Err(format!("`{given}` is not a vulnerability of this case ({})", ids.join(", ")))
}

/// How many cases [`LoadedCache`] keeps.
const CACHED_CASES: usize = 8;

/// The last few cases the board read, each kept while its record (its number of events
/// included) is unchanged: a board page of a case with thousands of vendors then costs
/// one query and the page, not reading the whole case again. Every change of a case
/// appends an event, so a changed case is read afresh.
#[derive(Default)]
pub struct LoadedCache(std::sync::Mutex<HashMap<String, std::sync::Arc<Loaded>>>);

impl LoadedCache {
    /// Case `id` as stored now (404 when there is none).
    pub async fn load(&self, state: &App, id: &str) -> Result<std::sync::Arc<Loaded>> {
        let record = match state.store.case(id).await {
            Ok(record) => record,
            Err(vulnrelay_store::StoreError::NotFound { .. }) => return Err(Error::not_found("case")),
            Err(other) => return Err(other.into()),
        };
        let hit = self.0.lock().ok().and_then(|cases| cases.get(id).cloned());
        if let Some(loaded) = hit.filter(|l| l.record == record) {
            return Ok(loaded);
        }
        let loaded = std::sync::Arc::new(crate::casefile::load(state, id).await?);
        self.keep(loaded.clone());
        Ok(loaded)
    }

    /// Case `id` as stored now, for `caller` to do `action` on: 404 when it may not see
    /// it, 403 when it sees it but may not do that (as `casefile::authorize`).
    pub async fn authorize(
        &self,
        state: &App,
        caller: &Caller,
        id: &str,
        action: Action,
    ) -> Result<std::sync::Arc<Loaded>> {
        let loaded = self.load(state, id).await?;
        crate::casefile::check(&loaded, caller, action)?;
        Ok(loaded)
    }

    /// After a change that appended `stored` (with `parties` and `products`) to
    /// `before`, making `case`: when the case is kept here, keeps it as the change left
    /// it, built from `before` and the change rather than read again, so the next board
    /// read, or the next change, of a case with thousands of vendors does not read it
    /// whole. Kept only when nothing else was appended since (the record read now says
    /// so); otherwise the next read reads it afresh.
    pub async fn changed(
        &self,
        state: &App,
        before: &Loaded,
        change: (&[Fragment], &[Fragment], &[vulnrelay_store::StoredEvent]),
        case: Case,
    ) {
        let id = &before.record.id;
        if !self.0.lock().is_ok_and(|cases| cases.contains_key(id)) {
            return;
        }
        let read = tokio::try_join!(state.store.case(id), state.store.one_product_until(id));
        let Ok((record, one_product_until)) = read else { return };
        let (parties, products, stored) = change;
        if record.last_seq != before.record.last_seq + stored.len() as i64 {
            return;
        }
        let after = before.after_change(record, one_product_until, parties, products, stored, case);
        self.keep(std::sync::Arc::new(after));
    }

    /// Keeps `loaded` when it is a consistent read (no event appended between its
    /// queries), the oldest case making way when the cache is full.
    fn keep(&self, loaded: std::sync::Arc<Loaded>) {
        if loaded.events.len() as i64 != loaded.record.last_seq
            || loaded.case.events().len() != loaded.events.len()
        {
            return;
        }
        let Ok(mut cases) = self.0.lock() else { return };
        let id = loaded.record.id.clone();
        if cases.len() >= CACHED_CASES && !cases.contains_key(&id) {
            let oldest = cases.keys().next().cloned();
            if let Some(key) = oldest {
                cases.remove(&key);
            }
        }
        cases.insert(id, loaded);
    }
}

/// The filters of the board.
#[derive(Debug, Clone, Default)]
pub struct BoardQuery {
    /// Only vendors with a product in this status (`none`: no answer yet).
    pub status: Option<String>,
    /// Only this vendor (organisation id), or vendors whose name contains it.
    pub vendor: Option<String>,
    /// Only vendors that have not answered for at least this many days.
    pub unanswered_days: Option<i64>,
    /// The page after this vendor id.
    pub after: Option<String>,
    /// The page size (default 50, at most 200).
    pub limit: Option<usize>,
}

/// The coordination board of case `id`: vendors × products × vulnerabilities with
/// status, last contact, unanswered days and the obligations running, paged by vendor.
/// The case's platforms see every vendor and every private note; a participant vendor
/// sees only its own row and notes; others may not see it (404 or 403).
pub async fn board(state: &App, caller: &Caller, id: &str, query: &BoardQuery) -> Result<Value> {
    let started = std::time::Instant::now();
    let loaded = state.boards.load(state, id).await?;
    if !loaded.can(caller, Action::Read) {
        return Err(Error::not_found("case"));
    }
    let loaded = &*loaded;
    let read = started.elapsed();
    let platform = platform_of(caller, loaded).is_some();
    let own = caller.account.as_ref().and_then(|a| a.org_id.clone());
    let everyone = participants(&loaded.case);
    if !platform && !everyone.iter().any(|p| Some(&p.vendor) == own.as_ref()) {
        return Err(Error::forbidden("the board is for the case's platforms and its participant vendors"));
    }
    let now = Utc::now();
    let records = state.store.vulnerabilities(Some(id)).await?;
    let mut vulnerabilities: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
    if vulnerabilities.is_empty() {
        let named: BTreeSet<String> = everyone
            .iter()
            .flat_map(|p| p.products.iter().flat_map(|e| e.statuses.keys().cloned()))
            .collect();
        vulnerabilities = named.into_iter().collect();
    }
    let status_of = |index: usize| match &loaded.case.events()[index].kind {
        EventKind::VendorStatus { status, .. } => Some(*status),
        _ => None,
    };
    let wanted_status = query.status.as_deref();
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let matching: Vec<&Participant> = everyone
        .iter()
        .filter(|p| platform || Some(&p.vendor) == own.as_ref())
        .filter(|p| match &query.vendor {
            None => true,
            Some(v) => p.vendor == *v || p.name.to_lowercase().contains(&v.to_lowercase()),
        })
        .filter(|p| {
            query.unanswered_days.is_none_or(|days| p.unanswered_days(now).is_some_and(|d| d >= days))
        })
        .filter(|p| match wanted_status {
            None => true,
            Some("none") => {
                p.products.iter().any(|e| vulnerabilities.iter().any(|v| !e.statuses.contains_key(v)))
            }
            Some(s) => p
                .products
                .iter()
                .any(|e| e.statuses.values().any(|&i| status_of(i).is_some_and(|st| st.as_str() == s))),
        })
        .collect();
    let total = matching.len();
    let start = match &query.after {
        Some(after) => matching.iter().position(|p| &p.vendor == after).map_or(matching.len(), |i| i + 1),
        None => 0,
    };
    let page: Vec<&Participant> = matching.iter().skip(start).take(limit).copied().collect();
    let next = (start + page.len() < total).then(|| page.last().map(|p| p.vendor.clone())).flatten();
    let notes = state.store.private_notes(id).await?;
    let seq_of: Vec<i64> = loaded.events.iter().map(|e| e.seq).collect();
    let evaluated = std::time::Instant::now();
    let obligations = running_obligations(state, loaded, &page, now);
    let evaluated = evaluated.elapsed();
    let rows: Vec<Value> = page
        .iter()
        .map(|p| {
            let products: Vec<Value> = p
                .products
                .iter()
                .map(|entry| {
                    let cells: Vec<Value> = vulnerabilities
                        .iter()
                        .map(|v| match entry.statuses.get(v) {
                            None => json!({"vulnerability": v, "status": Value::Null}),
                            Some(&index) => {
                                let event = &loaded.case.events()[index];
                                let note = seq_of.get(index).and_then(|seq| {
                                    notes.iter().find(|n| n.seq == *seq).filter(|n| platform || Some(&n.org_id) == own.as_ref())
                                });
                                status_cell(v, event, loaded.events.get(index).and_then(|e| e.recorded_by.clone()), note.map(|n| n.note.as_str()))
                            }
                        })
                        .collect();
                    json!({"product": entry.product, "name": entry.product_name, "added_at": entry.added_at.to_rfc3339(), "vulnerabilities": cells})
                })
                .collect();
            json!({
                "vendor": p.vendor,
                "name": p.name,
                "added_at": p.added_at.to_rfc3339(),
                "last_contact": p.last_answer.map(|t| t.to_rfc3339()),
                "unanswered_days": p.unanswered_days(now),
                "products": products,
                "obligations": obligations.get(&p.vendor).cloned().unwrap_or_default(),
            })
        })
        .collect();
    let reminders = if platform { schedule_of(state, id).await? } else { Value::Null };
    tracing::debug!(
        case = %id,
        read_ms = read.as_secs_f64() * 1e3,
        obligations_ms = evaluated.as_secs_f64() * 1e3,
        total_ms = started.elapsed().as_secs_f64() * 1e3,
        "board built"
    );
    Ok(json!({
        "case": id,
        "vulnerabilities": vulnerabilities,
        "reminders": reminders,
        "total": total,
        "vendors": rows,
        "next": next,
    }))
}

fn status_cell(vulnerability: &str, event: &Event, recorded_by: Option<String>, note: Option<&str>) -> Value {
    let EventKind::VendorStatus { status, justification, fixed_version, statement, .. } = &event.kind else {
        return json!({"vulnerability": vulnerability, "status": Value::Null});
    };
    let mut cell = json!({
        "vulnerability": vulnerability,
        "status": status.as_str(),
        "at": event.at.to_rfc3339(),
        "by": event.party.0,
        "recorded_by": recorded_by,
        "justification": justification.map(|j| j.as_str()),
        "fixed_version": fixed_version,
        "statement": statement,
    });
    if let Some(note) = note {
        cell["private_note"] = json!(note);
    }
    cell
}

/// The obligations running (pending, overdue, needing review) for each vendor of
/// `page`, from the policy packs evaluated on the case narrowed to those vendors: every
/// party, product and event of the case except other participants' (so a page costs
/// what it shows, not the whole case).
fn running_obligations(
    state: &App,
    loaded: &Loaded,
    page: &[&Participant],
    now: Timestamp,
) -> HashMap<String, Vec<Value>> {
    let shown: BTreeSet<&str> = page.iter().map(|p| p.vendor.as_str()).collect();
    let narrowed = narrow(&loaded.case, &shown, &[]);
    let narrowed = narrowed.as_ref().map_or(&loaded.case, |(case, _)| case);
    let findings = state.evaluate(narrowed, &Options { as_of: now, interpretation: Interpretation::Hours });
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    for finding in &findings {
        if !shown.contains(finding.party.0.as_str())
            || !matches!(finding.status, Status::Pending | Status::Overdue | Status::NeedsReview)
        {
            continue;
        }
        out.entry(finding.party.0.clone()).or_default().push(json!({
            "rule": finding.rule_id(),
            "article": finding.rule.article,
            "title": {"en": finding.rule.title.en, "zh": finding.rule.title.zh},
            "product": finding.product.map(|p| &p.0),
            "status": finding.status.as_str(),
            "due_at": finding.due_at.map(|t| t.to_rfc3339()),
            "message": {"en": finding.message(narrowed).en, "zh": finding.message(narrowed).zh},
        }));
    }
    out
}

/// Sends a reminder to every vendor of case `id` that has not answered for at least
/// `days` days, through the delivery outbox: one per vendor per `days`-long period of
/// silence (asking again the same day sends nothing new). Returns the vendors reminded.
pub async fn remind(state: &App, caller: &Caller, id: &str, days: i64) -> Result<Value> {
    let (loaded, platform) = as_platform(state, caller, id).await?;
    if !(1..=365).contains(&days) {
        return Err(Error::invalid(vec![("$.days".into(), "between 1 and 365".into())]));
    }
    let now = Utc::now();
    let mut notices = Vec::new();
    for p in participants(&loaded.case) {
        let Some(silent) = p.unanswered_days(now) else { continue };
        if silent < days {
            continue;
        }
        let period = silent / days;
        let key =
            format!("coordination.reminder.{id}.{}.{}.{days}.{period}", p.vendor, p.last_told.timestamp());
        notices.push(reminder(&loaded, &platform, &p, silent, key));
    }
    let candidates: Vec<String> = notices.iter().map(|n| n.org_id.clone()).collect();
    let sent = state.store.send_notices(&notices, now).await?;
    Ok(json!({"case": id, "days": days, "due": candidates, "sent": sent}))
}

/// The reminder to participant `p` of `loaded`, silent for `silent` days, from
/// `platform`, sent once under `key`.
fn reminder(loaded: &Loaded, platform: &str, p: &Participant, silent: i64, key: String) -> Notice {
    let id = &loaded.record.id;
    Notice {
        key,
        case_id: id.clone(),
        org_id: p.vendor.clone(),
        topic: "coordination.reminder".into(),
        payload: json!({
            "case": id,
            "title": loaded.record.title,
            "platform": platform,
            "unanswered_days": silent,
            "products": p.products.iter().map(|e| &e.product).collect::<Vec<_>>(),
            "board": format!("/cases/{id}/coordination"),
        }),
    }
}

/// The reminders `schedule` makes due at `now` on `loaded`: to each vendor silent for
/// at least `after_days` days, one when that many days have passed and one every
/// `every_days` days after (at most one per vendor at a time: the latest due), each
/// keyed on the day of silence it is for, so a reminder already sent is not sent again
/// and a vendor told something new starts afresh.
pub fn scheduled_reminders(loaded: &Loaded, schedule: ReminderSchedule, now: Timestamp) -> Vec<Notice> {
    let platform = loaded.record.platform_org.clone();
    participants(&loaded.case)
        .iter()
        .filter(|p| p.is_waiting())
        .filter_map(|p| {
            let (silent, day) = reminder_day(schedule, p.last_told, now)?;
            let key = scheduled_key(&loaded.record.id, &p.vendor, p.last_told, day);
            Some(reminder(loaded, &platform, p, silent, key))
        })
        .collect()
}

/// The days of silence at `now` of a vendor last told at `last_told`, and the day of
/// silence whose reminder `schedule` makes due then (the latest: `after_days`, then
/// every `every_days` after); none before the first.
fn reminder_day(schedule: ReminderSchedule, last_told: Timestamp, now: Timestamp) -> Option<(i64, i64)> {
    let (after, every) = (schedule.after_days.max(1), schedule.every_days.max(1));
    let silent = crate::participants::silent_days(last_told, now);
    (silent >= after).then(|| (silent, after + (silent - after) / every * every))
}

/// The key a scheduled reminder is sent once under: the case, the vendor, when it was
/// last told (so a vendor told something new starts afresh) and the day of silence.
fn scheduled_key(case_id: &str, vendor: &str, last_told: Timestamp, day: i64) -> String {
    format!("coordination.scheduled.{case_id}.{vendor}.{}.{day}", last_told.timestamp())
}

/// How many silences the reminder beat reads a page.
const SILENCES_PAGE: i64 = 500;

/// What the delivery worker runs on its reminder beat: the reminders due at `now`
/// ([`scheduled_reminders`]) on every case with a reminder schedule, put in the
/// delivery outbox, each once. Returns how many were new.
///
/// It reads the silences the cases' views keep, not the cases: with the platform's
/// default, those told long enough ago for the shortest schedule in force, through
/// their index in pages; without one, those of the cases with a schedule of their own.
/// A case is loaded only when one of its silences makes a reminder due that was not
/// sent before, so a beat with nothing new to send loads no case.
pub async fn send_scheduled_reminders(state: &App, now: Timestamp) -> Result<usize> {
    let own: HashMap<String, Option<ReminderSchedule>> =
        state.store.case_schedules().await?.into_iter().map(|c| (c.case_id, c.schedule)).collect();
    let default = state.config.coordination_reminders;
    let schedule_of = |case_id: &str| own.get(case_id).copied().unwrap_or(default);
    let mut sent = 0;
    match default {
        Some(default) => {
            let shortest = own.values().flatten().chain([&default]).map(|s| s.after_days.max(1)).min();
            let told_by = now - TimeDelta::days(shortest.unwrap_or(1));
            let mut after = None;
            loop {
                let page = state.store.silences(told_by, after.as_ref(), SILENCES_PAGE).await?;
                sent += remind_due(state, &page, &schedule_of, now).await?;
                if i64::try_from(page.len()).unwrap_or(i64::MAX) < SILENCES_PAGE {
                    break;
                }
                after = page.last().cloned();
            }
        }
        None => {
            let cases: Vec<String> =
                own.iter().filter(|(_, schedule)| schedule.is_some()).map(|(id, _)| id.clone()).collect();
            let silences = state.store.silences_of(&cases).await?;
            for page in silences.chunks(SILENCES_PAGE as usize) {
                sent += remind_due(state, page, &schedule_of, now).await?;
            }
        }
    }
    Ok(sent)
}

/// Sends the reminders due at `now` on the cases of `silences`, each under the
/// schedule `schedule_of` gives its case: the keys their silences make due are looked
/// up together, and only a case with one not sent before is loaded.
async fn remind_due(
    state: &App,
    silences: &[Silence],
    schedule_of: &impl Fn(&str) -> Option<ReminderSchedule>,
    now: Timestamp,
) -> Result<usize> {
    let mut due: BTreeMap<&str, (ReminderSchedule, Vec<String>)> = BTreeMap::new();
    for s in silences {
        let Some(schedule) = schedule_of(&s.case_id) else { continue };
        let Some((_, day)) = reminder_day(schedule, s.last_told, now) else { continue };
        let key = scheduled_key(&s.case_id, &s.vendor, s.last_told, day);
        due.entry(s.case_id.as_str()).or_insert_with(|| (schedule, Vec::new())).1.push(key);
    }
    let keys: Vec<String> = due.values().flat_map(|(_, keys)| keys.iter().cloned()).collect();
    if keys.is_empty() {
        return Ok(0);
    }
    let sent_before = state.store.sent_keys(&keys).await?;
    let mut sent = 0;
    for (case_id, (schedule, keys)) in due {
        if keys.iter().all(|key| sent_before.contains(key)) {
            continue;
        }
        let loaded = state.boards.load(state, case_id).await?;
        let notices = scheduled_reminders(&loaded, schedule, now);
        if !notices.is_empty() {
            sent += state.store.send_notices(&notices, now).await?;
        }
    }
    Ok(sent)
}

/// A case's reminder schedule as the board shows it: its own, else the platform's.
pub async fn schedule_of(state: &App, id: &str) -> Result<Value> {
    let own = state.store.case_schedule(id).await?;
    let (schedule, source) = match &own {
        Some(set) => (set.schedule, "case"),
        None => (state.config.coordination_reminders, "platform"),
    };
    Ok(json!({
        "after_days": schedule.map(|s| s.after_days),
        "every_days": schedule.map(|s| s.every_days),
        "source": source,
    }))
}

/// The longest reminder period accepted, in days.
pub const MAX_SCHEDULE_DAYS: i64 = 365;

/// Sets case `id`'s own reminder schedule (`Some(None)`: no scheduled reminders on it)
/// or clears it (`None`: the platform's default applies), for one of its platforms.
pub async fn set_schedule(
    state: &App,
    caller: &Caller,
    id: &str,
    schedule: Option<Option<ReminderSchedule>>,
) -> Result<Value> {
    let account = caller.require()?.clone();
    as_platform(state, caller, id).await?;
    if let Some(Some(s)) = schedule {
        let mut problems = Vec::new();
        for (key, days) in [("after_days", s.after_days), ("every_days", s.every_days)] {
            if !(1..=MAX_SCHEDULE_DAYS).contains(&days) {
                problems.push((format!("$.{key}"), format!("between 1 and {MAX_SCHEDULE_DAYS}")));
            }
        }
        if !problems.is_empty() {
            return Err(Error::invalid(problems));
        }
    }
    let set = schedule.map(|schedule| CaseSchedule {
        case_id: id.to_owned(),
        schedule,
        set_by: account.id.clone(),
        set_at: Utc::now(),
    });
    state.store.set_case_schedule(id, set.as_ref()).await?;
    schedule_of(state, id).await
}

/// The vendors whose registered product inventories (asset groups of organisations with
/// the `product_provider` role) embed a component that one of the case's records
/// affects, by the same matching as risk warnings; products already on the case are
/// marked. For the case's platforms only.
pub async fn proposals(state: &App, caller: &Caller, id: &str) -> Result<Value> {
    let (loaded, _) = as_platform(state, caller, id).await?;
    let records = state.store.vulnerabilities(Some(id)).await?;
    let matchable = crate::warnings::Matchable::new(records);
    // The components of the records' packages only (the store's index of components by
    // package), of active product providers.
    let mut inventory = state.store.inventory_for_packages(&matchable.package_keys()).await?;
    let mut providers: BTreeMap<String, bool> = BTreeMap::new();
    for org in inventory.iter().map(|c| c.org_id.clone()).collect::<BTreeSet<_>>() {
        let provider = match state.store.org(&org).await {
            Ok(o) => o.status == vulnrelay_store::Status::Active && o.roles.contains(&Role::ProductProvider),
            Err(vulnrelay_store::StoreError::NotFound { .. }) => false,
            Err(e) => return Err(e.into()),
        };
        providers.insert(org, provider);
    }
    inventory.retain(|c| providers.get(&c.org_id).copied().unwrap_or(false));
    // (org, group) -> (components, vulnerabilities)
    let mut found: BTreeMap<(String, String), (Vec<Value>, BTreeSet<String>)> = BTreeMap::new();
    for item in &inventory {
        let hits = matchable.affected_by(item.component.purl.as_deref());
        if hits.is_empty() {
            continue;
        }
        let entry = found.entry((item.org_id.clone(), item.group.clone())).or_default();
        entry.0.push(json!({"name": item.component.name, "version": item.component.version, "purl": item.component.purl}));
        entry.1.extend(hits);
    }
    let list: Vec<Value> = found
        .into_iter()
        .map(|((org, group), (components, vulnerabilities))| {
            let pid = product_id(&org, &group);
            json!({
                "org": org,
                "product": group,
                "product_id": pid,
                "components": components,
                "vulnerabilities": vulnerabilities,
                "on_case": loaded.products.iter().any(|p| p.id == pid),
            })
        })
        .collect();
    Ok(json!({"case": id, "proposals": list}))
}
