//! eu-cra-2024: Art. 14(2) clocks from active exploitation, "unless already provided",
//! the final report anchored on the fix, the application date, and the conflict with
//! CN Art. 9(7).

mod support;

use support::*;
use vulnrelay_domain::{EventKind, NotificationKind, Role};
use vulnrelay_policy::Status;

const PACK: &[&str] = &["eu-cra-2024"];
const EARLY: &str = "eu-cra-2024/art14-2-a-early-warning";
const NOTIFICATION: &str = "eu-cra-2024/art14-2-b-vulnerability-notification";
const FINAL: &str = "eu-cra-2024/art14-2-c-final-report";
const CONFLICT: &str = "eu-cra-2024/conflict-cn-art9-7";

fn world(maker_jurisdiction: &str, markets: &[&str]) -> Story {
    Story::new("Europe/Berlin")
        .party("maker", &[Role::ProductProvider], maker_jurisdiction)
        .party("csirt", &[Role::CsirtCoordinator], "DE")
        .party("enisa", &[Role::Enisa], "GR")
        .party("observer", &[Role::Discoverer], "DE")
        .product("camera", "maker", markets)
}

fn exploited(story: Story) -> Story {
    story.at("2026-10-01T00:00:00Z", "observer", EventKind::Exploited)
}

fn both(story: Story, at: &str, kind: NotificationKind) -> Story {
    story.at(at, "maker", notified_kind("csirt", kind)).at(at, "maker", notified_kind("enisa", kind))
}

#[test]
fn timely_early_warning_and_notification_are_met() {
    let story = exploited(world("DE", &["EU"]));
    let story = both(story, "2026-10-01T10:00:00Z", NotificationKind::EarlyWarning);
    let case = both(story, "2026-10-03T12:00:00Z", NotificationKind::VulnerabilityNotification).build();
    let findings = check(&case, PACK, "2026-10-05T00:00:00Z");
    let early = one(&findings, EARLY, "maker");
    assert_eq!((early.status, early.due_at), (Status::Met, Some(t("2026-10-02T00:00:00Z"))));
    assert_eq!(early.evidence, vec![0, 1, 2]);
    assert_eq!(status(&findings, NOTIFICATION, "maker"), Status::Met);
    assert_eq!(status(&findings, FINAL, "maker"), Status::NotStarted);
}

#[test]
fn both_csirt_and_enisa_must_be_notified() {
    let case = exploited(world("DE", &["EU"]))
        .at("2026-10-01T10:00:00Z", "maker", notified_kind("csirt", NotificationKind::EarlyWarning))
        .build();
    let findings = check(&case, PACK, "2026-10-01T12:00:00Z");
    assert_eq!(status(&findings, EARLY, "maker"), Status::Pending);
    let findings = check(&case, PACK, "2026-10-02T06:00:00Z");
    let f = one(&findings, EARLY, "maker");
    assert_eq!((f.status, f.late_by_hours), (Status::Overdue, Some(6.0)));
    // The satisfaction time is when the second recipient was told.
    let completed = exploited(world("DE", &["EU"]))
        .at("2026-10-01T10:00:00Z", "maker", notified_kind("csirt", NotificationKind::EarlyWarning))
        .at("2026-10-02T03:00:00Z", "maker", notified_kind("enisa", NotificationKind::EarlyWarning))
        .build();
    let f = check(&completed, PACK, "2026-10-05T00:00:00Z");
    let early = one(&f, EARLY, "maker");
    assert_eq!((early.status, early.late_by_hours), (Status::MetLate, Some(3.0)));
    assert_eq!(early.satisfied_at, Some(t("2026-10-02T03:00:00Z")));
}

#[test]
fn a_later_kind_sent_in_time_satisfies_an_earlier_one() {
    let case = both(
        exploited(world("DE", &["EU"])),
        "2026-10-01T20:00:00Z",
        NotificationKind::VulnerabilityNotification,
    )
    .build();
    let findings = check(&case, PACK, "2026-10-05T00:00:00Z");
    assert_eq!(status(&findings, EARLY, "maker"), Status::Met);
    assert_eq!(status(&findings, NOTIFICATION, "maker"), Status::Met);
}

#[test]
fn a_later_kind_sent_after_the_early_deadline_is_late_for_it() {
    let case = both(
        exploited(world("DE", &["EU"])),
        "2026-10-02T06:00:00Z",
        NotificationKind::VulnerabilityNotification,
    )
    .build();
    let findings = check(&case, PACK, "2026-10-05T00:00:00Z");
    let early = one(&findings, EARLY, "maker");
    assert_eq!((early.status, early.late_by_hours), (Status::MetLate, Some(6.0)));
    assert_eq!(status(&findings, NOTIFICATION, "maker"), Status::Met);
}

#[test]
fn an_earlier_kind_does_not_satisfy_a_later_one() {
    let case =
        both(exploited(world("DE", &["EU"])), "2026-10-01T02:00:00Z", NotificationKind::EarlyWarning).build();
    let findings = check(&case, PACK, "2026-10-05T00:00:00Z");
    assert_eq!(status(&findings, EARLY, "maker"), Status::Met);
    let f = one(&findings, NOTIFICATION, "maker");
    assert_eq!((f.status, f.due_at), (Status::Overdue, Some(t("2026-10-04T00:00:00Z"))));
}

