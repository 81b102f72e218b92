//! The store's conformance suite: every test runs on SQLite, and on PostgreSQL when
//! `VULNRELAY_TEST_DATABASE_URL` is set, each time on a fresh database.

use chrono::{TimeDelta, TimeZone, Utc};
use serde_json::json;
use vulnrelay_domain::{AccountRole, Jurisdiction, Role, Timestamp};
use vulnrelay_store::testing::{TestDb, for_each_backend};
use vulnrelay_store::*;

fn at(day: u32, hour: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2021, 12, day, hour, 0, 0).unwrap()
}

fn org(id: &str, roles: Vec<Role>, status: Status) -> Organisation {
    Organisation {
        id: id.into(),
        name: id.to_uppercase(),
        name_zh: None,
        roles,
        jurisdiction: Jurisdiction::CN,
        individual: false,
        status,
        created_at: at(1, 0),
    }
}

/// A reporter (`reporter`) and a platform (`miit`), the organisations a case needs.
pub(crate) async fn seed(store: &dyn Store) {
    store.create_org(&org("reporter", vec![Role::Discoverer], Status::Active)).await.unwrap();
    store.create_org(&org("miit", vec![Role::RegulatorPlatform], Status::Active)).await.unwrap();
}

pub(crate) fn report(key: Option<&str>, received_at: Timestamp) -> NewReport {
    NewReport {
        title: "JNDI lookup RCE".into(),
        timezone: "Asia/Shanghai".into(),
        reporter_org: "reporter".into(),
        platform_org: "miit".into(),
        body: json!({"product": {"name": "log4j-core"}, "harm": "remote code execution"}),
        submitted_by: None,
        idempotency_key: key.map(str::to_owned),
        parties: vec![
            Fragment {
                id: "reporter".into(),
                value: json!({"id": "reporter", "roles": ["discoverer"], "jurisdiction": "CN"}),
            },
            Fragment {
                id: "miit".into(),
                value: json!({"id": "miit", "roles": ["regulator_platform"], "jurisdiction": "CN"}),
            },
        ],
        products: vec![Fragment { id: "p".into(), value: json!({"id": "p", "provider": "reporter"}) }],
        events: vec![
            NewEvent {
                at: at(1, 2),
                body: json!({"at": "2021-12-01T02:00:00Z", "type": "discovered", "party": "reporter"}),
                recorded_by: None,
                override_reason: None,
            },
            NewEvent {
                at: received_at,
                body: json!({"at": "2021-12-02T00:00:00Z", "type": "notified", "party": "reporter", "to": "miit"}),
                recorded_by: None,
                override_reason: None,
            },
        ],
        attachments: vec![NewAttachment {
            filename: "poc.java".into(),
            media_type: "text/x-java".into(),
            exploit_code: true,
            content: b"class Poc {}".to_vec(),
        }],
        channel: "api".into(),
        submitter: "reporter".into(),
        received_at,
    }
}

fn event(day: u32, kind: &str) -> NewEvent {
    NewEvent {
        at: at(day, 0),
        body: json!({"at": format!("2021-12-{day:02}"), "type": kind, "party": "miit"}),
        recorded_by: Some("analyst".into()),
        override_reason: None,
    }
}

#[tokio::test]
async fn organisations_and_registration_decisions() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        seed(&*store).await;
        let pending =
            Organisation { individual: true, ..org("chen", vec![Role::Discoverer], Status::Pending) };
        store.create_org(&pending).await.unwrap();
        assert_eq!(store.org("chen").await.unwrap(), pending);
        assert!(matches!(store.create_org(&pending).await, Err(StoreError::Conflict(_))));
        let listed: Vec<String> =
            store.list_orgs(Some(Status::Pending)).await.unwrap().into_iter().map(|o| o.id).collect();
        assert_eq!(listed, ["chen"]);
        assert_eq!(store.list_orgs(None).await.unwrap().len(), 3);
        // Keyset pages by id: every organisation once, a status filtered, entered at the cursor.
        let page = |status, after: Option<&'static str>, limit| {
            let store = store.clone();
            async move {
                store
                    .orgs_page(&OrgFilter { status, after, limit, ..Default::default() })
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|o| o.id)
                    .collect::<Vec<_>>()
            }
        };
        let all: Vec<String> = store.list_orgs(None).await.unwrap().into_iter().map(|o| o.id).collect();
        let first = page(None, None, 2).await;
        assert_eq!(first, all[..2]);
        let rest = store
            .orgs_page(&OrgFilter { after: Some(&first[1]), limit: 2, ..Default::default() })
            .await
            .unwrap();
        assert_eq!(rest.into_iter().map(|o| o.id).collect::<Vec<_>>(), all[2..]);
        assert_eq!(page(Some(Status::Pending), None, 10).await, ["chen"]);
        assert_eq!(page(Some(Status::Pending), Some("chen"), 10).await, Vec::<String>::new());
        assert_eq!(page(Some(Status::Active), None, 10).await.len(), 2);
        store
            .decide_org("chen", Status::Active, "analyst", Some("verified identity"), at(2, 0))
            .await
            .unwrap();
        assert_eq!(store.org("chen").await.unwrap().status, Status::Active);
        assert!(matches!(
            store.decide_org("chen", Status::Rejected, "analyst", None, at(3, 0)).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(store.org("nobody").await, Err(StoreError::NotFound { what: "organisation", .. })));
    })
    .await;
}

