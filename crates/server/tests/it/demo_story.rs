//! The demo's Log4Shell story held to the record: every dated fact of the demo's
//! timeline against the dates, tags and sources of regulation.md §4.3 (copied into
//! testdata/reference/, see testdata/README.md), and the story as the platform shows
//! it — the case's events, the record's threats, the risk warnings the engine issued to
//! the industry units on 2021-12-09 (and not for the asset that runs a fixed version),
//! their inboxes, the intervals and the organisation log.

use crate::common;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use common::*;
use serde_json::Value;
use vulnrelay_server::demo::{Confidence, INVENTORIES, STORY, fact};
use vulnrelay_server::worker::{Worker, WorkerConfig};
use vulnrelay_store::testing::{TestDb, for_each_backend};

const SECTION_4_3: &str = include_str!("../../../../testdata/reference/regulation-4.3.md");
const CNVD_PRODUCTS: &str = include_str!("../../../../testdata/reference/regulation-2.2-cnvd-products.md");
const GRID: &str = "noc@grid.example";

/// A row of the §4.3 table: the dates its first cell names (`2021-12-27` and
/// `2021-12-28` for "12-27 / 12-28", `2022-06` for "2022-06 (expected)"), the event and
/// the tag and source cell.
struct Row {
    dates: Vec<String>,
    event: String,
    source: String,
}

fn rows() -> Vec<Row> {
    SECTION_4_3
        .lines()
        .filter(|line| line.starts_with("| ") && !line.starts_with("| Date") && !line.starts_with("| ---"))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells.len(), 3, "{line}");
            let dates = cells[0]
                .split(" / ")
                .map(|d| {
                    let d = d.split_whitespace().next().unwrap_or_default();
                    // "2022-04-08" and "2022-06" carry their year; "12-09" is 2021.
                    if d.len() == 5 { format!("2021-{d}") } else { d.to_owned() }
                })
                .collect();
            Row { dates, event: cells[1].to_owned(), source: cells[2].to_owned() }
        })
        .collect()
}

/// The rows dated `date` (a row of a month holds every day of it).
fn rows_on(rows: &[Row], date: &str) -> Vec<usize> {
    (0..rows.len()).filter(|&i| rows[i].dates.iter().any(|d| date.starts_with(d.as_str()))).collect()
}

/// The words of a source worth comparing (no URL scheme, no short words).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 4 && !["http", "https", "html", "from", "with"].contains(w))
        .map(str::to_lowercase)
        .collect()
}

/// What names each seed fact, which §4.3 must not hold (else its confidence is wrong).
const SEED_WORDS: &[(&str, &[&str])] = &[
    ("cert-at", &["Austria", "CERT.at"]),
    ("cert-nz", &["New Zealand", "CERT NZ"]),
    ("alibaba-announces", &["rc1"]),
    ("cnvd-manual", &["手册", "manual"]),
    ("criticism", &["criticis", "批评"]),
];

#[test]
fn the_story_holds_to_the_dates_tags_and_sources_of_the_reference() {
    let rows = rows();
    assert!(rows.len() >= 15, "the §4.3 table reads");
    let mut last = "";
    for f in STORY {
        assert!(f.date >= last, "{}: the story is in time order", f.id);
        last = f.date;
        assert!(f.note().contains(f.source) && f.note().contains(f.confidence.tag().0), "{}", f.id);
        match (f.confidence, f.reference) {
            (Confidence::Verified | Confidence::Supported, Some(quote)) => {
                let tag = if f.confidence == Confidence::Verified { "[V]" } else { "[S]" };
                let holding: Vec<&Row> = rows_on(&rows, f.date)
                    .into_iter()
                    .map(|i| &rows[i])
                    .filter(|r| r.event.contains(quote))
                    .collect();
                assert_eq!(holding.len(), 1, "{}: one §4.3 row dated {} says {quote:?}", f.id, f.date);
                let row = holding[0];
                assert!(row.source.contains(tag), "{}: the row is tagged {tag}: {}", f.id, row.source);
                let row_words = words(&row.source);
                assert!(
                    words(f.source).iter().any(|w| row_words.contains(w)),
                    "{}: the source {:?} is the row's ({})",
                    f.id,
                    f.source,
                    row.source
                );
            }
            (Confidence::Verified | Confidence::Supported, None) => {
                panic!("{}: a verified or supported fact names its §4.3 row", f.id)
            }
            (Confidence::Seed | Confidence::SeedDatedFromMemory, None) => {
                let named = SEED_WORDS.iter().find(|(id, _)| *id == f.id).map(|(_, w)| *w);
                let named = named.unwrap_or_else(|| panic!("{}: a seed fact says what names it", f.id));
                for word in named {
                    assert!(
                        !SECTION_4_3.to_lowercase().contains(&word.to_lowercase()),
                        "{}: §4.3 now has {word:?}: take the fact from the reference",
                        f.id
                    );
                }
            }
            (_, reference) => panic!("{}: a seed or illustrative fact has no §4.3 row ({reference:?})", f.id),
        }
    }
    // The manual: the reference looked for it and did not find it.
    let manual = fact("cnvd-manual");
    assert!(CNVD_PRODUCTS.contains("排查及修复手册") && CNVD_PRODUCTS.contains("**not found**"));
    assert!(manual.source.contains("not found") && manual.confidence == Confidence::Seed);
}

