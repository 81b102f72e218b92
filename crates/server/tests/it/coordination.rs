//! Multi-party coordination through the API and the UI, in-process, on every back end:
//! adding vendors (by hand and from their product inventories), who may then read the
//! case and who may not, statuses with VEX justifications, private notes that only the
//! platform and their writer see, each vendor's own CN Art. 7 clocks (with the report
//! back to the platform that told it left to review), the board's filters and pages,
//! reminders through the outbox, and the published vendor list in the bulletin, the
//! CSAF advisory and the OSV export.

use crate::common;

use axum::http::StatusCode;
use chrono::{TimeDelta, Utc};
use common::{App, MIIT, REPORTER};
use serde_json::{Value, json};
use vulnrelay_domain::{AccountRole, Jurisdiction, Role};
use vulnrelay_server::auth::hash_password;
use vulnrelay_server::worker::{Worker, WorkerConfig};
use vulnrelay_store::testing::{TestDb, for_each_backend};
use vulnrelay_store::warnings::DeliveryFilter;
use vulnrelay_store::{Fragment, NewAccount, NewCase, NewEvent, Organisation, Status};

/// A vendor organisation (product provider in China) with one vendor contact, `email`.
async fn vendor(app: &App, org: &str, email: &str) {
    app.db
        .store
        .create_org(&Organisation {
            id: org.into(),
            name: format!("Vendor {org}"),
            name_zh: None,
            roles: vec![Role::ProductProvider],
            jurisdiction: Jurisdiction::CN,
            individual: false,
            status: Status::Active,
            created_at: Utc::now(),
        })
        .await
        .unwrap();
    app.db
        .store
        .create_account(
            &NewAccount {
                email: email.into(),
                name: email.into(),
                password_hash: hash_password("correct horse battery").unwrap(),
                org_id: Some(org.into()),
                roles: vec![AccountRole::VendorContact],
                status: Status::Active,
            },
            Utc::now(),
        )
        .await
        .unwrap();
}

const A: &str = "psirt@a.example";
const B: &str = "psirt@b.example";
const C: &str = "psirt@c.example";

async fn add(app: &App, case: &str, who: &str, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/cases/{case}/participants"), who, body).await
}

async fn status(app: &App, case: &str, who: &str, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/cases/{case}/vendor-status"), who, body).await
}

/// Every text of every answer `who` gets for the case's reading routes.
async fn everything_seen(app: &App, case: &str, who: &str) -> String {
    let mut seen = String::new();
    for path in ["", "/events", "/export", "/compliance", "/coordination"] {
        let (_, body) = app.get(&format!("/api/v1/cases/{case}{path}"), who).await;
        seen.push_str(&body.to_string());
    }
    seen
}

/// A fresh (unpublished) case from the reporter, with vendors `a`, `b`, `c` registered.
async fn fresh(app: &App) -> String {
    vendor(app, "vendor-a", A).await;
    vendor(app, "vendor-b", B).await;
    vendor(app, "vendor-c", C).await;
    app.submit(json!({})).await
}

#[tokio::test]
async fn a_platform_adds_vendors_who_then_read_the_case_and_are_notified() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = fresh(&app).await;
        // Before it is added, a vendor does not see the undisclosed case.
        assert_eq!(app.get(&format!("/api/v1/cases/{case}"), A).await.0, StatusCode::NOT_FOUND);
        let body = json!({"vendors": [
            {"org": "vendor-a", "products": [{"name": "A Server", "version": "1.0"}, {"name": "A Cloud"}]},
            {"org": "vendor-b", "products": [{"name": "B Box", "purl": "pkg:maven/com.b/box"}]}
        ], "message": "Your products bundle log4j-core."});
        // Only the case's platforms add vendors; the reporter and a vendor may not.
        assert_eq!(add(&app, &case, REPORTER, body.clone()).await.0, StatusCode::FORBIDDEN);
        assert_eq!(add(&app, &case, A, body.clone()).await.0, StatusCode::NOT_FOUND);
        let (code, answer) = add(&app, &case, MIIT, body.clone()).await;
        assert_eq!(code, StatusCode::CREATED, "{answer}");
        assert_eq!(answer["added"], json!(["vendor-a", "vendor-b"]));
        assert_eq!(answer["products"], 3);
        // Added again: nothing new.
        let (code, answer) = add(&app, &case, MIIT, body).await;
        assert_eq!((code, answer["products"].clone()), (StatusCode::CREATED, json!(0)), "{answer}");
        // Now A and B read the case; C, never added, still does not.
        assert_eq!(app.get(&format!("/api/v1/cases/{case}"), A).await.0, StatusCode::OK);
        assert_eq!(app.get(&format!("/api/v1/cases/{case}"), B).await.0, StatusCode::OK);
        assert_eq!(app.get(&format!("/api/v1/cases/{case}"), C).await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&format!("/api/v1/cases/{case}/coordination"), C).await.0, StatusCode::NOT_FOUND);
        // Each added vendor got one "added" message in its outbox (inbox).
        for org in ["vendor-a", "vendor-b"] {
            let deliveries = app
                .db
                .store
                .deliveries(&DeliveryFilter {
                    org_id: Some(org.into()),
                    limit: 50,
                    ..DeliveryFilter::default()
                })
                .await
                .unwrap();
            let added: Vec<_> = deliveries.iter().filter(|d| d.topic == "coordination.added").collect();
            assert_eq!(added.len(), 1, "{org}: {deliveries:?}");
            assert_eq!(added[0].payload["case"], case.as_str());
        }
        // Bad input: every problem at once, nothing stored.
        let before = app.db.store.events(&case).await.unwrap().len();
        let (code, answer) = add(
            &app,
            &case,
            MIIT,
            json!({"vendors": [
                {"org": "nobody", "products": [{"name": "X"}]},
                {"org": "cn-bank", "products": [{"name": "Y"}]},
                {"org": "vendor-c", "products": [{"name": "  "}, {"name": "Z", "purl": "maven:z"}]}
            ]}),
        )
        .await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        let paths: Vec<&str> = answer["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["field"].as_str())
            .collect();
        assert_eq!(
            paths,
            [
                "$.vendors[0].org",
                "$.vendors[1].org",
                "$.vendors[2].products[0].name",
                "$.vendors[2].products[1].purl"
            ]
        );
        assert_eq!(app.db.store.events(&case).await.unwrap().len(), before);
        let (code, _) = add(&app, &case, MIIT, json!({"vendors": "all"})).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}

