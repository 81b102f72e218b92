//! The demo installation: the Log4Shell story of examples/log4shell.json on a fresh
//! store, with the organisations of the reporting chain and accounts to sign in with,
//! and what the platform itself did (the [`STORY`]): the risk warning of 2021-12-09 to
//! the industry units whose (illustrative) inventories run affected log4j-core, the
//! threat events, the later publications and the public criticism. Every dated fact
//! carries its source and confidence (the tags of the reference notes: `[V]` verified,
//! `[S]` secondary source, `[M]` from memory, unverified; the seed article's account
//! where the reference has nothing; `illustrative` for what the demo makes up).

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use vulnrelay_domain::{
    AccountRole, Basis, Jurisdiction, Localized, OrgEvent, ReviewOutcome, Role, SanctionKind, ThreatEvent,
    ThreatKind, Timestamp, Vulnerability,
};
use vulnrelay_store::warnings::AssetComponent;
use vulnrelay_store::{
    Fragment, MembershipChange, MembershipChangeKind, NewAccount, NewCase, NewEvent, Organisation, Status,
    Store,
};

use crate::caller::Caller;
use crate::error::Error;
use crate::secrets::{hash_password, new_secret};

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

/// How well a fact of the story is supported: the tags of the reference notes
/// (regulation.md §0), the seed article's account where the reference has nothing, and
/// what the demo makes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidence {
    /// `[V]`: read in the cited source (an official record or repository).
    Verified,
    /// `[S]`: a secondary source (news, a vendor's blog).
    Supported,
    /// The seed article's account, which the reference does not confirm: unverified.
    Seed,
    /// The seed article's account, dated from memory (`[M]`): unverified.
    SeedDatedFromMemory,
    /// Made up for the demo.
    Illustrative,
}

impl Confidence {
    /// The tag shown with the fact, in English and Chinese.
    pub fn tag(self) -> (&'static str, &'static str) {
        match self {
            Confidence::Verified => ("[V] verified", "[V] 已核实"),
            Confidence::Supported => ("[S] secondary source", "[S] 二手来源"),
            Confidence::Seed => ("seed article's account, unverified", "来自起始文章的说法，未核实"),
            Confidence::SeedDatedFromMemory => (
                "seed article's account, date from memory [M], unverified",
                "来自起始文章的说法，日期凭记忆 [M]，未核实",
            ),
            Confidence::Illustrative => ("illustrative", "示意"),
        }
    }
}

/// One dated fact of the story the demo adds to the case file's timeline, with its
/// source and confidence.
#[derive(Debug, Clone, Copy)]
pub struct Fact {
    /// A name for it.
    pub id: &'static str,
    /// The date (Beijing time for the Chinese side, as the reference gives it).
    pub date: &'static str,
    /// What happened, in English.
    pub en: &'static str,
    /// What happened, in Chinese.
    pub zh: &'static str,
    /// Where it is from.
    pub source: &'static str,
    /// How well it is supported.
    pub confidence: Confidence,
    /// The words of the row of regulation.md §4.3 that hold it (dated `date`), when the
    /// reference has it.
    pub reference: Option<&'static str>,
}

impl Fact {
    /// The fact as a note, in both languages, with its source and confidence.
    pub fn note(&self) -> String {
        let (en, zh) = self.confidence.tag();
        format!("{} [{en}; source: {}] / {} [{zh}；来源：{}]", self.en, self.source, self.zh, self.source)
    }

    /// The fact's text with its source and confidence, per language.
    pub fn localized(&self) -> Localized {
        let (en, zh) = self.confidence.tag();
        Localized::both(
            format!("{} [{zh}；来源：{}]", self.zh, self.source),
            format!("{} [{en}; source: {}]", self.en, self.source),
        )
    }
}

const MIIT_ALERT: &str = "MIIT's account as reported by 澎湃 (https://app.bjtitle.com/8816/newshow.php?mood=wx&newsid=6060366&typeid=26); http://m.powerfulmindnow.com/html/News/202112/0a69536c9a16c8b3.shtml";

