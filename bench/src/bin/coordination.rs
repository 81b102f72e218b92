//! The coordination board of one case with many vendors, on SQLite, through the router
//! in-process: `VENDORS` vendors (default 5,000), each with `PRODUCTS` products
//! (default 4: 20,000 products), each told by the platform, half of them having
//! answered for every product. Measured, best of `RUNS` (default 5): the board's first
//! page, a later page, a filtered page; baseline in the same run: `GET /healthz`, the
//! least a request costs. Then one vendor added through the API (the whole case
//! checked by the gates), once; and the first board read after a change, which reads the
//! whole case.
//!
//! Then the writes a board sees most, once each, each followed by the first board read
//! after it: one more vendor added (the imported case's first views written), a
//! vendor's status recorded by the analyst, and another vendor added.
//! With `RUST_LOG=vulnrelay_server=debug,vulnrelay_store=debug` the server logs where
//! each write's time goes (case checked, gates, transaction with its case views) and
//! each board read's (case read, obligations evaluated).
//!
//! Usage: `cargo run --release -p vulnrelay-bench --bin coordination [VENDORS] [PRODUCTS] [RUNS]`

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use tower::ServiceExt;
use vulnrelay_domain::{AccountRole, Jurisdiction, Role};
use vulnrelay_server::{AppState, Config, router};
use vulnrelay_store::{Fragment, NewCase, NewEvent, Organisation, SqliteStore, Store};