#[tokio::test]
async fn statuses_need_their_vex_justification_and_private_notes_stay_private() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = fresh(&app).await;
        let body = json!({"vendors": [
            {"org": "vendor-a", "products": [{"name": "A Server"}]},
            {"org": "vendor-b", "products": [{"name": "B Box"}]}
        ]});
        assert_eq!(add(&app, &case, MIIT, body).await.0, StatusCode::CREATED);
        let a = |extra: Value| {
            let mut body = json!({"product": "vendor-a:A Server", "vulnerability": "CVE-X"});
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            body
        };
        // The report's case has no records: the vulnerability is taken as named.
        let (code, answer) = status(&app, &case, A, a(json!({"status": "not_affected"}))).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert!(answer.to_string().contains("VEX justification"), "{answer}");
        let (code, answer) =
            status(&app, &case, A, a(json!({"status": "not_affected", "justification": "because"}))).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        let (code, answer) = status(&app, &case, A, a(json!({"status": "fixed"}))).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        let (code, answer) =
            status(&app, &case, A, a(json!({"status": "affected", "justification": "component_not_present"}))).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        let (code, answer) = status(&app, &case, A, a(json!({"status": "done"}))).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        // A may not speak for B's product; C, not on the case, may not speak at all.
        let on_b = json!({"product": "vendor-b:B Box", "vulnerability": "CVE-X", "status": "affected"});
        assert_eq!(status(&app, &case, A, on_b.clone()).await.0, StatusCode::FORBIDDEN);
        assert_eq!(status(&app, &case, C, on_b).await.0, StatusCode::NOT_FOUND);
        let (code, answer) = status(
            &app,
            &case,
            A,
            a(json!({"status": "not_affected", "justification": "vulnerable_code_not_in_execute_path",
                     "statement": "A Server never logs user input.", "private_note": "SECRET-A: customer list"})),
        )
        .await;
        assert_eq!(code, StatusCode::CREATED, "{answer}");
        let (code, answer) = status(
            &app,
            &case,
            B,
            json!({"product": "vendor-b:B Box", "vulnerability": "CVE-X", "status": "fixed", "fixed_version": "2.0",
                   "private_note": "SECRET-B"}),
        )
        .await;
        assert_eq!(code, StatusCode::CREATED, "{answer}");
        // The status is an event of the vendor on the hash-chained log, recorded under
        // the vendor's account; the note is not in it.
        let events = app.db.store.events(&case).await.unwrap();
        let last = events.iter().rev().find(|e| e.body.contains("vendor_status")).unwrap();
        assert!(last.body.contains("\"party\":\"vendor-b\"") && !last.body.contains("SECRET"), "{}", last.body);
        assert!(app.db.store.verify().await.unwrap().broken.is_empty());
        // The platform sees both notes; each vendor only its own; the reporter none.
        let platform = everything_seen(&app, &case, MIIT).await;
        assert!(platform.contains("SECRET-A") && platform.contains("SECRET-B"));
        let seen_by_a = everything_seen(&app, &case, A).await;
        assert!(seen_by_a.contains("SECRET-A") && !seen_by_a.contains("SECRET-B"));
        let seen_by_b = everything_seen(&app, &case, B).await;
        assert!(!seen_by_b.contains("SECRET-A") && seen_by_b.contains("SECRET-B"));
        assert!(!everything_seen(&app, &case, REPORTER).await.contains("SECRET"));
        // A vendor's board shows its own row only.
        let (_, board) = app.get(&format!("/api/v1/cases/{case}/coordination"), A).await;
        let vendors: Vec<&str> = board["vendors"].as_array().unwrap().iter().map(|v| v["vendor"].as_str().unwrap()).collect();
        assert_eq!(vendors, ["vendor-a"]);
        let cell = &board["vendors"][0]["products"][0]["vulnerabilities"][0];
        assert_eq!(cell["status"], "not_affected");
        assert_eq!(cell["justification"], "vulnerable_code_not_in_execute_path");
        assert_eq!(cell["statement"], "A Server never logs user input.");
        // A platform analyst may record a status on a vendor's behalf: the event is the
        // vendor's, recorded under the analyst's account.
        let (code, answer) =
            status(&app, &case, MIIT, a(json!({"status": "under_investigation"}))).await;
        assert_eq!(code, StatusCode::CREATED, "{answer}");
        let (_, board) = app.get(&format!("/api/v1/cases/{case}/coordination?vendor=vendor-a"), MIIT).await;
        let cell = &board["vendors"][0]["products"][0]["vulnerabilities"][0];
        assert_eq!((cell["status"].as_str(), cell["by"].as_str()), (Some("under_investigation"), Some("vendor-a")));
    })
    .await;
}

