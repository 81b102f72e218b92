//! cn-rmsv-2021: the statutory duties of Art. 7 and the publication gates of Art. 9,
//! each on time, late, missing, not bound and not yet started.

use crate::support::*;
use vulnrelay_domain::{EventKind, PartyId, Role};
use vulnrelay_policy::{Interpretation, Status};

const PACK: &[&str] = &["cn-rmsv-2021"];
const REPORT: &str = "cn-rmsv-2021/art7-2-report";

/// A CN vendor with a product, the MIIT platform, a CN researcher, an overseas CERT,
/// and the MPS.
fn world() -> Story {
    Story::new("Asia/Shanghai")
        .party("acme", &[Role::ProductProvider], "CN")
        .party("nvdb", &[Role::RegulatorPlatform], "CN")
        .party("finder", &[Role::Discoverer], "CN")
        .party("foreign-cert", &[Role::CsirtCoordinator], "DE")
        .party("mps", &[Role::PublicSecurity], "CN")
        .party("user-co", &[Role::ProductUser], "CN")
        .product("router", "acme", &["CN"])
}

#[test]
fn report_within_two_days_is_met() {
    let case = world()
        .at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered)
        .at("2024-03-03T09:00:00+08:00", "acme", notified("nvdb"))
        .build();
    let findings = check(&case, PACK, "2024-03-10T00:00:00+08:00");
    let f = one(&findings, REPORT, "acme");
    assert_eq!(f.status, Status::Met);
    assert_eq!(f.due_at, Some(t("2024-03-03T10:00:00+08:00")));
    assert_eq!(f.satisfied_at, Some(t("2024-03-03T09:00:00+08:00")));
    assert_eq!(f.late_by_hours, None);
    assert_eq!(f.evidence, vec![0, 1]);
    assert_eq!(f.interpretation, Some(Interpretation::Hours));
}

#[test]
fn report_at_exactly_48_hours_is_on_time() {
    let case = world()
        .at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered)
        .at("2024-03-03T10:00:00+08:00", "acme", notified("nvdb"))
        .build();
    assert_eq!(status(&check(&case, PACK, "2024-03-10T00:00:00Z"), REPORT, "acme"), Status::Met);
}

#[test]
fn late_report_is_met_late_with_hours() {
    let case = world()
        .at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered)
        .at("2024-03-03T11:30:00+08:00", "acme", notified("nvdb"))
        .build();
    let findings = check(&case, PACK, "2024-03-10T00:00:00Z");
    let f = one(&findings, REPORT, "acme");
    assert_eq!(f.status, Status::MetLate);
    assert_eq!(f.late_by_hours, Some(1.5));
    assert!(f.message(&case).en.contains("met late"), "{}", f.message(&case).en);
    assert!(f.message(&case).zh.contains("逾期履行"), "{}", f.message(&case).zh);
}

#[test]
fn missing_report_is_pending_then_overdue() {
    let case = world().at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered).build();
    let pending = check(&case, PACK, "2024-03-02T10:00:00+08:00");
    assert_eq!(status(&pending, REPORT, "acme"), Status::Pending);
    let overdue = check(&case, PACK, "2024-03-05T10:00:00+08:00");
    let f = one(&overdue, REPORT, "acme");
    assert_eq!(f.status, Status::Overdue);
    assert_eq!(f.late_by_hours, Some(48.0));
    assert_eq!(f.satisfied_at, None);
}

#[test]
fn report_to_someone_else_does_not_count() {
    let case = world()
        .at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered)
        .at("2024-03-01T11:00:00+08:00", "acme", notified("mps"))
        .build();
    assert_eq!(status(&check(&case, PACK, "2024-03-05T00:00:00Z"), REPORT, "acme"), Status::Overdue);
}

#[test]
fn report_by_another_party_does_not_discharge_the_provider() {
    let case = world()
        .at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered)
        .at("2024-03-01T11:00:00+08:00", "finder", notified("nvdb"))
        .build();
    assert_eq!(status(&check(&case, PACK, "2024-03-05T00:00:00Z"), REPORT, "acme"), Status::Overdue);
}

#[test]
fn being_told_starts_the_providers_clock() {
    let case = world()
        .at("2024-03-01T10:00:00+08:00", "finder", EventKind::Discovered)
        .at("2024-03-01T12:00:00+08:00", "finder", notified("acme"))
        .build();
    let findings = check(&case, PACK, "2024-03-02T00:00:00+08:00");
    let f = one(&findings, REPORT, "acme");
    assert_eq!(f.anchor_at, Some(t("2024-03-01T12:00:00+08:00")));
    assert_eq!(f.due_at, Some(t("2024-03-03T12:00:00+08:00")));
    // The finder is not the provider: Art. 7 does not bind it (only encourages it).
    none(&findings, REPORT, "finder");
}

