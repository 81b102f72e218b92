//! The OpenAPI 3 document, built with utoipa from [`ROUTES`], the table of every
//! operation of the API. A test requests each listed operation from the router and
//! fails if the router does not know it, and a snapshot test keeps the document in
//! sync with the code.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use utoipa::IntoParams;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, Parameter, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApiBuilder, PathsBuilder, Ref, RefOr, Required,
    ResponseBuilder,
};

use crate::routes;

/// One operation: method, path (under the server root), tag, summary.
pub struct Route {
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: &'static str,
    /// The path, with `{parameters}`.
    pub path: &'static str,
    /// The group it belongs to.
    pub tag: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// The success status.
    pub success: &'static str,
}

const fn route(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    success: &'static str,
    summary: &'static str,
) -> Route {
    Route { method, path, tag, summary, success }
}

/// Every operation of the API.
pub const ROUTES: &[Route] = &[
    route("GET", "/healthz", "meta", "200", "Liveness: a static answer"),
    route(
        "GET",
        "/metrics",
        "meta",
        "200",
        "Prometheus metrics: requests, latencies, open obligations by status",
    ),
    route("GET", "/api/v1/openapi.json", "meta", "200", "This document"),
    route(
        "POST",
        "/api/v1/session",
        "accounts",
        "200",
        "Sign in; sets the session cookie and returns the CSRF token",
    ),
    route("DELETE", "/api/v1/session", "accounts", "204", "Sign out"),
    route("GET", "/api/v1/me", "accounts", "200", "The caller's account and organisation"),
    route("GET", "/api/v1/tokens", "accounts", "200", "The caller's API tokens (without secrets)"),
    route("POST", "/api/v1/tokens", "accounts", "201", "Create an API token (shown once)"),
    route("DELETE", "/api/v1/tokens/{id}", "accounts", "204", "Revoke an API token"),
    route(
        "POST",
        "/api/v1/registrations",
        "accounts",
        "202",
        "Register an individual or a non-member organisation",
    ),
    route("GET", "/api/v1/registrations", "accounts", "200", "Pending registrations (analysts)"),
    route(
        "POST",
        "/api/v1/registrations/{org}/approve",
        "accounts",
        "200",
        "Approve a registration (analysts)",
    ),
    route(
        "POST",
        "/api/v1/registrations/{org}/reject",
        "accounts",
        "200",
        "Reject a registration (analysts)",
    ),
    route("POST", "/api/v1/accounts", "accounts", "201", "Create an account (administrators)"),
    route(
        "GET",
        "/api/v1/orgs",
        "organisations",
        "200",
        "Active organisations by id — all, of some roles (`role`) or found by the start of a word of their names (`q`) — by keyset pages (`limit`, `after`: the previous page's `next`)",
    ),
    route("POST", "/api/v1/orgs", "organisations", "201", "Add an organisation (administrators)"),
    route(
        "GET",
        "/api/v1/orgs/{id}",
        "organisations",
        "200",
        "An organisation with its memberships and their history",
    ),
    route(
        "POST",
        "/api/v1/orgs/{id}/memberships/{scheme}/join",
        "organisations",
        "200",
        "Record that an organisation joined a scheme",
    ),
    route(
        "POST",
        "/api/v1/orgs/{id}/memberships/{scheme}/suspend",
        "organisations",
        "200",
        "Suspend a membership (a suspension sanction: 6 months unless `until` or `months`)",
    ),
    route(
        "POST",
        "/api/v1/orgs/{id}/memberships/{scheme}/sanctions",
        "organisations",
        "200",
        "Decide a sanction (warning, public criticism, suspension, expulsion) resting on findings or events",
    ),
    route(
        "POST",
        "/api/v1/orgs/{id}/memberships/{scheme}/rectifications",
        "organisations",
        "200",
        "Submit a rectification report (整改报告) for a suspended membership",
    ),
    route(
        "POST",
        "/api/v1/orgs/{id}/memberships/{scheme}/reviews",
        "organisations",
        "200",
        "Record the review of a rectification report: restore, or extend the suspension",
    ),
    route(
        "GET",
        "/api/v1/orgs/{id}/log",
        "organisations",
        "200",
        "The organisation's hash-chained log of sanctions, reports and reviews, with each membership's status",
    ),
    route(
        "POST",
        "/api/v1/orgs/{id}/memberships/{scheme}/restore",
        "organisations",
        "200",
        "Restore a membership: a review with outcome `restore` (needs a report and the term over)",
    ),
    route(
        "POST",
        "/api/v1/reports",
        "reports",
        "201",
        "Submit a report (Art. 7(2) content); opens a case and writes a receipt",
    ),
    route("GET", "/api/v1/receipts", "reports", "200", "The receipt log (analysts, administrators)"),
    route(
        "POST",
        "/api/v1/receipts/purge",
        "reports",
        "200",
        "Purge receipts older than the retention period (administrators)",
    ),
    route("GET", "/api/v1/cases", "cases", "200", "Cases the caller may see, by pages"),
    route("GET", "/api/v1/cases/{id}", "cases", "200", "A case: summary, parties, products, report"),
    route("GET", "/api/v1/cases/{id}/events", "cases", "200", "The timeline with its hash chain"),
    route(
        "POST",
        "/api/v1/cases/{id}/events",
        "cases",
        "201",
        "Record an event (through the gates; analysts may override with a reason)",
    ),
    route(
        "GET",
        "/api/v1/cases/{id}/refusals",
        "cases",
        "200",
        "What the gates refused on the case (a platform: all; a party: its own organisation's)",
    ),
    route(
        "POST",
        "/api/v1/cases/{id}/forward",
        "cases",
        "201",
        "Forward the case to an organisation (through the gates)",
    ),
    route(
        "POST",
        "/api/v1/cases/{id}/ids",
        "vulnerabilities",
        "201",
        "Assign an identifier of a platform scheme to the case's vulnerability `{template, vulnerability?}`: an alias of its record, or a new record of the case (analysts of a platform working it); on a mirror the records flow back to the origin",
    ),
    route("GET", "/api/v1/cases/{id}/comments", "cases", "200", "Comments"),
    route("POST", "/api/v1/cases/{id}/comments", "cases", "201", "Add a comment"),
    route("PUT", "/api/v1/cases/{id}/embargo", "cases", "200", "Set or clear the planned public date"),
    route(
        "POST",
        "/api/v1/cases/{id}/warnings",
        "warnings",
        "200",
        "The case's platform warns every unit whose inventory runs an affected component, before publication too (TLP:AMBER, no exploit detail), with its note `{note: {en, zh}, vulnerabilities}`",
    ),
    route(
        "GET",
        "/api/v1/cases/{id}/compliance",
        "cases",
        "200",
        "The findings JSON of `vulnrelay check` for the case",
    ),
    route(
        "POST",
        "/api/v1/cases/{id}/participants",
        "coordination",
        "201",
        "Add downstream vendors and their products to a case (the case's platforms): each is notified (inbox, webhooks) and may then read the case; its CN Art. 7 clocks run from that notification",
    ),
    route(
        "GET",
        "/api/v1/cases/{id}/participants/proposals",
        "coordination",
        "200",
        "Vendors whose registered product inventories embed a component one of the case's records affects (the case's platforms)",
    ),
    route(
        "POST",
        "/api/v1/cases/{id}/vendor-status",
        "coordination",
        "201",
        "A vendor's status for one product and vulnerability (under_investigation, affected, not_affected with a VEX justification, fixed with a version), public statement and private note to the platform; an event on the case",
    ),
    route(
        "GET",
        "/api/v1/cases/{id}/coordination",
        "coordination",
        "200",
        "The coordination board: vendors x products x vulnerabilities with status, last contact, unanswered days and obligations running, paged by vendor, filtered by status, vendor or silence",
    ),
    route(
        "POST",
        "/api/v1/cases/{id}/coordination/reminders",
        "coordination",
        "200",
        "Remind the vendors silent for at least `days` days (default 7) through the delivery outbox, once per period",
    ),
    route(
        "PUT",
        "/api/v1/cases/{id}/coordination/schedule",
        "coordination",
        "200",
        "Set the case's own schedule of the reminders the delivery worker sends vendors that have not answered: `{after_days, every_days}` (days), or `{after_days: null}` for none on this case (the case's platforms)",
    ),
    route(
        "DELETE",
        "/api/v1/cases/{id}/coordination/schedule",
        "coordination",
        "200",
        "Clear the case's own reminder schedule: the platform's default applies again",
    ),
    route(
        "GET",
        "/api/v1/cases/{id}/drafts",
        "cases",
        "200",
        "Drafts of the notifications the caller's organisation still owes (`?org=` for the case's platforms), regime by regime, field by field, prefilled from the case and its records, with what is missing",
    ),
    route(
        "POST",
        "/api/v1/cases/{id}/drafts/send",
        "cases",
        "201",
        "Mark a draft sent: one `notified` event per recipient with the completed content and the receiving system's reference (through the gates)",
    ),
    route(
        "GET",
        "/api/v1/cases/{id}/intervals",
        "cases",
        "200",
        "The case's key intervals from discovery (regulator report, vendor, fix, disclosure, bulletin, first warning)",
    ),
    route(
        "GET",
        "/api/v1/orgs/{id}/history",
        "organisations",
        "200",
        "The organisation's obligations met on time, late and missed over every case, with the findings",
    ),
    route(
        "GET",
        "/api/v1/stats/intervals",
        "cases",
        "200",
        "Median and worst of each interval per quarter of discovery",
    ),
    route(
        "GET",
        "/api/v1/stats/intervals/{file}",
        "cases",
        "200",
        "One interval's quarterly median and worst as an SVG chart (`regulator_report.svg`, ...; `?lang=zh`)",
    ),
    route("GET", "/api/v1/cases/{id}/export", "cases", "200", "The case file"),
    route("GET", "/api/v1/cases/{id}/attachments", "cases", "200", "Attachment metadata"),
    route("GET", "/api/v1/cases/{id}/attachments/{attachment}", "cases", "200", "An attachment's content"),
    route(
        "GET",
        "/api/v1/deadlines",
        "cases",
        "200",
        "Open obligations of the caller's organisation by due time",
    ),
    route(
        "GET",
        "/api/v1/audit/verify",
        "audit",
        "200",
        "Walk every case's hash chain; name the first broken link",
    ),
    route(
        "GET",
        "/api/v1/vulnerabilities",
        "vulnerabilities",
        "200",
        "The vulnerability records the caller may see, by keyset pages (`limit`, `after`: the previous page's `next`)",
    ),
    route(
        "GET",
        "/api/v1/vulnerabilities/{id}",
        "vulnerabilities",
        "200",
        "A record by any id; {id}.cve.json, {id}.csaf.json and {id}.osv.json give its exports",
    ),
    route(
        "GET",
        "/api/v1/vulnerabilities/{id}/bulletin",
        "vulnerabilities",
        "200",
        "The security bulletin (安全公告), ?lang=en|zh&format=html|md",
    ),
    route(
        "GET",
        "/api/v1/vulnerabilities/{id}/manual",
        "vulnerabilities",
        "200",
        "The investigation-and-repair manual (排查及修复手册), ?lang=en|zh&format=html|md",
    ),
    route(
        "POST",
        "/api/v1/vulnerabilities/{id}/ids",
        "vulnerabilities",
        "201",
        "Assign an identifier of a platform scheme (analysts)",
    ),
    route(
        "POST",
        "/api/v1/vulnerabilities/{id}/cve",
        "vulnerabilities",
        "200",
        "Give the record its CVE id from the pool, once (analysts)",
    ),
    route(
        "POST",
        "/api/v1/vulnerabilities/{id}/threats",
        "vulnerabilities",
        "201",
        "Record a threat event (exploit details public, proof of concept, actively exploited, fix bypassed)",
    ),
    route(
        "POST",
        "/api/v1/import",
        "vulnerabilities",
        "201",
        "Import CVE JSON 5, CSAF 2.0, OSV or record documents, validated against their schemas (analysts)",
    ),
    route(
        "GET",
        "/api/v1/advisories",
        "distribution",
        "200",
        "Public advisories: every published case's records, and public records of no case, newest first, by keyset pages (`limit`, `after`: the previous page's `next`)",
    ),
    route(
        "GET",
        "/api/v1/advisories/{id}",
        "distribution",
        "200",
        "One advisory; `{id}.csaf.json` is its CSAF 2.0 advisory with the revision history of every change",
    ),
    route(
        "GET",
        "/api/v1/advisories/{id}/bulletin",
        "distribution",
        "200",
        "The case's security bulletin (安全公告) over all its records (`?lang=zh|en&format=html|md`)",
    ),
    route(
        "GET",
        "/api/v1/advisories/{id}/manual",
        "distribution",
        "200",
        "The case's investigation-and-repair manual (排查及修复手册) (`?lang=zh|en&format=html|md`)",
    ),
    route(
        "GET",
        "/api/v1/osv/all.zip",
        "distribution",
        "200",
        "Every public record as OSV, one JSON per id, zipped (`vulnrelay scan --advisories` reads it)",
    ),
    route(
        "GET",
        "/.well-known/csaf/{path}",
        "distribution",
        "200",
        "The CSAF provider layout: provider-metadata.json, white/{year}/{id}.json (+ .sha512, + .asc when the server has a key), index.txt, changes.csv, the ROLIE feed-tlp-white.json, service.json and category-tlp-white.json, the public key under openpgp/, and an HTML listing of every folder. index.txt, changes.csv and the ROLIE documents carry an ETag (If-None-Match: 304 Not Modified) and are sent as gzip to a client that takes it",
    ),
    route(
        "GET",
        "/.well-known/csaf/",
        "distribution",
        "200",
        "The listing of the CSAF provider's top folder",
    ),
    route(
        "GET",
        "/advisories/feed.atom",
        "distribution",
        "200",
        "The Atom feed of public bulletins (`?lang=zh|en`)",
    ),
    route(
        "POST",
        "/api/v1/cve-pool",
        "vulnerabilities",
        "200",
        "Add reserved CVE ids to the pool (administrators)",
    ),
    route("GET", "/api/v1/assets/groups", "warnings", "200", "The organisation's asset groups"),
    route("GET", "/api/v1/assets/groups/{name}", "warnings", "200", "An asset group with its components"),
    route(
        "PUT",
        "/api/v1/assets/groups/{name}",
        "warnings",
        "200",
        "Replace an asset group's components (CycloneDX 1.4-1.6 JSON or a component list); re-runs matching",
    ),
    route("GET", "/api/v1/assets/groups/{name}/history", "warnings", "200", "Every upload of an asset group"),
    route(
        "GET",
        "/api/v1/warnings",
        "warnings",
        "200",
        "Risk warnings of the organisation, newest change first, a page at a time (`limit`, `cursor` = the previous `next_cursor`; analysts: all they may see)",
    ),
    route(
        "POST",
        "/api/v1/warnings/rematch",
        "warnings",
        "200",
        "Re-run matching of every inventory against every record (analysts, administrators)",
    ),
    route(
        "GET",
        "/api/v1/warnings/{id}",
        "warnings",
        "200",
        "A risk warning with acknowledgements and per-asset status",
    ),
    route("POST", "/api/v1/warnings/{id}/ack", "warnings", "200", "Acknowledge a risk warning"),
    route(
        "PUT",
        "/api/v1/warnings/{id}/assets/{asset}/status",
        "warnings",
        "200",
        "Report an asset's status: affected, mitigated, fixed, not_affected (with a VEX justification)",
    ),
    route(
        "GET",
        "/api/v1/warnings/{id}/vex.cdx.json",
        "warnings",
        "200",
        "The asset statuses as CycloneDX 1.6 VEX",
    ),
    route(
        "GET",
        "/api/v1/warnings/{id}/vex.csaf.json",
        "warnings",
        "200",
        "The asset statuses as CSAF 2.0 VEX",
    ),
    route("GET", "/api/v1/webhooks", "warnings", "200", "The organisation's webhook subscriptions"),
    route(
        "POST",
        "/api/v1/webhooks",
        "warnings",
        "201",
        "Subscribe a webhook; the signing secret is shown once",
    ),
    route("DELETE", "/api/v1/webhooks/{id}", "warnings", "204", "Stop sending to a webhook"),
    route("GET", "/api/v1/deliveries", "warnings", "200", "Deliveries of warnings and reminders, by pages"),
    route("GET", "/api/v1/deliveries/dead", "warnings", "200", "Dead-lettered deliveries"),
    route("GET", "/api/v1/deliveries/{id}", "warnings", "200", "A delivery with its attempts"),
    route(
        "POST",
        "/api/v1/deliveries/{id}/replay",
        "warnings",
        "200",
        "Send a delivery again with the same idempotency key",
    ),
    route("GET", "/api/v1/inbox", "warnings", "200", "The organisation's in-app inbox"),
    route(
        "GET",
        "/.well-known/vulnrelay.json",
        "federation",
        "200",
        "The instance's federation identity: Ed25519 key, fingerprint, API version, operated organisations",
    ),
    route(
        "GET",
        "/.well-known/csaf-aggregator/aggregator.json",
        "federation",
        "200",
        "CSAF 2.0 aggregator metadata (§7.1.8): this instance's provider and each peer's it mirrors",
    ),
    route(
        "GET",
        "/.well-known/csaf-aggregator/{peer}/{path}",
        "federation",
        "200",
        "The mirror of a peer's CSAF provider: provider-metadata.json, white/index.txt, documents with .sha256, .sha512 and the provider's .asc (checked when mirrored)",
    ),
    route(
        "POST",
        "/api/v1/federation/relay",
        "federation",
        "200",
        "A peer's signed relay envelope (vulnrelay/relay/v1); answers the signed receipt",
    ),
    route(
        "GET",
        "/api/v1/federation/relays",
        "federation",
        "200",
        "Every relay sent, with its state and receipt",
    ),
    route(
        "POST",
        "/api/v1/federation/relays/{id}/replay",
        "federation",
        "200",
        "Send a relay again with the same envelope and idempotency key",
    ),
    route("GET", "/api/v1/federation/refusals", "federation", "200", "The latest refused envelopes"),
    route("GET", "/api/v1/peers", "federation", "200", "The configured peer instances"),
    route(
        "POST",
        "/api/v1/peers",
        "federation",
        "201",
        "Add a peer: base URL, public key, hosted organisations",
    ),
    route("DELETE", "/api/v1/peers/{id}", "federation", "204", "Remove a peer"),
    route(
        "GET",
        "/api/v1/cases/{id}/relays",
        "federation",
        "200",
        "A case's relays with the peers' signed receipts, and its origin if it is a mirror",
    ),
];

