//! A request costs what it returns: with hundreds of cases and records in the database,
//! no read path reads every case (nor its views or intervals), record or organisation.
//! On PostgreSQL each path is called on a store of its own, closed after it (a backend
//! flushes its table statistics when it ends), and the rows it read from the case and
//! record tables — sequential and through
//! indexes, from `pg_stat_user_tables` — must stay far below what those tables hold
//! (a sequential scan only where no index can answer, as in `explain.rs` of the store).
//! On both back ends, what the views serve (pages, advisories, statistics, gauges) is
//! held to what the access rules allow and to a recomputation from the cases.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, Row};
use vulnrelay_server::AppState;
use vulnrelay_store::testing::{TestDb, for_each_backend};
use vulnrelay_store::{Fragment, NewCase, NewEvent, PgStore, Store};

use crate::common::{App, MIIT, REPORTER, config};

/// Set, each path's reads are printed per table (`TABLE:seq` and `TABLE:idx` apart).
const SHOW_VAR: &str = "VULNRELAY_TEST_SHOW_READS";

/// An interval's start and its length in days (none while it is open).
type IntervalStart = (chrono::DateTime<Utc>, Option<f64>);

/// How many synthetic cases the database holds beside the demo's.
const CASES: usize = 450;

/// How many synthetic organisations the database holds beside the demo's.
const ORGS: usize = 200;

/// Synthetic cases reported by Alibaba Cloud on Apache's product, worked by MIIT's
/// platform, one record each; every other one published. Returns (published,
/// unpublished) record ids.
async fn seed(store: &dyn Store) -> (Vec<String>, Vec<String>) {
    let template = store.vulnerability("CVE-2021-44228").await.expect("the demo's record").record;
    let first = Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).single().expect("a time");
    let (mut public, mut private) = (Vec::new(), Vec::new());
    for i in 0..CASES {
        let at = first + TimeDelta::days(i64::try_from(i * 7).expect("days"));
        let hours = |h: i64| at + TimeDelta::hours(h + i64::try_from(i % 5).expect("hours") * 13);
        let event = |when: chrono::DateTime<Utc>, mut body: Value| {
            body["at"] = json!(when.to_rfc3339());
            NewEvent { at: when, body, recorded_by: None, override_reason: None }
        };
        let mut events = vec![
            event(at, json!({"type": "discovered", "party": "alibaba-cloud"})),
            event(hours(20), json!({"type": "notified", "party": "alibaba-cloud", "to": "miit-nvdb"})),
            event(hours(60), json!({"type": "notified", "party": "miit-nvdb", "to": "apache"})),
        ];
        let published = i % 2 == 0;
        if published {
            events.push(event(
                hours(24 * 20),
                json!({"type": "fix_available", "party": "apache", "version": "2.0.1"}),
            ));
            events.push(event(
                hours(24 * 25),
                json!({"type": "published", "party": "miit-nvdb", "with_remediation": true}),
            ));
        }
        let party = |id: &str, role: &str, jurisdiction: &str| Fragment {
            id: id.into(),
            value: json!({"id": id, "roles": [role], "jurisdiction": jurisdiction}),
        };
        let case_id = store
            .import_case(&NewCase {
                title: format!("Synthetic case {i}"),
                timezone: "Asia/Shanghai".into(),
                reporter_org: "alibaba-cloud".into(),
                platform_org: "miit-nvdb".into(),
                parties: vec![
                    party("alibaba-cloud", "discoverer", "CN"),
                    party("miit-nvdb", "regulator_platform", "CN"),
                    party("apache", "product_provider", "US"),
                ],
                products: vec![Fragment {
                    id: "product".into(),
                    value: json!({"id": "product", "name": format!("Product {i}"), "provider": "apache", "markets": ["CN"]}),
                }],
                events,
                created_at: at,
            })
            .await
            .expect("a case");
        let id = format!("VR-TEST-{i:04}");
        let mut record = template.clone();
        record["id"] = json!(id);
        record["aliases"] = json!([]);
        record["title"] = json!({"en": format!("Synthetic record {i}")});
        store.save_vulnerability(&id, Some(&case_id), &record, &[], at).await.expect("a record");
        if published { public.push(id) } else { private.push(id) }
    }
    (public, private)
}

