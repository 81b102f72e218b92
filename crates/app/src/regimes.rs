//! A second demo case beside the Log4Shell story: a Chinese vendor's gateway, sold in
//! China and the EU, with a Log4Shell-style flaw it found and saw exploited two hours
//! ago (`examples/cn-vendor-eu-market.json`, moved to now). Both regimes bind it: the
//! CN Art. 7(2) report within 2 days and the three CRA Art. 14(2) stages, with the
//! conflict between the CRA and CN Art. 9(7) flagged (sending the EU stages abroad
//! while undisclosed is refused by the Art. 9(7) gate unless a platform analyst
//! overrides it); its drafts are waiting. Loaded by `vulnrelay demo` after
//! `demo::load`, whose organisations it reuses.

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use serde_json::Value;
use vulnrelay_domain::{AccountRole, Timestamp};
use vulnrelay_store::{Fragment, NewAccount, NewCase, NewEvent, Organisation, Status, Store};

use crate::demo::DemoAccount;
use crate::error::Error;
use crate::secrets::{hash_password, new_secret};

/// The case file of the story.
pub const CN_VENDOR_EU_MARKET: &str = include_str!("../../../examples/cn-vendor-eu-market.json");

/// The vendor's PSIRT account.
pub const VENDOR_EMAIL: &str = "psirt@example-networks.example";

/// The EU camera maker's PSIRT account.
pub const MAKER_EMAIL: &str = "psirt@beispiel-kameras.example";

/// A camera maker established in Germany, on the EU market, which saw its camera
/// exploited an hour ago (fictional): only the CRA binds it, so its early warning can
/// be drafted, completed and sent within its 24 h (the web UI walk-through).
fn eu_maker_case(now: Timestamp) -> Value {
    let at = |hours: i64| (now - TimeDelta::hours(hours)).to_rfc3339();
    serde_json::json!({
        "schema": "vulnrelay/case-file/v1",
        "title": "Authentication bypass in a network camera (EU manufacturer; fictional)",
        "timezone": "Europe/Berlin",
        "parties": [
            {"id": "beispiel-kameras", "name": "Beispiel Kameras GmbH (fictional)", "roles": ["product_provider"], "jurisdiction": "DE"},
            {"id": "miit-nvdb", "name": "MIIT threat and vulnerability sharing platform (NVDB)", "name_zh": "工业和信息化部网络安全威胁和漏洞信息共享平台", "roles": ["regulator_platform"], "jurisdiction": "CN"},
            {"id": "csirt-de", "name": "Coordinator CSIRT (Germany)", "roles": ["csirt_coordinator"], "jurisdiction": "DE"},
            {"id": "enisa", "name": "ENISA", "roles": ["enisa"], "jurisdiction": "GR"}
        ],
        "products": [{"id": "camera", "name": "Beispiel IC-20 camera", "provider": "beispiel-kameras", "markets": ["EU"]}],
        "events": [
            {"at": at(3), "type": "discovered", "party": "beispiel-kameras"},
            {"at": at(1), "type": "exploited", "party": "beispiel-kameras",
             "note": "The maker's telemetry shows the bypass used against customers' cameras."}
        ]
    })
}

/// Loads both demo cases ([`load`], then the EU maker's); returns the cases' ids and
/// their accounts.
pub async fn load_all(store: &Arc<dyn Store>, now: Timestamp) -> Result<Vec<(String, DemoAccount)>, Error> {
    let both = load(store, now).await?;
    let eu = import(store, &eu_maker_case(now), "beispiel-kameras", now, None).await?;
    let maker = account(store, MAKER_EMAIL, "Beispiel Kameras PSIRT", "beispiel-kameras").await?;
    Ok(vec![both, (eu, maker)])
}

/// Loads the case with its events moved so that the exploitation was seen two hours
/// before `now`; events that would lie in the future are left out. Creates the
/// organisations the Log4Shell demo lacks and the vendor's account. Returns the case's
/// id and the account.
pub async fn load(store: &Arc<dyn Store>, now: Timestamp) -> Result<(String, DemoAccount), Error> {
    let file: Value = serde_json::from_str(CN_VENDOR_EU_MARKET).map_err(Error::internal)?;
    let case_id = import(store, &file, "example-networks", now, Some(TimeDelta::hours(2))).await?;
    let vendor = account(store, VENDOR_EMAIL, "Example Networks PSIRT", "example-networks").await?;
    Ok((case_id, vendor))
}

/// Imports a case file reported by `reporter` on the MIIT platform, creating the
/// organisations that do not exist yet; with `exploited_ago`, every event is moved so
/// that the exploitation lies that long before `now`, and events that would then lie in
/// the future are left out.
async fn import(
    store: &Arc<dyn Store>,
    file: &Value,
    reporter: &str,
    now: Timestamp,
    exploited_ago: Option<TimeDelta>,
) -> Result<String, Error> {
    let case = vulnrelay_formats::case_file::from_value(file).map_err(Error::internal)?;
    let shift = match exploited_ago {
        None => TimeDelta::zero(),
        Some(ago) => {
            let exploited = case
                .events()
                .iter()
                .find(|e| e.event_type() == vulnrelay_domain::EventType::Exploited)
                .map(|e| e.at)
                .ok_or_else(|| Error::internal("the story has no exploitation"))?;
            (now - ago) - exploited
        }
    };
    for party in case.parties() {
        if store.org(&party.id.0).await.is_ok() {
            continue;
        }
        store
            .create_org(&Organisation {
                id: party.id.0.clone(),
                name: party.name.clone(),
                name_zh: party.name_zh.clone(),
                roles: party.roles.clone(),
                jurisdiction: party.jurisdiction,
                individual: false,
                status: Status::Active,
                created_at: now - TimeDelta::days(365),
            })
            .await?;
    }
    let array = |key: &str| file.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let fragment =
        |v: &Value| Fragment { id: v["id"].as_str().unwrap_or_default().to_owned(), value: v.clone() };
    let tz = case.timezone();
    let events: Vec<NewEvent> = array("events")
        .iter()
        .zip(case.events())
        .map(|(body, event)| (body, event.at + shift))
        .filter(|(_, at)| *at <= now)
        .map(|(body, at)| {
            let mut body = body.clone();
            body["at"] = Value::String(at.with_timezone(&tz).to_rfc3339());
            NewEvent { at, body, recorded_by: None, override_reason: None }
        })
        .collect();
    Ok(store
        .import_case(&NewCase {
            title: case.title().to_owned(),
            timezone: tz.name().to_owned(),
            reporter_org: reporter.into(),
            platform_org: "miit-nvdb".into(),
            parties: array("parties").iter().map(fragment).collect(),
            products: array("products").iter().map(fragment).collect(),
            events,
            created_at: Utc::now(),
        })
        .await?)
}

/// A vendor contact and coordinator account of `org`, with a random password.
async fn account(store: &Arc<dyn Store>, email: &str, name: &str, org: &str) -> Result<DemoAccount, Error> {
    let password = new_secret("")[..20].to_owned();
    let roles = vec![AccountRole::VendorContact, AccountRole::Coordinator];
    store
        .create_account(
            &NewAccount {
                email: email.into(),
                name: name.into(),
                password_hash: hash_password(&password)?,
                org_id: Some(org.into()),
                roles: roles.clone(),
                status: Status::Active,
            },
            Utc::now(),
        )
        .await?;
    Ok(DemoAccount { email: email.into(), password, org: org.into(), roles })
}
