//! Risk warnings (风险预警) and what feeds and carries them: asset groups (CycloneDX
//! SBOM upload, `vulnrelay scan --upload`, or by hand), warnings with acknowledgements,
//! per-asset status and their VEX exports, webhook subscriptions, deliveries (with
//! replay of dead letters) and the in-app inbox.
//!
//! An organisation's accounts see and act on its own inventory, warnings, webhooks and
//! deliveries. Platform analysts and administrators may list every warning whose case
//! they may read, re-run matching, and (administrators) replay any delivery.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use vulnrelay_domain::AccountRole;
use vulnrelay_formats::csaf::{self, Publisher, Revision, Tracking};
use vulnrelay_formats::record::VulnerabilityJson;
use vulnrelay_formats::vex::{
    AssetState, Justification, VexComponent, VexStatement, csaf_status, cyclonedx_vex,
};
use vulnrelay_store::Account;
use vulnrelay_store::warnings::{
    AssetComponent, AssetGroup, AssetStatus, Delivery, DeliveryFilter, DeliveryState, Warning, WarningCursor,
    WarningFilter,
};

use crate::AppState;
use crate::auth::{Auth, Caller, new_secret};
use crate::errors::{AppError, AppResult};
use crate::warnings::{rematch_all, rematch_org, visible_to};

/// The caller's account and organisation (403 for an account of no organisation).
fn member(caller: &Caller) -> AppResult<(&Account, String)> {
    let account = caller.require()?;
    let org = account
        .org_id
        .clone()
        .ok_or_else(|| AppError::forbidden("this needs an account of an organisation"))?;
    Ok((account, org))
}

fn group_json(group: &AssetGroup) -> Value {
    json!({
        "name": group.name, "org": group.org_id, "source": group.source, "revision": group.revision,
        "components": group.components, "created_at": group.created_at.to_rfc3339(),
        "updated_at": group.updated_at.to_rfc3339(),
    })
}

fn component_json(c: &AssetComponent) -> Value {
    json!({"name": c.name, "version": c.version, "purl": c.purl, "bom_ref": c.bom_ref})
}

/// `GET /api/v1/assets/groups`: the caller's organisation's asset groups.
pub async fn list_groups(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    let (_, org) = member(&caller)?;
    let groups = state.store.asset_groups(Some(&org)).await?;
    Ok(Json(json!({"org": org, "groups": groups.iter().map(group_json).collect::<Vec<_>>()})))
}

/// `GET /api/v1/assets/groups/{name}`: a group with its current components.
pub async fn show_group(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(name): Path<String>,
) -> AppResult<Json<Value>> {
    let (_, org) = member(&caller)?;
    let (group, components) = state.store.asset_group(&org, &name).await?;
    let mut body = group_json(&group);
    body["components"] = components.iter().map(component_json).collect();
    body["component_count"] = json!(group.components);
    Ok(Json(body))
}

