//! The silences the coordination reminders read (issue 18): the vendors waiting on each
//! case as its views keep them, rewritten with every change of the case, read through
//! their index in pages by when they were last told, and by case — on every back end
//! available. After any sequence of changes (vendors told, answering, told again, the
//! projector failing) they equal what the cases' last events say.

use std::collections::BTreeMap;

use chrono::{TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};
use vulnrelay_domain::Timestamp;
use vulnrelay_store::projections::{CaseProjection, CaseSnapshot, WaitingVendor};
use vulnrelay_store::testing::{TestDb, for_each_backend};
use vulnrelay_store::*;

use crate::intervals::Rng;

/// Projects a case as its last `set` event says: these vendors waiting, each last told
/// at its time (`fail`: the case cannot be read).
#[derive(Debug)]
struct Script;

impl Projector for Script {
    fn version(&self) -> String {
        "script".into()
    }

    fn project(&self, case: &CaseSnapshot, _: Timestamp) -> Result<CaseProjection, String> {
        let last = case.events.last().ok_or("no event")?;
        let body: Value = serde_json::from_str(&last.body).map_err(|e| e.to_string())?;
        if body["fail"] == true {
            return Err("unreadable".into());
        }
        Ok(CaseProjection {
            state: "scripted".into(),
            published: false,
            relations: Vec::new(),
            obligations: Vec::new(),
            vendors: 0,
            products: 0,
            intervals: Vec::new(),
            waiting: waiting_of(&body),
        })
    }
}

fn waiting_of(body: &Value) -> Vec<WaitingVendor> {
    body["waiting"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| WaitingVendor {
            vendor: w[0].as_str().unwrap().into(),
            last_told: told(w[1].as_i64().unwrap()),
        })
        .collect()
}

/// Hour `hour` of the test's calendar (told times repeat, so the keyset's ties are met).
fn told(hour: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2022, 1, 1, 0, 0, 0).unwrap() + TimeDelta::hours(hour)
}

fn set(step: usize, body: Value) -> NewEvent {
    let at = told(1_000) + TimeDelta::minutes(i64::try_from(step).unwrap());
    let mut body = body;
    body["type"] = json!("set");
    body["at"] = json!(at.to_rfc3339());
    NewEvent { at, body, recorded_by: None, override_reason: None }
}

/// Up to four of six vendors waiting, each last told at one of a few hours.
fn random_waiting(rng: &mut Rng) -> Value {
    let mut vendors: Vec<usize> = (0..6).collect();
    let mut out = Vec::new();
    for _ in 0..rng.below(5) {
        let vendor = vendors.remove(rng.below(vendors.len()));
        out.push(json!([format!("vendor-{vendor}"), rng.below(8)]));
    }
    json!(out)
}

/// Every silence the model holds, in the beat's order (told, case, vendor).
fn every_silence(model: &BTreeMap<String, Vec<WaitingVendor>>) -> Vec<Silence> {
    let mut all: Vec<Silence> = model
        .iter()
        .flat_map(|(case_id, waiting)| {
            waiting.iter().map(|w| Silence {
                last_told: w.last_told,
                case_id: case_id.clone(),
                vendor: w.vendor.clone(),
            })
        })
        .collect();
    all.sort();
    all
}

/// Holds the store's silences to the model: every page size, a bound on when they were
/// told, by case, and each case's stored views.
async fn check(store: &dyn Store, model: &BTreeMap<String, Vec<WaitingVendor>>, rng: &mut Rng, what: &str) {
    let every = every_silence(model);
    let told_by = told(i64::try_from(rng.below(9)).unwrap());
    let expected: Vec<Silence> = every.iter().filter(|s| s.last_told <= told_by).cloned().collect();
    for limit in [1, 3, 500] {
        let mut read = Vec::new();
        let mut after: Option<Silence> = None;
        loop {
            let page = store.silences(told_by, after.as_ref(), limit).await.unwrap();
            assert!(page.len() <= usize::try_from(limit).unwrap(), "{what}");
            read.extend(page.iter().cloned());
            if page.len() < usize::try_from(limit).unwrap() {
                break;
            }
            after = page.last().cloned();
        }
        assert_eq!(read, expected, "{what}: pages of {limit} told by {told_by}");
    }
    // Asked in another order, and twice for one case.
    let mut ids: Vec<String> = model.keys().rev().cloned().collect();
    ids.extend(ids.first().cloned());
    let mut by_case = every.clone();
    by_case.sort_by(|a, b| (&a.case_id, &a.vendor).cmp(&(&b.case_id, &b.vendor)));
    assert_eq!(store.silences_of(&ids).await.unwrap(), by_case, "{what}: by case");
    assert!(store.silences_of(&[]).await.unwrap().is_empty(), "{what}");
    for (case_id, waiting) in model {
        let stored = store.projection(case_id).await.unwrap().map(|p| p.waiting).unwrap_or_default();
        assert_eq!(&stored, waiting, "{what}: the views of {case_id}");
    }
}

