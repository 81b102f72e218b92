//! How warnings and notices reach a unit: its webhook subscriptions (signed, never to
//! a private address unless the platform allows it), the deliveries with their
//! attempts and replay of dead letters, and the in-app inbox.

use serde::Deserialize;
use serde_json::{Value, json};
use vulnrelay_domain::AccountRole;
use vulnrelay_store::warnings::{Delivery, DeliveryFilter, DeliveryState};

use crate::App;
use crate::assets::member;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::secrets::new_secret;

/// `POST /api/v1/webhooks`: subscribes a URL to the organisation's warnings and
/// reminders; the signing secret is in the answer, once.
pub async fn create_webhook(state: &App, caller: &Caller, body: WebhookBody) -> Result<Value> {
    let (_, org) = member(caller)?;
    let url = reqwest::Url::parse(&body.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            Error::invalid(vec![("$.url".into(), "expected an http:// or https:// URL".into())])
        })?;
    if !state.config.allow_private_webhooks {
        crate::worker::check_public_target(&url)
            .await
            .map_err(|message| Error::invalid(vec![("$.url".into(), message)]))?;
    }
    let secret = new_secret("whsec_");
    let hook = state.store.create_webhook(&org, url.as_str(), &secret, chrono::Utc::now()).await?;
    let mut answer = webhook_json(&hook);
    answer["secret"] = json!(secret);
    Ok(answer)
}

/// `GET /api/v1/webhooks`: the organisation's webhooks (without secrets).
pub async fn list_webhooks(state: &App, caller: &Caller) -> Result<Value> {
    let (_, org) = member(caller)?;
    let hooks = state.store.webhooks(Some(&org)).await?;
    Ok(json!({"webhooks": hooks.iter().map(webhook_json).collect::<Vec<_>>()}))
}

/// `DELETE /api/v1/webhooks/{id}`: stops sending to a webhook.
pub async fn delete_webhook(state: &App, caller: &Caller, id: String) -> Result<()> {
    let (_, org) = member(caller)?;
    let hook = state.store.webhook(&id).await.map_err(|_| Error::not_found("webhook"))?;
    if hook.org_id != org {
        return Err(Error::not_found("webhook"));
    }
    state.store.deactivate_webhook(&id).await?;
    Ok(())
}

/// `GET /api/v1/deliveries`: the organisation's deliveries, oldest first, by pages.
pub async fn list_deliveries(state: &App, caller: &Caller, query: DeliveriesQuery) -> Result<Value> {
    deliveries_page(state, caller, query, false).await
}

/// `GET /api/v1/deliveries/dead`: the dead letters.
pub async fn dead_deliveries(state: &App, caller: &Caller, query: DeliveriesQuery) -> Result<Value> {
    deliveries_page(state, caller, query, true).await
}

/// `GET /api/v1/deliveries/{id}`: a delivery with its attempts.
pub async fn show_delivery(state: &App, caller: &Caller, id: String) -> Result<Value> {
    let delivery = own_delivery(state, caller, &id).await?;
    let mut body = delivery_json(&delivery);
    body["payload"] = delivery.payload.clone();
    body["attempt_log"] = state
        .store
        .delivery_attempts(&id)
        .await?
        .iter()
        .map(|a| json!({"attempt": a.attempt, "at": a.at.to_rfc3339(), "outcome": a.outcome, "error": a.error}))
        .collect();
    Ok(body)
}

/// `POST /api/v1/deliveries/{id}/replay`: sends a delivery again, now, with the same
/// idempotency key (a dead letter, or one the receiver lost).
pub async fn replay(state: &App, caller: &Caller, id: String) -> Result<Value> {
    own_delivery(state, caller, &id).await?;
    let delivery = state.store.replay_delivery(&id, chrono::Utc::now()).await?;
    Ok(delivery_json(&delivery))
}

/// `GET /api/v1/inbox`: the organisation's in-app inbox, newest first.
pub async fn inbox(state: &App, caller: &Caller) -> Result<Value> {
    let (_, org) = member(caller)?;
    let messages = state.store.inbox(&org, 200).await?;
    Ok(json!({"messages": messages.iter().map(|m| json!({
        "delivery": m.delivery_id, "topic": m.topic, "at": m.at.to_rfc3339(), "message": m.payload,
    })).collect::<Vec<_>>()}))
}

/// Body of `POST /api/v1/webhooks`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
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

fn delivery_json(d: &Delivery) -> Value {
    json!({
        "id": d.id, "idempotency_key": d.idempotency_key, "org": d.org_id, "channel": d.channel.as_str(),
        "webhook": d.webhook_id, "topic": d.topic, "warning": d.warning_id, "state": d.state.as_str(),
        "attempts": d.attempts, "next_attempt_at": d.next_attempt_at.to_rfc3339(), "last_error": d.last_error,
        "created_at": d.created_at.to_rfc3339(), "delivered_at": d.delivered_at.map(|t| t.to_rfc3339()),
    })
}

async fn deliveries_page(state: &App, caller: &Caller, query: DeliveriesQuery, dead: bool) -> Result<Value> {
    let account = caller.require()?;
    let admin = account.roles.contains(&AccountRole::Admin);
    let org = if admin { query.org.clone() } else { Some(member(caller)?.1) };
    let wanted = if dead { Some("dead") } else { query.state.as_deref() };
    let state_filter = match wanted {
        None => None,
        Some(text) => Some(DeliveryState::parse(text).ok_or_else(|| {
            Error::invalid(vec![("state".into(), format!("`{text}` is not pending, delivered or dead"))])
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
    Ok(json!({"deliveries": items.iter().map(delivery_json).collect::<Vec<_>>(), "next": next}))
}

async fn own_delivery(state: &App, caller: &Caller, id: &str) -> Result<Delivery> {
    let account = caller.require()?;
    let delivery = state.store.delivery(id).await.map_err(|_| Error::not_found("delivery"))?;
    if account.roles.contains(&AccountRole::Admin)
        || account.org_id.as_deref() == Some(delivery.org_id.as_str())
    {
        Ok(delivery)
    } else {
        Err(Error::not_found("delivery"))
    }
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