/// What the platform and the others did that the case file does not tell, in time
/// order: each with its date, source and confidence (regulation.md §4.3 where it has
/// the fact; the seed article's account, marked so, where it has nothing).
pub const STORY: &[Fact] = &[
    Fact {
        id: "platform-convenes",
        date: "2021-12-09",
        en: "MIIT convenes Alibaba Cloud, security firms and institutions to analyse the bug",
        zh: "工信部组织阿里云公司、网络安全企业和专业机构对该漏洞开展研判分析",
        source: MIIT_ALERT,
        confidence: Confidence::Supported,
        reference: Some("MIIT convenes Alibaba Cloud, security firms and institutions"),
    },
    Fact {
        id: "platform-warns",
        date: "2021-12-09",
        en: "MIIT's platform issues a risk warning to industry units",
        zh: "工信部平台向行业单位发出风险预警",
        source: MIIT_ALERT,
        confidence: Confidence::Supported,
        reference: Some("warns industry"),
    },
    Fact {
        id: "details-public",
        date: "2021-12-09",
        en: "Public disclosure: exploit details are public",
        zh: "漏洞公开披露：利用细节已公开",
        source: "github/advisory-database GHSA-jfh8-c2jp-5v3q (its references)",
        confidence: Confidence::Verified,
        reference: Some("Public disclosure / PoC"),
    },
    Fact {
        id: "cert-at",
        date: "2021-12-10",
        en: "CERT.at (Austria) warns of the vulnerability",
        zh: "奥地利 CERT.at 发布该漏洞预警",
        source: "CERT.at",
        confidence: Confidence::SeedDatedFromMemory,
        reference: None,
    },
    Fact {
        id: "cert-nz",
        date: "2021-12-10",
        en: "CERT NZ (New Zealand) warns that the vulnerability is actively exploited",
        zh: "新西兰 CERT NZ 发布预警，称该漏洞正被积极利用",
        source: "CERT NZ",
        confidence: Confidence::SeedDatedFromMemory,
        reference: None,
    },
    Fact {
        id: "alibaba-announces",
        date: "2021-12-10",
        en: "Alibaba Cloud announces the 2.15.0-rc1 bypass with the advice to upgrade",
        zh: "阿里云发布公告，通报 2.15.0-rc1 被绕过并给出升级建议",
        source: "the seed article; not in the reference",
        confidence: Confidence::Seed,
        reference: None,
    },
    Fact {
        id: "cnvd-manual",
        date: "2021-12-14",
        en: "CNVD publishes an investigation-and-repair manual (排查及修复手册) for Log4j2; the reference could not find the document (the platform's manual of the advisory is generated from the records)",
        zh: "CNVD 发布 Log4j2 漏洞排查及修复手册；参考资料未能找到该文件（平台上该公告的手册由漏洞记录生成）",
        source: "the seed article; regulation.md §2.2: the manual was not found",
        confidence: Confidence::Seed,
        reference: None,
    },
    Fact {
        id: "miit-alert",
        date: "2021-12-17",
        en: "MIIT's Cybersecurity Administration Bureau issues a risk alert on Log4j2, naming Alibaba Cloud as the finder that informed the ASF",
        zh: "工信部网络安全管理局发布 Log4j2 风险提示，指出阿里云发现该漏洞后向 Apache 软件基金会报告",
        source: "澎湃 via bjtitle (https://app.bjtitle.com/8816/newshow.php?mood=wx&newsid=6060366&typeid=26)",
        confidence: Confidence::Supported,
        reference: Some("risk alert** on Log4j2 (names Alibaba Cloud as the finder that informed the ASF)"),
    },
    Fact {
        id: "criticism",
        date: "2021-12-22",
        en: "MIIT criticises by name the researcher who sent the bug abroad, without an administrative penalty on the person (an industry insider's account; the date is the suspension's, the account gives none)",
        zh: "工信部点名批评将漏洞报告给境外的研究人员，未对其本人作行政处罚（业内人士的说法；日期取暂停之日，该说法未给出日期）",
        source: "the seed article (an industry insider's account); not in the reference",
        confidence: Confidence::Seed,
        reference: None,
    },
];

/// Who the public criticism names, as the record can say it: the account the demo
/// rests on says MIIT named the researcher, but gives no name, and the record does not
/// put one on an unverified criticism.
pub const CRITICISED: &str = "the Alibaba Cloud researcher who reported the bug to the ASF (named by MIIT per the account; the account gives no name)";

/// The fact named `id` of the [`STORY`].
pub fn fact(id: &str) -> Fact {
    STORY.iter().find(|f| f.id == id).copied().unwrap_or_else(|| panic!("no fact `{id}` in the demo's story"))
}

/// Midnight of a fact's day in Beijing time, as the case file reads a bare date.
fn beijing_day(date: &str) -> Result<Timestamp, Error> {
    let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(Error::internal)?;
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(chrono_tz::Asia::Shanghai).single())
        .map(|t| t.to_utc())
        .ok_or_else(|| Error::internal(format!("no midnight on {date}")))
}

