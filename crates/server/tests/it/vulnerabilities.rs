//! Vulnerability records through the API: import of real documents, records found by
//! any alias, exports that validate against the official schemas, bulletins and
//! manuals in both languages, platform identifiers and the CVE pool.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use serde_json::{Value, json};
use vulnrelay_formats::schemas::{Schema, validate};
use vulnrelay_store::testing::{TestDb, for_each_backend};

fn testdata(path: &str) -> String {
    repo(&format!("testdata/{path}"))
}

fn repo(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path))
        .unwrap()
}

async fn import(app: &App, who: &str, text: &str) -> (StatusCode, Value) {
    let token = app.token(who).await;
    let request = Request::builder()
        .method("POST")
        .uri("/api/v1/import")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(text.to_owned()))
        .unwrap();
    let (status, _, bytes) = app.raw(request).await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn text(app: &App, path: &str) -> (StatusCode, String, String) {
    let request = Request::builder().uri(path).body(Body::empty()).unwrap();
    let (status, headers, bytes) = app.raw(request).await;
    let kind = headers.iter().find(|(k, _)| k == "content-type").map(|(_, v)| v.clone()).unwrap_or_default();
    (status, kind, String::from_utf8(bytes).unwrap())
}

#[tokio::test]
async fn imported_records_are_public_and_export_valid_documents() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let (status, answer) = import(&app, MIIT, &testdata("examples/cve/CVE-2021-45105.json")).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert_eq!(answer, json!({"format": "CVE JSON 5", "imported": ["CVE-2021-45105"]}));
        let (status, records) = import(&app, CNVD, &repo("examples/log4shell-records.json")).await;
        assert_eq!(status, StatusCode::CREATED, "{records}");
        assert_eq!(records["imported"].as_array().unwrap().len(), 4);
        // Re-importing the case's records keeps them with the demo case.
        let (_, record) = app.get("/api/v1/vulnerabilities/CVE-2021-44228", MIIT).await;
        assert!(record["case"].is_string(), "{record}");
        // Any alias finds the record, for anyone (it belongs to no case).
        let (status, record) = app.get("/api/v1/vulnerabilities/CNVD-2021-95914", "").await;
        assert_eq!(status, StatusCode::OK, "{record}");
        assert_eq!(record["id"], "CVE-2021-44228");
        assert_eq!(record["threat_status"]["level"], "actively_exploited");
        assert_eq!(record["scores"][0]["cnnvd"], "超危");
        let (_, list) = app.get("/api/v1/vulnerabilities", "").await;
        assert_eq!(list["items"].as_array().unwrap().len(), 4);
        for (suffix, schema) in [("cve", Schema::Cve), ("csaf", Schema::Csaf), ("osv", Schema::Osv)] {
            let (status, document) =
                app.get(&format!("/api/v1/vulnerabilities/CVE-2021-44228.{suffix}.json"), "").await;
            assert_eq!(status, StatusCode::OK, "{suffix}: {document}");
            let problems = validate(schema, &document);
            assert!(problems.is_empty(), "{suffix}: {problems:?}");
        }
        assert_eq!(app.get("/api/v1/vulnerabilities/CVE-1999-0001", "").await.0, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn only_analysts_import_and_bad_documents_name_their_paths() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let record = testdata("examples/cve/CVE-2021-4104.json");
        assert_eq!(import(&app, REPORTER, &record).await.0, StatusCode::FORBIDDEN);
        let mut broken: Value = serde_json::from_str(&record).unwrap();
        broken["containers"]["cna"]["affected"] = json!("everything");
        let (status, answer) = import(&app, MIIT, &broken.to_string()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        let fields: Vec<&str> = answer["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["field"].as_str())
            .collect();
        assert!(fields.contains(&"$.containers.cna.affected"), "{answer}");
        let (_, list) = app.get("/api/v1/vulnerabilities", MIIT).await;
        assert!(list["items"].as_array().unwrap().iter().all(|v| v["id"] != "CVE-2021-4104"), "{list}");
    })
    .await;
}

#[tokio::test]
async fn bulletins_and_manuals_render_in_both_languages() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        assert_eq!(import(&app, MIIT, &repo("examples/log4shell-records.json")).await.0, StatusCode::CREATED);
        let (status, kind, html) =
            text(&app, "/api/v1/vulnerabilities/CVE-2021-44228/bulletin?lang=zh").await;
        assert_eq!(status, StatusCode::OK);
        assert!(kind.starts_with("text/html"));
        assert!(
            html.contains("安全公告") && html.contains("<table>") && html.contains("lang=\"zh-CN\""),
            "{html}"
        );
        let (_, kind, md) = text(&app, "/api/v1/vulnerabilities/CVE-2021-44228/manual?format=md").await;
        assert!(kind.starts_with("text/markdown"));
        assert!(md.starts_with("# Investigation and repair manual"));
        assert!(md.contains("vulnrelay scan"));
        assert_eq!(
            text(&app, "/api/v1/vulnerabilities/CVE-2021-44228/bulletin?lang=fr").await.0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    })
    .await;
}

#[tokio::test]
async fn platform_identifiers_and_cve_ids_are_assigned_once() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let local = json!([{"id": "VR-2026-0001", "title": {"en": "A local finding"}}]);
        assert_eq!(import(&app, MIIT, &local.to_string()).await.0, StatusCode::CREATED);
        let (status, cnvd) = app
            .post(
                "/api/v1/vulnerabilities/VR-2026-0001/ids",
                CNVD,
                json!({"template": "CNVD-{YYYY}-{NNNNN}"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{cnvd}");
        let assigned = cnvd["id"].as_str().unwrap().to_owned();
        assert!(assigned.starts_with("CNVD-") && assigned.ends_with("-00001"), "{assigned}");
        assert_eq!(app.get(&format!("/api/v1/vulnerabilities/{assigned}"), "").await.1["id"], "VR-2026-0001");
        let (status, _) = app
            .post("/api/v1/vulnerabilities/VR-2026-0001/ids", CNVD, json!({"template": "CNVD-{DD}"}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        // The pool: only administrators load it; each record gets one id, once.
        assert_eq!(
            app.post("/api/v1/cve-pool", MIIT, json!({"ids": ["CVE-2026-10001"]})).await.0,
            StatusCode::FORBIDDEN
        );
        let (status, pool) = app.post("/api/v1/cve-pool", ADMIN, json!({"ids": ["CVE-2026-10001"]})).await;
        assert_eq!((status, pool["free"].as_u64()), (StatusCode::OK, Some(1)));
        assert_eq!(
            app.post("/api/v1/cve-pool", ADMIN, json!({"ids": ["CNVD-2026-1"]})).await.0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let (status, cve) = app.post("/api/v1/vulnerabilities/VR-2026-0001/cve", MIIT, json!({})).await;
        assert_eq!((status, cve["cve"].as_str()), (StatusCode::OK, Some("CVE-2026-10001")), "{cve}");
        let (_, again) = app.post("/api/v1/vulnerabilities/VR-2026-0001/cve", MIIT, json!({})).await;
        assert_eq!(again["cve"], "CVE-2026-10001");
        assert_eq!(app.get("/api/v1/vulnerabilities/CVE-2026-10001", "").await.1["id"], "VR-2026-0001");
        let other = json!([{"id": "VR-2026-0002", "title": {"en": "Another"}}]);
        import(&app, MIIT, &other.to_string()).await;
        let (status, empty) = app.post("/api/v1/vulnerabilities/VR-2026-0002/cve", MIIT, json!({})).await;
        assert_eq!((status, empty["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("cve_pool_empty")));
    })
    .await;
}