/// A provider the regulator platform told of a vulnerability in its product.
fn told_by_the_platform(report_back_at: Option<&str>) -> vulnrelay_domain::Case {
    let story = world()
        .at("2024-03-01T10:00:00+08:00", "finder", EventKind::Discovered)
        .at("2024-03-01T11:00:00+08:00", "finder", notified("nvdb"))
        .at("2024-03-01T12:00:00+08:00", "nvdb", notified("acme"));
    match report_back_at {
        Some(at) => story.at(at, "acme", notified("nvdb")).build(),
        None => story.build(),
    }
}

#[test]
fn a_report_back_to_the_platform_that_told_the_provider_is_left_to_review_unless_in_time() {
    // Nothing reported back: whether the law asks for it is a person's call, before the
    // deadline and after it.
    for as_of in ["2024-03-02T00:00:00+08:00", "2024-03-10T00:00:00+08:00"] {
        let case = told_by_the_platform(None);
        let findings = check(&case, PACK, as_of);
        let f = one(&findings, REPORT, "acme");
        assert_eq!((f.status, f.late_by_hours, f.satisfied_at), (Status::NeedsReview, None, None), "{as_of}");
    }
    // Reported back in time: met, whichever way the review would go.
    let case = told_by_the_platform(Some("2024-03-02T09:00:00+08:00"));
    let findings = check(&case, PACK, "2024-03-10T00:00:00+08:00");
    assert_eq!(status(&findings, REPORT, "acme"), Status::Met);
    // Reported back after the deadline: not "met late" under a clock whose application
    // the law leaves open, but still the review's, with the report as its evidence.
    let case = told_by_the_platform(Some("2024-03-04T12:00:00+08:00"));
    let findings = check(&case, PACK, "2024-03-10T00:00:00+08:00");
    let f = one(&findings, REPORT, "acme");
    assert_eq!(f.status, Status::NeedsReview);
    assert_eq!(f.late_by_hours, None);
    assert_eq!(f.due_at, Some(t("2024-03-03T12:00:00+08:00")));
    assert_eq!(f.satisfied_at, Some(t("2024-03-04T12:00:00+08:00")));
    assert!(f.evidence.contains(&3), "{:?}", f.evidence);
    let message = f.message(&case);
    assert!(
        message.en.contains("reported 2024-03-04 12:00 +08:00, after the 2024-03-03 12:00 +08:00"),
        "{}",
        message.en
    );
    assert!(message.en.contains("does not say"), "{}", message.en);
    assert!(message.zh.contains("晚于时限"), "{}", message.zh);
}

#[test]
fn overseas_provider_is_not_bound() {
    let case = Story::new("Asia/Shanghai")
        .party("apache", &[Role::ProductProvider], "US")
        .party("nvdb", &[Role::RegulatorPlatform], "CN")
        .product("log4j", "apache", &["CN", "US"])
        .at("2024-03-01T10:00:00+08:00", "apache", EventKind::Aware)
        .build();
    let findings = check(&case, PACK, "2024-03-10T00:00:00Z");
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn nothing_before_the_trigger() {
    let case = world().at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered).build();
    assert!(check(&case, PACK, "2024-03-01T09:59:59+08:00").is_empty());
}

#[test]
fn calendar_days_run_to_the_end_of_the_second_day_in_the_case_time_zone() {
    // Found at 23:30 on 1 March (Beijing time): 48 h ends 23:30 on 3 March; the
    // calendar-day reading ends at 24:00 on 3 March.
    let case = world()
        .at("2024-03-01T23:30:00+08:00", "acme", EventKind::Discovered)
        .at("2024-03-03T23:45:00+08:00", "acme", notified("nvdb"))
        .build();
    let hours = check_with(&case, PACK, "2024-03-10T00:00:00Z", Interpretation::Hours);
    let f = one(&hours, REPORT, "acme");
    assert_eq!((f.status, f.late_by_hours), (Status::MetLate, Some(0.25)));
    let days = check_with(&case, PACK, "2024-03-10T00:00:00Z", Interpretation::CalendarDays);
    let f = one(&days, REPORT, "acme");
    assert_eq!(f.status, Status::Met);
    assert_eq!(f.due_at, Some(t("2024-03-04T00:00:00+08:00")));
    assert_eq!(f.interpretation, Some(Interpretation::CalendarDays));
}