/// The date of an event's time in Beijing time, as §4.3 dates the China-side record (a
/// bare date is already the case's, Beijing, day).
fn beijing(at: &str) -> String {
    if at.len() == 10 {
        return at.to_owned();
    }
    let at = DateTime::parse_from_rfc3339(at).unwrap().with_timezone(&chrono_tz::Asia::Shanghai);
    at.format("%Y-%m-%d").to_string()
}

#[tokio::test]
async fn every_dated_event_of_the_demo_is_a_date_of_the_reference_or_a_marked_fact() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let rows = rows();
        let (code, events) = app.get(&format!("/api/v1/cases/{}/events", app.case_id), MIIT).await;
        assert_eq!(code, StatusCode::OK, "{events}");
        let events = events["events"].as_array().unwrap().clone();
        assert!(events.len() >= 14, "the case file's events and the story's");
        // The illustrative vendors (marked so in their names) are added and answer when the
        // demo loads: their events carry that time, not the story's.
        let illustrative = |id: &Value| {
            vulnrelay_server::coordination_demo::VENDORS.iter().any(|v| id.as_str() == Some(v.org))
        };
        for e in &events {
            let event = &e["event"];
            if illustrative(&event["party"]) || illustrative(&event["to"]) {
                continue;
            }
            let date = beijing(event["at"].as_str().unwrap());
            let story =
                STORY.iter().find(|f| f.date == date && event["note"].as_str() == Some(f.note().as_str()));
            assert!(
                !rows_on(&rows, &date).is_empty()
                    || story.is_some_and(|f| f.confidence != Confidence::Verified),
                "{date} {event}: no §4.3 row on that date, and not a marked fact of the story"
            );
        }
        // Each fact of the story that goes on the timeline is there, on its date, with its
        // source and confidence.
        for (id, kind, party) in [
            ("platform-convenes", "verified", "miit-nvdb"),
            ("alibaba-announces", "published", "alibaba-cloud"),
            ("cnvd-manual", "published", "cnvd"),
            ("miit-alert", "published", "miit-nvdb"),
        ] {
            let f = fact(id);
            let found = events.iter().find(|e| {
                e["event"]["type"] == kind
                    && e["event"]["party"] == party
                    && beijing(e["event"]["at"].as_str().unwrap()) == f.date
            });
            let found = found.unwrap_or_else(|| panic!("{id}: a `{kind}` of {party} on {}", f.date));
            let note = found["event"]["note"].as_str().unwrap();
            assert!(note.contains(f.source) && note.contains(f.confidence.tag().1), "{id}: {note}");
        }
        // The threats on CVE-2021-44228, each dated by the reference or a marked fact.
        let (_, record) = app.get("/api/v1/vulnerabilities/CVE-2021-44228", MIIT).await;
        let threats =
            record["threat_status"]["events"].as_array().unwrap_or_else(|| panic!("{record}")).clone();
        for (id, kind) in [
            ("details-public", "exploit_details_public"),
            ("cert-at", "exploit_details_public"),
            ("cert-nz", "actively_exploited"),
        ] {
            let f = fact(id);
            assert!(
                threats.iter().any(|t| t["kind"] == kind
                    && t["source"] == f.source
                    && t["at"].as_str().unwrap().starts_with(f.date)),
                "{id}: {threats:?}"
            );
        }
        for t in &threats {
            let date = &t["at"].as_str().unwrap()[..10];
            assert!(!rows_on(&rows, date).is_empty(), "threat on {date}: no §4.3 row: {t}");
        }
        assert!(threats.iter().any(|t| t["kind"] == "fix_bypassed" && t["version"] == "2.15.0-rc1"));
    })
    .await;
}

fn warnings_about<'a>(list: &'a Value, id: &str) -> Option<&'a Value> {
    list["warnings"].as_array().unwrap().iter().find(|w| w["vulnerability"] == id)
}