#[test]
fn the_final_report_runs_from_the_fix() {
    let fixed = |report: Option<&str>| {
        let story = exploited(world("DE", &["EU"])).at("2026-10-05T00:00:00Z", "maker", fix());
        match report {
            Some(at) => both(story, at, NotificationKind::FinalReport),
            None => story,
        }
        .build()
    };
    let unreported = fixed(None);
    let findings = check(&unreported, PACK, "2026-10-10T00:00:00Z");
    let f = one(&findings, FINAL, "maker");
    assert_eq!((f.status, f.anchor_at), (Status::Pending, Some(t("2026-10-05T00:00:00Z"))));
    assert_eq!(f.due_at, Some(t("2026-10-19T00:00:00Z")));
    assert_eq!(status(&check(&unreported, PACK, "2026-10-20T00:00:00Z"), FINAL, "maker"), Status::Overdue);
    let on_time = fixed(Some("2026-10-15T00:00:00Z"));
    let findings = check(&on_time, PACK, "2026-10-20T00:00:00Z");
    assert_eq!(status(&findings, FINAL, "maker"), Status::Met);
    // A final report also carries everything the earlier stages needed, but it came late for them.
    assert_eq!(status(&findings, EARLY, "maker"), Status::MetLate);
}

#[test]
fn a_fix_before_exploitation_starts_the_final_report_clock_at_the_exploitation() {
    let case = world("DE", &["EU"])
        .at("2026-09-20T00:00:00Z", "maker", fix())
        .at("2026-10-01T00:00:00Z", "observer", EventKind::Exploited)
        .build();
    let findings = check(&case, PACK, "2026-10-02T00:00:00Z");
    let f = one(&findings, FINAL, "maker");
    assert_eq!(f.anchor_at, Some(t("2026-10-01T00:00:00Z")));
    assert_eq!(f.due_at, Some(t("2026-10-15T00:00:00Z")));
}

#[test]
fn no_clock_without_exploitation_before_the_application_date_or_off_the_eu_market() {
    let quiet = world("DE", &["EU"]).at("2026-10-01T00:00:00Z", "maker", EventKind::Aware).build();
    assert!(check(&quiet, PACK, "2026-12-01T00:00:00Z").is_empty());
    let early = world("DE", &["EU"]).at("2026-09-10T12:00:00Z", "observer", EventKind::Exploited).build();
    assert!(check(&early, PACK, "2026-12-01T00:00:00Z").is_empty());
    let from_day_one =
        world("DE", &["EU"]).at("2026-09-11T00:30:00+02:00", "observer", EventKind::Exploited).build();
    assert_eq!(status(&check(&from_day_one, PACK, "2026-12-01T00:00:00Z"), EARLY, "maker"), Status::Overdue);
    let elsewhere = exploited(world("DE", &["US", "CN"])).build();
    assert!(check(&elsewhere, PACK, "2026-12-01T00:00:00Z").is_empty());
    assert!(check(&exploited(world("DE", &["EU"])).build(), PACK, "2026-09-30T23:59:59Z").is_empty());
}

#[test]
fn a_cn_manufacturer_owing_eu_notifications_while_undisclosed_gets_a_conflict() {
    let case = exploited(world("CN", &["CN", "EU"])).build();
    let findings = check(&case, &["cn-rmsv-2021", "eu-cra-2024"], "2026-10-01T12:00:00Z");
    let f = one(&findings, CONFLICT, "maker");
    assert_eq!(f.status, Status::Conflict);
    assert_eq!(
        f.related_rule_ids(),
        vec![EARLY.to_owned(), NOTIFICATION.to_owned(), "cn-rmsv-2021/art9-7-overseas".to_owned()]
    );
    assert!(f.message(&case).en.contains("legal review"), "{}", f.message(&case).en);
    // Without the CN pack there is nothing to conflict with.
    none(&check(&case, PACK, "2026-10-01T12:00:00Z"), CONFLICT, "maker");
    // A manufacturer outside China has no such conflict.
    let german = exploited(world("DE", &["CN", "EU"])).build();
    none(&check(&german, &["cn-rmsv-2021", "eu-cra-2024"], "2026-10-01T12:00:00Z"), CONFLICT, "maker");
}

#[test]
fn no_conflict_once_the_vulnerability_is_public() {
    let case = world("CN", &["CN", "EU"])
        .at("2026-09-30T00:00:00Z", "maker", fix())
        .at("2026-09-30T01:00:00Z", "maker", published(true, false))
        .at("2026-10-01T00:00:00Z", "observer", EventKind::Exploited)
        .build();
    none(&check(&case, &["cn-rmsv-2021", "eu-cra-2024"], "2026-10-01T12:00:00Z"), CONFLICT, "maker");
}

#[test]
fn a_cn_manufacturer_notifying_the_eu_bodies_before_disclosure_breaks_art_9_7() {
    let case =
        both(exploited(world("CN", &["CN", "EU"])), "2026-10-01T02:00:00Z", NotificationKind::EarlyWarning)
            .build();
    let findings = check(&case, &["cn-rmsv-2021", "eu-cra-2024"], "2026-10-01T12:00:00Z");
    assert_eq!(status(&findings, EARLY, "maker"), Status::Met);
    assert_eq!(of(&findings, "cn-rmsv-2021/art9-7-overseas", "maker").len(), 2);
    assert!(
        of(&findings, "cn-rmsv-2021/art9-7-overseas", "maker").iter().all(|f| f.status == Status::Violated)
    );
    assert_eq!(status(&findings, CONFLICT, "maker"), Status::Conflict);
}
