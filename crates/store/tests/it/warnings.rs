//! Warnings, asset inventories and the delivery outbox, on every back end available.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{TimeDelta, TimeZone, Utc};
use serde_json::json;
use vulnrelay_domain::{Jurisdiction, Role, Timestamp};
use vulnrelay_store::testing::{TestDb, for_each_backend};
use vulnrelay_store::warnings::*;
use vulnrelay_store::*;

fn at(day: u32, hour: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2021, 12, day, hour, 0, 0).unwrap()
}

async fn unit(store: &dyn Store, id: &str) {
    store
        .create_org(&Organisation {
            id: id.into(),
            name: id.to_uppercase(),
            name_zh: None,
            roles: vec![Role::NetworkOperator],
            jurisdiction: Jurisdiction::CN,
            individual: false,
            status: Status::Active,
            created_at: at(1, 0),
        })
        .await
        .unwrap();
}

fn component(version: &str) -> AssetComponent {
    AssetComponent {
        name: "org.apache.logging.log4j:log4j-core".into(),
        version: Some(version.into()),
        purl: Some(format!("pkg:maven/org.apache.logging.log4j/log4j-core@{version}")),
        bom_ref: None,
    }
}

fn draft(org: &str, vulnerability: &str, fingerprint: &str, state: WarningState) -> WarningDraft {
    WarningDraft {
        org_id: org.into(),
        vulnerability_id: vulnerability.into(),
        case_id: None,
        state,
        tlp: "TLP:CLEAR".into(),
        severity: Some("critical".into()),
        content: json!({"vulnerability": vulnerability, "fp": fingerprint}),
        fingerprint: fingerprint.into(),
    }
}

#[tokio::test]
async fn asset_groups_are_replaced_and_keep_their_history() {
    for_each_backend(|db: TestDb| async move {
        let store = &*db.store;
        unit(store, "bank").await;
        let first = store
            .put_asset_group("bank", "core", "sbom", &[component("2.14.1")], None, at(9, 0))
            .await
            .unwrap();
        assert_eq!((first.revision, first.components), (1, 1));
        let second = store
            .put_asset_group(
                "bank",
                "core",
                "scan",
                &[component("2.15.0-rc1"), component("2.17.1")],
                None,
                at(10, 0),
            )
            .await
            .unwrap();
        assert_eq!((second.id.clone(), second.revision, second.components), (first.id, 2, 2));
        let (_, components) = store.asset_group("bank", "core").await.unwrap();
        assert_eq!(components[0].version.as_deref(), Some("2.15.0-rc1"));
        let history = store.asset_history("bank", "core").await.unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].components, vec![component("2.14.1")]);
        assert_eq!(history[1].source, "scan");
        assert_eq!(store.inventory(Some("bank")).await.unwrap().len(), 2);
        assert!(matches!(
            store.put_asset_group("nobody", "core", "sbom", &[], None, at(9, 0)).await,
            Err(StoreError::InvalidReference(_))
        ));
        assert!(matches!(store.asset_group("bank", "none").await, Err(StoreError::NotFound { .. })));
    })
    .await;
}