#[tokio::test]
async fn each_vendor_has_its_own_clock_and_the_report_back_is_left_to_review() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = fresh(&app).await;
        let body = json!({"vendors": [
            {"org": "vendor-a", "products": [{"name": "A Server"}]},
            {"org": "vendor-b", "products": [{"name": "B Box"}]}
        ]});
        assert_eq!(add(&app, &case, MIIT, body).await.0, StatusCode::CREATED);
        let (code, report) = app.get(&format!("/api/v1/cases/{case}/compliance"), MIIT).await;
        assert_eq!(code, StatusCode::OK, "{report}");
        let findings = report["findings"].as_array().unwrap();
        for (org, product) in [("vendor-a", "vendor-a:A Server"), ("vendor-b", "vendor-b:B Box")] {
            let of = |rule: &str| {
                findings
                    .iter()
                    .find(|f| f["party"] == org && f["rule"] == rule && f["product"] == product)
                    .unwrap_or_else(|| panic!("{org} {rule}: {report}"))
            };
            // Told by MIIT's platform, the vendor is aware: it must verify at once.
            let verify = of("cn-rmsv-2021/art7-1-verify");
            assert!(["pending", "overdue"].contains(&verify["status"].as_str().unwrap()), "{verify}");
            // Whether it must report back to the platform that told it the text does not say.
            let back = of("cn-rmsv-2021/art7-2-report");
            assert_eq!(back["status"], "needs_review", "{back}");
            assert!(back["message"]["en"].as_str().unwrap().contains("does not say"), "{back}");
        }
        // The board shows each vendor's obligations running.
        let (_, board) = app.get(&format!("/api/v1/cases/{case}/coordination"), MIIT).await;
        for row in board["vendors"].as_array().unwrap() {
            let rules: Vec<&str> =
                row["obligations"].as_array().unwrap().iter().filter_map(|o| o["rule"].as_str()).collect();
            assert!(rules.contains(&"cn-rmsv-2021/art7-2-report"), "{row}");
            assert!(rules.contains(&"cn-rmsv-2021/art7-1-verify"), "{row}");
        }
        // A vendor that verifies has met 7(1) for its product; the other has not.
        let (code, answer) = app
            .post(
                &format!("/api/v1/cases/{case}/events"),
                A,
                json!({"type": "verified", "product": "vendor-a:A Server"}),
            )
            .await;
        assert_eq!(code, StatusCode::CREATED, "{answer}");
        let (_, report) = app.get(&format!("/api/v1/cases/{case}/compliance"), MIIT).await;
        let verify = |org: &str| {
            report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["party"] == org && f["rule"] == "cn-rmsv-2021/art7-1-verify")
                .map(|f| f["status"].as_str().unwrap().to_owned())
                .unwrap()
        };
        assert_eq!(verify("vendor-a"), "met");
        assert_ne!(verify("vendor-b"), "met");
    })
    .await;
}

/// A case whose vendors were told `days_ago` days ago, imported as a platform would
/// have recorded it.
async fn told_days_ago(app: &App, days_ago: i64) -> String {
    vendor(app, "vendor-a", A).await;
    vendor(app, "vendor-b", B).await;
    let told = Utc::now() - TimeDelta::days(days_ago);
    let vendors = [("vendor-a", "vendor-a:A Server"), ("vendor-b", "vendor-b:B Box")];
    case_told(app, told, &vendors, TimeDelta::zero(), Vec::new()).await
}

