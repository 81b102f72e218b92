//! cn-miit-member: a cooperating unit reports what it finds, in anyone's product,
//! within 2 days, while its membership is active.

use crate::support::*;
use vulnrelay_domain::{EventKind, Role};
use vulnrelay_policy::Status;

const PACK: &[&str] = &["cn-miit-member"];
const RULE: &str = "cn-miit-member/member-report-2d";

fn world() -> Story {
    Story::new("Asia/Shanghai")
        .party("unit", &[Role::Discoverer], "CN")
        .member("unit", "miit-threat-sharing", "2019-12-01T00:00:00+08:00")
        .party("outsider", &[Role::Discoverer], "CN")
        .party("apache", &[Role::ProductProvider], "US")
        .party("nvdb", &[Role::RegulatorPlatform], "CN")
        .product("log4j-core", "apache", &["CN", "EU", "US"])
}

fn found() -> Story {
    world().at("2021-11-24T00:00:00+08:00", "unit", EventKind::Discovered)
}

#[test]
fn on_time_report_is_met() {
    let case = found().at("2021-11-25T18:00:00+08:00", "unit", notified("nvdb")).build();
    let findings = check(&case, PACK, "2021-12-22T00:00:00+08:00");
    let f = one(&findings, RULE, "unit");
    assert_eq!(f.status, Status::Met);
    assert_eq!(f.sanction(), None);
}

#[test]
fn late_report_is_met_late_and_carries_the_sanction() {
    let case = found().at("2021-12-09T00:00:00+08:00", "unit", notified("nvdb")).build();
    let findings = check(&case, PACK, "2021-12-22T00:00:00+08:00");
    let f = one(&findings, RULE, "unit");
    assert_eq!(f.status, Status::MetLate);
    assert_eq!(f.late_by_hours, Some(13.0 * 24.0));
    let sanction = f.sanction().expect("a late member faces the sanction");
    assert!(sanction.en.contains("6 months"), "{}", sanction.en);
    assert!(sanction.zh.contains("整改"), "{}", sanction.zh);
}

#[test]
fn missing_report_is_overdue_from_the_26th() {
    let case = found().at("2021-11-24T18:00:00+08:00", "unit", notified("apache")).build();
    let findings = check(&case, PACK, "2021-12-22T00:00:00+08:00");
    let f = one(&findings, RULE, "unit");
    assert_eq!(f.status, Status::Overdue);
    assert_eq!(f.due_at, Some(t("2021-11-26T00:00:00+08:00")));
    assert!(f.sanction().is_some());
    // Before the deadline it is only pending.
    assert_eq!(status(&check(&case, PACK, "2021-11-25T12:00:00+08:00"), RULE, "unit"), Status::Pending);
}

#[test]
fn non_members_are_not_bound() {
    let case = world()
        .at("2021-11-24T00:00:00+08:00", "outsider", EventKind::Discovered)
        .at("2021-11-24T00:00:00+08:00", "apache", EventKind::Aware)
        .build();
    assert!(check(&case, PACK, "2021-12-22T00:00:00+08:00").is_empty());
}

#[test]
fn membership_must_have_started_at_the_anchor() {
    let case = Story::new("Asia/Shanghai")
        .party("unit", &[Role::Discoverer], "CN")
        .member("unit", "miit-threat-sharing", "2022-01-01T00:00:00+08:00")
        .party("apache", &[Role::ProductProvider], "US")
        .product("log4j-core", "apache", &["CN"])
        .at("2021-11-24T00:00:00+08:00", "unit", EventKind::Discovered)
        .build();
    assert!(check(&case, PACK, "2022-02-01T00:00:00+08:00").is_empty());
}

#[test]
fn a_suspended_member_is_not_bound_until_restored() {
    let suspended = |extra: fn(Story) -> Story| {
        extra(world().at(
            "2021-12-22T00:00:00+08:00",
            "unit",
            EventKind::MembershipSuspended {
                membership: "miit-threat-sharing".into(),
                until: Some(t("2022-06-22T00:00:00+08:00")),
                by: Some(vulnrelay_domain::PartyId("nvdb".into())),
            },
        ))
        .build()
    };
    let during = suspended(|s| s.at("2022-01-10T00:00:00+08:00", "unit", EventKind::Discovered));
    none(&check(&during, PACK, "2022-02-01T00:00:00+08:00"), RULE, "unit");
    let restored = suspended(|s| {
        s.at(
            "2022-06-23T00:00:00+08:00",
            "unit",
            EventKind::MembershipRestored { membership: "miit-threat-sharing".into(), by: None },
        )
        .at("2022-07-01T00:00:00+08:00", "unit", EventKind::Discovered)
    });
    assert_eq!(status(&check(&restored, PACK, "2022-07-10T00:00:00+08:00"), RULE, "unit"), Status::Overdue);
}

