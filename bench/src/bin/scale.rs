//! The read paths at database sizes a national platform reaches, on SQLite, through the
//! real server on loopback (`vulnrelay_server::serve`, HTTP/1.1 with keep-alive).
//!
//! For each size (default 1,000 and 10,000 cases) a fresh database is generated —
//! deterministic and clearly synthetic: 50 reporting organisations, 200 product
//! providers, one regulator platform; cases spread over ten years, each with its
//! discovery, a report to the platform (some late), and for most a notification of the
//! provider, a verification, a fix and a publication, so open, overdue and met duties
//! all occur — through the store with the server's projector, as intake writes them.
//! Then, at 1, 8 and 32 connections for `SECONDS` each (default 2): `GET /healthz` (the
//! baseline of the same run), `/api/v1/deadlines` of a reporter, the first and a deep
//! page of `/api/v1/cases`, one case, its compliance report and `/metrics`. Printed:
//! requests/s, p50 and p99 in ms, p99 against `/healthz`'s, and the process's resident
//! memory after each size.
//!
//! Then intake (`POST /api/v1/reports`) at 1, 8 and 32 connections, each against
//! `/healthz` measured just before it.
//!
//! Usage: `cargo run --release -p vulnrelay-bench --bin scale [SIZES] [SECONDS] [WHAT]`,
//! e.g. `scale 1000,10000,100000 3`; `WHAT` is `all` (the default) or `intake` (intake
//! and its `/healthz` only). With `VULNRELAY_BENCH_DATABASE_URL` set to a PostgreSQL
//! URL, each size is generated in a fresh schema there instead of a SQLite file.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, TimeZone, Utc};
use serde_json::json;
use vulnrelay_domain::{AccountRole, Jurisdiction, Role};
use vulnrelay_server::{AppState, Config};
use vulnrelay_store::testing::TestDb;
use vulnrelay_store::{Fragment, NewCase, NewEvent, SqliteStore, Store};

const REPORTERS: usize = 50;
const PROVIDERS: usize = 200;

