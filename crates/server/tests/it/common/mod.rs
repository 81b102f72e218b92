//! Test support: the demo installation on a fresh store, and requests through the
//! router in-process.

#![allow(dead_code, missing_docs)]

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;
use vulnrelay_server::auth::{new_secret, secret_hash};
use vulnrelay_server::{AppState, Config, Forwarding, demo, router};
use vulnrelay_store::testing::TestDb;

pub struct App {
    pub db: TestDb,
    pub state: AppState,
    pub router: Router,
    pub case_id: String,
    pub passwords: HashMap<String, String>,
    tokens: std::sync::Mutex<HashMap<String, String>>,
}

pub fn config() -> Config {
    Config {
        default_platform: Some("miit-nvdb".into()),
        forwarding: Forwarding::cn_chain(),
        max_body_bytes: 64 * 1024,
        max_attachment_bytes: 16 * 1024,
        // The tests' webhook receivers listen on loopback.
        allow_private_webhooks: true,
        ..Config::default()
    }
}

impl App {
    pub async fn new(db: TestDb) -> App {
        App::with_config(db, config()).await
    }

    /// The demo installation under another configuration.
    pub async fn with_config(db: TestDb, config: Config) -> App {
        let loaded = demo::load(&db.store).await.expect("demo loads");
        let state = AppState::new(db.store.clone(), config);
        let router = router(state.clone());
        let passwords = loaded.accounts.iter().map(|a| (a.email.clone(), a.password.clone())).collect();
        App { db, state, router, case_id: loaded.case_id, passwords, tokens: Default::default() }
    }

    /// An API token for a demo account, made through the store.
    pub async fn token(&self, email: &str) -> String {
        if let Some(token) = self.tokens.lock().unwrap().get(email) {
            return token.clone();
        }
        let account = self.db.store.account_by_email(email).await.expect("demo account");
        let token = new_secret("vr_");
        self.db
            .store
            .create_token(&account.id, "test", &secret_hash(&token), chrono::Utc::now())
            .await
            .unwrap();
        self.tokens.lock().unwrap().insert(email.to_owned(), token.clone());
        token
    }

    pub async fn raw(&self, request: Request<Body>) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec();
        (status, headers, body)
    }

    /// A JSON request as `who` (an e-mail of a demo account, or "" for anonymous).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        who: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut builder = Request::builder().method(method).uri(path);
        if !who.is_empty() {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {}", self.token(who).await));
        }
        let request = match body {
            Some(body) => {
                builder.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string()))
            }
            None => builder.body(Body::empty()),
        }
        .unwrap();
        let (status, _, bytes) = self.raw(request).await;
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        (status, value)
    }

    pub async fn get(&self, path: &str, who: &str) -> (StatusCode, Value) {
        self.call("GET", path, who, None).await
    }

    pub async fn post(&self, path: &str, who: &str, body: Value) -> (StatusCode, Value) {
        self.call("POST", path, who, Some(body)).await
    }

    /// Submits a valid report as Alibaba Cloud's reporter; returns the case id.
    pub async fn submit(&self, changes: Value) -> String {
        let mut body = report();
        if let (Some(target), Some(changes)) = (body.as_object_mut(), changes.as_object()) {
            for (k, v) in changes {
                target.insert(k.clone(), v.clone());
            }
        }
        let (status, answer) = self.post("/api/v1/reports", REPORTER, body).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        answer["case"].as_str().unwrap().to_owned()
    }

    pub async fn counts(&self) -> (usize, usize) {
        (self.db.store.list_cases().await.unwrap().len(), self.db.store.receipts().await.unwrap().len())
    }
}

pub const REPORTER: &str = "security@alibaba-cloud.example";
pub const MIIT: &str = "analyst@nvdb.miit.example";
pub const CNVD: &str = "analyst@cnvd.example";
pub const APACHE: &str = "psirt@apache.example";
pub const BANK: &str = "soc@bank.example";
pub const ADMIN: &str = "admin@vulnrelay.example";

/// A complete report (Art. 7(2) content).
pub fn report() -> Value {
    let mut report = demo::log4shell_report();
    report["attachments"] = json!([
        {"filename": "README.txt", "media_type": "text/plain", "content_base64": "c2VlIHRoZSBQb0M="},
        {"filename": "Poc.java", "media_type": "text/x-java", "content_base64": "Y2xhc3MgUG9jIHt9", "exploit_code": true}
    ]);
    report
}

/// A case opened two days ago on Apache's widget sold in `markets`: Alibaba Cloud found
/// it, MIIT's platform works it, `extra` parties (id, roles, jurisdiction) join them, and
/// a vulnerability record `record_id` (the demo's first record under that id, its
/// threat events cleared unless `keep_threats`) belongs to it. Returns the case id.
pub async fn widget_case(
    app: &App,
    markets: &[&str],
    extra: &[(&str, &[&str], &str)],
    record_id: &str,
    keep_threats: bool,
) -> String {
    use chrono::{TimeDelta, Utc};
    use vulnrelay_store::{Fragment, NewCase, NewEvent};
    let discovered = Utc::now() - TimeDelta::days(2);
    let party = |id: &str, roles: &[&str], jurisdiction: &str| Fragment {
        id: id.into(),
        value: json!({"id": id, "roles": roles, "jurisdiction": jurisdiction}),
    };
    let mut parties = vec![
        party("alibaba-cloud", &["discoverer"], "CN"),
        party("apache", &["product_provider"], "US"),
        party("miit-nvdb", &["regulator_platform"], "CN"),
    ];
    parties.extend(extra.iter().map(|(id, roles, jurisdiction)| party(id, roles, jurisdiction)));
    let case_id = app
        .db
        .store
        .import_case(&NewCase {
            title: "Deserialisation in a widget library".into(),
            timezone: "Europe/Berlin".into(),
            reporter_org: "alibaba-cloud".into(),
            platform_org: "miit-nvdb".into(),
            parties,
            products: vec![Fragment {
                id: "widget".into(),
                value: json!({"id": "widget", "name": "Widget", "provider": "apache", "markets": markets}),
            }],
            events: vec![NewEvent {
                at: discovered,
                body: json!({"type": "discovered", "at": discovered.to_rfc3339(), "party": "alibaba-cloud"}),
                recorded_by: None,
                override_reason: None,
            }],
            created_at: Utc::now(),
        })
        .await
        .unwrap();
    let records: Value = serde_json::from_str(demo::LOG4SHELL_RECORDS).unwrap();
    let mut record = records.as_array().map_or(records["records"][0].clone(), |a| a[0].clone());
    record["id"] = json!(record_id);
    record["aliases"] = json!([]);
    if !keep_threats {
        record["threats"] = json!([]);
    }
    app.db.store.save_vulnerability(record_id, Some(&case_id), &record, &[], Utc::now()).await.unwrap();
    case_id
}