/// `GET /api/v1/assets/groups/{name}/history`: every upload of a group.
pub async fn group_history(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(name): Path<String>,
) -> AppResult<Json<Value>> {
    let (_, org) = member(&caller)?;
    let history = state.store.asset_history(&org, &name).await?;
    let revisions: Vec<Value> = history
        .iter()
        .map(|r| {
            json!({
                "revision": r.revision, "source": r.source, "uploaded_by": r.uploaded_by,
                "uploaded_at": r.uploaded_at.to_rfc3339(),
                "components": r.components.iter().map(component_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({"name": name, "revisions": revisions})))
}

/// Query of `PUT /api/v1/assets/groups/{name}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PutGroupQuery {
    /// `sbom` (default for a CycloneDX body), `scan` (what `vulnrelay scan --upload`
    /// sends) or `manual` (default for a `{"components": [...]}` body).
    pub source: Option<String>,
}

/// The largest SBOM `PUT /api/v1/assets/groups/{name}` accepts (the API's general
/// body limit is smaller): 16 MiB, about 40,000 CycloneDX components with hashes and
/// licences. A larger estate is uploaded as several groups.
pub const MAX_SBOM_BYTES: usize = 16 * 1024 * 1024;

/// The most components one upload may list.
pub const MAX_COMPONENTS: usize = 50_000;

/// A parsed SBOM takes many times its size in memory. Uploads are parsed one at a
/// time on one thread of their own: the allocator serves each parse from that
/// thread's arena and reuses it for the next, so many uploads (even at once) cost the
/// memory of one, where parses on the runtime's threads would each leave their arena
/// grown.
struct Parser {
    jobs: std::sync::mpsc::SyncSender<(axum::body::Bytes, tokio::sync::oneshot::Sender<AppResult<Parsed>>)>,
}

/// The components of an upload, and whether it was a CycloneDX BOM.
type Parsed = (Vec<AssetComponent>, bool);

impl Parser {
    fn get() -> &'static Parser {
        static PARSER: std::sync::OnceLock<Parser> = std::sync::OnceLock::new();
        PARSER.get_or_init(|| {
            let (jobs, queue) = std::sync::mpsc::sync_channel::<(
                axum::body::Bytes,
                tokio::sync::oneshot::Sender<AppResult<Parsed>>,
            )>(2);
            let spawned = std::thread::Builder::new().name("vulnrelay-uploads".into()).spawn(move || {
                for (bytes, answer) in queue {
                    let parsed = axum::Json::<Value>::from_bytes(&bytes)
                        .map_err(AppError::from)
                        .and_then(|axum::Json(body)| read_components(body));
                    drop(bytes);
                    let _ = answer.send(parsed);
                }
            });
            if let Err(error) = spawned {
                tracing::error!(%error, "the upload parser thread did not start");
            }
            Parser { jobs }
        })
    }

    /// Parses `bytes` on the parser's thread.
    async fn parse(&self, bytes: axum::body::Bytes) -> AppResult<Parsed> {
        let (answer, parsed) = tokio::sync::oneshot::channel();
        let jobs = self.jobs.clone();
        tokio::task::spawn_blocking(move || jobs.send((bytes, answer)))
            .await
            .map_err(AppError::internal)?
            .map_err(|_| AppError::internal("the upload parser thread is gone"))?;
        parsed.await.map_err(|_| AppError::internal("the upload parser dropped a job"))?
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '))
}

/// Reads a hand-made inventory: `{"components": [{"name", "version", "purl"}]}`.
fn manual_components(body: &Value) -> AppResult<Vec<AssetComponent>> {
    let Some(items) = body.get("components").and_then(Value::as_array) else {
        return Err(AppError::invalid(vec![(
            "$".into(),
            "expected a CycloneDX BOM or an object with a `components` array".into(),
        )]));
    };
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let text = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_owned);
        let purl = text("purl");
        if let Some(p) = &purl
            && let Err(e) = vulnrelay_match::parse_purl(p)
        {
            problems.push((format!("$.components[{i}].purl"), e.to_string()));
        }
        let name = text("name").or_else(|| purl.clone()).unwrap_or_default();
        if name.is_empty() {
            problems.push((format!("$.components[{i}]"), "needs a name or a purl".into()));
        }
        out.push(AssetComponent { name, version: text("version"), purl, bom_ref: None });
    }
    if problems.is_empty() { Ok(out) } else { Err(AppError::invalid(problems)) }
}

/// `PUT /api/v1/assets/groups/{name}`: replaces a group's components (the previous
/// upload stays in its history) from a CycloneDX 1.4–1.6 JSON SBOM (validated against
/// the schema) or a `{"components": [...]}` list, then re-runs matching for the
/// organisation.
pub async fn put_group(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(name): Path<String>,
    Query(query): Query<PutGroupQuery>,
    bytes: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    let (account, org) = member(&caller)?;
    if !valid_name(&name) {
        return Err(AppError::invalid(vec![(
            "name".into(),
            "1 to 100 letters, digits, spaces, `-`, `_` or `.`".into(),
        )]));
    }
    // The body was read within the upload limit; it is parsed on the parser's thread.
    let components = Parser::get().parse(bytes).await?;
    put_components(&state, &account.id, &org, &name, query.source.as_deref(), components).await
}

