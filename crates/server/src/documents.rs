//! The bulletin (安全公告) and the investigation-and-repair manual (排查及修复手册) of a
//! publication as the API serves them: HTML (default) or Markdown, in English or
//! Chinese. Shared by the record and advisory routes.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use vulnrelay_publish::{Lang, Publication, bulletin_markdown, manual_markdown, markdown_to_html};

use crate::errors::{AppError, AppResult};

/// Query of the bulletin and manual.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DocumentQuery {
    /// `en` or `zh` (default `en`).
    pub lang: Option<String>,
    /// `html` (default) or `md`.
    pub format: Option<String>,
}

/// `en` (default) or `zh`.
pub fn parse_lang(lang: Option<&str>) -> AppResult<Lang> {
    match lang {
        None | Some("en") => Ok(Lang::En),
        Some("zh") | Some("zh-CN") => Ok(Lang::Zh),
        Some(other) => Err(AppError::invalid(vec![("lang".into(), format!("`{other}` is not en or zh"))])),
    }
}

/// The bulletin or manual of `publication` as HTML (default) or Markdown (`md`).
pub fn render(
    publication: &Publication,
    lang: Lang,
    format: Option<&str>,
    manual: bool,
) -> AppResult<Response> {
    let markdown =
        if manual { manual_markdown(publication, lang) } else { bulletin_markdown(publication, lang) };
    match format {
        Some("md") => {
            Ok(([(header::CONTENT_TYPE, "text/markdown; charset=utf-8")], markdown).into_response())
        }
        None | Some("html") => {
            let page = format!(
                "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title></head><body><main>{}</main></body></html>",
                lang.tag(),
                publication.id,
                markdown_to_html(&markdown)
            );
            Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response())
        }
        Some(other) => {
            Err(AppError::invalid(vec![("format".into(), format!("`{other}` is not html or md"))]))
        }
    }
}
