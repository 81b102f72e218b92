//! The key intervals through the API: per case (with missing events left open), per
//! organisation (its record of obligations), per quarter (JSON and SVG).

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use serde_json::{Value, json};
use vulnrelay_store::testing::{TestDb, for_each_backend};

fn interval<'a>(answer: &'a Value, kind: &str) -> &'a Value {
    answer["intervals"].as_array().unwrap().iter().find(|i| i["kind"] == kind).unwrap()
}

#[tokio::test]
async fn the_demo_shows_the_fifteen_day_blind_window() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let (code, answer) = app.get(&format!("/api/v1/cases/{}/intervals", app.case_id), MIIT).await;
        assert_eq!(code, StatusCode::OK, "{answer}");
        let blind = interval(&answer, "regulator_report");
        assert_eq!(blind["days"], 15.0);
        assert_eq!(blind["from"]["type"], "discovered");
        assert_eq!(blind["to"]["party"], "cn-institution");
        assert_eq!(interval(&answer, "vendor_notified")["days"], 0.8);
        // The platform's risk warning to the industry on 2021-12-09 closes the last one.
        let warning = interval(&answer, "first_warning");
        assert_eq!(
            (&warning["open"], &warning["days"], &warning["to"]["type"]),
            (&json!(false), &json!(15.0), &json!("risk_warning"))
        );
        // The demo case is published: anyone reads its intervals.
        assert_eq!(app.get(&format!("/api/v1/cases/{}/intervals", app.case_id), "").await.0, StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn a_new_case_has_its_later_intervals_open() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = app.submit(json!({})).await;
        let (_, answer) = app.get(&format!("/api/v1/cases/{case}/intervals"), REPORTER).await;
        for kind in ["fix_available", "public_disclosure", "bulletin", "first_warning"] {
            let i = interval(&answer, kind);
            assert_eq!((&i["open"], &i["days"]), (&json!(true), &Value::Null), "{kind}: {i}");
            assert_eq!(i["from"]["type"], "discovered");
        }
        // An undisclosed case's timeline is not the bank's business.
        assert_eq!(app.get(&format!("/api/v1/cases/{case}/intervals"), BANK).await.0, StatusCode::NOT_FOUND);
        // An undisclosed case's timeline is not the bank's business.
        assert_eq!(app.get(&format!("/api/v1/cases/{case}/intervals"), BANK).await.0, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn an_organisation_record_counts_its_missed_obligations() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let (code, record) = app.get("/api/v1/orgs/alibaba-cloud/history", MIIT).await;
        assert_eq!(code, StatusCode::OK, "{record}");
        assert_eq!(record["missed"], 1, "{record}");
        let missed: Vec<&Value> =
            record["findings"].as_array().unwrap().iter().filter(|f| f["status"] == "overdue").collect();
        assert_eq!(missed[0]["rule"], "cn-miit-member/member-report-2d");
        assert!(
            missed[0]["message"]["zh"]
                .as_str()
                .unwrap()
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        );
        assert_eq!(app.get("/api/v1/orgs/alibaba-cloud/history", REPORTER).await.0, StatusCode::OK);
        assert_eq!(app.get("/api/v1/orgs/alibaba-cloud/history", BANK).await.0, StatusCode::FORBIDDEN);
        assert_eq!(app.get("/api/v1/orgs/alibaba-cloud/history", "").await.0, StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn quarterly_statistics_and_their_charts() {
    let app = App::new(TestDb::sqlite().await).await;
    let (_, stats) = app.get("/api/v1/stats/intervals", MIIT).await;
    assert_eq!(stats["cases"], 1);
    let blind =
        stats["intervals"].as_array().unwrap().iter().find(|i| i["kind"] == "regulator_report").unwrap();
    assert_eq!(
        blind["quarters"],
        json!([{"quarter": "2021-Q4", "closed": 1, "open": 0, "median_days": 15.0, "worst_days": 15.0}])
    );
    // A new case adds to the quarter it was discovered in.
    app.submit(json!({})).await;
    let (_, stats) = app.get("/api/v1/stats/intervals", MIIT).await;
    assert_eq!(stats["cases"], 2);
    for (lang, title) in [
        ("en", "Days from discovery to the first report to a regulator platform"),
        ("zh", "从发现到首次报送监管平台的天数"),
    ] {
        let request = Request::builder()
            .uri(format!("/api/v1/stats/intervals/regulator_report.svg?lang={lang}"))
            .body(Body::empty())
            .unwrap();
        let (code, headers, body) = app.raw(request).await;
        assert_eq!(code, StatusCode::OK);
        assert!(headers.iter().any(|(k, v)| k == "content-type" && v.starts_with("image/svg+xml")));
        let svg = String::from_utf8(body).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains(title), "{svg}");
    }
    assert_eq!(app.get("/api/v1/stats/intervals/nothing.svg", "").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_first_risk_warning_closes_its_interval_and_a_later_one_does_not_move_it() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let sbom = json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
            {"type": "library", "group": "org.apache.logging.log4j", "name": "log4j-core", "version": "2.14.1",
             "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}]});
        let (code, answer) = app.call("PUT", "/api/v1/assets/groups/payments", BANK, Some(sbom)).await;
        assert_eq!(code, StatusCode::OK, "{answer}");
        let (_, warnings) = app.get("/api/v1/warnings", BANK).await;
        let log4shell = warnings["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["vulnerability"] == "CVE-2021-44228")
            .cloned()
            .expect("the bank is warned of Log4Shell");
        // The demo record is actively exploited: act now.
        assert_eq!(log4shell["content"]["urgency"], "immediate", "{log4shell}");
        let (_, answer) = app.get(&format!("/api/v1/cases/{}/intervals", app.case_id), MIIT).await;
        let warning = interval(&answer, "first_warning");
        // A warning issued today does not move the first one, the platform's of 2021-12-09.
        assert_eq!((&warning["open"], &warning["to"]["type"]), (&json!(false), &json!("risk_warning")), "{warning}");
        assert_eq!(warning["days"], 15.0, "{warning}");
        let (_, stats) = app.get("/api/v1/stats/intervals", MIIT).await;
        let first = stats["intervals"].as_array().unwrap().iter().find(|i| i["kind"] == "first_warning").unwrap();
        assert_eq!(first["quarters"][0]["closed"], 1, "{first}");
    })
    .await;
}
