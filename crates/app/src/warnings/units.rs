//! What a warned unit does with its warnings, and what the platform does for all of
//! them: list and read them (only those whose case the caller may see), acknowledge a
//! revision, give each affected asset group a status, export that status as VEX
//! (CycloneDX, CSAF), re-run matching, and warn an industry before publication.

use serde::Deserialize;
use serde_json::{Value, json};
use vulnrelay_formats::csaf::{self, Publisher, Revision, Tracking};
use vulnrelay_formats::record::VulnerabilityJson;
use vulnrelay_formats::vex::{
    AssetState, Justification, VexComponent, VexStatement, csaf_status, cyclonedx_vex,
};
use vulnrelay_store::Account;
use vulnrelay_store::warnings::{AssetStatus, Warning, WarningCursor, WarningFilter};

use super::{rematch_all, visible_to};
use crate::App;
use crate::assets::member;
use crate::caller::Caller;
use crate::error::{Error, Result};

/// `GET /api/v1/warnings`: the caller's organisation's warnings, newest change first
/// (analysts and administrators: every warning whose case they may read), a page at a time:
/// `next_cursor`, when not null, fetches the next page. A page may hold fewer than `limit`
/// warnings when some are not the caller's to see.
pub async fn list(state: &App, caller: &Caller, query: WarningsQuery) -> Result<Value> {
    caller.require()?;
    let operator = crate::relations::admin(caller).is_some()
        || crate::relations::platform_staff(state, caller).await.is_ok();
    let org = if operator { query.org.clone() } else { Some(member(caller)?.1) };
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::bad_request(format!("`limit` must be between 1 and {MAX_PAGE}")));
    }
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let filter = WarningFilter {
        org_id: org,
        vulnerability_id: query.vulnerability.clone(),
        after,
        limit: Some(limit),
    };
    let page = state.store.warnings(&filter).await?;
    let next_cursor = (page.len() as i64 == limit).then(|| page.last().map(WarningCursor::of)).flatten();
    let mut items = Vec::new();
    // Visibility depends only on the organisation and the case: asked once per pair.
    let mut visible: std::collections::HashMap<(String, Option<String>), bool> = Default::default();
    for w in page {
        let key = (w.org_id.clone(), w.case_id.clone());
        let shown = match visible.get(&key) {
            Some(&known) => known,
            None => {
                let known = visible_to(state, caller, &w).await.is_ok();
                visible.insert(key, known);
                known
            }
        };
        if shown {
            items.push(warning_json(&w));
        }
    }
    Ok(json!({"warnings": items, "next_cursor": next_cursor.as_ref().map(encode_cursor)}))
}

/// `GET /api/v1/warnings/{id}`: a warning with its acknowledgements and per-asset status.
pub async fn show(state: &App, caller: &Caller, id: String) -> Result<Value> {
    let warning = load_warning(state, caller, &id).await?;
    let mut body = warning_json(&warning);
    body["acknowledgements"] = state
        .store
        .acknowledgements(&id)
        .await?
        .iter()
        .map(|a| json!({"account": a.account_id, "revision": a.revision, "at": a.at.to_rfc3339()}))
        .collect();
    body["assets"] = state.store.asset_statuses(&id).await?.iter().map(status_json).collect();
    Ok(body)
}

/// `POST /api/v1/warnings/{id}/ack`: acknowledges the warning's current revision.
pub async fn acknowledge(state: &App, caller: &Caller, id: String) -> Result<Value> {
    let warning = load_warning(state, caller, &id).await?;
    let account = own_warning(caller, &warning)?;
    let ack = state.store.acknowledge(&id, &account.id, chrono::Utc::now()).await?;
    Ok(json!({"warning": id, "account": ack.account_id, "revision": ack.revision, "at": ack.at.to_rfc3339()}))
}

