//! Required content, article by article: a notification in time that carries every
//! field the law asks of it is `met`; without any one field it is `met_incomplete`,
//! naming that field with its article and confidence; a later notification may supply
//! it (late if after the deadline); qualified fields may be declared not to apply.
//! Drafts: prefilled from the case and its records, missing fields marked.

use std::collections::BTreeMap;

use crate::support::*;
use vulnrelay_domain::{
    Affected, EventKind, Localized, NotificationKind, Package, PartyId, RangeEnd, Role, Score, ThreatEvent,
    ThreatKind, VersionRange, Vulnerability,
};
use vulnrelay_policy::{Confidence, Origin, Prefill, Records, RuleKind, Status, builtin_packs, drafts};

const CN_REPORT: &str = "cn-rmsv-2021/art7-2-report";
const CN_USERS: &str = "cn-rmsv-2021/art7-3-inform-users";
const EARLY: &str = "eu-cra-2024/art14-2-a-early-warning";
const NOTIFICATION: &str = "eu-cra-2024/art14-2-b-vulnerability-notification";
const FINAL: &str = "eu-cra-2024/art14-2-c-final-report";
const INCIDENT_EARLY: &str = "eu-cra-2024/art14-4-a-incident-early-warning";
const INCIDENT_NOTIFICATION: &str = "eu-cra-2024/art14-4-b-incident-notification";
const INCIDENT_FINAL: &str = "eu-cra-2024/art14-4-c-incident-final-report";

/// The fields a shipped rule asks for, with their articles and confidence tags.
fn fields(rule: &str) -> Vec<(String, String, Confidence)> {
    let (pack, rule) = rule.split_once('/').unwrap();
    let packs = builtin_packs().unwrap();
    let pack = packs.iter().find(|p| p.id == pack).unwrap();
    match &pack.rule(rule).unwrap().kind {
        RuleKind::Obligation(o) => {
            o.content.iter().map(|f| (f.id.clone(), f.article.clone(), f.confidence)).collect()
        }
        _ => panic!("{rule} is not an obligation"),
    }
}

fn all_but(rule: &str, left_out: &str) -> Vec<(String, String)> {
    fields(rule)
        .into_iter()
        .filter(|(id, ..)| id != left_out)
        .map(|(id, ..)| (id.clone(), format!("the {id}")))
        .collect()
}

fn with(fields: &[(String, String)]) -> Option<Box<vulnrelay_domain::NotificationContent>> {
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    content(&borrowed, &[])
}

#[test]
fn the_fields_are_the_ones_the_research_lists_with_article_and_confidence() {
    let ids = |rule| fields(rule).into_iter().map(|(id, ..)| id).collect::<Vec<_>>();
    assert_eq!(
        ids(CN_REPORT),
        ["product_name", "model", "version", "technical_characteristics", "harm", "scope_of_impact"]
    );
    assert!(fields(CN_REPORT).iter().all(|(_, a, c)| a == "7(2)" && *c == Confidence::Verified));
    assert_eq!(ids(CN_USERS), ["risk", "remediation"]);
    assert_eq!(ids(EARLY), ["member_states"]);
    assert!(fields(EARLY).iter().all(|(_, a, c)| a == "14(2)(a)" && *c == Confidence::Verified));
    assert_eq!(
        ids(NOTIFICATION),
        [
            "product_information",
            "nature_of_exploit_and_vulnerability",
            "corrective_measures_taken",
            "user_measures",
            "sensitivity"
        ]
    );
    assert!(fields(NOTIFICATION).iter().all(|(_, a, _)| a == "14(2)(b)"));
    assert_eq!(ids(FINAL), ["description_severity_impact", "malicious_actor", "security_update"]);
    assert!(fields(FINAL).iter().all(|(_, a, _)| a == "14(2)(c)"));
    for rule in [INCIDENT_EARLY, INCIDENT_NOTIFICATION, INCIDENT_FINAL] {
        assert!(!fields(rule).is_empty(), "{rule}");
    }
    // The membership layer's duty has no content in the research: none is asked.
    assert!(fields("cn-miit-member/member-report-2d").is_empty());
}

// --- CN Art. 7(2) -------------------------------------------------------------------

