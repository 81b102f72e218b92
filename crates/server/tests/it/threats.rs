//! Threat status through the API: dated threat events with their source, the status
//! derived from them, and active exploitation on the case: the platform's own awareness,
//! which starts a provider's EU CRA Art. 14 clocks only once the provider is told.

use crate::common;

use axum::http::StatusCode;
use chrono::{TimeDelta, Utc};
use common::*;
use serde_json::{Value, json};
use vulnrelay_store::testing::{TestDb, for_each_backend};

/// A case of 2026 on a product sold in the EU, whose provider the CRA binds, with a
/// vulnerability record; returns (case id, record id).
async fn eu_case(app: &App) -> (String, String) {
    let case_id = widget_case(app, &["EU", "CN"], &[], "VR-2026-0001", false).await;
    (case_id, "VR-2026-0001".into())
}

fn cra_findings(compliance: &Value) -> Vec<Value> {
    compliance["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().contains("art14-2-a") && f["party"] == "apache")
        .cloned()
        .collect()
}

#[tokio::test]
async fn active_exploitation_is_recorded_and_the_cra_clocks_start_when_the_provider_is_told() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let (case, id) = eu_case(&app).await;
        let (_, before) = app.get(&format!("/api/v1/cases/{case}/compliance"), MIIT).await;
        assert!(
            cra_findings(&before).iter().all(|f| f["anchor_at"].is_null()),
            "no clock before exploitation: {:?}",
            cra_findings(&before)
        );
        let path = format!("/api/v1/vulnerabilities/{id}/threats");
        let poc = json!({"kind": "proof_of_concept", "source": "GitHub", "at": (Utc::now() - TimeDelta::hours(30)).to_rfc3339()});
        let (code, answer) = app.post(&path, MIIT, poc).await;
        assert_eq!((code, &answer["threat_status"]["level"]), (StatusCode::CREATED, &json!("proof_of_concept")), "{answer}");
        assert!(answer["case_event"].is_null(), "a proof of concept starts no clock");
        let exploited_at = (Utc::now() - TimeDelta::hours(3)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let exploited = json!({"kind": "actively_exploited", "source": "CERT-EU", "at": exploited_at,
                               "reference": "https://cert.europa.eu/"});
        let (code, answer) = app.post(&path, MIIT, exploited.clone()).await;
        assert_eq!(code, StatusCode::CREATED, "{answer}");
        assert_eq!(answer["threat_status"]["level"], "actively_exploited");
        assert_eq!(answer["threat_status"]["since"]["source"], "CERT-EU");
        assert_eq!(answer["case_event"]["case"], case.as_str());
        let (_, events) = app.get(&format!("/api/v1/cases/{case}/events"), MIIT).await;
        assert_eq!(events["events"].as_array().unwrap().last().unwrap()["event"]["type"], "exploited");
        // The platform knows; the provider does not yet: its CRA clock has not started.
        let (_, after) = app.get(&format!("/api/v1/cases/{case}/compliance"), MIIT).await;
        let cra = cra_findings(&after);
        assert_eq!(cra.len(), 1, "{cra:?}");
        assert_eq!((&cra[0]["status"], &cra[0]["anchor_at"]), (&json!("not_started"), &Value::Null), "{cra:?}");
        // The platform tells the provider: its 24-hour early warning runs from then.
        let told_at = (Utc::now() - TimeDelta::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let tell = json!({"type": "notified", "to": "apache", "exploited": true, "at": told_at});
        let (code, answer) = app.post(&format!("/api/v1/cases/{case}/events"), MIIT, tell).await;
        assert_eq!(code, StatusCode::CREATED, "{answer}");
        let (_, told) = app.get(&format!("/api/v1/cases/{case}/compliance"), MIIT).await;
        let cra = cra_findings(&told);
        assert_eq!(cra[0]["status"], "pending", "{cra:?}");
        let anchor = chrono::DateTime::parse_from_rfc3339(cra[0]["anchor_at"].as_str().unwrap()).unwrap();
        let due = chrono::DateTime::parse_from_rfc3339(cra[0]["due_at"].as_str().unwrap()).unwrap();
        assert_eq!(anchor.to_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true), told_at);
        assert_eq!(due - anchor, TimeDelta::hours(24));
        // A second report of exploitation adds to the record, not to the case.
        let (code, answer) = app.post(&path, MIIT, json!({"kind": "actively_exploited", "source": "CNVD"})).await;
        assert_eq!((code, answer["case_event"].is_null()), (StatusCode::CREATED, true), "{answer}");
        let (_, shown) = app.get(&format!("/api/v1/vulnerabilities/{id}"), MIIT).await;
        let kinds: Vec<&str> =
            shown["threat_status"]["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["proof_of_concept", "actively_exploited", "actively_exploited"]);
        assert_eq!(shown["threats"].as_array().unwrap().len(), 3, "the record keeps every event");
    })
    .await;
}

#[tokio::test]
async fn threat_events_are_checked_and_recorded_by_platform_staff_only() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let path = "/api/v1/vulnerabilities/CVE-2021-44228/threats";
        let bypass = json!({"kind": "fix_bypassed", "version": "2.15.0-rc1", "source": "observed", "at": "2021-12-09T20:00:00+08:00"});
        assert_eq!(app.post(path, BANK, bypass.clone()).await.0, StatusCode::FORBIDDEN);
        assert_eq!(app.post(path, "", bypass.clone()).await.0, StatusCode::UNAUTHORIZED);
        let (code, answer) = app.post(path, MIIT, json!({"kind": "fix_bypassed", "source": "observed"})).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer["error"]["details"][0]["field"], "$.version");
        let future = (Utc::now() + TimeDelta::days(1)).to_rfc3339();
        let (code, answer) = app.post(path, MIIT, json!({"kind": "rumour", "source": "x", "at": future})).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> =
            answer["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["$.at", "$.kind"]);
        let (code, answer) = app.post(path, MIIT, bypass).await;
        assert_eq!(code, StatusCode::CREATED, "{answer}");
        let bypassed = answer["threat_status"]["bypassed_fixes"].as_array().unwrap();
        assert!(bypassed.iter().any(|b| b["version"] == "2.15.0-rc1"), "{bypassed:?}");
        assert_eq!(app.post("/api/v1/vulnerabilities/CVE-1999-0001/threats", MIIT, json!({})).await.0, StatusCode::NOT_FOUND);
    })
    .await;
}
