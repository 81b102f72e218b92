//! The cases: spread evenly over [`YEARS`] years up to [`END`], each with its discovery
//! by a reporter and a report to the platform (one in ten after the two days the rule
//! allows); for eight in ten, triage, verification, the notification of the product's
//! provider and the provider's acknowledgement (`aware`); for six in ten, a provider's
//! verification, two fixes, the provider's and the platform's publications and the
//! platform's warnings to three industry units — fourteen events —, so open, overdue and
//! met duties all occur. Ten events a case on average.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::json;
use vulnrelay_store::{Fragment, NewCase, NewEvent, Store};

use super::orgs::{PLATFORM, counts, provider_jurisdiction};
use super::{Generated, Mix, Progress, Shape, run_bounded};

/// The years the cases span.
pub const YEARS: i32 = 10;

/// When the last case opens (a fixed date: the same data on every run).
pub fn end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).single().expect("a time")
}

/// Case `i` of `shape` (its values come from its own generator, so any case can be
/// made alone), and whether it is published.
pub fn case(shape: &Shape, i: usize) -> (NewCase, bool) {
    let (reporters, providers, units) = counts(shape);
    let mut mix = Mix::new(shape.seed, 1_000_000_000 + i as u64);
    let first = end() - TimeDelta::days(365 * i64::from(YEARS));
    let span = (end() - first).num_seconds();
    let at = first + TimeDelta::seconds(span * i as i64 / shape.cases.max(1) as i64);
    let reporter = format!("r{}", i % reporters);
    let p = mix.below(providers as u64) as usize;
    let provider = format!("p{p}");
    let unit = |mix: &mut Mix| format!("u{}", mix.below(units as u64));
    let units = [unit(&mut mix), unit(&mut mix), unit(&mut mix)];
    let hours = |h: u64| at + TimeDelta::hours(i64::try_from(h).unwrap_or(0));
    let event = |when: DateTime<Utc>, mut body: serde_json::Value| {
        body["at"] = json!(when.to_rfc3339());
        NewEvent { at: when, body, recorded_by: None, override_reason: None }
    };
    let mut events = vec![event(at, json!({"type": "discovered", "party": reporter}))];
    let reported = hours(if mix.below(10) == 0 { 49 + mix.below(200) } else { 1 + mix.below(47) });
    events.push(event(reported, json!({"type": "notified", "party": reporter, "to": PLATFORM})));
    let progress = mix.below(10);
    if progress >= 2 {
        events.push(event(hours(250), json!({"type": "triage_started", "party": PLATFORM})));
        events.push(event(hours(260), json!({"type": "verified", "party": PLATFORM})));
        events.push(event(hours(270), json!({"type": "notified", "party": PLATFORM, "to": provider})));
        events.push(event(hours(275), json!({"type": "aware", "party": provider})));
    }
    let published = progress >= 4;
    if published {
        let day = |d: u64| hours(24 * d);
        events.push(event(day(12), json!({"type": "verified", "party": provider})));
        events.push(event(day(20), json!({"type": "fix_available", "party": provider, "version": "2.0.0"})));
        events.push(event(day(23), json!({"type": "fix_available", "party": provider, "version": "2.0.1"})));
        events
            .push(event(day(25), json!({"type": "published", "party": provider, "with_remediation": true})));
        events
            .push(event(day(26), json!({"type": "published", "party": PLATFORM, "with_remediation": true})));
        for (h, unit) in (2..).zip(&units) {
            events.push(event(
                day(26) + TimeDelta::hours(h),
                json!({"type": "notified", "party": PLATFORM, "to": unit}),
            ));
        }
    }
    let party = |id: &str, role: &str, jurisdiction: &str| Fragment {
        id: id.into(),
        value: json!({"id": id, "roles": [role], "jurisdiction": jurisdiction}),
    };
    let mut parties = vec![
        party(&reporter, "discoverer", "CN"),
        party(PLATFORM, "regulator_platform", "CN"),
        party(&provider, "product_provider", provider_jurisdiction(p)),
    ];
    if published {
        for (k, unit) in units.iter().enumerate() {
            if !units[..k].contains(unit) {
                parties.push(party(unit, "product_user", "CN"));
            }
        }
    }
    let case = NewCase {
        title: format!("Generated case {i} [synthetic]"),
        timezone: "Asia/Shanghai".into(),
        reporter_org: reporter,
        platform_org: PLATFORM.into(),
        parties,
        products: vec![Fragment {
            id: "product".into(),
            value: json!({"id": "product", "name": format!("Product {i} [generated]"), "provider": provider, "markets": ["CN"]}),
        }],
        events,
        created_at: at,
    };
    (case, published)
}

/// Writes the cases, [`Shape::batch`] per transaction; returns the ids of the published
/// ones, oldest first.
pub async fn write(
    store: &Arc<dyn Store>,
    shape: &Shape,
    generated: &mut Generated,
) -> Result<Vec<String>, String> {
    let batch = shape.batch.max(1);
    let batches = shape.cases.div_ceil(batch);
    let mut progress = Progress::batched("cases", shape.cases, batch);
    let written = run_bounded(batches, shape.jobs, &mut progress, |b| {
        let range = b * batch..((b + 1) * batch).min(shape.cases);
        let (cases, published): (Vec<NewCase>, Vec<bool>) = range.map(|i| case(shape, i)).unzip();
        let store = store.clone();
        async move {
            let ids = store.import_cases(&cases).await.map_err(|e| format!("cases of batch {b}: {e}"))?;
            let events = cases.iter().map(|c| c.events.len());
            Ok(ids.into_iter().zip(published).zip(events).map(|((id, p), e)| (id, p, e)).collect::<Vec<_>>())
        }
    })
    .await?;
    let written: Vec<(String, bool, usize)> = written.into_iter().flatten().collect();
    generated.cases = written.len();
    generated.events = written.iter().map(|(_, _, events)| events).sum();
    let published: Vec<String> =
        written.into_iter().filter(|(_, published, _)| *published).map(|(id, _, _)| id).collect();
    generated.published = published.len();
    Ok(published)
}