#[tokio::test]
async fn warnings_write_deliveries_once_per_change_in_the_same_transaction() {
    for_each_backend(|db: TestDb| async move {
        let store = &*db.store;
        unit(store, "bank").await;
        store.create_webhook("bank", "http://127.0.0.1:9/hook", "secret", at(9, 0)).await.unwrap();
        let saved = store
            .save_warnings(&[draft("bank", "CVE-2021-44228", "a", WarningState::Active)], at(10, 0))
            .await
            .unwrap();
        assert_eq!(saved.len(), 1);
        assert_eq!(saved[0].revision, 1);
        // The same draft again writes nothing.
        assert!(
            store
                .save_warnings(&[draft("bank", "CVE-2021-44228", "a", WarningState::Active)], at(10, 1))
                .await
                .unwrap()
                .is_empty()
        );
        let deliveries = store.deliveries(&DeliveryFilter::default()).await.unwrap();
        assert_eq!(deliveries.len(), 2, "inbox and one webhook");
        assert!(deliveries.iter().all(|d| d.topic == "warning.issued" && d.payload["revision"] == 1));
        // A change is a new revision, delivered again.
        let changed = store
            .save_warnings(&[draft("bank", "CVE-2021-44228", "b", WarningState::Active)], at(11, 0))
            .await
            .unwrap();
        assert_eq!(changed[0].revision, 2);
        assert_eq!(changed[0].id, saved[0].id);
        assert_eq!(store.deliveries(&DeliveryFilter::default()).await.unwrap().len(), 4);
        // Withdrawing is recorded, not delivered; withdrawing what does not exist is nothing.
        let withdrawn = store
            .save_warnings(
                &[
                    draft("bank", "CVE-2021-44228", "c", WarningState::Withdrawn),
                    draft("bank", "CVE-2021-45046", "c", WarningState::Withdrawn),
                ],
                at(12, 0),
            )
            .await
            .unwrap();
        assert_eq!(withdrawn.len(), 1);
        assert_eq!(withdrawn[0].state, WarningState::Withdrawn);
        assert_eq!(store.deliveries(&DeliveryFilter::default()).await.unwrap().len(), 4);
        let filter = WarningFilter { org_id: Some("bank".into()), ..WarningFilter::default() };
        assert_eq!(store.warnings(&filter).await.unwrap().len(), 1);
        let summaries = store.warning_summaries(&filter).await.unwrap();
        assert_eq!(summaries.len(), 1);
        assert_eq!((summaries[0].fingerprint.as_str(), summaries[0].state), ("c", WarningState::Withdrawn));
        // Acknowledgements and asset status.
        let ack = store.acknowledge(&saved[0].id, "acct", at(12, 1)).await.unwrap();
        assert_eq!(ack.revision, 3);
        let status = |s: &str, when: Timestamp| AssetStatus {
            asset: "core".into(),
            status: s.into(),
            justification: (s == "not_affected").then(|| "code_not_reachable".into()),
            detail: None,
            by_account: Some("acct".into()),
            at: when,
        };
        store.set_asset_status(&saved[0].id, &status("mitigated", at(12, 2))).await.unwrap();
        store.set_asset_status(&saved[0].id, &status("not_affected", at(12, 3))).await.unwrap();
        let statuses = store.asset_statuses(&saved[0].id).await.unwrap();
        assert_eq!(statuses.len(), 1);
        assert_eq!(statuses[0].justification.as_deref(), Some("code_not_reachable"));
        assert!(matches!(
            store.set_asset_status("nope", &status("fixed", at(12, 4))).await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn claims_retry_dead_letter_and_replay() {
    for_each_backend(|db: TestDb| async move {
        let store = &*db.store;
        unit(store, "bank").await;
        store.create_webhook("bank", "http://127.0.0.1:9/hook", "secret", at(9, 0)).await.unwrap();
        store
            .save_warnings(&[draft("bank", "CVE-2021-44228", "a", WarningState::Active)], at(10, 0))
            .await
            .unwrap();
        let now = at(10, 0);
        let claimed = store.claim_deliveries(10, now, 60).await.unwrap();
        assert_eq!(claimed.len(), 2);
        assert!(claimed.iter().all(|d| d.attempts == 1 && d.claim_token.is_some()));
        // Claimed rows are not claimed again while the lease runs.
        assert!(store.claim_deliveries(10, now, 60).await.unwrap().is_empty());
        let inbox = claimed.iter().find(|d| d.channel == Channel::Inbox).unwrap();
        let hook = claimed.iter().find(|d| d.channel == Channel::Webhook).unwrap();
        let result = |d: &Delivery, outcome: Outcome| DeliveryResult {
            id: d.id.clone(),
            claim_token: d.claim_token.clone().unwrap(),
            attempt: d.attempts,
            outcome,
        };
        let retry_at = now + TimeDelta::seconds(30);
        let n = store
            .finish_deliveries(
                &[
                    result(inbox, Outcome::Delivered),
                    result(hook, Outcome::Retry { at: retry_at, error: "503".into() }),
                ],
                now,
            )
            .await
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(store.inbox("bank", 10).await.unwrap().len(), 1);
        // Not due yet; then due.
        assert!(store.claim_deliveries(10, now + TimeDelta::seconds(10), 60).await.unwrap().is_empty());
        let again = store.claim_deliveries(10, retry_at, 60).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 2);
        // An outcome under a stale claim is ignored.
        let stale = DeliveryResult {
            claim_token: "old".into(),
            ..result(&again[0], Outcome::Dead { error: "x".into() })
        };
        assert_eq!(store.finish_deliveries(&[stale], retry_at).await.unwrap(), 0);
        store
            .finish_deliveries(&[result(&again[0], Outcome::Dead { error: "gone".into() })], retry_at)
            .await
            .unwrap();
        let dead = store
            .deliveries(&DeliveryFilter { state: Some(DeliveryState::Dead), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].last_error.as_deref(), Some("gone"));
        assert_eq!(
            store.delivery_counts().await.unwrap(),
            DeliveryCounts { pending: 0, delivered: 1, dead: 1 }
        );
        let replayed = store.replay_delivery(&dead[0].id, at(11, 0)).await.unwrap();
        assert_eq!((replayed.state, replayed.attempts), (DeliveryState::Pending, 0));
        assert_eq!(replayed.idempotency_key, dead[0].idempotency_key);
        let outcomes: Vec<String> =
            store.delivery_attempts(&dead[0].id).await.unwrap().into_iter().map(|a| a.outcome).collect();
        assert_eq!(outcomes, ["retry", "dead", "replayed"]);
        // A lapsed lease makes the row claimable again (the worker died).
        let claimed = store.claim_deliveries(10, at(11, 0), 60).await.unwrap();
        assert_eq!(claimed.len(), 1);
        let later = at(11, 0) + TimeDelta::seconds(61);
        let reclaimed = store.claim_deliveries(10, later, 60).await.unwrap();
        assert_eq!(reclaimed.len(), 1);
        assert_ne!(reclaimed[0].claim_token, claimed[0].claim_token);
    })
    .await;
}

#[tokio::test]
async fn concurrent_claimers_never_share_a_delivery() {
    for_each_backend(|db: TestDb| async move {
        let store: Arc<dyn Store> = db.store.clone();
        unit(&*store, "bank").await;
        let drafts: Vec<WarningDraft> =
            (0..300).map(|i| draft("bank", &format!("VULN-{i}"), "a", WarningState::Active)).collect();
        store.save_warnings(&drafts, at(10, 0)).await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = store.claim_deliveries(7, at(10, 0), 600).await.unwrap();
                    if batch.is_empty() {
                        break mine;
                    }
                    mine.extend(batch.into_iter().map(|d| d.id));
                }
            }));
        }
        let mut seen = HashSet::new();
        let mut total = 0;
        for task in tasks {
            for id in task.await.unwrap() {
                total += 1;
                assert!(seen.insert(id), "a delivery was claimed twice");
            }
        }
        assert_eq!(total, 300);
    })
    .await;
}

