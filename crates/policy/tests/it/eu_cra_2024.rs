//! eu-cra-2024: Art. 14(2) clocks from the manufacturer's own awareness of active
//! exploitation, "unless already provided", the final report anchored on the fix, the
//! application date at the manufacturer's own trigger, member-state markets, the
//! Art. 14(4) incident clocks, 14(8), and the conflict with CN Art. 9(7).

use crate::support::*;
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

/// The observer tells the manufacturer that the camera is being exploited: the
/// manufacturer becomes aware of the active exploitation then.
fn exploited(story: Story) -> Story {
    story.at("2026-10-01T00:00:00Z", "observer", told_exploited("maker"))
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
        .at("2026-10-01T00:00:00Z", "maker", EventKind::Exploited)
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
    let early = world("DE", &["EU"]).at("2026-09-10T12:00:00Z", "maker", EventKind::Exploited).build();
    assert!(check(&early, PACK, "2026-12-01T00:00:00Z").is_empty());
    let from_day_one =
        world("DE", &["EU"]).at("2026-09-11T00:30:00+02:00", "maker", EventKind::Exploited).build();
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
        .at("2026-10-01T00:00:00Z", "maker", EventKind::Exploited)
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

#[test]
fn a_third_partys_sighting_before_the_manufacturers_awareness_does_not_make_it_late() {
    // The observer sees the exploitation at 00:00 and tells the manufacturer at 02:00:
    // the 24 hours run from 02:00.
    let story = world("DE", &["EU"]).at("2026-10-01T00:00:00Z", "observer", EventKind::Exploited).at(
        "2026-10-01T02:00:00Z",
        "observer",
        told_exploited("maker"),
    );
    let case = both(story, "2026-10-02T01:00:00Z", NotificationKind::EarlyWarning).build();
    let findings = check(&case, PACK, "2026-10-02T12:00:00Z");
    let early = one(&findings, EARLY, "maker");
    assert_eq!(early.anchor_at, Some(t("2026-10-01T02:00:00Z")));
    assert_eq!((early.status, early.due_at), (Status::Met, Some(t("2026-10-02T02:00:00Z"))));
    // The manufacturer's own sighting starts it too.
    let own = world("DE", &["EU"]).at("2026-10-01T05:00:00Z", "maker", EventKind::Exploited).build();
    assert_eq!(
        one(&check(&own, PACK, "2026-10-01T06:00:00Z"), EARLY, "maker").due_at,
        Some(t("2026-10-02T05:00:00Z"))
    );
}

#[test]
fn a_manufacturer_that_never_learns_has_no_running_clock() {
    let case = world("DE", &["EU"]).at("2026-10-01T00:00:00Z", "observer", EventKind::Exploited).build();
    let findings = check(&case, PACK, "2026-12-01T00:00:00Z");
    for rule in [EARLY, NOTIFICATION, FINAL] {
        let f = one(&findings, rule, "maker");
        assert_eq!((f.status, f.due_at, f.anchor_at), (Status::NotStarted, None, None), "{rule}");
        assert!(!f.status.is_problem());
    }
    // The message says what to record: old case files that meant the sighting as the
    // manufacturer's awareness learn how to say so.
    let message = one(&findings, EARLY, "maker").message(&case).en;
    assert!(message.contains("nothing on record shows maker is aware of it"), "{message}");
    assert!(message.contains("`exploited: true`"), "{message}");
    // A notification to the manufacturer that does not mention exploitation is not awareness of it.
    let told = world("DE", &["EU"])
        .at("2026-10-01T00:00:00Z", "observer", EventKind::Exploited)
        .at("2026-10-01T01:00:00Z", "observer", notified("maker"))
        .build();
    assert_eq!(status(&check(&told, PACK, "2026-12-01T00:00:00Z"), EARLY, "maker"), Status::NotStarted);
}

#[test]
fn exploitation_before_the_application_date_and_awareness_after_binds_the_manufacturer() {
    // Art. 71(2): Art. 14 applies from 11 September 2026. The observer's sighting in
    // August does not decide; the manufacturer's awareness in September does.
    let case = world("DE", &["EU"])
        .at("2026-08-20T00:00:00Z", "observer", EventKind::Exploited)
        .at("2026-09-15T00:00:00Z", "observer", told_exploited("maker"))
        .build();
    let findings = check(&case, PACK, "2026-09-20T00:00:00Z");
    let f = one(&findings, EARLY, "maker");
    assert_eq!((f.status, f.anchor_at), (Status::Overdue, Some(t("2026-09-15T00:00:00Z"))));
    // Awareness before the date: not bound.
    let before = world("DE", &["EU"]).at("2026-09-10T00:00:00Z", "observer", told_exploited("maker")).build();
    none(&check(&before, PACK, "2026-09-20T00:00:00Z"), EARLY, "maker");
}

#[test]
fn a_us_manufacturer_on_the_german_and_french_markets_is_on_the_eu_market() {
    let case = exploited(world("US", &["DE", "FR"])).build();
    let findings = check(&case, PACK, "2026-10-02T06:00:00Z");
    assert_eq!(status(&findings, EARLY, "maker"), Status::Overdue);
    let sanction = one(&findings, EARLY, "maker").sanction_marked().unwrap();
    assert!(sanction.en.starts_with("Art. 64(2)") && sanction.en.ends_with("[V]"), "{}", sanction.en);
    // Switzerland and Norway are not member states.
    assert!(check(&exploited(world("US", &["CH", "NO"])).build(), PACK, "2026-10-02T06:00:00Z").is_empty());
}

#[test]
fn the_cn_calendar_day_switch_does_not_reread_the_cras_14_days() {
    let case = exploited(world("DE", &["EU"])).at("2026-10-05T10:00:00Z", "maker", fix()).build();
    let findings =
        check_with(&case, PACK, "2026-10-06T00:00:00Z", vulnrelay_policy::Interpretation::CalendarDays);
    let f = one(&findings, FINAL, "maker");
    assert_eq!(f.due_at, Some(t("2026-10-19T10:00:00Z")));
    assert_eq!(f.interpretation, Some(vulnrelay_policy::Interpretation::Hours));
}

const INCIDENT_EARLY: &str = "eu-cra-2024/art14-4-a-incident-early-warning";
const INCIDENT_NOTIFICATION: &str = "eu-cra-2024/art14-4-b-incident-notification";
const INCIDENT_FINAL: &str = "eu-cra-2024/art14-4-c-incident-final-report";

#[test]
fn a_severe_incident_runs_24_hours_72_hours_and_one_month_from_the_notification() {
    let incident =
        world("DE", &["EU"]).at("2026-10-30T08:00:00Z", "maker", EventKind::Incident { severe: true });
    let story = both(incident, "2026-10-31T07:00:00Z", NotificationKind::IncidentEarlyWarning);
    let case = both(story, "2026-11-01T12:00:00Z", NotificationKind::IncidentNotification).build();
    let findings = check(&case, PACK, "2026-11-15T00:00:00Z");
    assert_eq!(status(&findings, INCIDENT_EARLY, "maker"), Status::Met);
    let f = one(&findings, INCIDENT_NOTIFICATION, "maker");
    assert_eq!((f.status, f.due_at), (Status::Met, Some(t("2026-11-02T08:00:00Z"))));
    // Art. 14(4)(c): one month after the submission of the incident notification.
    let f = one(&findings, INCIDENT_FINAL, "maker");
    assert_eq!(f.anchor_at, Some(t("2026-11-01T12:00:00Z")));
    assert_eq!((f.status, f.due_at), (Status::Pending, Some(t("2026-12-01T12:00:00Z"))));
    assert_eq!(status(&check(&case, PACK, "2026-12-02T00:00:00Z"), INCIDENT_FINAL, "maker"), Status::Overdue);
    // Before the notification, the final report's clock has not started.
    let early = both(
        world("DE", &["EU"]).at("2026-10-30T08:00:00Z", "maker", EventKind::Incident { severe: true }),
        "2026-10-31T07:00:00Z",
        NotificationKind::IncidentEarlyWarning,
    )
    .build();
    assert_eq!(
        status(&check(&early, PACK, "2026-11-01T00:00:00Z"), INCIDENT_FINAL, "maker"),
        Status::NotStarted
    );
    // A vulnerability's early warning is not an incident's.
    let wrong = both(
        world("DE", &["EU"]).at("2026-10-30T08:00:00Z", "maker", EventKind::Incident { severe: true }),
        "2026-10-31T07:00:00Z",
        NotificationKind::EarlyWarning,
    )
    .build();
    assert_eq!(
        status(&check(&wrong, PACK, "2026-11-01T00:00:00Z"), INCIDENT_EARLY, "maker"),
        Status::Overdue
    );
}

#[test]
fn an_incident_that_is_not_severe_starts_no_clock() {
    let case = world("DE", &["EU"])
        .at("2026-10-30T08:00:00Z", "maker", EventKind::Incident { severe: false })
        .build();
    assert!(check(&case, PACK, "2026-12-01T00:00:00Z").is_empty());
}

#[test]
fn impacted_users_must_be_informed() {
    let rule = "eu-cra-2024/art14-8-inform-users";
    let silent = exploited(world("DE", &["EU"])).build();
    let f = check(&silent, PACK, "2026-10-05T00:00:00Z");
    assert_eq!((one(&f, rule, "maker").status, one(&f, rule, "maker").due_at), (Status::Pending, None));
    let told = exploited(world("DE", &["EU"]).party("user", &[Role::ProductUser], "FR"))
        .at("2026-10-01T03:00:00Z", "maker", notified("user"))
        .build();
    assert_eq!(status(&check(&told, PACK, "2026-10-05T00:00:00Z"), rule, "maker"), Status::Met);
}

/// Regulation (EEC, Euratom) No 1182/71, by analogy, for the CRA's periods: Art. 3(1)
/// "the day during which that event occurs ... shall not be considered as falling
/// within the period"; Art. 3(2)(c) a month ends on the day with the same date, or the
/// month's last day; Art. 3(4) "where the last day of a period expressed otherwise than
/// in hours is a public holiday, Sunday or Saturday, the period shall end with the
/// expiry of the last hour of the following working day".
fn eu_periods<'a>(case: &'a vulnrelay_domain::Case, as_of: &str) -> Vec<vulnrelay_policy::Finding<'a>> {
    let mut settings = vulnrelay_policy::Settings::default();
    settings.interpretations.insert("eu-cra-2024".into(), vulnrelay_policy::Interpretation::EuPeriods);
    check_settings(case, PACK, as_of, vulnrelay_policy::Interpretation::Hours, &settings)
}

