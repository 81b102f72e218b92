//! End to end, over real HTTP on every back end: two units upload SBOMs (log4j-core
//! 2.14.1 and 2.17.1) and subscribe webhooks; an analyst publishes the Log4Shell
//! records; the delivery worker warns the first unit only, and a local webhook
//! receiver verifies every signed delivery.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use chrono::Utc;
use serde_json::{Value, json};
use vulnrelay_domain::{AccountRole, Jurisdiction, Role};
use vulnrelay_server::auth::{new_secret, secret_hash};
use vulnrelay_server::worker::{WorkerConfig, spawn};
use vulnrelay_server::{AppState, Config};
use vulnrelay_store::testing::{TestDb, for_each_backend};
use vulnrelay_store::{NewAccount, Organisation, Status, Store};

/// What the receiver got: (path, headers, body).
type Received = Arc<Mutex<Vec<(String, HeaderMap, Bytes)>>>;

async fn receive(
    State(got): State<Received>,
    Path(who): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> &'static str {
    got.lock().unwrap().push((who, headers, body));
    "ok"
}

async fn unit(store: &dyn Store, org: &str, roles: Vec<Role>, account_roles: Vec<AccountRole>) -> String {
    store
        .create_org(&Organisation {
            id: org.into(),
            name: org.into(),
            name_zh: None,
            roles,
            jurisdiction: Jurisdiction::CN,
            individual: false,
            status: Status::Active,
            created_at: Utc::now(),
        })
        .await
        .unwrap();
    let account = store
        .create_account(
            &NewAccount {
                email: format!("ops@{org}.example"),
                name: org.into(),
                password_hash: "unused: this account signs in with a token".into(),
                org_id: Some(org.into()),
                roles: account_roles,
                status: Status::Active,
            },
            Utc::now(),
        )
        .await
        .unwrap();
    let token = new_secret("vr_");
    store.create_token(&account.id, "e2e", &secret_hash(&token), Utc::now()).await.unwrap();
    token
}

fn sbom(version: &str) -> Value {
    json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": [{"type": "application", "name": "core-banking", "version": "7.1", "components": [
            {"type": "library", "group": "org.apache.logging.log4j", "name": "log4j-core", "version": version,
             "purl": format!("pkg:maven/org.apache.logging.log4j/log4j-core@{version}"), "bom-ref": "log4j-core"}
        ]}]
    })
}

#[tokio::test]
async fn publishing_the_log4shell_records_warns_the_unit_that_runs_2_14_1_only() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        let analyst =
            unit(&*store, "miit-nvdb", vec![Role::RegulatorPlatform], vec![AccountRole::Analyst]).await;
        let bank = unit(&*store, "bank", vec![Role::NetworkOperator], vec![AccountRole::Subscriber]).await;
        let grid = unit(&*store, "grid", vec![Role::NetworkOperator], vec![AccountRole::Subscriber]).await;

        // The webhook receiver.
        let got: Received = Arc::default();
        let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let hook_base = format!("http://{}", receiver.local_addr().unwrap());
        let app = Router::new().route("/hooks/{who}", axum::routing::post(receive)).with_state(got.clone());
        let receiver_task = tokio::spawn(async move { axum::serve(receiver, app).await });

        // The server, with its delivery worker.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/api/v1", listener.local_addr().unwrap());
        let state =
            AppState::new(store.clone(), Config { allow_private_webhooks: true, ..Config::default() });
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut stop_server = stopped.clone();
        let server = tokio::spawn(vulnrelay_server::serve(listener, state.clone(), async move {
            let _ = stop_server.changed().await;
        }));
        let mut stop_worker = stopped.clone();
        let config = WorkerConfig {
            poll_interval: Duration::from_millis(50),
            reminder_interval: None,
            sweep_interval: None,
            deny_private_networks: false,
            ..WorkerConfig::default()
        };
        let worker = spawn(state.app, config, async move {
            let _ = stop_worker.changed().await;
        });

        let client = reqwest::Client::new();
        let call = |method: reqwest::Method, path: &str, token: &str| {
            client.request(method, format!("{base}{path}")).bearer_auth(token)
        };
        let mut secrets = Vec::new();
        for (token, who) in [(&bank, "bank"), (&grid, "grid")] {
            let answer: Value = call(reqwest::Method::POST, "/webhooks", token)
                .json(&json!({"url": format!("{hook_base}/hooks/{who}")}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            secrets.push(answer["secret"].as_str().expect("the secret, once").to_owned());
        }
        for (token, version) in [(&bank, "2.14.1"), (&grid, "2.17.1")] {
            let response = call(reqwest::Method::PUT, "/assets/groups/core-banking", token)
                .json(&sbom(version))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        }
        let records = include_str!("../../../../examples/log4shell-records.json");
        let response = call(reqwest::Method::POST, "/import", &analyst)
            .header("content-type", "application/json")
            .body(records)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());

        let warnings: Value =
            call(reqwest::Method::GET, "/warnings", &bank).send().await.unwrap().json().await.unwrap();
        let warned: Vec<&str> = warnings["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["vulnerability"].as_str().unwrap())
            .collect();
        assert!(warned.contains(&"CVE-2021-44228"), "{warnings}");
        let grid_warnings: Value =
            call(reqwest::Method::GET, "/warnings", &grid).send().await.unwrap().json().await.unwrap();
        assert_eq!(grid_warnings["warnings"], json!([]), "2.17.1 is fixed");

        // Wait (bounded) for the worker to deliver every webhook message.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while got.lock().unwrap().len() < warned.len() {
            assert!(tokio::time::Instant::now() < deadline, "the deliveries did not arrive");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let pending: Value = call(reqwest::Method::GET, "/deliveries?state=pending", &bank)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let mut pending = pending["deliveries"].as_array().unwrap().len();
        while pending > 0 {
            assert!(tokio::time::Instant::now() < deadline, "deliveries stayed pending");
            tokio::time::sleep(Duration::from_millis(50)).await;
            let answer: Value = call(reqwest::Method::GET, "/deliveries?state=pending", &bank)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            pending = answer["deliveries"].as_array().unwrap().len();
        }
        let received = got.lock().unwrap().clone();
        let now = Utc::now().timestamp();
        let mut seen = Vec::new();
        for (who, headers, body) in &received {
            assert_eq!(who, "bank", "only the bank runs an affected version");
            let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
            let timestamp: i64 = header("x-vulnrelay-timestamp").parse().unwrap();
            vulnrelay_delivery::verify(
                secrets[0].as_bytes(),
                timestamp,
                body,
                &header("x-vulnrelay-signature"),
                now,
                Duration::from_secs(300),
            )
            .expect("the signature verifies");
            let value: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(value["delivery"], header("x-vulnrelay-delivery"));
            assert_eq!(value["org"], "bank");
            assert_eq!(value["warning"]["tlp"], "TLP:CLEAR");
            assert_eq!(value["warning"]["affected"][0]["asset"], "core-banking");
            seen.push(value["warning"]["vulnerability"]["id"].as_str().unwrap().to_owned());
        }
        seen.sort();
        seen.dedup();
        let mut expected: Vec<String> = warned.iter().map(|s| (*s).to_owned()).collect();
        expected.sort();
        assert_eq!(seen, expected);
        // The in-app inbox has them too.
        let inbox: Value =
            call(reqwest::Method::GET, "/inbox", &bank).send().await.unwrap().json().await.unwrap();
        assert_eq!(inbox["messages"].as_array().unwrap().len(), warned.len());

        let _ = stop.send(true);
        worker.await.unwrap();
        server.await.unwrap().unwrap();
        receiver_task.abort();
    })
    .await;
}
