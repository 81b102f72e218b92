//! Federation end to end: instances serving real HTTP on loopback in one test
//! process, each with its own database, Ed25519 identity and delivery worker, peered
//! with each other. A report at Alibaba Cloud's instance is relayed to the MIIT
//! platform's instance, whose signed receipt lands on the origin case's timeline; the
//! platform's forwarding rules carry it on to CNVD and CNNVD; what CNVD records flows
//! back along the chain. Forged, replayed, tampered and unpeered envelopes are refused,
//! logged, and change nothing.

use crate::common;

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use vulnrelay_delivery::RetryPolicy;
use vulnrelay_domain::{AccountRole, Jurisdiction, Role};
use vulnrelay_federation::{Identity, SignedEnvelope, SignedReceipt};
use vulnrelay_server::auth::{new_secret, secret_hash};
use vulnrelay_server::federation::Instance;
use vulnrelay_server::forwarding::{ForwardRule, Trigger};
use vulnrelay_server::worker::{WorkerConfig, spawn};
use vulnrelay_server::{AppState, Config, Forwarding};
use vulnrelay_store::federation::Peer;
use vulnrelay_store::testing::TestDb;
use vulnrelay_store::{NewAccount, NewEvent, Organisation, Status, Store};

/// One instance: its database, state, base URL and the switch that stops it.
struct Node {
    db: TestDb,
    state: AppState,
    base: String,
    identity_seed: u8,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Node {
    fn public_key(&self) -> String {
        Identity::from_seed([self.identity_seed; 32]).public_key()
    }

    /// Kills the instance: its worker is aborted wherever it is (a relay half sent, a
    /// claim held), its server closes every connection (peers' pooled connections
    /// included); only the database survives.
    async fn kill(mut self) -> TestDb {
        if let Some(worker) = self.tasks.pop() {
            worker.abort();
            let _ = worker.await;
        }
        self.stop().await
    }

    async fn stop(self) -> TestDb {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        self.db
    }
}

fn forwarding(rules: &[(&str, Trigger, &[&str])]) -> Forwarding {
    Forwarding {
        member_routes: Vec::new(),
        rules: rules
            .iter()
            .map(|(from, when, to)| ForwardRule {
                from: (*from).into(),
                when: *when,
                to: to.iter().map(|t| (*t).to_owned()).collect(),
                note: Some("Forwarded at once on acceptance".into()),
            })
            .collect(),
    }
}

async fn start(
    db: TestDb,
    seed: u8,
    operates: &[&str],
    forwarding: Forwarding,
    listener: TcpListener,
) -> Node {
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = Config {
        forwarding,
        public_url: Some(base.clone()),
        allow_private_webhooks: true,
        ..Config::default()
    };
    let state = AppState::new(db.store.clone(), config);
    state.federate_as(Instance::new(
        Identity::from_seed([seed; 32]),
        operates.iter().map(|o| (*o).to_owned()).collect(),
        Duration::from_secs(5),
    ));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut stop_server = stopped.clone();
    let server = tokio::spawn({
        let state = state.clone();
        async move {
            let _ = vulnrelay_server::serve(listener, state, async move {
                let _ = stop_server.changed().await;
            })
            .await;
        }
    });
    let mut stop_worker = stopped.clone();
    let worker = spawn(
        state.app.clone(),
        WorkerConfig {
            poll_interval: Duration::from_millis(25),
            reminder_interval: None,
            sweep_interval: None,
            deny_private_networks: false,
            csaf_mirror_interval: Some(Duration::from_millis(250)),
            retry: RetryPolicy {
                base: Duration::from_millis(100),
                cap: Duration::from_secs(1),
                max_attempts: 1000,
            },
            ..WorkerConfig::default()
        },
        async move {
            let _ = stop_worker.changed().await;
        },
    );
    Node { db, state, base, identity_seed: seed, stop, tasks: vec![server, worker] }
}

async fn org(store: &dyn Store, id: &str, roles: Vec<Role>, jurisdiction: Jurisdiction) {
    store
        .create_org(&Organisation {
            id: id.into(),
            name: id.into(),
            name_zh: None,
            roles,
            jurisdiction,
            individual: false,
            status: Status::Active,
            created_at: Utc::now(),
        })
        .await
        .unwrap();
}

/// An account of `org` with `roles`; returns an API token.
async fn account(store: &dyn Store, org: Option<&str>, email: &str, roles: Vec<AccountRole>) -> String {
    let account = store
        .create_account(
            &NewAccount {
                email: email.into(),
                name: email.into(),
                password_hash: "unused: this account signs in with a token".into(),
                org_id: org.map(str::to_owned),
                roles,
                status: Status::Active,
            },
            Utc::now(),
        )
        .await
        .unwrap();
    let token = new_secret("vr_");
    store.create_token(&account.id, "test", &secret_hash(&token), Utc::now()).await.unwrap();
    token
}

async fn peer(store: &dyn Store, id: &str, node_url: &str, seed: u8, orgs: &[&str]) {
    store
        .add_peer(&Peer {
            id: id.into(),
            url: node_url.into(),
            public_key: Identity::from_seed([seed; 32]).public_key(),
            orgs: orgs.iter().map(|o| (*o).to_owned()).collect(),
            created_at: Utc::now(),
        })
        .await
        .unwrap();
}

async fn call(method: reqwest::Method, url: String, token: &str, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Polls `probe` until it gives a value (at most a minute: the instances talk over
/// loopback; a relay that never arrives fails the test with `what`).
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..2400 {
        if let Some(value) = probe().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("never happened: {what}");
}

/// The one case of `store` that mirrors `origin_case`.
async fn mirror_of(store: &dyn Store, origin_case: &str) -> Option<String> {
    for id in store.case_ids().await.unwrap() {
        if store.mirror(&id).await.unwrap().is_some_and(|m| m.origin_case == origin_case) {
            return Some(id);
        }
    }
    None
}

const REPORTER: &str = "security@alibaba-cloud.example";

/// The company's instance: Alibaba Cloud and Apache local, the MIIT platform remote.
async fn company_setup(store: &dyn Store) -> String {
    org(store, "alibaba-cloud", vec![Role::Discoverer], Jurisdiction::CN).await;
    org(store, "apache", vec![Role::ProductProvider], "US".parse().unwrap()).await;
    org(store, "miit-nvdb", vec![Role::RegulatorPlatform], Jurisdiction::CN).await;
    account(store, Some("alibaba-cloud"), REPORTER, vec![AccountRole::Reporter]).await
}

/// A platform's instance: the platform local with an analyst, its neighbours remote.
async fn platform_setup(store: &dyn Store, id: &str, role: Role, remote: &[(&str, Role)]) -> String {
    org(store, id, vec![role], Jurisdiction::CN).await;
    for (other, role) in remote {
        org(store, other, vec![*role], Jurisdiction::CN).await;
    }
    account(store, Some(id), &format!("analyst@{id}.example"), vec![AccountRole::Analyst]).await
}

#[tokio::test]
async fn a_report_travels_the_chain_with_signed_receipts_and_what_cnvd_records_flows_back() {
    let dbs =
        vec![TestDb::sqlite().await, TestDb::sqlite().await, TestDb::sqlite().await, TestDb::sqlite().await];
    the_chain(dbs).await;
}

#[tokio::test]
async fn the_chain_on_postgresql() {
    let mut dbs = Vec::new();
    for _ in 0..4 {
        // Runs when VULNRELAY_TEST_DATABASE_URL names a server.
        let Some(db) = TestDb::postgres().await else { return };
        dbs.push(db);
    }
    the_chain(dbs).await;
}

/// The four instances of the chain, running and peered, with an API token per party.
struct Chain {
    company: Node,
    nvdb: Node,
    cnvd: Node,
    cnnvd: Node,
    reporter: String,
    nvdb_analyst: String,
    cnvd_analyst: String,
}

/// Starts the chain on four databases: the company's instance (Alibaba Cloud, with
/// the MIIT platform remote), NVDB's (forwarding on verification to CNVD and CNNVD),
/// CNVD's and CNNVD's.
async fn chain(dbs: Vec<TestDb>) -> Chain {
    let listeners: Vec<TcpListener> = futures_listeners(4).await;
    let urls: Vec<String> = listeners.iter().map(|l| format!("http://{}", l.local_addr().unwrap())).collect();
    let mut dbs = dbs.into_iter();
    let (company_db, nvdb_db, cnvd_db, cnnvd_db) =
        (dbs.next().unwrap(), dbs.next().unwrap(), dbs.next().unwrap(), dbs.next().unwrap());

    let reporter = company_setup(&*company_db.store).await;
    peer(&*company_db.store, "nvdb", &urls[1], 2, &["miit-nvdb"]).await;

    let nvdb_analyst = platform_setup(
        &*nvdb_db.store,
        "miit-nvdb",
        Role::RegulatorPlatform,
        &[("cnvd", Role::NationalVulnerabilityDb), ("cnnvd", Role::NationalVulnerabilityDb)],
    )
    .await;
    peer(&*nvdb_db.store, "company", &urls[0], 1, &["alibaba-cloud"]).await;
    peer(&*nvdb_db.store, "cnvd", &urls[2], 3, &["cnvd"]).await;
    peer(&*nvdb_db.store, "cnnvd", &urls[3], 4, &["cnnvd"]).await;

    let cnvd_analyst = platform_setup(
        &*cnvd_db.store,
        "cnvd",
        Role::NationalVulnerabilityDb,
        &[("miit-nvdb", Role::RegulatorPlatform)],
    )
    .await;
    peer(&*cnvd_db.store, "nvdb", &urls[1], 2, &["miit-nvdb"]).await;
    platform_setup(
        &*cnnvd_db.store,
        "cnnvd",
        Role::NationalVulnerabilityDb,
        &[("miit-nvdb", Role::RegulatorPlatform)],
    )
    .await;
    peer(&*cnnvd_db.store, "nvdb", &urls[1], 2, &["miit-nvdb"]).await;

    let mut listeners = listeners.into_iter();
    let company =
        start(company_db, 1, &["alibaba-cloud"], Forwarding::default(), listeners.next().unwrap()).await;
    let nvdb = start_nvdb(nvdb_db, listeners.next().unwrap()).await;
    let cnvd = start(cnvd_db, 3, &["cnvd"], Forwarding::default(), listeners.next().unwrap()).await;
    let cnnvd = start(cnnvd_db, 4, &["cnnvd"], Forwarding::default(), listeners.next().unwrap()).await;
    Chain { company, nvdb, cnvd, cnnvd, reporter, nvdb_analyst, cnvd_analyst }
}

/// The NVDB instance: forwards a case to CNVD and CNNVD when it verifies it.
async fn start_nvdb(db: TestDb, listener: TcpListener) -> Node {
    let rules = forwarding(&[("miit-nvdb", Trigger::Verified, &["cnvd", "cnnvd"])]);
    start(db, 2, &["miit-nvdb"], rules, listener).await
}

/// Alibaba Cloud reports to the MIIT platform on the company's instance: the case.
async fn report_to_nvdb(company: &Node, reporter: &str, title: &str) -> String {
    let mut report = common::report();
    report["platform"] = json!("miit-nvdb");
    report["title"] = json!(title);
    let (status, answer) =
        call(reqwest::Method::POST, format!("{}/api/v1/reports", company.base), reporter, Some(report)).await;
    assert_eq!(status, 201, "{answer}");
    answer["case"].as_str().unwrap().to_owned()
}

/// Records an event on a case through the API; returns the answer.
async fn record(node: &Node, token: &str, case: &str, event: Value) -> Value {
    let (status, answer) =
        call(reqwest::Method::POST, format!("{}/api/v1/cases/{case}/events", node.base), token, Some(event))
            .await;
    assert_eq!(status, 201, "{answer}");
    answer
}

/// CNVD assigns its ID to a case through the API; returns the ID.
async fn assign_cnvd_id(cnvd: &Node, token: &str, case: &str) -> String {
    let (status, answer) = call(
        reqwest::Method::POST,
        format!("{}/api/v1/cases/{case}/ids", cnvd.base),
        token,
        Some(json!({"template": "CNVD-{YYYY}-{NNNNN}"})),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    answer["id"].as_str().unwrap().to_owned()
}

/// Waits until every relay of every node is delivered.
async fn all_delivered(nodes: &[&Node]) {
    // Every relay delivered on every node, and the same relays on two checks in a row:
    // a delivery to one node can queue a relay on another already checked, so neither
    // one node at a time nor one pass over them is a resting state.
    let mut previous: Option<Vec<usize>> = None;
    for _ in 0..600 {
        let mut counts = Some(Vec::new());
        for node in nodes {
            let relays = node.db.store.relays(None).await.unwrap();
            match &mut counts {
                Some(c)
                    if relays
                        .iter()
                        .all(|r| r.state == vulnrelay_store::warnings::DeliveryState::Delivered) =>
                {
                    c.push(relays.len())
                }
                _ => counts = None,
            }
        }
        if counts.is_some() && counts == previous {
            return;
        }
        previous = counts;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never happened: every relay delivered");
}

/// A report's files: a crash trace and a proof of concept marked as exploit code.
fn report_files() -> Value {
    json!([
        {"filename": "crash.log", "media_type": "text/plain", "content_base64": "bG9nNGoyIEpOREkgbG9va3VwIGNyYXNoIHRyYWNl"},
        {"filename": "poc.txt", "media_type": "text/plain", "exploit_code": true,
         "content_base64": "JHtqbmRpOmxkYXA6Ly8xMjcuMC4wLjEvYX0="},
    ])
}

/// The files of case `case` at `node`, by name, with their exploit-code mark, each
/// checked against its stored SHA-256.
async fn mirror_files(node: &Node, case: &str) -> Vec<(String, bool)> {
    let mut files = Vec::new();
    for a in node.db.store.attachments(case).await.unwrap() {
        let (meta, bytes) = node.db.store.attachment(case, &a.id).await.unwrap();
        assert_eq!(vulnrelay_federation::sha256_hex(&bytes), meta.sha256, "{}", meta.filename);
        files.push((meta.filename, meta.exploit_code));
    }
    files.sort();
    files
}

async fn the_chain(dbs: Vec<TestDb>) {
    let Chain { company, nvdb, cnvd, cnnvd, reporter, nvdb_analyst, cnvd_analyst } = chain(dbs).await;

    // The instance publishes its identity.
    let (status, known) =
        call(reqwest::Method::GET, format!("{}/.well-known/vulnrelay.json", nvdb.base), "", None).await;
    assert_eq!(status, 200);
    assert_eq!(known["instance"], nvdb.public_key());
    assert_eq!(known["operates"][0]["id"], "miit-nvdb");
    assert_eq!(known["relay_format"], "vulnrelay/relay/v1");

    // 1. Alibaba Cloud reports to the MIIT platform, which its instance knows as remote,
    // with a crash trace and its proof of concept (exploit code).
    let mut report = common::report();
    report["platform"] = json!("miit-nvdb");
    report["attachments"] = report_files();
    let (status, answer) =
        call(reqwest::Method::POST, format!("{}/api/v1/reports", company.base), &reporter, Some(report))
            .await;
    assert_eq!(status, 201, "{answer}");
    let origin = answer["case"].as_str().unwrap().to_owned();

    // The platform's signed receipt comes back and is on the origin case's timeline.
    let receipt: SignedReceipt = eventually("the NVDB receipt on the company's relay", || async {
        let relays = company.db.store.relays(Some(&origin)).await.unwrap();
        let text = relays.iter().find(|r| r.to_org == "miit-nvdb")?.receipt.clone()?;
        Some(serde_json::from_str(&text).unwrap())
    })
    .await;
    receipt.verify(&nvdb.public_key()).expect("the receipt is signed by the NVDB instance");
    assert_eq!(receipt.receipt.receiver_org, "miit-nvdb");
    let (status, timeline) =
        call(reqwest::Method::GET, format!("{}/api/v1/cases/{origin}/events", company.base), &reporter, None)
            .await;
    assert_eq!(status, 200, "{timeline}");
    let events = timeline["events"].as_array().unwrap();
    let attested = events
        .iter()
        .find(|e| e["event"]["type"] == "attested")
        .unwrap_or_else(|| panic!("no receipt on the timeline: {timeline}"));
    assert!(attested.to_string().contains(&receipt.receipt.received_at), "{attested}");
    // The receipt is recorded-quality evidence of when the platform got the report: the
    // receiver's own time, recorded by the sender as it arrived.
    let loaded = vulnrelay_server::casefile::load(&company.state, &origin).await.unwrap();
    let index = loaded.events.iter().position(|e| e.body.contains("\"type\":\"attested\"")).unwrap();
    assert_eq!(loaded.evidence[index], vulnrelay_domain::EvidenceQuality::Recorded);

    // The NVDB instance holds the mirror, with its provenance; the receipt carries the
    // time NVDB recorded the notification, and the head of what it stored.
    let mirror = mirror_of(&*nvdb.db.store, &origin).await.expect("a mirror at NVDB");
    assert_eq!(receipt.receipt.stored_case, mirror);
    let stored = nvdb.db.store.events(&mirror).await.unwrap();
    let notified = stored.iter().find(|e| e.body.contains("\"to\":\"miit-nvdb\"")).unwrap();
    assert_eq!(vulnrelay_store::time::format_ts(notified.recorded_at), receipt.receipt.received_at);
    assert_eq!(stored.last().unwrap().hash, receipt.receipt.stored_head);
    // The origin's events are on the mirror as the origin recorded them.
    let origin_events = company.db.store.events(&origin).await.unwrap();
    let relayed =
        usize::try_from(nvdb.db.store.mirror(&mirror).await.unwrap().unwrap().relayed_events).unwrap();
    assert_eq!(relayed, origin_events.len() - 1, "the attested receipt came after the relay");
    for (theirs, ours) in origin_events.iter().zip(&stored).take(relayed) {
        assert_eq!((theirs.at, &theirs.body), (ours.at, &ours.body));
    }
    let (_, relays) = call(
        reqwest::Method::GET,
        format!("{}/api/v1/cases/{mirror}/relays", nvdb.base),
        &nvdb_analyst,
        None,
    )
    .await;
    assert_eq!(relays["mirror_of"]["origin_case"], origin);
    assert_eq!(relays["mirror_of"]["peer"], "company");

    // The report and its files are on the mirror, exploit code too: the platform's
    // analysts may read it, here as on the origin.
    let (status, shown) =
        call(reqwest::Method::GET, format!("{}/api/v1/cases/{mirror}", nvdb.base), &nvdb_analyst, None).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(mirror_files(&nvdb, &mirror).await, [("crash.log".into(), false), ("poc.txt".into(), true)]);
    let report_there = nvdb.db.store.report(&mirror).await.expect("the report is on the mirror");
    assert_eq!(report_there.body["title"], company.db.store.report(&origin).await.unwrap().body["title"]);

    // 2. The platform verifies; its forwarding rules carry the case on to CNVD and CNNVD.
    let answer = record(&nvdb, &nvdb_analyst, &mirror, json!({"type": "verified"})).await;
    let forwarded: Vec<&str> =
        answer["forwarded"].as_array().unwrap().iter().filter_map(|f| f["to"].as_str()).collect();
    assert_eq!(forwarded, ["cnvd", "cnnvd"]);
    let cnvd_mirror = eventually("the mirror at CNVD", || mirror_of(&*cnvd.db.store, &mirror)).await;
    assert_eq!(
        mirror_files(&cnvd, &cnvd_mirror).await,
        [("crash.log".into(), false), ("poc.txt".into(), true)]
    );
    eventually("the mirror at CNNVD", || mirror_of(&*cnnvd.db.store, &mirror)).await;
    // What NVDB relays after the mirror exists still lands on it: recording an event
    // before then is refused as stale (the API's answer to a case that moved), so wait
    // for every relay to be delivered.
    all_delivered(&[&company, &nvdb, &cnvd, &cnnvd]).await;

    // 3. CNVD records its own verification: it flows back to NVDB, and on to the origin.
    let (status, answer) = call(
        reqwest::Method::POST,
        format!("{}/api/v1/cases/{cnvd_mirror}/events", cnvd.base),
        &cnvd_analyst,
        Some(json!({"type": "verified", "note": "CNVD verified; CNVD ID assigned"})),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    eventually("CNVD's verification on the origin case", || async {
        let events = company.db.store.events(&origin).await.unwrap();
        events
            .iter()
            .any(|e| e.body.contains("\"party\":\"cnvd\"") && e.body.contains("verified"))
            .then_some(())
    })
    .await;
    let origin_events = company.db.store.events(&origin).await.unwrap();
    // The platform's verification and its forwards flowed back too, once each.
    let count = |needle: &str| origin_events.iter().filter(|e| e.body.contains(needle)).count();
    assert_eq!(count("\"party\":\"miit-nvdb\",\"type\":\"verified\""), 1);
    assert_eq!(count("\"to\":\"cnvd\""), 1);
    assert_eq!(count("CNVD ID assigned"), 1);

    // 4. A follow-up at the origin — Alibaba Cloud tells Apache, after the forward — follows
    //    the case down the chain to every mirror, once each, and never comes back.
    record(&company, &reporter, &origin, json!({"type": "notified", "to": "apache"})).await;
    let to_apache = "\"to\":\"apache\"";
    for (node, case) in [(&nvdb, &mirror), (&cnvd, &cnvd_mirror)] {
        eventually("the follow-up on the mirror", || async {
            let events = node.db.store.events(case).await.unwrap();
            events.iter().any(|e| e.body.contains(to_apache)).then_some(())
        })
        .await;
    }
    let cnnvd_mirror = mirror_of(&*cnnvd.db.store, &mirror).await.unwrap();
    eventually("the follow-up at CNNVD", || async {
        let events = cnnvd.db.store.events(&cnnvd_mirror).await.unwrap();
        events.iter().any(|e| e.body.contains(to_apache)).then_some(())
    })
    .await;

    // 5. CNVD assigns its ID to the case, and a second one after it (a follow-up); the
    //    record flows back along the chain as a record: the origin case holds the
    //    identifiers, once each.
    let mut assigned = Vec::new();
    for _ in 0..2 {
        assigned.push(assign_cnvd_id(&cnvd, &cnvd_analyst, &cnvd_mirror).await);
    }
    assert!(assigned[0].starts_with("CNVD-") && assigned[0] != assigned[1], "{assigned:?}");
    let record = eventually("CNVD's ids on the origin case", || async {
        let records = company.db.store.vulnerabilities(Some(&origin)).await.unwrap();
        let record = records.into_iter().next()?;
        let text = record.record.to_string();
        assigned.iter().all(|id| text.contains(id.as_str())).then_some(record)
    })
    .await;
    assert_eq!(record.id, assigned[0]);
    assert_eq!(record.record["aliases"], json!([assigned[1]]));
    assert_eq!(company.db.store.vulnerabilities(Some(&origin)).await.unwrap().len(), 1);
    // Found by the CNVD ID on the company's instance, by the reporter.
    let (status, shown) = call(
        reqwest::Method::GET,
        format!("{}/api/v1/vulnerabilities/{}", company.base, assigned[1]),
        &reporter,
        None,
    )
    .await;
    assert_eq!(status, 200, "{shown}");
    // The NVDB mirror holds it too; every relay along the chain, records included, is
    // delivered in the end.
    assert_eq!(nvdb.db.store.vulnerability(&assigned[1]).await.unwrap().case_id.as_deref(), Some(&*mirror));
    all_delivered(&[&company, &nvdb, &cnvd, &cnnvd]).await;
    for (node, case) in
        [(&company, &origin), (&nvdb, &mirror), (&cnvd, &cnvd_mirror), (&cnnvd, &cnnvd_mirror)]
    {
        let events = node.db.store.events(case).await.unwrap();
        assert_eq!(events.iter().filter(|e| e.body.contains(to_apache)).count(), 1, "{case}");
    }
    let records_relays = cnvd.db.store.relays(Some(&cnvd_mirror)).await.unwrap();
    assert_eq!(records_relays.iter().filter(|r| r.idempotency_key.starts_with("records/")).count(), 2);

    // Every chain still verifies on every instance.
    for node in [&company, &nvdb, &cnvd, &cnnvd] {
        assert!(node.db.store.verify().await.unwrap().broken.is_empty());
    }

    for node in [company, nvdb, cnvd, cnnvd] {
        node.stop().await;
    }
}

#[tokio::test]
async fn the_nvdb_instance_killed_for_30_s_mid_chain_loses_nothing_and_duplicates_nothing() {
    let dbs =
        vec![TestDb::sqlite().await, TestDb::sqlite().await, TestDb::sqlite().await, TestDb::sqlite().await];
    let Chain { company, nvdb, cnvd, cnnvd, reporter, nvdb_analyst, cnvd_analyst } = chain(dbs).await;

    // Before the outage: a report reaches NVDB, which verifies it and forwards it on.
    let first = report_to_nvdb(&company, &reporter, "Reported before the outage").await;
    let mirror = eventually("the mirror at NVDB", || mirror_of(&*nvdb.db.store, &first)).await;
    record(&nvdb, &nvdb_analyst, &mirror, json!({"type": "verified"})).await;
    let cnvd_mirror = eventually("the mirror at CNVD", || mirror_of(&*cnvd.db.store, &mirror)).await;
    // The report's files went along, two hops.
    assert_eq!(
        mirror_files(&cnvd, &cnvd_mirror).await,
        [("Poc.java".into(), true), ("README.txt".into(), false)]
    );
    eventually("the mirror at CNNVD", || mirror_of(&*cnnvd.db.store, &mirror)).await;

    // NVDB is killed in the middle of the chain, for 30 s of wall time. Meanwhile both of
    // its neighbours go on: the company reports again; CNVD verifies and assigns its ID,
    // which must flow back through NVDB.
    let address = nvdb.base.trim_start_matches("http://").to_owned();
    let nvdb_db = nvdb.kill().await;
    let second = report_to_nvdb(&company, &reporter, "Reported while the platform is down").await;
    record(&cnvd, &cnvd_analyst, &cnvd_mirror, json!({"type": "verified", "note": "CNVD verified"})).await;
    let cnvd_id = assign_cnvd_id(&cnvd, &cnvd_analyst, &cnvd_mirror).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    // What was sent towards NVDB failed and waits in the senders' outboxes.
    for (node, case) in [(&company, &second), (&cnvd, &cnvd_mirror)] {
        let relays = node.db.store.relays(Some(case)).await.unwrap();
        let waiting: Vec<_> = relays
            .iter()
            .filter(|r| {
                r.state == vulnrelay_store::warnings::DeliveryState::Pending && r.last_error.is_some()
            })
            .collect();
        assert!(!waiting.is_empty(), "{relays:?}");
    }

    // NVDB comes back on the same address with its database.
    let restarted_at = vulnrelay_store::time::truncate(Utc::now());
    let nvdb = start_nvdb(nvdb_db, TcpListener::bind(&address).await.unwrap()).await;
    let nodes = [&company, &nvdb, &cnvd, &cnnvd];
    eventually("the second report's mirror at NVDB", || mirror_of(&*nvdb.db.store, &second)).await;
    eventually("CNVD's ID on the origin case", || async {
        company.db.store.vulnerability(&cnvd_id).await.ok().filter(|v| v.case_id.as_deref() == Some(&*first))
    })
    .await;
    eventually("CNVD's verification on the origin case", || async {
        let events = company.db.store.events(&first).await.unwrap();
        events.iter().any(|e| e.body.contains("\"party\":\"cnvd\",\"type\":\"verified\"")).then_some(())
    })
    .await;
    all_delivered(&nodes).await;

    // Nothing lost, nothing duplicated: one mirror per forward, each event flowed back
    // once, one receipt per forward on the origin's timeline, one record.
    let mirrors = |node: &Node| {
        let store = node.db.store.clone();
        async move {
            let mut origins = Vec::new();
            for id in store.case_ids().await.unwrap() {
                origins.push(store.mirror(&id).await.unwrap().unwrap().origin_case);
            }
            origins.sort();
            origins
        }
    };
    let mut both = vec![first.clone(), second.clone()];
    both.sort();
    assert_eq!(mirrors(&nvdb).await, both);
    assert_eq!(mirrors(&cnvd).await, std::slice::from_ref(&mirror));
    assert_eq!(mirrors(&cnnvd).await, std::slice::from_ref(&mirror));
    let count = |events: &[vulnrelay_store::StoredEvent], needle: &str| {
        events.iter().filter(|e| e.body.contains(needle)).count()
    };
    let origin_events = company.db.store.events(&first).await.unwrap();
    assert_eq!(count(&origin_events, "\"party\":\"cnvd\",\"type\":\"verified\""), 1);
    assert_eq!(count(&origin_events, "\"party\":\"miit-nvdb\",\"type\":\"verified\""), 1);
    assert_eq!(count(&origin_events, "\"type\":\"attested\""), 1);
    let second_events = company.db.store.events(&second).await.unwrap();
    assert_eq!(count(&second_events, "\"type\":\"attested\""), 1);
    let nvdb_events = nvdb.db.store.events(&mirror).await.unwrap();
    assert_eq!(count(&nvdb_events, "\"party\":\"cnvd\",\"type\":\"verified\""), 1);
    assert_eq!(company.db.store.vulnerabilities(Some(&first)).await.unwrap().len(), 1);

    // Every receipt names a head the receiver really has; a receipt for events carries
    // the time the receiver recorded them; what reached NVDB after its restart carries
    // a time after it.
    for sender in nodes {
        for relay in sender.db.store.relays(None).await.unwrap() {
            let receipt: SignedReceipt = serde_json::from_str(relay.receipt.as_deref().unwrap()).unwrap();
            let receiver =
                nodes.iter().find(|n| n.public_key() == receipt.receipt.receiver_instance).unwrap();
            receipt.verify(&receiver.public_key()).unwrap();
            let stored = receiver.db.store.events(&receipt.receipt.stored_case).await.unwrap();
            let head = stored.iter().find(|e| e.hash == receipt.receipt.stored_head).unwrap_or_else(|| {
                panic!("{}: the receipt's head is not on the receiver's case", relay.idempotency_key)
            });
            if !relay.idempotency_key.starts_with("records/") {
                assert_eq!(
                    vulnrelay_store::time::format_ts(head.recorded_at),
                    receipt.receipt.received_at,
                    "{}",
                    relay.idempotency_key
                );
            }
            let received_at = vulnrelay_store::time::parse_ts(&receipt.receipt.received_at).unwrap();
            let during_outage = [&second, &cnvd_mirror].contains(&&relay.case_id)
                && receiver.public_key() == nvdb.public_key();
            if during_outage {
                assert!(received_at >= restarted_at, "{}: {received_at}", relay.idempotency_key);
            }
        }
    }
    for node in [&company, &nvdb, &cnvd, &cnnvd] {
        assert!(node.db.store.verify().await.unwrap().broken.is_empty());
    }
    for node in [company, nvdb, cnvd, cnnvd] {
        node.stop().await;
    }
}

/// A stand-in for CNVD's instance on the wire: serves CNVD's CSAF provider under its
/// own URL (the metadata's links rewritten to it), every file byte for byte but two
/// documents: one altered (its `.sha512` kept), one altered with a `.sha512` made to
/// match (its signature kept).
async fn tampering_proxy(cnvd: String, listener: TcpListener) -> tokio::task::JoinHandle<()> {
    let own = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let (cnvd, own) = (cnvd.clone(), own.clone());
        async move {
            let path = uri.path().to_owned();
            let fetch = |url: String| async move {
                let response = reqwest::get(url).await.unwrap();
                (response.status().as_u16(), response.bytes().await.unwrap().to_vec())
            };
            let tamper =
                |bytes: Vec<u8>| String::from_utf8(bytes).unwrap().replacen("Log4j", "L0g4j", 1).into_bytes();
            let (status, bytes) = if path.ends_with("provider-metadata.json") {
                let (status, bytes) = fetch(format!("{cnvd}{path}")).await;
                (status, String::from_utf8(bytes).unwrap().replace(&cnvd, &own).into_bytes())
            } else if (path.contains("cve-2021-45046") || path.contains("cve-2021-44228"))
                && path.ends_with(".json")
            {
                let (status, bytes) = fetch(format!("{cnvd}{path}")).await;
                (status, tamper(bytes))
            } else if path.contains("cve-2021-44228") && path.ends_with(".json.sha512") {
                let document = fetch(format!("{cnvd}{}", path.trim_end_matches(".sha512"))).await.1;
                let digest = <sha2::Sha512 as sha2::Digest>::digest(tamper(document));
                (200, format!("{}  tampered.json\n", hex::encode(digest)).into_bytes())
            } else {
                fetch(format!("{cnvd}{path}")).await
            };
            (axum::http::StatusCode::from_u16(status).unwrap(), bytes)
        }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    })
}

#[tokio::test]
async fn an_instance_aggregates_its_peers_csaf_providers_and_refuses_tampered_documents() {
    let (cnvd_listener, nvdb_listener, proxy_listener) = (
        TcpListener::bind("127.0.0.1:0").await.unwrap(),
        TcpListener::bind("127.0.0.1:0").await.unwrap(),
        TcpListener::bind("127.0.0.1:0").await.unwrap(),
    );
    let cnvd_url = format!("http://{}", cnvd_listener.local_addr().unwrap());
    let proxy_url = format!("http://{}", proxy_listener.local_addr().unwrap());
    let (cnvd_db, nvdb_db) = (TestDb::sqlite().await, TestDb::sqlite().await);
    let cnvd_analyst = platform_setup(&*cnvd_db.store, "cnvd", Role::NationalVulnerabilityDb, &[]).await;
    platform_setup(&*nvdb_db.store, "miit-nvdb", Role::RegulatorPlatform, &[]).await;
    // NVDB peers with CNVD, and (as another peer) with the stand-in that tampers.
    peer(&*nvdb_db.store, "cnvd", &cnvd_url, 3, &["cnvd"]).await;
    peer(&*nvdb_db.store, "tampered", &proxy_url, 8, &[]).await;
    let cnvd = start(cnvd_db, 3, &["cnvd"], Forwarding::default(), cnvd_listener).await;
    let dir = tempfile::tempdir().unwrap();
    let key =
        vulnrelay_server::distribution::load_or_create_csaf_key(&dir.path().join("k.asc"), "CNVD").unwrap();
    cnvd.state.sign_csaf_with(key.clone());
    let proxy = tampering_proxy(cnvd_url.clone(), proxy_listener).await;
    // CNVD publishes two advisories (public records of no case).
    for document in [
        include_str!("../../../../testdata/examples/cve/CVE-2021-44228.json"),
        include_str!("../../../../testdata/examples/cve/CVE-2021-45046.json"),
    ] {
        let response = reqwest::Client::new()
            .post(format!("{cnvd_url}/api/v1/import"))
            .bearer_auth(&cnvd_analyst)
            .body(document)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201, "{}", response.text().await.unwrap());
    }
    let nvdb = start(nvdb_db, 2, &["miit-nvdb"], Forwarding::default(), nvdb_listener).await;

    // The worker mirrors both of CNVD's documents, checked.
    let mirrored = eventually("CNVD's documents mirrored at NVDB", || async {
        let documents = nvdb.db.store.mirrored_documents(Some("cnvd")).await.unwrap();
        (documents.len() == 2).then_some(documents)
    })
    .await;
    // Through the stand-in, both altered documents are refused and logged.
    let refusals = eventually("the tampered documents refused", || async {
        let logged = nvdb.db.store.relay_refusals(100).await.unwrap();
        let csaf: Vec<_> = logged.into_iter().filter(|r| r.idempotency_key.starts_with("csaf:")).collect();
        let both = csaf.iter().any(|r| r.reason.contains("SHA-512 mismatch"))
            && csaf.iter().any(|r| r.reason.contains("signature does not verify"));
        both.then_some(csaf)
    })
    .await;
    assert!(refusals.iter().all(|r| r.idempotency_key.contains(&proxy_url)), "{refusals:?}");
    assert_eq!(nvdb.db.store.mirrored_documents(Some("tampered")).await.unwrap(), []);

    // aggregator.json validates against the official schema and lists CNVD's provider
    // with its mirror here.
    let (status, aggregator) = call(
        reqwest::Method::GET,
        format!("{}/.well-known/csaf-aggregator/aggregator.json", nvdb.base),
        "",
        None,
    )
    .await;
    assert_eq!(status, 200, "{aggregator}");
    let problems =
        vulnrelay_formats::schemas::validate(vulnrelay_formats::schemas::Schema::CsafAggregator, &aggregator);
    assert_eq!(problems, [], "{aggregator}");
    let cnvd_entry = aggregator["csaf_providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["metadata"]["url"] == format!("{cnvd_url}/.well-known/csaf/provider-metadata.json"))
        .unwrap_or_else(|| panic!("{aggregator}"));
    let mirror = cnvd_entry["mirrors"][0].as_str().unwrap();
    assert_eq!(mirror, format!("{}/.well-known/csaf-aggregator/cnvd/provider-metadata.json", nvdb.base));
    let (status, mirror_metadata) = call(reqwest::Method::GET, mirror.to_owned(), "", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        vulnrelay_formats::schemas::validate(
            vulnrelay_formats::schemas::Schema::CsafProvider,
            &mirror_metadata
        ),
        []
    );

    // The mirror serves each document byte for byte, with hashes and CNVD's signature.
    let get = |url: String| async move { reqwest::get(url).await.unwrap().bytes().await.unwrap().to_vec() };
    for document in &mirrored {
        let original = get(document.url.clone()).await;
        let base = format!("{}/.well-known/csaf-aggregator/cnvd/white/{}", nvdb.base, document.path);
        let copy = get(base.clone()).await;
        assert_eq!(copy, original);
        let signature = String::from_utf8(get(format!("{base}.asc")).await).unwrap();
        assert!(key.verify(&copy, &signature));
        let sha256 = String::from_utf8(get(format!("{base}.sha256")).await).unwrap();
        assert!(sha256.starts_with(&hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&copy))), "{sha256}");
    }
    let index = String::from_utf8(
        get(format!("{}/.well-known/csaf-aggregator/cnvd/white/index.txt", nvdb.base)).await,
    )
    .unwrap();
    assert_eq!(index.lines().count(), 2, "{index}");

    // One portal page lists the advisories of the chain: NVDB's own and CNVD's.
    let page = String::from_utf8(get(format!("{}/advisories", nvdb.base)).await).unwrap();
    for document in &mirrored {
        assert!(page.contains(&document.tracking_id), "{} not on the portal page", document.tracking_id);
    }

    proxy.abort();
    cnvd.stop().await;
    nvdb.stop().await;
}

async fn futures_listeners(n: usize) -> Vec<TcpListener> {
    let mut listeners = Vec::with_capacity(n);
    for _ in 0..n {
        listeners.push(TcpListener::bind("127.0.0.1:0").await.unwrap());
    }
    listeners
}

/// The company's instance with the report relayed nowhere yet (its peer's URL answers
/// nothing), and the NVDB instance running: returns both, the origin case and the
/// envelope the company signed for NVDB.
async fn company_and_nvdb(nvdb_url_at_company: Option<&str>) -> (Node, Node, String, TcpListener) {
    let (company_listener, nvdb_listener) =
        (TcpListener::bind("127.0.0.1:0").await.unwrap(), TcpListener::bind("127.0.0.1:0").await.unwrap());
    let company_url = format!("http://{}", company_listener.local_addr().unwrap());
    let nvdb_url = format!("http://{}", nvdb_listener.local_addr().unwrap());
    let company_db = TestDb::sqlite().await;
    let nvdb_db = TestDb::sqlite().await;
    let reporter = company_setup(&*company_db.store).await;
    peer(&*company_db.store, "nvdb", nvdb_url_at_company.unwrap_or(&nvdb_url), 2, &["miit-nvdb"]).await;
    platform_setup(&*nvdb_db.store, "miit-nvdb", Role::RegulatorPlatform, &[]).await;
    account(&*nvdb_db.store, None, "admin@nvdb.example", vec![AccountRole::Admin]).await;
    peer(&*nvdb_db.store, "company", &company_url, 1, &["alibaba-cloud"]).await;
    let company = start(company_db, 1, &["alibaba-cloud"], Forwarding::default(), company_listener).await;
    let nvdb = start(nvdb_db, 2, &["miit-nvdb"], Forwarding::default(), nvdb_listener).await;
    let mut report = common::report();
    report["platform"] = json!("miit-nvdb");
    let (status, answer) =
        call(reqwest::Method::POST, format!("{}/api/v1/reports", company.base), &reporter, Some(report))
            .await;
    assert_eq!(status, 201, "{answer}");
    let origin = answer["case"].as_str().unwrap().to_owned();
    // A listener the caller may use to stand in for an instance.
    (company, nvdb, origin, TcpListener::bind("127.0.0.1:0").await.unwrap())
}

async fn post_envelope(base: &str, envelope: &SignedEnvelope) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/federation/relay"))
        .json(envelope)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn forged_replayed_tampered_and_unpeered_envelopes_are_refused_logged_and_change_nothing() {
    // The company relays to an address where nothing listens: its envelope waits.
    let (company, nvdb, origin, _) = company_and_nvdb(Some("http://127.0.0.1:9")).await;
    let relay = eventually("the relay written", || async {
        company.db.store.relays(Some(&origin)).await.unwrap().into_iter().next()
    })
    .await;
    let signed: SignedEnvelope = serde_json::from_str(&relay.envelope).unwrap();
    signed.verify(&company.public_key()).unwrap();
    let company_key = Identity::from_seed([1; 32]);
    let stranger = Identity::from_seed([9; 32]);

    // Delivered once: a receipt, a mirror.
    let (status, first) = post_envelope(&nvdb.base, &signed).await;
    assert_eq!(status, 200, "{first}");
    let receipt: SignedReceipt = serde_json::from_value(first.clone()).unwrap();
    receipt.verify(&nvdb.public_key()).unwrap();
    let cases = || async { nvdb.db.store.case_ids().await.unwrap() };
    let before = cases().await;
    assert_eq!(before.len(), 1);
    let events_before = nvdb.db.store.events(&before[0]).await.unwrap();

    // The same envelope again: the same receipt, nothing written.
    let (status, again) = post_envelope(&nvdb.base, &signed).await;
    assert_eq!((status, &again), (200, &first));

    let mut refused = Vec::new();
    // A replayed key with other content (validly signed).
    let mut other = signed.envelope.clone();
    other.case.title = "Another title".into();
    refused.push(("replay", post_envelope(&nvdb.base, &company_key.sign_envelope(other)).await, 409));
    // A tampered event: its content changed, its hash kept, signed again by the sender.
    let mut tampered = signed.envelope.clone();
    tampered.case.events[0].body = tampered.case.events[0].body.replace("2021-11-24", "2021-12-20");
    refused.push((
        "tampered hash",
        post_envelope(&nvdb.base, &company_key.sign_envelope(tampered.clone())).await,
        422,
    ));
    // The same tampering under the original signature.
    let forged_body = SignedEnvelope { envelope: tampered, signature: signed.signature.clone() };
    refused.push(("tampered, old signature", post_envelope(&nvdb.base, &forged_body).await, 403));
    // Forged: the company's key named, a stranger's signature.
    let mut forged = stranger.sign_envelope(signed.envelope.clone());
    forged.envelope.from_instance = company.public_key();
    refused.push(("forged", post_envelope(&nvdb.base, &forged).await, 403));
    // An unknown key, not a peer, signing its own envelope.
    let mut unpeered = signed.envelope.clone();
    unpeered.from_instance = stranger.public_key();
    unpeered.idempotency_key = "forward/unpeered/1".into();
    refused.push(("not a peer", post_envelope(&nvdb.base, &stranger.sign_envelope(unpeered)).await, 403));
    for (what, (status, body), expected) in &refused {
        assert_eq!(status, expected, "{what}: {body}");
        assert_eq!(body["error"]["code"], "relay_refused", "{what}: {body}");
    }
    // Not JSON at all.
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/federation/relay", nvdb.base))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);

    // Nothing changed; every refusal is logged.
    assert_eq!(cases().await, before);
    assert_eq!(nvdb.db.store.events(&before[0]).await.unwrap(), events_before);
    let logged = nvdb.db.store.relay_refusals(100).await.unwrap();
    assert_eq!(logged.len(), refused.len() + 1, "{logged:?}");
    let admin = account(&*nvdb.db.store, None, "auditor-admin@nvdb.example", vec![AccountRole::Admin]).await;
    let (status, listed) =
        call(reqwest::Method::GET, format!("{}/api/v1/federation/refusals", nvdb.base), &admin, None).await;
    assert_eq!(status, 200);
    assert!(listed.to_string().contains("not a configured peer"), "{listed}");
    company.stop().await;
    nvdb.stop().await;
}

#[tokio::test]
async fn the_receiving_instance_down_mid_relay_loses_nothing_and_duplicates_nothing() {
    let (company, nvdb, origin, _) = company_and_nvdb(None).await;
    // The first relay may have gone through already; the one this test follows is a
    // second report, sent while the NVDB instance is down.
    eventually("the first report's receipt", || async {
        company.db.store.relays(Some(&origin)).await.unwrap().into_iter().find_map(|r| r.receipt)
    })
    .await;
    let address = nvdb.base.trim_start_matches("http://").to_owned();
    let nvdb_db = nvdb.stop().await;

    let reporter = account(
        &*company.db.store,
        Some("alibaba-cloud"),
        "second@alibaba-cloud.example",
        vec![AccountRole::Reporter],
    )
    .await;
    let mut report = common::report();
    report["platform"] = json!("miit-nvdb");
    report["title"] = json!("A second report, sent while the platform's instance is down");
    let (status, answer) =
        call(reqwest::Method::POST, format!("{}/api/v1/reports", company.base), &reporter, Some(report))
            .await;
    assert_eq!(status, 201, "{answer}");
    let second = answer["case"].as_str().unwrap().to_owned();
    // Several attempts fail while it is down.
    let failing = eventually("three failed attempts", || async {
        let relay = company.db.store.relays(Some(&second)).await.unwrap().into_iter().next()?;
        (relay.attempts >= 3 && relay.last_error.is_some() && relay.receipt.is_none()).then_some(relay)
    })
    .await;
    assert_eq!(failing.state, vulnrelay_store::warnings::DeliveryState::Pending);

    // It comes back on the same address with its database.
    let restarted_at = Utc::now();
    let listener = TcpListener::bind(&address).await.unwrap();
    let nvdb = start(nvdb_db, 2, &["miit-nvdb"], Forwarding::default(), listener).await;
    let receipt: SignedReceipt = eventually("the receipt after the restart", || async {
        let relay = company.db.store.relays(Some(&second)).await.unwrap().into_iter().next()?;
        Some(serde_json::from_str(&relay.receipt?).unwrap())
    })
    .await;
    receipt.verify(&nvdb.public_key()).unwrap();
    // The receipt carries the time the receiver recorded it: after it came back.
    let received_at = vulnrelay_store::time::parse_ts(&receipt.receipt.received_at).unwrap();
    assert!(received_at >= vulnrelay_store::time::truncate(restarted_at), "{received_at} {restarted_at}");

    // One mirror per report, one receipt per relay: nothing lost, nothing doubled.
    let mut mirrors = Vec::new();
    for id in nvdb.db.store.case_ids().await.unwrap() {
        mirrors.push(nvdb.db.store.mirror(&id).await.unwrap().unwrap().origin_case);
    }
    mirrors.sort();
    let mut expected = vec![origin.clone(), second.clone()];
    expected.sort();
    assert_eq!(mirrors, expected);
    for case in [&origin, &second] {
        let events = company.db.store.events(case).await.unwrap();
        assert_eq!(events.iter().filter(|e| e.body.contains("\"type\":\"attested\"")).count(), 1, "{case}");
        let relays = company.db.store.relays(Some(case)).await.unwrap();
        assert_eq!(relays.len(), 1);
        assert_eq!(relays[0].state, vulnrelay_store::warnings::DeliveryState::Delivered);
    }
    company.stop().await;
    nvdb.stop().await;
}

#[tokio::test]
async fn a_forward_to_a_remote_organisation_abroad_before_disclosure_is_refused_by_the_gates() {
    let (company, nvdb, origin, _) = company_and_nvdb(None).await;
    // A CERT abroad, hosted on a peer instance.
    org(&*company.db.store, "us-cert", vec![Role::CsirtCoordinator], "US".parse().unwrap()).await;
    peer(&*company.db.store, "abroad", "http://127.0.0.1:9", 7, &["us-cert"]).await;
    let reporter = account(
        &*company.db.store,
        Some("alibaba-cloud"),
        "psirt@alibaba-cloud.example",
        vec![AccountRole::Reporter],
    )
    .await;
    let (status, answer) = call(
        reqwest::Method::POST,
        format!("{}/api/v1/cases/{origin}/events", company.base),
        &reporter,
        Some(json!({"type": "notified", "to": "us-cert"})),
    )
    .await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["error"]["code"], "policy_gate");
    assert!(answer.to_string().contains("9"), "names the article: {answer}");
    // Nothing goes abroad.
    let relays = company.db.store.relays(Some(&origin)).await.unwrap();
    assert!(relays.iter().all(|r| r.to_org != "us-cert"), "{relays:?}");
    // The refusal is on the company's timeline, beside the log: what was attempted, by
    // whom, and the rule.
    let (status, kept) = call(
        reqwest::Method::GET,
        format!("{}/api/v1/cases/{origin}/refusals", company.base),
        &reporter,
        None,
    )
    .await;
    assert_eq!(status, 200, "{kept}");
    let refusals = kept["refusals"].as_array().unwrap();
    assert_eq!(refusals.len(), 1, "{kept}");
    assert_eq!(
        (refusals[0]["type"].as_str(), refusals[0]["to"].as_str()),
        (Some("notified"), Some("us-cert"))
    );
    assert_eq!(refusals[0]["party"], "alibaba-cloud");
    assert!(refusals[0]["rules"].to_string().contains("art9"), "{kept}");
    // Someone who may not read the case sees nothing of it.
    let outsider =
        account(&*company.db.store, Some("us-cert"), "analyst@us-cert.example", vec![AccountRole::Analyst])
            .await;
    let (status, _) = call(
        reqwest::Method::GET,
        format!("{}/api/v1/cases/{origin}/refusals", company.base),
        &outsider,
        None,
    )
    .await;
    assert_eq!(status, 404);
    company.stop().await;
    nvdb.stop().await;
}

/// An update from the NVDB instance (seed 2) to the company about `origin`, carrying one
/// event of mirror `m1` with `body`.
fn update(company: &Node, origin: &str, body: Value) -> SignedEnvelope {
    use vulnrelay_federation::{Envelope, Head, Kind, RelayedCase, RelayedEvent};
    let at = vulnrelay_store::time::truncate(Utc::now());
    let mut stored = vulnrelay_store::StoredEvent {
        case_id: "m1".into(),
        seq: 3,
        at,
        recorded_at: at,
        recorded_by: None,
        override_reason: None,
        body: vulnrelay_store::chain::canonical_json(&body),
        prev_hash: "ab".repeat(32),
        hash: String::new(),
    };
    stored.hash = vulnrelay_store::chain::event_hash(&stored);
    let event = RelayedEvent {
        seq: 3,
        at: vulnrelay_store::time::format_ts(at),
        recorded_at: vulnrelay_store::time::format_ts(at),
        recorded_by: None,
        override_reason: None,
        body: stored.body.clone(),
        prev_hash: stored.prev_hash.clone(),
        hash: stored.hash.clone(),
    };
    let nvdb = Identity::from_seed([2; 32]);
    nvdb.sign_envelope(Envelope {
        format: vulnrelay_federation::RELAY_FORMAT.into(),
        kind: Kind::Update,
        from_instance: nvdb.public_key(),
        to_instance: company.public_key(),
        from_org: "miit-nvdb".into(),
        to_org: "alibaba-cloud".into(),
        idempotency_key: format!("update/m1/3/{}", body["type"].as_str().unwrap_or_default()),
        case: RelayedCase {
            origin_case: origin.into(),
            mirror_case: Some("m1".into()),
            title: "JNDI lookup".into(),
            timezone: "Asia/Shanghai".into(),
            reporter_org: "alibaba-cloud".into(),
            report: None,
            parties: vec![],
            products: vec![],
            events: vec![event],
            records: vec![],
            attachments: Vec::new(),
            head: Head { seq: 3, hash: stored.hash },
        },
    })
}

#[tokio::test]
async fn an_update_is_taken_only_for_a_relayed_case_and_never_speaks_for_this_instances_own_organisation() {
    let (company, nvdb, origin, _) = company_and_nvdb(Some("http://127.0.0.1:9")).await;
    eventually("the relay written", || async {
        company.db.store.relays(Some(&origin)).await.unwrap().into_iter().next()
    })
    .await;
    let before = company.db.store.events(&origin).await.unwrap().len();
    // The platform's verification flows back.
    let verified = update(
        &company,
        &origin,
        json!({"type": "verified", "party": "miit-nvdb", "at": "2021-12-09T10:00:00+08:00"}),
    );
    let (status, answer) = post_envelope(&company.base, &verified).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(company.db.store.events(&origin).await.unwrap().len(), before + 1);
    // An event in the company's own name is refused, as is one that does not flow back.
    let forged = update(
        &company,
        &origin,
        json!({"type": "published", "party": "alibaba-cloud", "at": "2021-12-09T10:00:00+08:00"}),
    );
    let (status, answer) = post_envelope(&company.base, &forged).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer.to_string().contains("operates"), "{answer}");
    let other = update(
        &company,
        &origin,
        json!({"type": "closed", "party": "miit-nvdb", "at": "2021-12-09T10:00:00+08:00"}),
    );
    assert_eq!(post_envelope(&company.base, &other).await.0, 422);
    // An update about a case the company never relayed to that peer is refused.
    let mut elsewhere = update(
        &company,
        "case-unknown",
        json!({"type": "verified", "party": "miit-nvdb", "at": "2021-12-09T10:00:00+08:00"}),
    );
    elsewhere.envelope.idempotency_key = "update/m1/3/elsewhere".into();
    elsewhere = Identity::from_seed([2; 32]).sign_envelope(elsewhere.envelope);
    assert_eq!(post_envelope(&company.base, &elsewhere).await.0, 422);
    assert_eq!(company.db.store.events(&origin).await.unwrap().len(), before + 1);
    company.stop().await;
    nvdb.stop().await;
}

