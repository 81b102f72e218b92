//! The interval statistics from kept totals (issue 18): after any sequence of interval
//! rewrites and publication flips the kept totals equal a recount of the rows they
//! total, and the medians, worst and counts equal a brute-force computation over every
//! length (with a caller's extra lengths merged in) — on every back end available. The
//! public answer each store keeps (by the version of the published intervals) is asked
//! after every change, of two stores sharing the database as two server processes do.

use std::collections::BTreeMap;

use chrono::{TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};
use vulnrelay_domain::Timestamp;
use vulnrelay_store::projections::{
    CaseProjection, CaseSnapshot, IntervalLength, IntervalQuarter, IntervalStats, interval_bucket,
};
use vulnrelay_store::testing::{TestDb, for_each_backend};
use vulnrelay_store::*;

/// Projects a case as its last `set` event says: published or not, with these
/// intervals (`fail`: the case cannot be read).
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
            published: body["published"] == true,
            relations: Vec::new(),
            obligations: Vec::new(),
            vendors: 0,
            products: 0,
            intervals: intervals_of(&body),
            waiting: Vec::new(),
        })
    }
}

fn intervals_of(body: &Value) -> Vec<IntervalLength> {
    body["intervals"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| IntervalLength {
            kind: i[0].as_str().unwrap().into(),
            quarter: i[1].as_str().unwrap().into(),
            seconds: i[2].as_i64(),
        })
        .collect()
}

/// A small deterministic generator (the crate's tests have no `rand`).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// The next number below `n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % n as u64).unwrap()
    }
}

const KINDS: [&str; 2] = ["vendor_notified", "fixed"];
const QUARTERS: [&str; 3] = ["2021-Q4", "2022-Q1", "2022-Q2"];
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
const YEAR: i64 = 365 * DAY;

/// Lengths on and beside the classes' bounds, and some between.
fn length(rng: &mut Rng) -> Option<i64> {
    let pool = [
        -5,
        -1,
        0,
        1,
        HOUR - 1,
        HOUR,
        HOUR + 1,
        5 * HOUR,
        2 * DAY - 1,
        2 * DAY,
        2 * DAY + 1,
        3 * DAY,
        3 * DAY + 7,
        364 * DAY,
        YEAR - 1,
        YEAR,
        YEAR + 1,
        53 * 7 * DAY,
        3 * YEAR + 11,
    ];
    match rng.below(pool.len() + 3) {
        i if i < pool.len() => Some(pool[i]),
        i if i == pool.len() => None,
        // Somewhere between, often in a class already used.
        _ => Some(i64::try_from(rng.below(400)).unwrap() * 5 * HOUR + i64::try_from(rng.below(3)).unwrap()),
    }
}

fn random_intervals(rng: &mut Rng) -> Vec<Value> {
    let mut out = Vec::new();
    for kind in KINDS {
        if rng.below(4) != 0 {
            out.push(json!([kind, QUARTERS[rng.below(QUARTERS.len())], length(rng)]));
        }
    }
    out
}

fn at(step: usize) -> Timestamp {
    Utc.with_ymd_and_hms(2022, 1, 1, 0, 0, 0).unwrap() + TimeDelta::minutes(i64::try_from(step).unwrap())
}

fn set(step: usize, body: Value) -> NewEvent {
    let mut body = body;
    body["type"] = json!("set");
    body["at"] = json!(at(step).to_rfc3339());
    NewEvent { at: at(step), body, recorded_by: None, override_reason: None }
}

/// What the views should hold of a case, as its last event says (none: it cannot be
/// read); the first interval of a kind is the one kept.
async fn expected(store: &dyn Store, case_id: &str) -> Option<(bool, Vec<IntervalLength>)> {
    let last: Value =
        serde_json::from_str(&store.events(case_id).await.unwrap().pop().unwrap().body).unwrap();
    let mut intervals = intervals_of(&last);
    let mut kinds = std::collections::HashSet::new();
    intervals.retain(|i| kinds.insert(i.kind.clone()));
    (last["fail"] != true).then(|| (last["published"] == true, intervals))
}

