//! The security suite: each test holds one hardening rule of the platform (issue
//! "a record the judged parties cannot rewrite") against the input that once broke it.
//! Runs on SQLite, and on PostgreSQL when `VULNRELAY_TEST_DATABASE_URL` is set.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use serde_json::{Value, json};
use vulnrelay_store::testing::{TestDb, for_each_backend};

fn header_of<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

async fn get_raw(app: &App, uri: &str) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    app.raw(Request::get(uri).body(Body::empty()).unwrap()).await
}

/// The envelope's code of an answer, asserting the body is the JSON envelope.
fn envelope_code(status: StatusCode, headers: &[(String, String)], body: &[u8]) -> String {
    assert!(
        header_of(headers, "content-type").is_some_and(|t| t.starts_with("application/json")),
        "{status}: {headers:?} {}",
        String::from_utf8_lossy(body)
    );
    let value: Value = serde_json::from_slice(body).expect("a JSON body");
    value["error"]["code"].as_str().expect("the error envelope").to_owned()
}

#[tokio::test]
async fn next_never_leaves_the_site() {
    let app = App::new(TestDb::sqlite().await).await;
    for next in [
        "/%09/evil.example",
        "/%0A/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "https://evil.example",
        "/%0D%0ASet-Cookie:x=1",
        "/%0A",
    ] {
        for path in [format!("/lang/en?next={next}"), format!("/lang/zh-CN?next={next}")] {
            let (status, headers, _) = get_raw(&app, &path).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
            assert_eq!(header_of(&headers, "location"), Some("/"), "{path}");
        }
        let body = format!("email={}&password=x&next={next}", "nobody%40example.org");
        let request = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let (_, _, page) = app.raw(request).await;
        let page = String::from_utf8_lossy(&page);
        assert!(!page.contains("evil.example"), "{next}: {page}");
    }
    let (_, headers, _) = get_raw(&app, "/lang/zh-CN?next=/cases/abc%3Fx%3D1").await;
    assert_eq!(header_of(&headers, "location"), Some("/cases/abc?x=1"));
}

#[tokio::test]
async fn deadline_windows_that_do_not_parse_are_refused_not_panicked_on() {
    let app = App::new(TestDb::sqlite().await).await;
    for within in [
        "%C3%A9",
        "99999999999999999h",
        "100000000d",
        "-100000000d",
        "-1h",
        "h",
        "",
        "1x",
        "%F0%9F%98%80",
        "3661d",
    ] {
        let (status, answer) = app.get(&format!("/api/v1/deadlines?within={within}"), REPORTER).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{within}: {answer}");
        assert_eq!(answer["error"]["details"][0]["field"], "within", "{within}");
    }
    for within in ["30m", "48h", "3660d", "0d"] {
        let (status, answer) = app.get(&format!("/api/v1/deadlines?within={within}"), REPORTER).await;
        assert_eq!(status, StatusCode::OK, "{within}: {answer}");
    }
    assert_eq!(app.get("/healthz", "").await.0, StatusCode::OK);
}

#[tokio::test]
async fn every_error_is_the_envelope() {
    let app = App::new(TestDb::sqlite().await).await;
    // A query string of the wrong shape, an unknown query key, a path that is not
    // UTF-8, a method the route does not have, a webhook body that is not JSON.
    for uri in [
        "/api/v1/deadlines?within=48h&within=1h&nonsense=1",
        "/api/v1/cases?limit=abc",
        "/api/v1/cases/%FF%FE",
        "/api/v1/vulnerabilities/%C0",
    ] {
        let (status, headers, body) = get_raw(&app, uri).await;
        assert!(status.is_client_error(), "{uri}: {status}");
        envelope_code(status, &headers, &body);
    }
    let request = Request::delete("/api/v1/reports").body(Body::empty()).unwrap();
    let (status, headers, body) = app.raw(request).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(envelope_code(status, &headers, &body), "method_not_allowed");
    let token = app.token(BANK).await;
    for (content_type, body) in
        [("application/json", "{not json"), ("text/plain", "x"), ("application/json", "[1]")]
    {
        let request = Request::post("/api/v1/webhooks")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        let (status, headers, bytes) = app.raw(request).await;
        assert!(status.is_client_error(), "{content_type} {body}: {status}");
        envelope_code(status, &headers, &bytes);
    }
    // Outside the API the same refusals are pages, and never a 500.
    let (status, headers, _) = get_raw(&app, "/lang/en?next=/%0A").await;
    assert_eq!((status, header_of(&headers, "location")), (StatusCode::SEE_OTHER, Some("/")));
}