/// A vendor hosted on a peer, added to a case as a downstream participant: the notice
/// travels through the relay outbox as one forward (however many products), opens a
/// mirror on the vendor's instance that tells the vendor there (inbox), and the status
/// the vendor records on its mirror flows back to the platform's board — its private
/// note stays on the vendor's instance.
#[tokio::test]
async fn a_vendor_on_a_peer_is_told_through_the_relay_and_its_status_flows_back() {
    let (nvdb_listener, vendor_listener) =
        (TcpListener::bind("127.0.0.1:0").await.unwrap(), TcpListener::bind("127.0.0.1:0").await.unwrap());
    let nvdb_url = format!("http://{}", nvdb_listener.local_addr().unwrap());
    let vendor_url = format!("http://{}", vendor_listener.local_addr().unwrap());
    let (nvdb_db, vendor_db) = (TestDb::sqlite().await, TestDb::sqlite().await);
    // The platform's instance: the reporter, Apache and the platform local, the vendor
    // remote (hosted on the vendor's instance).
    let reporter = company_setup(&*nvdb_db.store).await;
    let analyst =
        account(&*nvdb_db.store, Some("miit-nvdb"), "analyst@miit-nvdb.example", vec![AccountRole::Analyst])
            .await;
    org(&*nvdb_db.store, "vendor-x", vec![Role::ProductProvider], Jurisdiction::CN).await;
    peer(&*nvdb_db.store, "vendorhost", &vendor_url, 6, &["vendor-x"]).await;
    org(&*vendor_db.store, "vendor-x", vec![Role::ProductProvider], Jurisdiction::CN).await;
    org(&*vendor_db.store, "miit-nvdb", vec![Role::RegulatorPlatform], Jurisdiction::CN).await;
    // On its own instance the mirror is the vendor's case to work: its coordinator's.
    let psirt =
        account(&*vendor_db.store, Some("vendor-x"), "psirt@x.example", vec![AccountRole::Coordinator]).await;
    peer(&*vendor_db.store, "nvdb", &nvdb_url, 5, &["miit-nvdb"]).await;
    let nvdb = start(nvdb_db, 5, &["miit-nvdb"], Forwarding::default(), nvdb_listener).await;
    let vendor = start(vendor_db, 6, &["vendor-x"], Forwarding::default(), vendor_listener).await;
    let mut report = common::report();
    report["platform"] = json!("miit-nvdb");
    report["attachments"] = report_files();
    let (status, answer) =
        call(reqwest::Method::POST, format!("{}/api/v1/reports", nvdb.base), &reporter, Some(report)).await;
    assert_eq!(status, 201, "{answer}");
    let origin = answer["case"].as_str().unwrap().to_owned();

    let body =
        json!({"vendors": [{"org": "vendor-x", "products": [{"name": "X Gateway"}, {"name": "X Mail"}]}]});
    let (status, answer) = call(
        reqwest::Method::POST,
        format!("{}/api/v1/cases/{origin}/participants", nvdb.base),
        &analyst,
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["relayed"], json!(["vendor-x"]));
    // One forward for the vendor's two notifications, through the relay outbox.
    let relays = nvdb.db.store.relays(Some(&origin)).await.unwrap();
    assert_eq!(
        relays.iter().filter(|r| r.to_org == "vendor-x" && r.kind == "forward").count(),
        1,
        "{relays:?}"
    );
    let mirror = eventually("the mirror at the vendor's instance", || async {
        mirror_of(&*vendor.db.store, &origin).await
    })
    .await;
    let vendor_cases = vendor.db.store.case_ids().await.unwrap();
    assert_eq!(vendor_cases.len(), 1, "one mirror, not one per product");
    // A vendor may not read the reporter's exploit code: only the crash trace travels.
    assert_eq!(mirror_files(&vendor, &mirror).await, [("crash.log".into(), false)]);
    // The vendor is told there, in its inbox.
    let filter = vulnrelay_store::warnings::DeliveryFilter {
        org_id: Some("vendor-x".into()),
        limit: 50,
        ..Default::default()
    };
    let added = eventually("the notice at the vendor's instance", || async {
        let told = vendor.db.store.deliveries(&filter).await.unwrap();
        let added: Vec<_> = told.into_iter().filter(|d| d.topic == "coordination.added").collect();
        (!added.is_empty()).then_some(added)
    })
    .await;
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0].payload["relayed"], true);
    assert_eq!(added[0].payload["products"], json!(["vendor-x:X Gateway", "vendor-x:X Mail"]));
    // The vendor answers on its own instance, with a private note.
    let status_body = json!({
        "product": "vendor-x:X Gateway",
        "vulnerability": "CVE-2021-44228",
        "status": "not_affected",
        "justification": "component_not_present",
        "statement": "X Gateway ships no Java.",
        "private_note": "SECRET-X: our customer list",
    });
    let (status, answer) = call(
        reqwest::Method::POST,
        format!("{}/api/v1/cases/{mirror}/vendor-status", vendor.base),
        &psirt,
        Some(status_body),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    // It flows back to the platform's board; the private note does not.
    let board = eventually("the vendor's status on the platform's board", || async {
        let (_, board) = call(
            reqwest::Method::GET,
            format!("{}/api/v1/cases/{origin}/coordination", nvdb.base),
            &analyst,
            None,
        )
        .await;
        let cell = &board["vendors"][0]["products"][0]["vulnerabilities"][0];
        (cell["status"] == "not_affected").then(|| board.clone())
    })
    .await;
    let cell = &board["vendors"][0]["products"][0]["vulnerabilities"][0];
    assert_eq!(cell["justification"], "component_not_present", "{board}");
    assert_eq!(cell["statement"], "X Gateway ships no Java.");
    let (_, events) =
        call(reqwest::Method::GET, format!("{}/api/v1/cases/{origin}/events", nvdb.base), &analyst, None)
            .await;
    for text in [board.to_string(), events.to_string()] {
        assert!(!text.contains("SECRET-X"), "the private note left the vendor's instance: {text}");
    }
    for node in [nvdb, vendor] {
        node.stop().await;
    }
}