#[test]
fn calendar_days_just_after_midnight_give_almost_three_days() {
    let case = world()
        .at("2024-03-01T00:10:00+08:00", "acme", EventKind::Discovered)
        .at("2024-03-03T12:00:00+08:00", "acme", notified("nvdb"))
        .build();
    let hours = check_with(&case, PACK, "2024-03-10T00:00:00Z", Interpretation::Hours);
    assert_eq!(one(&hours, REPORT, "acme").late_by_hours, Some(11.83));
    let days = check_with(&case, PACK, "2024-03-10T00:00:00Z", Interpretation::CalendarDays);
    assert_eq!(status(&days, REPORT, "acme"), Status::Met);
}

#[test]
fn calendar_days_end_at_midnight_beijing_time_whatever_the_case_time_zone() {
    // 2024-03-01T20:00Z is 04:00 on 2 March in Beijing, but still 1 March in UTC and in
    // Berlin. "2日" counted in calendar days ends at 24:00 on 4 March, Beijing time,
    // for every case: the Provisions count their days in China.
    let story = |tz| {
        Story::new(tz)
            .party("acme", &[Role::ProductProvider], "CN")
            .party("nvdb", &[Role::RegulatorPlatform], "CN")
            .product("router", "acme", &["CN"])
            .at("2024-03-01T20:00:00Z", "acme", EventKind::Discovered)
            .build()
    };
    let due = |tz| {
        let case = story(tz);
        let findings = check_with(&case, PACK, "2024-03-02T00:00:00Z", Interpretation::CalendarDays);
        one(&findings, REPORT, "acme").due_at.unwrap()
    };
    assert_eq!(due("Asia/Shanghai"), t("2024-03-05T00:00:00+08:00"));
    assert_eq!(due("UTC"), t("2024-03-05T00:00:00+08:00"));
    assert_eq!(due("Europe/Berlin"), t("2024-03-05T00:00:00+08:00"));
    // The reading is named in the message and the notes.
    let case = story("UTC");
    let findings = check_with(&case, PACK, "2024-03-02T00:00:00Z", Interpretation::CalendarDays);
    let f = one(&findings, REPORT, "acme");
    assert!(f.message(&case).en.contains("2 days read as calendar days"), "{}", f.message(&case).en);
    assert!(f.notes(&case).iter().any(|n| n.en.contains("Asia/Shanghai")), "{:?}", f.notes(&case));
}

#[test]
fn the_default_reading_is_marked_as_an_interpretation() {
    let case = world().at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered).build();
    let findings = check(&case, PACK, "2024-03-02T00:00:00+08:00");
    let f = one(&findings, REPORT, "acme");
    assert!(
        f.message(&case).en.contains("2 days read as 48 h, an interpretation"),
        "{}",
        f.message(&case).en
    );
    assert!(f.message(&case).zh.contains("2日按48小时计"), "{}", f.message(&case).zh);
}

#[test]
fn interpretations_are_per_instrument() {
    use vulnrelay_policy::Settings;
    let case = world().at("2024-03-01T23:30:00+08:00", "acme", EventKind::Discovered).build();
    let mut settings = Settings::default();
    settings.interpretations.insert("cn-rmsv-2021".into(), Interpretation::CalendarDays);
    let findings = check_settings(&case, PACK, "2024-03-02T00:00:00Z", Interpretation::Hours, &settings);
    let f = one(&findings, REPORT, "acme");
    assert_eq!(
        (f.due_at, f.interpretation),
        (Some(t("2024-03-04T00:00:00+08:00")), Some(Interpretation::CalendarDays))
    );
    // A pack cannot be asked for a reading it does not offer.
    let mut cra = Settings::default();
    cra.interpretations.insert("eu-cra-2024".into(), Interpretation::CalendarDays);
    let problems = cra.check(&packs(&["eu-cra-2024"])).unwrap_err();
    assert!(
        problems[0].contains("`calendar-days` is not offered (offered: hours, eu-1182-71)"),
        "{problems:?}"
    );
    let mut unknown = Settings::default();
    unknown.interpretations.insert("cn-2099".into(), Interpretation::Hours);
    assert!(unknown.check(&packs(PACK)).unwrap_err()[0].contains("no such policy"));
}

#[test]
fn verification_is_immediate_met_or_pending_never_late() {
    let rule = "cn-rmsv-2021/art7-1-verify";
    let unverified = world().at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered).build();
    let f = check(&unverified, PACK, "2025-01-01T00:00:00Z");
    let finding = one(&f, rule, "acme");
    assert_eq!((finding.status, finding.due_at), (Status::Pending, None));
    assert!(finding.message(&unverified).en.contains("immediately"), "{}", finding.message(&unverified).en);
    let verified = world()
        .at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered)
        .at("2024-03-20T10:00:00+08:00", "acme", EventKind::Verified)
        .build();
    assert_eq!(status(&check(&verified, PACK, "2025-01-01T00:00:00Z"), rule, "acme"), Status::Met);
    none(&check(&verified, PACK, "2025-01-01T00:00:00Z"), rule, "finder");
}