/// The statistics computed from every length: per quarter, ascending.
fn brute_force(lengths: &[IntervalLength], kind: &str) -> Vec<IntervalQuarter> {
    let mut quarters: BTreeMap<&str, (Vec<i64>, i64)> = BTreeMap::new();
    for i in lengths.iter().filter(|i| i.kind == kind) {
        let (closed, open) = quarters.entry(&i.quarter).or_default();
        match i.seconds {
            Some(s) => closed.push(s),
            None => *open += 1,
        }
    }
    quarters
        .into_iter()
        .map(|(quarter, (mut closed, open))| {
            closed.sort_unstable();
            let n = closed.len();
            IntervalQuarter {
                quarter: quarter.into(),
                closed: i64::try_from(n).unwrap(),
                open,
                middle: (n > 0).then(|| (closed[(n - 1) / 2], closed[n / 2])),
                worst: closed.last().copied(),
            }
        })
        .collect()
}

/// The model's published cases: their intervals (sorted) and how many they are.
fn public_of(model: &BTreeMap<String, Option<(bool, Vec<IntervalLength>)>>) -> (Vec<IntervalLength>, usize) {
    let published: Vec<&Vec<IntervalLength>> = model
        .values()
        .flatten()
        .filter(|(published, _)| *published)
        .map(|(_, intervals)| intervals)
        .collect();
    let mut intervals: Vec<IntervalLength> = published.iter().flat_map(|i| i.iter().cloned()).collect();
    intervals.sort();
    (intervals, published.len())
}

/// Holds a public answer to the model.
fn check_public(
    stats: &IntervalStats,
    model: &BTreeMap<String, Option<(bool, Vec<IntervalLength>)>>,
    what: &str,
) {
    let (public, published) = public_of(model);
    assert_eq!(stats.published_cases, i64::try_from(published).unwrap(), "{what}");
    let kinds: BTreeMap<String, Vec<IntervalQuarter>> = KINDS
        .iter()
        .map(|kind| (kind.to_string(), brute_force(&public, kind)))
        .filter(|(_, quarters)| !quarters.is_empty())
        .collect();
    assert_eq!(stats.kinds, kinds, "{what}");
}

/// Holds the statistics over every case, published or not, to the model.
async fn check_every(
    store: &dyn Store,
    model: &BTreeMap<String, Option<(bool, Vec<IntervalLength>)>>,
    what: &str,
) {
    let stats = store.every_interval_stats().await.unwrap();
    let (_, published) = public_of(model);
    let unpublished = model.values().flatten().filter(|(published, _)| !*published).count();
    assert_eq!(stats.published_cases, i64::try_from(published).unwrap(), "{what}: every case");
    assert_eq!(stats.unpublished_cases, i64::try_from(unpublished).unwrap(), "{what}: every case");
    let every: Vec<IntervalLength> = model.values().flatten().flat_map(|(_, i)| i.iter().cloned()).collect();
    let kinds: BTreeMap<String, Vec<IntervalQuarter>> = KINDS
        .iter()
        .map(|kind| (kind.to_string(), brute_force(&every, kind)))
        .filter(|(_, quarters)| !quarters.is_empty())
        .collect();
    assert_eq!(stats.kinds, kinds, "{what}: every case");
}

/// Holds the store to the model; `seen` notes the quarters met (an even closed count,
/// an odd one, one with open intervals).
async fn check(
    store: &dyn Store,
    model: &BTreeMap<String, Option<(bool, Vec<IntervalLength>)>>,
    rng: &mut Rng,
    seen: &mut [bool; 3],
    what: &str,
) {
    assert_eq!(store.kept_totals_drift().await.unwrap(), Vec::<String>::new(), "{what}");
    check_every(store, model, what).await;
    let public: Vec<IntervalLength> = model
        .values()
        .flatten()
        .filter(|(published, _)| *published)
        .flat_map(|(_, intervals)| intervals.iter().cloned())
        .collect();
    let published = model.values().flatten().filter(|(published, _)| *published).count();
    assert_eq!(store.published_cases().await.unwrap(), i64::try_from(published).unwrap(), "{what}");
    // Extra lengths as a caller's unpublished cases add them: none, a few, many.
    for extras in [0, 1 + rng.below(3), 10 + rng.below(20)] {
        let extra: Vec<IntervalLength> = (0..extras)
            .map(|_| IntervalLength {
                kind: KINDS[rng.below(KINDS.len())].into(),
                quarter: QUARTERS[rng.below(QUARTERS.len())].into(),
                seconds: length(rng),
            })
            .collect();
        let all: Vec<IntervalLength> = public.iter().chain(&extra).cloned().collect();
        for kind in KINDS {
            let stats = store.interval_quarters(kind, &extra).await.unwrap();
            assert_eq!(stats, brute_force(&all, kind), "{what}: {kind}, extra {extra:?}");
            for q in stats {
                seen[0] |= q.closed > 0 && q.closed % 2 == 0;
                seen[1] |= q.closed % 2 == 1;
                seen[2] |= q.open > 0;
            }
        }
    }
}