/// A small deterministic generator (SplitMix64), so every run builds the same data.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Generates `cases` cases into `store`; returns a reporter's token and the ids.
async fn generate(store: &Arc<dyn Store>, cases: usize) -> (String, Vec<String>) {
    store
        .create_org(&vulnrelay_bench::generated_org(
            "platform",
            "Regulator platform [generated]".into(),
            vec![Role::RegulatorPlatform],
            Jurisdiction::CN,
        ))
        .await
        .expect("org");
    for r in 0..REPORTERS {
        let name = format!("Reporting unit {r} [generated]");
        store
            .create_org(&vulnrelay_bench::generated_org(
                &format!("r{r}"),
                name,
                vec![Role::Discoverer],
                Jurisdiction::CN,
            ))
            .await
            .expect("org");
    }
    for p in 0..PROVIDERS {
        let jurisdiction: Jurisdiction =
            if p % 3 == 0 { "CN" } else { "US" }.parse().expect("a jurisdiction");
        let name = format!("Provider {p} [generated]");
        store
            .create_org(&vulnrelay_bench::generated_org(
                &format!("p{p}"),
                name,
                vec![Role::ProductProvider],
                jurisdiction,
            ))
            .await
            .expect("org");
    }
    let (_, token) = vulnrelay_bench::account_with_token(
        store.as_ref(),
        "reporter@r0.example",
        "r0",
        vec![AccountRole::Reporter],
    )
    .await;
    let mut mix = Mix(18);
    let first = Utc.with_ymd_and_hms(2016, 12, 1, 0, 0, 0).single().expect("a time");
    let span = Utc::now() - TimeDelta::days(1) - first;
    let mut ids = Vec::with_capacity(cases);
    for i in 0..cases {
        let reporter = format!("r{}", i % REPORTERS);
        let provider = format!("p{}", mix.below(PROVIDERS as u64));
        let at = first + span * i32::try_from(i).expect("size") / i32::try_from(cases).expect("size");
        let hours = |h: u64| at + TimeDelta::hours(i64::try_from(h).expect("hours"));
        let event = |when: chrono::DateTime<Utc>, body: serde_json::Value| {
            let mut body = body;
            body["at"] = json!(when.to_rfc3339());
            NewEvent { at: when, body, recorded_by: None, override_reason: None }
        };
        let mut events = vec![event(at, json!({"type": "discovered", "party": reporter}))];
        // One report in ten reaches the platform late (after the two days).
        let reported = hours(if mix.below(10) == 0 { 49 + mix.below(200) } else { 1 + mix.below(47) });
        let progress = mix.below(10);
        if reported < Utc::now() {
            events.push(event(reported, json!({"type": "notified", "party": reporter, "to": "platform"})));
        }
        if progress >= 2 {
            events.push(event(hours(60), json!({"type": "notified", "party": "platform", "to": provider})));
            events.push(event(hours(72), json!({"type": "verified", "party": "platform"})));
        }
        if progress >= 4 {
            events.push(event(
                hours(24 * 20),
                json!({"type": "fix_available", "party": provider, "version": "2.0.1"}),
            ));
            events.push(event(
                hours(24 * 25),
                json!({"type": "published", "party": "platform", "with_remediation": true}),
            ));
        }
        events.retain(|e| e.at < Utc::now());
        let party = |id: &str, role: &str, jurisdiction: &str| Fragment {
            id: id.into(),
            value: json!({"id": id, "roles": [role], "jurisdiction": jurisdiction}),
        };
        let jurisdiction = if provider[1..].parse::<usize>().unwrap_or(1) % 3 == 0 { "CN" } else { "US" };
        let id = store
            .import_case(&NewCase {
                title: format!("Generated case {i} [synthetic]"),
                timezone: "Asia/Shanghai".into(),
                reporter_org: reporter.clone(),
                platform_org: "platform".into(),
                parties: vec![
                    party(&reporter, "discoverer", "CN"),
                    party("platform", "regulator_platform", "CN"),
                    party(&provider, "product_provider", jurisdiction),
                ],
                products: vec![Fragment {
                    id: "product".into(),
                    value: json!({"id": "product", "name": format!("Product {i}"), "provider": provider, "markets": ["CN"]}),
                }],
                events,
                created_at: at,
            })
            .await
            .expect("case");
        ids.push(id);
    }
    (token, ids)
}