/// acme's router contains libfoo, maintained overseas by foo-project.
fn upstream_world() -> Story {
    world()
        .party("foo-project", &[Role::ProductProvider], "US")
        .product("libfoo", "foo-project", &["CN", "US"])
        .upstream("router", "libfoo")
}

#[test]
fn downstream_provider_must_notify_the_upstream_provider() {
    let rule = "cn-rmsv-2021/art7-1-upstream";
    let silent =
        upstream_world().on("2024-03-01T10:00:00+08:00", "acme", "libfoo", EventKind::Discovered).build();
    let findings = check(&silent, PACK, "2024-04-01T00:00:00Z");
    assert_eq!(status(&findings, rule, "acme"), Status::Pending);
    none(&findings, rule, "foo-project");
    // The downstream provider's own product is affected, so 7(2) binds it as well.
    assert_eq!(status(&findings, REPORT, "acme"), Status::Overdue);

    let told = upstream_world()
        .on("2024-03-01T10:00:00+08:00", "acme", "libfoo", EventKind::Discovered)
        .on("2024-03-01T11:00:00+08:00", "acme", "libfoo", notified("foo-project"))
        .build();
    let findings = check(&told, PACK, "2024-04-01T00:00:00Z");
    assert_eq!(status(&findings, rule, "acme"), Status::Met);
    // ... and telling the overseas maintainer is allowed by Art. 9(7).
    let gate = one(&findings, "cn-rmsv-2021/art9-7-overseas", "acme");
    assert_eq!(gate.status, Status::Met);
    assert!(
        gate.message(&told).en.contains("the recipient is the product's provider"),
        "{}",
        gate.message(&told).en
    );
}

#[test]
fn users_must_be_told_once_a_fix_exists() {
    let rule = "cn-rmsv-2021/art7-3-inform-users";
    let no_fix = world().at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered).build();
    none(&check(&no_fix, PACK, "2024-04-01T00:00:00Z"), rule, "acme");

    let base = || {
        world().at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered).at(
            "2024-03-05T10:00:00+08:00",
            "acme",
            fix(),
        )
    };
    let silent = base().build();
    assert_eq!(status(&check(&silent, PACK, "2024-04-01T00:00:00Z"), rule, "acme"), Status::Pending);
    let bare = base().at("2024-03-06T10:00:00+08:00", "acme", published(false, false)).build();
    assert_eq!(status(&check(&bare, PACK, "2024-04-01T00:00:00Z"), rule, "acme"), Status::Pending);
    let advisory = base().at("2024-03-06T10:00:00+08:00", "acme", published(true, false)).build();
    assert_eq!(status(&check(&advisory, PACK, "2024-04-01T00:00:00Z"), rule, "acme"), Status::Met);
    let direct = base().at("2024-03-06T10:00:00+08:00", "acme", notified("user-co")).build();
    let f = check(&direct, PACK, "2024-04-01T00:00:00Z");
    assert_eq!(one(&f, rule, "acme").satisfied_at, Some(t("2024-03-06T10:00:00+08:00")));
    // Only the provider owes it.
    none(&f, rule, "finder");
    none(&f, rule, "user-co");
}

#[test]
fn overseas_publishers_are_not_bound_by_the_publication_gates() {
    let case = world()
        .party("us-researcher", &[Role::Discoverer], "US")
        .at("2024-03-02T10:00:00+08:00", "us-researcher", published(false, true))
        .build();
    let findings = check(&case, PACK, "2024-04-01T00:00:00Z");
    assert!(findings.is_empty(), "{findings:#?}");
}

const PREPUBLICATION: &str = "cn-rmsv-2021/art9-1-prepublication";

#[test]
fn publishing_before_the_fix_is_a_violation() {
    let case = world()
        .at("2024-03-01T10:00:00+08:00", "finder", EventKind::Discovered)
        .at("2024-03-02T10:00:00+08:00", "finder", published(true, false))
        .build();
    let findings = check(&case, PACK, "2024-04-01T00:00:00Z");
    let f = one(&findings, PREPUBLICATION, "finder");
    assert_eq!(f.status, Status::Violated);
    assert_eq!(f.evidence, vec![1]);
    assert!(f.message(&case).en.contains("no fix was available"), "{}", f.message(&case).en);
}

#[test]
fn publishing_after_the_fix_is_allowed() {
    let case = world()
        .at("2024-03-01T10:00:00+08:00", "acme", fix())
        .at("2024-03-02T10:00:00+08:00", "finder", published(true, false))
        .build();
    let findings = check(&case, PACK, "2024-04-01T00:00:00Z");
    let f = one(&findings, PREPUBLICATION, "finder");
    assert_eq!(f.status, Status::Met);
    assert_eq!(f.evidence, vec![0, 1]);
}