#[tokio::test]
async fn organisations_are_found_by_role_and_by_the_words_of_their_names() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        seed(&*store).await;
        let named = |id: &str, name: &str, name_zh: Option<&str>, roles: Vec<Role>, status| Organisation {
            name: name.into(),
            name_zh: name_zh.map(Into::into),
            ..org(id, roles, status)
        };
        for o in [
            named(
                "apache",
                "Apache Software Foundation",
                Some("阿帕奇软件基金会"),
                vec![Role::ProductProvider],
                Status::Active,
            ),
            named(
                "apex",
                "Apex Systems",
                None,
                vec![Role::ProductProvider, Role::ProductUser],
                Status::Active,
            ),
            named(
                "cnvd",
                "China National Vulnerability Database",
                Some("国家信息安全漏洞共享平台"),
                vec![Role::NationalVulnerabilityDb],
                Status::Active,
            ),
            named("soft-pending", "Software Pending", None, vec![Role::ProductProvider], Status::Pending),
            named("zeta", "Zeta Soft", None, vec![Role::ProductUser], Status::Active),
        ] {
            store.create_org(&o).await.unwrap();
        }
        let find = |text: Option<&'static str>,
                    roles: &'static [Role],
                    status: Option<Status>,
                    after: Option<&'static str>,
                    limit| {
            let store = store.clone();
            async move {
                let filter = OrgFilter { status, roles, text, after, limit };
                store.orgs_page(&filter).await.unwrap().into_iter().map(|o| o.id).collect::<Vec<_>>()
            }
        };
        let active = Some(Status::Active);
        // By the start of the id or of any word of either name, without case, by id.
        assert_eq!(find(Some("AP"), &[], active, None, 10).await, ["apache", "apex"]);
        assert_eq!(find(Some("soft"), &[], active, None, 10).await, ["apache", "zeta"]);
        assert_eq!(find(Some("soft"), &[], None, None, 10).await, ["apache", "soft-pending", "zeta"]);
        assert_eq!(find(Some("software foundation"), &[], active, None, 10).await, ["apache"]);
        assert_eq!(find(Some("漏洞"), &[], active, None, 10).await, ["cnvd"]);
        assert_eq!(find(Some("  vulnerability   DATABASE "), &[], active, None, 10).await, ["cnvd"]);
        assert!(find(Some("oftware"), &[], active, None, 10).await.is_empty());
        assert!(find(Some("nothing"), &[], active, None, 10).await.is_empty());
        // A blank text finds all; a search is paged by id like the rest.
        assert_eq!(find(Some("  "), &[], active, None, 10).await.len(), 6);
        assert_eq!(find(Some("soft"), &[], None, None, 1).await, ["apache"]);
        assert_eq!(find(Some("soft"), &[], None, Some("apache"), 1).await, ["soft-pending"]);
        // With roles: any of them, on the search too.
        let providers: &[Role] = &[Role::ProductProvider];
        assert_eq!(find(None, providers, active, None, 10).await, ["apache", "apex"]);
        assert_eq!(find(None, providers, None, None, 10).await, ["apache", "apex", "soft-pending"]);
        assert_eq!(find(None, providers, active, Some("apache"), 10).await, ["apex"]);
        let either: &[Role] = &[Role::ProductUser, Role::NationalVulnerabilityDb];
        assert_eq!(find(None, either, active, None, 10).await, ["apex", "cnvd", "zeta"]);
        assert_eq!(find(None, either, active, None, 2).await, ["apex", "cnvd"]);
        assert_eq!(find(Some("soft"), either, active, None, 10).await, ["zeta"]);
        assert_eq!(find(Some("a"), providers, active, None, 10).await, ["apache", "apex"]);
        // The regulator's platform is found by role too (the seed's).
        assert_eq!(find(None, &[Role::RegulatorPlatform], active, None, 10).await, ["miit"]);

        // Organisations stored before the roles and keys were kept: theirs are written
        // when the store opens, once.
        crate::warnings::raw_statements(
            &db.url,
            db.name,
            &[
                "DELETE FROM org_search_keys",
                "DELETE FROM org_roles",
                "UPDATE org_search_index SET built = 0",
            ],
        )
        .await;
        assert!(find(Some("soft"), &[], active, None, 10).await.is_empty());
        let reopened = connect(&db.url).await.unwrap();
        let filter = OrgFilter { status: active, roles: either, text: Some("soft"), after: None, limit: 10 };
        let found: Vec<String> =
            reopened.orgs_page(&filter).await.unwrap().into_iter().map(|o| o.id).collect();
        assert_eq!(found, ["zeta"]);
        let filter = OrgFilter { status: active, roles: providers, limit: 10, ..Default::default() };
        let found: Vec<String> =
            reopened.orgs_page(&filter).await.unwrap().into_iter().map(|o| o.id).collect();
        assert_eq!(found, ["apache", "apex"]);
    })
    .await;
}