#[test]
fn length_classes_are_ordered_and_their_own() {
    let mut lengths: Vec<i64> =
        (-10..0).chain((0..6 * YEAR).step_by(1_237)).chain([2 * DAY - 1, 2 * DAY, YEAR - 1, YEAR]).collect();
    lengths.sort_unstable();
    let mut last = i64::MIN;
    for seconds in lengths {
        let bucket = interval_bucket(seconds);
        assert!(bucket <= seconds.max(-1), "{seconds}");
        assert_eq!(interval_bucket(bucket), bucket, "{seconds}: its class is not its own");
        if seconds >= 0 {
            assert!(bucket >= last, "{seconds}");
            last = bucket;
        }
    }
    assert_eq!(
        [0, HOUR - 1, HOUR, 2 * DAY - 1, 2 * DAY + HOUR, YEAR - 1, YEAR + DAY].map(interval_bucket),
        [0, 0, HOUR, 2 * DAY - HOUR, 2 * DAY, YEAR - DAY, 52 * 7 * DAY]
    );
}

#[tokio::test]
async fn kept_interval_totals_equal_a_recount_and_the_statistics_a_brute_force() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        crate::conformance::seed(store.as_ref()).await;
        store.set_projector(std::sync::Arc::new(Script));
        // A second store on the same database, as a second server process: each keeps
        // its own public answer, and a change through either shows in both.
        let other = vulnrelay_store::connect(&db.url).await.unwrap();
        other.set_projector(std::sync::Arc::new(Script));
        let mut version = store.interval_stats(&[]).await.unwrap().version;
        let mut last_public = public_of(&BTreeMap::new());
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        // Each case as the model has it: published or not, with its intervals (none:
        // its views are gone, the projector failing).
        let mut seen = [false; 3];
        let mut model: BTreeMap<String, Option<(bool, Vec<IntervalLength>)>> = BTreeMap::new();
        for step in 1..=120 {
            let published = rng.below(3) != 0;
            let body = json!({"published": published, "intervals": random_intervals(&mut rng)});
            let case = if model.is_empty() || rng.below(4) == 0 {
                let case_id = store
                    .import_case(&NewCase {
                        title: format!("Case {step}"),
                        timezone: "UTC".into(),
                        reporter_org: "reporter".into(),
                        platform_org: "miit".into(),
                        parties: Vec::new(),
                        products: Vec::new(),
                        events: vec![set(step, body.clone())],
                        created_at: at(step),
                    })
                    .await
                    .unwrap();
                model.insert(case_id.clone(), None);
                case_id
            } else {
                let ids: Vec<&String> = model.keys().collect();
                let case_id = ids[rng.below(ids.len())].clone();
                let body = if rng.below(10) == 0 { json!({"fail": true}) } else { body.clone() };
                let change = CaseChange { events: vec![set(step, body)], ..CaseChange::default() };
                // Through either store.
                let writer = if rng.below(2) == 0 { &store } else { &other };
                writer.change_case(&case_id, &change, at(step)).await.unwrap();
                case_id
            };
            let expected = expected(store.as_ref(), &case).await;
            model.insert(case, expected);
            // The public answer after every change, from both stores (each asked twice:
            // the second from what it kept); the version moved exactly when the
            // published intervals or their count did.
            let what = format!("{}, step {step}", db.name);
            let public = public_of(&model);
            // First a caller's answer with extra lengths, before either store has the new
            // public answer (computed then from the kept totals with the extra lengths).
            let extra: Vec<IntervalLength> = (0..rng.below(6))
                .map(|_| IntervalLength {
                    kind: KINDS[rng.below(KINDS.len())].into(),
                    quarter: QUARTERS[rng.below(QUARTERS.len())].into(),
                    seconds: length(&mut rng),
                })
                .collect();
            let all: Vec<IntervalLength> = public.0.iter().chain(&extra).cloned().collect();
            let kind = KINDS[rng.below(KINDS.len())];
            let stats = other.interval_quarters(kind, &extra).await.unwrap();
            assert_eq!(stats, brute_force(&all, kind), "{what}: {kind}, extra {extra:?}");
            for reader in [&store, &other, &store, &other] {
                let stats = reader.interval_stats(&[]).await.unwrap();
                check_public(&stats, &model, &what);
                if public == last_public {
                    assert_eq!(stats.version, version, "{what}: nothing public changed");
                } else {
                    assert!(stats.version > version, "{what}: the public intervals changed");
                }
            }
            check_every(other.as_ref(), &model, &what).await;
            version = store.interval_stats(&[]).await.unwrap().version;
            last_public = public;
            if step % 6 == 0 {
                check(store.as_ref(), &model, &mut rng, &mut seen, &format!("{}, step {step}", db.name))
                    .await;
            }
        }
        // Every case changed at once, by writers of their own: none waits on another
        // for ever (the totals' rows are taken in one order), and the totals still add up.
        let mut writers = Vec::new();
        for (i, case_id) in model.keys().enumerate() {
            let body = json!({"published": rng.below(2) == 0, "intervals": random_intervals(&mut rng)});
            let change = CaseChange { events: vec![set(200 + i, body)], ..CaseChange::default() };
            let (store, case_id) = (store.clone(), case_id.clone());
            writers
                .push(tokio::spawn(async move { store.change_case(&case_id, &change, at(200 + i)).await }));
        }
        for writer in writers {
            writer.await.unwrap().unwrap();
        }
        for (case_id, kept) in &mut model {
            *kept = expected(store.as_ref(), case_id).await;
        }
        check(store.as_ref(), &model, &mut rng, &mut seen, &format!("{}, at once", db.name)).await;
        check_public(&other.interval_stats(&[]).await.unwrap(), &model, &format!("{}, at once", db.name));
        // Rebuilt from scratch (the migration's and the rebuild's counting), the same;
        // the version moves, so every process computes its answer again.
        let before = other.interval_stats(&[]).await.unwrap().version;
        store.rebuild_projections(at(500)).await.unwrap();
        check(store.as_ref(), &model, &mut rng, &mut seen, &format!("{}, rebuilt", db.name)).await;
        let rebuilt = other.interval_stats(&[]).await.unwrap();
        assert!(rebuilt.version > before, "{}: a rebuild moves the version", db.name);
        check_public(&rebuilt, &model, &format!("{}, rebuilt", db.name));
        // The run reached what it means to test.
        assert_eq!(seen, [true; 3], "even counts, odd counts, open intervals");
    })
    .await;
}

/// The migration fills the kept tables as a rebuild counts them again: by the same
/// statements, on both back ends.
#[test]
fn the_migration_counts_as_the_rebuild_does() {
    use vulnrelay_store::projections::sql;
    for migration in [
        include_str!("../../migrations/postgres/0019_interval_totals.sql"),
        include_str!("../../migrations/sqlite/0019_interval_totals.sql"),
    ] {
        for recount in
            [sql::RECOUNT_INTERVAL_BUCKETS, sql::RECOUNT_INTERVAL_OPEN, sql::RECOUNT_PUBLISHED_CASES]
        {
            assert!(migration.contains(&format!("{recount};")), "{recount}");
        }
    }
    for migration in [
        include_str!("../../migrations/postgres/0027_unpublished_interval_totals.sql"),
        include_str!("../../migrations/sqlite/0027_unpublished_interval_totals.sql"),
    ] {
        for recount in
            [sql::RECOUNT_UNPUBLISHED_BUCKETS, sql::RECOUNT_UNPUBLISHED_OPEN, sql::RECOUNT_UNPUBLISHED_CASES]
        {
            assert!(migration.contains(&format!("{recount};")), "{recount}");
        }
    }
}
