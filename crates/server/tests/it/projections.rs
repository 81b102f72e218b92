//! The derived views (issue 18): after any sequence of changes through the API they
//! equal a recomputation from the event log, and the lists read from them answer what
//! the one access function answers over every case — on every back end available.

use crate::common;

use std::collections::BTreeSet;

use axum::http::StatusCode;
use chrono::Utc;
use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use vulnrelay_domain::Action;
use vulnrelay_server::projection::{CaseProjector, drifted};
use vulnrelay_store::testing::{TestDb, for_each_backend};

/// Every account of the demo, and the public.
const CALLERS: [&str; 7] = [REPORTER, MIIT, CNVD, APACHE, BANK, ADMIN, ""];

fn projector() -> CaseProjector {
    CaseProjector::new(vulnrelay_policy::builtin_packs().unwrap(), vulnrelay_policy::Settings::default())
}

/// One random change through the API, as a random party: most are refused (a wrong
/// state, a caller without the right) — a refusal must change no view either.
async fn random_change(app: &App, rng: &mut StdRng, cases: &mut Vec<String>) {
    let case = cases[rng.gen_range(0..cases.len())].clone();
    let events = format!("/api/v1/cases/{case}/events");
    let who = [REPORTER, MIIT, CNVD, APACHE][rng.gen_range(0..4)];
    match rng.gen_range(0..10) {
        0 | 1 => cases.push(app.submit(json!({"title": format!("Report {}", cases.len())})).await),
        2 => drop(app.post(&events, who, json!({"type": "triage_started"})).await),
        3 => drop(app.post(&events, who, json!({"type": "verified"})).await),
        4 => {
            let to = ["apache", "cnvd", "cnnvd"][rng.gen_range(0..3)];
            drop(app.post(&format!("/api/v1/cases/{case}/forward"), who, json!({"to": to})).await)
        }
        5 => drop(
            app.post(&events, who, json!({"type": "fix_available", "party": "apache", "version": "9.9.9"}))
                .await,
        ),
        6 => drop(app.post(&events, who, json!({"type": "published", "with_remediation": true})).await),
        7 => drop(app.post(&events, who, json!({"type": "rejected", "reason": "not reproducible"})).await),
        8 => {
            let planned = if rng.gen_bool(0.5) { json!("2031-01-10") } else { Value::Null };
            drop(
                app.call(
                    "PUT",
                    &format!("/api/v1/cases/{case}/embargo"),
                    who,
                    Some(json!({"planned_public_at": planned})),
                )
                .await,
            )
        }
        _ => drop(app.post(&format!("/api/v1/cases/{case}/comments"), who, json!({"body": "seen"})).await),
    }
}

/// The ids `who` may read, by the one access function over every stored case.
async fn readable_ids(app: &App, who: &str) -> Vec<String> {
    let caller = if who.is_empty() {
        vulnrelay_server::auth::Caller::default()
    } else {
        let account = app.db.store.account_by_email(who).await.unwrap();
        vulnrelay_server::auth::Caller { account: Some(account) }
    };
    let mut ids = Vec::new();
    for record in app.db.store.list_cases().await.unwrap() {
        let loaded = vulnrelay_server::casefile::load(&app.state, &record.id).await.unwrap();
        if loaded.can(&caller, Action::Read) {
            ids.push(record.id);
        }
    }
    ids
}

/// A case Alibaba Cloud, a cooperating unit of MIIT's platform, found `hours_ago` and
/// has reported to nobody, opened through the store.
async fn member_case(app: &App, hours_ago: i64) -> String {
    let found = Utc::now() - chrono::TimeDelta::hours(hours_ago);
    let party = |id: &str, value: Value| vulnrelay_store::Fragment { id: id.into(), value };
    app.db
        .store
        .import_case(&vulnrelay_store::NewCase {
            title: format!("Found {hours_ago} h ago"),
            timezone: "Asia/Shanghai".into(),
            reporter_org: "alibaba-cloud".into(),
            platform_org: "miit-nvdb".into(),
            parties: vec![
                party(
                    "alibaba-cloud",
                    json!({"id": "alibaba-cloud", "roles": ["discoverer"], "jurisdiction": "CN",
                           "memberships": [{"id": "miit-threat-sharing", "since": "2019-12-01"}]}),
                ),
                party(
                    "miit-nvdb",
                    json!({"id": "miit-nvdb", "roles": ["regulator_platform"], "jurisdiction": "CN"}),
                ),
                party("apache", json!({"id": "apache", "roles": ["product_provider"], "jurisdiction": "US"})),
            ],
            products: vec![party(
                "lib",
                json!({"id": "lib", "name": "A library", "provider": "apache", "markets": ["CN"]}),
            )],
            events: vec![vulnrelay_store::NewEvent {
                at: found,
                body: json!({"type": "discovered", "at": found.to_rfc3339(), "party": "alibaba-cloud"}),
                recorded_by: None,
                override_reason: None,
            }],
            created_at: found,
        })
        .await
        .unwrap()
}