#[tokio::test]
async fn membership_history_is_kept_in_order() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        seed(&*store).await;
        let change = |day, change| MembershipChange {
            org_id: "reporter".into(),
            scheme: "miit-threat-sharing".into(),
            at: at(day, 0),
            change,
            by_account: Some("analyst".into()),
        };
        let suspended = MembershipChangeKind::Suspended {
            until: Some(at(30, 0)),
            reason: "did not report within 2 days".into(),
            findings: vec!["cn-miit-member/report-2-days".into()],
        };
        let restored = MembershipChangeKind::Restored { review: "rectification accepted".into() };
        store.record_membership_change(&change(22, suspended.clone())).await.unwrap();
        store.record_membership_change(&change(1, MembershipChangeKind::Joined)).await.unwrap();
        store.record_membership_change(&change(29, restored.clone())).await.unwrap();
        let history = store.membership_history("reporter").await.unwrap();
        let kinds: Vec<_> = history.iter().map(|c| c.change.clone()).collect();
        assert_eq!(kinds, [MembershipChangeKind::Joined, suspended, restored]);
        // Several organisations in one read: each with its own history, unknown ids left out.
        let read = store.orgs_with_history(&["ghost", "reporter", "miit"]).await.unwrap();
        let ids: Vec<_> = read.iter().map(|(org, _)| org.id.as_str()).collect();
        assert_eq!(ids, ["miit", "reporter"]);
        assert!(read[0].1.is_empty());
        assert_eq!(read[1].1, history);
        assert!(store.orgs_with_history(&[]).await.unwrap().is_empty());
        let unknown = MembershipChange { org_id: "ghost".into(), ..change(2, MembershipChangeKind::Joined) };
        assert!(matches!(
            store.record_membership_change(&unknown).await,
            Err(StoreError::InvalidReference(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn accounts_tokens_and_sessions() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        seed(&*store).await;
        let new = NewAccount {
            email: "Analyst@MIIT.example".into(),
            name: "An Analyst".into(),
            password_hash: "$argon2id$v=19$...".into(),
            org_id: Some("miit".into()),
            roles: vec![AccountRole::Analyst, AccountRole::Coordinator],
            status: Status::Active,
        };
        let account = store.create_account(&new, at(1, 0)).await.unwrap();
        assert_eq!(account.email, "analyst@miit.example");
        assert_eq!(store.account(&account.id).await.unwrap(), account);
        assert_eq!(store.account_by_email("ANALYST@miit.example").await.unwrap(), account);
        assert!(matches!(store.create_account(&new, at(1, 0)).await, Err(StoreError::Conflict(_))));
        let orphan = NewAccount { email: "x@y".into(), org_id: Some("ghost".into()), ..new.clone() };
        assert!(matches!(
            store.create_account(&orphan, at(1, 0)).await,
            Err(StoreError::InvalidReference(_))
        ));

        let pending = NewAccount { email: "p@q".into(), status: Status::Pending, ..new.clone() };
        let pending = store.create_account(&pending, at(1, 0)).await.unwrap();
        assert_eq!(store.list_accounts(Some(Status::Pending)).await.unwrap(), std::slice::from_ref(&pending));
        store.decide_account(&pending.id, Status::Rejected).await.unwrap();
        assert!(matches!(
            store.decide_account(&pending.id, Status::Active).await,
            Err(StoreError::Conflict(_))
        ));

        let token = store.create_token(&account.id, "ci", "hash-1", at(2, 0)).await.unwrap();
        assert_eq!(store.account_by_token("hash-1").await.unwrap().id, account.id);
        assert!(matches!(store.account_by_token("hash-2").await, Err(StoreError::NotFound { .. })));
        assert_eq!(store.list_tokens(&account.id).await.unwrap(), std::slice::from_ref(&token));
        store.revoke_token(&account.id, &token.id, at(3, 0)).await.unwrap();
        assert!(store.account_by_token("hash-1").await.is_err());
        assert!(matches!(
            store.revoke_token(&account.id, &token.id, at(3, 0)).await,
            Err(StoreError::NotFound { .. })
        ));

        let session =
            Session { account_id: account.id.clone(), csrf_token: "csrf".into(), expires_at: at(4, 0) };
        store.create_session("sess-hash", &session, at(3, 0)).await.unwrap();
        assert_eq!(store.session("sess-hash").await.unwrap(), session);
        store.delete_session("sess-hash").await.unwrap();
        assert!(store.session("sess-hash").await.is_err());
    })
    .await;
}

#[tokio::test]
async fn intake_writes_case_events_receipt_and_outbox_together() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        seed(&*store).await;
        let intake = store.take_report(&report(Some("key-1"), at(2, 0))).await.unwrap();
        assert!(intake.created);
        let case = store.case(&intake.case_id).await.unwrap();
        assert_eq!(
            (case.reporter_org.as_str(), case.platform_org.as_str(), case.last_seq),
            ("reporter", "miit", 2)
        );
        let events = store.events(&intake.case_id).await.unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].prev_hash, "");
        assert_eq!(events[1].prev_hash, events[0].hash);
        let parties: Vec<String> =
            store.case_parties(&intake.case_id).await.unwrap().into_iter().map(|p| p.id).collect();
        assert_eq!(parties, ["reporter", "miit"]);
        assert_eq!(store.case_products(&intake.case_id).await.unwrap().len(), 1);
        let stored = store.report(&intake.case_id).await.unwrap();
        assert_eq!(stored.body["harm"], "remote code execution");
        let receipts = store.receipts().await.unwrap();
        assert_eq!(receipts.len(), 1);
        assert_eq!(
            (receipts[0].case_id.as_str(), receipts[0].channel.as_str()),
            (intake.case_id.as_str(), "api")
        );
        let attachments = store.attachments(&intake.case_id).await.unwrap();
        assert_eq!(attachments.len(), 1);
        assert!(attachments[0].exploit_code);
        assert_eq!(attachments[0].size, 12);
        let (_, content) = store.attachment(&intake.case_id, &attachments[0].id).await.unwrap();
        assert_eq!(content, b"class Poc {}");
        let outbox = store.claim_outbox(10, at(2, 1), 60).await.unwrap();
        assert_eq!(outbox.len(), 1);
        assert_eq!(outbox[0].topic, "case.opened");

        // The same key again: the first intake, nothing new written.
        let again = store.take_report(&report(Some("key-1"), at(2, 5))).await.unwrap();
        assert_eq!(again, Intake { created: false, ..intake.clone() });
        assert_eq!(store.list_cases().await.unwrap().len(), 1);
        assert_eq!(store.receipts().await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_failed_intake_leaves_nothing_behind() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        seed(&*store).await;
        let bad = NewReport { reporter_org: "ghost".into(), ..report(None, at(2, 0)) };
        assert!(matches!(store.take_report(&bad).await, Err(StoreError::InvalidReference(_))));
        assert!(store.list_cases().await.unwrap().is_empty());
        assert!(store.receipts().await.unwrap().is_empty());
        assert!(store.claim_outbox(10, at(2, 1), 60).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_intakes_are_each_answered_as_if_alone() {
    // On SQLite concurrent intakes share a transaction and its commit (group commit):
    // a refused report is rolled back alone, a key sent twice in one group opens one
    // case, and every answer is as a lone intake's would be.
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        seed(&*store).await;
        let mut tasks = Vec::new();
        for i in 0..60 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let key = format!("key-{}", i % 20);
                let mut report = report((i % 3 != 0).then_some(key.as_str()), at(2, 0));
                if i % 7 == 0 {
                    report.reporter_org = "ghost".into();
                    report.idempotency_key = None;
                }
                (i, store.take_report(&report).await)
            }));
        }
        let mut by_key = std::collections::HashMap::new();
        let mut opened = std::collections::HashSet::new();
        for task in tasks {
            let (i, result) = task.await.unwrap();
            if i % 7 == 0 {
                assert!(matches!(result, Err(StoreError::InvalidReference(_))), "{i}: {result:?}");
                continue;
            }
            let intake = result.unwrap();
            if i % 3 != 0 {
                let first = by_key.entry(i % 20).or_insert_with(|| intake.case_id.clone());
                assert_eq!(*first, intake.case_id, "one case per key");
            }
            opened.insert(intake.case_id);
        }
        let cases = store.list_cases().await.unwrap();
        assert_eq!(cases.len(), opened.len(), "no case but those answered, none lost");
        assert_eq!(store.receipts().await.unwrap().len(), opened.len());
        for case_id in &opened {
            let events = store.events(case_id).await.unwrap();
            assert_eq!(events.len(), 2);
            assert!(vulnrelay_store::chain::verify_case(case_id, &events).is_empty());
        }
    })
    .await;
}

