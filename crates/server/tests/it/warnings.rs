//! Risk warnings through the API, in-process, on every back end: inventories, who is
//! warned before and after publication, the bypassed-fix re-warning, acknowledgements,
//! per-asset status and its VEX exports, delivery to the inbox, dead letters and replay.

use crate::common;

use std::time::Duration;

use axum::http::StatusCode;
use chrono::Utc;
use common::{ADMIN, APACHE, App, BANK, MIIT, REPORTER};
use serde_json::{Value, json};
use vulnrelay_delivery::RetryPolicy;
use vulnrelay_formats::schemas::{Schema, validate};
use vulnrelay_server::worker::{Worker, WorkerConfig};
use vulnrelay_server::{AppState, warnings};
use vulnrelay_store::testing::{TestDb, for_each_backend};

/// A worker that delivers to the tests' receivers on loopback (refused by default).
fn loopback() -> WorkerConfig {
    WorkerConfig { deny_private_networks: false, ..WorkerConfig::default() }
}
use vulnrelay_store::warnings::{DeliveryFilter, WarningFilter};

const GRID: &str = "noc@grid.example";

fn sbom(components: &[(&str, &str, &str)]) -> Value {
    let components: Vec<Value> = components
        .iter()
        .map(|(group, name, version)| {
            json!({"type": "library", "group": group, "name": name, "version": version,
                   "purl": format!("pkg:maven/{group}/{name}@{version}")})
        })
        .collect();
    json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": components})
}