#[tokio::test]
async fn html_answers_carry_the_csp_and_links_in_documents_are_only_http() {
    let app = App::new(TestDb::sqlite().await).await;
    for uri in [
        "/",
        "/login",
        "/api/v1/advisories/CVE-2021-44228/bulletin?lang=en&format=html",
        "/api/v1/advisories/CVE-2021-44228/manual?lang=zh&format=html",
        "/no/such/page",
    ] {
        let (status, headers, _) = get_raw(&app, uri).await;
        let csp = header_of(&headers, "content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("object-src 'none'"),
            "{uri} {status}: {csp:?}"
        );
        assert_eq!(header_of(&headers, "x-content-type-options"), Some("nosniff"), "{uri}");
    }
}

async fn metrics_as(app: &App, who: &str) -> String {
    let mut builder = Request::get("/metrics");
    if !who.is_empty() {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {}", app.token(who).await));
    }
    let (status, _, body) = app.raw(builder.body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    String::from_utf8(body).unwrap()
}

#[tokio::test]
async fn metrics_say_nothing_of_embargoed_cases_to_anonymous_callers() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let gauge = |text: &str, status: &str| -> u64 {
            let prefix = format!("vulnrelay_open_obligations{{status=\"{status}\"}} ");
            text.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap().parse().unwrap()
        };
        let before = metrics_as(&app, "").await;
        // A new report on a Chinese vendor's product opens an embargoed case; the
        // platform tells the vendor, which starts its Art. 7 clocks: open obligations
        // of an embargoed case.
        let vendor = json!({"id": "cn-vendor", "name": "A Chinese vendor", "roles": ["product_provider"], "jurisdiction": "CN"});
        let (status, answer) = app.post("/api/v1/orgs", ADMIN, vendor).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let case = app
            .submit(json!({"product": {"name": "Router firmware", "model": "R1", "affected_versions": ["1.0"], "provider": "cn-vendor"}}))
            .await;
        let events = format!("/api/v1/cases/{case}/events");
        let (status, answer) = app.post(&events, MIIT, json!({"type": "notified", "to": "cn-vendor"})).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let anonymous = metrics_as(&app, "").await;
        for status in ["pending", "overdue", "not_started"] {
            assert_eq!(gauge(&anonymous, status), gauge(&before, status), "{status}");
        }
        assert!(!anonymous.contains("vulnrelay_deliveries"), "{anonymous}");
        let platform = metrics_as(&app, MIIT).await;
        let open = |text: &str| ["pending", "overdue", "not_started"].iter().map(|s| gauge(text, s)).sum::<u64>();
        assert!(open(&platform) > open(&anonymous), "{platform}\n{anonymous}");
        assert!(metrics_as(&app, ADMIN).await.contains("vulnrelay_deliveries{state=\"pending\"}"));
        // Request labels come from a fixed set: an invented method folds into `other`.
        let request = Request::builder().method("BREW").uri("/healthz").body(Body::empty()).unwrap();
        app.raw(request).await;
        let text = metrics_as(&app, "").await;
        assert!(!text.contains("BREW"), "{text}");
        assert!(text.contains("method=\"other\""), "{text}");
    })
    .await;
}