/// Every case `who` lists, walking `/api/v1/cases` by pages of `limit`.
async fn listed_ids(app: &App, who: &str, limit: usize) -> Vec<String> {
    listed(app, who, limit, "").await.into_iter().map(|(id, _)| id).collect()
}

/// Every case `who` lists, with its state, by pages of `limit` (`query`: more of the
/// query string, e.g. `&state=triaging`).
async fn listed(app: &App, who: &str, limit: usize, query: &str) -> Vec<(String, String)> {
    let mut cases_listed = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(after) => format!("/api/v1/cases?limit={limit}{query}&after={after}"),
            None => format!("/api/v1/cases?limit={limit}{query}"),
        };
        let (status, page) = app.get(&path, who).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let cases = page["cases"].as_array().unwrap();
        assert!(cases.len() <= limit);
        cases_listed.extend(
            cases
                .iter()
                .map(|c| (c["id"].as_str().unwrap().to_owned(), c["state"].as_str().unwrap().to_owned())),
        );
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return cases_listed,
        }
    }
}

#[tokio::test]
async fn views_equal_a_recomputation_after_any_sequence_of_changes() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let projector = projector();
        let mut cases = vec![app.case_id.clone()];
        for seed in 0..3u64 {
            let mut rng = StdRng::seed_from_u64(seed);
            for step in 0..25 {
                random_change(&app, &mut rng, &mut cases).await;
                let drift = drifted(app.db.store.as_ref(), &projector, Utc::now()).await.unwrap();
                assert!(
                    drift.is_empty(),
                    "seed {seed}, step {step}: views differ from the log for {drift:?}"
                );
                // The kept totals (the statistics' and the gauges') equal a recount.
                let totals = app.db.store.kept_totals_drift().await.unwrap();
                assert!(totals.is_empty(), "seed {seed}, step {step}: {totals:?}");
            }
        }
        // The run reached states beyond the first.
        let states: BTreeSet<String> =
            app.db.store.cases_by_state().await.unwrap().into_iter().map(|(s, _)| s).collect();
        assert!(states.len() >= 3, "{states:?}");
    })
    .await;
}