/// The components of an upload, with whether it was a CycloneDX BOM.
fn read_components(body: Value) -> AppResult<Parsed> {
    let is_bom = body.get("bomFormat").is_some();
    let listed = body.get("components").and_then(Value::as_array).map_or(0, Vec::len);
    if listed > MAX_COMPONENTS {
        return Err(AppError::invalid(vec![(
            "$.components".into(),
            format!("{listed} components; an upload lists at most {MAX_COMPONENTS} (split it into groups)"),
        )]));
    }
    let components = if is_bom {
        vulnrelay_formats::sbom::parse(&body)
            .map_err(|problems| {
                AppError::invalid(problems.into_iter().map(|p| (p.path, p.message)).collect())
            })?
            .into_iter()
            .map(|c| AssetComponent {
                name: match &c.group {
                    Some(group) => format!("{group}:{}", c.name),
                    None => c.name,
                },
                version: c.version,
                purl: c.purl,
                bom_ref: c.bom_ref,
            })
            .collect()
    } else {
        manual_components(&body)?
    };
    Ok((components, is_bom))
}

async fn put_components(
    state: &AppState,
    account_id: &str,
    org: &str,
    name: &str,
    source: Option<&str>,
    (components, is_bom): (Vec<AssetComponent>, bool),
) -> AppResult<Json<Value>> {
    let source = match source {
        None if is_bom => "sbom",
        None => "manual",
        Some(s @ ("sbom" | "scan" | "manual")) => s,
        Some(other) => {
            return Err(AppError::invalid(vec![(
                "source".into(),
                format!("`{other}` is not sbom, scan or manual"),
            )]));
        }
    };
    let group = state
        .store
        .put_asset_group(org, name, source, &components, Some(account_id), chrono::Utc::now())
        .await?;
    let rematch = rematch_org(state, org).await?;
    let mut answer = group_json(&group);
    answer["matching"] = json!({"affected": rematch.affected, "warnings_written": rematch.written});
    Ok(Json(answer))
}

fn warning_json(w: &Warning) -> Value {
    json!({
        "id": w.id, "org": w.org_id, "vulnerability": w.vulnerability_id, "case": w.case_id,
        "state": w.state.as_str(), "tlp": w.tlp, "severity": w.severity, "revision": w.revision,
        "created_at": w.created_at.to_rfc3339(), "updated_at": w.updated_at.to_rfc3339(),
        "content": w.content,
    })
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

fn decode_cursor(text: &str) -> AppResult<WarningCursor> {
    use base64::Engine;
    let bad = || AppError::bad_request("`cursor` is not a cursor this server gave out (use `next_cursor`)");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (time, id) = text.split_once(' ').ok_or_else(bad)?;
    let updated_at = vulnrelay_store::time::parse_ts(time).ok_or_else(bad)?;
    Ok(WarningCursor { updated_at, id: id.to_owned() })
}

/// `GET /api/v1/warnings`: the caller's organisation's warnings, newest change first
/// (analysts and administrators: every warning whose case they may read), a page at a time:
/// `next_cursor`, when not null, fetches the next page. A page may hold fewer than `limit`
/// warnings when some are not the caller's to see.
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(query): Query<WarningsQuery>,
) -> AppResult<Json<Value>> {
    caller.require()?;
    let operator = crate::relations::admin(&caller).is_some()
        || crate::relations::platform_staff(&state, &caller).await.is_ok();
    let org = if operator { query.org.clone() } else { Some(member(&caller)?.1) };
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::bad_request(format!("`limit` must be between 1 and {MAX_PAGE}")));
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
                let known = visible_to(&state, &caller, &w).await.is_ok();
                visible.insert(key, known);
                known
            }
        };
        if shown {
            items.push(warning_json(&w));
        }
    }
    Ok(Json(json!({"warnings": items, "next_cursor": next_cursor.as_ref().map(encode_cursor)})))
}

async fn load_warning(state: &AppState, caller: &Caller, id: &str) -> AppResult<Warning> {
    let warning = state.store.warning(id).await.map_err(|_| AppError::not_found("warning"))?;
    visible_to(state, caller, &warning).await?;
    Ok(warning)
}