#[tokio::test]
async fn reminders_are_sent_once_per_stage() {
    for_each_backend(|db: TestDb| async move {
        let store = &*db.store;
        unit(store, "vendor").await;
        let reminder = |stage: &str| NewReminder {
            case_id: "case-1".into(),
            rule_id: "cn-rmsv-2021/report-2d".into(),
            org_id: "vendor".into(),
            stage: stage.into(),
            due_at: Some(at(12, 0)),
            payload: json!({"stage": stage}),
        };
        assert_eq!(store.send_reminders(&[reminder("24h")], at(11, 0)).await.unwrap(), 1);
        assert_eq!(store.send_reminders(&[reminder("24h")], at(11, 1)).await.unwrap(), 0);
        assert_eq!(store.send_reminders(&[reminder("24h"), reminder("4h")], at(11, 9)).await.unwrap(), 1);
        let topics: Vec<String> = store
            .deliveries(&DeliveryFilter::default())
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.topic)
            .collect();
        assert_eq!(topics, ["reminder.24h", "reminder.4h"]);
    })
    .await;
}

/// A record of one package (vulnrelay record JSON), affected from 1.0 until 2.0.
fn record_of(id: &str, ecosystem: &str, package: &str) -> serde_json::Value {
    json!({
        "id": id,
        "title": {"en": id},
        "affected": [{"source": "miit", "vendor": "Example", "product": package, "ecosystem": ecosystem,
                      "package": package, "ranges": [{"introduced": "1.0", "fixed": "2.0"}]}]
    })
}

fn listed(purl: &str) -> AssetComponent {
    AssetComponent { name: purl.into(), version: None, purl: Some(purl.into()), bom_ref: None }
}

fn ids(records: &[StoredVulnerability]) -> Vec<&str> {
    records.iter().map(|r| r.id.as_str()).collect()
}