#[tokio::test]
async fn case_pages_list_exactly_what_the_access_function_allows() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let mut cases = vec![app.case_id.clone()];
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..40 {
            random_change(&app, &mut rng, &mut cases).await;
        }
        for who in CALLERS {
            let expected = readable_ids(&app, who).await;
            for limit in [1, 3, 200] {
                assert_eq!(listed_ids(&app, who, limit).await, expected, "{who:?} by pages of {limit}");
            }
            // Only the cases in a state, in the same order, when asked for one.
            let every = listed(&app, who, 200, "").await;
            let states: BTreeSet<&String> = every.iter().map(|(_, state)| state).collect();
            for state in states {
                let wanted: Vec<(String, String)> =
                    every.iter().filter(|(_, s)| s == state).cloned().collect();
                assert_eq!(
                    listed(&app, who, 2, &format!("&state={state}")).await,
                    wanted,
                    "{who:?} in {state}"
                );
            }
            // A cursor no case has starts nowhere.
            for after in ["VR-NO-SUCH-CASE", ""] {
                let (status, page) = app.get(&format!("/api/v1/cases?after={after}"), who).await;
                assert_eq!(status, StatusCode::OK, "{page}");
                assert_eq!(page["cases"], json!([]), "{who:?} after {after:?}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn deadlines_page_through_the_same_obligations_in_due_order() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        // Cases a cooperating unit found and has reported to nobody: each leaves it a
        // duty due two days after, some overdue by now, some not yet.
        for hours_ago in [100, 70, 30, 5] {
            member_case(&app, hours_ago).await;
        }
        let (status, whole) = app.get("/api/v1/deadlines?within=3650d&limit=500", REPORTER).await;
        assert_eq!(status, StatusCode::OK, "{whole}");
        let whole = whole["deadlines"].as_array().unwrap().clone();
        assert_eq!(whole.len(), 5, "each case leaves the finder a duty: {whole:?}");
        let statuses: Vec<&str> = whole.iter().map(|d| d["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["overdue", "overdue", "overdue", "pending", "pending"], "{whole:?}");
        // The window: only what falls due within it, and what is overdue.
        let (_, soon) = app.get("/api/v1/deadlines?within=20h", REPORTER).await;
        assert_eq!(soon["deadlines"].as_array().unwrap().len(), 4, "{soon}");
        let mut paged = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(after) => format!("/api/v1/deadlines?within=3650d&limit=2&after={after}"),
                None => "/api/v1/deadlines?within=3650d&limit=2".to_owned(),
            };
            let (status, page) = app.get(&path, REPORTER).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            paged.extend(page["deadlines"].as_array().unwrap().iter().cloned());
            match page["next"].as_str() {
                Some(next) => after = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(paged, whole);
        let due: Vec<Option<&str>> = whole.iter().map(|d| d["due_at"]["utc"].as_str()).collect();
        let mut sorted = due.clone();
        sorted.sort_by_key(|d| (d.is_none(), d.map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap())));
        assert_eq!(due, sorted, "by due time, those without one last");
        // A cursor the server did not give is refused, not misread.
        let (status, _) = app.get("/api/v1/deadlines?after=zz", REPORTER).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        // Nobody else's duties are listed to the reporter.
        let (_, miit) = app.get("/api/v1/deadlines?within=3650d&limit=500", MIIT).await;
        assert_eq!(miit["org"], "miit-nvdb");
    })
    .await;
}

#[tokio::test]
async fn views_a_writer_left_behind_are_caught_up_and_rebuilt() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        // A writer that keeps no views (a server of an earlier version sharing the
        // database) opens a case: it has none, and is listed nowhere yet.
        let other = vulnrelay_store::connect(&app.db.url).await.unwrap();
        let now = Utc::now();
        let case = other
            .import_case(&vulnrelay_store::NewCase {
                title: "Opened by an older server".into(),
                timezone: "Asia/Shanghai".into(),
                reporter_org: "alibaba-cloud".into(),
                platform_org: "miit-nvdb".into(),
                parties: ["alibaba-cloud:discoverer", "miit-nvdb:regulator_platform"]
                    .map(|p| {
                        let (id, role) = p.split_once(':').unwrap();
                        vulnrelay_store::Fragment {
                            id: id.into(),
                            value: json!({"id": id, "roles": [role], "jurisdiction": "CN"}),
                        }
                    })
                    .to_vec(),
                products: vec![vulnrelay_store::Fragment {
                    id: "gateway".into(),
                    value: json!({"id": "gateway", "name": "Gateway", "provider": "alibaba-cloud", "markets": ["CN"]}),
                }],
                events: vec![vulnrelay_store::NewEvent {
                    at: now,
                    body: json!({"type": "discovered", "at": now.to_rfc3339(), "party": "alibaba-cloud"}),
                    recorded_by: None,
                    override_reason: None,
                }],
                created_at: now,
            })
            .await
            .unwrap();
        assert_eq!(app.db.store.projection(&case).await.unwrap(), None);
        assert_eq!(drifted(app.db.store.as_ref(), &projector(), now).await.unwrap(), vec![case.clone()]);
        // What a server does when it starts: the case is caught up, and only it.
        assert_eq!(app.db.store.project_stale(Utc::now()).await.unwrap(), 1);
        assert!(app.db.store.projection(&case).await.unwrap().is_some());
        assert!(listed_ids(&app, REPORTER, 50).await.contains(&case));
        // A whole rebuild gives the same views.
        let before = app.db.store.projection(&case).await.unwrap();
        let cases = app.db.store.rebuild_projections(Utc::now()).await.unwrap();
        assert_eq!(cases, app.db.store.case_ids().await.unwrap().len());
        assert_eq!(app.db.store.projection(&case).await.unwrap(), before);
        assert!(drifted(app.db.store.as_ref(), &projector(), Utc::now()).await.unwrap().is_empty());
        assert_eq!(app.db.store.kept_totals_drift().await.unwrap(), Vec::<String>::new());
    })
    .await;
}