#[tokio::test]
async fn events_chain_and_stale_writers_are_refused() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        seed(&*store).await;
        let case_id = store.take_report(&report(None, at(2, 0))).await.unwrap().case_id;
        let change = CaseChange {
            expected_seq: Some(2),
            parties: vec![Fragment {
                id: "cnvd".into(),
                value: json!({"id": "cnvd", "roles": [], "jurisdiction": "CN"}),
            }],
            events: vec![event(3, "triage_started"), {
                // A body whose text is hard to carry: quotes, backslashes, control
                // characters, CJK and a character outside the BMP, and an override reason.
                let mut verified = event(4, "verified");
                verified.body["note"] = json!("\"引号\" \\ \u{1}\u{1f}\t\n 漏洞 𝕏 </script>");
                verified.override_reason = Some("审核: \"ok\"".into());
                verified
            }],
            outbox: vec![NewOutboxMessage { topic: "case.event".into(), payload: json!({"case": case_id}) }],
            ..CaseChange::default()
        };
        let appended = store.change_case(&case_id, &change, at(4, 1)).await.unwrap();
        assert_eq!(appended.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4]);
        let events = store.events(&case_id).await.unwrap();
        assert_eq!(events[2..], appended[..]);
        assert_eq!(events[2].prev_hash, events[1].hash);
        assert_eq!(events[2].recorded_by.as_deref(), Some("analyst"));
        assert_eq!(store.case_parties(&case_id).await.unwrap().len(), 3);
        // The same change again was computed against 2 events: stale.
        let stale = store.change_case(&case_id, &change, at(4, 2)).await;
        assert!(matches!(stale, Err(StoreError::Stale { expected: 2, found: 4, .. })), "{stale:?}");
        assert_eq!(store.events(&case_id).await.unwrap().len(), 4);
        // The whole case in one read agrees with its parts read one by one.
        let snapshot = store.case_snapshot(&case_id).await.unwrap();
        assert_eq!(snapshot.record, store.case(&case_id).await.unwrap());
        assert_eq!(snapshot.events, store.events(&case_id).await.unwrap());
        assert_eq!(snapshot.parties, store.case_parties(&case_id).await.unwrap());
        assert_eq!(snapshot.products, store.case_products(&case_id).await.unwrap());
        assert_eq!(snapshot.one_product_until, store.one_product_until(&case_id).await.unwrap());
        assert_eq!(snapshot.record.last_seq, 4);
        // With its report: the same snapshot, and the report as read alone.
        let (with_report, report) = store.case_snapshot_with_report(&case_id).await.unwrap();
        assert_eq!(with_report, snapshot);
        assert_eq!(report, Some(store.report(&case_id).await.unwrap()));
        // Products joined later: the snapshot's one statement gives them in order and the
        // least log position they were added after.
        let products = ["lib-b", "lib-a"].map(|id| Fragment { id: id.into(), value: json!({"id": id}) });
        let change = CaseChange {
            products: products.to_vec(),
            events: vec![event(5, "affected_products_added")],
            ..CaseChange::default()
        };
        store.change_case(&case_id, &change, at(5, 1)).await.unwrap();
        let snapshot = store.case_snapshot(&case_id).await.unwrap();
        assert_eq!(snapshot.record, store.case(&case_id).await.unwrap());
        assert_eq!(snapshot.events, store.events(&case_id).await.unwrap());
        assert_eq!(snapshot.parties, store.case_parties(&case_id).await.unwrap());
        assert_eq!(snapshot.products, store.case_products(&case_id).await.unwrap());
        assert_eq!(snapshot.products[snapshot.products.len() - 2..], products);
        assert_eq!(snapshot.one_product_until, store.one_product_until(&case_id).await.unwrap());
        assert!(snapshot.one_product_until.is_some());
        assert_eq!((snapshot.record.last_seq, snapshot.parties.len()), (5, 3));
        let unknown = store.case_snapshot("case-nope").await;
        assert!(matches!(unknown, Err(StoreError::NotFound { what: "case", .. })), "{unknown:?}");
        let unknown = store.case_snapshot_with_report("case-nope").await;
        assert!(matches!(unknown, Err(StoreError::NotFound { what: "case", .. })), "{unknown:?}");
        let unknown = store.change_case("case-nope", &CaseChange::default(), at(4, 2)).await;
        assert!(matches!(unknown, Err(StoreError::NotFound { what: "case", .. })));
        let report = store.verify().await.unwrap();
        assert_eq!(
            report,
            VerifyReport { cases: 1, events: 5, org_logs: 0, org_events: 0, broken: Vec::new() }
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_appends_keep_one_chain() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        seed(&*store).await;
        let case_id = store.take_report(&report(None, at(2, 0))).await.unwrap().case_id;
        let mut tasks = Vec::new();
        for i in 0..20 {
            let store = store.clone();
            let case_id = case_id.clone();
            tasks.push(tokio::spawn(async move {
                let change = CaseChange { events: vec![event(3 + i % 20, "aware")], ..CaseChange::default() };
                store.change_case(&case_id, &change, at(25, 0)).await.unwrap();
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let events = store.events(&case_id).await.unwrap();
        assert_eq!(events.len(), 22);
        assert_eq!(store.verify().await.unwrap().broken, []);
    })
    .await;
}

#[tokio::test]
async fn the_event_log_refuses_updates_and_verify_names_a_tampered_link() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        seed(&*store).await;
        store.take_report(&report(None, at(2, 0))).await.unwrap();
        let case_id = store.take_report(&report(None, at(3, 0))).await.unwrap().case_id;
        let tamper = "UPDATE events SET body = '{\"type\":\"exploited\"}' WHERE case_id = $1 AND seq = 2";
        let delete = "DELETE FROM events WHERE case_id = $1";
        let db_name = db.name;
        // Reach under the store: the database itself refuses to change events.
        let (refused_update, refused_delete) =
            raw(&db.url, db_name, &[tamper, delete], &case_id, false).await;
        assert!(refused_update && refused_delete, "{db_name}: events must be append-only");
        assert_eq!(store.verify().await.unwrap().broken, []);
        // Someone with the power to drop the triggers changes an event: verify names it.
        raw(&db.url, db_name, &[tamper], &case_id, true).await;
        let report = store.verify().await.unwrap();
        // Exactly the tampered row: the walk goes on past it and finds nothing else.
        assert_eq!(report.broken.len(), 1, "{:?}", report.broken);
        let broken = &report.broken[0];
        assert_eq!((broken.case_id.as_str(), broken.seq), (case_id.as_str(), 2));
        assert_eq!(broken.reason, "hash does not match the event's content");
    })
    .await;
}