#[test]
fn under_regulation_1182_71_the_final_report_is_due_at_the_end_of_the_14th_day() {
    // Fix on Friday 2 October (Berlin): the 14 days run 3–16 October, a Friday; due at
    // 24:00 on the 16th.
    let friday = exploited(world("DE", &["EU"])).at("2026-10-02T10:00:00+02:00", "maker", fix()).build();
    let findings = eu_periods(&friday, "2026-10-03T00:00:00Z");
    let f = one(&findings, FINAL, "maker");
    assert_eq!(f.due_at, Some(t("2026-10-17T00:00:00+02:00")));
    assert_eq!(f.interpretation, Some(vulnrelay_policy::Interpretation::EuPeriods));
    assert!(
        f.message(&friday).en.contains("14 days read under Regulation No 1182/71"),
        "{}",
        f.message(&friday).en
    );
    // Fix on Saturday 3 October: the 14th day is Saturday 17 October, so the period
    // ends with Monday 19 October.
    let saturday = exploited(world("DE", &["EU"])).at("2026-10-03T10:00:00+02:00", "maker", fix()).build();
    let findings = eu_periods(&saturday, "2026-10-04T00:00:00Z");
    assert_eq!(one(&findings, FINAL, "maker").due_at, Some(t("2026-10-20T00:00:00+02:00")));
    // The 24- and 72-hour clocks are periods in hours: unchanged.
    assert_eq!(one(&findings, EARLY, "maker").due_at, Some(t("2026-10-02T00:00:00Z")));
}

#[test]
fn under_regulation_1182_71_a_month_ends_on_the_same_date_or_the_months_last_day() {
    // Incident notification on Saturday 31 October: one month ends with 30 November
    // (no 31st), a Monday, at 24:00 (case time zone: Berlin).
    let incident =
        world("DE", &["EU"]).at("2026-10-30T08:00:00Z", "maker", EventKind::Incident { severe: true });
    let case = both(incident, "2026-10-31T12:00:00Z", NotificationKind::IncidentNotification).build();
    let findings = eu_periods(&case, "2026-11-02T00:00:00Z");
    let f = one(&findings, INCIDENT_FINAL, "maker");
    assert_eq!(f.due_at, Some(t("2026-12-01T00:00:00+01:00")));
    // The default reading: one month to the minute.
    let f = check(&case, PACK, "2026-11-02T00:00:00Z");
    assert_eq!(one(&f, INCIDENT_FINAL, "maker").due_at, Some(t("2026-11-30T12:00:00Z")));
}