/// `GET /api/v1/warnings/{id}`: a warning with its acknowledgements and per-asset status.
pub async fn show(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let warning = load_warning(&state, &caller, &id).await?;
    let mut body = warning_json(&warning);
    body["acknowledgements"] = state
        .store
        .acknowledgements(&id)
        .await?
        .iter()
        .map(|a| json!({"account": a.account_id, "revision": a.revision, "at": a.at.to_rfc3339()}))
        .collect();
    body["assets"] = state.store.asset_statuses(&id).await?.iter().map(status_json).collect();
    Ok(Json(body))
}

fn status_json(s: &AssetStatus) -> Value {
    json!({
        "asset": s.asset, "status": s.status, "justification": s.justification, "detail": s.detail,
        "by": s.by_account, "at": s.at.to_rfc3339(),
    })
}

fn own_warning(caller: &Caller, warning: &Warning) -> AppResult<Account> {
    let (account, org) = member(caller)?;
    if org != warning.org_id {
        return Err(AppError::forbidden("only the warned organisation answers its warnings"));
    }
    Ok(account.clone())
}

/// `POST /api/v1/warnings/{id}/ack`: acknowledges the warning's current revision.
pub async fn acknowledge(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let warning = load_warning(&state, &caller, &id).await?;
    let account = own_warning(&caller, &warning)?;
    let ack = state.store.acknowledge(&id, &account.id, chrono::Utc::now()).await?;
    Ok(Json(
        json!({"warning": id, "account": ack.account_id, "revision": ack.revision, "at": ack.at.to_rfc3339()}),
    ))
}

/// Body of `PUT /api/v1/warnings/{id}/assets/{asset}/status`.
#[derive(Debug, Deserialize)]
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

/// `PUT /api/v1/warnings/{id}/assets/{asset}/status`: the unit's status of one asset
/// group the warning names.
pub async fn set_status(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, asset)): Path<(String, String)>,
    Json(body): Json<StatusBody>,
) -> AppResult<Json<Value>> {
    let warning = load_warning(&state, &caller, &id).await?;
    let account = own_warning(&caller, &warning)?;
    if !affected_assets(&warning).contains(&asset) {
        return Err(AppError::not_found("asset of this warning"));
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
        return Err(AppError::invalid(problems));
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
    Ok(Json(status_json(&status)))
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

async fn statement(state: &AppState, warning: &Warning) -> AppResult<(VexStatement, Vec<AssetStatus>)> {
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

/// `GET /api/v1/warnings/{id}/vex.cdx.json`: the unit's status as CycloneDX 1.6 VEX.
pub async fn vex_cyclonedx(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let warning = load_warning(&state, &caller, &id).await?;
    let (statement, _) = statement(&state, &warning).await?;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(Json(cyclonedx_vex(&serial(), &now, &statement)))
}

/// `GET /api/v1/warnings/{id}/vex.csaf.json`: the unit's status as a CSAF 2.0 VEX
/// document (`csaf_vex`), labelled with the warning's TLP.
pub async fn vex_csaf(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let warning = load_warning(&state, &caller, &id).await?;
    let (statement, statuses) = statement(&state, &warning).await?;
    let stored = state.store.vulnerability(&warning.vulnerability_id).await?;
    let record: VulnerabilityJson = serde_json::from_value(stored.record.clone())
        .map_err(|e| AppError::internal(format!("{}: {e}", stored.id)))?;
    let mut v = record.into_domain("$").map_err(|p| AppError::internal(format!("{}: {p:?}", stored.id)))?;
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
        .map_err(|e| AppError::conflict("not_exportable", e.to_string()))?;
    if warning.tlp == crate::warnings::TLP_AMBER {
        doc["document"]["distribution"]["tlp"]["label"] = json!("AMBER");
    }
    Ok(Json(doc))
}

/// `POST /api/v1/warnings/rematch`: re-runs matching of every inventory against every
/// record (analysts, administrators).
pub async fn rematch(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    if crate::relations::admin(&caller).is_none() {
        crate::relations::platform_staff(&state, &caller).await?;
    }
    let done = rematch_all(&state).await?;
    Ok(Json(json!({
        "vulnerabilities": done.vulnerabilities, "components": done.components, "affected": done.affected,
        "withheld": done.withheld, "warnings_written": done.written,
    })))
}

/// A note in both languages (either may be missing, not both).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// English.
    pub en: Option<String>,
    /// Simplified Chinese.
    pub zh: Option<String>,
}

/// Body of `POST /api/v1/cases/{id}/warnings`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndustryWarningBody {
    /// What the platform tells the units.
    pub note: NoteBody,
    /// The records of the case to warn of (every record of the case when empty).
    #[serde(default)]
    pub vulnerabilities: Vec<String>,
}

/// `POST /api/v1/cases/{id}/warnings`: the case's platform warns the industry now (向行业
/// 单位风险预警) — every unit whose inventory runs an affected component, before
/// publication too (`TLP:AMBER`, no exploit detail, never a suspended unit) — with its
/// note. The case's platform analysts and coordinators.
pub async fn warn_industry(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Json(body): Json<IndustryWarningBody>,
) -> AppResult<Json<Value>> {
    let note = vulnrelay_domain::Localized {
        en: body.note.en.filter(|t| !t.trim().is_empty()),
        zh: body.note.zh.filter(|t| !t.trim().is_empty()),
    };
    if note.is_empty() {
        return Err(AppError::invalid(vec![("$.note".into(), "a note in English or Chinese".into())]));
    }
    let done =
        crate::warnings::warn_industry(&state, &caller, &id, &body.vulnerabilities, None, note).await?;
    Ok(Json(json!({
        "case": id, "vulnerabilities": done.vulnerabilities, "affected": done.affected,
        "withheld": done.withheld, "warnings_written": done.written,
    })))
}

/// Body of `POST /api/v1/webhooks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    /// Where to POST deliveries (`http://` or `https://`).
    pub url: String,
}

