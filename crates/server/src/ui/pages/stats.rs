//! The platform's key intervals (关键时间间隔): for each interval from discovery — to the
//! first report to a regulator platform (the authority's blind window), to the vendor,
//! to a fix, to public disclosure, to a bulletin, to the first risk warning — the median
//! and worst per quarter of discovery, as SVG charts and tables, over the cases the
//! viewer may read.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde_json::Value;
use vulnrelay_domain::IntervalKind;

use crate::AppState;
use crate::ui::i18n::Lang;
use crate::ui::session::{Ui, UiError};
use crate::ui::timeline;
use crate::ui::view::{Precision, duration, page, time};
use vulnrelay_app::intervals;

/// `GET /stats`.
pub async fn show(State(state): State<AppState>, ui: Ui) -> Result<Response, UiError> {
    let lang = ui.lang;
    let stats = intervals::stats(&state, &ui.caller).await.map_err(|e| ui.error(e))?;
    // The page reads the API's body (a page a request; the API writes it unmapped).
    let stats = serde_json::to_value(stats).map_err(|e| ui.error(vulnrelay_app::Error::internal(e)))?;
    let title = lang.t("stats.title");
    let lang_tag = if lang == Lang::Zh { "zh" } else { "en" };
    let body = html! {
        h1 { (title) }
        p class="help" { (lang.t("stats.help")) " " (lang.tf("stats.cases", &[("n", &stats["cases"].to_string())])) }
        @for kind in IntervalKind::ALL {
            @let name = lang.t(&format!("interval.{}", kind.as_str()));
            @let entry = stats["intervals"].as_array().into_iter().flatten().find(|i| i["kind"] == kind.as_str());
            section aria-labelledby=(format!("stats-{}", kind.as_str())) {
                h2 id=(format!("stats-{}", kind.as_str())) { (name) }
                (timeline::quarters(lang, &name, &entry.map_or(Value::Null, |e| e["quarters"].clone())))
                p class="downloads" { a href=(format!("/api/v1/stats/intervals/{}.svg?lang={lang_tag}", kind.as_str())) download { (lang.t("stats.svg")) } }
                @if let Some(entry) = entry { (quarters(lang, &name, &entry["quarters"])) }
            }
        }
    };
    Ok(page(&ui, &title, body).into_response())
}

fn quarters(lang: Lang, name: &str, quarters: &Value) -> Markup {
    let cell = |v: &Value| match v.as_f64() {
        Some(days) => v.as_u64().map_or_else(
            || duration(lang, chrono::TimeDelta::seconds((days * 86_400.0).round() as i64), Precision::Two),
            |n| n.to_string(),
        ),
        None => "—".to_owned(),
    };
    html! {
        div class="scroll" tabindex="0" { table {
            caption class="visually-hidden" { (name) }
            thead { tr {
                th scope="col" { (lang.t("stats.quarter")) } th scope="col" { (lang.t("stats.closed")) }
                th scope="col" { (lang.t("stats.open")) } th scope="col" { (lang.t("stats.median")) }
                th scope="col" { (lang.t("stats.worst")) }
            } }
            tbody { @for q in quarters.as_array().into_iter().flatten() {
                tr {
                    td { (q["quarter"].as_str().unwrap_or_default()) } td { (cell(&q["closed"])) } td { (cell(&q["open"])) }
                    td { (cell(&q["median_days"])) } td { (cell(&q["worst_days"])) }
                }
            } }
        } }
    }
}

/// A case's key intervals, for the case page: times in the case's time zone `tz`,
/// lengths in the one duration format.
pub async fn case_intervals(state: &AppState, ui: &Ui, case_id: &str, tz: chrono_tz::Tz) -> Markup {
    let lang = ui.lang;
    let answer = intervals::case_intervals(state, &ui.caller, case_id.to_owned()).await;
    let Ok(answer) = answer else { return html! {} };
    let at = |v: &Value| {
        v["at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let when = |v: &Value| match at(v) {
        Some(t) => time(t, tz),
        None => html! { (lang.t("interval.open")) },
    };
    html! {
        section aria-labelledby="intervals-h" {
            h2 id="intervals-h" { (lang.t("interval.section")) }
            div class="scroll" tabindex="0" { table class="intervals" {
                caption class="visually-hidden" { (lang.t("interval.section")) }
                thead { tr {
                    th scope="col" { (lang.t("interval.name")) } th scope="col" { (lang.t("interval.from")) }
                    th scope="col" { (lang.t("interval.to")) } th scope="col" { (lang.t("interval.length")) }
                } }
                tbody { @for i in answer["intervals"].as_array().into_iter().flatten() {
                    tr class=(if i["open"] == true { "open" } else { "closed" }) {
                        td { (lang.t(&format!("interval.{}", i["kind"].as_str().unwrap_or_default()))) }
                        td { (when(&i["from"])) }
                        td { (when(&i["to"])) }
                        td { @match (at(&i["from"]), at(&i["to"])) {
                            (Some(from), Some(to)) => (timeline::interval_length(lang, from, to)),
                            _ => (lang.t("interval.open")),
                        } }
                    }
                } }
            } }
        }
    }
}