#[tokio::test]
async fn times_outside_the_sane_range_never_enter() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let (cases, receipts) = app.counts().await;
        for (field, value) in [
            ("discovered_at", "0000-01-01"),
            ("discovered_at", "1989-12-31T23:59:59Z"),
            ("discovered_at", "9999-01-01T00:00:00Z"),
            ("discovered_at", "2999-01-01"),
            ("aware_at", "0001-01-01T00:00:00Z"),
        ] {
            let mut body = report();
            body[field] = json!(value);
            let (status, answer) = app.post("/api/v1/reports", REPORTER, body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}={value}: {answer}");
            assert_eq!(answer["error"]["details"][0]["field"], format!("$.{field}"), "{answer}");
        }
        assert_eq!(app.counts().await, (cases, receipts));
        // An event of a case, too.
        let case = app.submit(json!({})).await;
        for at in ["0000-01-01T00:00:00Z", "2999-01-01T00:00:00Z"] {
            let (status, answer) = app
                .post(
                    &format!("/api/v1/cases/{case}/events"),
                    REPORTER,
                    json!({"type": "comment", "note": "x", "at": at}),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{at}: {answer}");
        }
        for path in ["/api/v1/cases", "/api/v1/deadlines", "/metrics", "/api/v1/stats/intervals"] {
            assert_eq!(app.get(path, MIIT).await.0, StatusCode::OK, "{path}");
        }
        assert_eq!(app.get("/api/v1/audit/verify", MIIT).await.1["ok"], true);
    })
    .await;
}

/// A vendor-neutral record of the test: CVE-2021-4104's official record.
fn cve_4104() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/examples/cve/CVE-2021-4104.json"),
    )
    .unwrap()
}

async fn import_as(app: &App, who: &str, document: &str) -> (StatusCode, Value) {
    let request = Request::post("/api/v1/import")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.token(who).await))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(document.to_owned()))
        .unwrap();
    let (status, _, body) = app.raw(request).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn no_write_to_a_record_without_the_right_to_change_it() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        // A record bound to a new, embargoed case on MIIT's platform.
        let case = app.submit(json!({})).await;
        let own = json!({"id": "CVE-2021-4104", "title": {"en": "MIIT's own title"}, "description": {"en": "embargoed detail"}});
        app.db.store.save_vulnerability("CVE-2021-4104", Some(&case), &own, &[], chrono::Utc::now()).await.unwrap();
        // Another platform's analyst (not on the case) may neither see nor replace it.
        let (status, answer) = import_as(&app, CNVD, &cve_4104()).await;
        assert!(matches!(status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN), "{status}: {answer}");
        let (_, record) = app.get("/api/v1/vulnerabilities/CVE-2021-4104", MIIT).await;
        assert_eq!(record["title"]["en"], "MIIT's own title", "{record}");
        // The case's platform may: the import adds the CNA's source beside the record's
        // own texts, never replacing them.
        let (status, answer) = import_as(&app, MIIT, &cve_4104()).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let (_, record) = app.get("/api/v1/vulnerabilities/CVE-2021-4104", MIIT).await;
        assert_eq!(record["title"]["en"], "MIIT's own title", "{record}");
        assert_eq!(record["description"]["en"], "embargoed detail", "{record}");
        assert!(!record["affected"].as_array().unwrap().is_empty(), "{record}");
        assert!(record["case"].is_string(), "{record}");
    })
    .await;
}

#[tokio::test]
async fn roles_mean_something_only_where_the_relation_holds() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = app.submit(json!({})).await;
        // An industry unit's account given the analyst role by its administrator.
        let bank_analyst = json!({"email": "analyst@bank.example", "name": "Bank analyst", "password": "correct horse battery staple",
                                  "org": "cn-bank", "roles": ["analyst"]});
        let (status, answer) = app.post("/api/v1/accounts", ADMIN, bank_analyst).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        const BANK_ANALYST: &str = "analyst@bank.example";
        for path in ["/api/v1/receipts", "/api/v1/orgs/alibaba-cloud/history", "/api/v1/registrations", "/api/v1/audit/verify"] {
            let (status, answer) = app.get(path, BANK_ANALYST).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
        }
        let (status, answer) = app.get("/api/v1/warnings?org=cn-grid", BANK_ANALYST).await;
        assert!(
            status == StatusCode::FORBIDDEN || answer["warnings"].as_array().is_some_and(|w| w.iter().all(|w| w["org"] == "cn-bank")),
            "{status}: {answer}"
        );
        // Another platform, not on the embargoed case: its receipt and its findings
        // stay with the case's platforms.
        let (_, receipts) = app.get("/api/v1/receipts", CNVD).await;
        assert!(!receipts.to_string().contains(&case), "{receipts}");
        let (_, receipts) = app.get("/api/v1/receipts", MIIT).await;
        assert!(receipts.to_string().contains(&case), "{receipts}");
        let (_, history) = app.get("/api/v1/orgs/alibaba-cloud/history", CNVD).await;
        assert!(!history.to_string().contains(&case), "{history}");
        // Self-registration may not ask for a platform's role; registrations are
        // decided by a platform's analysts, not by an analyst of any organisation.
        let register = |roles: Value| {
            json!({"kind": "organisation", "org": {"id": "self-made", "name": "Self-made", "jurisdiction": "CN", "roles": roles},
                   "account": {"email": "x@self-made.example", "name": "X", "password": "correct horse battery staple"}})
        };
        let (status, answer) = app.post("/api/v1/registrations", "", register(json!(["regulator_platform"]))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["details"][0]["field"], "$.org.roles[0]");
        let (status, answer) = app.post("/api/v1/registrations", "", register(json!(["discoverer"]))).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        let (status, _) = app.post("/api/v1/registrations/self-made/approve", BANK_ANALYST, json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, answer) = app.post("/api/v1/registrations/self-made/approve", MIIT, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    })
    .await;
}

