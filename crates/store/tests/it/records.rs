//! Vulnerability records and identifiers on every back end: counters that never repeat
//! under 50 parallel requests, a CVE pool that gives each vulnerability one id once,
//! records found by any alias.

use std::collections::HashSet;

use chrono::{TimeZone, Utc};
use serde_json::json;
use vulnrelay_domain::{IdTemplate, Timestamp};
use vulnrelay_store::StoreError;
use vulnrelay_store::records::RecordPageQuery;
use vulnrelay_store::testing::{TestDb, for_each_backend};

fn at(year: i32, month: u32, day: u32) -> Timestamp {
    Utc.with_ymd_and_hms(year, month, day, 12, 0, 0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identifiers_stay_unique_under_fifty_parallel_requests() {
    for_each_backend(|db: TestDb| async move {
        let template: IdTemplate = "CNVD-{YYYY}-{NNNNN}".parse().unwrap();
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let store = db.store.clone();
                let template = template.clone();
                tokio::spawn(async move { store.assign_id(&template, at(2021, 12, 10)).await.unwrap() })
            })
            .collect();
        let mut ids = HashSet::new();
        for task in tasks {
            assert!(ids.insert(task.await.unwrap()), "an identifier was handed out twice ({})", db.name);
        }
        let expected: HashSet<String> = (1..=50).map(|n| format!("CNVD-2021-{n:05}")).collect();
        assert_eq!(ids, expected, "{}", db.name);
        // Counters restart with the period the template names.
        assert_eq!(db.store.assign_id(&template, at(2022, 1, 3)).await.unwrap(), "CNVD-2022-00001");
        let monthly: IdTemplate = "CNNVD-{YYYYMM}-{NNN}".parse().unwrap();
        assert_eq!(db.store.assign_id(&monthly, at(2021, 12, 10)).await.unwrap(), "CNNVD-202112-001");
        assert_eq!(db.store.assign_id(&monthly, at(2021, 12, 11)).await.unwrap(), "CNNVD-202112-002");
        assert_eq!(db.store.assign_id(&monthly, at(2022, 1, 1)).await.unwrap(), "CNNVD-202201-001");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cve_pool_gives_each_vulnerability_one_id_once() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        let pool: Vec<String> = (1..=60).map(|n| format!("CVE-2021-{:05}", 44000 + n)).collect();
        assert_eq!(store.load_cve_pool(&pool, at(2021, 11, 26)).await.unwrap(), 60);
        assert_eq!(store.load_cve_pool(&pool[..5], at(2021, 11, 27)).await.unwrap(), 0);
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store.take_cve_id(&format!("VR-2021-{i:04}"), at(2021, 12, 10)).await.unwrap()
                })
            })
            .collect();
        let mut taken = HashSet::new();
        for task in tasks {
            assert!(taken.insert(task.await.unwrap()), "a CVE id went to two vulnerabilities ({})", db.name);
        }
        assert_eq!(store.free_cve_ids().await.unwrap(), 10);
        // Asking again gives the same id.
        let first = store.take_cve_id("VR-2021-0000", at(2021, 12, 11)).await.unwrap();
        assert!(taken.contains(&first));
        assert_eq!(store.free_cve_ids().await.unwrap(), 10);
        for i in 50..60 {
            store.take_cve_id(&format!("VR-2021-{i:04}"), at(2021, 12, 12)).await.unwrap();
        }
        assert!(matches!(
            store.take_cve_id("VR-2021-9999", at(2021, 12, 13)).await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn records_are_found_by_any_alias_and_aliases_are_not_shared() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        let record = json!({"id": "CVE-2021-44228", "aliases": ["CNVD-2021-95914", "CNNVD-202112-799"]});
        let aliases = vec!["CNVD-2021-95914".to_owned(), "CNNVD-202112-799".to_owned()];
        store.save_vulnerability("CVE-2021-44228", None, &record, &aliases, at(2021, 12, 10)).await.unwrap();
        for id in ["CVE-2021-44228", "CNVD-2021-95914", "CNNVD-202112-799"] {
            let found = store.vulnerability(id).await.unwrap();
            assert_eq!(
                (found.id.as_str(), &found.record),
                ("CVE-2021-44228", &record),
                "{id} on {}",
                db.name
            );
        }
        // Saving again replaces the record and keeps the creation time.
        let updated = json!({"id": "CVE-2021-44228", "title": {"en": "Log4Shell"}});
        store.save_vulnerability("CVE-2021-44228", None, &updated, &aliases, at(2021, 12, 28)).await.unwrap();
        let found = store.vulnerability("CNVD-2021-95914").await.unwrap();
        assert_eq!(
            (found.record, found.created_at, found.updated_at),
            (updated.clone(), at(2021, 12, 10), at(2021, 12, 28))
        );
        // Each change is a revision; saving the same record again is none.
        store.save_vulnerability("CVE-2021-44228", None, &updated, &aliases, at(2021, 12, 29)).await.unwrap();
        let revisions = store.vulnerability_revisions("CVE-2021-44228").await.unwrap();
        let summaries: Vec<(i64, &str)> = revisions.iter().map(|r| (r.number, r.summary.as_str())).collect();
        assert_eq!(summaries, [(1, "Initial version"), (2, "Updated aliases, title")], "{}", db.name);
        assert_eq!(revisions[1].at, at(2021, 12, 28));
        assert_eq!(store.vulnerability("CVE-2021-44228").await.unwrap().updated_at, at(2021, 12, 28));
        // An alias cannot name two records.
        let other = store
            .save_vulnerability(
                "CVE-2021-45046",
                None,
                &json!({}),
                &["CNVD-2021-95914".to_owned()],
                at(2021, 12, 14),
            )
            .await;
        assert!(matches!(other, Err(StoreError::Conflict(_))), "{other:?}");
        assert!(matches!(store.vulnerability("CVE-2021-45046").await, Err(StoreError::NotFound { .. })));
        assert!(matches!(store.vulnerability("CVE-1999-0001").await, Err(StoreError::NotFound { .. })));
        assert!(matches!(
            store.save_vulnerability("X", Some("no-such-case"), &json!({}), &[], at(2021, 12, 14)).await,
            Err(StoreError::InvalidReference(_))
        ));
        assert_eq!(store.vulnerabilities(None).await.unwrap().len(), 1);
        assert!(store.vulnerabilities(Some("no-such-case")).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn public_records_come_by_keyset_pages_and_advisories_newest_first() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        // Records of no case are public, listed where they were stored.
        for (i, id) in ["CVE-2021-0003", "CVE-2021-0001", "CVE-2021-0002", "CVE-2021-0004"].iter().enumerate()
        {
            let day = u32::try_from(i).unwrap() + 1;
            store.save_vulnerability(id, None, &json!({"id": id}), &[], at(2021, 12, day)).await.unwrap();
        }
        let mut query = RecordPageQuery { org_id: Some("org".into()), after: None, limit: 3 };
        let page = store.record_page(&query).await.unwrap();
        let ids: Vec<&str> = page.iter().map(|l| l.stored.id.as_str()).collect();
        assert_eq!(ids, ["CVE-2021-0003", "CVE-2021-0001", "CVE-2021-0002"], "{}", db.name);
        assert!(page.iter().all(|l| l.state.is_none() && l.relation.is_none()));
        query.after = Some("CVE-2021-0002".into());
        let page = store.record_page(&query).await.unwrap();
        let ids: Vec<&str> = page.iter().map(|l| l.stored.id.as_str()).collect();
        assert_eq!(ids, ["CVE-2021-0004"], "{}", db.name);
        // An unknown cursor starts nowhere.
        query.after = Some("CVE-1999-0001".into());
        assert!(store.record_page(&query).await.unwrap().is_empty());
        // Advisories: newest first, by pages.
        let ids = |page: Vec<vulnrelay_store::StoredVulnerability>| -> Vec<String> {
            page.into_iter().map(|s| s.id).collect()
        };
        assert_eq!(ids(store.advisory_page(None, 2).await.unwrap()), ["CVE-2021-0004", "CVE-2021-0002"]);
        assert_eq!(
            ids(store.advisory_page(Some("CVE-2021-0002"), 5).await.unwrap()),
            ["CVE-2021-0001", "CVE-2021-0003"]
        );
        // Saving a record again keeps its place.
        store
            .save_vulnerability(
                "CVE-2021-0003",
                None,
                &json!({"id": "CVE-2021-0003", "title": {"en": "t"}}),
                &[],
                at(2021, 12, 30),
            )
            .await
            .unwrap();
        assert_eq!(ids(store.advisory_page(Some("CVE-2021-0001"), 5).await.unwrap()), ["CVE-2021-0003"]);
    })
    .await;
}

