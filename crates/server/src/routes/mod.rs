//! The REST API's handlers, one module per resource.

pub mod accounts;
pub mod assets;
pub mod cases;
pub mod coordination;
pub mod deliveries;
pub mod distribution;
pub mod drafts;
pub mod federation;
pub mod inbox;
pub mod intervals;
pub mod meta;
pub mod orgs;
pub mod reports;
pub mod sanctions;
pub mod threats;
pub mod vulnerabilities;
pub mod warnings;
pub mod webhooks;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// The routes under `/api/v1`.
pub fn api() -> Router<AppState> {
    Router::new()
        .route("/session", post(accounts::login).delete(accounts::logout))
        .route("/me", get(accounts::me))
        .route("/tokens", get(accounts::list_tokens).post(accounts::create_token))
        .route("/tokens/{id}", axum::routing::delete(accounts::revoke_token))
        .route("/registrations", get(accounts::list_registrations).post(accounts::register))
        .route("/registrations/{org}/approve", post(accounts::approve))
        .route("/registrations/{org}/reject", post(accounts::reject))
        .route("/accounts", post(accounts::create_account))
        .route("/orgs", get(orgs::list).post(orgs::create))
        .route("/orgs/{id}", get(orgs::show))
        .route("/orgs/{id}/memberships/{scheme}/join", post(orgs::join))
        .route("/orgs/{id}/memberships/{scheme}/suspend", post(sanctions::suspend))
        .route("/orgs/{id}/memberships/{scheme}/restore", post(sanctions::restore))
        .route("/orgs/{id}/memberships/{scheme}/sanctions", post(sanctions::sanction))
        .route("/orgs/{id}/memberships/{scheme}/rectifications", post(sanctions::rectify))
        .route("/orgs/{id}/memberships/{scheme}/reviews", post(sanctions::review))
        .route("/orgs/{id}/log", get(sanctions::org_log))
        .route("/reports", post(reports::submit))
        .route("/receipts", get(reports::receipts))
        .route("/receipts/purge", post(reports::purge))
        .route("/cases", get(cases::list))
        .route("/cases/{id}", get(cases::show))
        .route("/cases/{id}/events", get(cases::events).post(cases::append))
        .route("/cases/{id}/forward", post(cases::forward))
        .route("/cases/{id}/refusals", get(cases::refusals))
        .route("/cases/{id}/ids", post(vulnerabilities::assign_for_case))
        .route("/cases/{id}/comments", get(cases::comments).post(cases::comment))
        .route("/cases/{id}/embargo", axum::routing::put(cases::embargo))
        .route("/cases/{id}/warnings", post(warnings::warn_industry))
        .route("/cases/{id}/compliance", get(cases::compliance))
        .route("/cases/{id}/participants", post(coordination::add))
        .route("/cases/{id}/participants/proposals", get(coordination::proposals))
        .route("/cases/{id}/vendor-status", post(coordination::set_status))
        .route("/cases/{id}/coordination", get(coordination::board))
        .route("/cases/{id}/coordination/reminders", post(coordination::remind))
        .route(
            "/cases/{id}/coordination/schedule",
            axum::routing::put(coordination::set_schedule).delete(coordination::clear_schedule),
        )
        .route("/cases/{id}/drafts", get(drafts::list))
        .route("/cases/{id}/drafts/send", post(drafts::send))
        .route("/cases/{id}/intervals", get(intervals::case_intervals))
        .route("/orgs/{id}/history", get(intervals::org_history))
        .route("/stats/intervals", get(intervals::stats))
        .route("/stats/intervals/{file}", get(intervals::chart))
        .route("/cases/{id}/export", get(cases::export))
        .route("/cases/{id}/attachments", get(cases::attachments))
        .route("/cases/{id}/attachments/{attachment}", get(cases::attachment))
        .route("/deadlines", get(cases::deadlines))
        .route("/audit/verify", get(cases::verify))
        .route("/vulnerabilities", get(vulnerabilities::list))
        .route("/vulnerabilities/{id}", get(vulnerabilities::show))
        .route("/vulnerabilities/{id}/bulletin", get(vulnerabilities::bulletin))
        .route("/vulnerabilities/{id}/manual", get(vulnerabilities::manual))
        .route("/vulnerabilities/{id}/ids", post(vulnerabilities::assign))
        .route("/vulnerabilities/{id}/cve", post(vulnerabilities::take_cve))
        .route("/vulnerabilities/{id}/threats", post(threats::record))
        .route("/import", post(vulnerabilities::import_documents))
        .route("/advisories", get(distribution::list))
        .route("/advisories/{id}", get(distribution::show))
        .route("/advisories/{id}/bulletin", get(distribution::bulletin))
        .route("/advisories/{id}/manual", get(distribution::manual))
        .route("/osv/all.zip", get(distribution::osv_zip))
        .route("/cve-pool", post(vulnerabilities::load_pool))
        .route("/assets/groups", get(assets::list_groups))
        .route(
            "/assets/groups/{name}",
            get(assets::show_group)
                .put(assets::put_group)
                .layer(axum::extract::DefaultBodyLimit::max(vulnrelay_app::assets::MAX_SBOM_BYTES)),
        )
        .route("/assets/groups/{name}/history", get(assets::group_history))
        .route("/warnings", get(warnings::list))
        .route("/warnings/rematch", post(warnings::rematch))
        .route("/warnings/{id}", get(warnings::show))
        .route("/warnings/{id}/ack", post(warnings::acknowledge))
        .route("/warnings/{id}/assets/{asset}/status", axum::routing::put(warnings::set_status))
        .route("/warnings/{id}/vex.cdx.json", get(warnings::vex_cyclonedx))
        .route("/warnings/{id}/vex.csaf.json", get(warnings::vex_csaf))
        .route("/webhooks", get(webhooks::list_webhooks).post(webhooks::create_webhook))
        .route("/webhooks/{id}", axum::routing::delete(webhooks::delete_webhook))
        .route("/deliveries", get(deliveries::list_deliveries))
        .route("/deliveries/dead", get(deliveries::dead_deliveries))
        .route("/deliveries/{id}", get(deliveries::show_delivery))
        .route("/deliveries/{id}/replay", post(deliveries::replay))
        .route("/inbox", get(inbox::inbox))
        .merge(federation::routes())
}
