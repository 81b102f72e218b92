//! Sanctions, rectification reports and reviews through the API, on both databases:
//! the ladder's effects on rights, the review workflow's refusals, the organisation's
//! hash-chained log and who may read it.

use crate::common;

use axum::http::StatusCode;
use chrono::{Months, Utc};
use common::*;
use serde_json::{Value, json};
use vulnrelay_store::testing::{TestDb, for_each_backend};

const UNIT: &str = "/api/v1/orgs/alibaba-cloud/memberships/miit-threat-sharing";

fn months_ago(months: u32) -> String {
    Utc::now().checked_sub_months(Months::new(months)).unwrap().to_rfc3339()
}

fn status(answer: &Value) -> &str {
    answer["membership"]["status"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn the_demo_log_shows_the_suspension_its_finding_and_the_restoring_review() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let (code, log) = app.get("/api/v1/orgs/alibaba-cloud/log", MIIT).await;
        assert_eq!(code, StatusCode::OK, "{log}");
        let kinds: Vec<&str> =
            log["log"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["sanctioned", "sanctioned", "rectification_submitted", "review_recorded"]);
        let suspension = &log["log"][0];
        assert_eq!(suspension["sanction"], "suspension");
        assert_eq!(suspension["basis"][0]["rule"], "cn-miit-member/member-report-2d");
        assert_eq!(suspension["basis"][0]["case"], app.case_id.as_str());
        assert_eq!(suspension["until"], "2022-06-21T16:00:00Z");
        assert_eq!(log["log"][1]["prev_hash"], suspension["hash"]);
        // Beside it, the public criticism of the researcher by name (seed account).
        assert_eq!(log["log"][1]["sanction"], "public_criticism");
        assert_eq!(log["memberships"][0]["status"], "active");
        // Anyone sees the public sanctions; the report and the review stay with the unit
        // and the platforms.
        let (_, public) = app.get("/api/v1/orgs/alibaba-cloud/log", "").await;
        assert_eq!((public["log"].as_array().unwrap().len(), &public["complete"]), (2, &json!(false)));
        let (_, own) = app.get("/api/v1/orgs/alibaba-cloud/log", REPORTER).await;
        assert_eq!(own["log"].as_array().unwrap().len(), 4);
        let (_, verified) = app.get("/api/v1/audit/verify", MIIT).await;
        assert_eq!(
            (&verified["ok"], &verified["org_logs"], &verified["org_events"]),
            (&json!(true), &json!(1), &json!(4))
        );
    })
    .await;
}

