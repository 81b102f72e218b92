//! Drafts of the notifications a provider owes, through the API and the web UI: who may
//! see them, prefilled from the case and its record, what is missing named on the
//! deadlines, sending one (content and reference recorded as a `notified` event on the
//! hash chain), `met_incomplete` until the content is complete, then `met`.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use common::*;
use serde_json::{Value, json};
use vulnrelay_store::testing::TestDb;

/// A case on a product of Apache's sold in the EU (markets name the EU, not the Member
/// States), with a coordinator CSIRT and ENISA as parties and a vulnerability record;
/// the platform tells Apache of the active exploitation an hour ago.
async fn eu_case(app: &App) -> String {
    let csirt: &[&str] = &["csirt_coordinator"];
    let enisa: &[&str] = &["enisa"];
    let extra = [("csirt-de", csirt, "DE"), ("enisa", enisa, "GR")];
    let case_id = widget_case(app, &["EU"], &extra, "VR-2026-0042", true).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/cases/{case_id}/events"),
            MIIT,
            json!({"type": "notified", "to": "apache", "exploited": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    case_id
}

fn draft<'v>(drafts: &'v Value, rule: &str) -> &'v Value {
    drafts["regimes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["drafts"].as_array().unwrap())
        .find(|d| d["rule"] == rule)
        .unwrap_or_else(|| panic!("no draft for {rule}: {drafts}"))
}

fn field<'v>(draft: &'v Value, id: &str) -> &'v Value {
    draft["fields"].as_array().unwrap().iter().find(|f| f["id"] == id).unwrap()
}

fn finding<'v>(compliance: &'v Value, rule: &str, party: &str) -> &'v Value {
    compliance["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule && f["party"] == party)
        .unwrap()
}

const EARLY: &str = "eu-cra-2024/art14-2-a-early-warning";
const NOTIFICATION: &str = "eu-cra-2024/art14-2-b-vulnerability-notification";

