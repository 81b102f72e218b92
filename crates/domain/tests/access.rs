//! `can` against the written matrix of docs/access.md: for every relation, set of
//! account roles, case state and action, a real case is built in that state with the
//! caller's organisation in that relation, and `can` must answer what the table says.

use std::collections::HashMap;

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use vulnrelay_domain::*;

const MATRIX: &str = include_str!("../../../docs/access.md");

/// `(relation, role, action) -> "yes" | "no" | "published"`, from the table.
fn matrix() -> HashMap<(String, String, String), String> {
    let mut cells = HashMap::new();
    let mut header: Vec<String> = Vec::new();
    for line in MATRIX.lines() {
        let cols: Vec<String> =
            line.trim().trim_matches('|').split('|').map(|c| c.trim().to_owned()).collect();
        if cols.first().map(String::as_str) == Some("relation")
            && cols.get(1).map(String::as_str) == Some("roles")
        {
            header = cols;
            continue;
        }
        if header.is_empty() || cols.len() != header.len() || cols[0].starts_with("---") {
            continue;
        }
        for role in cols[1].split(',').map(str::trim) {
            for (i, action) in header.iter().enumerate().skip(2) {
                let key = (cols[0].clone(), role.to_owned(), action.clone());
                assert!(cells.insert(key.clone(), cols[i].clone()).is_none(), "{key:?} appears twice");
            }
        }
    }
    cells
}

fn expected(
    cells: &HashMap<(String, String, String), String>,
    relation: Relation,
    roles: &[AccountRole],
    state: CaseState,
    action: Action,
) -> bool {
    roles.iter().any(|role| {
        let key = (relation.as_str().to_owned(), role.as_str().to_owned(), action.as_str().to_owned());
        match cells.get(&key).map(String::as_str) {
            Some("yes") => true,
            Some("published") => state == CaseState::Published,
            Some("no") => false,
            other => panic!("docs/access.md has no cell {key:?} ({other:?})"),
        }
    }) || (roles.is_empty() && action == Action::Read && state == CaseState::Published)
}

fn party(id: &str, role: Role, jurisdiction: &str) -> Party {
    Party {
        id: PartyId(id.into()),
        name: id.into(),
        name_zh: None,
        roles: vec![role],
        jurisdiction: jurisdiction.parse().unwrap(),
        memberships: vec![],
    }
}

/// A case in `state`; with `notify_provider`, the provider was told of it.
fn case_in(state: CaseState, notify_provider: bool) -> Case {
    let mut day = 0;
    let mut events = Vec::new();
    let mut push = |party: &str, kind: EventKind| {
        day += 1;
        events.push(Event {
            at: Utc.with_ymd_and_hms(2021, 12, day, 0, 0, 0).unwrap(),
            party: PartyId(party.into()),
            product: None,
            kind,
            note: None,
        });
    };
    let notify = |to: &str| EventKind::Notified {
        to: PartyId(to.into()),
        kind: NotificationKind::Report,
        exploited: false,
        with_exploit_code: false,
        content: None,
    };
    push("rep", EventKind::Discovered);
    push("rep", notify("plat"));
    if notify_provider {
        push("plat", notify("prov"));
    }
    use CaseState::*;
    if state != Received {
        push("plat", EventKind::TriageStarted);
    }
    match state {
        Rejected => push("plat", EventKind::Rejected),
        Duplicate => push("plat", EventKind::Duplicate { of: "case-1".into() }),
        _ => {}
    }
    if state >= Confirmed && !matches!(state, Rejected | Duplicate) {
        push("plat", EventKind::Verified);
    }
    if state >= Coordinating && !matches!(state, Rejected | Duplicate) {
        push("plat", notify("user"));
    }
    if state >= FixAvailable && !matches!(state, Rejected | Duplicate) {
        push("plat", EventKind::FixAvailable { version: None });
    }
    if state >= Published && !matches!(state, Rejected | Duplicate) {
        push("plat", EventKind::Published { with_remediation: true, with_exploit_code: false });
    }
    if state == Closed {
        push("plat", EventKind::Closed);
    }
    let product = Product {
        id: ProductId("p".into()),
        name: "p".into(),
        provider: PartyId("prov".into()),
        upstream: vec![],
        markets: vec![],
        purl: None,
    };
    Case::new(
        "t".into(),
        Tz::UTC,
        vec![
            party("rep", Role::Discoverer, "CN"),
            party("plat", Role::RegulatorPlatform, "CN"),
            party("prov", Role::ProductProvider, "US"),
            party("user", Role::ProductUser, "CN"),
        ],
        vec![product],
        events,
    )
    .unwrap()
}

fn relations() -> impl Strategy<Value = Relation> {
    prop_oneof![
        Just(Relation::Platform),
        Just(Relation::Reporter),
        Just(Relation::NotifiedProvider),
        Just(Relation::Public)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn can_follows_the_written_matrix(
        relation in relations(),
        role_bits in 0u8..64,
        state in proptest::sample::select(CaseState::ALL.to_vec()),
        action in proptest::sample::select(Action::ALL.to_vec()),
        anonymous in proptest::bool::weighted(0.1),
    ) {
        let cells = matrix();
        let roles: Vec<AccountRole> =
            AccountRole::ALL.iter().enumerate().filter(|(i, _)| role_bits & (1 << i) != 0).map(|(_, r)| *r).collect();
        let case = case_in(state, relation == Relation::NotifiedProvider);
        prop_assert_eq!(CaseState::of(&case), state);
        let org = match relation {
            Relation::Platform => "plat",
            Relation::Reporter => "rep",
            Relation::NotifiedProvider => "prov",
            Relation::Public => "outsider",
        };
        let (reporter, platform) = (PartyId("rep".into()), PartyId("plat".into()));
        let access = CaseAccess { case: &case, reporter: &reporter, platform: &platform };
        prop_assert_eq!(access.relation(&PartyId(org.into())), relation);
        let actor = if anonymous {
            Actor::anonymous()
        } else {
            Actor { org: Some(PartyId(org.into())), roles: roles.clone() }
        };
        let (relation, roles) = if anonymous { (Relation::Public, vec![]) } else { (relation, roles) };
        prop_assert_eq!(can(&actor, action, &access), expected(&cells, relation, &roles, state, action),
            "{:?} {:?} {:?} {:?}", relation, roles, state, action);
    }
}

#[test]
fn the_table_covers_every_relation_role_and_action() {
    let cells = matrix();
    for relation in [Relation::Platform, Relation::Reporter, Relation::NotifiedProvider, Relation::Public] {
        for role in AccountRole::ALL {
            for action in Action::ALL {
                let key =
                    (relation.as_str().to_owned(), role.as_str().to_owned(), action.as_str().to_owned());
                assert!(cells.contains_key(&key), "docs/access.md lacks {key:?}");
            }
        }
    }
    // A provider that was never told of the case is just the public.
    let case = case_in(CaseState::Confirmed, false);
    let (reporter, platform) = (PartyId("rep".into()), PartyId("plat".into()));
    let access = CaseAccess { case: &case, reporter: &reporter, platform: &platform };
    assert_eq!(access.relation(&PartyId("prov".into())), Relation::Public);
}
