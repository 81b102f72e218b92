//! The federation part of the store, on SQLite and (with `VULNRELAY_TEST_DATABASE_URL`)
//! PostgreSQL: peers, the relay outbox's claims, retries, dead letters and replay, the
//! receipt and its evidence written with the delivery, accepted envelopes answered once.

use chrono::{TimeDelta, TimeZone, Utc};
use serde_json::json;
use vulnrelay_domain::{Jurisdiction, Role, Timestamp};
use vulnrelay_store::federation::{Inbound, Mirror, NewRelay, Peer, RelayRefusal};
use vulnrelay_store::testing::{TestDb, for_each_backend};
use vulnrelay_store::warnings::{DeliveryState, Outcome};
use vulnrelay_store::*;

fn at(minute: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2021, 11, 24, 2, minute, 0).unwrap()
}

/// A case of alibaba-cloud's report to miit-nvdb, with both organisations.
pub(crate) async fn case(store: &dyn Store) -> String {
    for (id, role) in [("alibaba-cloud", Role::Discoverer), ("miit-nvdb", Role::RegulatorPlatform)] {
        store
            .create_org(&Organisation {
                id: id.into(),
                name: id.into(),
                name_zh: None,
                roles: vec![role],
                jurisdiction: Jurisdiction::CN,
                individual: false,
                status: Status::Active,
                created_at: at(0),
            })
            .await
            .unwrap();
    }
    store.import_case(&reported(at(1))).await.unwrap()
}

/// The case of alibaba-cloud's report to miit-nvdb, created at `created_at`.
fn reported(created_at: Timestamp) -> NewCase {
    NewCase {
        title: "JNDI lookup".into(),
        timezone: "Asia/Shanghai".into(),
        reporter_org: "alibaba-cloud".into(),
        platform_org: "miit-nvdb".into(),
        parties: vec![],
        products: vec![],
        events: vec![NewEvent {
            at: at(1),
            body: json!({"type": "notified", "party": "alibaba-cloud", "to": "miit-nvdb"}),
            recorded_by: None,
            override_reason: None,
        }],
        created_at,
    }
}

/// A forward of `case-1` from the company's instance to `miit-nvdb` as accepted: what
/// was received, and the mirror it opens.
fn forward_from_company() -> (Inbound, Mirror) {
    let inbound = Inbound {
        peer_id: "company".into(),
        idempotency_key: "forward/case-1/1/miit-nvdb".into(),
        kind: "forward".into(),
        envelope_sha256: "cd".repeat(32),
        envelope: "{}".into(),
    };
    let mirror = Mirror {
        case_id: String::new(),
        peer_id: "company".into(),
        origin_instance: "ab".repeat(32),
        origin_case: "case-1".into(),
        origin_org: "alibaba-cloud".into(),
        relayed_events: 1,
    };
    (inbound, mirror)
}

fn record(id: &str) -> serde_json::Value {
    json!({"id": id, "title": {"en": id}, "affected": []})
}

fn relay(case_id: &str, key: &str) -> NewRelay {
    NewRelay {
        peer_id: "nvdb".into(),
        kind: "forward".into(),
        case_id: case_id.into(),
        event_seq: 1,
        to_org: "miit-nvdb".into(),
        idempotency_key: key.into(),
        envelope: "{\"envelope\":{}}".into(),
    }
}

#[tokio::test]
async fn peers_are_added_once_listed_and_removed() {
    for_each_backend(|db: TestDb| async move {
        let peer = Peer {
            id: "nvdb".into(),
            url: "https://nvdb.example".into(),
            public_key: "ab".repeat(32),
            orgs: vec!["miit-nvdb".into(), "mps-ncc".into()],
            created_at: at(0),
        };
        db.store.add_peer(&peer).await.unwrap();
        assert_eq!(db.store.peers().await.unwrap(), vec![peer.clone()]);
        // The same key under another name is refused.
        let again = Peer { id: "other".into(), ..peer.clone() };
        assert!(matches!(db.store.add_peer(&again).await, Err(StoreError::Conflict(_))), "{}", db.name);
        db.store.remove_peer("nvdb").await.unwrap();
        assert!(db.store.peers().await.unwrap().is_empty());
        assert!(matches!(db.store.remove_peer("nvdb").await, Err(StoreError::NotFound { .. })));
    })
    .await;
}