#[tokio::test]
async fn silences_follow_every_change_and_are_read_in_pages_by_when_told() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        crate::conformance::seed(store.as_ref()).await;
        store.set_projector(std::sync::Arc::new(Script));
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        // Each case as the model has it: its waiting vendors by vendor (none when its
        // views are gone, the projector failing).
        let mut model: BTreeMap<String, Vec<WaitingVendor>> = BTreeMap::new();
        for step in 1..=80 {
            let body = json!({"waiting": random_waiting(&mut rng)});
            let case = if model.is_empty() || rng.below(4) == 0 {
                store
                    .import_case(&NewCase {
                        title: format!("Case {step}"),
                        timezone: "UTC".into(),
                        reporter_org: "reporter".into(),
                        platform_org: "miit".into(),
                        parties: Vec::new(),
                        products: Vec::new(),
                        events: vec![set(step, body.clone())],
                        created_at: told(1_000),
                    })
                    .await
                    .unwrap()
            } else {
                let ids: Vec<&String> = model.keys().collect();
                let case_id = ids[rng.below(ids.len())].clone();
                let body = if rng.below(10) == 0 { json!({"fail": true}) } else { body.clone() };
                let change = CaseChange { events: vec![set(step, body)], ..CaseChange::default() };
                store.change_case(&case_id, &change, told(1_000)).await.unwrap();
                case_id
            };
            let last: Value =
                serde_json::from_str(&store.events(&case).await.unwrap().pop().unwrap().body).unwrap();
            let mut waiting = if last["fail"] == true { Vec::new() } else { waiting_of(&last) };
            waiting.sort();
            model.insert(case, waiting);
            check(store.as_ref(), &model, &mut rng, &format!("{}, step {step}", db.name)).await;
        }
        assert!(every_silence(&model).len() > 20, "the model waited on few vendors");
        // Rebuilt from the log, they are the same.
        store.rebuild_projections(told(1_000)).await.unwrap();
        check(store.as_ref(), &model, &mut rng, &format!("{}, rebuilt", db.name)).await;
    })
    .await;
}

#[tokio::test]
async fn a_case_schedule_and_the_keys_sent_are_read_by_key() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        crate::conformance::seed(store.as_ref()).await;
        let case_id = store
            .import_case(&NewCase {
                title: "Case".into(),
                timezone: "UTC".into(),
                reporter_org: "reporter".into(),
                platform_org: "miit".into(),
                parties: Vec::new(),
                products: Vec::new(),
                events: vec![set(1, json!({}))],
                created_at: told(1_000),
            })
            .await
            .unwrap();
        assert_eq!(store.case_schedule(&case_id).await.unwrap(), None);
        let set = CaseSchedule {
            case_id: case_id.clone(),
            schedule: Some(ReminderSchedule { after_days: 4, every_days: 2 }),
            set_by: "someone".into(),
            set_at: told(1_001),
        };
        store.set_case_schedule(&case_id, Some(&set)).await.unwrap();
        assert_eq!(store.case_schedule(&case_id).await.unwrap(), Some(set));
        assert_eq!(store.case_schedule("no-such-case").await.unwrap(), None);
        let notice = |key: &str| Notice {
            key: key.into(),
            case_id: case_id.clone(),
            org_id: "reporter".into(),
            topic: "coordination.reminder".into(),
            payload: json!({}),
        };
        assert_eq!(store.send_notices(&[notice("k1"), notice("k2")], told(1_002)).await.unwrap(), 2);
        let asked: Vec<String> = ["k0", "k1", "k2", "k3"].map(String::from).to_vec();
        let sent = store.sent_keys(&asked).await.unwrap();
        assert_eq!(sent, ["k1", "k2"].map(String::from).into_iter().collect());
        assert!(store.sent_keys(&[]).await.unwrap().is_empty());
    })
    .await;
}