fn method(name: &str) -> HttpMethod {
    match name {
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "DELETE" => HttpMethod::Delete,
        _ => HttpMethod::Get,
    }
}

/// The query parameters of an operation, from the type its handler reads them into.
fn query_parameters(method: &str, path: &str) -> Vec<Parameter> {
    let query = || Some(ParameterIn::Query);
    match (method, path) {
        ("GET", "/api/v1/cases") => routes::cases::ListQuery::into_params(query),
        ("GET", "/api/v1/vulnerabilities" | "/api/v1/advisories") => {
            crate::input::PageQuery::into_params(query)
        }
        ("GET", "/api/v1/orgs") => routes::orgs::OrgsQuery::into_params(query),
        ("GET", "/api/v1/cases/{id}/compliance") => routes::cases::ComplianceQuery::into_params(query),
        ("GET", "/api/v1/cases/{id}/coordination") => routes::coordination::BoardParams::into_params(query),
        ("GET", "/api/v1/deadlines") => routes::cases::DeadlinesQuery::into_params(query),
        ("PUT", "/api/v1/assets/groups/{name}") => routes::assets::PutGroupQuery::into_params(query),
        ("GET", "/api/v1/warnings") => vulnrelay_app::warnings::units::WarningsQuery::into_params(query),
        ("GET", "/api/v1/deliveries" | "/api/v1/deliveries/dead") => {
            vulnrelay_app::deliveries::DeliveriesQuery::into_params(query)
        }
        ("POST", "/api/v1/receipts/purge") => vulnrelay_app::receipts::PurgeQuery::into_params(query),
        ("GET", "/api/v1/receipts") => vulnrelay_app::receipts::ReceiptsQuery::into_params(query),
        (
            "GET",
            "/api/v1/vulnerabilities/{id}/bulletin"
            | "/api/v1/vulnerabilities/{id}/manual"
            | "/api/v1/advisories/{id}/bulletin"
            | "/api/v1/advisories/{id}/manual",
        ) => crate::documents::DocumentQuery::into_params(query),
        ("GET", "/advisories/feed.atom") => routes::distribution::FeedQuery::into_params(query),
        ("GET", "/api/v1/stats/intervals/{file}") => routes::intervals::ChartQuery::into_params(query),
        _ => Vec::new(),
    }
}