/// The worker's sweep queues a relay a crash between a change and its relay left out,
/// and looks only at the cases a change marked since it last ran: once it has run,
/// nothing changed means no case read.
#[tokio::test]
async fn the_sweep_queues_what_a_crash_left_out_and_looks_only_at_changed_cases() {
    use vulnrelay_app::federation::outbound::{Swept, queue_marked};
    let (company, nvdb, origin, _) = company_and_nvdb(None).await;
    all_delivered(&[&company, &nvdb]).await;
    // The report's events and its forward's receipt marked the case: everything they
    // called for is queued already.
    let first = queue_marked(&company.state.app).await.unwrap();
    assert_eq!(first.relays, 0, "{first:?}");
    assert!(first.cases >= 1, "{first:?}");
    assert_eq!(queue_marked(&company.state.app).await.unwrap(), Swept::default(), "nothing changed");

    // An event written as if the process died before relaying it: the store alone.
    let now = Utc::now();
    let event = NewEvent {
        at: now,
        body: json!({"at": now.to_rfc3339(), "type": "verified", "party": "alibaba-cloud"}),
        recorded_by: None,
        override_reason: None,
    };
    let change = vulnrelay_store::CaseChange { events: vec![event], ..Default::default() };
    company.db.store.change_case(&origin, &change, now).await.unwrap();
    let before = company.db.store.relays(Some(&origin)).await.unwrap().len();
    let swept = queue_marked(&company.state.app).await.unwrap();
    assert_eq!(swept, Swept { cases: 1, relays: 1 });
    assert_eq!(company.db.store.relays(Some(&origin)).await.unwrap().len(), before + 1);
    // It reaches the mirror.
    all_delivered(&[&company, &nvdb]).await;
    let mirror = mirror_of(&*nvdb.db.store, &origin).await.expect("the mirror");
    let events = nvdb.db.store.events(&mirror).await.unwrap();
    assert!(events.iter().any(|e| e.body.contains("\"type\":\"verified\"")), "{events:?}");
    assert_eq!(queue_marked(&company.state.app).await.unwrap().relays, 0);
    company.stop().await;
    nvdb.stop().await;
}