#[tokio::test]
async fn an_organisation_log_chains_its_entries_with_their_membership_changes() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        seed(&*store).await;
        let entry = |day, body: serde_json::Value| NewOrgEvent {
            scheme: "miit-threat-sharing".into(),
            at: at(day, 0),
            body,
            recorded_by: Some("analyst".into()),
        };
        let suspension = MembershipChange {
            org_id: "reporter".into(),
            scheme: "miit-threat-sharing".into(),
            at: at(22, 0),
            change: MembershipChangeKind::Suspended {
                until: Some(at(30, 0)),
                reason: "late report".into(),
                findings: vec!["cn-miit-member/member-report-2d".into()],
            },
            by_account: Some("analyst".into()),
        };
        let outbox = [NewOutboxMessage { topic: "org.event".into(), payload: json!({"org": "reporter"}) }];
        let first = store
            .append_org_event(
                "reporter",
                Some(0),
                &entry(22, json!({"type": "sanctioned", "sanction": "suspension"})),
                Some(&suspension),
                &outbox,
                at(22, 1),
            )
            .await
            .unwrap();
        assert_eq!((first.seq, first.prev_hash.as_str()), (1, ""));
        let report = entry(29, json!({"type": "rectification_submitted", "report": "fixed the process"}));
        let second =
            store.append_org_event("reporter", Some(1), &report, None, &[], at(29, 1)).await.unwrap();
        assert_eq!(second.prev_hash, first.hash);
        // A writer that saw only the first entry is stale, and writes nothing.
        let stale =
            store.append_org_event("reporter", Some(1), &report, Some(&suspension), &[], at(29, 2)).await;
        assert!(matches!(stale, Err(StoreError::Stale { expected: 1, found: 2, .. })), "{stale:?}");
        assert_eq!(store.org_events("reporter").await.unwrap(), [first, second]);
        assert_eq!(store.membership_history("reporter").await.unwrap(), [suspension]);
        let unknown = store.append_org_event("ghost", None, &report, None, &[], at(29, 3)).await;
        assert!(matches!(unknown, Err(StoreError::NotFound { what: "organisation", .. })), "{unknown:?}");
        assert_eq!(store.org_log_ids().await.unwrap(), ["reporter"]);
        let verified = store.verify().await.unwrap();
        assert_eq!((verified.org_logs, verified.org_events, verified.broken.len()), (1, 2, 0));
        // The database itself refuses to change or delete entries.
        let update = "UPDATE org_events SET body = '{}' WHERE org_id = $1";
        let delete = "DELETE FROM org_events WHERE org_id = $1";
        let (refused_update, refused_delete) =
            raw(&db.url, db.name, &[update, delete], "reporter", false).await;
        assert!(refused_update && refused_delete, "{}: org events must be append-only", db.name);
    })
    .await;
}

