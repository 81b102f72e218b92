//! The public advisory list and the vulnerability page: identifiers and aliases, each
//! source's scores (with the CNVD and CNNVD grades) and affected ranges side by side,
//! remediation, threats, and the downloads (bulletin, repair manual, CVE JSON 5, CSAF
//! 2.0, OSV) served by the API. A record of a case is shown only to who may read the case.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use chrono_tz::Tz;
use maud::{Markup, html};
use vulnrelay_domain::{Localized, RangeEnd, Vulnerability};
use vulnrelay_formats::severity::{CnnvdGrade, CnvdGrade, score};

use crate::AppState;
use crate::ui::i18n::Lang;
use crate::ui::pages::ListPage;
use crate::ui::session::{Ui, UiError, encode};
use crate::ui::view::{page, time};
use vulnrelay_app::records::{visible_records, visible_to_read};

fn text(lang: Lang, localized: &Localized) -> Option<&str> {
    lang.pick(localized.zh.as_deref(), localized.en.as_deref())
}

fn cnvd_words(lang: Lang, grade: CnvdGrade) -> String {
    let key = match grade {
        CnvdGrade::Low => "grade.low",
        CnvdGrade::Medium => "grade.medium",
        CnvdGrade::High => "grade.high",
    };
    lang.t(key)
}

fn cnnvd_words(lang: Lang, grade: CnnvdGrade) -> String {
    let key = match grade {
        CnnvdGrade::Low => "cnnvd_grade.low",
        CnnvdGrade::Medium => "cnnvd_grade.medium",
        CnnvdGrade::High => "cnnvd_grade.high",
        CnnvdGrade::Critical => "cnnvd_grade.critical",
    };
    lang.t(key)
}

fn score_cell(lang: Lang, vector: &str) -> Markup {
    match score(vector) {
        Ok(s) => html! {
            span class=(format!("badge rating-{}", s.rating.as_str().to_lowercase())) { (format!("{:.1}", s.base_score)) " " (lang.t(&format!("rating.{}", s.rating.as_str().to_lowercase()))) }
        },
        Err(_) => html! { span class="muted" { (lang.t("vuln.unscored")) } },
    }
}

/// How many records a page of the advisory list shows.
const RECORDS_PER_PAGE: usize = 100;

/// `GET /advisories`: the records the viewer may see (imported public records and
/// published cases' records for everyone; more for the parties of a case), by pages.
pub async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<ListPage>,
) -> Result<Response, UiError> {
    let lang = ui.lang;
    let (records, next) = visible_records(&state, &ui.caller, query.after(), RECORDS_PER_PAGE)
        .await
        .map_err(|e| ui.error(e))?;
    let mirrored = state.store.mirrored_documents(None).await.map_err(|e| ui.error(e))?;
    let now = Utc::now();
    let title = lang.t("vuln.list_title");
    Ok(page(&ui, &title, html! {
        h1 translate="no" { (title) }
        p class="help" { (lang.t("vuln.list_help")) }
        @if records.is_empty() { p { (lang.t("vuln.none")) } }
        @else {
            div class="scroll" tabindex="0" {
                table class="advisories" {
                    caption class="visually-hidden" { (title) }
                    thead { tr {
                        th scope="col" { (lang.t("vuln.id")) }
                        th scope="col" { (lang.t("vuln.title")) }
                        th scope="col" { (lang.t("vuln.highest")) }
                        th scope="col" { (lang.t("vuln.threat")) }
                        th scope="col" { (lang.t("vuln.updated")) }
                    } }
                    tbody {
                        @for (stored, v) in &records {
                            @let top = v.scores.iter().filter_map(|s| score(&s.vector).ok()).max_by(|a, b| a.base_score.total_cmp(&b.base_score));
                            tr {
                                td { a href=(format!("/advisories/{}", v.id)) { (v.id) } @if !v.aliases.is_empty() { br; span class="muted" { (v.aliases.join(", ")) } } }
                                td { (text(lang, &v.title).unwrap_or("—")) }
                                td { @if let Some(top) = top { (score_cell(lang, &top.vector)) } @else { "—" } }
                                td { (lang.t(&format!("threat.{}", v.threat_status(now).level.as_str()))) }
                                td { (time(crate::distribution::record_updated(stored, v.published), Tz::UTC)) }
                            }
                        }
                    }
                }
            }
            @if let Some(next) = &next {
                p { a href=(format!("/advisories?after={}", encode(next))) { (lang.t("vuln.next")) } }
            }
        }
        h2 { (lang.t("vuln.chain_title")) }
        p class="help" { (lang.t("vuln.chain_help")) }
        @if mirrored.is_empty() { p { (lang.t("vuln.chain_none")) } }
        @else {
            div class="scroll" tabindex="0" {
                table class="advisories" {
                    caption class="visually-hidden" { (lang.t("vuln.chain_title")) }
                    thead { tr {
                        th scope="col" { (lang.t("vuln.id")) }
                        th scope="col" { (lang.t("vuln.title")) }
                        th scope="col" { (lang.t("vuln.chain_provider")) }
                        th scope="col" { (lang.t("vuln.chain_fetched")) }
                    } }
                    tbody {
                        @for document in &mirrored {
                            tr {
                                td translate="no" { a href=(format!("{}/{}/white/{}", crate::aggregator::AGGREGATOR_ROOT, document.peer_id, document.path)) { (document.tracking_id) } }
                                td { (document.title) }
                                td translate="no" { (document.peer_id) }
                                td { (time(document.fetched_at, Tz::UTC)) }
                            }
                        }
                    }
                }
            }
        }
    }).into_response())
}