/// Case `id` as stored, loaded as the server reads it.
async fn load_stored(store: &dyn vulnrelay_store::Store, id: &str) -> vulnrelay_server::casefile::Loaded {
    let snapshot = vulnrelay_server::projection::snapshot(store, id).await.unwrap();
    vulnrelay_server::casefile::Loaded::from_snapshot(snapshot).unwrap()
}

/// A case with `vendors` downstream vendors of log4j-core, two products each, told by
/// the platform at different times; some answered (affected, fixed, not affected),
/// some verified or fixed on their own, some told their own upstream: their duties
/// run, met, late or pending.
async fn many_vendor_case(db: &TestDb, vendors: usize) -> vulnrelay_server::casefile::Loaded {
    use chrono::TimeDelta;
    use vulnrelay_store::{Fragment, NewCase, NewEvent};
    let start = Utc::now() - TimeDelta::days(20);
    let party = |id: &str, role: &str| Fragment {
        id: id.into(),
        value: json!({"id": id, "name": id, "roles": [role], "jurisdiction": "CN"}),
    };
    let event = |at: chrono::DateTime<Utc>, body: Value| NewEvent {
        at,
        body,
        recorded_by: None,
        override_reason: None,
    };
    let mut parties = vec![
        party("reporter", "discoverer"),
        party("apache", "product_provider"),
        party("miit-nvdb", "regulator_platform"),
    ];
    let mut products = vec![Fragment {
        id: "log4j-core".into(),
        value: json!({"id": "log4j-core", "name": "log4j-core", "provider": "apache"}),
    }];
    let mut events = vec![
        event(
            start,
            json!({"at": start.to_rfc3339(), "type": "discovered", "party": "reporter", "product": "log4j-core"}),
        ),
        event(
            start,
            json!({"at": start.to_rfc3339(), "type": "notified", "party": "reporter", "to": "miit-nvdb", "product": "log4j-core"}),
        ),
        event(
            start,
            json!({"at": start.to_rfc3339(), "type": "notified", "party": "reporter", "to": "apache", "product": "log4j-core"}),
        ),
    ];
    for v in 0..vendors {
        let id = format!("vendor-{v:03}");
        parties.push(party(&id, "product_provider"));
        let told = start + TimeDelta::hours(7 * v as i64);
        for p in 0..2 {
            let pid = format!("{id}:product-{p}");
            products.push(Fragment {
                id: pid.clone(),
                value: json!({"id": pid, "name": format!("Product {p}"), "provider": id, "upstream": ["log4j-core"]}),
            });
            events.push(event(told, json!({"at": told.to_rfc3339(), "type": "notified", "party": "miit-nvdb", "to": id, "product": pid})));
            let later = told + TimeDelta::hours(30);
            let body = match (v + p) % 5 {
                0 => {
                    json!({"type": "vendor_status", "vulnerability": "CVE-2021-44228", "status": "affected"})
                }
                1 => {
                    json!({"type": "vendor_status", "vulnerability": "CVE-2021-44228", "status": "fixed", "fixed_version": "2.0"})
                }
                2 => json!({"type": "verified"}),
                3 => json!({"type": "fix_available", "version": "3.1"}),
                _ => continue,
            };
            let mut body = body;
            body["at"] = json!(later.to_rfc3339());
            body["party"] = json!(id);
            body["product"] = json!(pid);
            events.push(event(later, body));
        }
        if v % 4 == 1 {
            let at = told + TimeDelta::hours(2);
            events.push(event(at, json!({"at": at.to_rfc3339(), "type": "notified", "party": id, "to": "miit-nvdb", "product": format!("{id}:product-0")})));
        }
    }
    events.sort_by_key(|e| e.at);
    for p in &parties {
        let organisation = vulnrelay_store::Organisation {
            id: p.id.clone(),
            name: p.id.clone(),
            name_zh: None,
            roles: vec![],
            jurisdiction: vulnrelay_domain::Jurisdiction::CN,
            individual: false,
            status: vulnrelay_store::Status::Active,
            created_at: start,
        };
        db.store.create_org(&organisation).await.unwrap();
    }
    let id = db
        .store
        .import_case(&NewCase {
            title: "Log4Shell with many vendors [generated]".into(),
            timezone: "Asia/Shanghai".into(),
            reporter_org: "reporter".into(),
            platform_org: "miit-nvdb".into(),
            parties,
            products,
            events,
            created_at: start,
        })
        .await
        .unwrap();
    load_stored(db.store.as_ref(), &id).await
}