fn webhook_json(w: &vulnrelay_store::warnings::Webhook) -> Value {
    json!({"id": w.id, "org": w.org_id, "url": shown_url(&w.url), "active": w.active, "created_at": w.created_at.to_rfc3339()})
}

/// A webhook URL as shown back: credentials in it (`https://user:secret@host/`) are
/// replaced by `redacted`, never echoed.
fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_password(None);
            let _ = parsed.set_username("redacted");
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => "redacted".to_owned(),
    }
}

/// `POST /api/v1/webhooks`: subscribes a URL to the organisation's warnings and
/// reminders; the signing secret is in the answer, once.
pub async fn create_webhook(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<WebhookBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let (_, org) = member(&caller)?;
    let url = reqwest::Url::parse(&body.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            AppError::invalid(vec![("$.url".into(), "expected an http:// or https:// URL".into())])
        })?;
    if !state.config.allow_private_webhooks {
        crate::worker::check_public_target(&url)
            .await
            .map_err(|message| AppError::invalid(vec![("$.url".into(), message)]))?;
    }
    let secret = new_secret("whsec_");
    let hook = state.store.create_webhook(&org, url.as_str(), &secret, chrono::Utc::now()).await?;
    let mut answer = webhook_json(&hook);
    answer["secret"] = json!(secret);
    Ok((StatusCode::CREATED, Json(answer)))
}

/// `GET /api/v1/webhooks`: the organisation's webhooks (without secrets).
pub async fn list_webhooks(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    let (_, org) = member(&caller)?;
    let hooks = state.store.webhooks(Some(&org)).await?;
    Ok(Json(json!({"webhooks": hooks.iter().map(webhook_json).collect::<Vec<_>>()})))
}