/// A case of the widget library whose platform told each of `vendors` about its product
/// (vendor, product id) from `told` on, `apart` after the one before, then the `later`
/// events (in time order).
async fn case_told(
    app: &App,
    told: chrono::DateTime<Utc>,
    vendors: &[(&str, &str)],
    apart: TimeDelta,
    later: Vec<Value>,
) -> String {
    let event = |body: Value| NewEvent {
        at: chrono::DateTime::parse_from_rfc3339(body["at"].as_str().unwrap()).unwrap().to_utc(),
        body,
        recorded_by: None,
        override_reason: None,
    };
    let mut parties = vec![
        json!({"id": "alibaba-cloud", "name": "alibaba-cloud", "roles": ["discoverer"], "jurisdiction": "CN"}),
        json!({"id": "apache", "name": "apache", "roles": ["product_provider"], "jurisdiction": "CN"}),
        json!({"id": "miit-nvdb", "name": "miit-nvdb", "roles": ["regulator_platform"], "jurisdiction": "CN"}),
    ];
    let mut products = vec![json!({"id": "widget", "name": "widget", "provider": "apache"})];
    let start = told - TimeDelta::days(1);
    let mut events = vec![
        json!({"type": "discovered", "at": start.to_rfc3339(), "party": "alibaba-cloud", "product": "widget"}),
        json!({"type": "notified", "at": start.to_rfc3339(), "party": "alibaba-cloud", "to": "miit-nvdb", "product": "widget"}),
    ];
    let mut at = told;
    for (vendor, product) in vendors {
        parties
            .push(json!({"id": vendor, "name": vendor, "roles": ["product_provider"], "jurisdiction": "CN"}));
        products.push(json!({"id": product, "name": product, "provider": vendor, "upstream": ["widget"]}));
        events.push(json!({"type": "notified", "at": at.to_rfc3339(), "party": "miit-nvdb", "to": vendor, "product": product}));
        at += apart;
    }
    events.extend(later);
    let fragments = |values: Vec<Value>| -> Vec<Fragment> {
        values.into_iter().map(|value| Fragment { id: value["id"].as_str().unwrap().into(), value }).collect()
    };
    app.db
        .store
        .import_case(&NewCase {
            title: "A widget library".into(),
            timezone: "Asia/Shanghai".into(),
            reporter_org: "alibaba-cloud".into(),
            platform_org: "miit-nvdb".into(),
            parties: fragments(parties),
            products: fragments(products),
            events: events.into_iter().map(event).collect(),
            created_at: start,
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn the_board_filters_pages_and_reminds_the_silent_vendors_once_per_period() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = told_days_ago(&app, 5).await;
        let (code, answer) = status(
            &app,
            &case,
            B,
            json!({"product": "vendor-b:B Box", "vulnerability": "CVE-Y", "status": "affected"}),
        )
        .await;
        assert_eq!(code, StatusCode::CREATED, "{answer}");
        let app = &app;
        let case = &case;
        let board = |query: &str| {
            let path = format!("/api/v1/cases/{case}/coordination{query}");
            async move { app.get(&path, MIIT).await }
        };
        let (code, all) = board("").await;
        assert_eq!(code, StatusCode::OK, "{all}");
        assert_eq!(all["total"], 2);
        let a = all["vendors"].as_array().unwrap().iter().find(|v| v["vendor"] == "vendor-a").unwrap();
        assert_eq!(a["unanswered_days"], 5);
        assert_eq!(a["last_contact"], Value::Null);
        let b = all["vendors"].as_array().unwrap().iter().find(|v| v["vendor"] == "vendor-b").unwrap();
        assert_eq!(b["unanswered_days"], Value::Null);
        assert!(b["last_contact"].is_string());
        let names = |v: &Value| -> Vec<String> {
            v["vendors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["vendor"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(names(&board("?status=affected").await.1), ["vendor-b"]);
        assert_eq!(names(&board("?status=none").await.1), ["vendor-a"]);
        assert_eq!(names(&board("?unanswered_days=3").await.1), ["vendor-a"]);
        assert!(names(&board("?unanswered_days=6").await.1).is_empty());
        assert_eq!(names(&board("?vendor=vendor-b").await.1), ["vendor-b"]);
        // Pages of one: the cursor walks both vendors, then ends.
        let (_, first) = board("?limit=1").await;
        assert_eq!(names(&first).len(), 1);
        let next = first["next"].as_str().unwrap().to_owned();
        let (_, second) = board(&format!("?limit=1&after={next}")).await;
        assert_eq!(names(&second).len(), 1);
        assert_ne!(names(&first), names(&second));
        assert_eq!(second["next"], Value::Null);
        assert_eq!(board("?limit=x").await.0, StatusCode::BAD_REQUEST);
        // Reminders: only A is silent for 2 days or more; asking again sends nothing.
        let remind = |days: i64| {
            let path = format!("/api/v1/cases/{case}/coordination/reminders");
            async move { app.post(&path, MIIT, json!({"days": days})).await }
        };
        let (code, answer) = remind(2).await;
        assert_eq!(code, StatusCode::OK, "{answer}");
        assert_eq!((answer["due"].clone(), answer["sent"].clone()), (json!(["vendor-a"]), json!(1)));
        assert_eq!(remind(2).await.1["sent"], 0);
        assert_eq!(remind(0).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            app.post(&format!("/api/v1/cases/{case}/coordination/reminders"), A, json!({})).await.0,
            StatusCode::FORBIDDEN
        );
        let deliveries = app
            .db
            .store
            .deliveries(&DeliveryFilter {
                org_id: Some("vendor-a".into()),
                limit: 50,
                ..DeliveryFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(deliveries.iter().filter(|d| d.topic == "coordination.reminder").count(), 1);
    })
    .await;
}

#[tokio::test]
async fn the_worker_reminds_silent_vendors_on_the_schedule_without_a_request() {
    for_each_backend(|db: TestDb| async move {
        // The platform's default: first after 3 days of silence, then every 2 days.
        let config = vulnrelay_server::Config {
            coordination_reminders: Some(vulnrelay_store::ReminderSchedule { after_days: 3, every_days: 2 }),
            ..common::config()
        };
        let app = App::with_config(db, config).await;
        let case = told_days_ago(&app, 0).await;
        let (code, answer) = status(
            &app,
            &case,
            B,
            json!({"product": "vendor-b:B Box", "vulnerability": "CVE-Y", "status": "under_investigation"}),
        )
        .await;
        assert_eq!(code, StatusCode::CREATED, "{answer}");
        let worker = Worker::new(app.state.app.clone(), WorkerConfig::default());
        let told = Utc::now();
        let at = |days: i64| told + TimeDelta::days(days) + TimeDelta::hours(1);
        let app = &app;
        let case = &case;
        let reminders = |org: &'static str| async move {
            {
                let filter =
                    DeliveryFilter { org_id: Some(org.into()), limit: 50, ..DeliveryFilter::default() };
                let all = app.db.store.deliveries(&filter).await.unwrap();
                all.into_iter().filter(|d| d.topic == "coordination.reminder").collect::<Vec<_>>()
            }
        };
        // The clock is the worker's argument: day 2 is too early, day 3 reminds A (B
        // answered), again on day 3 nothing new, day 4 nothing, day 5 the next.
        assert_eq!(worker.remind_vendors(at(2)).await.unwrap(), 0);
        assert_eq!(worker.remind_vendors(at(3)).await.unwrap(), 1);
        assert_eq!(worker.remind_vendors(at(3)).await.unwrap(), 0);
        assert_eq!(worker.remind_vendors(at(4)).await.unwrap(), 0);
        assert_eq!(worker.remind_vendors(at(5)).await.unwrap(), 1);
        assert_eq!(reminders("vendor-a").await.len(), 2);
        assert!(reminders("vendor-b").await.is_empty());
        assert_eq!(reminders("vendor-a").await[0].payload["unanswered_days"], 3);
        // The delivery worker delivers them to A's inbox with no request.
        let round = worker.deliver(at(5)).await.unwrap();
        assert!(round.delivered >= 2, "{round:?}");
        assert!(reminders("vendor-a").await.iter().all(|d| d.delivered_at.is_some()));
        // The case's own schedule wins over the platform's: none on this case.
        let path = format!("/api/v1/cases/{case}/coordination/schedule");
        let (code, answer) = app.call("PUT", &path, MIIT, Some(json!({"after_days": null}))).await;
        assert_eq!(code, StatusCode::OK, "{answer}");
        assert_eq!(answer["source"], "case");
        assert_eq!(worker.remind_vendors(at(30)).await.unwrap(), 0);
        // Every 10 days from day 10; a vendor may not set it; nonsense is refused.
        assert_eq!(app.call("PUT", &path, A, Some(json!({"after_days": 10}))).await.0, StatusCode::FORBIDDEN);
        let (code, answer) =
            app.call("PUT", &path, MIIT, Some(json!({"after_days": 0, "every_days": 400}))).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["details"].as_array().unwrap().len(), 2, "{answer}");
        let (code, answer) = app.call("PUT", &path, MIIT, Some(json!({"after_days": 10}))).await;
        assert_eq!((code, answer["every_days"].clone()), (StatusCode::OK, json!(10)), "{answer}");
        assert_eq!(worker.remind_vendors(at(9)).await.unwrap(), 0);
        assert_eq!(worker.remind_vendors(at(10)).await.unwrap(), 1);
        let (_, board) = app.get(&format!("/api/v1/cases/{case}/coordination"), MIIT).await;
        assert_eq!(board["reminders"], json!({"after_days": 10, "every_days": 10, "source": "case"}));
        // Cleared: the platform's default again (its day-29 reminder is new).
        let (code, answer) = app.call("DELETE", &path, MIIT, None).await;
        assert_eq!((code, answer["source"].clone()), (StatusCode::OK, json!("platform")), "{answer}");
        assert_eq!(worker.remind_vendors(at(29)).await.unwrap(), 1);
        // Once A answers, the worker stops reminding it.
        let (code, _) = status(
            app,
            case,
            A,
            json!({"product": "vendor-a:A Server", "vulnerability": "CVE-Y", "status": "affected"}),
        )
        .await;
        assert_eq!(code, StatusCode::CREATED);
        assert_eq!(worker.remind_vendors(at(41)).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn vendors_are_proposed_from_their_product_inventories() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        vendor(&app, "vendor-a", A).await;
        vendor(&app, "vendor-b", B).await;
        let sbom = |version: &str| {
            json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
                {"type": "library", "group": "org.apache.logging.log4j", "name": "log4j-core", "version": version,
                 "purl": format!("pkg:maven/org.apache.logging.log4j/log4j-core@{version}")}]})
        };
        for (who, group, version) in [(A, "A Server", "2.14.1"), (B, "B Box", "2.17.1")] {
            let (code, answer) = app
                .call("PUT", &format!("/api/v1/assets/groups/{}", group.replace(' ', "%20")), who, Some(sbom(version)))
                .await;
            assert_eq!(code, StatusCode::OK, "{answer}");
        }
        let case = &app.case_id;
        assert_eq!(app.get(&format!("/api/v1/cases/{case}/participants/proposals"), A).await.0, StatusCode::FORBIDDEN);
        let (code, answer) = app.get(&format!("/api/v1/cases/{case}/participants/proposals"), MIIT).await;
        assert_eq!(code, StatusCode::OK, "{answer}");
        let proposals = answer["proposals"].as_array().unwrap();
        let a = proposals.iter().find(|p| p["org"] == "vendor-a").unwrap_or_else(|| panic!("{answer}"));
        assert_eq!(a["product"], "A Server");
        assert!(a["vulnerabilities"].as_array().unwrap().contains(&json!("CVE-2021-44228")), "{a}");
        assert_eq!(a["on_case"], false);
        // B's product runs the fixed 2.17.1: not proposed.
        assert!(!proposals.iter().any(|p| p["org"] == "vendor-b"), "{answer}");
        // The platform confirms: the proposal becomes a participant.
        let (code, answer) =
            add(&app, case, MIIT, json!({"vendors": [{"org": "vendor-a", "products": [{"name": "A Server"}]}]})).await;
        assert_eq!(code, StatusCode::CREATED, "{answer}");
        let (_, answer) = app.get(&format!("/api/v1/cases/{case}/participants/proposals"), MIIT).await;
        let a = answer["proposals"].as_array().unwrap().iter().find(|p| p["org"] == "vendor-a").unwrap().clone();
        assert_eq!(a["on_case"], true);
    })
    .await;
}

