//! API tests through the router in-process, on every back end available.

use crate::common;

use axum::http::StatusCode;
use common::*;
use serde_json::{Value, json};
use vulnrelay_store::testing::{TestDb, for_each_backend};

#[tokio::test]
async fn intake_opens_a_case_on_the_members_platform_with_a_receipt() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let (status, answer) = app.post("/api/v1/reports", REPORTER, report()).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert_eq!(answer["platform"], "miit-nvdb", "a member's reports go to the MIIT platform");
        let case = answer["case"].as_str().unwrap();
        let (status, shown) = app.get(&format!("/api/v1/cases/{case}"), REPORTER).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(shown["state"], "received");
        assert_eq!(shown["report"]["cvss"]["base_score"], 10.0);
        assert!(shown["report"]["attachments"][1].get("content_base64").is_none());
        let (_, events) = app.get(&format!("/api/v1/cases/{case}/events"), REPORTER).await;
        let types: Vec<&str> = events["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event"]["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["discovered", "notified"]);
        let (_, receipts) = app.get("/api/v1/receipts", MIIT).await;
        let receipts = receipts["receipts"].as_array().unwrap();
        assert_eq!(receipts.len(), 1);
        assert_eq!(receipts[0]["case"], case);
        assert_eq!(receipts[0]["channel"], "api");
        // The reporter cannot read the receipt log.
        assert_eq!(app.get("/api/v1/receipts", REPORTER).await.0, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn a_report_missing_content_lists_every_missing_field_and_stores_nothing() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let before = app.counts().await;
        let (status, answer) = app.post("/api/v1/reports", REPORTER, json!({"product": {}})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer["error"]["code"], "invalid");
        let fields: Vec<&str> = answer["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "$.product.name",
                "$.product.model",
                "$.product.affected_versions",
                "$.technical_characteristics",
                "$.harm",
                "$.scope_of_impact",
                "$.discovered_at"
            ]
        );
        assert_eq!(app.counts().await, before);
    })
    .await;
}

