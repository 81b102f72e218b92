//! Durability: 200 concurrent report submissions to the real `vulnrelay serve` while
//! the process is killed with SIGKILL part-way. After a restart every submission that
//! was answered 201 is there, none is duplicated, and `vulnrelay verify` passes; retried
//! submissions (same Idempotency-Key) complete the set without duplicates. Runs on
//! SQLite, and on PostgreSQL when VULNRELAY_TEST_DATABASE_URL is set.

use crate::common;

use std::collections::HashMap;
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use vulnrelay_server::auth::{new_secret, secret_hash};
use vulnrelay_store::testing::{TestDb, for_each_backend};

const SUBMISSIONS: usize = 200;
/// The server is killed once this many answers have come back.
const KILL_AFTER: usize = 60;

fn start(url: &str) -> (Child, String) {
    common::serve(url, &["--default-platform", "miit-nvdb"], "warn")
}

fn report(i: usize) -> Value {
    json!({
        "title": format!("durability {i}"),
        "product": {"name": "Apache Log4j2", "model": "log4j-core", "affected_versions": ["2.14.1"], "provider": "apache"},
        "technical_characteristics": "JNDI lookup", "harm": "RCE", "scope_of_impact": "Java applications",
        "discovered_at": "2021-11-24T10:00:00+08:00"
    })
}

async fn submit(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    i: usize,
) -> Result<(u16, Value), reqwest::Error> {
    let response = client
        .post(format!("{base}/api/v1/reports"))
        .bearer_auth(token)
        .header("idempotency-key", format!("submission-{i}"))
        .json(&report(i))
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_reports_survive_sigkill() {
    let _heavy = common::HEAVY.lock().await;
    for_each_backend(|db: TestDb| async move {
        vulnrelay_server::demo::load(&db.store).await.unwrap();
        let account = db.store.account_by_email("security@alibaba-cloud.example").await.unwrap();
        let token = new_secret("vr_");
        db.store
            .create_token(&account.id, "durability", &secret_hash(&token), chrono::Utc::now())
            .await
            .unwrap();
        let imported = db.store.list_cases().await.unwrap().len();

        let (mut server, base) = start(&db.url);
        let client = reqwest::Client::new();
        let answered = Arc::new(AtomicUsize::new(0));
        let server_pid = server.id();
        let killer = {
            let answered = answered.clone();
            tokio::spawn(async move {
                while answered.load(Ordering::SeqCst) < KILL_AFTER {
                    tokio::task::yield_now().await;
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                // SIGKILL, by the child's own pid.
                let _ = Command::new("kill").args(["-KILL", &server_pid.to_string()]).status();
            })
        };
        let mut tasks = Vec::new();
        for i in 0..SUBMISSIONS {
            let (client, base, token, answered) =
                (client.clone(), base.clone(), token.clone(), answered.clone());
            tasks.push(tokio::spawn(async move {
                let result = submit(&client, &base, &token, i).await;
                answered.fetch_add(1, Ordering::SeqCst);
                (i, result)
            }));
        }
        let mut acknowledged: HashMap<usize, String> = HashMap::new();
        for task in tasks {
            let (i, result) = task.await.unwrap();
            if let Ok((201, body)) = result {
                acknowledged.insert(i, body["case"].as_str().unwrap().to_owned());
            }
        }
        killer.await.unwrap();
        let _ = server.wait();
        assert!(!acknowledged.is_empty(), "some submissions were answered before the kill");
        eprintln!("{}: {} of {SUBMISSIONS} acknowledged before SIGKILL", db.name, acknowledged.len());

        // Restart on the same database.
        let (mut server, base) = start(&db.url);
        let store = vulnrelay_store::connect(&db.url).await.unwrap();
        let cases = store.list_cases().await.unwrap();
        let mut by_title: HashMap<String, Vec<String>> = HashMap::new();
        for case in &cases {
            by_title.entry(case.title.clone()).or_default().push(case.id.clone());
        }
        for (i, case_id) in &acknowledged {
            assert_eq!(
                by_title.get(&format!("durability {i}")),
                Some(&vec![case_id.clone()]),
                "submission {i}"
            );
        }
        assert!(by_title.values().all(|ids| ids.len() == 1), "no submission is stored twice");
        let verify = Command::new(env!("CARGO_BIN_EXE_vulnrelay"))
            .args(["verify", "--database", &db.url])
            .output()
            .unwrap();
        assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));

        // Clients retry what was not acknowledged, with the same keys: no duplicates.
        for i in 0..SUBMISSIONS {
            let (status, body) = submit(&client, &base, &token, i).await.unwrap();
            assert!(status == 200 || status == 201, "{status} {body}");
            if let Some(case_id) = acknowledged.get(&i) {
                assert_eq!((status, body["case"].as_str()), (200, Some(case_id.as_str())));
            }
        }
        let cases = store.list_cases().await.unwrap();
        assert_eq!(cases.len(), imported + SUBMISSIONS);
        let receipts = store.receipts().await.unwrap();
        assert_eq!(receipts.len(), SUBMISSIONS);
        let _ = server.kill();
        let _ = server.wait();
    })
    .await;
}
