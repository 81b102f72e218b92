//! The JSON body extractor of the API: malformed JSON, a wrong content type and an
//! oversized body each get their own error; the content is then checked by the
//! application layer (`vulnrelay_app::input::Checker`).

use axum::extract::{FromRequest, Request};
use serde_json::Value;
use vulnrelay_app::input::Body;

use crate::errors::AppError;

/// A JSON body; malformed JSON, a wrong content type and an oversized body each get
/// their own error.
pub struct ApiJson(pub Value);

impl<S: Send + Sync> FromRequest<S> for ApiJson {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<Value>::from_request(req, state).await?;
        Ok(ApiJson(value))
    }
}

/// A JSON body read into `B` field by field: every problem at once, each with its path
/// (`vulnrelay_app::input::Body`).
pub struct Checked<B>(pub B);

impl<S: Send + Sync, B: Body> FromRequest<S> for Checked<B> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ApiJson(value) = ApiJson::from_request(req, state).await?;
        Ok(Checked(vulnrelay_app::input::read(&value)?))
    }
}

/// An optional JSON body read into `B` field by field: an empty body is `{}`.
pub struct CheckedOrEmpty<B>(pub B);

impl<S: Send + Sync, B: Body> FromRequest<S> for CheckedOrEmpty<B> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state).await?;
        let value = vulnrelay_app::input::optional_json(&bytes)?;
        Ok(CheckedOrEmpty(vulnrelay_app::input::read(&value)?))
    }
}

/// A JSON body read by serde into `T` (a body whose type derives `Deserialize`); what
/// does not fit is one problem at `$`.
pub struct Typed<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Typed<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ApiJson(value) = ApiJson::from_request(req, state).await?;
        serde_json::from_value(value)
            .map(Typed)
            .map_err(|e| AppError::invalid(vec![("$".into(), e.to_string())]))
    }
}

/// Query of a list read by keyset pages (`GET /api/v1/vulnerabilities`,
/// `GET /api/v1/advisories`).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Return items after this one (the previous page's `next`).
    pub after: Option<String>,
    /// Page size (default 50, at most 200).
    pub limit: Option<usize>,
}