fn range_words(lang: Lang, introduced: &str, end: &RangeEnd) -> String {
    match end {
        RangeEnd::Fixed(v) => lang.tf("vuln.range_fixed", &[("from", introduced), ("to", v)]),
        RangeEnd::LastAffected(v) => lang.tf("vuln.range_last", &[("from", introduced), ("to", v)]),
        RangeEnd::Open => lang.tf("vuln.range_open", &[("from", introduced)]),
    }
}

/// The bulletin and manual links of advisory `id`: read inside the site, in either
/// language (`/advisories/{id}/bulletin?lang=zh`), and the Markdown from the API.
pub fn document_links(lang: Lang, id: &str) -> Markup {
    let md = if lang == Lang::Zh { "zh" } else { "en" };
    html! {
        @for (kind, key) in [("bulletin", "vuln.bulletin"), ("manual", "vuln.manual")] {
            li { (lang.t(key)) ": "
                a href=(format!("/advisories/{id}/{kind}?lang=zh")) hreflang="zh-CN" lang="zh-CN" { (lang.t("lang.zh")) } " · "
                a href=(format!("/advisories/{id}/{kind}?lang=en")) hreflang="en" lang="en" { (lang.t("lang.en")) } " · "
                a href=(format!("/api/v1/advisories/{id}/{kind}?lang={md}&format=md")) { (lang.t("vuln.markdown")) } }
        }
    }
}

/// Query of a bulletin or manual page: the document's language (`zh` or `en`; the
/// viewer's by default).
#[derive(Debug, serde::Deserialize)]
pub struct DocumentQuery {
    /// `zh` or `en`.
    pub lang: Option<String>,
}