#[tokio::test]
async fn a_sanction_decided_as_not_public_stays_out_of_every_public_path() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let unit = "/api/v1/orgs/alibaba-cloud/memberships/miit-threat-sharing";
        let suspend = json!({"kind": "suspension", "reason": "a reason kept between the platform and the unit",
                             "findings": ["cn-miit-member/member-report-2d"], "case": app.case_id, "public": false});
        let (status, answer) = app.post(&format!("{unit}/sanctions"), MIIT, suspend).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let secret = "a reason kept between the platform and the unit";
        // The platform and the unit itself see it.
        for who in [MIIT, REPORTER] {
            let (_, org) = app.get("/api/v1/orgs/alibaba-cloud", who).await;
            assert!(org.to_string().contains(secret), "{who}: {org}");
        }
        // Anonymous visitors and other units do not: not in the organisation, its log,
        // the case's events or the public case page; the status is undisclosed.
        for who in ["", BANK] {
            let (_, org) = app.get("/api/v1/orgs/alibaba-cloud", who).await;
            assert!(!org.to_string().contains(secret), "{who}: {org}");
            assert_eq!(org["memberships"][0]["status"], "undisclosed", "{who}: {org}");
            let (_, log) = app.get("/api/v1/orgs/alibaba-cloud/log", who).await;
            assert!(!log.to_string().contains(secret), "{who}: {log}");
            let (_, events) = app.get(&format!("/api/v1/cases/{}/events", app.case_id), who).await;
            assert!(events["events"].as_array().is_some_and(|e| !e.is_empty()), "{events}");
            assert!(!events.to_string().contains(secret), "{who}: {events}");
        }
        let (status, _, page) = get_raw(&app, &format!("/cases/{}", app.case_id)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!String::from_utf8_lossy(&page).contains(secret));
        let (_, _, page) = get_raw(&app, "/orgs/alibaba-cloud").await;
        assert!(!String::from_utf8_lossy(&page).contains(secret));
    })
    .await;
}

#[tokio::test]
async fn webhooks_to_non_public_addresses_are_refused_by_default_and_credentials_never_shown() {
    let strict = vulnrelay_server::Config { allow_private_webhooks: false, ..config() };
    let app = App::with_config(TestDb::sqlite().await, strict).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://10.0.0.8/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
    ] {
        let (status, answer) = app.post("/api/v1/webhooks", BANK, json!({"url": url})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {answer}");
        assert_eq!(answer["error"]["details"][0]["field"], "$.url", "{url}");
    }
    assert_eq!(app.get("/api/v1/webhooks", BANK).await.1["webhooks"], json!([]));
    // The worker refuses them at delivery too, by default.
    assert!(vulnrelay_server::worker::WorkerConfig::default().deny_private_networks);
    // Opted in (the demo, these tests' receivers): accepted, and a password in the URL
    // is never shown back.
    let app = App::new(TestDb::sqlite().await).await;
    let (status, answer) =
        app.post("/api/v1/webhooks", BANK, json!({"url": "http://hook:s3cret-token@127.0.0.1:9/hook"})).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let (_, listed) = app.get("/api/v1/webhooks", BANK).await;
    for shown in [answer.to_string(), listed.to_string()] {
        assert!(!shown.contains("s3cret-token") && !shown.contains("hook:"), "{shown}");
    }
}