/// `PUT /api/v1/warnings/{id}/assets/{asset}/status`: the unit's status of one asset
/// group the warning names.
pub async fn set_status(
    state: &App,
    caller: &Caller,
    (id, asset): (String, String),
    body: StatusBody,
) -> Result<Value> {
    let warning = load_warning(state, caller, &id).await?;
    let account = own_warning(caller, &warning)?;
    if !affected_assets(&warning).contains(&asset) {
        return Err(Error::not_found("asset of this warning"));
    }
    let mut problems = Vec::new();
    if !matches!(body.status.as_str(), "affected" | "mitigated" | "fixed" | "not_affected") {
        problems.push((
            "$.status".to_owned(),
            format!("`{}` is not affected, mitigated, fixed or not_affected", body.status),
        ));
    }
    let justification = match (&body.justification, body.status.as_str()) {
        (None, "not_affected") => {
            problems.push(("$.justification".into(), "not_affected needs a VEX justification".into()));
            None
        }
        (Some(text), "not_affected") => match Justification::parse(text) {
            Some(j) => Some(j.cyclonedx().to_owned()),
            None => {
                problems.push((
                    "$.justification".into(),
                    format!("`{text}` is not a CycloneDX justification or CSAF flag label"),
                ));
                None
            }
        },
        (Some(_), _) => {
            problems.push(("$.justification".into(), "only not_affected takes a justification".into()));
            None
        }
        (None, _) => None,
    };
    if !problems.is_empty() {
        return Err(Error::invalid(problems));
    }
    let status = AssetStatus {
        asset,
        status: body.status,
        justification,
        detail: body.detail,
        by_account: Some(account.id.clone()),
        at: chrono::Utc::now(),
    };
    state.store.set_asset_status(&id, &status).await?;
    Ok(status_json(&status))
}

/// `GET /api/v1/warnings/{id}/vex.cdx.json`: the unit's status as CycloneDX 1.6 VEX.
pub async fn vex_cyclonedx(state: &App, caller: &Caller, id: String) -> Result<Value> {
    let warning = load_warning(state, caller, &id).await?;
    let (statement, _) = statement(state, &warning).await?;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(cyclonedx_vex(&serial(), &now, &statement))
}

/// `GET /api/v1/warnings/{id}/vex.csaf.json`: the unit's status as a CSAF 2.0 VEX
/// document (`csaf_vex`), labelled with the warning's TLP.
pub async fn vex_csaf(state: &App, caller: &Caller, id: String) -> Result<Value> {
    let warning = load_warning(state, caller, &id).await?;
    let (statement, statuses) = statement(state, &warning).await?;
    let stored = state.store.vulnerability(&warning.vulnerability_id).await?;
    let record: VulnerabilityJson = serde_json::from_value(stored.record.clone())
        .map_err(|e| Error::internal(format!("{}: {e}", stored.id)))?;
    let mut v = record.into_domain("$").map_err(|p| Error::internal(format!("{}: {p:?}", stored.id)))?;
    if warning.tlp != crate::warnings::TLP_CLEAR {
        // Before publication the unit gets no more than the warning says.
        v.description = v.title.clone();
        v.threats.clear();
        v.references.clear();
    }
    let products: Vec<(String, csaf::VexStatus)> = statement
        .components
        .iter()
        .map(|c| {
            let name =
                format!("{}: {} {}", c.asset, c.name, c.version.as_deref().unwrap_or("(version unknown)"));
            (name, csaf_status(asset_state(statuses.iter().find(|s| s.asset == c.asset))))
        })
        .collect();
    let updated = statuses.iter().map(|s| s.at).max().unwrap_or(warning.updated_at).max(warning.updated_at);
    let tracking = Tracking {
        id: format!("VEX-{}-{}", warning.vulnerability_id, &warning.id[..8.min(warning.id.len())]),
        status: "interim".into(),
        revisions: vec![Revision {
            number: 1,
            date: updated,
            summary: "Status of the affected assets".into(),
        }],
    };
    let publisher = Publisher {
        category: "user".into(),
        name: warning.org_id.clone(),
        namespace: "https://vulnrelay.invalid".into(),
    };
    let title = format!("{} — status of {}'s assets", warning.vulnerability_id, warning.org_id);
    let mut doc = csaf::vex(&title, &publisher, &tracking, &v, &products, csaf::Lang::En)
        .map_err(|e| Error::conflict("not_exportable", e.to_string()))?;
    if warning.tlp == crate::warnings::TLP_AMBER {
        doc["document"]["distribution"]["tlp"]["label"] = json!("AMBER");
    }
    Ok(doc)
}

