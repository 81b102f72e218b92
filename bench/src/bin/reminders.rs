//! The coordination reminders' beat at a national platform's size: what the worker's
//! minute costs with a platform default schedule (`coordination::send_scheduled_reminders`,
//! reading the silences the case views keep), against the baseline of listing every case
//! and loading each one's board to ask it for the reminders due (what every beat did
//! before), in the same run on the same database.
//!
//! ```sh
//! vulnrelay-bench gen --db /tmp/c100k.db --cases 100000 --inventories 1000
//! reminders --db /tmp/c100k.db --coordinated 2000 --vendors 5   # SQLite (a copy is measured)
//! reminders --db postgres://postgres@127.0.0.1:5432/bench1m
//! ```
//!
//! Added first: `--coordinated` cases of the generated providers' upstream component,
//! each with `--vendors` downstream vendors told over the last 60 days (a third of them
//! answered a day after). Printed: each beat's time, reminders sent and RSS after it, and
//! its ratio to the baseline, which runs last, asks at the last beat's time and must find
//! nothing new to send (the beats sent what every case asked would).

use std::time::Instant;

use chrono::{TimeDelta, Utc};
use clap::Parser;
use serde_json::{Value, json};
use vulnrelay_bench::dataset::{self, Database, Shape};
use vulnrelay_bench::load::rss_mb;
use vulnrelay_store::{Fragment, NewCase, NewEvent, ReminderSchedule};

/// The reminder beat's cost against loading every case.
#[derive(Debug, Parser)]
struct Args {
    /// The database: a SQLite file (copied first) or a `postgres://` URL (added to).
    #[arg(long)]
    db: String,
    /// How many coordinated cases to add.
    #[arg(long, default_value_t = 2_000)]
    coordinated: usize,
    /// Downstream vendors per coordinated case.
    #[arg(long, default_value_t = 5)]
    vendors: usize,
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(run(args));
}

/// Coordinated case `n` of a generated reporter: a generated provider's component,
/// `vendors` other providers told by the platform from `told` on, an hour apart, a third
/// answering a day after.
fn coordinated_case(
    n: usize,
    vendors: usize,
    (reporters, providers): (usize, usize),
    told: chrono::DateTime<Utc>,
) -> NewCase {
    let party = |id: &str, role: &str| json!({"id": id, "name": id, "roles": [role], "jurisdiction": "CN"});
    let upstream = format!("p{}", n % providers);
    let reporter = format!("r{}", n % reporters.max(1));
    let mut parties = vec![
        party(&reporter, "discoverer"),
        party(&upstream, "product_provider"),
        party(dataset::PLATFORM, "regulator_platform"),
    ];
    let mut products = vec![json!({"id": "component", "name": "component", "provider": upstream})];
    let start = told - TimeDelta::days(1);
    let mut events = vec![
        json!({"type": "discovered", "at": start.to_rfc3339(), "party": reporter, "product": "component"}),
        json!({"type": "notified", "at": start.to_rfc3339(), "party": reporter, "to": dataset::PLATFORM, "product": "component"}),
    ];
    let mut answers = Vec::new();
    for v in 0..vendors {
        let vendor = format!("p{}", (n + 1 + v * 7) % providers);
        if vendor == upstream || parties.iter().any(|p| p["id"] == vendor.as_str()) {
            continue;
        }
        let product = format!("{vendor}:Product");
        parties.push(party(&vendor, "product_provider"));
        products
            .push(json!({"id": product, "name": "Product", "provider": vendor, "upstream": ["component"]}));
        let at = told + TimeDelta::hours(v as i64);
        events.push(json!({"type": "notified", "at": at.to_rfc3339(), "party": dataset::PLATFORM, "to": vendor, "product": product}));
        let answered = at + TimeDelta::days(1);
        if (n + v).is_multiple_of(3) && answered < Utc::now() {
            answers.push(json!({"type": "vendor_status", "at": answered.to_rfc3339(), "party": vendor, "product": product, "vulnerability": "CVE-0000-0000", "status": "under_investigation"}));
        }
    }
    events.extend(answers);
    let fragments = |values: Vec<Value>| -> Vec<Fragment> {
        values
            .into_iter()
            .map(|value| Fragment { id: value["id"].as_str().unwrap_or("").into(), value })
            .collect()
    };
    let event = |body: Value| NewEvent {
        at: chrono::DateTime::parse_from_rfc3339(body["at"].as_str().unwrap_or("")).expect("a time").to_utc(),
        body,
        recorded_by: None,
        override_reason: None,
    };
    let mut events: Vec<NewEvent> = events.into_iter().map(event).collect();
    events.sort_by_key(|e| e.at);
    NewCase {
        title: format!("Coordinated case {n} [generated]"),
        timezone: "Asia/Shanghai".into(),
        reporter_org: reporter,
        platform_org: dataset::PLATFORM.into(),
        parties: fragments(parties),
        products: fragments(products),
        events,
        created_at: start,
    }
}