/// A typed request body: the name of its schema, every schema it needs and, for a body
/// read field by field, the fields its reader allows.
struct Body {
    name: String,
    schemas: Vec<(String, RefOr<Schema>)>,
    #[cfg_attr(not(test), expect(dead_code, reason = "the test holds the schema to the reader"))]
    fields: Option<&'static [&'static str]>,
    /// Whether the body may be left out (an empty body reads as `{}`).
    optional: bool,
}

/// A body read by serde.
fn body<T: utoipa::ToSchema>() -> Body {
    let mut schemas = vec![(T::name().into_owned(), T::schema())];
    T::schemas(&mut schemas);
    Body { name: T::name().into_owned(), schemas, fields: None, optional: false }
}

/// A body read field by field (`vulnrelay_app::input::Body`): the schema says whether
/// its reader refuses any other key.
fn checked<T: utoipa::ToSchema + vulnrelay_app::input::Body>() -> Body {
    let mut body = body::<T>();
    if let Some((_, RefOr::T(Schema::Object(object)))) = body.schemas.first_mut() {
        object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(T::OPEN)));
    }
    Body { fields: Some(T::FIELDS), ..body }
}

/// A body its operation reads as a document of its own (an SBOM, an advisory, a signed
/// envelope) rather than field by field: its schema says what documents it takes.
fn document_body(name: &str, schema: Value) -> Body {
    let schema = serde_json::from_value::<RefOr<Schema>>(schema)
        .unwrap_or_else(|_| RefOr::T(Schema::Object(ObjectBuilder::new().build())));
    Body { name: name.to_owned(), schemas: vec![(name.to_owned(), schema)], fields: None, optional: false }
}