/// `GET /advisories/{id}/{kind}`: the security bulletin (安全公告) or the
/// investigation-and-repair manual (排查及修复手册) inside the site — navigation, the
/// other language, the Markdown, and "print or save as PDF" (the browser's print, with
/// the print style sheet).
pub async fn document(
    State(state): State<AppState>,
    ui: Ui,
    Path((id, kind)): Path<(String, String)>,
    axum::extract::Query(query): axum::extract::Query<DocumentQuery>,
) -> Result<Response, UiError> {
    let lang = ui.lang;
    let manual = match kind.as_str() {
        "bulletin" => false,
        "manual" => true,
        _ => return Err(ui.error(crate::errors::AppError::not_found("page"))),
    };
    let doc_lang = match query.lang.as_deref() {
        Some("zh") | Some("zh-CN") => Lang::Zh,
        Some("en") => Lang::En,
        None => lang,
        Some(_) => return Err(ui.error(crate::errors::AppError::not_found("page"))),
    };
    let (publication, tz) =
        vulnrelay_app::distribution::publication(&state, &ui.caller, &id).await.map_err(|e| ui.error(e))?;
    let markdown = if manual {
        vulnrelay_publish::manual_markdown(&publication, doc_lang.publish())
    } else {
        vulnrelay_publish::bulletin_markdown(&publication, doc_lang.publish())
    };
    // Escaped by the publication crate: raw HTML in the text is shown as text.
    let body = maud::PreEscaped(vulnrelay_publish::markdown_to_html(&markdown));
    let other = if doc_lang == Lang::Zh { Lang::En } else { Lang::Zh };
    let name = lang.t(if manual { "vuln.manual" } else { "vuln.bulletin" });
    let title = format!("{} — {name}", publication.id);
    Ok(page(&ui, &title, html! {
        nav class="crumbs no-print" aria-label=(lang.t("doc.crumbs")) {
            a href="/advisories" { (lang.t("nav.advisories")) } " › "
            a href=(format!("/advisories/{id}")) { (publication.id) } " › " (name)
        }
        p class="no-print doc-actions" {
            a href=(format!("/advisories/{id}/{kind}?lang={}", if other == Lang::Zh { "zh" } else { "en" })) lang=(other.tag()) hreflang=(other.tag()) {
                (other.t("doc.other_language"))
            } " · "
            a href=(format!("/api/v1/advisories/{id}/{kind}?lang={}&format=md", if doc_lang == Lang::Zh { "zh" } else { "en" })) { (lang.t("vuln.markdown")) } " · "
            button type="button" class="link" data-print="" { (lang.t("doc.print")) }
        }
        p class="published" { (lang.t("doc.published")) " " (time(publication.published, tz)) }
        article class="document" lang=(doc_lang.tag()) translate="no" { (body) }
    }).into_response())
}

fn downloads(lang: Lang, v: &Vulnerability) -> Markup {
    let base = format!("/api/v1/vulnerabilities/{}", v.id);
    html! {
        section aria-labelledby="downloads-h" {
            h2 id="downloads-h" { (lang.t("vuln.downloads")) }
            ul class="downloads" {
                (document_links(lang, &v.id))
                li { a href=(format!("{base}.cve.json")) download=(format!("{}.cve.json", v.id)) { (lang.t("vuln.cve_json")) } }
                li { a href=(format!("{base}.csaf.json")) download=(format!("{}.csaf.json", v.id)) { (lang.t("vuln.csaf_json")) } }
                li { a href=(format!("{base}.osv.json")) download=(format!("{}.osv.json", v.id)) { (lang.t("vuln.osv_json")) } }
            }
        }
    }
}

