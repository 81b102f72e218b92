//! Properties of the evaluator over generated cases: it never panics, its statuses are
//! consistent with their times, it sees nothing after `as_of`, and what is met stays met.

use chrono::{TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use vulnrelay_domain::{
    Case, Event, EventKind, Jurisdiction, Market, Membership, NotificationContent, NotificationKind, Party,
    PartyId, Product, ProductId, Role, Timestamp,
};
use vulnrelay_policy::{Interpretation, Options, Status, builtin_packs, evaluate};

const PARTIES: [(&str, Role, &str); 7] = [
    ("vendor", Role::ProductProvider, "CN"),
    ("maker", Role::ProductProvider, "DE"),
    ("finder", Role::Discoverer, "CN"),
    ("nvdb", Role::RegulatorPlatform, "CN"),
    ("cert", Role::CsirtCoordinator, "DE"),
    ("enisa", Role::Enisa, "GR"),
    ("mps", Role::PublicSecurity, "CN"),
];

fn start() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap()
}

/// Some of the shipped packs' content fields (CN Art. 7(2), CRA Art. 14(2)), or none.
const FIELDS: [&str; 8] = [
    "product_name",
    "model",
    "version",
    "member_states",
    "product_information",
    "sensitivity",
    "malicious_actor",
    "security_update",
];

fn content_strategy() -> impl Strategy<Value = Option<Box<NotificationContent>>> {
    proptest::option::of((proptest::collection::vec(0..FIELDS.len(), 0..6), any::<bool>())).prop_map(
        |content| {
            content.map(|(fields, declare)| {
                let mut content = NotificationContent::default();
                for i in fields {
                    if declare && i % 2 == 0 {
                        content.not_applicable.insert(FIELDS[i].to_owned());
                    } else {
                        content.fields.insert(FIELDS[i].to_owned(), format!("text of {}", FIELDS[i]));
                    }
                }
                Box::new(content)
            })
        },
    )
}

fn kind_strategy() -> impl Strategy<Value = EventKind> {
    let party = || (0..PARTIES.len()).prop_map(|i| PartyId(PARTIES[i].0.into()));
    prop_oneof![
        Just(EventKind::Discovered),
        Just(EventKind::Aware),
        Just(EventKind::Verified),
        Just(EventKind::Exploited),
        (party(), 0..NotificationKind::ALL.len(), any::<bool>(), any::<bool>(), content_strategy()).prop_map(
            |(to, k, exploited, with_exploit_code, content)| {
                EventKind::Notified {
                    to,
                    kind: NotificationKind::ALL[k],
                    exploited,
                    with_exploit_code,
                    content,
                }
            }
        ),
        any::<bool>().prop_map(|severe| EventKind::Incident { severe }),
        party().prop_map(|with| EventKind::JointAssessment { with }),
        Just(EventKind::FixAvailable { version: None }),
        (any::<bool>(), any::<bool>())
            .prop_map(|(r, x)| EventKind::Published { with_remediation: r, with_exploit_code: x }),
        Just(EventKind::PublicationApproved { to: None }),
        (1..200i64).prop_map(|h| EventKind::Blackout { until: start() + TimeDelta::hours(2000 + h) }),
        Just(EventKind::Consent { to: None }),
        Just(EventKind::MembershipSuspended {
            membership: "miit-threat-sharing".into(),
            until: None,
            by: None
        }),
        Just(EventKind::MembershipRestored { membership: "miit-threat-sharing".into(), by: None }),
    ]
}

prop_compose! {
    fn case_strategy()(
        raw in proptest::collection::vec((0..2000i64, 0..PARTIES.len(), 0..2usize, kind_strategy()), 0..40),
        tz in prop_oneof![Just(chrono_tz::Asia::Shanghai), Just(chrono_tz::Europe::Berlin), Just(chrono_tz::UTC)],
    ) -> Case {
        let parties = PARTIES
            .iter()
            .map(|(id, role, j)| Party {
                id: PartyId((*id).into()),
                name: (*id).into(),
                name_zh: None,
                roles: vec![*role],
                jurisdiction: j.parse::<Jurisdiction>().unwrap(),
                memberships: if *id == "finder" {
                    vec![Membership { id: "miit-threat-sharing".into(), since: start(), until: None }]
                } else {
                    vec![]
                },
            })
            .collect();
        let products = vec![
            Product { id: ProductId("router".into()), name: "router".into(), provider: PartyId("vendor".into()),
                upstream: vec![ProductId("lib".into())], markets: vec![Market("CN".into()), Market("EU".into())], purl: None },
            Product { id: ProductId("lib".into()), name: "lib".into(), provider: PartyId("maker".into()),
                upstream: vec![], markets: vec![Market("EU".into())], purl: None },
        ];
        let events = raw
            .into_iter()
            .map(|(hours, party, product, kind)| Event {
                at: start() + TimeDelta::hours(hours),
                party: PartyId(PARTIES[party].0.into()),
                product: Some(ProductId(["router", "lib"][product].into())),
                kind,
                note: None,
            })
            .collect();
        Case::new("generated".into(), tz, parties, products, events).unwrap()
    }
}

fn options(hours: i64, interpretation: Interpretation) -> Options {
    Options { as_of: start() + TimeDelta::hours(hours), interpretation }
}

