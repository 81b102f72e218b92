//! Many servers, one database: three `vulnrelay serve` processes on one PostgreSQL take
//! reports at once — the same submission retried at another server included — and each
//! then answers the same case list and receipt log; every key opened one case, every
//! chain holds, and the derived views equal a recomputation from the log, whichever
//! process wrote them. Runs when VULNRELAY_TEST_DATABASE_URL names a PostgreSQL server.

use crate::common;

use std::collections::{BTreeSet, HashMap};
use std::process::{Child, Command};

use serde_json::{Value, json};
use vulnrelay_server::auth::{new_secret, secret_hash};
use vulnrelay_store::Store;
use vulnrelay_store::testing::TestDb;

const SUBMISSIONS: usize = 240;
/// Submissions share an idempotency key in pairs of servers: `KEYS` distinct keys.
const KEYS: usize = 180;

fn report(i: usize) -> Value {
    json!({
        "title": format!("many servers {i}"),
        "product": {"name": "Apache Log4j2", "model": "log4j-core", "affected_versions": ["2.14.1"], "provider": "apache"},
        "technical_characteristics": "JNDI lookup", "harm": "RCE", "scope_of_impact": "Java applications",
        "discovered_at": "2021-11-24T10:00:00+08:00"
    })
}

async fn token(store: &dyn Store, email: &str) -> String {
    let account = store.account_by_email(email).await.unwrap();
    let token = new_secret("vr_");
    store.create_token(&account.id, "many servers", &secret_hash(&token), chrono::Utc::now()).await.unwrap();
    token
}

/// Every id a paged list at `path` (`cases` or `receipts`) answers, walked by `next`.
async fn walk(client: &reqwest::Client, base: &str, path: &str, key: &str, token: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let url = match &after {
            Some(after) => format!("{base}{path}?limit=37&after={after}"),
            None => format!("{base}{path}?limit=37"),
        };
        let page: Value = client.get(url).bearer_auth(token).send().await.unwrap().json().await.unwrap();
        ids.extend(
            page[key]
                .as_array()
                .unwrap_or_else(|| panic!("{page}"))
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned()),
        );
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return ids,
        }
    }
}

/// Server processes, killed when dropped — also when the test fails half-way, so no
/// process outlives it holding database connections.
struct Servers(Vec<(Child, String)>);

impl Drop for Servers {
    fn drop(&mut self) {
        for (child, _) in &mut self.0 {
            let _ = Command::new("kill").args(["-KILL", &child.id().to_string()]).status();
            let _ = child.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_servers_share_intake_and_answer_the_same_lists() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("skipped: VULNRELAY_TEST_DATABASE_URL is not set");
        return;
    };
    let _heavy = common::HEAVY.lock().await;
    vulnrelay_server::demo::load(&db.store).await.unwrap();
    let reporter = token(&*db.store, "security@alibaba-cloud.example").await;
    let analyst = token(&*db.store, "analyst@nvdb.miit.example").await;
    let imported = db.store.case_ids().await.unwrap().len();
    let servers = Servers(
        (0..3).map(|_| common::serve(&db.url, &["--default-platform", "miit-nvdb"], "warn")).collect(),
    );
    let bases: Vec<String> = servers.0.iter().map(|(_, base)| base.clone()).collect();
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..SUBMISSIONS {
        let (client, base, reporter) = (client.clone(), bases[i % 3].clone(), reporter.clone());
        tasks.push(tokio::spawn(async move {
            let key = i % KEYS;
            let response = client
                .post(format!("{base}/api/v1/reports"))
                .bearer_auth(&reporter)
                .header("idempotency-key", format!("submission-{key}"))
                .json(&report(key))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (key, status, body)
        }));
    }
    let mut cases_by_key: HashMap<usize, BTreeSet<String>> = HashMap::new();
    for task in tasks {
        let (key, status, body) = task.await.unwrap();
        assert!(status == 201 || status == 200, "{status}: {body}");
        cases_by_key.entry(key).or_default().insert(body["case"].as_str().unwrap().to_owned());
    }
    assert_eq!(cases_by_key.len(), KEYS);
    assert!(cases_by_key.values().all(|cases| cases.len() == 1), "a key opened two cases");
    let opened: BTreeSet<String> = cases_by_key.into_values().flatten().collect();
    assert_eq!(db.store.case_ids().await.unwrap().len(), imported + KEYS);
    // Each server lists every case and every receipt, whichever server took it.
    let mut lists = Vec::new();
    for base in &bases {
        let cases = walk(&client, base, "/api/v1/cases", "cases", &analyst).await;
        let receipts = walk(&client, base, "/api/v1/receipts", "receipts", &analyst).await;
        assert!(opened.iter().all(|case| cases.contains(case)), "{base} misses a case");
        lists.push((cases, receipts));
    }
    assert!(lists.windows(2).all(|pair| pair[0] == pair[1]), "the servers answer different lists");
    assert_eq!(lists[0].1.len(), db.store.receipts().await.unwrap().len());
    drop(servers);
    // Nothing lost or altered, and the views hold whichever process wrote them.
    let report = db.store.verify().await.unwrap();
    assert!(report.broken.is_empty(), "{:?}", report.broken);
    let projector = vulnrelay_server::projection::CaseProjector::new(
        vulnrelay_policy::builtin_packs().unwrap(),
        vulnrelay_policy::Settings::default(),
    );
    let drift =
        vulnrelay_server::projection::drifted(&*db.store, &projector, chrono::Utc::now()).await.unwrap();
    assert!(drift.is_empty(), "views differ from the log for {drift:?}");
}