/// The four parts of the Art. 9(1) exception, by name: a joint assessment with the
/// provider, reports to MIIT and to the MPS, and their assessment (approval).
fn early_publication(parts: &[&str], approval_at: &str) -> vulnrelay_domain::Case {
    let mut story = world();
    for part in parts {
        story = match *part {
            "joint" => story.at(
                "2024-03-01T10:00:00+08:00",
                "finder",
                EventKind::JointAssessment { with: PartyId("acme".into()) },
            ),
            "miit" => story.at(
                "2024-03-01T11:00:00+08:00",
                "finder",
                notified_kind("nvdb", vulnrelay_domain::NotificationKind::EarlyPublication),
            ),
            "mps" => story.at(
                "2024-03-01T11:00:00+08:00",
                "finder",
                notified_kind("mps", vulnrelay_domain::NotificationKind::EarlyPublication),
            ),
            "approval" => story.at(
                approval_at,
                "nvdb",
                EventKind::PublicationApproved { to: Some(PartyId("finder".into())) },
            ),
            other => panic!("{other}"),
        };
    }
    story.at("2024-03-02T10:00:00+08:00", "finder", published(true, false)).build()
}

#[test]
fn early_publication_with_the_whole_exception_on_record_is_allowed() {
    let case = early_publication(&["joint", "miit", "mps", "approval"], "2024-03-02T09:00:00+08:00");
    let findings = check(&case, PACK, "2024-04-01T00:00:00Z");
    let f = one(&findings, PREPUBLICATION, "finder");
    assert_eq!(f.status, Status::Met);
    assert_eq!(f.evidence, vec![0, 1, 2, 3, 4]);
}

#[test]
fn early_publication_with_part_of_the_exception_needs_review() {
    for parts in [&["approval"][..], &["joint"], &["joint", "miit"], &["miit", "mps", "approval"]] {
        let case = early_publication(parts, "2024-03-02T09:00:00+08:00");
        let findings = check(&case, PACK, "2024-04-01T00:00:00Z");
        let f = one(&findings, PREPUBLICATION, "finder");
        assert_eq!(f.status, Status::NeedsReview, "{parts:?}");
        let message = f.message(&case).en;
        assert!(message.contains("only part of the exception is on record"), "{message}");
        assert!(!f.status.is_problem());
        assert_eq!(f.sanction(), None);
    }
    let case = early_publication(&["joint", "miit", "approval"], "2024-03-02T09:00:00+08:00");
    let findings = check(&case, PACK, "2024-04-01T00:00:00Z");
    let message = one(&findings, PREPUBLICATION, "finder").message(&case).en;
    assert!(
        message.contains("no report of the early publication to a public_security is on record"),
        "{message}"
    );
}

#[test]
fn early_publication_with_none_of_the_exception_is_a_violation() {
    let case = early_publication(&[], "");
    let findings = check(&case, PACK, "2024-04-01T00:00:00Z");
    let f = one(&findings, PREPUBLICATION, "finder");
    assert_eq!(f.status, Status::Violated);
    let sanction = f.sanction_marked().expect("a breach carries the sanction");
    assert!(
        sanction.en.contains("CSL Art. 62") && sanction.en.ends_with("[M: unverified]"),
        "{}",
        sanction.en
    );
    // An approval after the publication, or by another authority, is not on record in time.
    let too_late = early_publication(&["approval"], "2024-03-02T11:00:00+08:00");
    assert_eq!(
        status(&check(&too_late, PACK, "2024-04-01T00:00:00Z"), PREPUBLICATION, "finder"),
        Status::Violated
    );
}

#[test]
fn a_third_partys_virtual_patch_does_not_open_the_gate() {
    let case = world()
        .party("waf-vendor", &[Role::ProductProvider], "CN")
        .at("2024-03-01T10:00:00+08:00", "waf-vendor", fix())
        .at("2024-03-02T10:00:00+08:00", "finder", published(true, false))
        .build();
    let findings = check(&case, PACK, "2024-04-01T00:00:00Z");
    assert_eq!(status(&findings, PREPUBLICATION, "finder"), Status::Violated);
    // The provider's own fix does (see also `publishing_after_the_fix_is_allowed`).
    let fixed = world()
        .party("waf-vendor", &[Role::ProductProvider], "CN")
        .at("2024-03-01T10:00:00+08:00", "waf-vendor", fix())
        .at("2024-03-01T12:00:00+08:00", "acme", fix())
        .at("2024-03-02T10:00:00+08:00", "finder", published(true, false))
        .build();
    let findings = check(&fixed, PACK, "2024-04-01T00:00:00Z");
    let f = one(&findings, PREPUBLICATION, "finder");
    assert_eq!((f.status, f.evidence.clone()), (Status::Met, vec![1, 2]));
}