/// An optional body read field by field: left out, it reads as `{}`.
fn checked_or_empty<T: utoipa::ToSchema + vulnrelay_app::input::Body>() -> Body {
    Body { optional: true, ..checked::<T>() }
}

/// The request body of an operation whose handler reads it into a type. The other
/// operations read JSON field by field (every problem at once) and describe their
/// fields in their summaries.
fn request_body(method: &str, path: &str) -> Option<Body> {
    use routes::{coordination as c, drafts as d};
    use vulnrelay_app::identifiers as v;
    use vulnrelay_app::{coordination::StatusInput, deliveries::WebhookBody, warnings::units as w};
    Some(match (method, path) {
        ("POST", "/api/v1/cases/{id}/participants") => body::<c::ParticipantsBody>(),
        ("POST", "/api/v1/cases/{id}/vendor-status") => body::<StatusInput>(),
        ("POST", "/api/v1/cases/{id}/coordination/reminders") => body::<c::RemindBody>(),
        ("PUT", "/api/v1/cases/{id}/coordination/schedule") => body::<c::ScheduleBody>(),
        ("POST", "/api/v1/cases/{id}/drafts/send") => body::<d::SendBody>(),
        ("POST", "/api/v1/vulnerabilities/{id}/ids") => body::<v::AssignBody>(),
        ("POST", "/api/v1/cases/{id}/ids") => body::<v::CaseIdBody>(),
        ("POST", "/api/v1/cve-pool") => body::<v::PoolBody>(),
        ("PUT", "/api/v1/warnings/{id}/assets/{asset}/status") => body::<w::StatusBody>(),
        ("POST", "/api/v1/cases/{id}/warnings") => body::<w::IndustryWarningBody>(),
        ("POST", "/api/v1/webhooks") => body::<WebhookBody>(),
        ("POST", "/api/v1/registrations/{org}/approve" | "/api/v1/registrations/{org}/reject") => {
            checked_or_empty::<vulnrelay_app::accounts::DecisionBody>()
        }
        ("POST", "/api/v1/orgs/{id}/memberships/{scheme}/join") => {
            checked_or_empty::<vulnrelay_app::orgs::JoinBody>()
        }
        ("PUT", "/api/v1/assets/groups/{name}") => document_body(
            "AssetGroupUpload",
            json!({
                "description": "A CycloneDX 1.4-1.6 JSON SBOM (validated against its schema), or a hand-made component list",
                "oneOf": [
                    {"type": "object", "required": ["bomFormat", "specVersion"],
                     "description": "A CycloneDX BOM", "properties": {"bomFormat": {"const": "CycloneDX"}}},
                    {"type": "object", "required": ["components"], "additionalProperties": false,
                     "properties": {"components": {"type": "array", "items": {
                         "type": "object", "required": ["name"], "additionalProperties": false,
                         "properties": {"name": {"type": "string"}, "version": {"type": "string"},
                                        "purl": {"type": "string", "description": "A package URL (pkg:type/...)"}}}}}}
                ]
            }),
        ),
        ("POST", "/api/v1/import") => document_body(
            "ImportDocument",
            json!({
                "type": "object",
                "description": "A CVE JSON 5 record, a CSAF 2.0 document, an OSV entry or a vulnrelay record document, told apart by its content and validated against its official schema"
            }),
        ),
        ("POST", "/api/v1/federation/relay") => document_body(
            "RelayEnvelope",
            json!({
                "type": "object",
                "description": "A peer's signed relay envelope (vulnrelay/relay/v1, docs/federation.md), verified against the sending peer's public key before anything in it is read"
            }),
        ),
        ("POST", "/api/v1/reports") => checked::<vulnrelay_app::reports::ReportBody>(),
        ("POST", "/api/v1/cases/{id}/events") => checked::<vulnrelay_app::cases::EventBody>(),
        ("POST", "/api/v1/cases/{id}/forward") => checked::<vulnrelay_app::case_actions::ForwardBody>(),
        ("POST", "/api/v1/cases/{id}/comments") => checked::<vulnrelay_app::case_actions::CommentBody>(),
        ("PUT", "/api/v1/cases/{id}/embargo") => checked::<vulnrelay_app::case_actions::EmbargoBody>(),
        ("POST", "/api/v1/orgs/{id}/memberships/{scheme}/rectifications") => {
            checked::<vulnrelay_app::sanctions::decisions::RectificationBody>()
        }
        ("POST", "/api/v1/orgs/{id}/memberships/{scheme}/sanctions") => {
            checked::<vulnrelay_app::sanctions::decisions::SanctionBody>()
        }
        ("POST", "/api/v1/orgs/{id}/memberships/{scheme}/suspend") => {
            checked::<vulnrelay_app::sanctions::decisions::SuspensionBody>()
        }
        ("POST", "/api/v1/orgs/{id}/memberships/{scheme}/reviews") => {
            checked::<vulnrelay_app::sanctions::decisions::ReviewBody>()
        }
        ("POST", "/api/v1/orgs/{id}/memberships/{scheme}/restore") => {
            checked::<vulnrelay_app::sanctions::decisions::RestoreBody>()
        }
        ("POST", "/api/v1/session") => checked::<vulnrelay_app::accounts::LoginBody>(),
        ("POST", "/api/v1/tokens") => checked::<vulnrelay_app::accounts::TokenBody>(),
        ("POST", "/api/v1/registrations") => checked::<vulnrelay_app::accounts::RegistrationBody>(),
        ("POST", "/api/v1/accounts") => checked::<vulnrelay_app::accounts::AccountBody>(),
        ("POST", "/api/v1/orgs") => checked::<vulnrelay_app::accounts::OrgBody>(),
        ("POST", "/api/v1/vulnerabilities/{id}/threats") => checked::<vulnrelay_app::records::ThreatBody>(),
        ("POST", "/api/v1/peers") => checked::<vulnrelay_app::federation::PeerBody>(),
        _ => return None,
    })
}