#[tokio::test]
async fn the_published_vendor_list_carries_public_statuses_and_never_private_notes() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        // The demo's illustrative vendors answered on the published Log4Shell case.
        let (code, md) = app
            .raw(
                axum::http::Request::builder()
                    .uri("/api/v1/advisories/CVE-2021-44228/bulletin?format=md&lang=en")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .into_status_and_text();
        assert_eq!(code, StatusCode::OK);
        assert!(md.contains("## Vendors"), "{md}");
        for v in vulnrelay_server::coordination_demo::VENDORS {
            assert!(md.contains(v.product), "{} missing from the bulletin", v.product);
            assert!(md.contains("[illustrative]"));
        }
        assert!(md.contains("vulnerable_code_not_in_execute_path") && md.contains("5.2.1"), "{md}");
        let (code, csaf) = app.get("/api/v1/advisories/CVE-2021-44228.csaf.json", "").await;
        assert_eq!(code, StatusCode::OK, "{csaf}");
        let text = csaf.to_string();
        let entry = csaf["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["cve"] == "CVE-2021-44228")
            .unwrap();
        let status = &entry["product_status"];
        for (key, n) in [("known_affected", 1), ("known_not_affected", 1), ("fixed", 1)] {
            let vendor_ids = status[key]
                .as_array()
                .unwrap()
                .iter()
                .filter(|id| id.as_str().unwrap().starts_with("VENDOR-"))
                .count();
            assert_eq!(vendor_ids, n, "{key}: {status}");
        }
        assert!(text.contains("Example OA Platform") || text.contains("OA Platform 8"), "{text}");
        let (code, bytes) = {
            let (code, _, bytes) = app
                .raw(
                    axum::http::Request::builder()
                        .uri("/api/v1/osv/all.zip")
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await;
            (code, bytes)
        };
        assert_eq!(code, StatusCode::OK);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut osv = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("CVE-2021-44228.json").unwrap(), &mut osv).unwrap();
        assert!(osv.contains("\"vendors\"") && osv.contains("not_affected"), "{osv}");
        // The OA vendor's private note never leaves the platform.
        let private =
            vulnrelay_server::coordination_demo::VENDORS.iter().find_map(|v| v.private_note).unwrap();
        // The CVE record: one `affected` entry per vendor product, as CVE 5 says it,
        // and the record still valid against the CVE JSON 5.1 schema.
        let (code, cve) = app.get("/api/v1/vulnerabilities/CVE-2021-44228.cve.json", "").await;
        assert_eq!(code, StatusCode::OK, "{cve}");
        let problems = vulnrelay_formats::schemas::validate(vulnrelay_formats::schemas::Schema::Cve, &cve);
        assert!(problems.is_empty(), "{problems:?}");
        let affected = cve["containers"]["cna"]["affected"].as_array().unwrap();
        for v in vulnrelay_server::coordination_demo::VENDORS {
            let entry = affected
                .iter()
                .find(|a| a["product"].as_str().is_some_and(|p| p.starts_with(v.product)))
                .unwrap_or_else(|| panic!("{} missing from the CVE record: {cve}", v.product));
            let expected = match v.status {
                "affected" => "affected",
                "not_affected" => "unaffected",
                "fixed" => "unaffected",
                other => panic!("a demo status {other}"),
            };
            assert_eq!(entry["defaultStatus"], expected, "{entry}");
            if v.status == "fixed" {
                assert_eq!(entry["versions"][0]["status"], "affected", "{entry}");
                assert_eq!(entry["versions"][0]["lessThan"].as_str(), v.fixed_version, "{entry}");
            }
        }
        let statements = cve["containers"]["cna"][vulnrelay_formats::cve5::VENDORS_FIELD].to_string();
        assert!(statements.contains("vulnerable_code_not_in_execute_path"), "{statements}");
        let cve = cve.to_string();
        for (what, doc) in [("bulletin", &md), ("csaf", &text), ("osv", &osv), ("cve", &cve)] {
            assert!(!doc.contains(private), "the private note is in the {what}");
        }
        assert!(!everything_seen(&app, &app.case_id, "").await.contains(private));
        assert!(!everything_seen(&app, &app.case_id, "psirt@erp-vendor.example").await.contains(private));
        assert!(everything_seen(&app, &app.case_id, MIIT).await.contains(private));
    })
    .await;
}