/// A record of the test's own, on `case`: org.example:widget 1.0 up to 1.5.
fn widget_record() -> Value {
    json!({
        "id": "VR-2026-0001",
        "title": {"en": "Widget template injection"},
        "description": {"en": "SECRET exploit detail: the template engine evaluates ${...} in headers."},
        "affected": [{"source": "miit", "vendor": "Example", "product": "Widget", "ecosystem": "Maven",
                      "package": "org.example:widget", "purl": "pkg:maven/org.example/widget",
                      "ranges": [{"introduced": "1.0", "fixed": "1.5"}]}],
        "scores": [{"source": "miit", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "remediation": {"en": "Upgrade widget to 1.5."},
        "references": [{"url": "https://example.invalid/poc", "kind": "exploit"}]
    })
}

async fn put(app: &App, who: &str, group: &str, body: Value) -> Value {
    let (status, answer) = app.call("PUT", &format!("/api/v1/assets/groups/{group}"), who, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

async fn warnings_of(app: &App, who: &str) -> Vec<Value> {
    let (status, answer) = app.get("/api/v1/warnings", who).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["warnings"].as_array().unwrap().clone()
}

fn about<'a>(list: &'a [Value], vulnerability: &str) -> Option<&'a Value> {
    list.iter().find(|w| w["vulnerability"] == vulnerability)
}

/// The bank's inventory holds fix releases that some source's coarse range covers
/// (CNVD's 2.0–2.15.0-rc1, GitHub's ranges from 0): it is warned by the reconciled
/// ranges only, and each component names the sources that disagree.
#[tokio::test]
async fn warnings_follow_the_reconciled_ranges_and_show_disagreeing_sources() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let core = |v: &'static str| ("org.apache.logging.log4j", "log4j-core", v);
        put(&app, BANK, "core", sbom(&[core("2.12.2"), core("2.3.1"), core("2.0-beta2"), core("2.14.1")]))
            .await;
        let (status, summary) = app.post("/api/v1/warnings/rematch", MIIT, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{summary}");
        let mut warned: Vec<(String, String)> = Vec::new();
        for warning in warnings_of(&app, BANK).await {
            let id = warning["vulnerability"].as_str().unwrap().to_owned();
            // The demo's own (illustrative) inventories of the bank are not this test's.
            for asset in
                warning["content"]["affected"].as_array().unwrap().iter().filter(|a| a["asset"] == "core")
            {
                for component in asset["components"].as_array().unwrap() {
                    warned.push((id.clone(), component["version"].as_str().unwrap().to_owned()));
                    if id == "CVE-2021-44228" {
                        assert_eq!(component["decided_by"], "MIIT analyst (analyst@nvdb.miit.example)");
                    }
                }
            }
        }
        warned.sort();
        let pair = |id: &str, v: &str| (id.to_owned(), v.to_owned());
        assert_eq!(
            warned,
            [
                pair("CVE-2021-44228", "2.14.1"),
                pair("CVE-2021-44832", "2.12.2"),
                pair("CVE-2021-44832", "2.14.1"),
                pair("CVE-2021-44832", "2.3.1"),
                pair("CVE-2021-45046", "2.14.1"),
                pair("CVE-2021-45105", "2.0-beta2"),
                pair("CVE-2021-45105", "2.12.2"),
                pair("CVE-2021-45105", "2.14.1"),
            ]
        );
        // 2.0-beta2: GitHub (from 0) and Apache (from 2.0-alpha1) agree for CVE-2021-45105.
        let list = warnings_of(&app, BANK).await;
        let w = about(&list, "CVE-2021-45105").unwrap();
        let beta2 = w["content"]["affected"][0]["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["version"] == "2.0-beta2")
            .unwrap();
        assert_eq!(beta2["sources"], json!(["apache", "github"]));
        assert_eq!(beta2["not_affected_per"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn before_publication_only_units_the_case_allows_are_warned_then_everyone() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = app.submit(json!({})).await;
        // The reporter's membership is suspended (the demo's suspension was restored).
        let suspend = json!({"reason": "late report", "findings": ["cn-miit-member/member-report-2d"], "case": app.case_id});
        let (status, answer) =
            app.post("/api/v1/orgs/alibaba-cloud/memberships/miit-threat-sharing/suspend", MIIT, suspend).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let widget = |v: &str| sbom(&[("org.example", "widget", v)]);
        put(&app, BANK, "payments", widget("1.2")).await;
        put(&app, GRID, "scada", widget("1.6")).await;
        put(&app, REPORTER, "cloud", widget("1.2")).await;
        put(&app, APACHE, "build", widget("1.3")).await;
        let now = Utc::now();
        app.db.store.save_vulnerability("VR-2026-0001", Some(&case), &widget_record(), &[], now).await.unwrap();
        let (status, summary) = app.post("/api/v1/warnings/rematch", MIIT, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{summary}");
        // Not published: the bank and the grid may not see the case; the reporter may,
        // but its membership is suspended; Apache is not yet notified.
        assert_eq!(summary["withheld"], 3, "{summary}");
        for who in [BANK, GRID, REPORTER, APACHE] {
            assert!(about(&warnings_of(&app, who).await, "VR-2026-0001").is_none(), "{who}");
        }
        // The reporter notifies Apache: Apache may now read the case, and is warned,
        // TLP:AMBER, without the exploit detail.
        let (status, answer) = app
            .post(&format!("/api/v1/cases/{case}/events"), REPORTER, json!({"type": "notified", "to": "apache"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let apache = warnings_of(&app, APACHE).await;
        let warning = about(&apache, "VR-2026-0001").expect("Apache is warned");
        assert_eq!(warning["tlp"], "TLP:AMBER");
        assert_eq!(warning["severity"], "critical");
        assert!(!warning.to_string().contains("SECRET"), "{warning}");
        assert!(!warning.to_string().contains("example.invalid/poc"), "{warning}");
        assert_eq!(warning["content"]["affected"][0]["asset"], "build");
        assert!(about(&warnings_of(&app, BANK).await, "VR-2026-0001").is_none());
        // Published: every affected unit, TLP:CLEAR; not the grid (1.6 is fixed).
        for event in [
            json!({"type": "fix_available", "party": "apache", "version": "1.5"}),
            json!({"type": "published", "party": "miit-nvdb", "with_remediation": true, "override_reason": "approved"}),
        ] {
            let (status, answer) = app.post(&format!("/api/v1/cases/{case}/events"), MIIT, event).await;
            assert_eq!(status, StatusCode::CREATED, "{answer}");
        }
        for who in [BANK, REPORTER, APACHE] {
            let list = warnings_of(&app, who).await;
            let w = about(&list, "VR-2026-0001").unwrap_or_else(|| panic!("{who} is warned"));
            assert_eq!(w["tlp"], "TLP:CLEAR", "{who}");
            assert!(w.to_string().contains("SECRET"), "published detail reaches {who}");
        }
        assert_eq!(about(&warnings_of(&app, APACHE).await, "VR-2026-0001").unwrap()["revision"], 2);
        assert!(about(&warnings_of(&app, GRID).await, "VR-2026-0001").is_none());
        // Another unit cannot see the bank's warning.
        let bank_warning = about(&warnings_of(&app, BANK).await, "VR-2026-0001").unwrap().clone();
        let id = bank_warning["id"].as_str().unwrap();
        assert_eq!(app.get(&format!("/api/v1/warnings/{id}"), GRID).await.0, StatusCode::NOT_FOUND);

        // Delivery: the worker puts the warning in the bank's inbox.
        let worker = Worker::new(app.state.app.clone(), WorkerConfig::default());
        while worker.deliver(Utc::now()).await.unwrap().claimed > 0 {}
        let (_, inbox) = app.get("/api/v1/inbox", BANK).await;
        let messages = inbox["messages"].as_array().unwrap();
        assert!(
            messages.iter().any(|m| m["message"]["warning_id"] == id && m["topic"] == "warning.issued"),
            "{inbox}"
        );

        // Acknowledge, report per asset, export VEX.
        let (status, ack) = app.post(&format!("/api/v1/warnings/{id}/ack"), BANK, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{ack}");
        assert_eq!(app.post(&format!("/api/v1/warnings/{id}/ack"), GRID, json!({})).await.0, StatusCode::NOT_FOUND);
        let status_path = format!("/api/v1/warnings/{id}/assets/payments/status");
        let (status, problems) =
            app.call("PUT", &status_path, BANK, Some(json!({"status": "not_affected"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problems}");
        let (status, answer) = app
            .call(
                "PUT",
                &status_path,
                BANK,
                Some(json!({"status": "not_affected", "justification": "vulnerable_code_not_in_execute_path", "detail": "templates off"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["justification"], "code_not_reachable");
        let (status, _) = app
            .call("PUT", &format!("/api/v1/warnings/{id}/assets/elsewhere/status"), BANK, Some(json!({"status": "fixed"})))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, shown) = app.get(&format!("/api/v1/warnings/{id}"), BANK).await;
        assert_eq!(shown["acknowledgements"].as_array().unwrap().len(), 1);
        assert_eq!(shown["assets"][0]["status"], "not_affected");
        let (status, cdx) = app.get(&format!("/api/v1/warnings/{id}/vex.cdx.json"), BANK).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(validate(Schema::CycloneDx, &cdx), vec![], "{cdx}");
        assert_eq!(cdx["vulnerabilities"][0]["analysis"]["state"], "not_affected");
        let (status, csaf) = app.get(&format!("/api/v1/warnings/{id}/vex.csaf.json"), BANK).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(validate(Schema::Csaf, &csaf), vec![], "{csaf}");
        assert_eq!(csaf["vulnerabilities"][0]["flags"][0]["label"], "vulnerable_code_not_in_execute_path");

        // The inventory changes: upgrading withdraws the warning (recorded, not sent).
        let before = app.db.store.deliveries(&DeliveryFilter::default()).await.unwrap().len();
        put(&app, BANK, "payments", widget("1.5")).await;
        let (_, shown) = app.get(&format!("/api/v1/warnings/{id}"), BANK).await;
        assert_eq!(shown["state"], "withdrawn");
        assert_eq!(app.db.store.deliveries(&DeliveryFilter::default()).await.unwrap().len(), before);
        let (_, history) = app.get("/api/v1/assets/groups/payments/history", BANK).await;
        assert_eq!(history["revisions"].as_array().unwrap().len(), 2);
        // An SBOM larger than the API's general body limit (64 KiB in the tests) is taken.
        let many: Vec<(String, String, String)> =
            (0..1500).map(|i| ("org.example".to_owned(), format!("lib-{i}"), "1.0.0".to_owned())).collect();
        let many: Vec<(&str, &str, &str)> = many.iter().map(|(g, n, v)| (g.as_str(), n.as_str(), v.as_str())).collect();
        let big = sbom(&many);
        assert!(big.to_string().len() > 64 * 1024);
        assert_eq!(put(&app, BANK, "estate", big).await["components"], 1500);
        let (status, problems) =
            app.call("PUT", "/api/v1/assets/groups/estate", BANK, Some(json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "gadget", "name": "x"}]}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problems}");
    })
    .await;
}

#[tokio::test]
async fn dead_letters_are_listed_and_replayed() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        // Nothing listens on port 9 of the loopback: every attempt fails.
        let (status, hook) =
            app.post("/api/v1/webhooks", BANK, json!({"url": "http://127.0.0.1:9/hook"})).await;
        assert_eq!(status, StatusCode::CREATED, "{hook}");
        assert!(hook["secret"].as_str().unwrap().starts_with("whsec_"));
        let (_, listed) = app.get("/api/v1/webhooks", BANK).await;
        assert!(listed["webhooks"][0].get("secret").is_none());
        assert_eq!(
            app.post("/api/v1/webhooks", BANK, json!({"url": "ftp://example.invalid"})).await.0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        // The demo's Log4Shell records are published: the bank's log4j-core 2.14.1 is warned.
        let answer =
            put(&app, BANK, "core", sbom(&[("org.apache.logging.log4j", "log4j-core", "2.14.1")])).await;
        assert!(answer["matching"]["warnings_written"].as_u64().unwrap() >= 1, "{answer}");
        let config = WorkerConfig {
            retry: RetryPolicy {
                base: Duration::from_millis(1),
                cap: Duration::from_millis(1),
                max_attempts: 2,
            },
            timeout: Duration::from_secs(2),
            ..loopback()
        };
        let worker = Worker::new(app.state.app.clone(), config);
        for _ in 0..50 {
            worker.deliver(Utc::now()).await.unwrap();
            let counts = app.db.store.delivery_counts().await.unwrap();
            if counts.pending == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let (status, dead) = app.get("/api/v1/deliveries/dead", BANK).await;
        assert_eq!(status, StatusCode::OK, "{dead}");
        let dead = dead["deliveries"].as_array().unwrap().clone();
        assert!(!dead.is_empty());
        assert!(dead.iter().all(|d| d["channel"] == "webhook" && d["attempts"] == 2), "{dead:?}");
        let id = dead[0]["id"].as_str().unwrap();
        let (_, shown) = app.get(&format!("/api/v1/deliveries/{id}"), BANK).await;
        assert_eq!(shown["attempt_log"].as_array().unwrap().len(), 2, "{shown}");
        // The delivery counts are for administrators.
        let request = axum::http::Request::get("/metrics")
            .header("authorization", format!("Bearer {}", app.token(ADMIN).await))
            .body(axum::body::Body::empty())
            .unwrap();
        let metrics = String::from_utf8(app.raw(request).await.2).unwrap();
        assert!(
            metrics.contains(&format!("vulnrelay_deliveries{{state=\"dead\"}} {}", dead.len())),
            "{metrics}"
        );
        assert_eq!(
            app.post(&format!("/api/v1/deliveries/{id}/replay"), GRID, json!({})).await.0,
            StatusCode::NOT_FOUND
        );
        let (status, replayed) = app.post(&format!("/api/v1/deliveries/{id}/replay"), BANK, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{replayed}");
        assert_eq!((replayed["state"].clone(), replayed["attempts"].clone()), (json!("pending"), json!(0)));
        assert_eq!(replayed["idempotency_key"], dead[0]["idempotency_key"]);
        // A worker that refuses non-public addresses does not even try the loopback.
        let strict = Worker::new(app.state.app.clone(), WorkerConfig::default());
        strict.deliver(Utc::now()).await.unwrap();
        let refused = app.db.store.delivery(id).await.unwrap();
        assert!(
            refused.last_error.as_deref().unwrap_or_default().contains("not a public address"),
            "{refused:?}"
        );
        assert!(vulnrelay_server::worker::is_private("10.1.2.3".parse().unwrap()));
        assert!(vulnrelay_server::worker::is_private("::ffff:192.168.0.1".parse().unwrap()));
        assert!(!vulnrelay_server::worker::is_private("202.96.134.133".parse().unwrap()));
        let (_, everything) = app.get("/api/v1/deliveries?limit=1", ADMIN).await;
        assert!(everything["next"].is_string(), "{everything}");
    })
    .await;
}

/// The CNVD's notice of 2021-12-10: 2.15.0-rc1 was bypassed. A unit that had upgraded to
/// rc1 on Apache's first advice is warned when the record changes; a unit already warned
/// gets the changed warning again.
#[tokio::test]
async fn a_bypassed_fix_re_warns_units_that_upgraded_to_it() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        for id in ["bank", "grid"] {
            store
                .create_org(&vulnrelay_store::Organisation {
                    id: id.into(),
                    name: id.into(),
                    name_zh: None,
                    roles: vec![vulnrelay_domain::Role::NetworkOperator],
                    jurisdiction: vulnrelay_domain::Jurisdiction::CN,
                    individual: false,
                    status: vulnrelay_store::Status::Active,
                    created_at: Utc::now(),
                })
                .await
                .unwrap();
        }
        let component = |v: &str| vulnrelay_store::warnings::AssetComponent {
            name: "org.apache.logging.log4j:log4j-core".into(),
            version: Some(v.into()),
            purl: Some(format!("pkg:maven/org.apache.logging.log4j/log4j-core@{v}")),
            bom_ref: None,
        };
        let now = Utc::now();
        store.put_asset_group("bank", "core", "sbom", &[component("2.15.0-rc1")], None, now).await.unwrap();
        store.put_asset_group("grid", "core", "sbom", &[component("2.14.1")], None, now).await.unwrap();
        let state = AppState::new(store.clone(), common::config());
        // Apache's first advice: fixed in 2.15.0-rc1.
        let mut record: Value =
            serde_json::from_str::<Value>(vulnrelay_server::demo::LOG4SHELL_RECORDS).unwrap()[0].clone();
        let full = record.clone();
        record["affected"] = json!([{
            "source": "apache", "vendor": "Apache Software Foundation", "product": "Apache Log4j2",
            "ecosystem": "Maven", "package": "org.apache.logging.log4j:log4j-core",
            "purl": "pkg:maven/org.apache.logging.log4j/log4j-core",
            "ranges": [{"introduced": "2.0-beta9", "fixed": "2.15.0-rc1"}]
        }]);
        record["reconciled"] = json!([]);
        record["threats"] = json!([]);
        store.save_vulnerability("CVE-2021-44228", None, &record, &[], now).await.unwrap();
        let ids = vec!["CVE-2021-44228".to_owned()];
        let first = warnings::rematch_vulnerabilities(&state, &ids).await.unwrap();
        assert_eq!(first.written, 1, "only the grid, on 2.14.1");
        let of = |org: &str| WarningFilter { org_id: Some(org.into()), ..WarningFilter::default() };
        assert!(store.warnings(&of("bank")).await.unwrap().is_empty());
        // The record changes: the recorded decision (Apache's later ranges, fixed in
        // 2.15.0) includes rc1, and the bypass is recorded.
        store.save_vulnerability("CVE-2021-44228", None, &full, &[], Utc::now()).await.unwrap();
        let second = warnings::rematch_vulnerabilities(&state, &ids).await.unwrap();
        assert_eq!(second.written, 2, "{second:?}");
        let bank = store.warnings(&of("bank")).await.unwrap();
        assert_eq!(bank.len(), 1);
        assert_eq!(bank[0].content["bypassed_fixes"], json!(["2.15.0-rc1"]));
        let grid = store.warnings(&of("grid")).await.unwrap();
        assert_eq!(grid[0].revision, 2);
        let mut topics: Vec<String> = store
            .deliveries(&DeliveryFilter::default())
            .await
            .unwrap()
            .into_iter()
            .map(|d| format!("{}:{}", d.org_id, d.topic))
            .collect();
        topics.sort();
        assert_eq!(topics, ["bank:warning.issued", "grid:warning.issued", "grid:warning.updated"]);
        // Running it again changes nothing and sends nothing.
        assert_eq!(warnings::rematch_all(&state).await.unwrap().written, 0);
    })
    .await;
}

/// Deadline reminders: an obligation of a registered organisation gets one reminder at
/// 24 h, one at 4 h and one when overdue, through the outbox, however often the worker
/// evaluates.
#[tokio::test]
async fn deadline_reminders_are_sent_once_per_stage() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let loaded = vulnrelay_server::casefile::load(&app.state, &app.case_id).await.unwrap();
        let options = vulnrelay_policy::Options {
            as_of: Utc::now(),
            interpretation: vulnrelay_policy::Interpretation::Hours,
        };
        // The cooperating unit's 2-day report to the MIIT platform (never sent).
        let findings = vulnrelay_policy::evaluate(&loaded.case, &app.state.packs, &options);
        let finding = findings
            .iter()
            .find(|f| {
                f.party.0 == "alibaba-cloud"
                    && f.due_at.is_some()
                    && f.rule_id().starts_with("cn-miit-member/")
            })
            .expect("the member's reporting obligation");
        let (rule, due) = (finding.rule_id(), finding.due_at.unwrap());
        let worker = Worker::new(app.state.app.clone(), WorkerConfig::default());
        let hours = chrono::TimeDelta::hours;
        for (at, stage) in [(due - hours(20), "24h"), (due - hours(3), "4h"), (due + hours(1), "overdue")] {
            assert!(worker.remind(at).await.unwrap() >= 1, "{stage}");
            assert_eq!(worker.remind(at).await.unwrap(), 0, "{stage}: once");
        }
        let topics: Vec<String> = app
            .db
            .store
            .deliveries(&DeliveryFilter { org_id: Some("alibaba-cloud".into()), ..DeliveryFilter::default() })
            .await
            .unwrap()
            .into_iter()
            .filter(|d| d.payload["rule"] == rule.as_str())
            .map(|d| d.topic)
            .collect();
        assert_eq!(topics, ["reminder.24h", "reminder.4h", "reminder.overdue"]);
        while worker.deliver(Utc::now()).await.unwrap().claimed > 0 {}
        let (_, inbox) = app.get("/api/v1/inbox", REPORTER).await;
        let reminder = inbox["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["topic"] == "reminder.overdue" && m["message"]["rule"] == rule.as_str())
            .cloned()
            .expect("the overdue reminder in the inbox");
        assert_eq!(reminder["message"]["case"], app.case_id.as_str());
    })
    .await;
}

#[tokio::test]
async fn warnings_are_listed_a_page_at_a_time() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        // Apache's build, which the demo's story does not warn.
        put(&app, APACHE, "payments", sbom(&[("org.example", "widget", "1.2")])).await;
        let now = Utc::now();
        for n in 1..=7 {
            let id = format!("VR-2026-{n:04}");
            let mut record = widget_record();
            record["id"] = json!(id);
            // Records of no case are public: every affected unit is warned.
            app.db.store.save_vulnerability(&id, None, &record, &[], now).await.unwrap();
        }
        let (status, summary) = app.post("/api/v1/warnings/rematch", MIIT, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{summary}");
        let all = warnings_of(&app, APACHE).await;
        assert_eq!(all.len(), 7, "{all:?}");
        let (_, whole) = app.get("/api/v1/warnings", APACHE).await;
        assert!(whole["next_cursor"].is_null(), "{whole}");

        let mut paged = Vec::new();
        let mut sizes = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/warnings?limit=3&cursor={c}"),
                None => "/api/v1/warnings?limit=3".to_owned(),
            };
            let (status, page) = app.get(&path, APACHE).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            let items = page["warnings"].as_array().unwrap();
            sizes.push(items.len());
            paged.extend(items.iter().map(|w| w["id"].clone()));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        // 3 + 3 + 1: every warning once, in the order of the whole listing.
        assert_eq!(sizes, [3, 3, 1]);
        assert_eq!(paged, all.iter().map(|w| w["id"].clone()).collect::<Vec<_>>());

        for bad in [
            "/api/v1/warnings?limit=0",
            "/api/v1/warnings?limit=1001",
            "/api/v1/warnings?cursor=not-a-cursor",
        ] {
            let (status, answer) = app.get(bad, APACHE).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {answer}");
        }
    })
    .await;
}

/// A change whose re-match never ran (the process stopped between the two) is matched
/// by the worker's sweep of marked changes, which then finds nothing left to do; the
/// full re-match agrees.
#[tokio::test]
async fn a_change_left_unmatched_is_matched_by_the_sweep_of_marks() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        put(&app, BANK, "payments", sbom(&[("org.example", "widget", "1.2")])).await;
        // Saved through the store alone: no re-match ran.
        app.db
            .store
            .save_vulnerability("VR-2026-0001", None, &widget_record(), &[], Utc::now())
            .await
            .unwrap();
        assert!(about(&warnings_of(&app, BANK).await, "VR-2026-0001").is_none());
        let swept = warnings::rematch_marked(&app.state).await.unwrap();
        assert_eq!(swept.written, 1, "{swept:?}");
        assert!(about(&warnings_of(&app, BANK).await, "VR-2026-0001").is_some(), "on {}", app.db.name);
        assert_eq!(warnings::rematch_marked(&app.state).await.unwrap(), warnings::Rematch::default());
        assert!(app.db.store.rematch_marks(None, 10).await.unwrap().is_empty());
        let (status, summary) = app.post("/api/v1/warnings/rematch", MIIT, json!({})).await;
        assert_eq!((status, &summary["warnings_written"]), (StatusCode::OK, &json!(0)), "{summary}");
    })
    .await;
}