/// How a caller proves who it is: an API token as a bearer token, or the web UI's
/// session cookie (whose changes also need the CSRF token in `X-CSRF-Token`). Public
/// operations need neither.
fn security_schemes() -> ComponentsBuilder {
    ComponentsBuilder::new()
        .security_scheme(
            "token",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token (`vr_...`), from POST /api/v1/tokens"))
                    .build(),
            ),
        )
        .security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "The web UI's session (POST /api/v1/session); a change also needs X-CSRF-Token",
            ))),
        )
}

/// The document as JSON.
pub fn document() -> Value {
    let mut items: BTreeMap<&str, PathItem> = BTreeMap::new();
    let mut components = security_schemes();
    for r in ROUTES {
        let mut operation = OperationBuilder::new()
            .summary(Some(r.summary))
            .tag(r.tag)
            .operation_id(Some(format!("{} {}", r.method.to_lowercase(), r.path)))
            .response(r.success, ResponseBuilder::new().description("success"))
            .response(
                "default",
                ResponseBuilder::new()
                    .description("an error: {\"error\": {\"code\", \"message\", \"details\"}}")
                    .content("application/json", ContentBuilder::new().build()),
            );
        for segment in r.path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                operation = operation.parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
                );
            }
        }
        for parameter in query_parameters(r.method, r.path) {
            operation = operation.parameter(parameter);
        }
        if let Some(body) = request_body(r.method, r.path) {
            let content = ContentBuilder::new().schema(Some(Ref::from_schema_name(&body.name))).build();
            operation = operation.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", content)
                    .required(Some(if body.optional { Required::False } else { Required::True }))
                    .build(),
            ));
            for (name, schema) in body.schemas {
                components = components.schema(name, schema);
            }
        }
        let item = PathItem::new(method(r.method), operation.build());
        match items.get_mut(r.path) {
            Some(existing) => existing.merge_operations(item),
            None => {
                items.insert(r.path, item);
            }
        }
    }
    let mut paths = PathsBuilder::new();
    for (path, item) in items {
        paths = paths.path(path, item);
    }
    let api =
        OpenApiBuilder::new()
            .info(InfoBuilder::new().title("vulnrelay").version(env!("CARGO_PKG_VERSION")).description(Some(
                "Vulnerability reporting and coordinated disclosure with a regulatory clock.",
            )))
            .paths(paths)
            .components(Some(components.build()))
            .security(Some(vec![
                SecurityRequirement::default(),
                SecurityRequirement::new("token", Vec::<String>::new()),
                SecurityRequirement::new("session", Vec::<String>::new()),
            ]))
            .build();
    serde_json::to_value(api).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// A body read field by field documents exactly the fields its reader allows, so
    /// the schema cannot drift from what the server accepts.
    #[test]
    fn every_checked_body_documents_the_fields_its_reader_allows() {
        let mut checked = 0;
        for r in ROUTES {
            let Some(body) = request_body(r.method, r.path) else { continue };
            let Some(fields) = body.fields else { continue };
            let (_, schema) = body.schemas.iter().find(|(name, _)| *name == body.name).expect("its schema");
            let schema = serde_json::to_value(schema).expect("a schema as JSON");
            let documented: BTreeSet<&str> = schema["properties"]
                .as_object()
                .expect("an object schema")
                .keys()
                .map(String::as_str)
                .collect();
            let read: BTreeSet<&str> = fields.iter().copied().collect();
            assert_eq!(documented, read, "{} {}", r.method, r.path);
            checked += 1;
        }
        assert!(checked > 0, "no body read field by field is documented");
    }

    /// Every operation that changes something says what body it takes, unless it is
    /// one of those known to take none: a new route cannot be added without deciding.
    #[test]
    fn every_change_documents_its_body_or_takes_none() {
        const BODYLESS: [(&str, &str); 6] = [
            ("POST", "/api/v1/deliveries/{id}/replay"),
            ("POST", "/api/v1/federation/relays/{id}/replay"),
            ("POST", "/api/v1/receipts/purge"),
            ("POST", "/api/v1/vulnerabilities/{id}/cve"),
            ("POST", "/api/v1/warnings/rematch"),
            ("POST", "/api/v1/warnings/{id}/ack"),
        ];
        for r in ROUTES.iter().filter(|r| matches!(r.method, "POST" | "PUT")) {
            let documented = request_body(r.method, r.path).is_some();
            let bodyless = BODYLESS.contains(&(r.method, r.path));
            assert!(
                documented != bodyless,
                "{} {}: documented {documented}, bodyless {bodyless}",
                r.method,
                r.path
            );
        }
    }
}