/// Midnight UTC of a fact's day, as the records date their threat events.
fn utc_day(date: &str) -> Result<Timestamp, Error> {
    let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(Error::internal)?;
    Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// The events of the [`STORY`] that go on the case's timeline, in the case-file
/// vocabulary: the platform's analysis, Alibaba Cloud's own announcement (which the
/// Art. 9 gates judge), CNVD's manual and MIIT's risk alert.
fn story_events() -> Vec<Value> {
    let event = |id: &str, body: Value| {
        let f = fact(id);
        let mut body = body;
        body["at"] = json!(f.date);
        body["note"] = json!(f.note());
        body
    };
    vec![
        event("platform-convenes", json!({"type": "verified", "party": "miit-nvdb"})),
        event(
            "alibaba-announces",
            json!({"type": "published", "party": "alibaba-cloud", "with_remediation": true}),
        ),
        event("cnvd-manual", json!({"type": "published", "party": "cnvd", "with_remediation": true})),
        event("miit-alert", json!({"type": "published", "party": "miit-nvdb", "with_remediation": true})),
    ]
}

/// The threat events of the [`STORY`], added to CVE-2021-44228's record (the proof of
/// concept and the rc1 bypass are in the record file already, with their sources).
fn story_threats(v: &mut Vulnerability) -> Result<(), Error> {
    if v.id != "CVE-2021-44228" {
        return Ok(());
    }
    for (id, kind) in [
        ("details-public", ThreatKind::ExploitDetailsPublic),
        ("cert-at", ThreatKind::ExploitDetailsPublic),
        ("cert-nz", ThreatKind::ActivelyExploited),
    ] {
        let f = fact(id);
        v.threats.push(ThreatEvent {
            at: utc_day(f.date)?,
            kind,
            source: f.source.to_owned(),
            reference: None,
            note: Some(f.note()),
        });
    }
    v.threats.sort_by_key(|t| t.at);
    Ok(())
}

/// The industry units' asset inventories — illustrative: the bank and the grid run
/// affected log4j-core versions, and the grid's billing system runs 2.17.1, fixed for
/// every Log4j CVE of the case, so it is never warned.
pub const INVENTORIES: &[(&str, &str, &str)] = &[
    ("cn-bank", "core-banking [illustrative]", "2.14.1"),
    ("cn-bank", "payment-gateway [illustrative]", "2.12.1"),
    ("cn-grid", "dispatch-system [illustrative]", "2.8.2"),
    ("cn-grid", "customer-billing [illustrative]", "2.17.1"),
];

/// The inventories, uploaded (illustratively) on 2021-11-01, before the story.
async fn inventories(store: &Arc<dyn Store>, uploader: impl Fn(&str) -> String) -> Result<(), Error> {
    let at = utc_day("2021-11-01")?;
    for (org, group, version) in INVENTORIES {
        let components = ["log4j-core", "log4j-api"].map(|artifact| AssetComponent {
            name: format!("org.apache.logging.log4j:{artifact}"),
            version: Some((*version).to_owned()),
            purl: Some(format!("pkg:maven/org.apache.logging.log4j/{artifact}@{version}")),
            bom_ref: None,
        });
        let by = uploader(org);
        store.put_asset_group(org, group, "manual", &components, Some(&by), at).await?;
    }
    Ok(())
}

/// The risk warnings as the engine issued them, each at its time: MIIT's warning to
/// the industry on 2021-12-09, before publication (at the start of the day, Beijing
/// time, as the case file reads a bare date: the time of day is not public); then each
/// record's when it was published (CVE-2021-44228 again, public by then, actively
/// exploited and its rc1 fix bypassed).
async fn warnings(
    state: &crate::App,
    analyst: &Caller,
    case_id: &str,
    records: &[Vulnerability],
) -> Result<(), Error> {
    let warns = fact("platform-warns");
    let first = ["CVE-2021-44228".to_owned()];
    let at = beijing_day(warns.date)?;
    crate::warnings::warn_industry(state, analyst, case_id, &first, Some(at), warns.localized()).await?;
    for v in records {
        if let Some(published) = v.published {
            crate::warnings::rematch_vulnerabilities_as_of(state, std::slice::from_ref(&v.id), published)
                .await?;
        }
    }
    Ok(())
}

fn org(id: &str, name: &str, roles: &[Role], jurisdiction: &str) -> Organisation {
    Organisation {
        id: id.into(),
        name: name.into(),
        name_zh: None,
        roles: roles.to_vec(),
        jurisdiction: jurisdiction.parse::<Jurisdiction>().unwrap_or(Jurisdiction::CN),
        individual: false,
        status: Status::Active,
        created_at: Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).single().unwrap_or_default(),
    }
}

/// Alibaba Cloud's report of the Log4j2 JNDI lookup bug as `POST /api/v1/reports`
/// takes it (the content CN Art. 7(2) asks for; no platform, no attachments).
pub fn log4shell_report() -> Value {
    json!({
        "title": "JNDI lookup remote code execution",
        "product": {"name": "Apache Log4j2", "model": "log4j-core", "affected_versions": ["2.0-beta9 to 2.14.1"],
                    "provider": "apache", "purl": "pkg:maven/org.apache.logging.log4j/log4j-core"},
        "technical_characteristics": "Message lookup substitution reaches JNDI; an attacker-controlled string loads remote code.",
        "harm": "Remote code execution as the application's user.",
        "scope_of_impact": "Every Java application that logs attacker-controlled strings with log4j-core 2.x.",
        "discovered_at": "2021-11-24T10:00:00+08:00",
        "aware_at": "2021-11-24T10:00:00+08:00",
        "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
    })
}