/// `DELETE /api/v1/webhooks/{id}`: stops sending to a webhook.
pub async fn delete_webhook(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let (_, org) = member(&caller)?;
    let hook = state.store.webhook(&id).await.map_err(|_| AppError::not_found("webhook"))?;
    if hook.org_id != org {
        return Err(AppError::not_found("webhook"));
    }
    state.store.deactivate_webhook(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn delivery_json(d: &Delivery) -> Value {
    json!({
        "id": d.id, "idempotency_key": d.idempotency_key, "org": d.org_id, "channel": d.channel.as_str(),
        "webhook": d.webhook_id, "topic": d.topic, "warning": d.warning_id, "state": d.state.as_str(),
        "attempts": d.attempts, "next_attempt_at": d.next_attempt_at.to_rfc3339(), "last_error": d.last_error,
        "created_at": d.created_at.to_rfc3339(), "delivered_at": d.delivered_at.map(|t| t.to_rfc3339()),
    })
}

/// Query of `GET /api/v1/deliveries`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    /// `pending`, `delivered` or `dead`.
    pub state: Option<String>,
    /// Only deliveries of this warning.
    pub warning: Option<String>,
    /// Administrators: only this organisation's.
    pub org: Option<String>,
    /// The previous page's `next`.
    pub after: Option<String>,
    /// Page size (default 100, at most 1000).
    pub limit: Option<i64>,
}

async fn deliveries_page(
    state: &AppState,
    caller: &Caller,
    query: DeliveriesQuery,
    dead: bool,
) -> AppResult<Json<Value>> {
    let account = caller.require()?;
    let admin = account.roles.contains(&AccountRole::Admin);
    let org = if admin { query.org.clone() } else { Some(member(caller)?.1) };
    let wanted = if dead { Some("dead") } else { query.state.as_deref() };
    let state_filter = match wanted {
        None => None,
        Some(text) => Some(DeliveryState::parse(text).ok_or_else(|| {
            AppError::invalid(vec![("state".into(), format!("`{text}` is not pending, delivered or dead"))])
        })?),
    };
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let filter = DeliveryFilter {
        org_id: org,
        state: state_filter,
        warning_id: query.warning,
        after: query.after,
        limit,
    };
    let items = state.store.deliveries(&filter).await?;
    let next = (items.len() as i64 == limit).then(|| items.last().map(|d| d.id.clone())).flatten();
    Ok(Json(json!({"deliveries": items.iter().map(delivery_json).collect::<Vec<_>>(), "next": next})))
}

/// `GET /api/v1/deliveries`: the organisation's deliveries, oldest first, by pages.
pub async fn list_deliveries(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(query): Query<DeliveriesQuery>,
) -> AppResult<Json<Value>> {
    deliveries_page(&state, &caller, query, false).await
}

/// `GET /api/v1/deliveries/dead`: the dead letters.
pub async fn dead_deliveries(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(query): Query<DeliveriesQuery>,
) -> AppResult<Json<Value>> {
    deliveries_page(&state, &caller, query, true).await
}

async fn own_delivery(state: &AppState, caller: &Caller, id: &str) -> AppResult<Delivery> {
    let account = caller.require()?;
    let delivery = state.store.delivery(id).await.map_err(|_| AppError::not_found("delivery"))?;
    if account.roles.contains(&AccountRole::Admin)
        || account.org_id.as_deref() == Some(delivery.org_id.as_str())
    {
        Ok(delivery)
    } else {
        Err(AppError::not_found("delivery"))
    }
}

/// `GET /api/v1/deliveries/{id}`: a delivery with its attempts.
pub async fn show_delivery(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let delivery = own_delivery(&state, &caller, &id).await?;
    let mut body = delivery_json(&delivery);
    body["payload"] = delivery.payload.clone();
    body["attempt_log"] = state
        .store
        .delivery_attempts(&id)
        .await?
        .iter()
        .map(|a| json!({"attempt": a.attempt, "at": a.at.to_rfc3339(), "outcome": a.outcome, "error": a.error}))
        .collect();
    Ok(Json(body))
}

/// `POST /api/v1/deliveries/{id}/replay`: sends a delivery again, now, with the same
/// idempotency key (a dead letter, or one the receiver lost).
pub async fn replay(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    own_delivery(&state, &caller, &id).await?;
    let delivery = state.store.replay_delivery(&id, chrono::Utc::now()).await?;
    Ok(Json(delivery_json(&delivery)))
}

/// `GET /api/v1/inbox`: the organisation's in-app inbox, newest first.
pub async fn inbox(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    let (_, org) = member(&caller)?;
    let messages = state.store.inbox(&org, 200).await?;
    Ok(Json(json!({"messages": messages.iter().map(|m| json!({
        "delivery": m.delivery_id, "topic": m.topic, "at": m.at.to_rfc3339(), "message": m.payload,
    })).collect::<Vec<_>>()})))
}