#[tokio::test]
async fn a_sanction_needs_a_basis_that_stands_and_a_platform_analyst() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = app.case_id.clone();
        let warning = json!({"kind": "warning", "reason": "late report", "findings": ["cn-miit-member/member-report-2d"], "case": case});
        assert_eq!(app.post(&format!("{UNIT}/sanctions"), REPORTER, warning.clone()).await.0, StatusCode::FORBIDDEN);
        assert_eq!(app.post(&format!("{UNIT}/sanctions"), BANK, warning.clone()).await.0, StatusCode::FORBIDDEN);
        // No basis at all: the workflow refuses.
        let (code, answer) =
            app.post(&format!("{UNIT}/sanctions"), MIIT, json!({"kind": "warning", "reason": "no reason"})).await;
        assert_eq!((code, answer["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("sanction_refused")), "{answer}");
        // A finding that does not exist for this unit, an unknown case, an event out of range.
        let bad = json!({"kind": "warning", "reason": "r", "basis": [
            {"rule": "cn-rmsv-2021/art7-2-report", "case": case},
            {"rule": "cn-miit-member/member-report-2d", "case": "no-such-case"},
            {"case": case, "event": 999}
        ]});
        let (code, answer) = app.post(&format!("{UNIT}/sanctions"), MIIT, bad).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        let paths: Vec<&str> =
            answer["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
        assert_eq!(paths, ["$.basis[0].rule", "$.basis[1].case", "$.basis[2].event"]);
        // The same finding for the bank, which had no such duty on the case.
        let (code, _) =
            app.post("/api/v1/orgs/cn-bank/memberships/miit-threat-sharing/sanctions", MIIT, warning.clone()).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        // A warning and a public criticism that names a researcher change no rights.
        let (code, answer) = app.post(&format!("{UNIT}/sanctions"), MIIT, warning).await;
        assert_eq!((code, status(&answer)), (StatusCode::OK, "active"), "{answer}");
        assert_eq!(answer["entry"]["public"], false);
        let criticism = json!({"kind": "public_criticism", "reason": "told the overseas maintainer first",
                               "individual": "a named researcher", "basis": [{"case": case, "event": 1}]});
        let (code, answer) = app.post(&format!("{UNIT}/sanctions"), CNVD, criticism).await;
        assert_eq!((code, status(&answer)), (StatusCode::OK, "active"), "{answer}");
        assert_eq!((&answer["entry"]["public"], &answer["entry"]["individual"]), (&json!(true), &json!("a named researcher")));
        let (_, public) = app.get("/api/v1/orgs/alibaba-cloud/log", "").await;
        assert_eq!(public["log"].as_array().unwrap().len(), 3, "the demo's suspension and criticism, and this criticism");
    })
    .await;
}

#[tokio::test]
async fn a_suspension_ends_only_through_a_report_and_a_review_after_its_term() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = app.submit(json!({})).await;
        let suspend = json!({"reason": "late report", "findings": ["cn-miit-member/member-report-2d"],
                             "case": app.case_id, "at": months_ago(1)});
        let (code, answer) = app.post(&format!("{UNIT}/suspend"), MIIT, suspend).await;
        assert_eq!((code, status(&answer)), (StatusCode::OK, "suspended"), "{answer}");
        assert!(!answer["membership"]["receives_prepublication_warnings"].as_bool().unwrap());
        assert!(!answer["membership"]["reports_as_member"].as_bool().unwrap());
        // Six months by default.
        let until = chrono::DateTime::parse_from_rfc3339(answer["entry"]["until"].as_str().unwrap()).unwrap();
        assert!((until.to_utc() - Utc::now()).num_days() > 140);
        // The suspension is on the case it concerns, so its clocks see it.
        let (_, events) = app.get(&format!("/api/v1/cases/{}/events", app.case_id), MIIT).await;
        let last = events["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["event"]["type"], "membership_suspended");
        // No restoration without a report and a review; no restoration within the term.
        let (code, answer) = app.post(&format!("{UNIT}/restore"), MIIT, json!({"review": "ok"})).await;
        assert_eq!(
            (code, answer["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("sanction_refused"))
        );
        assert!(answer["error"]["message"].as_str().unwrap().contains("no rectification report"), "{answer}");
        assert_eq!(answer["error"]["details"][0]["reason"], "no_report");
        let (code, answer) =
            app.post(&format!("{UNIT}/rectifications"), BANK, json!({"report": "not my unit"})).await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{answer}");
        let (code, answer) =
            app.post(&format!("{UNIT}/rectifications"), REPORTER, json!({"report": "new process"})).await;
        assert_eq!((code, status(&answer)), (StatusCode::OK, "suspended"), "{answer}");
        let (code, answer) = app.post(&format!("{UNIT}/restore"), MIIT, json!({"review": "ok"})).await;
        assert_eq!(code, StatusCode::CONFLICT);
        assert!(
            answer["error"]["message"].as_str().unwrap().contains("restoration is reviewed after the term")
        );
        // The analyst extends instead.
        let extend = json!({"outcome": "extend", "months": 2, "note": "the procedure is not in force yet"});
        let (code, answer) = app.post(&format!("{UNIT}/reviews"), MIIT, extend.clone()).await;
        assert_eq!((code, status(&answer)), (StatusCode::OK, "suspended"), "{answer}");
        // A second review needs a second report.
        let (code, _) = app.post(&format!("{UNIT}/reviews"), MIIT, extend).await;
        assert_eq!(code, StatusCode::CONFLICT);
        assert_eq!(
            app.post(&format!("{UNIT}/reviews"), MIIT, json!({"outcome": "pardon", "note": "n"})).await.0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        // While suspended, the unit's reports do not reach the members' route.
        let routed = app.state.store.case(&case).await.unwrap();
        assert_eq!(routed.platform_org, "miit-nvdb", "the test's default platform");
        let (_, standing) = app.get("/api/v1/orgs/alibaba-cloud", MIIT).await;
        assert_eq!(standing["memberships"][0]["status"], "suspended", "{standing}");
    })
    .await;
}

#[tokio::test]
async fn a_term_that_is_over_awaits_review_and_a_review_restores() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let suspend = json!({"reason": "late report", "findings": ["cn-miit-member/member-report-2d"],
                             "case": app.case_id, "at": months_ago(8)});
        assert_eq!(app.post(&format!("{UNIT}/suspend"), MIIT, suspend).await.0, StatusCode::OK);
        // The suspension was not decided as public: the unit sees its status, the
        // public is told it is undisclosed.
        let (_, shown) = app.get("/api/v1/orgs/alibaba-cloud", REPORTER).await;
        assert_eq!(shown["memberships"][0]["status"], "awaiting_review", "the term is over; no review yet");
        let (_, public) = app.get("/api/v1/orgs/alibaba-cloud", "").await;
        assert_eq!(public["memberships"][0]["status"], "undisclosed");
        assert_eq!(shown["memberships"][0]["report_submitted"], false);
        let report = json!({"report": "reporting procedure fixed", "at": months_ago(1)});
        let (code, answer) = app.post(&format!("{UNIT}/rectifications"), REPORTER, report).await;
        assert_eq!((code, status(&answer)), (StatusCode::OK, "awaiting_review"), "{answer}");
        assert_eq!(answer["membership"]["report_submitted"], true);
        let (code, answer) = app
            .post(
                &format!("{UNIT}/reviews"),
                MIIT,
                json!({"outcome": "restore", "note": "accepted", "case": app.case_id}),
            )
            .await;
        assert_eq!((code, status(&answer)), (StatusCode::OK, "active"), "{answer}");
        let (_, events) = app.get(&format!("/api/v1/cases/{}/events", app.case_id), MIIT).await;
        assert_eq!(
            events["events"].as_array().unwrap().last().unwrap()["event"]["type"],
            "membership_restored"
        );
        let (_, shown) = app.get("/api/v1/orgs/alibaba-cloud", MIIT).await;
        let history: Vec<&str> = shown["membership_history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["change"].as_str().unwrap())
            .collect();
        assert_eq!(history, ["joined", "suspended", "restored", "suspended", "restored"]);
        // A restored unit has nothing to rectify.
        let (code, _) =
            app.post(&format!("{UNIT}/rectifications"), REPORTER, json!({"report": "again"})).await;
        assert_eq!(code, StatusCode::CONFLICT);
    })
    .await;
}

