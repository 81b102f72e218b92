//! Every CSAF document the demo serves — the advisory of each published case, each
//! record's CSAF export and VEX, and a unit's warning VEX — validated against the CSAF
//! 2.0 schema; with `VULNRELAY_CSAF_OUT=DIR` each is also written to `DIR/{name}.json`
//! for the standard's own validator (`conformance/run.sh`, BSI csaf-validator-lib).

use crate::common;

use axum::http::StatusCode;
use common::*;
use serde_json::{Value, json};
use vulnrelay_formats::schemas::{Schema, validate};
use vulnrelay_store::testing::TestDb;

async fn document(app: &App, path: &str, who: &str) -> Value {
    let (status, body) = app.get(path, who).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

#[tokio::test]
async fn every_csaf_document_the_demo_serves_is_schema_valid() {
    let app = App::new(TestDb::sqlite().await).await;
    let mut documents: Vec<(String, Value)> = Vec::new();
    let (_, list) = app.get("/api/v1/advisories", "").await;
    for advisory in list["advisories"].as_array().unwrap() {
        let id = advisory["id"].as_str().unwrap();
        documents.push((
            format!("advisory-{id}"),
            document(&app, &format!("/api/v1/advisories/{id}.csaf.json"), "").await,
        ));
    }
    let (_, records) = app.get("/api/v1/vulnerabilities", MIIT).await;
    let ids: Vec<String> = records["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{records}"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.len() >= 4, "{records}");
    for id in &ids {
        for kind in ["csaf", "vex"] {
            documents.push((
                format!("record-{id}.{kind}"),
                document(&app, &format!("/api/v1/vulnerabilities/{id}.{kind}.json"), MIIT).await,
            ));
        }
    }
    // A unit warned about its inventory: its warning VEX.
    let sbom = json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
        {"type": "library", "group": "org.apache.logging.log4j", "name": "log4j-core", "version": "2.14.1",
         "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}]});
    let (status, answer) = app.call("PUT", "/api/v1/assets/groups/core", BANK, Some(sbom)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, answer) = app.post("/api/v1/warnings/rematch", MIIT, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, warnings) = app.get("/api/v1/warnings", BANK).await;
    let warnings = warnings["warnings"].as_array().unwrap();
    assert!(!warnings.is_empty());
    for warning in warnings {
        let id = warning["id"].as_str().unwrap();
        documents.push((
            format!("warning-{}.vex", warning["vulnerability"].as_str().unwrap()),
            document(&app, &format!("/api/v1/warnings/{id}/vex.csaf.json"), BANK).await,
        ));
    }
    let out = std::env::var_os("VULNRELAY_CSAF_OUT").map(std::path::PathBuf::from);
    for (name, document) in &documents {
        assert_eq!(validate(Schema::Csaf, document), [], "{name}");
        if let Some(dir) = &out {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(format!("{name}.json")), serde_json::to_vec_pretty(document).unwrap())
                .unwrap();
        }
    }
}