trait StatusAndText {
    fn into_status_and_text(self) -> (StatusCode, String);
}

impl StatusAndText for (StatusCode, Vec<(String, String)>, Vec<u8>) {
    fn into_status_and_text(self) -> (StatusCode, String) {
        (self.0, String::from_utf8(self.2).unwrap())
    }
}

/// A browser's session: signs in through the form, then gets pages and posts forms
/// with the session and language cookies.
struct Browser<'a> {
    app: &'a App,
    cookie: String,
}

impl<'a> Browser<'a> {
    async fn sign_in(app: &'a App, email: &str, lang: &str) -> Browser<'a> {
        let password = &app.passwords[email];
        let body = format!("email={}&password={}&next=%2F", form_encode(email), form_encode(password));
        let request = axum::http::Request::builder()
            .method("POST")
            .uri("/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body))
            .unwrap();
        let (status, headers, _) = app.raw(request).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "sign-in of {email}");
        let session =
            headers.iter().find(|(k, _)| k == "set-cookie").unwrap().1.split(';').next().unwrap().to_owned();
        Browser { app, cookie: format!("vr_lang={lang}; {session}") }
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let request = axum::http::Request::builder()
            .uri(path)
            .header("cookie", &self.cookie)
            .body(axum::body::Body::empty())
            .unwrap();
        let (status, _, bytes) = self.app.raw(request).await;
        (status, String::from_utf8(bytes).unwrap())
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, Option<String>, String) {
        let body: Vec<String> =
            fields.iter().map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v))).collect();
        let request = axum::http::Request::builder()
            .method("POST")
            .uri(path)
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body.join("&")))
            .unwrap();
        let (status, headers, bytes) = self.app.raw(request).await;
        let location = headers.iter().find(|(k, _)| k == "location").map(|(_, v)| v.clone());
        (status, location, String::from_utf8(bytes).unwrap())
    }
}

fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn the_board_page_in_both_languages_adds_vendors_and_takes_statuses() {
    let app = App::new(TestDb::sqlite().await).await;
    let case = app.case_id.clone();
    let page = format!("/cases/{case}/coordination");
    let demo = vulnrelay_server::coordination_demo::VENDORS;
    let private = demo.iter().find_map(|v| v.private_note).unwrap();
    for lang in ["en", "zh-CN"] {
        let analyst = Browser::sign_in(&app, MIIT, lang).await;
        let (status, html) = analyst.get(&page).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains(&format!("<html lang=\"{lang}\"")), "{lang}");
        assert!(!html.contains('⟦'), "a message key shows in {lang}: {html}");
        for v in demo {
            assert!(html.contains(v.product), "{} missing in {lang}", v.product);
        }
        assert!(html.contains(private), "the platform sees the private note");
        // The case page links to the board.
        let (_, case_page) = analyst.get(&format!("/cases/{case}")).await;
        assert!(case_page.contains(&page), "no link to the board in {lang}");
    }
    // A demo vendor sees its own row, not the others' nor their notes, and answers.
    let gateway = &demo[1];
    let vendor = Browser::sign_in(&app, gateway.email, "zh-CN").await;
    let (status, html) = vendor.get(&page).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains(gateway.product) && !html.contains(demo[2].product) && !html.contains(private),
        "{html}"
    );
    assert!(!html.contains('⟦'), "{html}");
    let csrf = csrf_of(&html);
    let product = vulnrelay_server::coordination::product_id(gateway.org, gateway.product);
    let (status, location, body) = vendor
        .post(
            &format!("{page}/status"),
            &[
                ("csrf_token", &csrf),
                ("product", &product),
                ("vulnerability", "CVE-2021-45046"),
                ("status", "not_affected"),
            ],
        )
        .await;
    // Without a justification: refused, with the reason on the page, nothing stored.
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("justification"), "{body}");
    let (status, location2, _) = vendor
        .post(
            &format!("{page}/status"),
            &[
                ("csrf_token", &csrf),
                ("product", &product),
                ("vulnerability", "CVE-2021-45046"),
                ("status", "not_affected"),
                ("justification", "vulnerable_code_not_in_execute_path"),
            ],
        )
        .await;
    assert_eq!(
        (status, location2.as_deref()),
        (StatusCode::SEE_OTHER, Some(&*format!("{page}?done=status"))),
        "{location:?}"
    );
    // Without the CSRF token: refused.
    let (status, _, _) = vendor.post(&format!("{page}/status"), &[("product", &product)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The analyst adds a vendor through the form.
    vendor_org(&app, "vendor-a").await;
    let analyst = Browser::sign_in(&app, MIIT, "en").await;
    let (_, html) = analyst.get(&page).await;
    let (status, location, body) = analyst
        .post(
            &format!("{page}/participants"),
            &[
                ("csrf_token", &csrf_of(&html)),
                ("org", "vendor-a"),
                ("product", "A Server"),
                ("version", "1.0"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some(&*format!("{page}?done=added"))),
        "{body}"
    );
    let (_, html) = analyst.get(&format!("{page}?done=added&vendor=vendor-a")).await;
    assert!(html.contains("A Server 1.0"), "{html}");
}

async fn vendor_org(app: &App, org: &str) {
    vendor(app, org, &format!("psirt@{org}.example")).await;
}

#[test]
fn every_vendor_status_and_justification_has_words_in_both_languages() {
    use vulnrelay_domain::{VendorStatus, VexJustification};
    use vulnrelay_server::ui::Lang;
    for lang in Lang::ALL {
        let keys = VendorStatus::ALL
            .iter()
            .map(|s| format!("vendor_status.{}", s.as_str()))
            .chain(VexJustification::ALL.iter().map(|j| format!("vex.{}", j.as_str())));
        for key in keys {
            assert!(!lang.t(&key).contains('⟦'), "{key} missing in {}", lang.tag());
        }
    }
}

/// The board of `case` as `who` sees it, through a server that has read nothing yet
/// (the case read whole from its events).
async fn board_from_the_events(app: &App, case: &str, who: &str) -> Value {
    let cold =
        vulnrelay_server::router(vulnrelay_server::AppState::new(app.db.store.clone(), common::config()));
    let request = axum::http::Request::builder()
        .uri(format!("/api/v1/cases/{case}/coordination?limit=200"))
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {}", app.token(who).await))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(cold, request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    serde_json::from_slice(&axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap()).unwrap()
}

#[tokio::test]
async fn the_board_kept_across_random_changes_equals_the_board_rebuilt_from_the_events() {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = fresh(&app).await;
        vendor(&app, "vendor-d", "psirt@d.example").await;
        let vendors = [("vendor-a", A), ("vendor-b", B), ("vendor-c", C), ("vendor-d", "psirt@d.example")];
        let mut on_case: Vec<(usize, String)> = Vec::new();
        let mut rng = StdRng::seed_from_u64(20);
        // The server keeps the case from its first board read on.
        assert_eq!(app.get(&format!("/api/v1/cases/{case}/coordination"), MIIT).await.0, StatusCode::OK);
        for step in 0..16 {
            if on_case.is_empty() || rng.gen_bool(0.35) {
                let v = rng.gen_range(0..vendors.len());
                let names: Vec<String> =
                    (0..rng.gen_range(1..3)).map(|_| format!("P{}", rng.gen_range(0..3))).collect();
                let mut unique = names.clone();
                unique.dedup();
                let products: Vec<Value> = unique.iter().map(|n| json!({"name": n})).collect();
                let (code, answer) =
                    add(&app, &case, MIIT, json!({"vendors": [{"org": vendors[v].0, "products": products}]}))
                        .await;
                assert_eq!(code, StatusCode::CREATED, "step {step}: {answer}");
                for name in unique {
                    let id = format!("{}:{name}", vendors[v].0);
                    if !on_case.iter().any(|(_, p)| *p == id) {
                        on_case.push((v, id));
                    }
                }
            } else {
                let (v, product) = on_case[rng.gen_range(0..on_case.len())].clone();
                let who = if rng.gen_bool(0.5) { vendors[v].1 } else { MIIT };
                let mut body =
                    json!({"product": product, "vulnerability": format!("CVE-{}", rng.gen_range(0..2))});
                match rng.gen_range(0..4) {
                    0 => body["status"] = json!("under_investigation"),
                    1 => body["status"] = json!("affected"),
                    2 => {
                        body["status"] = json!("fixed");
                        body["fixed_version"] = json!(format!("2.{step}"));
                    }
                    _ => {
                        body["status"] = json!("not_affected");
                        body["justification"] = json!("component_not_present");
                    }
                }
                if rng.gen_bool(0.5) {
                    body["statement"] = json!(format!("statement {step}"));
                    body["private_note"] = json!(format!("note {step}"));
                }
                let (code, answer) = status(&app, &case, who, body).await;
                assert_eq!(code, StatusCode::CREATED, "step {step}: {answer}");
            }
            // The case kept equals the case read from the store, part by part ...
            let kept = app.state.boards.load(&app.state, &case).await.unwrap();
            let read = vulnrelay_server::casefile::load(&app.state, &case).await.unwrap();
            assert_eq!(
                (
                    &kept.record,
                    &kept.parties,
                    &kept.products,
                    &kept.events,
                    &kept.evidence,
                    kept.one_product_until
                ),
                (
                    &read.record,
                    &read.parties,
                    &read.products,
                    &read.events,
                    &read.evidence,
                    read.one_product_until
                ),
                "step {step}"
            );
            let model = |c: &vulnrelay_domain::Case| format!("{:?}", (c.parties(), c.products(), c.events()));
            assert_eq!(model(&kept.case), model(&read.case), "step {step}");
            // ... and the board it shows, to the platform and to each vendor on it, is
            // the board of a server reading the case whole.
            let mut viewers = vec![MIIT];
            viewers.extend(on_case.iter().map(|(v, _)| vendors[*v].1));
            viewers.dedup();
            for who in viewers {
                let (code, kept_board) =
                    app.get(&format!("/api/v1/cases/{case}/coordination?limit=200"), who).await;
                assert_eq!(code, StatusCode::OK, "{kept_board}");
                assert_eq!(kept_board, board_from_the_events(&app, &case, who).await, "step {step}, {who}");
            }
        }
    })
    .await;
}

/// Every coordination notice key sent so far, over `cases`.
async fn keys_sent(app: &App, cases: &[String]) -> std::collections::BTreeSet<String> {
    let mut keys = std::collections::BTreeSet::new();
    for case in cases {
        keys.extend(app.db.store.notices_sent(case).await.unwrap().into_iter().map(|(key, _)| key));
    }
    keys
}

