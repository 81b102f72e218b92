//! Delivery that loses nothing, against the real `vulnrelay serve`:
//!
//! - reliability: 10,000 risk warnings delivered by webhook to a local receiver that
//!   fails 30% of requests at random and is down for a stretch, while the server is
//!   killed with SIGKILL once mid-way and restarted; at the end every warning was
//!   delivered (answered 2xx) at least once, none is lost or dead, and the duplicate
//!   count is printed (SQLite; PostgreSQL too when VULNRELAY_TEST_DATABASE_URL is set);
//! - sharing: two server processes on one PostgreSQL deliver a batch together, and no
//!   warning is delivered by both (skipped without VULNRELAY_TEST_DATABASE_URL);
//! - `vulnrelay scan --upload` feeds an asset group, and the scanned log4j-core is warned.

use crate::common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use serde_json::json;
use vulnrelay_domain::{AccountRole, Jurisdiction, Role};
use vulnrelay_server::auth::{new_secret, secret_hash};
use vulnrelay_server::{AppState, Config};
use vulnrelay_store::testing::{TestDb, for_each_backend};
use vulnrelay_store::warnings::{AssetComponent, Channel, DeliveryFilter};
use vulnrelay_store::{NewAccount, Organisation, Status, Store};

/// Starts `vulnrelay serve` with a fast-retrying worker; returns the child and base URL.
fn start(url: &str, lease_seconds: u32) -> (Child, String) {
    let lease = lease_seconds.to_string();
    let options = [
        ("--delivery-poll-ms", "20"),
        ("--delivery-batch", "200"),
        ("--delivery-concurrency", "32"),
        ("--delivery-lease-seconds", lease.as_str()),
        ("--retry-base-ms", "20"),
        ("--retry-cap-ms", "500"),
        ("--max-attempts", "100000"),
        ("--webhook-timeout-ms", "5000"),
        ("--reminder-interval-seconds", "0"),
        ("--sweep-interval-seconds", "0"),
    ];
    let mut args: Vec<&str> = options.iter().flat_map(|(flag, value)| [*flag, *value]).collect();
    // The test's receiver listens on loopback, which is refused by default.
    args.push("--webhook-allow-private-networks");
    common::serve(url, &args, "error")
}

fn sigkill(child: &mut Child) {
    // SIGKILL, by the child's own pid.
    let _ = Command::new("kill").args(["-KILL", &child.id().to_string()]).status();
    let _ = child.wait();
}

/// The receiver: counts successful deliveries per idempotency key, fails a share of
/// requests at random and can be taken down.
#[derive(Default)]
struct Receiver {
    secrets: HashMap<String, String>,
    delivered: Mutex<HashMap<String, usize>>,
    senders: Mutex<HashMap<String, usize>>,
    requests: AtomicUsize,
    failed: AtomicUsize,
    bad_signatures: AtomicUsize,
    down: AtomicBool,
    fail_per_mille: u64,
    rng: AtomicU64,
}

impl Receiver {
    fn roll(&self) -> u64 {
        // xorshift64*, shared by the handlers; good enough for "30% at random".
        let mut x = self.rng.load(Ordering::Relaxed);
        loop {
            let mut next = x;
            next ^= next >> 12;
            next ^= next << 25;
            next ^= next >> 27;
            match self.rng.compare_exchange_weak(x, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return next.wrapping_mul(0x2545_f491_4f6c_dd1d) % 1000,
                Err(seen) => x = seen,
            }
        }
    }

    fn successes(&self) -> usize {
        self.delivered.lock().unwrap().len()
    }
}