fn arg(n: usize, default: usize) -> usize {
    std::env::args().nth(n).map(|a| a.parse().expect("a number")).unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn org(id: &str, roles: Vec<Role>) -> Organisation {
    vulnrelay_bench::generated_org(id, format!("Vendor {id} [generated]"), roles, Jurisdiction::CN)
}

fn main() {
    let vendors = arg(1, 5_000);
    let per_vendor = arg(2, 4);
    let runs = arg(3, 5);
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store: std::sync::Arc<dyn Store> =
            std::sync::Arc::new(SqliteStore::open(&dir.path().join("bench.db")).await.expect("SQLite"));
        let setup = Instant::now();
        for (id, roles) in [
            ("reporter", vec![Role::Discoverer]),
            ("apache", vec![Role::ProductProvider]),
            ("miit-nvdb", vec![Role::RegulatorPlatform]),
            ("late-vendor", vec![Role::ProductProvider]),
            ("later-vendor", vec![Role::ProductProvider]),
        ] {
            store.create_org(&org(id, roles)).await.expect("org");
        }
        let (_, token) = vulnrelay_bench::account_with_token(store.as_ref(), "analyst@miit.example", "miit-nvdb", vec![AccountRole::Analyst, AccountRole::Coordinator]).await;
        let start = Utc::now() - TimeDelta::days(30);
        let party = |id: &str, role: &str| Fragment {
            id: id.into(),
            value: json!({"id": id, "name": id, "roles": [role], "jurisdiction": "CN"}),
        };
        let mut parties =
            vec![party("reporter", "discoverer"), party("apache", "product_provider"), party("miit-nvdb", "regulator_platform")];
        let mut products =
            vec![Fragment { id: "log4j-core".into(), value: json!({"id": "log4j-core", "name": "log4j-core", "provider": "apache"}) }];
        let event = |at: chrono::DateTime<Utc>, body: Value| NewEvent { at, body, recorded_by: None, override_reason: None };
        let mut events = vec![
            event(start, json!({"at": start.to_rfc3339(), "type": "discovered", "party": "reporter", "product": "log4j-core"})),
            event(start, json!({"at": start.to_rfc3339(), "type": "notified", "party": "reporter", "to": "miit-nvdb", "product": "log4j-core"})),
        ];
        let mut statuses = Vec::new();
        for v in 0..vendors {
            let id = format!("vendor-{v:05}");
            parties.push(party(&id, "product_provider"));
            let told = start + TimeDelta::minutes(v as i64);
            for p in 0..per_vendor {
                let pid = format!("{id}:product-{p}");
                products.push(Fragment {
                    id: pid.clone(),
                    value: json!({"id": pid, "name": format!("Product {p}"), "provider": id, "upstream": ["log4j-core"]}),
                });
                events.push(event(told, json!({"at": told.to_rfc3339(), "type": "notified", "party": "miit-nvdb", "to": id, "product": pid})));
                if v % 2 == 0 {
                    let answered = told + TimeDelta::days(1);
                    let status = ["under_investigation", "affected", "fixed"][p % 3];
                    let mut body = json!({"at": answered.to_rfc3339(), "type": "vendor_status", "party": id, "product": pid,
                                          "vulnerability": "CVE-2021-44228", "status": status});
                    if status == "fixed" {
                        body["fixed_version"] = json!("2.0");
                    }
                    statuses.push(event(answered, body));
                }
            }
        }
        events.extend(statuses);
        let event_count = events.len();
        let product_count = products.len() - 1;
        let case_id = store
            .import_case(&NewCase {
                title: "Log4Shell, many vendors [generated]".into(),
                timezone: "Asia/Shanghai".into(),
                reporter_org: "reporter".into(),
                platform_org: "miit-nvdb".into(),
                parties,
                products,
                events,
                created_at: start,
            })
            .await
            .expect("case");
        println!(
            "setup: {vendors} vendors, {product_count} products, {event_count} events in {:.1} s",
            setup.elapsed().as_secs_f64()
        );
        let app = router(AppState::new(store.clone(), Config::default()));
        let call = |method: &str, path: String, body: Option<Value>| {
            let mut request = Request::builder()
                .method(method)
                .uri(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"));
            let body = match body {
                Some(b) => {
                    request = request.header(header::CONTENT_TYPE, "application/json");
                    Body::from(b.to_string())
                }
                None => Body::empty(),
            };
            let request = request.body(body).expect("a request");
            let app = app.clone();
            async move {
                let response = app.oneshot(request).await.expect("an answer");
                let status = response.status();
                let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("a body");
                assert!(status.is_success(), "{status}: {}", String::from_utf8_lossy(&bytes));
                bytes
            }
        };
        let best = |path: String| {
            let call = &call;
            async move {
                let mut best = Duration::MAX;
                let mut size = 0;
                for _ in 0..runs {
                    let start = Instant::now();
                    size = call("GET", path.clone(), None).await.len();
                    best = best.min(start.elapsed());
                }
                (best, size)
            }
        };
        let (health, _) = best("/healthz".into()).await;
        let board = format!("/api/v1/cases/{case_id}/coordination");
        // The first read after a change reads the whole case (then kept while unchanged).
        let cold_start = Instant::now();
        call("GET", format!("{board}?limit=50"), None).await;
        let cold = cold_start.elapsed();
        let (first, size) = best(format!("{board}?limit=50")).await;
        let (later, _) = best(format!("{board}?limit=50&after=vendor-{:05}", vendors / 2)).await;
        let (filtered, _) = best(format!("{board}?limit=50&status=fixed&unanswered_days=0")).await;
        println!("GET /healthz (baseline)                best of {runs}: {:>9.2} ms", ms(health));
        for (what, d) in [("board, first page of 50", first), ("board, a middle page", later), ("board, status=fixed", filtered)] {
            println!(
                "{what:<38} best of {runs}: {:>9.2} ms  ratio to /healthz {:>8.0}×",
                ms(d),
                d.as_secs_f64() / health.as_secs_f64().max(1e-9)
            );
        }
        println!("first page: {size} bytes; the first read after a change (the whole case read): {:.1} ms", ms(cold));
        let status = json!({"product": "vendor-00001:product-0", "vulnerability": "CVE-2021-44228", "status": "affected"});
        for (what, path, body) in [
            ("one vendor added (the case's first views)", "participants", json!({"vendors": [{"org": "late-vendor", "products": [{"name": "Late product"}]}]})),
            ("one vendor status recorded", "vendor-status", status),
            ("another vendor added", "participants", json!({"vendors": [{"org": "later-vendor", "products": [{"name": "Later product"}]}]})),
        ] {
            let started = Instant::now();
            call("POST", format!("/api/v1/cases/{case_id}/{path}"), Some(body)).await;
            let written = started.elapsed();
            let started = Instant::now();
            call("GET", format!("{board}?limit=50"), None).await;
            let read = started.elapsed();
            println!(
                "{what} through the API (once): {:.0} ms; the first board read after it: {:.1} ms  ratio to /healthz {:.0}×",
                ms(written),
                ms(read),
                read.as_secs_f64() / health.as_secs_f64().max(1e-9)
            );
        }
    });
}