/// The match index: components and records are found by their normalised package key,
/// the keys follow every upload and record change, and the rows stored before the index
/// existed are keyed when the store opens.
#[tokio::test]
async fn components_and_records_are_found_by_package_key() {
    for_each_backend(|db: TestDb| async move {
        let store = &*db.store;
        let key = |purl: &str| match_keys::component_key(Some(purl)).unwrap();
        let log4j = key("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
        let drf = key("pkg:pypi/django-rest-framework@3.0");
        let left_pad = key("pkg:npm/left-pad@1.1");
        assert_eq!(log4j, "Maven:org.apache.logging.log4j:log4j-core");
        assert_eq!(key("pkg:pypi/Django_REST.framework@1.0"), drf, "PEP 503 names");
        assert_eq!(match_keys::component_key(Some("pkg:npm/left-pad")), None, "no version");
        assert_eq!(match_keys::component_key(Some("left-pad")), None, "not a package URL");
        for org in ["bank", "grid"] {
            unit(store, org).await;
        }
        let bank = [
            component("2.14.1"),
            listed("pkg:pypi/Django_REST.framework@1.2"),
            AssetComponent { name: "in-house".into(), version: Some("1".into()), purl: None, bom_ref: None },
        ];
        store.put_asset_group("grid", "web", "sbom", &[component("2.17.1")], None, at(9, 0)).await.unwrap();
        store.put_asset_group("bank", "core", "sbom", &bank, None, at(9, 0)).await.unwrap();
        let found = store.inventory_for_packages(std::slice::from_ref(&log4j)).await.unwrap();
        let full: Vec<OrgComponent> = store
            .inventory(None)
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.component.name == "org.apache.logging.log4j:log4j-core")
            .collect();
        assert_eq!(found, full, "the same components, in the order of the full inventory");
        assert_eq!(found.len(), 2);
        let both = store.inventory_for_packages(&[drf.clone(), log4j.clone(), drf.clone()]).await.unwrap();
        assert_eq!(both.len(), 3);
        assert!(store.inventory_for_packages(&[]).await.unwrap().is_empty());
        assert!(store.inventory_for_packages(std::slice::from_ref(&left_pad)).await.unwrap().is_empty());

        store
            .save_vulnerability(
                "VR-1",
                None,
                &record_of("VR-1", "PyPI", "Django_REST_framework"),
                &[],
                at(9, 0),
            )
            .await
            .unwrap();
        store
            .save_vulnerability("VR-2", None, &record_of("VR-2", "npm", "left-pad"), &[], at(9, 0))
            .await
            .unwrap();
        store
            .save_vulnerability("VR-3", None, &json!({"id": "VR-3", "affected": "not a list"}), &[], at(9, 0))
            .await
            .unwrap();
        let of = |keys: Vec<String>| async move { store.vulnerabilities_for_packages(&keys).await.unwrap() };
        assert_eq!(ids(&of(vec![drf.clone()]).await), ["VR-1"]);
        assert_eq!(ids(&of(vec![left_pad.clone(), drf.clone(), log4j.clone()]).await), ["VR-1", "VR-2"]);
        // The record now names another package: the index follows.
        store
            .save_vulnerability("VR-1", None, &record_of("VR-1", "npm", "Left-Pad"), &[], at(10, 0))
            .await
            .unwrap();
        assert!(of(vec![drf.clone()]).await.is_empty());
        assert_eq!(ids(&of(vec![left_pad.clone()]).await), ["VR-1", "VR-2"]);
        // A new upload replaces the group's keys.
        store
            .put_asset_group("grid", "web", "sbom", &[listed("pkg:npm/left-pad@1.1")], None, at(10, 0))
            .await
            .unwrap();
        let grid = store.inventory_for_packages(std::slice::from_ref(&left_pad)).await.unwrap();
        assert_eq!((grid.len(), grid[0].org_id.as_str()), (1, "grid"));
        assert_eq!(store.inventory_for_packages(std::slice::from_ref(&log4j)).await.unwrap().len(), 1);

        // Rows stored before the index existed: their keys are written when the store
        // opens, once.
        raw_statements(
            &db.url,
            db.name,
            &[
                "UPDATE asset_components SET package_key = NULL",
                "DELETE FROM record_packages",
                "UPDATE match_index SET built = 0",
            ],
        )
        .await;
        assert!(store.inventory_for_packages(std::slice::from_ref(&left_pad)).await.unwrap().is_empty());
        let reopened = connect(&db.url).await.unwrap();
        assert_eq!(reopened.inventory_for_packages(std::slice::from_ref(&left_pad)).await.unwrap(), grid);
        assert_eq!(reopened.inventory_for_packages(&[drf.clone(), log4j.clone()]).await.unwrap().len(), 2);
        let records = reopened.vulnerabilities_for_packages(std::slice::from_ref(&left_pad)).await.unwrap();
        assert_eq!(ids(&records), ["VR-1", "VR-2"]);
    })
    .await;
}

/// Runs statements on the database under the store.
pub(crate) async fn raw_statements(url: &str, backend: &str, statements: &[&str]) {
    use sqlx::Connection;
    if backend == "sqlite" {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        for statement in statements {
            sqlx::query(statement).execute(&mut conn).await.unwrap();
        }
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        for statement in statements {
            sqlx::query(statement).execute(&mut conn).await.unwrap();
        }
    }
}