#[tokio::test]
async fn bad_input_gets_a_clear_json_error_and_stores_nothing() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let before = app.counts().await;
        let token = app.token(REPORTER).await;
        let send = |body: String, content_type: &'static str| {
            axum::http::Request::builder()
                .method("POST")
                .uri("/api/v1/reports")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", content_type)
                .body(axum::body::Body::from(body))
                .unwrap()
        };
        let cases: Vec<(String, &str, StatusCode, &str)> = vec![
            ("{\"title\": ".into(), "application/json", StatusCode::BAD_REQUEST, "bad_request"),
            (report().to_string(), "text/plain", StatusCode::BAD_REQUEST, "bad_request"),
            ("x".repeat(70 * 1024), "application/json", StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        ];
        for (body, content_type, expected, code) in cases {
            let (status, _, bytes) = app.raw(send(body, content_type)).await;
            let answer: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!((status, answer["error"]["code"].as_str().unwrap()), (expected, code), "{answer}");
            assert!(answer["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        let mut wrong_types = report();
        wrong_types["harm"] = json!(42);
        wrong_types["product"]["affected_versions"] = json!("2.14.1");
        let mut unknown_field = report();
        unknown_field["severity"] = json!("high");
        let mut bad_time = report();
        bad_time["discovered_at"] = json!("2021-13-45");
        let mut future = report();
        future["discovered_at"] = json!("2999-01-01T00:00:00Z");
        let mut unknown_party = report();
        unknown_party["product"]["provider"] = json!("ghost-corp");
        let mut unknown_platform = report();
        unknown_platform["platform"] = json!("nowhere");
        let mut bad_cvss = report();
        bad_cvss["cvss_vector"] = json!("CVSS:3.1/AV:X");
        let mut big_attachment = report();
        big_attachment["attachments"][0]["content_base64"] = json!("QUFB".repeat(6000));
        let expectations = [
            (wrong_types, vec!["$.product.affected_versions", "$.harm"]),
            (unknown_field, vec!["$.severity"]),
            (bad_time, vec!["$.discovered_at"]),
            // A time in the future is refused where it stands (the order of the two
            // times is not judged against a time that was refused).
            (future, vec!["$.discovered_at"]),
            (unknown_party, vec!["$.product.provider"]),
            (unknown_platform, vec!["$.platform"]),
            (bad_cvss, vec!["$.cvss_vector"]),
            (big_attachment, vec!["$.attachments[0].content_base64"]),
        ];
        for (body, fields) in expectations {
            let (status, answer) = app.post("/api/v1/reports", REPORTER, body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            let got: Vec<&str> = answer["error"]["details"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["field"].as_str().unwrap())
                .collect();
            assert_eq!(got, fields, "{answer}");
        }
        // An event with an unknown party id: 422, nothing appended.
        let case = app.case_id.clone();
        let events_before = app.db.store.events(&case).await.unwrap().len();
        let (status, answer) = app
            .post(
                &format!("/api/v1/cases/{case}/events"),
                MIIT,
                json!({"type": "notified", "to": "nobody-at-all"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["details"][0]["field"], "$.to");
        let (status, _) = app
            .post(
                &format!("/api/v1/cases/{case}/events"),
                MIIT,
                json!({"type": "verified", "at": "yesterday"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.db.store.events(&case).await.unwrap().len(), events_before);
        assert_eq!(app.counts().await, before);
        // Unknown routes and unknown query fields answer in the envelope too.
        let (status, answer) = app.get("/api/v1/nope", "").await;
        assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    })
    .await;
}

#[tokio::test]
async fn the_chain_forwards_on_verification_and_gates_refuse_overseas_sharing() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = app.submit(json!({})).await;
        let path = format!("/api/v1/cases/{case}/events");
        // Only the platform records workflow events.
        assert_eq!(
            app.post(&path, REPORTER, json!({"type": "triage_started"})).await.0,
            StatusCode::FORBIDDEN
        );
        let (status, answer) = app.post(&path, MIIT, json!({"type": "triage_started"})).await;
        assert_eq!((status, answer["state"].as_str()), (StatusCode::CREATED, Some("triaging")), "{answer}");
        let (status, answer) = app.post(&path, MIIT, json!({"type": "triage_started"})).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("invalid_transition"))
        );
        let (status, answer) = app.post(&path, MIIT, json!({"type": "verified"})).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let forwarded: Vec<(String, String)> = answer["forwarded"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["to"].as_str().unwrap().to_owned(), f["status"].as_str().unwrap().to_owned()))
            .collect();
        // MIIT passes it to CNVD and the MPS centre at once; CNVD's request to the CVE
        // Program (overseas, undisclosed, not the provider) is refused by Art. 9(7).
        assert_eq!(
            forwarded,
            [
                ("cnvd".into(), "forwarded".into()),
                ("mps-ncc".into(), "forwarded".into()),
                ("cve-program".into(), "refused".into())
            ]
        );
        let refusal = &answer["forwarded"][2]["error"][0];
        assert_eq!(refusal["rule"], "cn-rmsv-2021/art9-7-overseas");
        assert_eq!(answer["state"], "coordinating");
        // CNVD now sees the case (a platform it was forwarded to).
        assert_eq!(app.get(&format!("/api/v1/cases/{case}"), CNVD).await.0, StatusCode::OK);
        // A direct forward to the CVE Program: 409 policy_gate naming the rule and article.
        let forward = format!("/api/v1/cases/{case}/forward");
        let (status, answer) = app.post(&forward, CNVD, json!({"to": "cve-program"})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(answer["error"]["code"], "policy_gate");
        assert_eq!(answer["error"]["details"][0]["article"], "9(7)");
        assert!(answer["error"]["message"].as_str().unwrap().contains("cn-rmsv-2021/art9-7-overseas"));
        // With an analyst's override and reason it is recorded, and shows as violated.
        let (status, answer) = app
            .post(
                &forward,
                CNVD,
                json!({"to": "cve-program", "override_reason": "CVE ID needed for the advisory"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert_eq!(answer["events"][0]["override_reason"], "CVE ID needed for the advisory");
        let (_, compliance) = app.get(&format!("/api/v1/cases/{case}/compliance"), CNVD).await;
        let violated: Vec<&str> = compliance["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == "violated")
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        assert_eq!(violated, ["cn-rmsv-2021/art9-7-overseas"]);
    })
    .await;
}

#[tokio::test]
async fn publishing_before_a_fix_is_refused_unless_an_analyst_overrides() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = app.submit(json!({})).await;
        let path = format!("/api/v1/cases/{case}/events");
        app.post(&path, MIIT, json!({"type": "verified"})).await;
        let publish = json!({"type": "published", "with_remediation": false});
        let (status, answer) = app.post(&path, MIIT, publish.clone()).await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        let rules: Vec<&str> = answer["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["rule"].as_str().unwrap())
            .collect();
        assert_eq!(rules, ["cn-rmsv-2021/art9-1-prepublication", "cn-rmsv-2021/art9-5-remediation"]);
        // The reporter may not override a gate on its own publication.
        let mut own = publish.clone();
        own["override_reason"] = json!("we think it is fine");
        let (status, answer) = app.post(&path, REPORTER, own).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
        // The public cannot see the case before publication.
        assert_eq!(app.get(&format!("/api/v1/cases/{case}"), BANK).await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&format!("/api/v1/cases/{case}"), "").await.0, StatusCode::NOT_FOUND);
        let (status, answer) = app
            .post(&path, MIIT, json!({"type": "fix_available", "party": "apache", "version": "2.15.0"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let (status, answer) =
            app.post(&path, MIIT, json!({"type": "published", "with_remediation": true})).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert_eq!(answer["state"], "published");
        // Now the public sees it, but not the reporter's materials (publication makes
        // the bulletin public, not the report's attachments), and never exploit code.
        let (status, _) = app.get(&format!("/api/v1/cases/{case}"), BANK).await;
        assert_eq!(status, StatusCode::OK);
        let names = |listed: &Value| -> Vec<String> {
            listed["attachments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["filename"].as_str().unwrap().to_owned())
                .collect()
        };
        assert!(names(&app.get(&format!("/api/v1/cases/{case}/attachments"), "").await.1).is_empty());
        let mut platform = names(&app.get(&format!("/api/v1/cases/{case}/attachments"), MIIT).await.1);
        platform.sort();
        assert_eq!(platform, ["Poc.java", "README.txt"]);
    })
    .await;
}

#[tokio::test]
async fn providers_see_a_case_once_notified_and_exploit_code_stays_with_reporter_and_platform() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = app.submit(json!({})).await;
        let show = format!("/api/v1/cases/{case}");
        assert_eq!(
            app.get(&show, APACHE).await.0,
            StatusCode::NOT_FOUND,
            "not notified yet: as if it did not exist"
        );
        let (status, answer) =
            app.post(&format!("/api/v1/cases/{case}/forward"), MIIT, json!({"to": "apache"})).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert_eq!(app.get(&show, APACHE).await.0, StatusCode::OK);
        // The provider may record its own events but not the platform's, nor forward.
        let events = format!("/api/v1/cases/{case}/events");
        assert_eq!(app.post(&events, APACHE, json!({"type": "verified"})).await.0, StatusCode::CREATED);
        assert_eq!(
            app.post(&events, APACHE, json!({"type": "verified", "party": "miit-nvdb"})).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.post(&format!("/api/v1/cases/{case}/forward"), APACHE, json!({"to": "cnvd"})).await.0,
            StatusCode::FORBIDDEN
        );
        let (_, listed) = app.get(&format!("/api/v1/cases/{case}/attachments"), APACHE).await;
        assert_eq!(listed["attachments"].as_array().unwrap().len(), 1);
        let (_, all) = app.get(&format!("/api/v1/cases/{case}/attachments"), MIIT).await;
        let exploit =
            all["attachments"].as_array().unwrap().iter().find(|a| a["exploit_code"] == true).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned();
        let url = format!("/api/v1/cases/{case}/attachments/{exploit}");
        assert_eq!(app.get(&url, APACHE).await.0, StatusCode::NOT_FOUND);
        let (status, _, bytes) = app
            .raw(
                axum::http::Request::get(&url)
                    .header("authorization", format!("Bearer {}", app.token(REPORTER).await))
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!((status, bytes.as_slice()), (StatusCode::OK, b"class Poc {}".as_slice()));
        // Lists hold only what the caller may see.
        let (_, mine) = app.get("/api/v1/cases", BANK).await;
        assert!(mine["cases"].as_array().unwrap().iter().all(|c| c["state"] == "published"));
    })
    .await;
}

#[tokio::test]
async fn compliance_is_the_check_report_of_the_exported_case() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = app.case_id.clone();
        let (status, served) =
            app.get(&format!("/api/v1/cases/{case}/compliance?as_of=2022-01-01"), MIIT).await;
        assert_eq!(status, StatusCode::OK);
        let (status, export) = app.get(&format!("/api/v1/cases/{case}/export"), MIIT).await;
        assert_eq!(status, StatusCode::OK);
        // What `vulnrelay check --format json --as-of 2022-01-01` computes from the export.
        let parsed =
            vulnrelay_formats::case_file::from_value(&export).expect("the export is a valid case file");
        let packs = vulnrelay_policy::builtin_packs().unwrap();
        let as_of = vulnrelay_formats::case_file::parse_time("2022-01-01", parsed.timezone()).unwrap();
        let options =
            vulnrelay_policy::Options { as_of, interpretation: vulnrelay_policy::Interpretation::Hours };
        let findings = vulnrelay_policy::evaluate(&parsed, &packs, &options);
        let evaluated = [vulnrelay_formats::compliance::Evaluated {
            source: case.clone(),
            case: &parsed,
            as_of,
            findings: &findings,
            evidence: None,
            recorded: None,
        }];
        let expected = vulnrelay_formats::compliance::report(
            "2022-01-01",
            options.interpretation,
            &vulnrelay_policy::Settings::default(),
            &packs,
            &evaluated,
        );
        // The server adds what only it knows: how well its record supports each finding
        // (and the recorded reading where a claim changes it).
        let mut served_as_check = served.clone();
        let mut qualities = 0;
        for f in served_as_check["findings"].as_array_mut().unwrap() {
            let f = f.as_object_mut().unwrap();
            qualities += usize::from(f.remove("evidence_quality").is_some_and(|q| q.is_string()));
            f.remove("recorded_reading");
        }
        assert!(qualities > 0, "{served}");
        assert_eq!(served_as_check, serde_json::to_value(expected).unwrap());
        // The story's verdicts: the member's 2-day report to the MIIT platform is overdue.
        let overdue: Vec<&str> = served["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == "overdue")
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        assert!(overdue.contains(&"cn-miit-member/report-2-days") || !overdue.is_empty(), "{overdue:?}");
        for bad in ["weeks", "eu-cra-2024=calendar-days", "cn-2099=hours"] {
            let (status, answer) =
                app.get(&format!("/api/v1/cases/{case}/compliance?interpretation={bad}"), MIIT).await;
            assert_eq!(
                (status, answer["error"]["details"][0]["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("interpretation")),
                "{bad}: {answer}"
            );
        }
        // Readings per policy, as `vulnrelay check --interpretation` takes them.
        let (status, answer) = app
            .get(
                &format!("/api/v1/cases/{case}/compliance?as_of=2022-01-01&interpretation=cn-miit-member=calendar-days"),
                MIIT,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let readings: Vec<&str> =
            answer["policies"].as_array().unwrap().iter().map(|p| p["interpretation"].as_str().unwrap()).collect();
        assert_eq!(readings, ["hours", "calendar-days", "hours"]);
    })
    .await;
}

#[tokio::test]
async fn a_platform_sets_the_cooperating_unit_deadline_by_configuration() {
    for_each_backend(|db: TestDb| async move {
        let mut config = common::config();
        config
            .policy
            .deadlines
            .insert("cn-miit-member/member-report-2d".into(), vulnrelay_policy::Deadline::Days(20));
        let app = App::with_config(db, config).await;
        let case = app.case_id.clone();
        let (status, served) =
            app.get(&format!("/api/v1/cases/{case}/compliance?as_of=2022-01-01"), MIIT).await;
        assert_eq!(status, StatusCode::OK);
        let member: Vec<&serde_json::Value> = served["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "cn-miit-member/member-report-2d" && f["party"] == "alibaba-cloud")
            .collect();
        assert_eq!(member.len(), 1, "{served}");
        assert_eq!(member[0]["due_at"], "2021-12-14T00:00:00+08:00");
        let notes = member[0]["notes"].as_array().unwrap();
        assert!(
            notes
                .iter()
                .any(|n| n["en"] == "the deadline is set by the platform's configuration, not by the pack")
        );
    })
    .await;
}

#[tokio::test]
async fn deadlines_list_the_callers_open_obligations_by_due_time() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        // A Chinese vendor, told of a flaw in its product, owes the MIIT platform a report within 2 days.
        let (status, _) = app.post("/api/v1/orgs", ADMIN, json!({"id": "cn-vendor", "name": "CN Vendor", "jurisdiction": "CN", "roles": ["product_provider"]})).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, _) = app.post("/api/v1/accounts", ADMIN, json!({"email": "psirt@cn-vendor.example", "name": "PSIRT", "password": "a long enough password", "org": "cn-vendor", "roles": ["vendor_contact"]})).await;
        assert_eq!(status, StatusCode::CREATED);
        let mut product = report()["product"].clone();
        product["provider"] = json!("cn-vendor");
        let case = app.submit(json!({"product": product})).await;
        // Told by the finder. (Told by the MIIT platform itself, whether it must report
        // back is left to review: see tests/coordination.rs.)
        let (status, answer) =
            app.post(&format!("/api/v1/cases/{case}/events"), REPORTER, json!({"type": "notified", "to": "cn-vendor"})).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let (status, soon) = app.get("/api/v1/deadlines?within=72h", "psirt@cn-vendor.example").await;
        assert_eq!(status, StatusCode::OK, "{soon}");
        let rules: Vec<&str> = soon["deadlines"].as_array().unwrap().iter().map(|d| d["rule"].as_str().unwrap()).collect();
        assert_eq!(rules.first(), Some(&"cn-rmsv-2021/art7-2-report"), "{soon}");
        assert_eq!(soon["deadlines"][0]["due_at"]["timezone"], "Asia/Shanghai");
        let (_, later) = app.get("/api/v1/deadlines?within=1h", "psirt@cn-vendor.example").await;
        assert!(later["deadlines"].as_array().unwrap().iter().all(|d| d["rule"] != "cn-rmsv-2021/art7-2-report"));
        assert_eq!(app.get("/api/v1/deadlines?within=soon", MIIT).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.get("/api/v1/deadlines", "").await.0, StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn comments_embargo_and_unknown_cases() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = app.submit(json!({})).await;
        let (status, _) = app
            .post(&format!("/api/v1/cases/{case}/comments"), REPORTER, json!({"body": "PoC attached"}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, comments) = app.get(&format!("/api/v1/cases/{case}/comments"), MIIT).await;
        assert_eq!(comments["comments"][0]["body"], "PoC attached");
        assert_eq!(
            app.post(&format!("/api/v1/cases/{case}/comments"), REPORTER, json!({})).await.0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let embargo = format!("/api/v1/cases/{case}/embargo");
        let (status, answer) =
            app.call("PUT", &embargo, MIIT, Some(json!({"planned_public_at": "2022-01-10"}))).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["planned_public_at"]["utc"], "2022-01-09T16:00:00+00:00");
        assert_eq!(answer["planned_public_at"]["local"], "2022-01-10T00:00:00+08:00");
        assert_eq!(
            app.call("PUT", &embargo, REPORTER, Some(json!({"planned_public_at": null}))).await.0,
            StatusCode::FORBIDDEN
        );
        let (_, shown) = app.get(&format!("/api/v1/cases/{case}"), REPORTER).await;
        assert_eq!(shown["planned_public_at"]["timezone"], "Asia/Shanghai");
        assert_eq!(app.get("/api/v1/cases/case-doesnotexist", MIIT).await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.get("/api/v1/cases/case-doesnotexist/export", "").await.0, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn audit_verify_names_the_first_broken_link() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let (status, answer) = app.get("/api/v1/audit/verify", MIIT).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(answer["ok"], true);
        // The case file's 10 events, the 4 the demo's story adds, and the illustrative
        // vendors' 3 notifications and 3 statuses.
        assert_eq!(answer["events"], 20);
        assert_eq!(app.get("/api/v1/audit/verify", REPORTER).await.0, StatusCode::FORBIDDEN);
        assert_eq!(app.get("/api/v1/audit/verify", "").await.0, StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn receipts_inside_the_retention_period_cannot_be_purged() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        app.submit(json!({})).await;
        let now = chrono::Utc::now().to_rfc3339().replace('+', "%2B");
        let (status, answer) =
            app.post(&format!("/api/v1/receipts/purge?before={now}"), ADMIN, json!({})).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("retention")),
            "{answer}"
        );
        assert!(answer["error"]["message"].as_str().unwrap().contains("6-month"));
        let (status, answer) =
            app.post("/api/v1/receipts/purge?before=2020-01-01T00:00:00Z", ADMIN, json!({})).await;
        assert_eq!((status, answer["deleted"].as_u64()), (StatusCode::OK, Some(0)));
        assert_eq!(app.db.store.receipts().await.unwrap().len(), 1);
        assert_eq!(
            app.post("/api/v1/receipts/purge?before=2020-01-01T00:00:00Z", MIIT, json!({})).await.0,
            StatusCode::FORBIDDEN
        );
    })
    .await;
}

#[tokio::test]
async fn organisations_are_listed_by_keyset_pages() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        for n in 0..5 {
            let body = json!({"id": format!("vendor-{n}"), "name": format!("Vendor {n}"), "jurisdiction": "CN", "roles": ["product_provider"]});
            let (status, answer) = app.post("/api/v1/orgs", ADMIN, body).await;
            assert_eq!(status, StatusCode::CREATED, "{answer}");
        }
        let (status, whole) = app.get("/api/v1/orgs?limit=200", "").await;
        assert_eq!(status, StatusCode::OK, "{whole}");
        assert_eq!(whole["next"], Value::Null, "{whole}");
        let ids = |page: &Value| -> Vec<String> {
            page["orgs"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect()
        };
        let every = ids(&whole);
        assert!(every.len() >= 5, "{whole}");
        assert!(every.windows(2).all(|w| w[0] < w[1]), "by id: {every:?}");
        // Walked two at a time, the pages give every organisation once, in order.
        let (mut walked, mut after, mut pages) = (Vec::new(), None::<String>, 0);
        loop {
            let path = match &after {
                Some(a) => format!("/api/v1/orgs?limit=2&after={a}"),
                None => "/api/v1/orgs?limit=2".to_owned(),
            };
            let (status, page) = app.get(&path, "").await;
            assert_eq!(status, StatusCode::OK, "{page}");
            let got = ids(&page);
            assert!(got.len() <= 2, "{page}");
            walked.extend(got);
            pages += 1;
            match page["next"].as_str() {
                Some(next) => after = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(walked, every);
        assert_eq!(pages, every.len().div_ceil(2));
        // The page size is clamped, not refused.
        let (status, one) = app.get("/api/v1/orgs?limit=0", "").await;
        assert_eq!((status, ids(&one).len()), (StatusCode::OK, 1), "{one}");
        let (status, bad) = app.get("/api/v1/orgs?limit=many", "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    })
    .await;
}

#[tokio::test]
async fn organisations_are_found_by_role_and_name() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        for (id, name, roles) in [
            ("vendor-zorb", "Zorb Vendor Ltd", json!(["product_provider"])),
            ("user-zorb", "Zorbware User Co", json!(["product_user"])),
        ] {
            let body = json!({"id": id, "name": name, "jurisdiction": "CN", "roles": roles});
            let (status, answer) = app.post("/api/v1/orgs", ADMIN, body).await;
            assert_eq!(status, StatusCode::CREATED, "{answer}");
        }
        let ids = |page: &Value| -> Vec<String> {
            page["orgs"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect()
        };
        let (status, found) = app.get("/api/v1/orgs?q=ZORB", "").await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(ids(&found), ["user-zorb", "vendor-zorb"], "{found}");
        let (_, found) = app.get("/api/v1/orgs?q=zorb&role=product_provider", "").await;
        assert_eq!(ids(&found), ["vendor-zorb"], "{found}");
        let (_, found) = app.get("/api/v1/orgs?q=zorb&limit=1", "").await;
        assert_eq!((ids(&found), found["next"].as_str()), (vec!["user-zorb".to_owned()], Some("user-zorb")));
        let (_, found) = app.get("/api/v1/orgs?q=zorb&limit=1&after=user-zorb", "").await;
        assert_eq!((ids(&found), &found["next"]), (vec!["vendor-zorb".to_owned()], &Value::Null));
        // The demo's platforms by role, any of two; the MPS centre by a word inside its
        // Chinese name (信息通报中心).
        let (_, platforms) = app.get("/api/v1/orgs?role=regulator_platform,public_security", "").await;
        assert_eq!(ids(&platforms), ["miit-nvdb", "mps-ncc"], "{platforms}");
        let (_, centre) =
            app.get("/api/v1/orgs?q=%E4%BF%A1%E6%81%AF%E9%80%9A%E6%8A%A5%E4%B8%AD%E5%BF%83", "").await;
        assert_eq!(ids(&centre), ["mps-ncc"], "{centre}");
        let (status, bad) = app.get("/api/v1/orgs?role=vendor", "").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(bad.to_string().contains("unknown role `vendor`"), "{bad}");
    })
    .await;
}