/// Every item of a paged list, following `next` (`limit` a page).
async fn all_pages(app: &App, path: &str, key: &str, who: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut url = format!("{path}?limit=7");
    loop {
        let (status, page) = app.get(&url, who).await;
        assert_eq!(status, 200, "{url}: {page}");
        items.extend(page[key].as_array().expect("a list").iter().cloned());
        match page["next"].as_str() {
            Some(next) => url = format!("{path}?limit=7&after={next}"),
            None => return items,
        }
    }
}

/// Holds `who`'s interval statistics to those of every case it may list, computed from
/// each case's own intervals.
async fn statistics_equal_a_recomputation(app: &App, who: &str) {
    let (_, stats) = app.get("/api/v1/stats/intervals", who).await;
    let readable: Vec<String> = all_pages(app, "/api/v1/cases", "cases", who)
        .await
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(stats["cases"], readable.len(), "{who}");
    let mut expected: BTreeMap<String, Vec<IntervalStart>> = BTreeMap::new();
    for case in &readable {
        let (_, intervals) = app.get(&format!("/api/v1/cases/{case}/intervals"), who).await;
        for i in intervals["intervals"].as_array().unwrap() {
            let Some(start) = i["from"]["at"].as_str() else { continue };
            let start = chrono::DateTime::parse_from_rfc3339(start).unwrap().with_timezone(&Utc);
            let days = match (i["to"]["at"].as_str(), i["open"].as_bool()) {
                (Some(end), Some(false)) => {
                    let end = chrono::DateTime::parse_from_rfc3339(end).unwrap().with_timezone(&Utc);
                    Some((end - start).num_seconds() as f64 / 86_400.0)
                }
                _ => None,
            };
            expected.entry(i["kind"].as_str().unwrap().to_owned()).or_default().push((start, days));
        }
    }
    for kind in stats["intervals"].as_array().unwrap() {
        let name = kind["kind"].as_str().unwrap();
        let want: Vec<Value> = vulnrelay_domain::quarterly_from(expected.remove(name).unwrap_or_default())
            .iter()
            .map(|s| {
                let tenth = |d: f64| (d * 10.0).round() / 10.0;
                json!({"quarter": format!("{}-Q{}", s.year, s.quarter), "closed": s.closed, "open": s.open,
                           "median_days": s.median_days.map(tenth), "worst_days": s.worst_days.map(tenth)})
            })
            .collect();
        assert_eq!(kind["quarters"], Value::Array(want), "{who}: {name}");
    }
}