#[tokio::test]
async fn the_platform_warns_the_industry_on_2021_12_09_and_the_interval_closes() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let warned_at: DateTime<Utc> = "2021-12-08T16:00:00Z".parse().unwrap();
        let (code, intervals) = app.get(&format!("/api/v1/cases/{}/intervals", app.case_id), "").await;
        assert_eq!(code, StatusCode::OK, "{intervals}");
        let first =
            intervals["intervals"].as_array().unwrap().iter().find(|i| i["kind"] == "first_warning").unwrap();
        assert_eq!(
            (&first["days"], &first["open"]),
            (&serde_json::json!(15.0), &serde_json::json!(false)),
            "{first}"
        );
        assert_eq!(first["from"]["type"], "discovered");
        assert_eq!(first["to"]["type"], "risk_warning");
        assert_eq!(DateTime::parse_from_rfc3339(first["to"]["at"].as_str().unwrap()).unwrap(), warned_at);
        assert!(["cn-bank", "cn-grid"].contains(&first["to"]["party"].as_str().unwrap()), "{first}");

        let worker = Worker::new(app.state.app.clone(), WorkerConfig::default());
        while worker.deliver(Utc::now()).await.unwrap().claimed > 0 {}
        for (who, org) in [(BANK, "cn-bank"), (GRID, "cn-grid")] {
            let (_, list) = app.get("/api/v1/warnings", who).await;
            let w = warnings_about(&list, "CVE-2021-44228").unwrap_or_else(|| panic!("{who}: {list}"));
            assert_eq!(DateTime::parse_from_rfc3339(w["created_at"].as_str().unwrap()).unwrap(), warned_at);
            // Issued before publication, then again once public, exploited and bypassed.
            assert_eq!((&w["revision"], &w["tlp"]), (&serde_json::json!(2), &serde_json::json!("TLP:CLEAR")));
            // Every asset the unit runs on an affected version is named, and only those.
            let named: Vec<&str> = list["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|w| w["content"]["affected"].as_array().unwrap().iter())
                .map(|a| a["asset"].as_str().unwrap())
                .collect();
            for (unit, group, version) in INVENTORIES.iter().filter(|(unit, ..)| *unit == org) {
                assert_eq!(
                    named.contains(group),
                    *version != "2.17.1",
                    "{unit} {group} {version}: {named:?}"
                );
            }
            // The inbox holds the warning as it went out on 2021-12-09: before publication,
            // from MIIT's platform, with the fact's source and confidence, in both languages.
            let (_, inbox) = app.get("/api/v1/inbox", who).await;
            let issued = inbox["messages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| {
                    m["topic"] == "warning.issued"
                        && m["message"]["warning"]["vulnerability"]["id"] == "CVE-2021-44228"
                })
                .unwrap_or_else(|| panic!("{who}: {inbox}"));
            let message = &issued["message"];
            assert_eq!(
                DateTime::parse_from_rfc3339(message["sent_at"].as_str().unwrap()).unwrap(),
                warned_at
            );
            let warning = &message["warning"];
            assert_eq!(
                (&warning["tlp"], &warning["published"]),
                (&serde_json::json!("TLP:AMBER"), &serde_json::json!(false))
            );
            assert_eq!(warning["issued_by"], "miit-nvdb");
            assert!(warning.get("description").is_none(), "no detail before publication");
            let warns = fact("platform-warns");
            for lang in ["en", "zh"] {
                assert!(warning["note"][lang].as_str().unwrap().contains(warns.source), "{warning}");
            }
            assert!(warning["note"]["zh"].as_str().unwrap().contains(warns.zh));
            assert!(warning["note"]["en"].as_str().unwrap().contains(warns.en));
        }
        // The follow-ups reach the units when each was published; the fixed asset never.
        let (_, grid) = app.get("/api/v1/warnings", GRID).await;
        for id in ["CVE-2021-45046", "CVE-2021-45105", "CVE-2021-44832"] {
            assert!(warnings_about(&grid, id).is_some(), "{id}: {grid}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_organisation_log_records_the_criticism_beside_the_suspension() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let (_, log) = app.get("/api/v1/orgs/alibaba-cloud/log", "").await;
        let entries = log["log"].as_array().unwrap();
        let kinds: Vec<&str> = entries.iter().map(|e| e["sanction"].as_str().unwrap_or_default()).collect();
        assert_eq!(kinds, ["suspension", "public_criticism"], "{log}");
        let criticism = &entries[1];
        // The account gives no name, so the record names none.
        assert_eq!(criticism["individual"], vulnrelay_server::demo::CRITICISED);
        assert!(!log.to_string().contains("Chen Zhaojun"), "no name the account does not give");
        assert_eq!(criticism["at"], entries[0]["at"]);
        let f = fact("criticism");
        let reason = criticism["reason"].as_str().unwrap();
        assert!(
            reason.contains(f.source)
                && reason.contains(f.confidence.tag().0)
                && reason.contains(f.confidence.tag().1)
        );
        assert!(reason.contains("without an administrative penalty"));
    })
    .await;
}