/// `POST /api/v1/warnings/rematch`: re-runs matching of every inventory against every
/// record (analysts, administrators).
pub async fn rematch(state: &App, caller: &Caller) -> Result<Value> {
    if crate::relations::admin(caller).is_none() {
        crate::relations::platform_staff(state, caller).await?;
    }
    let done = rematch_all(state).await?;
    Ok(json!({
        "vulnerabilities": done.vulnerabilities, "components": done.components, "affected": done.affected,
        "withheld": done.withheld, "warnings_written": done.written,
    }))
}

/// `POST /api/v1/cases/{id}/warnings`: the case's platform warns the industry now (向行业
/// 单位风险预警) — every unit whose inventory runs an affected component, before
/// publication too (`TLP:AMBER`, no exploit detail, never a suspended unit) — with its
/// note. The case's platform analysts and coordinators.
pub async fn warn_industry(
    state: &App,
    caller: &Caller,
    id: String,
    body: IndustryWarningBody,
) -> Result<Value> {
    let note = vulnrelay_domain::Localized {
        en: body.note.en.filter(|t| !t.trim().is_empty()),
        zh: body.note.zh.filter(|t| !t.trim().is_empty()),
    };
    if note.is_empty() {
        return Err(Error::invalid(vec![("$.note".into(), "a note in English or Chinese".into())]));
    }
    let done = crate::warnings::warn_industry(state, caller, &id, &body.vulnerabilities, None, note).await?;
    Ok(json!({
        "case": id, "vulnerabilities": done.vulnerabilities, "affected": done.affected,
        "withheld": done.withheld, "warnings_written": done.written,
    }))
}

fn warning_json(w: &Warning) -> Value {
    json!({
        "id": w.id, "org": w.org_id, "vulnerability": w.vulnerability_id, "case": w.case_id,
        "state": w.state.as_str(), "tlp": w.tlp, "severity": w.severity, "revision": w.revision,
        "created_at": w.created_at.to_rfc3339(), "updated_at": w.updated_at.to_rfc3339(),
        "content": w.content,
    })
}

/// Warnings per page when the query names no `limit`.
pub const DEFAULT_PAGE: i64 = 100;
/// The largest `limit` accepted.
pub const MAX_PAGE: i64 = 1000;

/// The opaque text of a cursor: URL-safe base64 of the time as stored and the id.
fn encode_cursor(cursor: &WarningCursor) -> String {
    use base64::Engine;
    let time = vulnrelay_store::time::format_ts(cursor.updated_at);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{time} {}", cursor.id))
}

fn decode_cursor(text: &str) -> Result<WarningCursor> {
    use base64::Engine;
    let bad = || Error::bad_request("`cursor` is not a cursor this server gave out (use `next_cursor`)");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (time, id) = text.split_once(' ').ok_or_else(bad)?;
    let updated_at = vulnrelay_store::time::parse_ts(time).ok_or_else(bad)?;
    Ok(WarningCursor { updated_at, id: id.to_owned() })
}

async fn load_warning(state: &App, caller: &Caller, id: &str) -> Result<Warning> {
    let warning = state.store.warning(id).await.map_err(|_| Error::not_found("warning"))?;
    visible_to(state, caller, &warning).await?;
    Ok(warning)
}