/// Latencies of `path` at `connections` for `seconds`: (requests/s, p50 ms, p99 ms).
async fn measure(
    base: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
    connections: usize,
    seconds: f64,
) -> (f64, f64, f64) {
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().expect("a client");
    let url = format!("{base}{path}");
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, url, token, body) =
            (client.clone(), url.clone(), token.map(str::to_owned), body.cloned());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let mut request = match &body {
                    Some(body) => client.post(&url).json(body),
                    None => client.get(&url),
                };
                if let Some(token) = &token {
                    request = request.bearer_auth(token);
                }
                let start = Instant::now();
                let response = request.send().await.expect("a response");
                assert!(response.status().is_success(), "{url}: {}", response.status());
                response.bytes().await.expect("a body");
                latencies.push(start.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("a task"));
    }
    all.sort();
    let at = |q: f64| all[((all.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
    (all.len() as f64 / seconds, at(0.5), at(0.99))
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "1000,10000".into())
        .split(',')
        .map(|s| s.parse().expect("a size"))
        .collect();
    let seconds: f64 = std::env::args().nth(2).map_or(2.0, |s| s.parse().expect("seconds"));
    let read_paths = match std::env::args().nth(3).as_deref() {
        None | Some("all") => true,
        Some("intake") => false,
        Some(other) => panic!("`{other}`: WHAT is `all` or `intake`"),
    };
    let postgres = std::env::var("VULNRELAY_BENCH_DATABASE_URL").ok().filter(|url| !url.is_empty());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        println!(
            "{:>8} {:<28} {:>5} {:>9} {:>8} {:>8} {:>10}",
            "cases", "request", "conns", "req/s", "p50 ms", "p99 ms", "p99÷healthz"
        );
        for cases in sizes {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let (store, sqlite, _schema): (Arc<dyn Store>, Option<SqliteStore>, Option<TestDb>) = match &postgres {
                Some(url) => {
                    let db = TestDb::postgres_at(url).await;
                    (db.store.clone(), None, Some(db))
                }
                None => {
                    let sqlite = SqliteStore::open(&dir.path().join("bench.db")).await.expect("SQLite");
                    (Arc::new(sqlite.clone()), Some(sqlite), None)
                }
            };
            // Generation only: no fsync per case (the data is thrown away after the run).
            sqlx_pragma(sqlite.as_ref(), "PRAGMA synchronous = OFF").await;
            let state = AppState::new(
                store.clone(),
                Config { default_platform: Some("platform".into()), ..Config::default() },
            );
            let started = Instant::now();
            let (token, ids) = generate(&store, cases).await;
            let generated = started.elapsed();
            sqlx_pragma(sqlite.as_ref(), "PRAGMA synchronous = FULL").await;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
            let base = format!("http://{}", listener.local_addr().expect("an address"));
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(vulnrelay_server::serve(listener, state, async {
                let _ = stopped.await;
            }));
            let mine = &ids[0];
            let deep = &ids[ids.len() * 9 / 10];
            let requests: [(&str, String, Option<&str>); 7] = [
                ("/healthz", "/healthz".into(), None),
                ("/deadlines (reporter)", "/api/v1/deadlines?within=48h".into(), Some(&token)),
                ("/cases first page", "/api/v1/cases?limit=50".into(), Some(&token)),
                ("/cases deep page (public)", format!("/api/v1/cases?limit=50&after={deep}"), None),
                ("/cases/{id}", format!("/api/v1/cases/{mine}"), Some(&token)),
                ("/cases/{id}/compliance", format!("/api/v1/cases/{mine}/compliance"), Some(&token)),
                ("/metrics", "/metrics".into(), Some(&token)),
            ];
            let database = if sqlite.is_some() { "SQLite" } else { "PostgreSQL" };
            println!(
                "# {cases} cases generated in {:.1} s on {database}; RSS {:.0} MB",
                generated.as_secs_f64(),
                rss_mb()
            );
            for connections in [1, 8, 32].into_iter().filter(|_| read_paths) {
                let mut baseline = None;
                for (name, path, token) in &requests {
                    let (rps, p50, p99) = measure(&base, path, *token, None, connections, seconds).await;
                    let ceiling = *baseline.get_or_insert(p99);
                    println!(
                        "{cases:>8} {name:<28} {connections:>5} {rps:>9.0} {p50:>8.2} {p99:>8.2} {:>10.1}",
                        p99 / ceiling
                    );
                }
            }
            // Intake last (it grows the database): against /healthz's requests/s.
            let report = json!({
                "title": "Generated report [synthetic]",
                "product": {"name": "Generated product", "model": "g-1", "affected_versions": ["1.0"], "provider": "p0"},
                "technical_characteristics": "synthetic", "harm": "synthetic", "scope_of_impact": "synthetic",
                "discovered_at": Utc::now().to_rfc3339(),
            });
            for connections in [1, 8, 32] {
                let (ceiling, _, _) = measure(&base, "/healthz", None, None, connections, seconds).await;
                let (rps, p50, p99) =
                    measure(&base, "/api/v1/reports", Some(&token), Some(&report), connections, seconds).await;
                println!(
                    "{cases:>8} {:<28} {connections:>5} {rps:>9.0} {p50:>8.2} {p99:>8.2} {:>9.1}% of healthz's {ceiling:.0} req/s",
                    "POST /reports (intake)",
                    100.0 * rps / ceiling
                );
            }
            println!("# RSS after the run: {:.0} MB", rss_mb());
            let _ = stop.send(());
            let _ = server.await;
        }
    });
}

async fn sqlx_pragma(store: Option<&SqliteStore>, pragma: &str) {
    use sqlx::Executor;
    if let Some(store) = store {
        store.raw_pool().execute(pragma).await.expect("a pragma");
    }
}