#[test]
fn the_provider_may_publish_its_own_advisory_before_a_fix() {
    let case = world().at("2024-03-02T10:00:00+08:00", "acme", published(true, false)).build();
    assert_eq!(status(&check(&case, PACK, "2024-04-01T00:00:00Z"), PREPUBLICATION, "acme"), Status::Met);
}

#[test]
fn exploit_code_and_missing_remediation_are_violations() {
    let case = world()
        .at("2024-03-01T10:00:00+08:00", "acme", fix())
        .at("2024-03-02T10:00:00+08:00", "finder", published(false, true))
        .at("2024-03-03T10:00:00+08:00", "acme", published(true, false))
        .build();
    let findings = check(&case, PACK, "2024-04-01T00:00:00Z");
    assert_eq!(status(&findings, "cn-rmsv-2021/art9-4-exploit-tools", "finder"), Status::Violated);
    assert_eq!(status(&findings, "cn-rmsv-2021/art9-5-remediation", "finder"), Status::Violated);
    assert_eq!(status(&findings, "cn-rmsv-2021/art9-4-exploit-tools", "acme"), Status::Met);
    assert_eq!(status(&findings, "cn-rmsv-2021/art9-5-remediation", "acme"), Status::Met);
    // Art. 9(5) is tagged unverified in the research: the text says so.
    let f = one(&findings, "cn-rmsv-2021/art9-5-remediation", "finder");
    assert!(f.message(&case).en.ends_with("[rule text unverified]"), "{}", f.message(&case).en);
    assert!(f.message(&case).zh.ends_with("［条文未经核实］"), "{}", f.message(&case).zh);
}

#[test]
fn blackout_windows_need_public_security_consent() {
    let rule = "cn-rmsv-2021/art9-6-blackout";
    let base = || {
        world().at("2024-03-01T10:00:00+08:00", "acme", fix()).at(
            "2024-03-04T00:00:00+08:00",
            "mps",
            EventKind::Blackout { until: t("2024-03-10T00:00:00+08:00") },
        )
    };
    let inside = base().at("2024-03-05T10:00:00+08:00", "finder", published(true, false)).build();
    let f = check(&inside, PACK, "2024-04-01T00:00:00Z");
    assert_eq!(one(&f, rule, "finder").status, Status::Violated);
    assert_eq!(one(&f, rule, "finder").evidence, vec![1, 2]);
    let consented = base()
        .at("2024-03-05T09:00:00+08:00", "mps", EventKind::Consent { to: None })
        .at("2024-03-05T10:00:00+08:00", "finder", published(true, false))
        .build();
    assert_eq!(status(&check(&consented, PACK, "2024-04-01T00:00:00Z"), rule, "finder"), Status::Met);
    let after = base().at("2024-03-10T00:00:00+08:00", "finder", published(true, false)).build();
    assert_eq!(status(&check(&after, PACK, "2024-04-01T00:00:00Z"), rule, "finder"), Status::Met);
}

const OVERSEAS: &str = "cn-rmsv-2021/art9-7-overseas";

#[test]
fn undisclosed_details_to_an_overseas_party_are_a_violation() {
    let case = world()
        .at("2024-03-01T10:00:00+08:00", "finder", EventKind::Discovered)
        .at("2024-03-01T11:00:00+08:00", "finder", notified("foreign-cert"))
        .at("2024-03-01T12:00:00+08:00", "finder", notified("nvdb"))
        .build();
    let findings = check(&case, PACK, "2024-04-01T00:00:00Z");
    let f = one(&findings, OVERSEAS, "finder");
    assert_eq!(f.status, Status::Violated);
    assert_eq!(f.evidence, vec![1]);
    assert!(f.message(&case).en.contains("foreign-cert [DE]"), "{}", f.message(&case).en);
}

#[test]
fn overseas_sharing_after_disclosure_or_by_a_foreign_party_is_not_examined() {
    let case = world()
        .party("us-researcher", &[Role::Discoverer], "US")
        .at("2024-03-01T10:00:00+08:00", "acme", fix())
        .at("2024-03-02T10:00:00+08:00", "acme", published(true, false))
        .at("2024-03-03T10:00:00+08:00", "finder", notified("foreign-cert"))
        .at("2024-03-01T09:00:00+08:00", "us-researcher", notified("foreign-cert"))
        .build();
    let findings = check(&case, PACK, "2024-04-01T00:00:00Z");
    assert!(of(&findings, OVERSEAS, "finder").is_empty());
    assert!(of(&findings, OVERSEAS, "us-researcher").is_empty());
}