#[tokio::test]
async fn an_expelled_unit_loses_the_membership_for_good() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let expel = json!({"kind": "expulsion", "reason": "repeated breaches", "public": true,
                           "findings": ["cn-miit-member/member-report-2d"], "case": app.case_id});
        let (code, answer) = app.post(&format!("{UNIT}/sanctions"), MIIT, expel).await;
        assert_eq!((code, status(&answer)), (StatusCode::OK, "expelled"), "{answer}");
        let (_, shown) = app.get("/api/v1/orgs/alibaba-cloud", "").await;
        assert_eq!(shown["memberships"][0]["status"], "ended");
        let warning = json!({"kind": "warning", "reason": "r", "findings": ["cn-miit-member/member-report-2d"], "case": app.case_id});
        let (code, answer) = app.post(&format!("{UNIT}/sanctions"), MIIT, warning).await;
        assert_eq!(code, StatusCode::CONFLICT);
        assert!(answer["error"]["message"].as_str().unwrap().contains("expelled"));
        assert_eq!(app.get("/api/v1/orgs/nobody/log", "").await.0, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn a_suspended_unit_is_not_bound_by_member_duties_on_new_cases() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let member_duty = |compliance: &Value| {
            compliance["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule"] == "cn-miit-member/member-report-2d" && f["party"] == "alibaba-cloud")
        };
        let before = app.submit(json!({})).await;
        let (_, compliance) = app.get(&format!("/api/v1/cases/{before}/compliance"), MIIT).await;
        assert!(member_duty(&compliance), "an active member's duty binds: {compliance}");
        let suspend = json!({"reason": "late report", "findings": ["cn-miit-member/member-report-2d"], "case": app.case_id});
        assert_eq!(app.post(&format!("{UNIT}/suspend"), MIIT, suspend).await.0, StatusCode::OK);
        let during = app.submit(json!({})).await;
        let (_, compliance) = app.get(&format!("/api/v1/cases/{during}/compliance"), MIIT).await;
        assert!(!member_duty(&compliance), "a suspended unit reports as a non-member: {compliance}");
    })
    .await;
}
