//! Where the time of one intake (`POST /api/v1/reports`) goes, one request at a time.
//!
//! On a fresh store (SQLite in a temporary directory, WAL, `synchronous = FULL`; or a
//! fresh schema on the PostgreSQL server named by `VULNRELAY_BENCH_DATABASE_URL`), `N`
//! times each (default 300), in this order:
//! - `fsync`: 4 KiB appended to a file beside the database and synced (SQLite only: the
//!   disk's floor under one durable commit);
//! - `token lookup`: the bearer token's account, as every authenticated request does;
//! - `store intake`: `Store::take_report` alone, with a report built as the route builds
//!   it (the case, its parties, products and events, the report, the receipt, the
//!   views and the outbox message in one transaction); also with `synchronous = OFF`
//!   on SQLite, which leaves out the fsyncs and so shows what the commit costs;
//! - `route, in process`: the whole route through the router without a socket (the
//!   token, the JSON, the checks, the organisations read, the store, the forwarding
//!   rules, the answer).
//!
//! Then one intake with the store's SQL statements counted (sqlx's query log, with the
//! time each took as sqlx measured it).
//!
//! Usage: `cargo run --release -p vulnrelay-bench --bin intake [N]`; with
//! `VULNRELAY_BENCH_LIST_STATEMENTS=1` each counted statement is listed with its time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use chrono::Utc;
use serde_json::{Value, json};
use tower::ServiceExt;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use vulnrelay_domain::{AccountRole, Jurisdiction, Role};
use vulnrelay_server::auth::secret_hash;
use vulnrelay_server::{AppState, Config, router};
use vulnrelay_store::testing::TestDb;
use vulnrelay_store::{Fragment, NewEvent, NewReport, Organisation, SqliteStore, Store};

/// The environment variable naming a PostgreSQL server to measure instead of SQLite.
const DATABASE_URL_VAR: &str = "VULNRELAY_BENCH_DATABASE_URL";

/// The environment variable that lists each counted statement (its first 150 characters).
const LIST_VAR: &str = "VULNRELAY_BENCH_LIST_STATEMENTS";

/// Counts sqlx's statements (its `sqlx::query` events) while switched on.
struct StatementCounter {
    on: AtomicBool,
    statements: AtomicU64,
    nanos: AtomicU64,
}

static COUNTER: StatementCounter =
    StatementCounter { on: AtomicBool::new(false), statements: AtomicU64::new(0), nanos: AtomicU64::new(0) };

struct Counting;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Counting {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if !COUNTER.on.load(Ordering::Relaxed) || event.metadata().target() != "sqlx::query" {
            return;
        }
        struct Elapsed(f64, String);
        impl tracing::field::Visit for Elapsed {
            fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
                if field.name() == "elapsed_secs" {
                    self.0 = value;
                }
            }
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                if field.name() == "db.statement" {
                    self.1 = value.split_whitespace().collect::<Vec<_>>().join(" ");
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut elapsed = Elapsed(0.0, String::new());
        event.record(&mut elapsed);
        if std::env::var_os(LIST_VAR).is_some() {
            println!("#   {:.0} µs  {}", elapsed.0 * 1e6, elapsed.1.chars().take(150).collect::<String>());
        }
        COUNTER.statements.fetch_add(1, Ordering::Relaxed);
        COUNTER.nanos.fetch_add((elapsed.0 * 1e9) as u64, Ordering::Relaxed);
    }
}

fn org(id: &str, roles: Vec<Role>) -> Organisation {
    vulnrelay_bench::generated_org(id, format!("Organisation {id} [generated]"), roles, Jurisdiction::CN)
}

/// A report as the route builds it for `body` (the store's part only).
fn new_report(account: &str, body: &Value) -> NewReport {
    let now = Utc::now();
    let party = |id: &str, role: &str| Fragment {
        id: id.into(),
        value: json!({"id": id, "name": id, "roles": [role], "jurisdiction": "CN"}),
    };
    let event =
        |body: Value| NewEvent { at: now, body, recorded_by: Some(account.into()), override_reason: None };
    NewReport {
        title: "Generated report [synthetic]".into(),
        timezone: "Asia/Shanghai".into(),
        reporter_org: "r0".into(),
        platform_org: "platform".into(),
        body: body.clone(),
        submitted_by: Some(account.into()),
        idempotency_key: None,
        parties: vec![
            party("r0", "discoverer"),
            party("platform", "regulator_platform"),
            party("p0", "product_provider"),
        ],
        products: vec![Fragment {
            id: "product".into(),
            value: json!({"id": "product", "name": "Generated product", "provider": "p0"}),
        }],
        events: vec![
            event(json!({"at": now.to_rfc3339(), "type": "discovered", "party": "r0"})),
            event(json!({"at": now.to_rfc3339(), "type": "notified", "party": "r0", "to": "platform"})),
        ],
        attachments: Vec::new(),
        channel: "api".into(),
        submitter: "reporter@r0.example (r0)".into(),
        received_at: now,
    }
}