#[tokio::test]
async fn relays_are_claimed_retried_dead_lettered_replayed_and_delivered_with_their_evidence() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        let case_id = case(&*store).await;
        assert_eq!(store.queue_relays(&[relay(&case_id, "k1")], at(2)).await.unwrap(), 1);
        // The same key again writes nothing.
        assert_eq!(store.queue_relays(&[relay(&case_id, "k1")], at(3)).await.unwrap(), 0);

        let claimed = store.claim_relays(10, at(4), 60).await.unwrap();
        assert_eq!(claimed.len(), 1, "{}", db.name);
        let token = claimed[0].claim_token.clone().unwrap();
        // Claimed: no one else gets it during the lease.
        assert!(store.claim_relays(10, at(4), 60).await.unwrap().is_empty());
        // A failure under the claim: due again later, not before.
        let retry = Outcome::Retry { at: at(10), error: "connection refused".into() };
        assert!(store.finish_relay(&claimed[0].id, &token, &retry, None, None, at(4)).await.unwrap());
        assert!(store.claim_relays(10, at(9), 60).await.unwrap().is_empty());
        let second = store.claim_relays(10, at(10), 60).await.unwrap();
        assert_eq!(second[0].attempts, 2);
        // An outcome under a lost claim is not recorded.
        let dead = Outcome::Dead { error: "gave up".into() };
        assert!(!store.finish_relay(&second[0].id, &token, &dead, None, None, at(10)).await.unwrap());
        let token2 = second[0].claim_token.clone().unwrap();
        assert!(store.finish_relay(&second[0].id, &token2, &dead, None, None, at(10)).await.unwrap());
        assert_eq!(store.relay(&second[0].id).await.unwrap().state, DeliveryState::Dead);
        assert!(store.claim_relays(10, at(30), 60).await.unwrap().is_empty());

        // Replayed: due at once, delivered, the receipt and the evidence written together.
        store.replay_relay(&second[0].id, at(31)).await.unwrap();
        let third = store.claim_relays(10, at(31), 60).await.unwrap();
        let evidence = NewEvent {
            at: at(31),
            body: json!({"type": "attested", "party": "miit-nvdb", "event": 0, "note": "signed receipt"}),
            recorded_by: None,
            override_reason: None,
        };
        let token3 = third[0].claim_token.clone().unwrap();
        let done = store
            .finish_relay(
                &third[0].id,
                &token3,
                &Outcome::Delivered,
                Some("{\"receipt\":{}}"),
                Some(&evidence),
                at(32),
            )
            .await
            .unwrap();
        assert!(done);
        let delivered = store.relay(&third[0].id).await.unwrap();
        assert_eq!(delivered.state, DeliveryState::Delivered);
        assert_eq!(delivered.receipt.as_deref(), Some("{\"receipt\":{}}"));
        let events = store.events(&case_id).await.unwrap();
        assert_eq!(events.len(), 2);
        assert!(events[1].body.contains("signed receipt"));
        // Delivered twice (a lapsed claim answered late): recorded once.
        assert!(
            !store
                .finish_relay(&third[0].id, &token3, &Outcome::Delivered, Some("{}"), Some(&evidence), at(33))
                .await
                .unwrap()
        );
        assert_eq!(store.events(&case_id).await.unwrap().len(), 2);
        assert!(matches!(store.replay_relay(&third[0].id, at(34)).await, Err(StoreError::Conflict(_))));
        assert!(store.verify().await.unwrap().broken.is_empty());
    })
    .await;
}