#[tokio::test]
async fn a_case_with_many_vendors_projects_in_parts_as_it_does_whole() {
    let db = TestDb::sqlite().await;
    let loaded = many_vendor_case(&db, 61).await;
    let at = Utc::now();
    let whole = vulnrelay_server::projection::comparable(
        &projector().vendors_per_evaluation(usize::MAX).project_loaded(&loaded, at),
    );
    // The vendors have duties of their own, on their own products, in every state.
    let vendor_duties: Vec<_> =
        whole.obligations.iter().filter(|o| o.org_id.starts_with("vendor-")).collect();
    assert!(vendor_duties.len() > 61, "{vendor_duties:?}");
    for status in [
        vulnrelay_store::projections::OpenStatus::Pending,
        vulnrelay_store::projections::OpenStatus::Incomplete,
    ] {
        assert!(
            vendor_duties.iter().any(|o| o.status == status),
            "no {status:?} duty among {}",
            vendor_duties.len()
        );
    }
    assert!(vendor_duties.iter().any(|o| o.due_at.is_some()), "no vendor duty with a deadline");
    assert!(whole.obligations.iter().any(|o| !o.org_id.starts_with("vendor-")), "{:?}", whole.obligations);
    assert_eq!(whole.relations.len(), 61 + 3, "{:?}", whole.relations);
    for n in [1, 7, 50] {
        let parts = vulnrelay_server::projection::comparable(
            &projector().vendors_per_evaluation(n).project_loaded(&loaded, at),
        );
        assert_eq!(parts, whole, "{n} vendors at a time");
    }
}

/// The case's views as the store holds them, and as the whole case evaluated at once
/// gives them now.
async fn stored_and_recomputed(
    db: &TestDb,
    id: &str,
) -> (vulnrelay_store::projections::CaseProjection, vulnrelay_store::projections::CaseProjection) {
    let store = &db.store;
    let loaded = load_stored(store.as_ref(), id).await;
    let whole = projector().vendors_per_evaluation(usize::MAX).project_loaded(&loaded, Utc::now());
    let mut stored = store.projection(id).await.unwrap().expect("views");
    stored.relations.sort();
    (vulnrelay_server::projection::comparable(&stored), vulnrelay_server::projection::comparable(&whole))
}

