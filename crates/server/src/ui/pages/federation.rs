//! The federation page for administrators: this instance's identity, its peers, the
//! relays with their status (delivered, retrying, dead) and a replay, and the refused
//! envelopes and mirrored files.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono_tz::Tz;
use maud::html;
use vulnrelay_domain::AccountRole;
use vulnrelay_store::warnings::DeliveryState;

use crate::AppState;
use crate::errors::AppError;
use crate::ui::session::{Ui, UiError};
use crate::ui::view::{csrf, page, time};

fn require_admin(ui: &Ui) -> Result<(), UiError> {
    ui.account()?;
    if ui.has_role(&[AccountRole::Admin]) {
        Ok(())
    } else {
        Err(ui.error(AppError::forbidden("this needs the role: admin")))
    }
}

/// `GET /federation`: identity, peers, relays and refusals.
pub async fn show(State(state): State<AppState>, ui: Ui) -> Result<Response, UiError> {
    require_admin(&ui)?;
    let lang = ui.lang;
    let peers = state.store.peers().await.map_err(|e| ui.error(e))?;
    let mut relays = state.store.relays(None).await.map_err(|e| ui.error(e))?;
    relays.reverse();
    relays.truncate(200);
    let refusals = state.store.relay_refusals(100).await.map_err(|e| ui.error(e))?;
    let title = lang.t("federation.title");
    Ok(page(&ui, &title, html! {
        h1 { (title) }
        h2 { (lang.t("federation.identity")) }
        @match state.federation.get() {
            Some(instance) => dl {
                dt { (lang.t("federation.fingerprint")) } dd translate="no" { code { (instance.identity.fingerprint()) } }
                dt { (lang.t("federation.public_key")) } dd translate="no" { code { (instance.identity.public_key()) } }
                dt { (lang.t("federation.operates")) } dd translate="no" { (instance.operates.join(", ")) }
                dt { (lang.t("federation.base_url")) } dd translate="no" { (state.base_url()) }
            },
            None => p { (lang.t("federation.not_federating")) },
        }
        h2 { (lang.t("federation.peers")) }
        @if peers.is_empty() { p { (lang.t("federation.no_peers")) } }
        @else {
            div class="scroll" tabindex="0" { table {
                caption class="visually-hidden" { (lang.t("federation.peers")) }
                thead { tr {
                    th scope="col" { (lang.t("federation.peer")) }
                    th scope="col" { (lang.t("federation.url")) }
                    th scope="col" { (lang.t("federation.fingerprint")) }
                    th scope="col" { (lang.t("federation.hosts")) }
                } }
                tbody { @for peer in &peers { tr {
                    td translate="no" { (peer.id) }
                    td translate="no" { (peer.url) }
                    td translate="no" { code { (vulnrelay_federation::fingerprint(&peer.public_key)) } }
                    td translate="no" { (peer.orgs.join(", ")) }
                } } }
            } }
        }
        h2 { (lang.t("federation.relays")) }
        @if relays.is_empty() { p { (lang.t("federation.no_relays")) } }
        @else {
            div class="scroll" tabindex="0" { table {
                caption class="visually-hidden" { (lang.t("federation.relays")) }
                thead { tr {
                    th scope="col" { (lang.t("federation.case")) }
                    th scope="col" { (lang.t("federation.peer")) }
                    th scope="col" { (lang.t("federation.to")) }
                    th scope="col" { (lang.t("federation.status")) }
                    th scope="col" { (lang.t("federation.attempts")) }
                    th scope="col" { (lang.t("federation.created")) }
                    th scope="col" { (lang.t("federation.action")) }
                } }
                tbody { @for relay in &relays {
                    @let status = match (relay.state, relay.attempts) {
                        (DeliveryState::Delivered, _) => "delivered",
                        (DeliveryState::Dead, _) => "dead",
                        (DeliveryState::Pending, 0) => "pending",
                        (DeliveryState::Pending, _) => "retrying",
                    };
                    tr {
                        td translate="no" { a href=(format!("/cases/{}", relay.case_id)) { (relay.case_id) } }
                        td translate="no" { (relay.peer_id) }
                        td translate="no" { (relay.to_org) }
                        td {
                            span class=(format!("badge relay-{status}")) { (lang.t(&format!("federation.state_{status}"))) }
                            @if let Some(error) = &relay.last_error { @if relay.state != DeliveryState::Delivered { br; span class="muted" translate="no" { (error.chars().take(200).collect::<String>()) } } }
                        }
                        td { (relay.attempts) }
                        td { (time(relay.created_at, Tz::UTC)) }
                        td { @if relay.state != DeliveryState::Delivered {
                            form method="post" action=(format!("/federation/relays/{}/replay", relay.id)) {
                                (csrf(&ui))
                                button type="submit" { (lang.t("federation.replay")) }
                            }
                        } }
                    }
                } }
            } }
        }
        h2 { (lang.t("federation.refusals")) }
        p class="help" { (lang.t("federation.refusals_help")) }
        @if refusals.is_empty() { p { (lang.t("federation.no_refusals")) } }
        @else {
            div class="scroll" tabindex="0" { table {
                caption class="visually-hidden" { (lang.t("federation.refusals")) }
                thead { tr {
                    th scope="col" { (lang.t("federation.at")) }
                    th scope="col" { (lang.t("federation.from")) }
                    th scope="col" { (lang.t("federation.key")) }
                    th scope="col" { (lang.t("federation.reason")) }
                } }
                tbody { @for refusal in &refusals { tr {
                    td { (time(refusal.at, Tz::UTC)) }
                    td translate="no" { code { (refusal.from_instance.chars().take(16).collect::<String>()) } }
                    td translate="no" { (refusal.idempotency_key) }
                    td translate="no" { (refusal.reason) }
                } } }
            } }
        }
    }).into_response())
}

/// `POST /federation/relays/{id}/replay`: makes a relay due again now.
pub async fn replay(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let token = form.iter().find(|(k, _)| k == "csrf_token").map(|(_, v)| v.as_str()).unwrap_or_default();
    ui.check_csrf(token)?;
    require_admin(&ui)?;
    state.store.replay_relay(&id, chrono::Utc::now()).await.map_err(|e| ui.error(e))?;
    Ok(Redirect::to("/federation").into_response())
}