/// `GET /advisories/{id}`: the vulnerability page.
pub async fn show(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let lang = ui.lang;
    let (stored, v) = visible_to_read(&state, &ui.caller, &id).await.map_err(|e| ui.error(e))?;
    let now = Utc::now();
    let threat = v.threat_status(now);
    let title = text(lang, &v.title).map_or_else(|| v.id.clone(), |t| format!("{} — {t}", v.id));
    Ok(page(&ui, &title, html! {
        h1 translate="no" { (title) }
        dl class="facts" {
            dt { (lang.t("vuln.id")) } dd { code { (v.id) } }
            dt { (lang.t("vuln.aliases")) } dd { @if v.aliases.is_empty() { "—" } @for a in &v.aliases { code class="alias" { (a) } " " } }
            @if !v.cwes.is_empty() { dt { (lang.t("vuln.cwes")) } dd { (v.cwes.join(", ")) } }
            dt { (lang.t("vuln.threat")) } dd { (lang.t(&format!("threat.{}", threat.level.as_str()))) }
            @if let Some(published) = v.published { dt { (lang.t("vuln.published")) } dd class="published" { (time(published, Tz::UTC)) } }
            dt { (lang.t("vuln.updated")) } dd class="updated" { (time(crate::distribution::record_updated(&stored, v.published), Tz::UTC)) }
            @if let Some(case) = &stored.case_id { dt { (lang.t("vuln.case")) } dd { a href=(format!("/cases/{case}")) { (case) } } }
        }
        @if let Some(description) = text(lang, &v.description) {
            section aria-labelledby="description-h" { h2 id="description-h" { (lang.t("vuln.description")) } p translate="no" { (description) } }
        }
        section aria-labelledby="scores-h" {
            h2 id="scores-h" { (lang.t("vuln.scores")) }
            @if v.scores.is_empty() { p { (lang.t("vuln.no_scores")) } }
            @else {
                div class="scroll" tabindex="0" { table {
                    caption class="visually-hidden" { (lang.t("vuln.scores")) }
                    thead { tr {
                        th scope="col" { (lang.t("vuln.source")) } th scope="col" { (lang.t("vuln.score")) }
                        th scope="col" { (lang.t("vuln.cnvd_grade")) } th scope="col" { (lang.t("vuln.cnnvd_grade")) } th scope="col" { (lang.t("vuln.vector")) }
                    } }
                    tbody { @for s in &v.scores {
                        @let scored = score(&s.vector).ok();
                        tr {
                            td translate="no" { (s.source) }
                            td { (score_cell(lang, &s.vector)) }
                            td { @if let Some(sc) = &scored { (cnvd_words(lang, sc.cnvd())) } }
                            td { @if let Some(sc) = &scored { (cnnvd_words(lang, sc.cnnvd())) } }
                            td { code { (s.vector) } }
                        }
                    } }
                } }
            }
        }
        section aria-labelledby="affected-h" {
            h2 id="affected-h" { (lang.t("vuln.affected")) }
            @if v.affected.is_empty() { p { (lang.t("vuln.no_affected")) } }
            @else {
                div class="scroll" tabindex="0" { table {
                    caption class="visually-hidden" { (lang.t("vuln.affected")) }
                    thead { tr { th scope="col" { (lang.t("vuln.source")) } th scope="col" { (lang.t("vuln.package")) } th scope="col" { (lang.t("vuln.ranges")) } } }
                    tbody { @for a in &v.affected {
                        tr {
                            td translate="no" { (a.source) }
                            td translate="no" { (a.package.vendor) " " (a.package.product) @if let Some(purl) = &a.package.purl { br; code { (purl) } } }
                            td { ul class="plain" {
                                @for r in &a.ranges { li { (range_words(lang, &r.introduced, &r.end)) } }
                                @if !a.versions.is_empty() { li { (lang.tf("vuln.versions", &[("versions", &a.versions.join(", "))])) } }
                            } }
                        }
                    } }
                } }
            }
            @if !v.fixed_versions.is_empty() { p { (lang.tf("vuln.fixed_in", &[("versions", &v.fixed_versions.join(", "))])) } }
        }
        section aria-labelledby="remediation-h" {
            h2 id="remediation-h" { (lang.t("vuln.remediation")) }
            @if let Some(r) = text(lang, &v.remediation) { p class="remediation" translate="no" { (r) } } @else { p { (lang.t("vuln.no_remediation")) } }
            @if let Some(w) = text(lang, &v.workarounds) { h3 { (lang.t("vuln.workarounds")) } p translate="no" { (w) } }
        }
        @if !v.threats.is_empty() {
            section aria-labelledby="threats-h" {
                h2 id="threats-h" { (lang.t("vuln.threats")) }
                ul { @for t in &v.threats {
                    li { (time(t.at, Tz::UTC)) " — " (lang.t(&format!("threat.{}", t.kind.as_str()))) " (" span translate="no" { (t.source) } ")"
                        @if let Some(note) = &t.note { " · " span translate="no" { (note) } } }
                } }
            }
        }
        (downloads(lang, &v))
        @if !v.references.is_empty() {
            section aria-labelledby="refs-h" {
                h2 id="refs-h" { (lang.t("vuln.references")) }
                ul class="refs" { @for r in &v.references { li {
                    @if r.url.starts_with("https://") || r.url.starts_with("http://") { a href=(r.url) rel="noreferrer noopener" { (r.url) } } @else { (r.url) }
                    " (" span translate="no" { (r.kind) } ")" } } }
            }
        }
    }).into_response())
}