fn cn_world() -> Story {
    Story::new("Asia/Shanghai")
        .party("acme", &[Role::ProductProvider], "CN")
        .party("nvdb", &[Role::RegulatorPlatform], "CN")
        .party("user-co", &[Role::ProductUser], "CN")
        .product("router", "acme", &["CN"])
}

fn cn_report(report: Option<Box<vulnrelay_domain::NotificationContent>>) -> vulnrelay_domain::Case {
    cn_world()
        .at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered)
        .at("2024-03-02T09:00:00+08:00", "acme", notified_with("nvdb", NotificationKind::Report, report))
        .build()
}

#[test]
fn art_7_2_report_with_every_field_is_met() {
    let all = all_but(CN_REPORT, "");
    let case = cn_report(with(&all));
    let findings = check(&case, &["cn-rmsv-2021"], "2024-03-10T00:00:00+08:00");
    let f = one(&findings, CN_REPORT, "acme");
    assert_eq!(f.status, Status::Met);
    assert!(f.missing.is_empty());
}

#[test]
fn art_7_2_report_without_each_field_is_met_incomplete_naming_it() {
    for (id, article, confidence) in fields(CN_REPORT) {
        let case = cn_report(with(&all_but(CN_REPORT, &id)));
        let findings = check(&case, &["cn-rmsv-2021"], "2024-03-10T00:00:00+08:00");
        let f = one(&findings, CN_REPORT, "acme");
        assert_eq!(f.status, Status::MetIncomplete, "without {id}");
        assert!(f.status.is_problem());
        let missing: Vec<&str> = f.missing.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(missing, [id.as_str()]);
        assert_eq!((f.missing[0].article.as_str(), f.missing[0].confidence), (article.as_str(), confidence));
        assert_eq!(f.satisfied_at, Some(t("2024-03-02T09:00:00+08:00")));
        let message = f.message(&case);
        assert!(message.en.contains("met incompletely"), "{}", message.en);
        assert!(message.en.contains(&f.missing[0].label.en), "{}", message.en);
        assert!(message.en.contains("7(2) [V]"), "{}", message.en);
        assert!(message.zh.contains(&f.missing[0].label.zh), "{}", message.zh);
    }
}

#[test]
fn a_blank_field_or_a_notification_without_content_is_not_content() {
    let mut blank = all_but(CN_REPORT, "harm");
    blank.push(("harm".into(), "   ".into()));
    let findings_case = cn_report(with(&blank));
    let findings = check(&findings_case, &["cn-rmsv-2021"], "2024-03-10T00:00:00+08:00");
    assert_eq!(one(&findings, CN_REPORT, "acme").missing.len(), 1);
    let empty = cn_report(None);
    let findings = check(&empty, &["cn-rmsv-2021"], "2024-03-10T00:00:00+08:00");
    let f = one(&findings, CN_REPORT, "acme");
    assert_eq!(f.status, Status::MetIncomplete);
    assert_eq!(f.missing.len(), fields(CN_REPORT).len());
    // Art. 7(2) asks for every field without qualification: declaring one not
    // applicable does not supply it.
    let declared = cn_world()
        .at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered)
        .at(
            "2024-03-02T09:00:00+08:00",
            "acme",
            notified_with(
                "nvdb",
                NotificationKind::Report,
                content(
                    &all_but(CN_REPORT, "model")
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect::<Vec<_>>(),
                    &["model"],
                ),
            ),
        )
        .build();
    let findings = check(&declared, &["cn-rmsv-2021"], "2024-03-10T00:00:00+08:00");
    assert_eq!(one(&findings, CN_REPORT, "acme").status, Status::MetIncomplete);
}