async fn hook(
    State(r): State<Arc<Receiver>>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    r.requests.fetch_add(1, Ordering::Relaxed);
    if r.down.load(Ordering::SeqCst) || r.roll() < r.fail_per_mille {
        r.failed.fetch_add(1, Ordering::Relaxed);
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let timestamp: i64 = header("x-vulnrelay-timestamp").parse().unwrap_or_default();
    let secret = r.secrets.get(&org).cloned().unwrap_or_default();
    let verified = vulnrelay_delivery::verify(
        secret.as_bytes(),
        timestamp,
        &body,
        &header("x-vulnrelay-signature"),
        Utc::now().timestamp(),
        Duration::from_secs(300),
    );
    if verified.is_err() {
        r.bad_signatures.fetch_add(1, Ordering::Relaxed);
        return StatusCode::UNAUTHORIZED;
    }
    *r.delivered.lock().unwrap().entry(header("x-vulnrelay-delivery")).or_default() += 1;
    *r.senders.lock().unwrap().entry(header("user-agent")).or_default() += 1;
    StatusCode::OK
}

/// Serves the receiver on `address` until `stop` is notified.
async fn serve_receiver(
    listener: tokio::net::TcpListener,
    receiver: Arc<Receiver>,
    stop: Arc<tokio::sync::Notify>,
) {
    let app = Router::new().route("/hook/{org}", axum::routing::post(hook)).with_state(receiver);
    let _ = axum::serve(listener, app).with_graceful_shutdown(async move { stop.notified().await }).await;
}

/// `orgs` units, each with one webhook to `hook_base` and one component that all of
/// `vulnerabilities` public records affect; matching then writes orgs × vulnerabilities
/// warnings. Returns each organisation's webhook secret.
async fn seed(
    store: Arc<dyn Store>,
    orgs: usize,
    vulnerabilities: usize,
    hook_base: &str,
) -> HashMap<String, String> {
    let now = Utc::now();
    let mut secrets = HashMap::new();
    for i in 0..orgs {
        let org = format!("unit-{i:03}");
        store
            .create_org(&Organisation {
                id: org.clone(),
                name: org.clone(),
                name_zh: None,
                roles: vec![Role::NetworkOperator],
                jurisdiction: Jurisdiction::CN,
                individual: false,
                status: Status::Active,
                created_at: now,
            })
            .await
            .unwrap();
        let secret = new_secret("whsec_");
        store.create_webhook(&org, &format!("{hook_base}/hook/{org}"), &secret, now).await.unwrap();
        secrets.insert(org.clone(), secret);
        let component = AssetComponent {
            name: "org.example:lib".into(),
            version: Some("1.0".into()),
            purl: Some("pkg:maven/org.example/lib@1.0".into()),
            bom_ref: None,
        };
        store.put_asset_group(&org, "systems", "manual", &[component], None, now).await.unwrap();
    }
    for i in 0..vulnerabilities {
        let record = json!({
            "id": format!("REL-{i:04}"),
            "title": {"en": format!("reliability {i}")},
            "affected": [{"source": "test", "vendor": "Example", "product": "lib", "ecosystem": "Maven",
                          "package": "org.example:lib", "purl": "pkg:maven/org.example/lib",
                          "ranges": [{"introduced": "0", "fixed": "2.0"}]}],
            "remediation": {"en": "Upgrade lib to 2.0."}
        });
        store.save_vulnerability(&format!("REL-{i:04}"), None, &record, &[], now).await.unwrap();
    }
    let state = AppState::new(store.clone(), Config::default());
    let started = Instant::now();
    let done = vulnrelay_server::warnings::rematch_all(&state).await.unwrap();
    assert_eq!(done.written, orgs * vulnerabilities);
    eprintln!("matching wrote {} warnings in {:.1} s", done.written, started.elapsed().as_secs_f64());
    secrets
}

/// The idempotency keys of every webhook delivery.
async fn webhook_keys(store: &dyn Store) -> Vec<String> {
    let all = store.deliveries(&DeliveryFilter::default()).await.unwrap();
    all.into_iter().filter(|d| d.channel == Channel::Webhook).map(|d| d.idempotency_key).collect()
}

async fn wait_until_settled(store: &dyn Store, deadline: Duration) {
    let until = Instant::now() + deadline;
    loop {
        let counts = store.delivery_counts().await.unwrap();
        if counts.pending == 0 {
            assert_eq!(counts.dead, 0, "nothing may be dead-lettered");
            return;
        }
        assert!(Instant::now() < until, "deliveries still pending: {counts:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

const ORGS: usize = 100;
const VULNERABILITIES: usize = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_warnings_survive_failures_an_outage_and_sigkill() {
    let _heavy = common::HEAVY.lock().await;
    for_each_backend(|db: TestDb| async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        let base = format!("http://{address}");
        let secrets = seed(db.store.clone(), ORGS, VULNERABILITIES, &base).await;
        let receiver = Arc::new(Receiver {
            secrets,
            fail_per_mille: 300,
            rng: AtomicU64::new(0x9e37_79b9_7f4a_7c15),
            ..Receiver::default()
        });
        let stop = Arc::new(tokio::sync::Notify::new());
        let mut receiver_task = tokio::spawn(serve_receiver(listener, receiver.clone(), stop.clone()));
        let total = ORGS * VULNERABILITIES;
        let started = Instant::now();

        let (mut server, _) = start(&db.url, 3);
        // SIGKILL once mid-way.
        while receiver.successes() < total * 3 / 10 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        sigkill(&mut server);
        let at_kill = receiver.successes();
        let (mut server, _) = start(&db.url, 3);
        // Down for a stretch: the listener closes (connections refused) and open
        // connections are answered 503, for two seconds.
        while receiver.successes() < total * 6 / 10 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        receiver.down.store(true, Ordering::SeqCst);
        stop.notify_waiters();
        let _ = (&mut receiver_task).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let listener = tokio::net::TcpListener::bind(address).await.expect("the receiver's port again");
        receiver.down.store(false, Ordering::SeqCst);
        let at_outage = receiver.successes();
        let receiver_task = tokio::spawn(serve_receiver(listener, receiver.clone(), stop.clone()));

        wait_until_settled(&*db.store, Duration::from_secs(600)).await;
        let elapsed = started.elapsed();
        sigkill(&mut server);
        stop.notify_waiters();
        let _ = receiver_task.await;

        let delivered = receiver.delivered.lock().unwrap().clone();
        let keys = webhook_keys(&*db.store).await;
        assert_eq!(keys.len(), total);
        let lost: Vec<&String> = keys.iter().filter(|k| !delivered.contains_key(*k)).collect();
        assert!(lost.is_empty(), "{} warnings never delivered, e.g. {:?}", lost.len(), lost.first());
        assert_eq!(delivered.len(), total, "nothing but the warnings was delivered");
        assert_eq!(receiver.bad_signatures.load(Ordering::Relaxed), 0);
        let duplicates: usize = delivered.values().map(|n| n - 1).sum();
        let inbox: usize = {
            let mut n = 0;
            for i in 0..ORGS {
                n += db.store.inbox(&format!("unit-{i:03}"), 0).await.unwrap().len();
            }
            n
        };
        assert_eq!(inbox, total, "every warning is in its unit's inbox exactly once");
        eprintln!(
            "{}: {total} warnings delivered in {:.1} s; {} requests, {} failed on purpose (30% + outage); \
             SIGKILL after {at_kill}, outage after {at_outage}; duplicates: {duplicates} \
             (keys delivered more than once: {})",
            db.name,
            elapsed.as_secs_f64(),
            receiver.requests.load(Ordering::Relaxed),
            receiver.failed.load(Ordering::Relaxed),
            delivered.values().filter(|n| **n > 1).count(),
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_servers_on_one_postgresql_share_the_work_without_double_delivery() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("skipped: VULNRELAY_TEST_DATABASE_URL is not set");
        return;
    };
    let _heavy = common::HEAVY.lock().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let secrets = seed(db.store.clone(), 20, 100, &base).await;
    let receiver =
        Arc::new(Receiver { secrets, fail_per_mille: 0, rng: AtomicU64::new(1), ..Receiver::default() });
    let stop = Arc::new(tokio::sync::Notify::new());
    let receiver_task = tokio::spawn(serve_receiver(listener, receiver.clone(), stop.clone()));
    // A long lease: no claim lapses while its holder is alive, so any key seen twice
    // would be a double claim.
    let mut servers: Vec<Child> = (0..3).map(|_| start(&db.url, 600).0).collect();
    wait_until_settled(&*db.store, Duration::from_secs(300)).await;
    for server in &mut servers {
        sigkill(server);
    }
    stop.notify_waiters();
    let _ = receiver_task.await;
    let delivered = receiver.delivered.lock().unwrap().clone();
    assert_eq!(delivered.len(), 2000);
    let twice: Vec<_> = delivered.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered twice: {twice:?}");
    // Every process delivered (each names its process id in its User-Agent).
    let senders = receiver.senders.lock().unwrap().clone();
    assert_eq!(senders.len(), 3, "{senders:?}");
    eprintln!("postgres: 2000 warnings delivered by three processes ({senders:?}), none twice");
}

/// An API token of a new active subscriber account of `org`.
async fn subscriber_token(store: &dyn Store, email: &str, org: &str) -> String {
    let account = NewAccount {
        email: email.into(),
        name: email.into(),
        password_hash: "unused".into(),
        org_id: Some(org.into()),
        roles: vec![AccountRole::Subscriber],
        status: Status::Active,
    };
    let account = store.create_account(&account, Utc::now()).await.unwrap();
    let token = new_secret("vr_");
    store.create_token(&account.id, "test", &secret_hash(&token), Utc::now()).await.unwrap();
    token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_upload_feeds_an_asset_group_and_the_scanned_log4j_is_warned() {
    let db = TestDb::sqlite().await;
    vulnrelay_server::demo::load(&db.store).await.unwrap();
    let token = subscriber_token(&*db.store, "it@grid.example", "cn-grid").await;
    let (mut server, base) = start(&db.url, 60);
    let jar = common::workspace().join("testdata/jars/log4j/vulnerable/log4j-core-2.14.1.jar");
    let output = Command::new(env!("CARGO_BIN_EXE_vulnrelay"))
        .args(["scan", "--upload", &base, "--group", "build server", "--format", "json"])
        .arg(&jar)
        .env("VULNRELAY_TOKEN", &token)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "affected: {stderr}");
    assert!(stderr.contains("uploaded to asset group `build server`"), "{stderr}");
    let (group, components) = db.store.asset_group("cn-grid", "build server").await.unwrap();
    assert_eq!(group.source, "scan");
    assert!(
        components
            .iter()
            .any(|c| c.purl.as_deref() == Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")),
        "{components:?}"
    );
    let warnings = db
        .store
        .warnings(&vulnrelay_store::warnings::WarningFilter {
            org_id: Some("cn-grid".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(warnings.iter().any(|w| w.vulnerability_id == "CVE-2021-44228"), "{warnings:?}");
    // A bad token is refused, and the scan says so.
    let refused = Command::new(env!("CARGO_BIN_EXE_vulnrelay"))
        .args(["scan", "--quiet", "--upload", &base, "--token", "vr_wrong"])
        .arg(&jar)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("refused the upload"));
    sigkill(&mut server);
}

/// The server's resident memory, from /proc.
fn rss_mb(child: &Child) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
        / 1024
}

/// A CycloneDX 1.6 SBOM of `count` distinct components, each with a purl and hashes.
fn big_sbom(count: usize, tag: &str) -> String {
    let components: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            json!({"type": "library", "bom-ref": format!("c{i}"), "group": format!("org.example.{tag}"),
                   "name": format!("component-{i}"), "version": format!("1.{i}.0"),
                   "purl": format!("pkg:maven/org.example.{tag}/component-{i}@1.{i}.0"),
                   "hashes": [{"alg": "SHA-256", "content": "0".repeat(64)}],
                   "description": "x".repeat(200)})
        })
        .collect();
    json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": components})
        .to_string()
}

/// Inventory uploads are bounded: one over the limit is refused in the envelope, the
/// largest accepted ones are parsed one at a time, and the server stays up with its
/// memory bounded after many of them at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_uploads_keep_the_servers_memory_bounded() {
    let db = TestDb::sqlite().await;
    vulnrelay_server::demo::load(&db.store).await.unwrap();
    let token = subscriber_token(&*db.store, "cmdb@bank.example", "cn-bank").await;
    let (mut server, base) = start(&db.url, 60);
    let client = reqwest::Client::new();
    let put = |name: String, body: String| {
        client
            .put(format!("{base}/api/v1/assets/groups/{name}"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let started = rss_mb(&server);
    // Over the limit: 413 in the envelope, nothing stored. The server may answer and
    // close before the client has written the whole body; the client then sees its
    // write fail (a broken pipe or a reset) instead of the answer — a refusal too.
    let too_big = big_sbom(60_000, "big");
    assert!(too_big.len() > vulnrelay_server_max_sbom());
    match put("too-big".into(), too_big).await {
        Ok(answer) => {
            assert_eq!(answer.status(), StatusCode::PAYLOAD_TOO_LARGE);
            let envelope: serde_json::Value = answer.json().await.unwrap();
            assert_eq!(envelope["error"]["code"], "payload_too_large", "{envelope}");
        }
        Err(error) => {
            let text = format!("{error:?}");
            assert!(
                error.is_request() && (text.contains("BrokenPipe") || text.contains("ConnectionReset")),
                "not a refusal while the body was sent: {text}"
            );
            eprintln!("the server closed before the whole body was sent: {text}");
        }
    }
    let stored =
        client.get(format!("{base}/api/v1/assets/groups/too-big")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(stored.status(), StatusCode::NOT_FOUND, "nothing stored of the refused upload");
    // Eight uploads just under the limit, one after another, each replacing the group
    // (an inventory kept up to date).
    let body = big_sbom(32_000, "ok");
    assert!(body.len() < vulnrelay_server_max_sbom(), "{}", body.len());
    let mut peak = 0;
    for round in 0..8 {
        let answer = put("estate".into(), body.clone()).await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "round {round}");
        peak = peak.max(rss_mb(&server));
    }
    let after = rss_mb(&server);
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    eprintln!(
        "RSS: {started} MB at start, {peak} MB peak seen, {after} MB after eight {} MB uploads",
        body.len() / 1_000_000
    );
    // Each upload's parse reuses the memory of the one before (one parser thread).
    assert!(after < 1024, "RSS after eight uploads: {after} MB (start {started} MB)");
    let _ = server.kill();
    let _ = server.wait();
}

fn vulnrelay_server_max_sbom() -> usize {
    16 * 1024 * 1024
}