async fn run(args: Args) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database = Database::open_copy(&args.db, dir.path()).await.unwrap_or_else(|e| panic!("{e}"));
    let store = database.store.clone();
    let default = ReminderSchedule { after_days: 3, every_days: 2 };
    let config = vulnrelay_server::Config { coordination_reminders: Some(default), ..Default::default() };
    let app = vulnrelay_server::App::new(store.clone(), config);
    let cases = store.case_ids().await.expect("the case ids").len();
    let (reporters, providers, _) = Shape::scaled(cases).kinds();
    let providers = providers.max(2);
    let now = Utc::now();
    let started = Instant::now();
    for n in 0..args.coordinated {
        let told = now - TimeDelta::days((n % 60) as i64) - TimeDelta::minutes(n as i64 % 1_440);
        let case = coordinated_case(n, args.vendors, (reporters, providers), told);
        store.import_case(&case).await.expect("a coordinated case");
    }
    let waiting = store.silences(now, None, i64::MAX).await.expect("the silences").len();
    println!(
        "# {} on {}: {cases} cases, {} coordinated added in {:.1} s ({waiting} vendors waiting); RSS {:.0} MB",
        args.db,
        database.name(),
        args.coordinated,
        started.elapsed().as_secs_f64(),
        rss_mb()
    );

    // Each beat: what, reminders sent, seconds, RSS after.
    let mut beats: Vec<(String, usize, f64, f64)> = Vec::new();
    let beat = async |what: &str, at: chrono::DateTime<Utc>| {
        let start = Instant::now();
        let sent = vulnrelay_server::coordination::send_scheduled_reminders(&app, at).await.expect("a beat");
        (what.to_owned(), sent, start.elapsed().as_secs_f64(), rss_mb())
    };
    beats.push(beat("the first beat (every reminder due)", now).await);
    beats.push(beat("the next minute (nothing new)", now + TimeDelta::minutes(1)).await);
    let last = now + TimeDelta::days(1);
    beats.push(beat("a day later (that day's reminders)", last).await);
    beats.push(beat("a minute after that (nothing new)", last + TimeDelta::minutes(1)).await);

    // The baseline last, at the last beat's time: every case listed, each board loaded
    // and asked for the reminders due, as each beat did before.
    let start = Instant::now();
    let own: std::collections::HashMap<String, Option<ReminderSchedule>> = store
        .case_schedules()
        .await
        .expect("the schedules")
        .into_iter()
        .map(|c| (c.case_id, c.schedule))
        .collect();
    let mut new = 0;
    let listed = store.list_cases().await.expect("every case");
    for case in &listed {
        let Some(schedule) = own.get(&case.id).copied().unwrap_or(Some(default)) else { continue };
        let loaded = app.boards.load(&app, &case.id).await.expect("a board");
        let notices = vulnrelay_server::coordination::scheduled_reminders(
            &loaded,
            schedule,
            last + TimeDelta::minutes(1),
        );
        if !notices.is_empty() {
            new += store.send_notices(&notices, last).await.expect("notices");
        }
    }
    let baseline = start.elapsed().as_secs_f64();
    println!(
        "every case loaded (baseline, what each beat did before): {} cases, {new} reminders new in {baseline:.2} s; RSS {:.0} MB",
        listed.len(),
        rss_mb()
    );
    assert_eq!(new, 0, "the beats left reminders unsent that the baseline found due");
    for (what, sent, seconds, rss) in beats {
        println!(
            "{what}: {sent} reminders in {:.1} ms ({:.5}× the baseline); RSS {rss:.0} MB after it",
            seconds * 1e3,
            seconds / baseline
        );
    }
}