#[test]
fn a_follow_up_in_time_completes_the_report_and_one_after_the_deadline_makes_it_late() {
    let follow_up = |at: &str| {
        cn_world()
            .at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered)
            .at(
                "2024-03-02T09:00:00+08:00",
                "acme",
                notified_with("nvdb", NotificationKind::Report, with(&all_but(CN_REPORT, "model"))),
            )
            .at(
                at,
                "acme",
                notified_with("nvdb", NotificationKind::Report, content(&[("model", "RX-100")], &[])),
            )
            .build()
    };
    let in_time = follow_up("2024-03-03T08:00:00+08:00");
    let findings = check(&in_time, &["cn-rmsv-2021"], "2024-03-10T00:00:00+08:00");
    let f = one(&findings, CN_REPORT, "acme");
    assert_eq!((f.status, f.satisfied_at), (Status::Met, Some(t("2024-03-03T08:00:00+08:00"))));
    assert_eq!(f.evidence, vec![0, 1, 2]);
    let late = follow_up("2024-03-03T12:00:00+08:00");
    let findings = check(&late, &["cn-rmsv-2021"], "2024-03-10T00:00:00+08:00");
    let f = one(&findings, CN_REPORT, "acme");
    assert_eq!((f.status, f.late_by_hours), (Status::MetLate, Some(2.0)));
    // Before the follow-up, the report stood incomplete.
    let findings = check(&late, &["cn-rmsv-2021"], "2024-03-03T11:00:00+08:00");
    assert_eq!(one(&findings, CN_REPORT, "acme").status, Status::MetIncomplete);
}

#[test]
fn art_7_3_a_notice_to_users_must_carry_the_risk_and_the_remedy_a_publication_its_remediation() {
    let told = |content| {
        cn_world()
            .at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered)
            .at("2024-03-05T10:00:00+08:00", "acme", fix())
            .at(
                "2024-03-05T12:00:00+08:00",
                "acme",
                notified_with("user-co", NotificationKind::Report, content),
            )
            .build()
    };
    let all = all_but(CN_USERS, "");
    let complete = told(with(&all));
    assert_eq!(
        status(&check(&complete, &["cn-rmsv-2021"], "2024-03-10T00:00:00+08:00"), CN_USERS, "acme"),
        Status::Met
    );
    for (id, ..) in fields(CN_USERS) {
        let case = told(with(&all_but(CN_USERS, &id)));
        let findings = check(&case, &["cn-rmsv-2021"], "2024-03-10T00:00:00+08:00");
        let f = one(&findings, CN_USERS, "acme");
        assert_eq!((f.status, f.missing[0].id.as_str()), (Status::MetIncomplete, id.as_str()));
    }
    let published = cn_world()
        .at("2024-03-01T10:00:00+08:00", "acme", EventKind::Discovered)
        .at("2024-03-05T10:00:00+08:00", "acme", fix())
        .at("2024-03-05T12:00:00+08:00", "acme", published(true, false))
        .build();
    assert_eq!(
        status(&check(&published, &["cn-rmsv-2021"], "2024-03-10T00:00:00+08:00"), CN_USERS, "acme"),
        Status::Met
    );
}

// --- EU CRA Art. 14(2) ----------------------------------------------------------------

fn eu_world(markets: &[&str]) -> Story {
    Story::new("Europe/Berlin")
        .party("maker", &[Role::ProductProvider], "DE")
        .party("csirt", &[Role::CsirtCoordinator], "DE")
        .party("enisa", &[Role::Enisa], "GR")
        .product("camera", "maker", markets)
        .at("2026-10-01T00:00:00Z", "maker", EventKind::Exploited)
}

fn to_both(
    story: Story,
    at: &str,
    kind: NotificationKind,
    content: Option<Box<vulnrelay_domain::NotificationContent>>,
) -> Story {
    story.at(at, "maker", notified_with("csirt", kind, content.clone())).at(
        at,
        "maker",
        notified_with("enisa", kind, content),
    )
}

