//! The demo installation: the Log4Shell story of examples/log4shell.json on a fresh
//! store, with the organisations of the reporting chain and accounts to sign in with.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::Value;
use vulnrelay_domain::{AccountRole, Basis, Jurisdiction, OrgEvent, ReviewOutcome, Role, SanctionKind};
use vulnrelay_store::{
    Fragment, MembershipChange, MembershipChangeKind, NewAccount, NewCase, NewEvent, Organisation, Status,
    Store,
};

use crate::auth::{hash_password, new_secret};
use crate::errors::AppError;

/// The Log4Shell case file.
pub const LOG4SHELL: &str = include_str!("../../../examples/log4shell.json");

/// The Log4Shell vulnerability records (`vulnrelay/vulnerability/v1`).
pub const LOG4SHELL_RECORDS: &str = include_str!("../../../examples/log4shell-records.json");

/// An account created for the demo, with its password.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    /// Login e-mail.
    pub email: String,
    /// Password (random, printed once).
    pub password: String,
    /// Organisation.
    pub org: String,
    /// Roles.
    pub roles: Vec<AccountRole>,
}

/// What the demo loaded.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The Log4Shell case's id.
    pub case_id: String,
    /// Accounts to sign in with.
    pub accounts: Vec<DemoAccount>,
}

fn org(id: &str, name: &str, roles: &[Role], jurisdiction: &str) -> Organisation {
    Organisation {
        id: id.into(),
        name: name.into(),
        roles: roles.to_vec(),
        jurisdiction: jurisdiction.parse::<Jurisdiction>().unwrap_or(Jurisdiction::CN),
        individual: false,
        status: Status::Active,
        created_at: Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).single().unwrap_or_default(),
    }
}

/// Loads the demo into an empty store.
pub async fn load(store: &Arc<dyn Store>) -> Result<Demo, AppError> {
    let state = crate::AppState::new(store.clone(), crate::Config::default());
    let file: Value = serde_json::from_str(LOG4SHELL).map_err(AppError::internal)?;
    // Check the story reads as a case before storing it.
    let case = vulnrelay_formats::case_file::from_value(&file).map_err(AppError::internal)?;
    for party in case.parties() {
        let o = org(&party.id.0, &party.name, &party.roles, party.jurisdiction.as_str());
        store.create_org(&o).await?;
    }
    let extra = [
        org(
            "mps-ncc",
            "MPS cybersecurity notification centre (公安部网络安全通报中心)",
            &[Role::PublicSecurity],
            "CN",
        ),
        org("cve-program", "CVE Program", &[Role::InternationalVulnerabilityDb], "US"),
        org(
            "cn-bank",
            "A state-owned bank (industry unit)",
            &[Role::NetworkOperator, Role::ProductUser],
            "CN",
        ),
        org(
            "cn-grid",
            "A power grid operator (industry unit)",
            &[Role::NetworkOperator, Role::ProductUser],
            "CN",
        ),
        org("platform-admin", "vulnrelay administrators", &[], "CN"),
    ];
    for o in &extra {
        store.create_org(o).await?;
    }
    let joined = Utc.with_ymd_and_hms(2019, 11, 30, 16, 0, 0).single().unwrap_or_default();
    store
        .record_membership_change(&MembershipChange {
            org_id: "alibaba-cloud".into(),
            scheme: "miit-threat-sharing".into(),
            at: joined,
            change: MembershipChangeKind::Joined,
            by_account: None,
        })
        .await?;
    let array = |key: &str| file.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let fragment =
        |v: &Value| Fragment { id: v["id"].as_str().unwrap_or_default().to_owned(), value: v.clone() };
    let events: Vec<NewEvent> = array("events")
        .iter()
        .zip(case.events())
        .map(|(body, event)| NewEvent {
            at: event.at,
            body: body.clone(),
            recorded_by: None,
            override_reason: None,
        })
        .collect();
    let case_id = store
        .import_case(&NewCase {
            title: case.title().to_owned(),
            timezone: case.timezone().name().to_owned(),
            reporter_org: "alibaba-cloud".into(),
            platform_org: "miit-nvdb".into(),
            parties: array("parties").iter().map(fragment).collect(),
            products: array("products").iter().map(fragment).collect(),
            events,
            created_at: Utc::now(),
        })
        .await?;
    // The case's vulnerability records: CVE-2021-44228 with its CNVD and CNNVD ids, the
    // follow-ups, per-source scores and ranges, and the threat events.
    let records = vulnrelay_formats::record::parse_all(LOG4SHELL_RECORDS)
        .map_err(|problems| AppError::internal(format!("examples/log4shell-records.json: {problems:?}")))?;
    for v in &records {
        let value = serde_json::to_value(vulnrelay_formats::record::VulnerabilityJson::from(v))
            .map_err(AppError::internal)?;
        store.save_vulnerability(&v.id, Some(&case_id), &value, &v.aliases, Utc::now()).await?;
    }
    let people = [
        ("admin@vulnrelay.example", "Administrator", "platform-admin", vec![AccountRole::Admin]),
        (
            "analyst@nvdb.miit.example",
            "MIIT analyst",
            "miit-nvdb",
            vec![AccountRole::Analyst, AccountRole::Coordinator],
        ),
        ("analyst@cnvd.example", "CNVD analyst", "cnvd", vec![AccountRole::Analyst]),
        ("analyst@cnnvd.example", "CNNVD analyst", "cnnvd", vec![AccountRole::Analyst]),
        (
            "security@alibaba-cloud.example",
            "Alibaba Cloud security team",
            "alibaba-cloud",
            vec![AccountRole::Reporter],
        ),
        ("psirt@apache.example", "Apache security team", "apache", vec![AccountRole::VendorContact]),
        ("soc@bank.example", "Bank SOC", "cn-bank", vec![AccountRole::Subscriber]),
        ("noc@grid.example", "Grid NOC", "cn-grid", vec![AccountRole::Subscriber]),
    ];
    let mut accounts = Vec::new();
    let mut ids: Vec<(&str, String)> = Vec::new();
    for (email, name, org_id, roles) in people {
        let password = new_secret("")[..20].to_owned();
        let new = NewAccount {
            email: email.into(),
            name: name.into(),
            password_hash: hash_password(&password)?,
            org_id: Some(org_id.into()),
            roles: roles.clone(),
            status: Status::Active,
        };
        let created = store.create_account(&new, Utc::now()).await?;
        ids.push((email, created.id));
        accounts.push(DemoAccount { email: email.into(), password, org: org_id.into(), roles });
    }
    let account =
        |email: &str| ids.iter().find(|(e, _)| *e == email).map(|(_, id)| id.clone()).unwrap_or_default();
    sanction_story(
        &state,
        &case_id,
        &account("analyst@nvdb.miit.example"),
        &account("security@alibaba-cloud.example"),
    )
    .await?;
    Ok(Demo { case_id, accounts })
}