proptest! {
    // The failures found so far are replayed first from `properties.proptest-regressions`
    // beside this file (proptest's default looks for a parallel `proptest-regressions/`
    // directory, which this layout does not have).
    #![proptest_config(ProptestConfig {
        cases: 300,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn statuses_agree_with_their_times(case in case_strategy(), as_of in 0..2500i64, reading in 0..4usize) {
        let packs = builtin_packs().unwrap();
        let interpretation =
            [Interpretation::Hours, Interpretation::CalendarDays, Interpretation::EuPeriods, Interpretation::CivilCodeHolidays]
                [reading];
        let options = options(as_of, interpretation);
        for f in evaluate(&case, &packs, &options) {
            prop_assert!(case.party(f.party).is_some());
            for &i in &f.evidence {
                prop_assert!(case.events()[i].at <= options.as_of, "evidence after as_of");
            }
            match f.status {
                Status::Met => {
                    prop_assert!(f.late_by_hours.is_none());
                    prop_assert!(f.missing.is_empty(), "met with content missing");
                }
                Status::MetIncomplete => {
                    prop_assert!(f.late_by_hours.is_none());
                    prop_assert!(!f.missing.is_empty(), "incomplete with nothing missing");
                    prop_assert!(f.satisfied_at.is_some());
                    prop_assert!(f.status.is_problem());
                }
                Status::MetLate => {
                    prop_assert!(f.satisfied_at.unwrap() > f.due_at.unwrap());
                    prop_assert!(f.late_by_hours.unwrap() > 0.0);
                }
                Status::Overdue => {
                    prop_assert!(f.satisfied_at.is_none());
                    prop_assert!(options.as_of > f.due_at.unwrap());
                }
                Status::Pending => {
                    prop_assert!(f.satisfied_at.is_none());
                    prop_assert!(f.due_at.is_none_or(|due| options.as_of <= due));
                }
                Status::NotStarted => prop_assert!(f.anchor_at.is_none()),
                Status::Violated | Status::Conflict => prop_assert!(f.status.is_problem()),
                Status::NeedsReview => {
                    prop_assert!(!f.status.is_problem());
                    // A gate the law leaves open, or a duty not met in time that it leaves
                    // to review (a late report kept as its evidence).
                    let open_duty = matches!(f.explanation, vulnrelay_policy::Explanation::ClockReview { .. })
                        && f.late_by_hours.is_none()
                        && f.satisfied_at.is_none_or(|done| f.due_at.is_some_and(|due| done > due));
                    prop_assert!(matches!(f.rule.kind, vulnrelay_policy::RuleKind::Gate(_)) || open_duty);
                }
            }
            if let (Some(anchor), Some(due)) = (f.anchor_at, f.due_at) {
                prop_assert!(due > anchor);
            }
            // Every finding can be put into words in both languages.
            let message = f.message(&case);
            prop_assert!(!message.en.is_empty() && !message.zh.is_empty());
        }
    }

    #[test]
    fn what_is_met_stays_met_and_overdue_never_returns_to_pending(
        case in case_strategy(),
        earlier in 0..2500i64,
        later in 0..2500i64,
    ) {
        let (earlier, later) = (earlier.min(later), earlier.max(later));
        let packs = builtin_packs().unwrap();
        let before = evaluate(&case, &packs, &options(earlier, Interpretation::Hours));
        let after = evaluate(&case, &packs, &options(later, Interpretation::Hours));
        for f in &before {
            // Two events of one party at one instant (two publications, say) give two
            // findings with the same rule, party, product and anchor: the counterpart is
            // the one that rests on the same first event.
            let key = |g: &&vulnrelay_policy::Finding<'_>| {
                g.rule_id() == f.rule_id() && g.party == f.party && g.product == f.product && g.anchor_at == f.anchor_at
            };
            let same = after
                .iter()
                .filter(key)
                .find(|g| g.evidence.first() == f.evidence.first())
                .or_else(|| after.iter().find(key));
            match f.status {
                // An open duty the law leaves to review (`needs_review` in place of `pending`
                // or `overdue`) is not settled: the notification may still come, in time
                // (met) or late (still the review's, now with the report). A late report
                // left to review, and a gate's review, are settled.
                Status::NeedsReview
                    if matches!(f.explanation, vulnrelay_policy::Explanation::ClockReview { .. })
                        && f.satisfied_at.is_none() =>
                {
                    let same = same.expect("a duty left to review does not disappear");
                    prop_assert!(matches!(same.status, Status::NeedsReview | Status::Met | Status::MetIncomplete));
                }
                Status::Met | Status::MetLate | Status::Violated | Status::NeedsReview => {
                    let same = same.expect("a settled finding does not disappear");
                    prop_assert_eq!(same.status, f.status);
                }
                Status::MetIncomplete => {
                    // A later notification may supply what was missing, in time or late.
                    let same = same.expect("a notification sent does not disappear");
                    // Late, a duty the law leaves to review goes back to review.
                    let review = matches!(same.explanation, vulnrelay_policy::Explanation::ClockReview { .. });
                    prop_assert!(matches!(same.status, Status::MetIncomplete | Status::Met | Status::MetLate)
                        || (same.status == Status::NeedsReview && review));
                    prop_assert!(same.missing.len() <= f.missing.len());
                }
                Status::Overdue => {
                    let same = same.expect("an overdue finding does not disappear");
                    prop_assert!(matches!(same.status, Status::Overdue | Status::MetLate));
                }
                _ => {}
            }
        }
    }
}