#[test]
fn art_14_2_a_early_warning_with_and_without_the_member_states() {
    let cra = &["eu-cra-2024"];
    let named = to_both(
        eu_world(&["DE", "FR"]),
        "2026-10-01T10:00:00Z",
        NotificationKind::EarlyWarning,
        content(&[("member_states", "DE, FR")], &[]),
    )
    .build();
    let f = check(&named, cra, "2026-10-01T12:00:00Z");
    assert_eq!(status(&f, EARLY, "maker"), Status::Met);
    let without = to_both(
        eu_world(&["DE", "FR"]),
        "2026-10-01T10:00:00Z",
        NotificationKind::EarlyWarning,
        content(&[], &[]),
    )
    .build();
    let f = check(&without, cra, "2026-10-01T12:00:00Z");
    let early = one(&f, EARLY, "maker");
    assert_eq!(early.status, Status::MetIncomplete);
    assert_eq!(early.missing[0].id, "member_states");
    assert_eq!(
        (early.missing[0].article.as_str(), early.missing[0].confidence),
        ("14(2)(a)", Confidence::Verified)
    );
    // "Where applicable": declaring it not applicable is an answer.
    let declared = to_both(
        eu_world(&["EU"]),
        "2026-10-01T10:00:00Z",
        NotificationKind::EarlyWarning,
        content(&[], &["member_states"]),
    )
    .build();
    assert_eq!(status(&check(&declared, cra, "2026-10-01T12:00:00Z"), EARLY, "maker"), Status::Met);
    // Each recipient must have it: the CSIRT got the Member States, ENISA did not.
    let split = eu_world(&["DE"])
        .at(
            "2026-10-01T10:00:00Z",
            "maker",
            notified_with("csirt", NotificationKind::EarlyWarning, content(&[("member_states", "DE")], &[])),
        )
        .at(
            "2026-10-01T10:00:00Z",
            "maker",
            notified_with("enisa", NotificationKind::EarlyWarning, content(&[], &[])),
        )
        .build();
    assert_eq!(status(&check(&split, cra, "2026-10-01T12:00:00Z"), EARLY, "maker"), Status::MetIncomplete);
}

#[test]
fn art_14_2_b_vulnerability_notification_with_and_without_each_field() {
    let cra = &["eu-cra-2024"];
    let build = |fields: &[(String, String)]| {
        to_both(
            eu_world(&["DE"]),
            "2026-10-02T10:00:00Z",
            NotificationKind::VulnerabilityNotification,
            with(fields),
        )
        .build()
    };
    assert_eq!(
        status(
            &check(&build(&all_but(NOTIFICATION, "")), cra, "2026-10-03T00:00:00Z"),
            NOTIFICATION,
            "maker"
        ),
        Status::Met
    );
    for (id, ..) in fields(NOTIFICATION) {
        let case = build(&all_but(NOTIFICATION, &id));
        let findings = check(&case, cra, "2026-10-03T00:00:00Z");
        let f = one(&findings, NOTIFICATION, "maker");
        assert_eq!(f.status, Status::MetIncomplete, "without {id}");
        assert_eq!(f.missing.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), [id.as_str()]);
    }
}

#[test]
fn art_14_2_c_final_report_with_and_without_each_field() {
    let cra = &["eu-cra-2024"];
    let build = |fields: &[(String, String)], not_applicable: &[&str]| {
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        to_both(
            eu_world(&["DE"]).at("2026-10-05T00:00:00Z", "maker", fix()),
            "2026-10-10T00:00:00Z",
            NotificationKind::FinalReport,
            content(&borrowed, not_applicable),
        )
        .build()
    };
    let as_of = "2026-10-11T00:00:00Z";
    assert_eq!(status(&check(&build(&all_but(FINAL, ""), &[]), cra, as_of), FINAL, "maker"), Status::Met);
    for (id, ..) in fields(FINAL) {
        let findings_case = build(&all_but(FINAL, &id), &[]);
        let findings = check(&findings_case, cra, as_of);
        let f = one(&findings, FINAL, "maker");
        assert_eq!((f.status, f.missing[0].id.as_str()), (Status::MetIncomplete, id.as_str()));
    }
    // The malicious actor is asked for "where available": unknown may be declared.
    let unknown = build(&all_but(FINAL, "malicious_actor"), &["malicious_actor"]);
    assert_eq!(status(&check(&unknown, cra, as_of), FINAL, "maker"), Status::Met);
    // The security update is asked for without qualification.
    let undeclarable = build(&all_but(FINAL, "security_update"), &["security_update"]);
    assert_eq!(status(&check(&undeclarable, cra, as_of), FINAL, "maker"), Status::MetIncomplete);
}