/// Loads the demo into an empty store.
pub async fn load(store: &Arc<dyn Store>) -> Result<Demo, Error> {
    let state = crate::App::new(store.clone(), crate::Config::default());
    let mut file: Value = serde_json::from_str(LOG4SHELL).map_err(Error::internal)?;
    // The story's events after the case file's, so the file's event numbers stay.
    if let Some(events) = file.get_mut("events").and_then(Value::as_array_mut) {
        events.extend(story_events());
    }
    // Check the story reads as a case before storing it.
    let case = vulnrelay_formats::case_file::from_value(&file).map_err(Error::internal)?;
    for party in case.parties() {
        let o = Organisation {
            name_zh: party.name_zh.clone(),
            ..org(&party.id.0, &party.name, &party.roles, party.jurisdiction.as_str())
        };
        store.create_org(&o).await?;
    }
    let extra = [
        Organisation {
            // The name CN Art. 7(2) gives it (reference/regulation.md).
            name_zh: Some("国家网络与信息安全信息通报中心".into()),
            ..org(
                "mps-ncc",
                "National Network and Information Security Information Notification Center (MPS)",
                &[Role::PublicSecurity],
                "CN",
            )
        },
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
    for o in extra.iter().chain(&crate::coordination_demo::organisations()) {
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
    let mut records = vulnrelay_formats::record::parse_all(LOG4SHELL_RECORDS)
        .map_err(|problems| Error::internal(format!("examples/log4shell-records.json: {problems:?}")))?;
    for v in &mut records {
        story_threats(v)?;
    }
    for v in &records {
        let value = serde_json::to_value(vulnrelay_formats::record::VulnerabilityJson::from(v))
            .map_err(Error::internal)?;
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
    let vendors = crate::coordination_demo::VENDORS
        .iter()
        .map(|v| (v.email, "Vendor PSIRT [illustrative]", v.org, vec![AccountRole::VendorContact]));
    let mut accounts = Vec::new();
    let mut ids: Vec<(&str, String)> = Vec::new();
    for (email, name, org_id, roles) in people.into_iter().chain(vendors) {
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
    let uploader =
        |org: &str| account(if org == "cn-bank" { "soc@bank.example" } else { "noc@grid.example" });
    inventories(store, uploader).await?;
    let analyst = Caller { account: Some(store.account(&account("analyst@nvdb.miit.example")).await?) };
    warnings(&state, &analyst, &case_id, &records).await?;
    sanction_story(
        &state,
        &case_id,
        &account("analyst@nvdb.miit.example"),
        &account("security@alibaba-cloud.example"),
    )
    .await?;
    crate::coordination_demo::story(&state, store, &analyst, &case_id, account).await?;
    Ok(Demo { case_id, accounts })
}

/// Alibaba Cloud's suspension on its own log, resting on the finding that it did not
/// report Log4Shell to the MIIT platform within 2 days, and beside it the public
/// criticism of the researcher by name (the seed article's account); then a rectification report and a
/// review that restores it after the 6-month term. The suspension is documented
/// (secondary sources, 2021-12-22); the report and the review are illustrative: whether
/// and when Alibaba Cloud was restored is not verified.
async fn sanction_story(state: &crate::App, case_id: &str, analyst: &str, unit: &str) -> Result<(), Error> {
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
                         according to its rectification (根据整改情况，研究恢复) [S] secondary sources, 2021-12-22: \
                         https://www.lwgcw.com/redian/2021/1222/17994.html ; http://bdzhitong.com/article/544509.html ; \
                         bjtitle/澎湃 ; https://technode.com/2021/12/23/regulator-suspends-cybersecurity-partnership-with-alibaba-cloud/"
                    .to_owned(),
                basis: vec![Basis::Finding { rule: "cn-miit-member/member-report-2d".into(), case: case_id.to_owned() }],
                public: true,
            },
            analyst,
        ),
        (
            OrgEvent::Sanctioned {
                at: time(2021, 12, 21, 16),
                kind: SanctionKind::PublicCriticism {
                    // The account says MIIT named the researcher; neither it nor the
                    // reference gives the name, so the record does not guess one.
                    individual: Some(CRITICISED.to_owned()),
                },
                author: analyst.to_owned(),
                reason: fact("criticism").note(),
                basis: vec![
                    Basis::Finding { rule: "cn-miit-member/member-report-2d".into(), case: case_id.to_owned() },
                    Basis::Event { case: case_id.to_owned(), index: 1 },
                ],
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