#[tokio::test]
async fn a_change_involving_only_vendors_reevaluates_only_theirs_and_the_views_stay_true() {
    use chrono::TimeDelta;
    use vulnrelay_store::projections::{CaseProjection, PreviousViews};
    use vulnrelay_store::{CaseChange, NewEvent};
    for_each_backend(|db: TestDb| async move {
        db.store.set_projector(std::sync::Arc::new(projector().vendors_per_evaluation(7)));
        let loaded = many_vendor_case(&db, 61).await;
        let id = loaded.record.id.clone();
        let (stored, whole) = stored_and_recomputed(&db, &id).await;
        assert_eq!(stored, whole, "the imported case");
        let now = Utc::now() - TimeDelta::hours(1);
        let at = now.to_rfc3339();
        let changes = [
            // A vendor's status, a platform's notice to a vendor, a vendor's report to
            // the platform: only those vendors are evaluated again.
            json!({"at": at, "type": "vendor_status", "party": "vendor-004", "product": "vendor-004:product-1",
                   "vulnerability": "CVE-2021-44228", "status": "not_affected", "justification": "component_not_present"}),
            json!({"at": at, "type": "notified", "party": "miit-nvdb", "to": "vendor-010", "product": "vendor-010:product-1"}),
            json!({"at": at, "type": "notified", "party": "vendor-030", "to": "miit-nvdb", "product": "vendor-030:product-1"}),
            json!({"at": at, "type": "fix_available", "party": "vendor-044", "product": "vendor-044:product-0", "version": "9"}),
            // The upstream's fix involves no vendor: everything is evaluated again.
            json!({"at": at, "type": "fix_available", "party": "apache", "product": "log4j-core", "version": "2.15.0"}),
            json!({"at": at, "type": "vendor_status", "party": "vendor-050", "product": "vendor-050:product-0",
                   "vulnerability": "CVE-2021-44228", "status": "fixed", "fixed_version": "5"}),
        ];
        for body in changes {
            let change = CaseChange {
                events: vec![NewEvent { at: now, body: body.clone(), recorded_by: None, override_reason: None }],
                ..CaseChange::default()
            };
            db.store.change_case(&id, &change, Utc::now()).await.unwrap();
            let (stored, whole) = stored_and_recomputed(&db, &id).await;
            assert_eq!(stored, whole, "after {body}");
        }

        // A vendor joins with two products, each told by the platform: only it is
        // evaluated, and the views stay equal to the whole case evaluated at once.
        let products_before = db.store.case_products(&id).await.unwrap().len() as i64;
        let seq_before = db.store.case(&id).await.unwrap().last_seq;
        let joined: Vec<vulnrelay_store::Fragment> = (0..2)
            .map(|p| vulnrelay_store::Fragment {
                id: format!("vendor-061:product-{p}"),
                value: json!({"id": format!("vendor-061:product-{p}"), "name": format!("Product {p}"),
                              "provider": "vendor-061", "upstream": ["log4j-core"]}),
            })
            .collect();
        let organisation = vulnrelay_store::Organisation {
            id: "vendor-061".into(),
            name: "vendor-061".into(),
            name_zh: None,
            roles: vec![],
            jurisdiction: vulnrelay_domain::Jurisdiction::CN,
            individual: false,
            status: vulnrelay_store::Status::Active,
            created_at: now,
        };
        db.store.create_org(&organisation).await.unwrap();
        let change = CaseChange {
            parties: vec![vulnrelay_store::Fragment {
                id: "vendor-061".into(),
                value: json!({"id": "vendor-061", "name": "vendor-061", "roles": ["product_provider"], "jurisdiction": "CN"}),
            }],
            products: joined.clone(),
            events: joined
                .iter()
                .map(|p| NewEvent {
                    at: now,
                    body: json!({"at": at, "type": "notified", "party": "miit-nvdb", "to": "vendor-061", "product": p.id}),
                    recorded_by: None,
                    override_reason: None,
                })
                .collect(),
            ..CaseChange::default()
        };
        db.store.change_case(&id, &change, Utc::now()).await.unwrap();
        let (stored, whole) = stored_and_recomputed(&db, &id).await;
        assert_eq!(stored, whole, "after a vendor joined");
        assert_eq!((whole.vendors, whole.products), (62, products_before + 2));
        let loaded = load_stored(db.store.as_ref(), &id).await;
        let empty = PreviousViews {
            seq: seq_before,
            projection: CaseProjection {
                obligations: Vec::new(),
                vendors: 61,
                products: products_before,
                ..whole.clone()
            },
        };
        let reused = projector().vendors_per_evaluation(7).project_loaded_after(&loaded, Utc::now(), Some(&empty));
        assert!(!reused.obligations.is_empty());
        assert!(reused.obligations.iter().all(|o| o.org_id == "vendor-061"), "{:?}", reused.obligations);

        // And reuse is what happens: given views that held nothing, a change that
        // involves one vendor yields that vendor's obligations only.
        let before = db.store.case(&id).await.unwrap().last_seq;
        let body = json!({"at": at, "type": "verified", "party": "vendor-012", "product": "vendor-012:product-0"});
        let change = CaseChange {
            events: vec![NewEvent { at: now, body, recorded_by: None, override_reason: None }],
            ..CaseChange::default()
        };
        db.store.change_case(&id, &change, Utc::now()).await.unwrap();
        let (_, whole) = stored_and_recomputed(&db, &id).await;
        let loaded = load_stored(db.store.as_ref(), &id).await;
        let empty = PreviousViews {
            seq: before,
            projection: CaseProjection { obligations: Vec::new(), vendors: 62, ..whole.clone() },
        };
        let reused = projector().vendors_per_evaluation(7).project_loaded_after(&loaded, Utc::now(), Some(&empty));
        assert!(!reused.obligations.is_empty());
        assert!(reused.obligations.iter().all(|o| o.org_id == "vendor-012"), "{:?}", reused.obligations);
        // Views that do not add up with the case's products are not reused.
        let other = PreviousViews { seq: before, projection: CaseProjection { vendors: 60, ..empty.projection } };
        let whole_again = projector().vendors_per_evaluation(7).project_loaded_after(&loaded, Utc::now(), Some(&other));
        assert_eq!(vulnrelay_server::projection::comparable(&whole_again), whole);
    })
    .await;
}
