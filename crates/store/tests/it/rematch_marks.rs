//! The changes owed a re-match of warnings (migration 0030): saving a record marks it,
//! an event marks its case only when the case has records, and an organisation's asset
//! groups, memberships and accounts mark it; the marks are read a page at a time, and
//! clearing removes a mark only while it is still the one read.

use chrono::{TimeZone, Utc};
use serde_json::json;
use vulnrelay_domain::{AccountRole, Timestamp};
use vulnrelay_store::testing::{TestDb, for_each_backend};
use vulnrelay_store::warnings::{AssetComponent, RematchKind, RematchMark};
use vulnrelay_store::*;

use crate::checkpoints::append;
use crate::conformance::{report, seed};

fn at(day: u32, hour: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2021, 12, day, hour, 0, 0).unwrap()
}

/// Every mark, as (kind, id), in the order the sweep reads them.
async fn marked(store: &dyn Store) -> Vec<(RematchKind, String)> {
    store.rematch_marks(None, 1000).await.unwrap().into_iter().map(|m| (m.kind, m.id)).collect()
}

/// Reads every mark and clears them.
async fn sweep(store: &dyn Store) -> Vec<RematchMark> {
    let marks = store.rematch_marks(None, 1000).await.unwrap();
    store.clear_rematch_marks(&marks).await.unwrap();
    marks
}

fn record(id: &str) -> serde_json::Value {
    json!({"id": id, "title": {"en": id}, "affected": []})
}

#[tokio::test]
async fn each_change_that_decides_a_warning_marks_what_it_changed() {
    for_each_backend(|db: TestDb| async move {
        let store = &*db.store;
        seed(store).await;
        let case = store.take_report(&report(Some("a"), at(2, 0))).await.unwrap().case_id;
        append(store, &case, 3).await;
        assert_eq!(marked(store).await, [], "a case of no record owes no re-match: intake marks nothing");

        store.save_vulnerability("VR-2021-0001", None, &record("VR-2021-0001"), &[], at(4, 0)).await.unwrap();
        store
            .save_vulnerability("VR-2021-0002", Some(&case), &record("VR-2021-0002"), &[], at(4, 0))
            .await
            .unwrap();
        assert_eq!(
            marked(store).await,
            [(RematchKind::Record, "VR-2021-0001".into()), (RematchKind::Record, "VR-2021-0002".into())]
        );
        sweep(store).await;
        append(store, &case, 5).await;
        assert_eq!(marked(store).await, [(RematchKind::Case, case.clone())], "a case with a record");
        sweep(store).await;

        let widget = AssetComponent {
            name: "org.example:widget".into(),
            version: Some("1.2".into()),
            purl: Some("pkg:maven/org.example/widget@1.2".into()),
            bom_ref: None,
        };
        store.put_asset_group("reporter", "web", "manual", &[widget], None, at(6, 0)).await.unwrap();
        assert_eq!(marked(store).await, [(RematchKind::Org, "reporter".into())], "a new group");
        sweep(store).await;
        store.put_asset_group("reporter", "web", "manual", &[], None, at(6, 1)).await.unwrap();
        assert_eq!(marked(store).await, [(RematchKind::Org, "reporter".into())], "a group emptied");
        sweep(store).await;

        let suspension = MembershipChange {
            org_id: "reporter".into(),
            scheme: "miit-threat-sharing".into(),
            at: at(7, 0),
            change: MembershipChangeKind::Suspended { until: None, reason: "late".into(), findings: vec![] },
            by_account: None,
        };
        store.record_membership_change(&suspension).await.unwrap();
        assert_eq!(marked(store).await, [(RematchKind::Org, "reporter".into())], "a suspension");
        sweep(store).await;

        let account = NewAccount {
            email: "analyst@miit.example".into(),
            name: "Analyst".into(),
            password_hash: "x".into(),
            org_id: Some("miit".into()),
            roles: vec![AccountRole::Analyst],
            status: Status::Pending,
        };
        let account = store.create_account(&account, at(8, 0)).await.unwrap();
        assert_eq!(marked(store).await, [(RematchKind::Org, "miit".into())], "an account of the unit");
        sweep(store).await;
        store.decide_account(&account.id, Status::Active).await.unwrap();
        assert_eq!(marked(store).await, [(RematchKind::Org, "miit".into())], "the account approved");
        sweep(store).await;
        assert_eq!(marked(store).await, []);
    })
    .await;
}

#[tokio::test]
async fn marks_are_read_a_page_at_a_time_and_a_change_since_keeps_its_mark() {
    for_each_backend(|db: TestDb| async move {
        let store = &*db.store;
        seed(store).await;
        let ids: Vec<String> = (1..=5).map(|n| format!("VR-2021-{n:04}")).collect();
        for id in &ids {
            store.save_vulnerability(id, None, &record(id), &[], at(2, 0)).await.unwrap();
        }
        let first = store.rematch_marks(None, 2).await.unwrap();
        let second = store.rematch_marks(first.last(), 2).await.unwrap();
        let third = store.rematch_marks(second.last(), 2).await.unwrap();
        let read: Vec<&str> = first.iter().chain(&second).chain(&third).map(|m| m.id.as_str()).collect();
        assert_eq!(read, ids.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(store.rematch_marks(third.last(), 2).await.unwrap().is_empty());

        // The second record changes after its mark was read: clearing what was read
        // leaves its new mark for the next sweep.
        store
            .save_vulnerability(
                &ids[1],
                None,
                &json!({"id": ids[1], "title": {"en": "changed"}}),
                &[],
                at(3, 0),
            )
            .await
            .unwrap();
        let read: Vec<RematchMark> = first.into_iter().chain(second).chain(third).collect();
        store.clear_rematch_marks(&read).await.unwrap();
        assert_eq!(marked(store).await, [(RematchKind::Record, ids[1].clone())]);
    })
    .await;
}