#[tokio::test]
async fn an_advisory_is_read_as_its_record_its_cases_records_and_its_case() {
    for_each_backend(|db: TestDb| async move {
        let store = &*db.store;
        let case = crate::federation::case(store).await;
        let cnvd = ["CNVD-2021-95914".to_owned()];
        let record = |id: &str| json!({"id": id});
        store
            .save_vulnerability(
                "CVE-2021-45046",
                Some(&case),
                &record("CVE-2021-45046"),
                &[],
                at(2021, 12, 14),
            )
            .await
            .unwrap();
        store
            .save_vulnerability(
                "CVE-2021-44228",
                Some(&case),
                &record("CVE-2021-44228"),
                &cnvd,
                at(2021, 12, 10),
            )
            .await
            .unwrap();
        store
            .save_vulnerability("CVE-2021-44832", None, &record("CVE-2021-44832"), &[], at(2021, 12, 28))
            .await
            .unwrap();
        let ids = |records: &[vulnrelay_store::StoredVulnerability]| {
            records.iter().map(|r| r.id.clone()).collect::<Vec<_>>()
        };
        // By an alias, and by the id of the case's other record: the same records by id,
        // led by the one named, with the case.
        for (name, lead) in [("CNVD-2021-95914", "CVE-2021-44228"), ("CVE-2021-45046", "CVE-2021-45046")] {
            let parts = store.advisory_parts(name).await.unwrap();
            assert_eq!(parts.records[parts.lead].id, lead, "{name} on {}", db.name);
            assert_eq!(ids(&parts.records), ["CVE-2021-44228", "CVE-2021-45046"], "{name} on {}", db.name);
            let snapshot = parts.case.expect("a case").expect("its snapshot");
            assert_eq!(snapshot.record.id, case);
            assert_eq!(snapshot.events.len(), store.case_snapshot(&case).await.unwrap().events.len());
        }
        // A record of no case: itself alone.
        let alone = store.advisory_parts("CVE-2021-44832").await.unwrap();
        assert_eq!(
            (alone.records[alone.lead].id.as_str(), ids(&alone.records)),
            ("CVE-2021-44832", vec!["CVE-2021-44832".to_owned()])
        );
        assert!(alone.case.is_none());
        assert!(matches!(store.advisory_parts("CVE-1999-0001").await, Err(StoreError::NotFound { .. })));
    })
    .await;
}