#[tokio::test]
async fn a_platform_warns_the_industry_before_publication_with_its_note() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = app.submit(json!({})).await;
        let widget = |v: &str| sbom(&[("org.example", "widget", v)]);
        put(&app, BANK, "payments", widget("1.2")).await;
        put(&app, GRID, "scada", widget("1.6")).await;
        app.db
            .store
            .save_vulnerability("VR-2026-0001", Some(&case), &widget_record(), &[], Utc::now())
            .await
            .unwrap();
        let path = format!("/api/v1/cases/{case}/warnings");
        let note = json!({"note": {"en": "Upgrade widget now.", "zh": "请立即升级 widget。"}});
        // Not the bank's to decide; not without a note; only the case's records.
        assert_eq!(app.post(&path, BANK, note.clone()).await.0, StatusCode::NOT_FOUND);
        let (code, answer) = app.post(&path, MIIT, json!({"note": {"en": " "}})).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        let (code, answer) =
            app.post(&path, MIIT, json!({"note": {"en": "x"}, "vulnerabilities": ["CVE-2021-44228"]})).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "not a record of this case: {answer}");
        let (code, answer) = app.post(&path, MIIT, note.clone()).await;
        assert_eq!((code, &answer["warnings_written"]), (StatusCode::OK, &json!(1)), "{answer}");
        let bank = warnings_of(&app, BANK).await;
        let w = about(&bank, "VR-2026-0001").expect("the bank is warned before publication");
        assert_eq!((&w["tlp"], &w["content"]["issued_by"]), (&json!("TLP:AMBER"), &json!("miit-nvdb")));
        assert_eq!(w["content"]["note"]["zh"], "请立即升级 widget。");
        assert!(!w.to_string().contains("SECRET"), "no exploit detail before publication: {w}");
        assert!(about(&warnings_of(&app, GRID).await, "VR-2026-0001").is_none(), "1.6 is fixed");
        // The same note again sends nothing; another note is another revision.
        assert_eq!(app.post(&path, MIIT, note).await.1["warnings_written"], 0);
        let again = json!({"note": {"en": "Exploited: upgrade today."}});
        assert_eq!(app.post(&path, MIIT, again).await.1["warnings_written"], 1);
        assert_eq!(about(&warnings_of(&app, BANK).await, "VR-2026-0001").unwrap()["revision"], 2);
    })
    .await;
}