#[tokio::test]
async fn public_urls_come_from_configuration_never_from_the_host_header() {
    let app = App::new(TestDb::sqlite().await).await;
    for uri in ["/.well-known/csaf/provider-metadata.json", "/advisories/feed.atom"] {
        let request = Request::get(uri).header(header::HOST, "evil.example").body(Body::empty()).unwrap();
        let (status, _, body) = app.raw(request).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(!String::from_utf8_lossy(&body).contains("evil.example"), "{uri}");
    }
    let configured =
        vulnrelay_server::Config { public_url: Some("https://nvdb.example/".into()), ..config() };
    let app = App::with_config(TestDb::sqlite().await, configured).await;
    let request = Request::get("/.well-known/csaf/provider-metadata.json")
        .header(header::HOST, "evil.example")
        .body(Body::empty())
        .unwrap();
    let (_, _, body) = app.raw(request).await;
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("https://nvdb.example/.well-known/csaf/"), "{text}");
}

async fn login_from(app: &App, client: &str, email: &str, password: &str) -> StatusCode {
    let address: std::net::SocketAddr = format!("{client}:40000").parse().unwrap();
    let mut request = Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"email": email, "password": password}).to_string()))
        .unwrap();
    request.extensions_mut().insert(axum::extract::ConnectInfo(address));
    app.raw(request).await.0
}

#[tokio::test]
async fn failed_logins_slow_the_attacker_and_never_lock_the_user_out() {
    let app = App::new(TestDb::sqlite().await).await;
    let password = app.passwords[REPORTER].clone();
    for _ in 0..5 {
        assert_eq!(login_from(&app, "203.0.113.7", REPORTER, "guess").await, StatusCode::UNAUTHORIZED);
    }
    // The attacker's client is stopped, even with the right password...
    assert_eq!(login_from(&app, "203.0.113.7", REPORTER, "guess").await, StatusCode::TOO_MANY_REQUESTS);
    // ...but the user, from another client, signs in.
    assert_eq!(login_from(&app, "198.51.100.2", REPORTER, &password).await, StatusCode::OK);
    // Unknown and known addresses answer alike.
    assert_eq!(login_from(&app, "192.0.2.1", "nobody@example.org", "guess").await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn intake_bounds_its_texts_attachments_and_vectors_and_keys_mean_one_body() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let (cases, receipts) = app.counts().await;
        let attachment = |i: usize| json!({"filename": format!("f{i}.txt"), "media_type": "text/plain", "content_base64": "eA=="});
        let cases_of_bad = [
            ("title", json!("t".repeat(301))),
            ("harm", json!("h".repeat(20_001))),
            ("attachments", json!((0..11).map(attachment).collect::<Vec<_>>())),
            ("cvss_vector", json!("CVSS:3.1/AV:N")),
            ("cvss_vector", json!("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H")),
        ];
        for (field, value) in cases_of_bad {
            let mut body = report();
            body[field] = value;
            let (status, answer) = app.post("/api/v1/reports", REPORTER, body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {answer}");
            assert_eq!(answer["error"]["details"][0]["field"], format!("$.{field}"), "{answer}");
        }
        assert_eq!(app.counts().await, (cases, receipts));
        // The same idempotency key: the same body is a retry, another body a conflict.
        let token = app.token(REPORTER).await;
        let send = |body: Value| {
            Request::post("/api/v1/reports")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .header("idempotency-key", "report-1")
                .body(Body::from(body.to_string()))
                .unwrap()
        };
        assert_eq!(app.raw(send(report())).await.0, StatusCode::CREATED);
        assert_eq!(app.raw(send(report())).await.0, StatusCode::OK);
        let mut other = report();
        other["harm"] = json!("Something else entirely.");
        let (status, headers, body) = app.raw(send(other)).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(envelope_code(status, &headers, &body), "idempotency_conflict");
        assert_eq!(app.counts().await, (cases + 1, receipts + 1));
    })
    .await;
}