#[tokio::test]
async fn pages_statistics_and_gauges_keep_the_access_rules_and_equal_a_recomputation() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        let app = App::new(db).await;
        let (public, private) = seed(store.as_ref()).await;
        let anonymous: BTreeSet<String> = all_pages(&app, "/api/v1/vulnerabilities", "items", "")
            .await
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_owned())
            .collect();
        // The public sees the published cases' records (and the demo's), never another's.
        assert!(public.iter().all(|id| anonymous.contains(id)));
        assert!(
            private.iter().all(|id| !anonymous.contains(id)),
            "an unpublished case's record listed to the public"
        );
        for who in [REPORTER, MIIT] {
            let listed: Vec<String> = all_pages(&app, "/api/v1/vulnerabilities", "items", who)
                .await
                .iter()
                .map(|v| v["id"].as_str().unwrap().to_owned())
                .collect();
            let unique: BTreeSet<&String> = listed.iter().collect();
            assert_eq!(unique.len(), listed.len(), "a record listed twice");
            assert!(
                public.iter().chain(&private).all(|id| listed.contains(id)),
                "{who} misses one of its records"
            );
        }
        for id in &private {
            assert_eq!(app.get(&format!("/api/v1/advisories/{id}"), "").await.0, 404);
            assert_eq!(app.get(&format!("/api/v1/advisories/{id}"), MIIT).await.0, 404, "not published");
            assert_eq!(app.get(&format!("/api/v1/vulnerabilities/{id}"), "").await.0, 404);
        }
        // Advisories: every published case once, newest first, by pages.
        let advisories = all_pages(&app, "/api/v1/advisories", "advisories", "").await;
        let ids: Vec<&str> = advisories.iter().map(|a| a["id"].as_str().unwrap()).collect();
        assert!(public.iter().all(|id| ids.contains(&id.as_str())));
        assert!(private.iter().all(|id| !ids.contains(&id.as_str())));
        let synthetic: Vec<&str> = ids.iter().copied().filter(|id| id.starts_with("VR-TEST-")).collect();
        let mut newest_first = public.iter().map(String::as_str).collect::<Vec<_>>();
        newest_first.reverse();
        assert_eq!(synthetic, newest_first);
        for id in public.iter().take(3) {
            let (status, advisory) = app.get(&format!("/api/v1/advisories/{id}"), "").await;
            assert_eq!((status.as_u16(), advisory["id"].as_str()), (200, Some(id.as_str())), "{advisory}");
        }
        // The statistics equal those of every readable case's intervals: MIIT's platform
        // received every case, so its analyst's come from the totals over every case.
        assert!(store.platform_of_every_case("miit-nvdb").await.unwrap());
        // An account of the platform with no analyst's or coordinator's role reads what
        // the public reads: the published cases' statistics.
        let clerk = "clerk@nvdb.miit.example";
        let account = vulnrelay_store::NewAccount {
            email: clerk.into(),
            name: "Clerk".into(),
            password_hash: String::new(),
            org_id: Some("miit-nvdb".into()),
            roles: vec![vulnrelay_domain::AccountRole::Reporter],
            status: vulnrelay_store::Status::Active,
        };
        store.create_account(&account, Utc::now()).await.expect("an account");
        assert_eq!(
            app.get("/api/v1/stats/intervals", clerk).await.1,
            app.get("/api/v1/stats/intervals", "").await.1
        );
        for who in ["", REPORTER, MIIT, crate::common::BANK, clerk] {
            statistics_equal_a_recomputation(&app, who).await;
        }
        // Once another platform received a case, MIIT's analyst's are read case by case.
        let other = NewCase {
            title: "Received by another platform".into(),
            timezone: "Asia/Shanghai".into(),
            reporter_org: "alibaba-cloud".into(),
            platform_org: "cnvd".into(),
            parties: Vec::new(),
            products: Vec::new(),
            events: vec![NewEvent {
                at: Utc::now(),
                body: json!({"type": "discovered", "party": "alibaba-cloud", "at": Utc::now().to_rfc3339()}),
                recorded_by: None,
                override_reason: None,
            }],
            created_at: Utc::now(),
        };
        store.import_case(&other).await.expect("a case");
        assert!(!store.platform_of_every_case("miit-nvdb").await.unwrap());
        for who in [REPORTER, MIIT] {
            statistics_equal_a_recomputation(&app, who).await;
        }
        // The gauges equal a count of the published cases' open obligations now, and for
        // an organisation, with those of the unpublished cases it stands in one of the
        // given relations to (both organisations stand in relations to every case,
        // published or not: a published case's obligations counted again through a
        // relation would show).
        let now = Utc::now();
        let count = |org: Option<(&str, &[&str])>| {
            let store = store.clone();
            let org = org.map(|(id, relations)| {
                (id.to_owned(), relations.iter().map(|r| r.to_string()).collect::<Vec<_>>())
            });
            async move {
                let (mut pending, mut overdue, mut not_started) = (0, 0, 0);
                for case in store.case_ids().await.unwrap() {
                    let Some(views) = store.projection(&case).await.unwrap() else { continue };
                    let related = org.as_ref().is_some_and(|(id, relations)| {
                        views.relations.iter().any(|(o, r)| o == id && relations.contains(r))
                    });
                    if !views.published && !related {
                        continue;
                    }
                    for o in views.obligations {
                        match o.status {
                            vulnrelay_store::projections::OpenStatus::NotStarted => not_started += 1,
                            vulnrelay_store::projections::OpenStatus::Pending
                                if o.due_at.is_some_and(|d| d <= now) =>
                            {
                                overdue += 1
                            }
                            vulnrelay_store::projections::OpenStatus::Pending => pending += 1,
                            vulnrelay_store::projections::OpenStatus::Incomplete => {}
                        }
                    }
                }
                (pending, overdue, not_started)
            }
        };
        let (pending, overdue, not_started) = count(None).await;
        let counts = store.obligation_counts(now, None).await.unwrap();
        assert_eq!((counts.pending, counts.overdue, counts.not_started), (pending, overdue, not_started));
        assert!(pending + overdue + not_started > 0, "the gauges count something");
        for org in ["alibaba-cloud", "miit-nvdb"] {
            for relations in [&["platform", "reporter", "notified_provider"][..], &["reporter"]] {
                let recount = count(Some((org, relations))).await;
                let counts = store.obligation_counts(now, Some((org, relations))).await.unwrap();
                assert_eq!(
                    (counts.pending, counts.overdue, counts.not_started),
                    recount,
                    "{org} {relations:?}"
                );
            }
        }
    })
    .await;
}