/// The reminder beat reads the silences the views keep, not every case: at a beat every
/// 6 hours for 40 days, with vendors answering and told again between beats, cases with schedules of
/// their own (one with none) and beats alternating between a platform with a default
/// and one without, it sends exactly the reminders that loading every case and asking
/// each for those due would send.
#[tokio::test]
async fn the_reminder_beat_sends_what_loading_every_case_would() {
    for_each_backend(|db: TestDb| async move {
        use vulnrelay_store::{CaseChange, CaseSchedule, ReminderSchedule};
        let default = ReminderSchedule { after_days: 3, every_days: 2 };
        let config = vulnrelay_server::Config { coordination_reminders: Some(default), ..common::config() };
        let app = App::with_config(db, config).await;
        let vendors: Vec<String> = (0..4).map(|i| format!("vendor-{i}")).collect();
        for (i, v) in vendors.iter().enumerate() {
            vendor(&app, v, &format!("psirt@{i}.example")).await;
        }
        let base = Utc::now() - TimeDelta::days(45);
        let mut cases = Vec::new();
        for i in 0..10i64 {
            let told = base + TimeDelta::days(i % 4) + TimeDelta::hours(5 * i);
            let theirs = [vendors[(i % 4) as usize].as_str(), vendors[((i + 1) % 4) as usize].as_str()];
            let boxes = theirs.map(|v| format!("{v}:Box"));
            // Some answered once before the beats start.
            let later = if i % 3 == 0 {
                let at = told + TimeDelta::days(1);
                vec![json!({"type": "vendor_status", "at": at.to_rfc3339(), "party": theirs[0], "product": boxes[0], "vulnerability": "CVE-Y", "status": "under_investigation"})]
            } else {
                Vec::new()
            };
            let told_about = [(theirs[0], boxes[0].as_str()), (theirs[1], boxes[1].as_str())];
            cases.push(case_told(&app, told, &told_about, TimeDelta::hours(1), later).await);
        }
        let own = [
            (1, Some(ReminderSchedule { after_days: 1, every_days: 1 })),
            (2, None),
            (4, Some(ReminderSchedule { after_days: 5, every_days: 3 })),
        ];
        for (i, schedule) in own {
            let set = CaseSchedule { case_id: cases[i].clone(), schedule, set_by: "test".into(), set_at: Utc::now() };
            app.db.store.set_case_schedule(&cases[i], Some(&set)).await.unwrap();
        }
        let own: std::collections::HashMap<&str, Option<ReminderSchedule>> =
            own.iter().map(|(i, s)| (cases[*i].as_str(), *s)).collect();
        let with_default = Worker::new(app.state.app.clone(), WorkerConfig::default());
        let plain = vulnrelay_server::App::new(
            app.db.store.clone(),
            vulnrelay_server::Config { coordination_reminders: None, ..common::config() },
        );
        let without_default = Worker::new(plain, WorkerConfig::default());
        let mut sent_in_all = 0;
        for step in 0..160i64 {
            // A beat every 6 hours and a few minutes, so each day of silence is met at
            // its start, its middle and its end.
            let now = base + TimeDelta::hours(6 * step) + TimeDelta::minutes(step % 5);
            // Between beats: a vendor answers, or the platform tells one again.
            let case = &cases[(step % 10) as usize];
            let who = &vendors[(step % 4) as usize];
            let on_case = app.db.store.case_parties(case).await.unwrap().iter().any(|p| p.id == *who);
            if step % 6 == 1 && on_case {
                let body = if step % 4 == 1 {
                    json!({"type": "vendor_status", "at": now.to_rfc3339(), "party": who, "product": format!("{who}:Box"), "vulnerability": "CVE-Y", "status": "affected"})
                } else {
                    json!({"type": "notified", "at": now.to_rfc3339(), "party": "miit-nvdb", "to": who, "product": format!("{who}:Box")})
                };
                let change = CaseChange {
                    events: vec![NewEvent { at: now, body, recorded_by: None, override_reason: None }],
                    ..CaseChange::default()
                };
                app.db.store.change_case(case, &change, now).await.unwrap();
            }
            let platform_default = (step % 9 != 4).then_some(default);
            let mut expected = std::collections::BTreeSet::new();
            let before = keys_sent(&app, &cases).await;
            for case in &cases {
                let schedule = own.get(case.as_str()).copied().unwrap_or(platform_default);
                let Some(schedule) = schedule else { continue };
                let loaded = vulnrelay_server::casefile::load(&app.state.app, case).await.unwrap();
                for notice in vulnrelay_server::coordination::scheduled_reminders(&loaded, schedule, now) {
                    if !before.contains(&notice.key) {
                        expected.insert(notice.key);
                    }
                }
            }
            if step % 10 == 0 {
                // The silences kept are the board's vendors that have not answered.
                for case in &cases {
                    let (_, board) = app.get(&format!("/api/v1/cases/{case}/coordination"), MIIT).await;
                    let silent: std::collections::BTreeSet<String> = board["vendors"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|v| !v["unanswered_days"].is_null())
                        .map(|v| v["vendor"].as_str().unwrap().to_owned())
                        .collect();
                    let kept = app.db.store.silences_of(std::slice::from_ref(case)).await.unwrap();
                    assert_eq!(kept.into_iter().map(|s| s.vendor).collect::<std::collections::BTreeSet<_>>(), silent);
                }
            }
            let worker = if platform_default.is_some() { &with_default } else { &without_default };
            let sent = worker.remind_vendors(now).await.unwrap();
            let new: std::collections::BTreeSet<String> =
                keys_sent(&app, &cases).await.difference(&before).cloned().collect();
            assert_eq!(new, expected, "beat {step}");
            assert_eq!(sent, expected.len(), "beat {step}");
            sent_in_all += sent;
        }
        // The schedules did remind: the comparison was not of two empty sets.
        assert!(sent_in_all > 20, "{sent_in_all}");
    })
    .await;
}
