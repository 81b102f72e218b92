//! Signing the heads of the hash chains (`Store::sign_heads`, migration 0029): a pass
//! signs each chain's head once; a later pass signs only the chains appended to since;
//! a key other than the one that signed last signs every head; and a publication's own
//! chain can be signed alone, the rest left to the next pass.

use chrono::{TimeZone, Utc};
use serde_json::json;
use sqlx::{PgPool, SqlitePool};
use vulnrelay_domain::Timestamp;
use vulnrelay_store::checkpoint::{Signer, check};
use vulnrelay_store::testing::{TestDb, for_each_backend};
use vulnrelay_store::*;

use crate::conformance::{report, seed};

fn at(day: u32, hour: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2021, 12, day, hour, 0, 0).unwrap()
}

/// The chains `signer` has signed, each with the heads it signed, in order.
async fn signed_by(store: &dyn Store, signer: &Signer) -> Vec<(String, i64)> {
    let key = signer.public_key();
    let mut signed: Vec<(String, i64)> = store
        .checkpoints()
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.public_key == key)
        .map(|c| (c.chain, c.seq))
        .collect();
    signed.sort();
    signed
}

/// How many chains are marked as not signed since they were appended to.
async fn marked(db: &TestDb) -> i64 {
    let sql = "SELECT CAST(COUNT(*) AS BIGINT) FROM unsigned_chains";
    if db.name == "sqlite" {
        let pool = SqlitePool::connect(&db.url).await.expect("open SQLite");
        sqlx::query_scalar(sql).fetch_one(&pool).await.expect("a count")
    } else {
        let pool = PgPool::connect(&db.url).await.expect("open PostgreSQL");
        sqlx::query_scalar(sql).fetch_one(&pool).await.expect("a count")
    }
}

/// Appends one event to case `case_id`, on day `day` of December 2021.
pub(crate) async fn append(store: &dyn Store, case_id: &str, day: u32) {
    let event = NewEvent {
        at: at(day, 0),
        body: json!({"at": format!("2021-12-{day:02}"), "type": "triage_started", "party": "miit"}),
        recorded_by: None,
        override_reason: None,
    };
    let change = CaseChange { events: vec![event], ..CaseChange::default() };
    store.change_case(case_id, &change, at(day, 0)).await.unwrap();
}

#[tokio::test]
async fn each_head_is_signed_once_and_a_pass_signs_only_the_chains_appended_to() {
    for_each_backend(|db: TestDb| async move {
        let store = &*db.store;
        seed(store).await;
        let first = store.take_report(&report(Some("a"), at(2, 0))).await.unwrap().case_id;
        let second = store.take_report(&report(Some("b"), at(2, 1))).await.unwrap().case_id;
        let entry = NewOrgEvent {
            scheme: "miit-threat-sharing".into(),
            at: at(3, 0),
            body: json!({"type": "rectification_submitted", "report": "fixed the process"}),
            recorded_by: None,
        };
        store.append_org_event("reporter", Some(0), &entry, None, &[], at(3, 0)).await.unwrap();
        let (case, org) = (|id: &str| format!("case/{id}"), |id: &str| format!("org/{id}"));

        let signer = Signer::from_seed([7; 32]);
        assert_eq!(marked(&db).await, 3, "each chain marked by its appends");
        assert_eq!(store.sign_heads(&signer, at(5, 0)).await.unwrap(), 3, "two cases and a log");
        assert_eq!(marked(&db).await, 0, "a pass unmarks what it signed");
        assert_eq!(store.sign_heads(&signer, at(5, 1)).await.unwrap(), 0, "each head once");
        let mut expected = vec![(case(&first), 2), (case(&second), 2), (org("reporter"), 1)];
        expected.sort();
        assert_eq!(signed_by(store, &signer).await, expected);

        // One case appended to: the next pass signs its new head and nothing else.
        append(store, &first, 6).await;
        assert_eq!(marked(&db).await, 1);
        assert_eq!(store.sign_heads(&signer, at(6, 1)).await.unwrap(), 1);
        expected.push((case(&first), 3));
        expected.sort();
        assert_eq!(signed_by(store, &signer).await, expected);
        let chains = store.chains().await.unwrap();
        let checkpoints = store.checkpoints().await.unwrap();
        assert!(check(&checkpoints, &chains, &signer.public_key()).is_empty(), "each checkpoint holds");

        // Another key signs every head; the first key again signs the head it missed.
        let other = Signer::from_seed([8; 32]);
        assert_eq!(store.sign_heads(&other, at(7, 0)).await.unwrap(), 3);
        append(store, &second, 8).await;
        assert_eq!(store.sign_heads(&other, at(8, 1)).await.unwrap(), 1);
        assert_eq!(store.sign_heads(&signer, at(9, 0)).await.unwrap(), 1, "the second case's new head");
        assert!(signed_by(store, &signer).await.contains(&(case(&second), 3)));

        // A publication's chain signed alone: the other case waits for the next pass.
        append(store, &first, 10).await;
        append(store, &second, 10).await;
        assert_eq!(store.sign_case_head(&signer, &first, at(10, 1)).await.unwrap(), 1);
        assert_eq!(marked(&db).await, 1, "the other case stays marked");
        let signed = signed_by(store, &signer).await;
        assert!(signed.contains(&(case(&first), 4)) && !signed.contains(&(case(&second), 4)), "{signed:?}");
        assert_eq!(store.sign_case_head(&signer, &first, at(10, 2)).await.unwrap(), 0);
        assert_eq!(store.sign_heads(&signer, at(10, 3)).await.unwrap(), 1);
        assert!(signed_by(store, &signer).await.contains(&(case(&second), 4)));
        assert_eq!(store.sign_heads(&signer, at(10, 4)).await.unwrap(), 0);
        assert_eq!(marked(&db).await, 0);

        // A publication under a key new to the database signs its own chain and marks no
        // other: the request does not read every chain.
        let third = Signer::from_seed([9; 32]);
        assert_eq!(store.sign_case_head(&third, &second, at(11, 0)).await.unwrap(), 1);
        assert_eq!(marked(&db).await, 0);
        assert_eq!(signed_by(store, &third).await, [(case(&second), 4)]);
    })
    .await;
}