#[test]
fn art_14_4_incident_stages_with_and_without_each_field() {
    let cra = &["eu-cra-2024"];
    for (rule, kind) in [
        (INCIDENT_EARLY, NotificationKind::IncidentEarlyWarning),
        (INCIDENT_NOTIFICATION, NotificationKind::IncidentNotification),
    ] {
        let build = |fields: &[(String, String)]| {
            let story = Story::new("Europe/Berlin")
                .party("maker", &[Role::ProductProvider], "DE")
                .party("csirt", &[Role::CsirtCoordinator], "DE")
                .party("enisa", &[Role::Enisa], "GR")
                .product("camera", "maker", &["DE"])
                .at("2026-10-01T00:00:00Z", "maker", EventKind::Incident { severe: true });
            to_both(story, "2026-10-01T10:00:00Z", kind, with(fields)).build()
        };
        let complete = build(&all_but(rule, ""));
        assert_eq!(
            status(&check(&complete, cra, "2026-10-01T12:00:00Z"), rule, "maker"),
            Status::Met,
            "{rule}"
        );
        for (id, ..) in fields(rule) {
            let case = build(&all_but(rule, &id));
            let findings = check(&case, cra, "2026-10-01T12:00:00Z");
            let f = one(&findings, rule, "maker");
            assert_eq!((f.status, f.missing[0].id.as_str()), (Status::MetIncomplete, id.as_str()), "{rule}");
        }
    }
}

// --- Drafts -----------------------------------------------------------------------------

fn log4shell_record() -> Vulnerability {
    let mut v = Vulnerability::new("CVE-2021-44228");
    v.aliases = vec!["CNVD-2021-95914".into()];
    v.description =
        Localized::both("JNDI 注入导致远程代码执行", "JNDI lookups lead to remote code execution");
    v.affected = vec![Affected {
        source: "apache".into(),
        package: Package {
            vendor: "Apache Software Foundation".into(),
            product: "Apache Log4j2".into(),
            ecosystem: None,
            purl: None,
        },
        ranges: vec![VersionRange { introduced: "2.0-beta9".into(), end: RangeEnd::Fixed("2.15.0".into()) }],
        versions: Vec::new(),
    }];
    v.scores = vec![Score {
        source: "apache".into(),
        vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H".into(),
    }];
    v.fixed_versions = vec!["2.15.0".into()];
    v.threats = vec![ThreatEvent {
        at: t("2026-10-01T08:00:00Z"),
        kind: ThreatKind::ActivelyExploited,
        source: "CISA KEV".into(),
        reference: None,
        note: Some("scanning from botnets".into()),
    }];
    v
}

/// A Chinese vendor selling in Germany and France, its own exploitation sighting, a fix.
fn both_regimes() -> vulnrelay_domain::Case {
    Story::new("Asia/Shanghai")
        .party("vendor", &[Role::ProductProvider], "CN")
        .party("nvdb", &[Role::RegulatorPlatform], "CN")
        .party("csirt", &[Role::CsirtCoordinator], "DE")
        .party("enisa", &[Role::Enisa], "GR")
        .party("other", &[Role::ProductProvider], "CN")
        .product("gateway", "vendor", &["CN", "DE", "FR"])
        .at("2026-10-01T09:00:00+08:00", "vendor", EventKind::Discovered)
        .at("2026-10-01T10:00:00+08:00", "vendor", EventKind::Exploited)
        .at("2026-10-02T10:00:00+08:00", "vendor", EventKind::FixAvailable { version: Some("2.15.0".into()) })
        .build()
}