#[test]
fn events_after_as_of_are_not_seen() {
    let case = world()
        .at("2024-03-01T10:00:00+08:00", "finder", EventKind::Discovered)
        .at("2024-03-05T11:00:00+08:00", "finder", notified("foreign-cert"))
        .build();
    assert!(of(&check(&case, PACK, "2024-03-04T00:00:00Z"), OVERSEAS, "finder").is_empty());
    assert_eq!(status(&check(&case, PACK, "2024-03-06T00:00:00Z"), OVERSEAS, "finder"), Status::Violated);
}

#[test]
fn a_provider_that_learns_through_the_exploitation_is_aware() {
    // Art. 7: "发现或者获知" — learning that the product is being exploited is learning
    // of the vulnerability.
    let own = world().at("2024-03-01T10:00:00+08:00", "acme", EventKind::Exploited).build();
    let findings = check(&own, PACK, "2024-03-04T00:00:00+08:00");
    let f = one(&findings, REPORT, "acme");
    assert_eq!((f.status, f.anchor_at), (Status::Overdue, Some(t("2024-03-01T10:00:00+08:00"))));
    let told = world().at("2024-03-01T10:00:00+08:00", "finder", told_exploited("acme")).build();
    assert_eq!(
        one(&check(&told, PACK, "2024-03-02T00:00:00Z"), REPORT, "acme").due_at,
        Some(t("2024-03-03T10:00:00+08:00"))
    );
    // Someone else's sighting, with nobody telling acme, starts nothing for acme.
    let elsewhere = world().at("2024-03-01T10:00:00+08:00", "finder", EventKind::Exploited).build();
    none(&check(&elsewhere, PACK, "2024-04-01T00:00:00Z"), REPORT, "acme");
}

#[test]
fn a_report_to_a_foreign_regulator_does_not_meet_art_7_2() {
    let case = world()
        .party("foreign-regulator", &[Role::RegulatorPlatform], "US")
        .at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered)
        .at("2024-03-01T12:00:00+08:00", "acme", notified("foreign-regulator"))
        .build();
    let findings = check(&case, PACK, "2024-03-05T00:00:00+08:00");
    let f = one(&findings, REPORT, "acme");
    assert_eq!(f.status, Status::Overdue);
    let sanction = f.sanction_marked().expect("overdue carries the sanction");
    assert!(sanction.en.contains("CSL Art. 60 (2017 numbering)"), "{}", sanction.en);
    assert!(sanction.en.contains("RMB 50,000–500,000"), "{}", sanction.en);
    // The same report to MIIT's platform meets it.
    let domestic = world()
        .at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered)
        .at("2024-03-01T12:00:00+08:00", "acme", notified("nvdb"))
        .build();
    assert_eq!(status(&check(&domestic, PACK, "2024-03-05T00:00:00+08:00"), REPORT, "acme"), Status::Met);
}

#[test]
fn a_cve_request_to_a_foreign_cna_while_undisclosed_needs_review() {
    let case = world()
        .party("foreign-cna", &[Role::InternationalVulnerabilityDb], "US")
        .at("2024-03-01T10:00:00+08:00", "finder", EventKind::Discovered)
        .at(
            "2024-03-01T11:00:00+08:00",
            "finder",
            notified_kind("foreign-cna", vulnrelay_domain::NotificationKind::CveRequest),
        )
        .at("2024-03-01T12:00:00+08:00", "finder", notified("foreign-cna"))
        .build();
    let findings = check(&case, PACK, "2024-04-01T00:00:00Z");
    let gates = of(&findings, OVERSEAS, "finder");
    assert_eq!(gates.len(), 2);
    assert_eq!(gates[0].status, Status::NeedsReview);
    let message = gates[0].message(&case).en;
    assert!(message.contains("needs review") && message.contains("CVE ID request"), "{message}");
    // Sending the details themselves is still a breach.
    assert_eq!(gates[1].status, Status::Violated);
    // The notes say why the gate applied.
    let notes = gates[1].notes(&case);
    assert!(
        notes[0].en == "applies because the vulnerability was undisclosed; the recipient is overseas",
        "{notes:?}"
    );
}

