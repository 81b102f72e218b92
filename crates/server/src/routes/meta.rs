//! Health, metrics, the OpenAPI document, and the answer to unknown paths.

use std::fmt::Write;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Auth;
use crate::errors::{AppError, AppResult};

/// `GET /healthz`: a static answer, the ceiling of the load benchmark.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /metrics`: Prometheus text: requests, latencies, and the open obligations by
/// status of the cases the caller may read (anonymous: the public cases only, so no
/// count is derived from an embargoed case); the delivery counts for administrators.
pub async fn metrics(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Response> {
    let mut out = String::new();
    state.metrics.render(&mut out);
    let gauges = vulnrelay_app::gauges::gauges(&state, &caller).await?;
    out.push_str("# HELP vulnrelay_open_obligations Obligations not yet met, by status.\n");
    out.push_str("# TYPE vulnrelay_open_obligations gauge\n");
    for (status, count) in gauges.obligations {
        let _ = writeln!(out, "vulnrelay_open_obligations{{status=\"{status}\"}} {count}");
    }
    if let Some(deliveries) = gauges.deliveries {
        out.push_str("# HELP vulnrelay_deliveries Deliveries of risk warnings and reminders, by state.\n");
        out.push_str("# TYPE vulnrelay_deliveries gauge\n");
        for (status, count) in deliveries {
            let _ = writeln!(out, "vulnrelay_deliveries{{state=\"{status}\"}} {count}");
        }
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response())
}

/// `GET /api/v1/openapi.json`: the OpenAPI 3 document.
pub async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

/// Any other path: 404 in the error envelope under `/api`, a page of the web UI
/// (in the viewer's language) elsewhere.
pub async fn fallback(uri: axum::http::Uri, headers: axum::http::HeaderMap) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return AppError::not_found("route").into_response();
    }
    crate::ui::not_found(&headers)
}