#[test]
fn drafts_cover_every_open_duty_of_the_party_prefilled_from_case_records_threats_and_fixes() {
    let case = both_regimes();
    let packs = ["cn-rmsv-2021", "eu-cra-2024"];
    let findings = check(&case, &packs, "2026-10-02T12:00:00+08:00");
    let record = [log4shell_record()];
    let severity = ["CVSS 3.1 10.0 critical (apache)".to_owned()];
    let records = Records { vulnerabilities: &record, severity: &severity, report: None };
    let drafts = drafts(&case, &findings, &PartyId("vendor".into()), records);
    let rules: Vec<String> = drafts.iter().map(|d| d.finding.rule_id()).collect();
    for wanted in [CN_REPORT, EARLY, NOTIFICATION, FINAL] {
        assert!(rules.contains(&wanted.to_owned()), "{wanted} in {rules:?}");
    }
    // Nobody else's duty is drafted for the vendor.
    assert!(drafts.iter().all(|d| d.finding.party.0 == "vendor"));
    let get = |rule: &str| drafts.iter().find(|d| d.finding.rule_id() == rule).unwrap();
    let value = |rule: &str, field: &str| {
        get(rule).fields.iter().find(|f| f.field.id == field).and_then(|f| f.value.clone())
    };
    // Product and markets → Member States (only the named ones, not China).
    assert_eq!(value(EARLY, "member_states").as_deref(), Some("DE, FR"));
    assert_eq!(get(EARLY).kind, NotificationKind::EarlyWarning);
    assert!(get(EARLY).to_all);
    assert_eq!(get(EARLY).recipients, [Role::CsirtCoordinator, Role::Enisa]);
    assert!(get(EARLY).missing().is_empty());
    // CN Art. 7(2): product name, version ranges, description (Chinese first), severity.
    assert_eq!(value(CN_REPORT, "product_name").as_deref(), Some("gateway"));
    assert!(value(CN_REPORT, "version").unwrap().contains("[2.0-beta9, 2.15.0)"));
    assert!(value(CN_REPORT, "technical_characteristics").unwrap().contains("JNDI 注入"));
    assert!(value(CN_REPORT, "technical_characteristics").unwrap().contains("CNVD-2021-95914"));
    assert_eq!(value(CN_REPORT, "harm").as_deref(), Some("CVSS 3.1 10.0 critical (apache)"));
    let cn_missing: Vec<&str> = get(CN_REPORT).missing().iter().map(|f| f.id.as_str()).collect();
    assert_eq!(cn_missing, ["model"], "the record holds no model");
    // Threat events → exploitation; fix events → security update.
    let nature = value(NOTIFICATION, "nature_of_exploit_and_vulnerability").unwrap();
    assert!(nature.contains("active exploitation known to vendor"), "{nature}");
    assert!(nature.contains("actively_exploited (CISA KEV, 2026-10-01) — scanning from botnets"), "{nature}");
    assert!(value(FINAL, "security_update").unwrap().contains("fixed version 2.15.0 available 2026-10-02"));
    let notification_missing: Vec<&str> = get(NOTIFICATION).missing().iter().map(|f| f.id.as_str()).collect();
    assert_eq!(notification_missing, ["user_measures", "sensitivity"]);
    let final_missing: Vec<&str> = get(FINAL).missing().iter().map(|f| f.id.as_str()).collect();
    assert_eq!(final_missing, ["malicious_actor"], "the records name no actor");
    let origin = get(EARLY).fields[0].origin;
    assert_eq!(origin, Some(Origin::Prefilled(Prefill::MemberStates)));
}

#[test]
fn without_records_a_draft_marks_what_the_case_cannot_say_and_completing_it_meets_the_duty() {
    let case = both_regimes();
    let findings = check(&case, &["eu-cra-2024"], "2026-10-01T12:00:00+08:00");
    let vendor = PartyId("vendor".into());
    let drafts = drafts(&case, &findings, &vendor, Records::default());
    let early = drafts.iter().find(|d| d.finding.rule_id() == EARLY).unwrap();
    let notification = drafts.iter().find(|d| d.finding.rule_id() == NOTIFICATION).unwrap();
    assert!(notification.missing().len() > early.missing().len());
    // The user completes what is missing and sends the draft: the content goes out.
    let mut completed = BTreeMap::new();
    completed.insert("sensitivity".to_owned(), "TLP:AMBER".to_owned());
    let content = notification.complete(&completed, &[], Some("SRP-2026-0001".into())).unwrap();
    assert_eq!(content.fields["sensitivity"], "TLP:AMBER");
    assert_eq!(content.reference.as_deref(), Some("SRP-2026-0001"));
    assert!(notification.complete(&completed, &["sensitivity".to_owned()], None).is_err(), "unqualified");
    assert!(
        notification.complete(&BTreeMap::from([("nope".to_owned(), "x".to_owned())]), &[], None).is_err()
    );
    // An early warning completed and sent within 24 h turns the finding met.
    let early_content = early.complete(&BTreeMap::new(), &[], Some("SRP-1".into())).unwrap();
    let sent = Story::new("Asia/Shanghai")
        .party("vendor", &[Role::ProductProvider], "CN")
        .party("csirt", &[Role::CsirtCoordinator], "DE")
        .party("enisa", &[Role::Enisa], "GR")
        .product("gateway", "vendor", &["CN", "DE", "FR"])
        .at("2026-10-01T10:00:00+08:00", "vendor", EventKind::Exploited)
        .at(
            "2026-10-01T20:00:00+08:00",
            "vendor",
            notified_with("csirt", NotificationKind::EarlyWarning, Some(Box::new(early_content.clone()))),
        )
        .at(
            "2026-10-01T20:00:00+08:00",
            "vendor",
            notified_with("enisa", NotificationKind::EarlyWarning, Some(Box::new(early_content))),
        )
        .build();
    let after = check(&sent, &["eu-cra-2024"], "2026-10-01T21:00:00+08:00");
    assert_eq!(status(&after, EARLY, "vendor"), Status::Met);
    // A met duty has no draft; the open ones still do.
    let left = vulnrelay_policy::drafts(&sent, &after, &vendor, Records::default());
    assert!(left.iter().all(|d| d.finding.rule_id() != EARLY));
    assert!(left.iter().any(|d| d.finding.rule_id() == NOTIFICATION));
}

