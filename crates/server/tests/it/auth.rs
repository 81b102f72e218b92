//! Sessions, CSRF, rate limiting, tokens, registration approval, memberships, the
//! OpenAPI document and metrics, through the router in-process.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use serde_json::{Value, json};
use vulnrelay_store::testing::{TestDb, for_each_backend};

fn login_request(email: &str, password: &str) -> Request<Body> {
    Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"email": email, "password": password}).to_string()))
        .unwrap()
}

#[tokio::test]
async fn sessions_need_the_csrf_token_to_change_anything() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let password = app.passwords[REPORTER].clone();
        let (status, headers, body) = app.raw(login_request(REPORTER, &password)).await;
        assert_eq!(status, StatusCode::OK);
        let cookie = headers.iter().find(|(k, _)| k == "set-cookie").unwrap().1.clone();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        let session = cookie.split(';').next().unwrap().to_owned();
        let csrf = serde_json::from_slice::<Value>(&body).unwrap()["csrf_token"].as_str().unwrap().to_owned();
        let me = Request::get("/api/v1/me").header(header::COOKIE, &session).body(Body::empty()).unwrap();
        let (status, _, body) = app.raw(me).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["account"]["org"], "alibaba-cloud");
        let post = |csrf: Option<&str>| {
            let mut builder = Request::post("/api/v1/reports")
                .header(header::COOKIE, &session)
                .header(header::CONTENT_TYPE, "application/json");
            if let Some(csrf) = csrf {
                builder = builder.header("x-csrf-token", csrf);
            }
            builder.body(Body::from(report().to_string())).unwrap()
        };
        let (status, _, body) = app.raw(post(None)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", String::from_utf8_lossy(&body));
        assert_eq!(app.raw(post(Some("forged"))).await.0, StatusCode::FORBIDDEN);
        assert_eq!(app.raw(post(Some(&csrf))).await.0, StatusCode::CREATED);
        // Sign out: the cookie stops working.
        let out = Request::delete("/api/v1/session")
            .header(header::COOKIE, &session)
            .header("x-csrf-token", &csrf)
            .body(Body::empty())
            .unwrap();
        assert_eq!(app.raw(out).await.0, StatusCode::NO_CONTENT);
        let me = Request::get("/api/v1/me").header(header::COOKIE, &session).body(Body::empty()).unwrap();
        assert_eq!(app.raw(me).await.0, StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn failed_logins_are_rate_limited() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        for _ in 0..5 {
            let (status, _, body) = app.raw(login_request(MIIT, "wrong password!")).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["error"]["code"], "bad_credentials");
        }
        let password = app.passwords[MIIT].clone();
        let (status, _, body) = app.raw(login_request(MIIT, &password)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
        assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["error"]["code"], "rate_limited");
        // Other accounts are not affected.
        let password = app.passwords[CNVD].clone();
        assert_eq!(app.raw(login_request(CNVD, &password)).await.0, StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn tokens_are_shown_once_stored_hashed_and_revocable() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let (status, created) = app.post("/api/v1/tokens", APACHE, json!({"name": "ci"})).await;
        assert_eq!(status, StatusCode::CREATED);
        let token = created["token"].as_str().unwrap().to_owned();
        assert!(token.starts_with("vr_"));
        let (_, listed) = app.get("/api/v1/tokens", APACHE).await;
        assert!(listed.to_string().find(&token).is_none(), "the secret is never shown again");
        let me = |token: &str| {
            Request::get("/api/v1/me")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap()
        };
        assert_eq!(app.raw(me(&token)).await.0, StatusCode::OK);
        let id = created["id"].as_str().unwrap();
        assert_eq!(
            app.call("DELETE", &format!("/api/v1/tokens/{id}"), APACHE, None).await.0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(app.raw(me(&token)).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(app.raw(me("vr_nonsense")).await.0, StatusCode::UNAUTHORIZED);
        let bad = Request::get("/api/v1/me")
            .header(header::AUTHORIZATION, "Basic abc")
            .body(Body::empty())
            .unwrap();
        assert_eq!(app.raw(bad).await.0, StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn individuals_register_and_an_analyst_decides() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let registration = json!({
            "kind": "individual",
            "org": {"id": "chen", "name": "Chen Zhaojun", "jurisdiction": "CN"},
            "account": {"email": "chen@example.org", "name": "Chen", "password": "a long enough secret"}
        });
        let (status, answer) = app.post("/api/v1/registrations", "", registration.clone()).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        assert_eq!(answer["org"]["status"], "pending");
        assert_eq!(app.post("/api/v1/registrations", "", registration).await.0, StatusCode::CONFLICT);
        let (status, bad) = app
            .post(
                "/api/v1/registrations",
                "",
                json!({"kind": "robot", "account": {"email": "x", "password": "short"}}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = bad["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["$.kind", "$.org", "$.account.name", "$.account.email", "$.account.password"]);
        let pending = login_request("chen@example.org", "a long enough secret");
        assert_eq!(app.raw(pending).await.0, StatusCode::FORBIDDEN);
        assert_eq!(app.get("/api/v1/registrations", REPORTER).await.0, StatusCode::FORBIDDEN);
        let (_, listed) = app.get("/api/v1/registrations", MIIT).await;
        assert_eq!(listed["orgs"][0]["id"], "chen");
        let (status, _) =
            app.post("/api/v1/registrations/chen/approve", MIIT, json!({"note": "identity checked"})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            app.post("/api/v1/registrations/chen/reject", MIIT, json!({})).await.0,
            StatusCode::CONFLICT
        );
        let (status, _, _) = app.raw(login_request("chen@example.org", "a long enough secret")).await;
        assert_eq!(status, StatusCode::OK);
        // The approved individual reports to the default platform.
        let (status, answer) = app.post("/api/v1/reports", "chen@example.org", report()).await;
        assert_eq!(
            (status, answer["platform"].as_str()),
            (StatusCode::CREATED, Some("miit-nvdb")),
            "{answer}"
        );
    })
    .await;
}

#[tokio::test]
async fn every_documented_route_is_served_and_the_document_is_stable() {
    let app = App::new(TestDb::sqlite().await).await;
    for route in vulnrelay_server::openapi::ROUTES {
        let path = route
            .path
            .replace("{id}", "x")
            .replace("{org}", "x")
            .replace("{scheme}", "x")
            .replace("{attachment}", "x")
            .replace("{file}", "x")
            .replace("{path}", "provider-metadata.json");
        let request = Request::builder()
            .method(route.method)
            .uri(&path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let (status, _, body) = app.raw(request).await;
        let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{} {}", route.method, route.path);
        assert_ne!(
            answer["error"]["message"], "route not found",
            "{} {} is documented but not routed",
            route.method, route.path
        );
    }
    insta::assert_json_snapshot!("openapi", vulnrelay_server::openapi::document());
}

#[tokio::test]
async fn metrics_count_requests_and_open_obligations() {
    let app = App::new(TestDb::sqlite().await).await;
    app.get("/healthz", "").await;
    app.get(&format!("/api/v1/cases/{}", app.case_id), MIIT).await;
    let (status, _, body) = app.raw(Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.contains("vulnrelay_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("vulnrelay_http_request_duration_seconds_count{route=\"/api/v1/cases/{id}\"} 1"),
        "{text}"
    );
    assert!(text.contains("vulnrelay_open_obligations{status=\"overdue\"} 1"), "{text}");
}
