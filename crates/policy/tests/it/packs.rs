//! Policy packs: the shipped ones parse; broken ones are refused with every problem.

use vulnrelay_policy::{Pack, RuleKind, builtin_packs};

#[test]
fn shipped_packs_parse_and_have_bilingual_titles() {
    let packs = builtin_packs().unwrap_or_else(|(file, e)| panic!("{file}: {e}"));
    let ids: Vec<&str> = packs.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["cn-rmsv-2021", "cn-miit-member", "eu-cra-2024"]);
    for pack in &packs {
        for rule in &pack.rules {
            assert!(!rule.title.zh.is_empty() && !rule.title.en.is_empty(), "{}/{}", pack.id, rule.id);
            assert!(!rule.article.is_empty());
        }
    }
}

#[test]
fn the_receipt_log_retention_is_six_months() {
    let packs = builtin_packs().unwrap();
    let (rule, retention) = packs[0].retention("receipt_log").expect("Art. 5 retention");
    assert_eq!((rule.article.as_str(), retention.min_age_months), ("5", 6));
    assert!(packs[0].retention("attachments").is_none());
}

#[test]
fn every_problem_of_a_broken_pack_is_reported() {
    let source = r#"
schema = "vulnrelay/policy-pack/v1"
id = "broken"
title = { zh = "坏", en = "broken" }
instrument = { name = { zh = "x", en = "x" }, version = "1", in_force = "2021-13-01" }
scope = { jurisdictions = ["China"] }

[[rules]]
id = "a"
kind = "obligation"
article = "1"
confidence = "Q"
title = { zh = "a", en = "a" }
binds = { roles = ["vendor"], relations = ["cousin"] }
trigger = { events = ["found"], by = "someone" }
required = [{ event = "notified", to_any_role = ["regulator_platform"], to = "product_provider" }]
deadline = { weeks = 2 }

[[rules]]
id = "a"
kind = "gate"
article = "2"
confidence = "V"
title = { zh = "b", en = "b" }
event = "published"
forbidden_when = ["on_a_tuesday", "approved_by:nobody"]

[[rules]]
id = "c"
kind = "conflict"
article = "3"
confidence = "V"
title = { zh = "c", en = "c" }
obligations = ["missing"]
gate = "no-slash"

[[rules]]
id = "d"
kind = "sanction"
article = "4"
confidence = "V"
title = { zh = "d", en = "d" }
"#;
    let problems = Pack::from_toml(source).unwrap_err().problems;
    let expected = [
        "scope.jurisdictions: `China` is not an ISO 3166-1 alpha-2 code",
        "instrument.in_force: `2021-13-01` is not a date",
        "rules[0] (`a`).confidence: `Q` is not one of V, S, M",
        "rules[0] (`a`).binds.relations: unknown relation `cousin`",
        "rules[0] (`a`).binds.roles: unknown role `vendor`",
        "rules[0] (`a`).trigger.events: unknown event type `found`",
        "rules[0] (`a`).trigger.by: `someone` is not `bound` or `any`",
        "rules[0] (`a`).required[0]: give only one of",
        "rules[0] (`a`).deadline: expected",
        "rules[1] (`a`): duplicate rule id",
        "rules[1] (`a`).forbidden_when: unknown condition `on_a_tuesday`",
        "rules[1] (`a`).forbidden_when: unknown role `nobody`",
        "rules[3] (`d`).kind: `sanction` is not one of",
        "rule `c`: `missing` is not an obligation of this pack",
        "rule `c`: gate must be `pack/rule`",
    ];
    for fragment in expected {
        assert!(problems.iter().any(|p| p.contains(fragment)), "missing `{fragment}` in {problems:#?}");
    }
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
}

#[test]
fn unknown_keys_are_refused() {
    let source = builtin_packs_source().replace("[scope]", "colour = \"red\"\n[scope]");
    let error = Pack::from_toml(&source).unwrap_err();
    assert!(error.problems[0].contains("unknown field `colour`"), "{error}");
}

#[test]
fn conflict_rules_name_obligations() {
    let packs = builtin_packs().unwrap();
    let cra = packs.iter().find(|p| p.id == "eu-cra-2024").unwrap();
    let conflict = cra.rules.iter().find(|r| matches!(r.kind, RuleKind::Conflict(_))).unwrap();
    assert_eq!(conflict.id, "conflict-cn-art9-7");
}

fn builtin_packs_source() -> String {
    vulnrelay_policy::BUILTIN_PACK_SOURCES[0].1.to_owned()
}

#[test]
fn the_coverage_document_names_every_rule_and_only_real_ones() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/regulation-coverage.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let packs = builtin_packs().unwrap();
    for pack in &packs {
        for rule in &pack.rules {
            let id = format!("{}/{}", pack.id, rule.id);
            assert!(
                doc.contains(&format!("`{id}`")) || doc.contains(&format!("`{}`", rule.id)),
                "{id} missing"
            );
        }
    }
    // Every `pack/rule` the document names exists.
    for piece in doc.split('`').skip(1).step_by(2) {
        let Some((pack_id, rule_id)) = piece.split_once('/') else { continue };
        let Some(pack) = packs.iter().find(|p| p.id == pack_id) else { continue };
        assert!(pack.rule(rule_id).is_some(), "the document names `{piece}`, which does not exist");
    }
}