#[test]
fn an_incomplete_notification_gets_a_draft_with_what_was_sent_and_what_is_missing() {
    let case = to_both(
        eu_world(&["DE"]),
        "2026-10-02T10:00:00Z",
        NotificationKind::VulnerabilityNotification,
        with(&all_but(NOTIFICATION, "sensitivity")),
    )
    .build();
    let findings = check(&case, &["eu-cra-2024"], "2026-10-02T12:00:00Z");
    let drafts = drafts(&case, &findings, &PartyId("maker".into()), Records::default());
    let d = drafts.iter().find(|d| d.finding.rule_id() == NOTIFICATION).unwrap();
    assert_eq!(d.finding.status, Status::MetIncomplete);
    let sent = d.fields.iter().find(|f| f.field.id == "product_information").unwrap();
    assert_eq!((sent.origin, sent.value.as_deref()), (Some(Origin::Sent), Some("the product_information")));
    assert_eq!(d.missing().iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), ["sensitivity"]);
}

#[test]
fn the_reports_art_7_2_fields_fill_the_cn_draft_first() {
    let case = both_regimes();
    let findings = check(&case, &["cn-rmsv-2021"], "2026-10-02T12:00:00+08:00");
    let report = BTreeMap::from([
        ("model".to_owned(), "EG-3000".to_owned()),
        ("product_name".to_owned(), "EG-3000 网关".to_owned()),
        ("harm".to_owned(), " ".to_owned()),
    ]);
    let records = Records { report: Some(&report), ..Records::default() };
    let drafts = drafts(&case, &findings, &PartyId("vendor".into()), records);
    let d = drafts.iter().find(|d| d.finding.rule_id() == CN_REPORT).unwrap();
    let get = |id: &str| d.fields.iter().find(|f| f.field.id == id).unwrap();
    assert_eq!((get("model").value.as_deref(), get("model").origin), (Some("EG-3000"), Some(Origin::Report)));
    assert_eq!(get("product_name").value.as_deref(), Some("EG-3000 网关"));
    // A blank text in the report is no content: the case's own prefill is not used
    // either for harm (no records), so it stays missing.
    assert!(get("harm").is_missing());
}

/// A notification whose content is not on record is `met_incomplete`, but its words say
/// the record does not show the fields, not that the report lacked them.
#[test]
fn unrecorded_content_is_said_to_be_unrecorded_not_missing() {
    let case = cn_report(None);
    let findings = check(&case, &["cn-rmsv-2021"], "2024-03-10T00:00:00+08:00");
    let f = one(&findings, CN_REPORT, "acme");
    assert_eq!(f.status, Status::MetIncomplete);
    assert!(!f.content_recorded);
    assert_eq!(f.missing.len(), fields(CN_REPORT).len());
    let message = f.message(&case);
    assert!(
        message.en.contains("content not recorded") && !message.en.contains(", missing "),
        "{}",
        message.en
    );
    assert!(message.zh.contains("通报内容未记录"), "{}", message.zh);
    // With content recorded but one field left out, the words say it is missing.
    let case = cn_report(with(&all_but(CN_REPORT, "harm")));
    let findings = check(&case, &["cn-rmsv-2021"], "2024-03-10T00:00:00+08:00");
    let f = one(&findings, CN_REPORT, "acme");
    assert!(f.content_recorded);
    assert!(f.message(&case).en.contains(", missing "));
}