#[test]
fn nothing_before_the_discovery() {
    assert!(check(&found().build(), PACK, "2021-11-23T23:59:59+08:00").is_empty());
}

#[test]
fn the_history_counts_what_was_met_late_and_missed() {
    use vulnrelay_policy::history;
    let late = found().at("2021-12-09T00:00:00+08:00", "unit", notified("nvdb")).build();
    let missed = found().build();
    let on_time = found().at("2021-11-25T00:00:00+08:00", "unit", notified("nvdb")).build();
    let mut findings = check(&late, PACK, "2021-12-22T00:00:00+08:00");
    findings.extend(check(&missed, PACK, "2021-12-22T00:00:00+08:00"));
    findings.extend(check(&on_time, PACK, "2021-12-22T00:00:00+08:00"));
    let all = history(&findings);
    let unit = all[&vulnrelay_domain::PartyId("unit".into())];
    assert_eq!((unit.on_time, unit.late, unit.missed, unit.open), (1, 1, 1, 0));
    assert_eq!(unit.on_time_rate(), Some(1.0 / 3.0));
}

#[test]
fn a_member_told_by_a_customer_is_bound() {
    let case = world()
        .party("customer", &[], "CN")
        .at("2021-11-24T10:00:00+08:00", "customer", notified("unit"))
        .build();
    let findings = check(&case, PACK, "2021-11-27T00:00:00+08:00");
    let f = one(&findings, RULE, "unit");
    assert_eq!((f.status, f.anchor_at), (Status::Overdue, Some(t("2021-11-24T10:00:00+08:00"))));
    // ... and so is one that learns of the exploitation itself.
    let exploited = world().at("2021-11-24T10:00:00+08:00", "unit", EventKind::Exploited).build();
    assert_eq!(status(&check(&exploited, PACK, "2021-11-25T00:00:00+08:00"), RULE, "unit"), Status::Pending);
}

#[test]
fn a_report_to_a_foreign_regulator_is_not_a_report_to_the_ministry() {
    let case = found()
        .party("foreign-regulator", &[Role::RegulatorPlatform], "US")
        .at("2021-11-24T12:00:00+08:00", "unit", notified("foreign-regulator"))
        .build();
    assert_eq!(status(&check(&case, PACK, "2021-12-22T00:00:00+08:00"), RULE, "unit"), Status::Overdue);
}

#[test]
fn every_message_says_the_deadline_is_an_interpretation() {
    let case = found().build();
    for as_of in ["2021-11-25T00:00:00+08:00", "2021-12-22T00:00:00+08:00"] {
        let findings = check(&case, PACK, as_of);
        let f = one(&findings, RULE, "unit");
        let message = f.message(&case);
        assert!(message.en.contains("the deadline is an interpretation"), "{}", message.en);
        assert!(message.zh.contains("期限系解释"), "{}", message.zh);
        assert!(f.notes(&case).iter().any(|n| n.en.contains("未及时")), "{:?}", f.notes(&case));
    }
    let sanction =
        one(&check(&case, PACK, "2021-12-22T00:00:00+08:00"), RULE, "unit").sanction_marked().unwrap();
    assert!(sanction.en.ends_with("[S]"), "{}", sanction.en);
}

#[test]
fn a_platform_may_set_the_schemes_deadline() {
    use vulnrelay_policy::{Deadline, Interpretation, Settings};
    let case = found().at("2021-11-27T12:00:00+08:00", "unit", notified("nvdb")).build();
    let mut settings = Settings::default();
    settings.deadlines.insert(RULE.into(), Deadline::Days(5));
    let findings = check_settings(&case, PACK, "2021-12-22T00:00:00+08:00", Interpretation::Hours, &settings);
    let f = one(&findings, RULE, "unit");
    assert_eq!((f.status, f.due_at), (Status::Met, Some(t("2021-11-29T00:00:00+08:00"))));
    assert!(f.deadline_configured);
    assert!(f.message(&case).en.contains("deadline set by configuration"), "{}", f.message(&case).en);
    // Without the setting, the 2-day default makes it late.
    assert_eq!(status(&check(&case, PACK, "2021-12-22T00:00:00+08:00"), RULE, "unit"), Status::MetLate);
    // Only a rule that allows it can be configured.
    let mut statutory = Settings::default();
    statutory.deadlines.insert("cn-rmsv-2021/art7-2-report".into(), Deadline::Days(5));
    assert!(statutory.check(&packs(&["cn-rmsv-2021"])).unwrap_err()[0].contains("not configurable"));
}
