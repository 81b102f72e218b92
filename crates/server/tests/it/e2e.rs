//! End to end: the real server on 127.0.0.1:0 from the library entry point, a real HTTP
//! client, a graceful shutdown; on every back end available.

use crate::common;

use serde_json::{Value, json};
use vulnrelay_server::{AppState, demo};
use vulnrelay_store::testing::{TestDb, for_each_backend};

#[tokio::test]
async fn a_report_travels_from_login_to_compliance_over_http() {
    for_each_backend(|db: TestDb| async move {
        let loaded = demo::load(&db.store).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = AppState::new(db.store.clone(), common::config());
        let server = tokio::spawn(vulnrelay_server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::new();
        let password = &loaded.accounts.iter().find(|a| a.email == common::REPORTER).unwrap().password;
        let login = client
            .post(format!("{base}/api/v1/session"))
            .json(&json!({"email": common::REPORTER, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 200);
        let cookie = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let csrf = login.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_owned();
        let submitted = client
            .post(format!("{base}/api/v1/reports"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&common::report())
            .send()
            .await
            .unwrap();
        assert_eq!(submitted.status(), 201);
        let case = submitted.json::<Value>().await.unwrap()["case"].as_str().unwrap().to_owned();
        let compliance: Value = client
            .get(format!("{base}/api/v1/cases/{case}/compliance"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(compliance["cases"][0]["source"], case);
        let export = client
            .get(format!("{base}/api/v1/cases/{case}/export"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(export.status(), 200);
        let text = export.text().await.unwrap();
        vulnrelay_formats::case_file::parse(&text).expect("the export reads back as a case file");
        let anonymous = client.get(format!("{base}/api/v1/cases/{case}")).send().await.unwrap();
        assert_eq!(anonymous.status(), 404);
        let health: Value = client.get(format!("{base}/healthz")).send().await.unwrap().json().await.unwrap();
        assert_eq!(health["status"], "ok");
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_started_server_makes_the_public_documents_before_anyone_asks() {
    for_each_backend(|db: TestDb| async move {
        demo::load(&db.store).await.unwrap();
        let before = db.store.publication_status().await.unwrap();
        assert_eq!(before.identity, "", "nothing made before the server starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = AppState::new(db.store.clone(), common::config());
        let server = tokio::spawn(vulnrelay_server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        // No request is made: the server brings the documents up to date of itself.
        let mut status = db.store.publication_status().await.unwrap();
        for _ in 0..600 {
            if !status.identity.is_empty() && status.dirty == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            status = db.store.publication_status().await.unwrap();
        }
        assert!(!status.identity.is_empty() && status.dirty == 0, "{}: {status:?}", db.name);
        assert!(
            !db.store.public_changes(0, 10).await.unwrap().is_empty(),
            "{}: the demo's advisories",
            db.name
        );
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    })
    .await;
}