#[test]
fn providing_exploit_code_needs_review_publishing_it_is_a_breach() {
    let rule = "cn-rmsv-2021/art9-4-exploit-tools-provided";
    let case = world()
        .at("2024-03-01T10:00:00+08:00", "acme", fix())
        .at("2024-03-02T10:00:00+08:00", "finder", sent_exploit("user-co"))
        .at("2024-03-02T11:00:00+08:00", "finder", notified("user-co"))
        .at("2024-03-03T10:00:00+08:00", "finder", published(true, true))
        .build();
    let findings = check(&case, PACK, "2024-04-01T00:00:00Z");
    let provided = of(&findings, rule, "finder");
    // Only the notification that carries exploit code is examined.
    assert_eq!(provided.iter().map(|f| f.status).collect::<Vec<_>>(), [Status::NeedsReview]);
    assert_eq!(provided[0].evidence, vec![1]);
    assert!(provided[0].message(&case).en.contains("专门用于"), "{}", provided[0].message(&case).en);
    assert_eq!(status(&findings, "cn-rmsv-2021/art9-4-exploit-tools", "finder"), Status::Violated);
}

#[test]
fn nothing_binds_before_the_provisions_came_into_force() {
    // Art. 16: in force from 1 September 2021 (Beijing time).
    let case = world()
        .at("2021-08-31T23:00:00+08:00", "acme", EventKind::Discovered)
        .at("2021-08-31T23:30:00+08:00", "finder", published(false, true))
        .build();
    assert!(check(&case, PACK, "2021-10-01T00:00:00+08:00").is_empty());
    let in_force = world()
        .at("2021-09-01T00:30:00+08:00", "acme", EventKind::Discovered)
        .at("2021-09-01T00:40:00+08:00", "finder", published(false, true))
        .build();
    let findings = check(&in_force, PACK, "2021-10-01T00:00:00+08:00");
    assert_eq!(status(&findings, REPORT, "acme"), Status::Overdue);
    assert_eq!(status(&findings, PREPUBLICATION, "finder"), Status::Violated);
}

/// A provider that finds a flaw at `found` (Beijing time), evaluated under the Civil
/// Code reading: the due date of its Art. 7(2) report, and the finding's notes.
fn civil_code_due(found: &str) -> (vulnrelay_domain::Timestamp, Vec<String>) {
    let case = world().at(found, "acme", EventKind::Discovered).build();
    let findings = check_with(&case, PACK, found, Interpretation::CivilCodeHolidays);
    let f = one(&findings, REPORT, "acme");
    assert_eq!(f.interpretation, Some(Interpretation::CivilCodeHolidays));
    (f.due_at.unwrap(), f.notes(&case).into_iter().map(|n| n.en).collect())
}

#[test]
fn the_civil_code_reading_moves_a_last_day_off_to_the_next_working_day() {
    // Found Thursday 8 February 2024: the 2nd day is Saturday 10 February, inside the
    // Spring Festival (10–17 February off); Sunday 18 February is a make-up working
    // day (国办发明电〔2023〕7号), so the period ends at 24:00 on the 18th.
    let (due, notes) = civil_code_due("2024-02-08T15:00:00+08:00");
    assert_eq!(due, t("2024-02-19T00:00:00+08:00"));
    assert!(notes.iter().any(|n| n.contains("国办发明电〔2023〕7号")), "{notes:?}");
    // Found Tuesday 29 September 2026: the 2nd day is 1 October; 1–7 October are off,
    // so the period ends with Thursday 8 October.
    assert_eq!(civil_code_due("2026-09-29T10:00:00+08:00").0, t("2026-10-09T00:00:00+08:00"));
    // Found Friday 18 September 2026: the 2nd day is Sunday 20 September, a make-up
    // working day: no extension.
    assert_eq!(civil_code_due("2026-09-18T10:00:00+08:00").0, t("2026-09-21T00:00:00+08:00"));
    // An ordinary weekend extends too: found Thursday 7 March 2024, the 2nd day is
    // Saturday 9 March, the period ends with Monday 11 March.
    assert_eq!(civil_code_due("2024-03-07T10:00:00+08:00").0, t("2024-03-12T00:00:00+08:00"));
}

#[test]
fn the_civil_code_reading_says_when_it_has_no_holiday_data_for_the_year() {
    // 2025 is not shipped: 1 October 2025 (a Wednesday) is treated as a working day,
    // and the notes say so.
    let (due, notes) = civil_code_due("2025-09-29T10:00:00+08:00");
    assert_eq!(due, t("2025-10-02T00:00:00+08:00"));
    assert!(
        notes.iter().any(|n| n.contains("no holiday data for 2025") && n.contains("2021, 2024, 2026")),
        "{notes:?}"
    );
}

#[test]
fn the_bare_calendar_day_switch_is_not_the_civil_code_reading() {
    let case = world().at("2024-02-08T15:00:00+08:00", "acme", EventKind::Discovered).build();
    let findings = check_with(&case, PACK, "2024-02-09T00:00:00Z", Interpretation::CalendarDays);
    assert_eq!(one(&findings, REPORT, "acme").due_at, Some(t("2024-02-11T00:00:00+08:00")));
}