#[tokio::test]
async fn an_accepted_envelope_is_stored_once_with_its_mirror_and_receipt() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        let origin = case(&*store).await;
        let (inbound, mirror) = forward_from_company();
        // The origin's case as it was relayed: its events as stored.
        let new = NewCase {
            events: store
                .events(&origin)
                .await
                .unwrap()
                .iter()
                .map(|e| NewEvent {
                    at: e.at,
                    body: serde_json::from_str(&e.body).unwrap(),
                    recorded_by: None,
                    override_reason: None,
                })
                .collect(),
            ..reported(at(5))
        };
        let receipt = |case_id: &str, head: &str| format!("{case_id}@{head}");
        let first = store.accept_forward(&inbound, &mirror, &new, None, &receipt).await.unwrap();
        assert!(first.created);
        let head = store.events(&first.case_id).await.unwrap().last().unwrap().hash.clone();
        assert_eq!(first.receipt, format!("{}@{head}", first.case_id));
        let provenance = store.mirror(&first.case_id).await.unwrap().unwrap();
        assert_eq!((provenance.origin_case.as_str(), provenance.relayed_events), ("case-1", 1));
        // Again: the first answer, nothing written.
        let again = store.accept_forward(&inbound, &mirror, &new, None, &receipt).await.unwrap();
        assert!(!again.created);
        assert_eq!(
            (again.case_id.as_str(), again.receipt.as_str()),
            (first.case_id.as_str(), first.receipt.as_str())
        );
        assert_eq!(store.case_ids().await.unwrap().len(), 2, "{}", db.name);
        assert_eq!(store.inbound("company", &inbound.idempotency_key).await.unwrap(), Some(again));
        assert!(store.mirror(&origin).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn refusals_are_logged_newest_first() {
    for_each_backend(|db: TestDb| async move {
        for (minute, reason) in [(1, "not a configured peer"), (2, "the signature does not verify")] {
            let refusal = RelayRefusal {
                at: at(minute) + TimeDelta::seconds(1),
                from_instance: "ef".repeat(32),
                idempotency_key: "k".into(),
                reason: reason.into(),
            };
            db.store.refuse_relay(&refusal).await.unwrap();
        }
        let logged = db.store.relay_refusals(10).await.unwrap();
        let reasons: Vec<&str> = logged.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(reasons, ["the signature does not verify", "not a configured peer"], "{}", db.name);
    })
    .await;
}

/// The cases owed a look for relays (migration 0033): without peers nothing is marked;
/// with them an appended event marks its case, a record marks its case when that case
/// is a mirror, and adding or removing a peer marks every case. The marks are read a
/// page at a time by id, and clearing removes a mark only while it is still the one
/// read.
#[tokio::test]
async fn the_changes_that_may_call_for_a_relay_mark_their_case() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        let marked = || async {
            store.relay_marks(None, 100).await.unwrap().into_iter().map(|m| m.case_id).collect::<Vec<_>>()
        };
        let sweep = || async {
            let marks = store.relay_marks(None, 100).await.unwrap();
            store.clear_relay_marks(&marks).await.unwrap();
        };
        let origin = case(&*store).await;
        crate::checkpoints::append(&*store, &origin, 3).await;
        assert!(marked().await.is_empty(), "no peers, nothing marked ({})", db.name);

        let peer = Peer {
            id: "company".into(),
            url: "https://company.example".into(),
            public_key: "ab".repeat(32),
            orgs: vec!["alibaba-cloud".into()],
            created_at: at(0),
        };
        store.add_peer(&peer).await.unwrap();
        assert_eq!(marked().await, [origin.as_str()], "a peer added marks every case");
        sweep().await;
        assert!(marked().await.is_empty());
        store
            .save_vulnerability("VR-2021-0001", Some(&origin), &record("VR-2021-0001"), &[], at(4))
            .await
            .unwrap();
        assert!(marked().await.is_empty(), "a record of a case that is not a mirror");

        let (inbound, provenance) = forward_from_company();
        let new = reported(at(5));
        let receipt = |case_id: &str, head: &str| format!("{case_id}@{head}");
        let mirror = store.accept_forward(&inbound, &provenance, &new, None, &receipt).await.unwrap().case_id;
        assert_eq!(marked().await, [mirror.as_str()], "a mirror's events");
        sweep().await;
        store
            .save_vulnerability("VR-2021-0002", Some(&mirror), &record("VR-2021-0002"), &[], at(6))
            .await
            .unwrap();
        assert_eq!(marked().await, [mirror.as_str()], "a mirror's record");

        // A change after the sweep read the mark keeps the case marked.
        let read = store.relay_marks(None, 100).await.unwrap();
        crate::checkpoints::append(&*store, &mirror, 7).await;
        store.clear_relay_marks(&read).await.unwrap();
        assert_eq!(marked().await, [mirror.as_str()], "changed since it was read");
        sweep().await;
        assert!(marked().await.is_empty());

        // A peer removed marks every case; a page at a time, by id.
        store.remove_peer("company").await.unwrap();
        let mut ids = vec![origin.clone(), mirror.clone()];
        ids.sort();
        assert_eq!(marked().await, ids);
        let page = store.relay_marks(None, 1).await.unwrap();
        assert_eq!(page.iter().map(|m| &m.case_id).collect::<Vec<_>>(), [&ids[0]]);
        let page = store.relay_marks(Some(&ids[0]), 1).await.unwrap();
        assert_eq!(page.iter().map(|m| &m.case_id).collect::<Vec<_>>(), [&ids[1]]);
        assert!(store.relay_marks(Some(&ids[1]), 1).await.unwrap().is_empty());
        assert_eq!(store.case_ids_after(None, 1).await.unwrap(), [ids[0].as_str()]);
        assert_eq!(store.case_ids_after(Some(&ids[0]), 5).await.unwrap(), [ids[1].as_str()]);
        // Without peers, an event marks nothing.
        sweep().await;
        store.compact_relay_marks().await.unwrap();
        crate::checkpoints::append(&*store, &origin, 8).await;
        assert!(marked().await.is_empty(), "{}", db.name);
    })
    .await;
}