fn status_json(s: &AssetStatus) -> Value {
    json!({
        "asset": s.asset, "status": s.status, "justification": s.justification, "detail": s.detail,
        "by": s.by_account, "at": s.at.to_rfc3339(),
    })
}

fn own_warning(caller: &Caller, warning: &Warning) -> Result<Account> {
    let (account, org) = member(caller)?;
    if org != warning.org_id {
        return Err(Error::forbidden("only the warned organisation answers its warnings"));
    }
    Ok(account.clone())
}

/// Body of `PUT /api/v1/warnings/{id}/assets/{asset}/status`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// `affected`, `mitigated`, `fixed` or `not_affected`.
    pub status: String,
    /// For `not_affected`: a CycloneDX justification (`code_not_reachable`, ...) or a
    /// CSAF flag label (`vulnerable_code_not_in_execute_path`, ...).
    pub justification: Option<String>,
    /// Free text.
    pub detail: Option<String>,
}

fn affected_assets(warning: &Warning) -> Vec<String> {
    warning.content["affected"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|a| a["asset"].as_str().map(str::to_owned))
        .collect()
}

fn asset_state(status: Option<&AssetStatus>) -> AssetState {
    match status.map(|s| (s.status.as_str(), s.justification.as_deref())) {
        Some(("affected", _)) => AssetState::Affected,
        Some(("mitigated", _)) => AssetState::Mitigated,
        Some(("fixed", _)) => AssetState::Fixed,
        Some(("not_affected", j)) => {
            AssetState::NotAffected(j.and_then(Justification::parse).unwrap_or(Justification::CodeNotPresent))
        }
        _ => AssetState::Unreported,
    }
}

async fn statement(state: &App, warning: &Warning) -> Result<(VexStatement, Vec<AssetStatus>)> {
    let statuses = state.store.asset_statuses(&warning.id).await?;
    let mut components = Vec::new();
    let mut assets = Vec::new();
    for affected in warning.content["affected"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let asset = affected["asset"].as_str().unwrap_or_default().to_owned();
        for c in affected["components"].as_array().map(Vec::as_slice).unwrap_or_default() {
            components.push(VexComponent {
                asset: asset.clone(),
                name: c["name"].as_str().unwrap_or_default().to_owned(),
                version: c["version"].as_str().map(str::to_owned),
                purl: c["purl"].as_str().map(str::to_owned),
            });
        }
        let status = statuses.iter().find(|s| s.asset == asset);
        assets.push((asset, asset_state(status), status.and_then(|s| s.detail.clone())));
    }
    let v = &warning.content["vulnerability"];
    Ok((
        VexStatement {
            vulnerability: warning.vulnerability_id.clone(),
            aliases: v["aliases"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect(),
            recommendation: warning.content["remediation"]["en"].as_str().map(str::to_owned),
            assets,
            components,
        },
        statuses,
    ))
}

/// A UUID (version 4) URN for a document's serial number.
fn serial() -> String {
    let mut b = [0u8; 16];
    vulnrelay_store::fill_random(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("urn:uuid:{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// A note in both languages (either may be missing, not both).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// English.
    pub en: Option<String>,
    /// Simplified Chinese.
    pub zh: Option<String>,
}

/// Body of `POST /api/v1/cases/{id}/warnings`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndustryWarningBody {
    /// What the platform tells the units.
    pub note: NoteBody,
    /// The records of the case to warn of (every record of the case when empty).
    #[serde(default)]
    pub vulnerabilities: Vec<String>,
}

/// Query of `GET /api/v1/warnings`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WarningsQuery {
    /// Only warnings about this vulnerability.
    pub vulnerability: Option<String>,
    /// Analysts and administrators: only this organisation's warnings.
    pub org: Option<String>,
    /// Page size: 1 to [`MAX_PAGE`], [`DEFAULT_PAGE`] when absent.
    pub limit: Option<i64>,
    /// Where the page starts: the `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