/// Runs statements on the database directly; returns whether each of the first two
/// was refused. With `drop_triggers`, removes the append-only triggers first.
async fn raw(
    url: &str,
    backend: &str,
    statements: &[&str],
    case_id: &str,
    drop_triggers: bool,
) -> (bool, bool) {
    use sqlx::Connection;
    let mut refused = Vec::new();
    if backend == "sqlite" {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        if drop_triggers {
            sqlx::query("DROP TRIGGER events_no_update").execute(&mut conn).await.unwrap();
        }
        for statement in statements {
            refused.push(sqlx::query(statement).bind(case_id).execute(&mut conn).await.is_err());
        }
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        if drop_triggers {
            sqlx::query("DROP TRIGGER events_no_update_or_delete ON events")
                .execute(&mut conn)
                .await
                .unwrap();
        }
        for statement in statements {
            refused.push(sqlx::query(statement).bind(case_id).execute(&mut conn).await.is_err());
        }
    }
    (refused.first().copied().unwrap_or(false), refused.get(1).copied().unwrap_or(false))
}

#[tokio::test]
async fn receipts_younger_than_the_retention_period_are_not_purged() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        seed(&*store).await;
        let old = Utc.with_ymd_and_hms(2021, 1, 10, 0, 0, 0).unwrap();
        store.take_report(&report(None, old)).await.unwrap();
        store.take_report(&report(None, at(2, 0))).await.unwrap();
        let now = Utc.with_ymd_and_hms(2022, 3, 1, 0, 0, 0).unwrap();
        // Purging everything before today would delete the December receipt (3 months old).
        let refused = store.purge_receipts(now, now, 6).await;
        assert!(matches!(refused, Err(StoreError::RetentionRefused { months: 6, .. })), "{refused:?}");
        assert_eq!(store.receipts().await.unwrap().len(), 2);
        // Exactly six months back is allowed, and deletes only the older receipt.
        let limit = Utc.with_ymd_and_hms(2021, 9, 1, 0, 0, 0).unwrap();
        assert_eq!(store.purge_receipts(limit, now, 6).await.unwrap(), 1);
        assert!(matches!(
            store.purge_receipts(limit + TimeDelta::seconds(1), now, 6).await,
            Err(StoreError::RetentionRefused { .. })
        ));
        let left = store.receipts().await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].received_at, at(2, 0));
        // The cases stay: the receipt log is its own record.
        assert_eq!(store.list_cases().await.unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn outbox_claims_lapse_and_complete() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        seed(&*store).await;
        store.take_report(&report(None, at(2, 0))).await.unwrap();
        store.take_report(&report(None, at(2, 1))).await.unwrap();
        let first = store.claim_outbox(1, at(3, 0), 60).await.unwrap();
        assert_eq!(first.len(), 1);
        let second = store.claim_outbox(10, at(3, 0), 60).await.unwrap();
        assert_eq!(second.len(), 1, "a claimed message is not handed out twice");
        assert_ne!(first[0].id, second[0].id);
        store.complete_outbox(&first[0].id, at(3, 0)).await.unwrap();
        // After the lease lapses, the undelivered message comes back.
        let again = store.claim_outbox(10, at(3, 1), 60).await.unwrap();
        assert_eq!(again.iter().map(|m| (&m.id, m.attempts)).collect::<Vec<_>>(), [(&second[0].id, 2)]);
        assert!(matches!(store.complete_outbox("nope", at(3, 1)).await, Err(StoreError::NotFound { .. })));
    })
    .await;
}