/// Runs `f` `n` times; returns the mean and the median per call in microseconds.
async fn per_call<F, Fut>(n: usize, mut f: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut each = Vec::with_capacity(n);
    let start = Instant::now();
    for _ in 0..n {
        let one = Instant::now();
        f().await;
        each.push(one.elapsed());
    }
    let total = start.elapsed();
    each.sort();
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    (micros(total) / n as f64, micros(each[n / 2]))
}

fn print(name: &str, (mean, median): (f64, f64)) {
    println!("{name:<52} {mean:>9.0} {median:>9.0} {:>9.0}", 1e6 / mean);
}

async fn pragma(sqlite: Option<&SqliteStore>, text: &str) {
    if let Some(sqlite) = sqlite {
        sqlx::query(text).execute(sqlite.raw_pool()).await.expect("a pragma");
    }
}

fn main() {
    let n: usize = std::env::args().nth(1).map_or(300, |a| a.parse().expect("a number"));
    let filter = tracing_subscriber::filter::Targets::new().with_target("sqlx::query", tracing::Level::TRACE);
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(Counting.with_filter(filter)),
    )
    .expect("a subscriber");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (store, sqlite, _schema): (Arc<dyn Store>, Option<SqliteStore>, Option<TestDb>) =
            match std::env::var(DATABASE_URL_VAR).ok().filter(|u| !u.is_empty()) {
                Some(url) => {
                    let db = TestDb::postgres_at(&url).await;
                    (db.store.clone(), None, Some(db))
                }
                None => {
                    let sqlite = SqliteStore::open(&dir.path().join("bench.db")).await.expect("SQLite");
                    (Arc::new(sqlite.clone()), Some(sqlite), None)
                }
            };
        for (id, roles) in [
            ("platform", vec![Role::RegulatorPlatform]),
            ("r0", vec![Role::Discoverer]),
            ("p0", vec![Role::ProductProvider]),
        ] {
            store.create_org(&org(id, roles)).await.expect("org");
        }
        let (account, token) = vulnrelay_bench::account_with_token(store.as_ref(), "reporter@r0.example", "r0", vec![AccountRole::Reporter]).await;
        let state =
            AppState::new(store.clone(), Config { default_platform: Some("platform".into()), ..Config::default() });
        let app = router(state);
        let report = json!({
            "title": "Generated report [synthetic]",
            "product": {"name": "Generated product", "model": "g-1", "affected_versions": ["1.0"], "provider": "p0"},
            "technical_characteristics": "synthetic", "harm": "synthetic", "scope_of_impact": "synthetic",
            "discovered_at": Utc::now().to_rfc3339(),
        });
        let text = report.to_string();
        let through_route = || {
            let request = Request::post("/api/v1/reports")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(text.clone()))
                .expect("a request");
            let app = app.clone();
            async move {
                let response = app.oneshot(request).await.expect("a response");
                assert_eq!(response.status(), 201, "intake");
                axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("a body");
            }
        };
        println!("# {} ({n} calls each, one at a time)", if sqlite.is_some() { "SQLite" } else { "PostgreSQL" });
        println!("{:<52} {:>9} {:>9} {:>9}", "step", "mean µs", "p50 µs", "per s");
        if sqlite.is_some() {
            let file = dir.path().join("bench.fsync");
            let mut out = std::fs::File::create(&file).expect("a file");
            print(
                "fsync of 4 KiB appended (the disk)",
                per_call(n, || {
                    use std::io::Write;
                    out.write_all(&[7u8; 4096]).expect("a write");
                    out.sync_all().expect("fsync");
                    std::future::ready(())
                })
                .await,
            );
        }
        let hash = secret_hash(&token);
        print(
            "token lookup (auth)",
            per_call(n, || async { store.account_by_token(&hash).await.map(drop).expect("account") }).await,
        );
        let intake = || async { store.take_report(&new_report(&account.id, &report)).await.map(drop).expect("intake") };
        print("store intake (one transaction, durable)", per_call(n, intake).await);
        if sqlite.is_some() {
            pragma(sqlite.as_ref(), "PRAGMA synchronous = OFF").await;
            print("store intake, synchronous = OFF (no fsync)", per_call(n, intake).await);
            pragma(sqlite.as_ref(), "PRAGMA synchronous = FULL").await;
        }
        print("route in process (auth, JSON, checks, store, forwarding)", per_call(n, through_route).await);
        if sqlite.is_some() {
            pragma(sqlite.as_ref(), "PRAGMA synchronous = OFF").await;
            print("route in process, synchronous = OFF", per_call(n, through_route).await);
            pragma(sqlite.as_ref(), "PRAGMA synchronous = FULL").await;
        }
        for (name, run) in [("store intake", false), ("route in process", true)] {
            COUNTER.statements.store(0, Ordering::Relaxed);
            COUNTER.nanos.store(0, Ordering::Relaxed);
            COUNTER.on.store(true, Ordering::Relaxed);
            if run {
                through_route().await;
            } else {
                intake().await;
            }
            COUNTER.on.store(false, Ordering::Relaxed);
            println!(
                "# {name}: {} SQL statements, {:.0} µs in them as sqlx timed them",
                COUNTER.statements.load(Ordering::Relaxed),
                COUNTER.nanos.load(Ordering::Relaxed) as f64 / 1e3
            );
        }
    });
}