/// The rows each table of the test's schema has had read (sequentially and through
/// indexes), once every backend that read them has ended.
async fn rows_read(observer: &mut PgConnection, schema: &str) -> BTreeMap<String, i64> {
    sqlx::query("SELECT pg_stat_clear_snapshot()").execute(&mut *observer).await.expect("clear");
    sqlx::query(
        "SELECT relname || ':seq' AS relname, COALESCE(seq_tup_read, 0) AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND $2 \
         UNION ALL SELECT relname || ':idx', COALESCE(idx_tup_fetch, 0) FROM pg_stat_user_tables WHERE schemaname = $1 AND $2 \
         UNION ALL SELECT relname, COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0) FROM pg_stat_user_tables WHERE schemaname = $1",
    )
    .bind(schema)
    .bind(std::env::var_os(SHOW_VAR).is_some())
    .fetch_all(&mut *observer)
    .await
    .expect("statistics")
    .iter()
    .map(|row| (row.get::<String, _>("relname"), row.get::<i64, _>("n")))
    .collect()
}

/// How many times a read path is measured before its reads count as its own.
const ATTEMPTS: usize = 5;

#[tokio::test]
async fn no_read_path_reads_every_case_or_record() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("skipped: {} is not set", vulnrelay_store::testing::DATABASE_URL_VAR);
        return;
    };
    let url = db.url.clone();
    let store = db.store.clone();
    let app = App::new(db).await;
    let (public, private) = seed(store.as_ref()).await;
    // Vendors enough that a list of every organisation would show.
    for n in 0..ORGS {
        let mut org = store.org("apache").await.expect("the demo's vendor");
        (org.id, org.name) = (format!("synthetic-vendor-{n:04}"), format!("Synthetic vendor {n}"));
        store.create_org(&org).await.expect("an organisation");
    }
    let mut observer = PgConnection::connect(&url).await.expect("connect");
    let schema: String =
        sqlx::query("SELECT current_schema() AS s").fetch_one(&mut observer).await.expect("schema").get("s");
    let held: BTreeMap<String, i64> = sqlx::query(
        "SELECT 'cases' AS t, COUNT(*) AS n FROM cases UNION ALL SELECT 'vulnerabilities', COUNT(*) FROM vulnerabilities \
         UNION ALL SELECT 'events', COUNT(*) FROM events UNION ALL SELECT 'organisations', COUNT(*) FROM organisations \
         UNION ALL SELECT 'case_views', COUNT(*) FROM case_views UNION ALL SELECT 'case_intervals', COUNT(*) FROM case_intervals",
    )
    .fetch_all(&mut observer)
    .await
    .expect("counts")
    .iter()
    .map(|row| (row.get::<String, _>("t"), row.get::<i64, _>("n")))
    .collect();
    let (token_reporter, token_platform) = (app.token(REPORTER).await, app.token(MIIT).await);
    let (first, hidden) = (&public[public.len() / 2], &private[0]);
    // The statistics of an organisation add its own unpublished cases, read through its
    // relations (`related_intervals`), as many as it has: that many rows of the case
    // tables a statistics path may read beyond the bound, no more. (The platform and
    // the reporter here stand in a relation to every case, half of them unpublished;
    // an organisation's unpublished intervals are not kept as totals.)
    let mut own: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for (token, org) in [(&token_reporter, "alibaba-cloud"), (&token_platform, "miit-nvdb")] {
        for table in ["case_views", "case_intervals"] {
            let n: i64 = sqlx::query(&format!(
                "SELECT COUNT(*) AS n FROM case_relations r JOIN {table} t ON t.case_id = r.case_id \
                 WHERE r.org_id = $1 AND r.public = FALSE"
            ))
            .bind(org)
            .fetch_one(&mut observer)
            .await
            .expect("an organisation's own rows")
            .get("n");
            own.insert((token.as_str(), table), n);
        }
    }
    // The public documents are kept as data: the first public read of a database makes
    // every one of them once (what a first start or a new signing key costs), after
    // which a read rebuilds only what changed. That first read comes first, unmeasured.
    let warm_up = 1;
    let paths: Vec<(String, Option<&str>)> = vec![
        ("/advisories/feed.atom".into(), None),
        ("/api/v1/vulnerabilities?limit=10".into(), None),
        ("/api/v1/vulnerabilities?limit=10".into(), Some(&token_reporter)),
        ("/api/v1/vulnerabilities?limit=10".into(), Some(&token_platform)),
        (format!("/api/v1/vulnerabilities?limit=10&after={first}"), None),
        (format!("/api/v1/vulnerabilities/{first}"), None),
        (format!("/api/v1/vulnerabilities/{hidden}"), Some(&token_platform)),
        ("/api/v1/advisories?limit=10".into(), None),
        (format!("/api/v1/advisories?limit=10&after={first}"), None),
        (format!("/api/v1/advisories/{first}"), None),
        (format!("/api/v1/advisories/{first}.csaf.json"), None),
        (format!("/api/v1/advisories/{first}/bulletin"), None),
        (format!("/api/v1/advisories/{hidden}"), None),
        ("/api/v1/stats/intervals".into(), None),
        ("/api/v1/stats/intervals".into(), Some(&token_platform)),
        ("/api/v1/stats/intervals/vendor_notified.svg".into(), Some(&token_reporter)),
        ("/metrics".into(), None),
        ("/metrics".into(), Some(&token_platform)),
        ("/api/v1/cases?limit=10".into(), None),
        ("/api/v1/cases?limit=10".into(), Some(&token_reporter)),
        ("/api/v1/deadlines".into(), Some(&token_reporter)),
        ("/advisories".into(), None),
        ("/api/v1/orgs?limit=10".into(), None),
        ("/api/v1/orgs?limit=10&after=synthetic-vendor-0100".into(), None),
        ("/api/v1/orgs?limit=10&role=product_provider".into(), None),
        ("/api/v1/orgs?limit=10&q=synthetic%20vendor%2010".into(), None),
        ("/api/v1/orgs?limit=10&q=vendor&role=regulator_platform".into(), None),
    ];
    let mut before = rows_read(&mut observer, &schema).await;
    for (i, (path, token)) in paths.iter().enumerate() {
        // The statistics count every backend's reads of the schema's tables, whenever a
        // backend flushes them (an idle one may flush a moment late, into another
        // path's window): a path over the bound is measured again, and fails only if
        // every one of its measurements is over. A path that reads a table whole does
        // so every time.
        for attempt in 1..=ATTEMPTS {
            // A store of its own, under its own application name, closed after the request;
            // told not to scan a table whole unless nothing else can answer (a table this
            // small would be read whole by choice, whatever the indexes).
            let name = format!("read_cost_{i}_{attempt}");
            let options = url
                .parse::<PgConnectOptions>()
                .expect("url")
                .application_name(&name)
                .options([("enable_seqscan", "off"), ("enable_sort", "off")]);
            let probe = PgStore::connect_with(options).await.expect("connect");
            let state = AppState::new(std::sync::Arc::new(probe.clone()), config());
            let router = vulnrelay_server::router(state);
            let mut request = axum::http::Request::builder().uri(path.as_str());
            if let Some(token) = token {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            let response =
                tower::ServiceExt::oneshot(router, request.body(axum::body::Body::empty()).unwrap())
                    .await
                    .unwrap();
            let status = response.status().as_u16();
            assert!(status == 200 || status == 404, "{path}: {status}");
            axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            probe.raw_pool().close().await;
            // Its backends flush their statistics as they end; one the pool left idle is
            // ended here (a backend flushes what it holds on the way out of SIGTERM too).
            sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1")
                .bind(&name)
                .execute(&mut observer)
                .await
                .expect("terminate");
            let mut waited = 0;
            while sqlx::query("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = $1")
                .bind(&name)
                .fetch_one(&mut observer)
                .await
                .expect("activity")
                .get::<i64, _>("n")
                > 0
            {
                waited += 1;
                if waited >= 400 {
                    let rows = sqlx::query(
                        "SELECT state, query, backend_type FROM pg_stat_activity WHERE application_name = $1",
                    )
                    .bind(&name)
                    .fetch_all(&mut observer)
                    .await
                    .expect("activity");
                    let left: Vec<String> = rows
                        .iter()
                        .map(|r| {
                            format!(
                                "{:?} {:?}",
                                r.get::<Option<String>, _>("state"),
                                r.get::<Option<String>, _>("query")
                            )
                        })
                        .collect();
                    panic!("{path}: the store's connections did not end: {left:?}");
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            let after = rows_read(&mut observer, &schema).await;
            if i < warm_up {
                before = after;
                break;
            }
            if std::env::var_os(SHOW_VAR).is_some() {
                let read: Vec<_> = after
                    .iter()
                    .map(|(table, n)| (table, n - before.get(table).copied().unwrap_or(0)))
                    .filter(|(_, n)| *n > 0)
                    .collect();
                eprintln!("{path}: {read:?}");
            }
            let over: Vec<String> = held
                .iter()
                .filter_map(|(table, held)| {
                    let read = after.get(table).copied().unwrap_or(0) - before.get(table).copied().unwrap_or(0);
                    let allowed = match token {
                        Some(token) if path.starts_with("/api/v1/stats/") => {
                            own.get(&(*token, table.as_str())).copied().unwrap_or(0)
                        }
                        _ => 0,
                    };
                    ((read - allowed) * 4 >= *held).then(|| {
                        format!(
                            "{path} read {read} rows of {table} ({allowed} of them the caller's own unpublished \
                             cases'), which holds {held}"
                        )
                    })
                })
                .collect();
            before = after;
            if over.is_empty() {
                break;
            }
            assert!(attempt < ATTEMPTS, "{}", over.join("\n"));
            eprintln!("measured again, attempt {attempt} was over the bound: {over:?}");
        }
    }
}