#[tokio::test]
async fn a_provider_drafts_completes_and_sends_its_early_warning_and_the_finding_turns_met() {
    let app = App::new(TestDb::sqlite().await).await;
    let case = eu_case(&app).await;
    let (status, drafts) = app.get(&format!("/api/v1/cases/{case}/drafts"), APACHE).await;
    assert_eq!(status, StatusCode::OK, "{drafts}");
    assert_eq!(drafts["org"], "apache");
    let early = draft(&drafts, EARLY);
    assert_eq!((&early["status"], &early["kind"]), (&json!("pending"), &json!("early_warning")));
    assert_eq!(early["recipients"], json!(["csirt_coordinator", "enisa"]));
    // The case says "EU", not which Member States: the field is missing.
    assert_eq!(early["missing"], json!(["member_states"]));
    assert_eq!(
        (&field(early, "member_states")["article"], &field(early, "member_states")["confidence"]),
        (&json!("14(2)(a)"), &json!("V"))
    );
    // Prefilled from the record: the general nature from the threat events, the
    // measures from the record's remediation.
    let notification = draft(&drafts, NOTIFICATION);
    assert_eq!(field(notification, "product_information")["value"], "Widget — apache");
    assert!(field(notification, "corrective_measures_taken")["value"].as_str().is_some(), "{notification}");
    assert_eq!(field(notification, "sensitivity")["missing"], true);

    // The deadlines name what the draft lacks.
    let (_, deadlines) = app.get("/api/v1/deadlines", APACHE).await;
    let item = deadlines["deadlines"].as_array().unwrap().iter().find(|d| d["rule"] == EARLY).unwrap();
    assert_eq!(item["draft"]["missing"], json!(["member_states"]));
    assert_eq!(
        item["draft"]["summary"]["en"],
        "draft ready; Member States where the product has been made available missing"
    );

    // Sent without the Member States: in time, but incomplete.
    let send = format!("/api/v1/cases/{case}/drafts/send");
    let (status, body) = app.post(&send, APACHE, json!({"rule": EARLY})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["sent"].as_array().unwrap().len(), 2, "one notification per recipient: {body}");
    let (_, compliance) = app.get(&format!("/api/v1/cases/{case}/compliance"), APACHE).await;
    let f = finding(&compliance, EARLY, "apache");
    assert_eq!(f["status"], "met_incomplete", "{f}");
    assert_eq!(f["missing"][0]["field"], "member_states");

    // Completed and sent again with the reference the SRP gave: met.
    let (status, body) = app
        .post(
            &send,
            APACHE,
            json!({"rule": EARLY, "fields": {"member_states": "DE, FR"}, "reference": "SRP-2026-000123"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, compliance) = app.get(&format!("/api/v1/cases/{case}/compliance"), APACHE).await;
    assert_eq!(finding(&compliance, EARLY, "apache")["status"], "met");
    let (_, events) = app.get(&format!("/api/v1/cases/{case}/events"), APACHE).await;
    let last = events["events"].as_array().unwrap().last().unwrap().clone();
    let body = &last["event"];
    assert_eq!(body["content"]["fields"]["member_states"], "DE, FR", "{last}");
    assert_eq!(body["content"]["reference"], "SRP-2026-000123");
    let (_, verified) = app.get("/api/v1/audit/verify", MIIT).await;
    assert_eq!(verified["ok"], true, "{verified}");
    // The early warning's draft is gone; the next stage's is still there.
    let (_, drafts) = app.get(&format!("/api/v1/cases/{case}/drafts"), APACHE).await;
    let rules: Vec<&Value> = drafts["regimes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["drafts"].as_array().unwrap())
        .map(|d| &d["rule"])
        .collect();
    assert!(!rules.contains(&&json!(EARLY)) && rules.contains(&&json!(NOTIFICATION)), "{rules:?}");
}

#[tokio::test]
async fn drafts_are_for_the_obligated_organisation_and_the_cases_platforms_only() {
    let app = App::new(TestDb::sqlite().await).await;
    let case = eu_case(&app).await;
    let path = format!("/api/v1/cases/{case}/drafts");
    // The reporter may read the case, but not the provider's drafts.
    let (status, _) = app.get(&format!("{path}?org=apache"), REPORTER).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, own) = app.get(&path, REPORTER).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!own.to_string().contains("\"party\":\"apache\""), "{own}");
    // The case's platform may look at the provider's.
    let (status, theirs) = app.get(&format!("{path}?org=apache"), MIIT).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(draft(&theirs, EARLY)["party"], "apache");
    // Somebody with no relation to the case sees nothing of it.
    let (status, _) = app.get(&path, BANK).await;
    assert!(matches!(status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN), "{status}");
    // Only the obligated organisation sends its notifications.
    let (status, _) = app.post(&format!("{path}/send"), MIIT, json!({"rule": EARLY})).await;
    assert!(matches!(status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN), "{status}");
    // A field the draft does not have is refused; nothing is recorded.
    let (status, body) =
        app.post(&format!("{path}/send"), APACHE, json!({"rule": EARLY, "fields": {"model": "x"}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn page(app: &App, lang: &str, session: &str, path: &str) -> (StatusCode, String) {
    let request = Request::builder()
        .uri(path)
        .header(header::COOKIE, format!("vr_lang={lang}; vr_session={session}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, bytes) = app.raw(request).await;
    (status, String::from_utf8(bytes).unwrap())
}

async fn sign_in(app: &App, email: &str) -> String {
    let password = app.passwords[email].clone();
    let request = Request::builder()
        .method("POST")
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("email={}&password={}&next=%2F", enc(email), enc(&password))))
        .unwrap();
    let (status, headers, _) = app.raw(request).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = headers.iter().find(|(k, _)| k == "set-cookie").map(|(_, v)| v.clone()).unwrap();
    cookie.split(';').next().unwrap().strip_prefix("vr_session=").unwrap().to_owned()
}

#[tokio::test]
async fn the_printable_page_lays_out_each_stage_field_by_field_in_both_languages() {
    let app = App::new(TestDb::sqlite().await).await;
    let case = eu_case(&app).await;
    let session = sign_in(&app, APACHE).await;
    let path = format!("/cases/{case}/drafts");
    let (status, en) = page(&app, "en", &session, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(en.contains("<html lang=\"en\""));
    for text in [
        "Member States where the product has been made available",
        "General information on the product",
        "How sensitive the manufacturer considers the information",
        "Art. 14(2)(a)",
        "[V]",
        "missing",
        "Mark sent",
    ] {
        assert!(en.contains(text), "English page lacks {text}");
    }
    let (status, zh) = page(&app, "zh-CN", &session, &path).await;
    assert_eq!(status, StatusCode::OK);
    for text in ["产品已在其境内提供的成员国", "产品的一般信息", "缺少", "标记为已发送"]
    {
        assert!(zh.contains(text), "Chinese page lacks {text}");
    }
    for html in [&en, &zh] {
        assert!(!html.contains('⟦'), "a message key shows instead of text");
    }
    // Another organisation's member with no relation to the drafts is refused.
    let reporter = sign_in(&app, REPORTER).await;
    let (status, _) = page(&app, "en", &reporter, &format!("{path}?org=apache")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn one_case_both_regimes_side_by_side_with_the_art_9_7_conflict_and_drafts_for_each() {
    let app = App::new(TestDb::sqlite().await).await;
    let (case, vendor) = vulnrelay_server::regimes::load(&app.db.store, Utc::now()).await.unwrap();
    assert_eq!(vendor.email, vulnrelay_server::regimes::VENDOR_EMAIL);
    let (status, drafts) = app.get(&format!("/api/v1/cases/{case}/drafts"), &vendor.email).await;
    assert_eq!(status, StatusCode::OK, "{drafts}");
    let policies: Vec<&Value> = drafts["regimes"].as_array().unwrap().iter().map(|r| &r["policy"]).collect();
    assert_eq!(policies, [&json!("cn-rmsv-2021"), &json!("eu-cra-2024")]);
    // The CN 2-day report and the three CRA stages, each with its draft.
    let cn = draft(&drafts, "cn-rmsv-2021/art7-2-report");
    assert_eq!(cn["status"], "pending");
    assert_eq!(field(cn, "product_name")["value"], "Example Networks EG-3000 gateway");
    assert!(cn["missing"].as_array().unwrap().contains(&json!("model")));
    let early = draft(&drafts, EARLY);
    assert_eq!(early["status"], "pending");
    assert_eq!(early["missing"], json!(["member_states"]), "the case names the EU, not the Member States");
    assert_eq!(draft(&drafts, NOTIFICATION)["status"], "pending");
    assert_eq!(draft(&drafts, "eu-cra-2024/art14-2-c-final-report")["status"], "not_started");
    // The conflict with CN Art. 9(7) is flagged, not decided.
    let conflicts = drafts["conflicts"].as_array().unwrap();
    assert!(conflicts.iter().any(|c| c["rule"] == "eu-cra-2024/conflict-cn-art9-7"), "{drafts}");
    // Sending the EU early warning abroad while undisclosed meets the Art. 9(7) gate.
    let (status, body) = app
        .post(
            &format!("/api/v1/cases/{case}/drafts/send"),
            &vendor.email,
            json!({"rule": EARLY, "fields": {"member_states": "DE, FR, NL"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "policy_gate");
    // The dashboard's deadlines say what each draft lacks.
    let (_, deadlines) = app.get("/api/v1/deadlines", &vendor.email).await;
    let early = deadlines["deadlines"].as_array().unwrap().iter().find(|d| d["rule"] == EARLY).unwrap();
    assert_eq!(early["draft"]["missing"], json!(["member_states"]));
}