/// The finding of `rule` for `party` in a case's compliance report.
async fn finding(app: &App, case: &str, rule: &str, party: &str) -> Value {
    let (status, report) = app.get(&format!("/api/v1/cases/{case}/compliance"), MIIT).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule && f["party"] == party)
        .cloned()
        .unwrap_or_else(|| panic!("no {rule} for {party}: {report}"))
}

#[tokio::test]
async fn a_party_cannot_backdate_what_the_platform_received_and_its_claims_say_so() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let log4shell = app.case_id.clone();
        let events = format!("/api/v1/cases/{log4shell}/events");
        let before = finding(&app, &log4shell, "cn-miit-member/member-report-2d", "alibaba-cloud").await;
        assert_eq!(before["status"], "overdue", "{before}");
        // Years later, the member claims it reported to the MIIT platform in time.
        let backdated = json!({"type": "notified", "to": "miit-nvdb", "at": "2021-11-24T20:00:00+08:00"});
        let (status, answer) = app.post(&events, REPORTER, backdated).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["details"][0]["field"], "$.at");
        let after = finding(&app, &log4shell, "cn-miit-member/member-report-2d", "alibaba-cloud").await;
        assert_eq!(after["status"], "overdue", "{after}");
        // Sent now, the report is what it is: late, at the time it was received.
        let (status, answer) = app.post(&events, REPORTER, json!({"type": "notified", "to": "miit-nvdb"})).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let late = finding(&app, &log4shell, "cn-miit-member/member-report-2d", "alibaba-cloud").await;
        assert_eq!(late["status"], "met_late", "{late}");
        // The demo's sanction still rests on it, and can be decided on it again.
        let warning = json!({"kind": "warning", "reason": "late report", "findings": ["cn-miit-member/member-report-2d"], "case": log4shell});
        let (status, answer) =
            app.post("/api/v1/orgs/alibaba-cloud/memberships/miit-threat-sharing/sanctions", MIIT, warning).await;
        assert_eq!(status, StatusCode::OK, "{answer}");

        // On a new case: a discovery date the reporter states is its claim, and the
        // finding that rests on it says so, with the reading at the recorded time.
        let ten_days_ago = (chrono::Utc::now() - chrono::TimeDelta::days(10)).to_rfc3339();
        let case = app.submit(json!({"discovered_at": ten_days_ago, "aware_at": ten_days_ago})).await;
        let claimed = finding(&app, &case, "cn-miit-member/member-report-2d", "alibaba-cloud").await;
        assert_eq!((&claimed["status"], &claimed["evidence_quality"]), (&json!("met_late"), &json!("claimed")), "{claimed}");
        assert_eq!(claimed["recorded_reading"]["status"], "met", "{claimed}");
        // A platform's analyst attests the claim, with a reason: it stands as attested.
        let (status, answer) = app
            .post(&format!("/api/v1/cases/{case}/events"), MIIT, json!({"type": "attested", "event": 0, "note": "the reporter's lab notes, seen by the platform"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let attested = finding(&app, &case, "cn-miit-member/member-report-2d", "alibaba-cloud").await;
        assert_eq!(attested["evidence_quality"], "attested", "{attested}");
        assert!(attested.get("recorded_reading").is_none(), "{attested}");
        // Only a platform attests, only a claim, and always with a reason.
        for (who, body) in [
            (REPORTER, json!({"type": "attested", "event": 0, "note": "trust me"})),
            (MIIT, json!({"type": "attested", "event": 0})),
            (MIIT, json!({"type": "attested", "event": 99, "note": "x"})),
        ] {
            let (status, answer) = app.post(&format!("/api/v1/cases/{case}/events"), who, body).await;
            assert!(status == StatusCode::FORBIDDEN || status == StatusCode::UNPROCESSABLE_ENTITY, "{who}: {answer}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_reporter_neither_fixes_someone_elses_product_nor_opens_the_case_to_the_public() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = app.submit(json!({})).await;
        let events = format!("/api/v1/cases/{case}/events");
        let (status, answer) = app
            .post(
                &events,
                REPORTER,
                json!({"type": "fix_available", "version": "2.15.0", "note": "I patched it"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert_ne!(answer["state"], "fix_available", "{answer}");
        // The provider's fix counts.
        let (status, answer) = app.post(&events, MIIT, json!({"type": "notified", "to": "apache"})).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let (status, answer) =
            app.post(&events, APACHE, json!({"type": "fix_available", "version": "2.15.0"})).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert_eq!(answer["state"], "fix_available", "{answer}");
        // The reporter's own disclosure after the fix passes the gates and is recorded,
        // but does not make the case public: that is a platform's or the provider's act.
        let (status, answer) = app
            .post(
                &events,
                REPORTER,
                json!({"type": "published", "with_remediation": true, "note": "my blog post"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert_eq!(answer["state"], "fix_available", "{answer}");
        assert_eq!(app.get(&format!("/api/v1/cases/{case}"), "").await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&format!("/api/v1/cases/{case}"), BANK).await.0, StatusCode::NOT_FOUND);
        // The platform's publication does.
        let (status, answer) =
            app.post(&events, MIIT, json!({"type": "published", "with_remediation": true})).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert_eq!(answer["state"], "published", "{answer}");
        assert_eq!(app.get(&format!("/api/v1/cases/{case}"), "").await.0, StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn the_reporters_note_and_attachments_never_become_public_with_the_case() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let case = app.submit(json!({"note": "a private word to the platform"})).await;
        let events = format!("/api/v1/cases/{case}/events");
        for (who, body) in [
            (MIIT, json!({"type": "notified", "to": "apache"})),
            (APACHE, json!({"type": "fix_available", "version": "2.15.0"})),
            (MIIT, json!({"type": "published", "with_remediation": true})),
        ] {
            let (status, answer) = app.post(&events, who, body).await;
            assert_eq!(status, StatusCode::CREATED, "{answer}");
        }
        let (status, public) = app.get(&format!("/api/v1/cases/{case}"), "").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            public["report"].get("note").is_none() && public["report"].get("attachments").is_none(),
            "{public}"
        );
        assert_eq!(
            app.get(&format!("/api/v1/cases/{case}/attachments"), "").await.1["attachments"],
            json!([])
        );
        let (_, mine) = app.get(&format!("/api/v1/cases/{case}"), REPORTER).await;
        assert_eq!(mine["report"]["note"], "a private word to the platform");
        let (_, listed) = app.get(&format!("/api/v1/cases/{case}/attachments"), MIIT).await;
        let first = listed["attachments"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(
            app.get(&format!("/api/v1/cases/{case}/attachments/{first}"), "").await.0,
            StatusCode::NOT_FOUND
        );
        let (_, _, page) = get_raw(&app, &format!("/cases/{case}")).await;
        assert!(!String::from_utf8_lossy(&page).contains("a private word"));
    })
    .await;
}

#[tokio::test]
async fn a_publication_signs_the_heads_of_the_chains_at_once() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        app.state.sign_checkpoints_with(vulnrelay_store::checkpoint::Signer::from_seed([5; 32]));
        let case = app.submit(json!({})).await;
        let events = format!("/api/v1/cases/{case}/events");
        for (who, body) in [
            (MIIT, json!({"type": "notified", "to": "apache"})),
            (APACHE, json!({"type": "fix_available", "version": "2.15.0"})),
            (MIIT, json!({"type": "published", "with_remediation": true})),
        ] {
            let (status, answer) = app.post(&events, who, body).await;
            assert_eq!(status, StatusCode::CREATED, "{answer}");
        }
        let chain = format!("case/{case}");
        let head = app.db.store.events(&case).await.unwrap().len() as i64;
        let signed = app.db.store.checkpoints().await.unwrap();
        let mine: Vec<_> = signed.iter().filter(|c| c.chain == chain).collect();
        assert_eq!(mine.iter().map(|c| c.seq).collect::<Vec<_>>(), [head], "{signed:?}");
        let chains = app.db.store.chains().await.unwrap();
        let key = vulnrelay_store::checkpoint::Signer::from_seed([5; 32]).public_key();
        assert!(vulnrelay_store::checkpoint::check(&signed, &chains, &key).is_empty());
    })
    .await;
}
