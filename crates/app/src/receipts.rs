//! The receipt log of intakes: read by administrators and the platforms' analysts (of
//! the cases their platform works), purged only past the packs' retention.

use chrono_tz::Tz;
use serde_json::{Value, json};
use vulnrelay_domain::AccountRole;

use crate::App;
use crate::caller::Caller;
use crate::error::{Error, Result};

/// `GET /api/v1/receipts`: the receipt log (analysts and administrators).
pub async fn receipts(state: &App, caller: &Caller, query: ReceiptsQuery) -> Result<Value> {
    // An administrator sees the whole log; a platform's analysts the receipts of the
    // cases their platform works (never another platform's embargoed cases), found
    // through the derived views' relations.
    let platform = match crate::relations::admin(caller) {
        Some(_) => None,
        None => {
            crate::relations::platform_staff(state, caller).await?;
            caller.account.as_ref().and_then(|a| a.org_id.clone())
        }
    };
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let page = state
        .store
        .receipt_page(platform.as_deref(), query.after.as_deref(), i64::try_from(limit).unwrap_or(1000) + 1)
        .await?;
    let (page, next) = crate::paging::split(page, limit, |r| r.id.clone());
    let items: Vec<Value> = page
        .iter()
        .map(|r| {
            json!({"id": r.id, "case": r.case_id, "received_at": r.received_at.to_rfc3339(),
                        "channel": r.channel, "submitter": r.submitter})
        })
        .collect();
    Ok(json!({"receipts": items, "next": next}))
}

/// `POST /api/v1/receipts/purge?before=TIME` (administrators): deletes old receipts;
/// refused (409 `retention`) if any would be younger than the `receipt_log` retention
/// of the packs (CN Art. 5: 6 months).
pub async fn purge(state: &App, caller: &Caller, query: PurgeQuery) -> Result<Value> {
    caller.require_role(&[AccountRole::Admin])?;
    let before = vulnrelay_formats::case_file::parse_time(&query.before, Tz::UTC)
        .map_err(|e| Error::invalid(vec![("before".into(), e)]))?;
    let months = retention_months(state);
    let deleted = state.store.purge_receipts(before, chrono::Utc::now(), months).await?;
    Ok(json!({"deleted": deleted, "retention_months": months}))
}

/// The longest `receipt_log` retention of the server's packs.
pub fn retention_months(state: &App) -> u32 {
    state
        .packs
        .iter()
        .filter_map(|p| p.retention("receipt_log"))
        .map(|(_, r)| r.min_age_months)
        .max()
        .unwrap_or(0)
}

/// Query of `GET /api/v1/receipts`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReceiptsQuery {
    /// Page size (default 100, at most 1,000).
    pub limit: Option<usize>,
    /// Receipts after this one (the previous page's `next`).
    pub after: Option<String>,
}

/// Query of `POST /api/v1/receipts/purge`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PurgeQuery {
    /// Delete receipts received before this time (RFC 3339).
    pub before: String,
}