/// How [`random_changes`] re-matches after each change.
#[derive(Clone, Copy, PartialEq)]
enum Rematching {
    /// As the API does: the unit's inventory after an upload, the record after a change.
    Inline,
    /// None after the change (as if the process stopped right after it): the worker's
    /// sweep of marked changes, every third step.
    Swept,
}

/// A long deterministic sequence of uploads, record changes and removals on every back
/// end, re-matched `how`: after each re-match the full re-match of every record against
/// every inventory finds nothing to write.
async fn random_changes(how: Rematching) {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        let orgs = ["bank", "grid", "power", "rail"];
        for id in orgs {
            store
                .create_org(&vulnrelay_store::Organisation {
                    id: id.into(),
                    name: id.into(),
                    name_zh: None,
                    roles: vec![vulnrelay_domain::Role::NetworkOperator],
                    jurisdiction: vulnrelay_domain::Jurisdiction::CN,
                    individual: false,
                    status: vulnrelay_store::Status::Active,
                    created_at: Utc::now(),
                })
                .await
                .unwrap();
        }
        let state = AppState::new(store.clone(), common::config());
        // Creating the organisations marked them; nothing is matched yet.
        warnings::rematch_marked(&state).await.unwrap();
        // Packages as records name them, and as components' package URLs do (PyPI
        // names are normalised on both sides).
        let packages = [
            ("Maven", "org.example:widget", "pkg:maven/org.example/widget"),
            ("Maven", "org.example:gadget", "pkg:maven/org.example/gadget"),
            ("PyPI", "django-rest-framework", "pkg:pypi/Django_REST.framework"),
            ("npm", "left-pad", "pkg:npm/left-pad"),
        ];
        let versions = ["1.0", "1.2", "1.5", "2.0", "2.3", "3.1"];
        let mut seed: u64 = 0x5eed_2026;
        let mut next = move |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap() % n
        };
        let mut touched = 0;
        for step in 0..40 {
            if next(2) == 0 {
                // An upload: a group of some unit, with a few components (maybe none).
                let org = orgs[next(orgs.len())];
                let group = ["core", "web"][next(2)];
                let components: Vec<vulnrelay_store::warnings::AssetComponent> = (0..next(4))
                    .map(|_| {
                        let (_, name, purl) = packages[next(packages.len())];
                        let version = versions[next(versions.len())];
                        vulnrelay_store::warnings::AssetComponent {
                            name: name.into(),
                            version: Some(version.into()),
                            purl: Some(format!("{purl}@{version}")),
                            bom_ref: None,
                        }
                    })
                    .collect();
                store.put_asset_group(org, group, "manual", &components, None, Utc::now()).await.unwrap();
                if how == Rematching::Inline {
                    touched += warnings::rematch_org(&state, org).await.unwrap().written;
                }
            } else {
                // A record is created or changed: other packages, other ranges, or none.
                let id = format!("VR-2026-{:04}", next(5));
                let affected: Vec<Value> = (0..next(3))
                    .map(|_| {
                        let (ecosystem, package, _) = packages[next(packages.len())];
                        let source = ["miit", "cnvd"][next(2)];
                        let from = next(3);
                        let (introduced, fixed) = (versions[from], versions[from + 1 + next(3)]);
                        json!({"source": source, "vendor": "Example", "product": package,
                               "ecosystem": ecosystem, "package": package,
                               "ranges": [{"introduced": introduced, "fixed": fixed}]})
                    })
                    .collect();
                let record = json!({"id": id, "title": {"en": format!("step {step}")}, "affected": affected,
                                    "scores": [{"source": "miit", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]});
                store.save_vulnerability(&id, None, &record, &[], Utc::now()).await.unwrap();
                if how == Rematching::Inline {
                    touched +=
                        warnings::rematch_vulnerabilities(&state, std::slice::from_ref(&id)).await.unwrap().written;
                }
            }
            if how == Rematching::Swept {
                if step % 3 != 2 && step != 39 {
                    continue;
                }
                touched += warnings::rematch_marked(&state).await.unwrap().written;
                assert!(store.rematch_marks(None, 10).await.unwrap().is_empty(), "step {step}: marks left");
            }
            let full = warnings::rematch_all(&state).await.unwrap();
            assert_eq!(full.written, 0, "step {step}: the full re-match differs: {full:?}");
        }
        let all = store.warnings(&WarningFilter::default()).await.unwrap();
        let withdrawn = all.iter().filter(|w| w.state == vulnrelay_store::warnings::WarningState::Withdrawn).count();
        assert!(touched > 10 && all.len() > 5 && withdrawn > 0, "{touched} {} {withdrawn}", all.len());
    })
    .await;
}

/// The incremental re-matches (an upload re-matches the unit's inventory against the
/// records of its packages, a record change the components of the record's packages,
/// both through the store's match index) leave the warnings exactly as a full re-match
/// of every inventory against every record would.
#[tokio::test]
async fn incremental_rematches_equal_a_full_rematch() {
    random_changes(Rematching::Inline).await;
}

/// The worker's sweep of the changes marked since it last ran, with no re-match after
/// the changes themselves, leaves the warnings exactly as a full re-match would, and
/// leaves no mark behind.
#[tokio::test]
async fn the_sweep_of_marked_changes_equals_a_full_rematch() {
    random_changes(Rematching::Swept).await;
}