#[tokio::test]
async fn embargo_and_comments() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        seed(&*store).await;
        let case_id = store.take_report(&report(None, at(2, 0))).await.unwrap().case_id;
        store.set_embargo(&case_id, Some(at(20, 0)), Some("analyst"), at(3, 0)).await.unwrap();
        assert_eq!(store.case(&case_id).await.unwrap().planned_public_at, Some(at(20, 0)));
        store.set_embargo(&case_id, None, Some("analyst"), at(4, 0)).await.unwrap();
        assert_eq!(store.case(&case_id).await.unwrap().planned_public_at, None);
        assert!(matches!(
            store.set_embargo("nope", None, None, at(4, 0)).await,
            Err(StoreError::NotFound { .. })
        ));
        store.add_comment(&case_id, None, "second", at(5, 0)).await.unwrap();
        store.add_comment(&case_id, None, "first", at(4, 0)).await.unwrap();
        let bodies: Vec<String> =
            store.comments(&case_id).await.unwrap().into_iter().map(|c| c.body).collect();
        assert_eq!(bodies, ["first", "second"]);
        assert!(matches!(
            store.add_comment("nope", None, "x", at(4, 0)).await,
            Err(StoreError::InvalidReference(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn import_case_and_connect_by_url() {
    for_each_backend(|db: TestDb| async move {
        seed(&*db.store).await;
        let new = NewCase {
            title: "t".into(),
            timezone: "UTC".into(),
            reporter_org: "reporter".into(),
            platform_org: "miit".into(),
            parties: vec![],
            products: vec![],
            events: vec![event(3, "aware")],
            created_at: at(3, 0),
        };
        let case_id = db.store.import_case(&new).await.unwrap();
        // A second connection by URL sees the same data.
        let reopened = connect(&db.url).await.unwrap();
        assert_eq!(reopened.backend(), db.store.backend());
        assert_eq!(reopened.events(&case_id).await.unwrap().len(), 1);
        assert!(reopened.receipts().await.unwrap().is_empty());
        // An imported case has no report: the case is read whole without one.
        let (snapshot, report) = reopened.case_snapshot_with_report(&case_id).await.unwrap();
        assert_eq!((snapshot.events.len(), report), (1, None));
    })
    .await;
}

#[tokio::test]
async fn a_bulk_import_writes_every_case_or_none() {
    for_each_backend(|db: TestDb| async move {
        seed(&*db.store).await;
        let case = |title: &str, reporter: &str| NewCase {
            title: title.into(),
            timezone: "UTC".into(),
            reporter_org: reporter.into(),
            platform_org: "miit".into(),
            parties: vec![],
            products: vec![],
            events: vec![event(3, "aware"), event(4, "verified")],
            created_at: at(3, 0),
        };
        let ids = db.store.import_cases(&[case("a", "reporter"), case("b", "reporter")]).await.unwrap();
        assert_eq!(ids.len(), 2, "{}", db.name);
        assert_ne!(ids[0], ids[1]);
        for (id, title) in ids.iter().zip(["a", "b"]) {
            assert_eq!(db.store.case(id).await.unwrap().title, title, "{}", db.name);
            assert_eq!(db.store.events(id).await.unwrap().len(), 2, "{}", db.name);
        }
        // A batch with a case of an unknown reporter writes none of its cases.
        let refused = db.store.import_cases(&[case("c", "reporter"), case("d", "nobody")]).await;
        assert!(refused.is_err(), "{}", db.name);
        // (Both were opened at the same time: listed in the order of their random ids.)
        let (mut stored, mut written) = (db.store.case_ids().await.unwrap(), ids.clone());
        stored.sort();
        written.sort();
        assert_eq!(stored, written, "{}", db.name);
        assert!(db.store.import_cases(&[]).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn the_publication_version_follows_records_and_case_changes() {
    for_each_backend(|db: TestDb| async move {
        let store = db.store.clone();
        seed(&*store).await;
        let v0 = store.publication_version().await.unwrap();
        assert_eq!(store.publication_version().await.unwrap(), v0, "stable without writes on {}", db.name);
        let record = json!({"id": "CVE-2021-44228"});
        store.save_vulnerability("CVE-2021-44228", None, &record, &[], at(10, 0)).await.unwrap();
        let v1 = store.publication_version().await.unwrap();
        assert_ne!(v1, v0, "a new record on {}", db.name);
        // Saving the same record again changes nothing.
        store.save_vulnerability("CVE-2021-44228", None, &record, &[], at(11, 0)).await.unwrap();
        assert_eq!(store.publication_version().await.unwrap(), v1, "{}", db.name);
        let changed = json!({"id": "CVE-2021-44228", "title": {"en": "Log4Shell"}});
        store.save_vulnerability("CVE-2021-44228", None, &changed, &[], at(12, 0)).await.unwrap();
        let v2 = store.publication_version().await.unwrap();
        assert_ne!(v2, v1, "a changed record on {}", db.name);
        let case_id = store.take_report(&report(None, at(2, 0))).await.unwrap().case_id;
        let v3 = store.publication_version().await.unwrap();
        assert_ne!(v3, v2, "a new case on {}", db.name);
        // Any case event changes it (publication is one).
        let change = CaseChange {
            expected_seq: Some(2),
            events: vec![event(3, "published")],
            ..CaseChange::default()
        };
        store.change_case(&case_id, &change, at(3, 1)).await.unwrap();
        let v4 = store.publication_version().await.unwrap();
        assert_ne!(v4, v3, "a case event on {}", db.name);
        store.set_embargo(&case_id, Some(at(20, 0)), Some("analyst"), at(3, 2)).await.unwrap();
        assert_ne!(store.publication_version().await.unwrap(), v4, "an embargo on {}", db.name);
    })
    .await;
}