/// Alibaba Cloud's suspension on its own log, resting on the finding that it did not
/// report Log4Shell to the MIIT platform within 2 days; then a rectification report and a
/// review that restores it after the 6-month term. The suspension is documented
/// (secondary sources, 2021-12-22); the report and the review are illustrative: whether
/// and when Alibaba Cloud was restored is not verified.
async fn sanction_story(
    state: &crate::AppState,
    case_id: &str,
    analyst: &str,
    unit: &str,
) -> Result<(), AppError> {
    let time = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().unwrap_or_default();
    let scheme = "miit-threat-sharing";
    let events = [
        (
            OrgEvent::Sanctioned {
                at: time(2021, 12, 21, 16),
                kind: SanctionKind::Suspension { until: time(2022, 6, 21, 16) },
                author: analyst.to_owned(),
                reason: "Did not report Log4Shell to the MIIT cybersecurity threat information sharing platform \
                         in time; suspended as a cooperating unit for 6 months, restoration to be studied \
                         according to its rectification (根据整改情况，研究恢复) [secondary sources, 2021-12-22]"
                    .to_owned(),
                basis: vec![Basis::Finding { rule: "cn-miit-member/member-report-2d".into(), case: case_id.to_owned() }],
                public: true,
            },
            analyst,
        ),
        (
            OrgEvent::RectificationSubmitted {
                at: time(2022, 6, 10, 2),
                author: unit.to_owned(),
                report: "[illustrative] Rectification report (整改报告): vulnerabilities found by the team are now \
                         reported to the MIIT platform within 2 days, in parallel with the vendor notification; \
                         the reporting procedure, its owner and its audit are described."
                    .to_owned(),
            },
            unit,
        ),
        (
            OrgEvent::ReviewRecorded {
                at: time(2022, 6, 22, 2),
                reviewer: analyst.to_owned(),
                outcome: ReviewOutcome::Restore,
                note: "[illustrative] The rectification was reviewed after the term and found sufficient: \
                       cooperating-unit status restored. (Whether and when Alibaba Cloud was restored is not \
                       verified.)"
                    .to_owned(),
            },
            analyst,
        ),
    ];
    for (event, by) in events {
        crate::sanctions::record(state, "alibaba-cloud", scheme, event, Some(by)).await?;
    }
    Ok(())
}
