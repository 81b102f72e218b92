//! The case file reader and writer against the example, the JSON Schema in docs/, and
//! hostile input.

use std::path::PathBuf;

use serde_json::{Value, json};
use vulnrelay_domain::{EventKind, PartyId, ProductId};
use vulnrelay_formats::case_file::{self, Problem};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example() -> Value {
    let text = std::fs::read_to_string(workspace().join("examples/log4shell.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(workspace().join("docs/case-file.schema.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

fn problems(doc: &Value) -> Vec<Problem> {
    case_file::from_value(doc).expect_err("the document should be refused").problems
}

#[test]
fn the_log4shell_example_reads_and_validates() {
    let doc = example();
    assert!(
        schema().is_valid(&doc),
        "{:?}",
        schema().iter_errors(&doc).map(|e| e.to_string()).collect::<Vec<_>>()
    );
    let case = case_file::from_value(&doc).unwrap();
    assert_eq!(case.parties().len(), 6);
    assert_eq!(case.events().len(), 10);
    // One product: every event concerns it.
    assert!(case.events().iter().all(|e| e.product == Some(ProductId("log4j-core".into()))));
    // A bare date is midnight in the case's time zone.
    assert_eq!(case.events()[0].at.to_rfc3339(), "2021-11-23T16:00:00+00:00");
    assert_eq!(
        case.events()[1].kind,
        EventKind::Notified {
            to: PartyId("apache".into()),
            kind: vulnrelay_domain::NotificationKind::Report,
            exploited: false,
            with_exploit_code: false,
            content: None,
        }
    );
}

#[test]
fn written_case_files_read_back_identically_and_validate() {
    let case = case_file::from_value(&example()).unwrap();
    let written = case_file::to_value(&case);
    assert!(schema().is_valid(&written));
    let again = case_file::from_value(&written).unwrap();
    assert_eq!(case_file::to_value(&again), written);
    assert_eq!(again.events(), case.events());
    assert_eq!(again.parties(), case.parties());
    assert_eq!(again.products(), case.products());
}

#[test]
fn malformed_json_is_one_clear_problem() {
    let error = case_file::parse("{\"schema\": ").unwrap_err();
    assert_eq!(error.problems.len(), 1);
    assert_eq!(error.problems[0].path, "$");
    assert!(error.problems[0].message.starts_with("not valid JSON"), "{error}");
}

/// A change to the example, the path and message fragment it must produce, and whether
/// the JSON Schema can see the problem too.
type Mutation = (fn(&mut Value), &'static str, &'static str, bool);

/// Each mutation of the example, with the path and message fragment it must produce.
/// The JSON Schema must refuse the same documents, so the two stay in step.
#[test]
fn each_kind_of_bad_input_names_its_path() {
    let cases: Vec<Mutation> = vec![
        (
            |d| d["schema"] = json!("vulnrelay/case-file/v2"),
            "$.schema",
            "expected `vulnrelay/case-file/v1`",
            true,
        ),
        (|d| d["colour"] = json!("red"), "$.colour", "unknown field `colour`", true),
        (|d| d["timezone"] = json!("Mars/Olympus"), "$.timezone", "not an IANA time zone", false),
        (
            |d| d["parties"][0]["jurisdiction"] = json!("China"),
            "$.parties[0].jurisdiction",
            "ISO 3166-1",
            true,
        ),
        (
            |d| d["parties"][1]["roles"] = json!(["vendor"]),
            "$.parties[1].roles[0]",
            "unknown role `vendor`",
            true,
        ),
        (
            |d| d["parties"][1]["roles"] = json!("product_provider"),
            "$.parties[1].roles",
            "expected an array",
            true,
        ),
        (|d| d["events"][0]["at"] = json!("yesterday"), "$.events[0].at", "not an RFC 3339 time", true),
        (
            |d| d["events"][0]["at"] = json!(20211124),
            "$.events[0].at",
            "expected a string, found a number",
            true,
        ),
        (
            |d| d["events"][0]["type"] = json!("leaked"),
            "$.events[0].type",
            "unknown event type `leaked`",
            true,
        ),
        (|d| d["events"][1]["to"] = json!("nobody"), "$.events[1].to", "unknown party `nobody`", false),
        (|d| d["events"][1]["kind"] = json!("memo"), "$.events[1].kind", "unknown notification kind", true),
        (
            |d| d["events"][4]["version"] = json!("1"),
            "$.events[4].version",
            "unknown field `version` for a `published` event",
            true,
        ),
        (
            |d| d["events"][4]["with_remediation"] = json!("yes"),
            "$.events[4].with_remediation",
            "expected true or false",
            true,
        ),
        (|d| d["events"][2]["party"] = json!("ghost"), "$.events[2].party", "unknown party `ghost`", false),
        (
            |d| d["events"][2]["product"] = json!("log5j"),
            "$.events[2].product",
            "unknown product `log5j`",
            false,
        ),
        (
            |d| d["products"][0]["provider"] = json!("nobody"),
            "$.products[0].provider",
            "unknown party `nobody`",
            false,
        ),
        (
            |d| d["products"][0]["purl"] = json!("maven:log4j"),
            "$.products[0].purl",
            "not a package URL",
            true,
        ),
        (
            |d| d["parties"][2]["id"] = json!("apache"),
            "$.parties[2].id",
            "duplicate party id `apache`",
            false,
        ),
        (
            |d| {
                d["events"][8].as_object_mut().unwrap().remove("membership");
            },
            "$.events[8].membership",
            "missing required field",
            true,
        ),
        (|d| d["events"] = json!({}), "$.events", "expected an array, found an object", true),
    ];
    let validator = schema();
    for (mutate, path, fragment, schema_refuses) in cases {
        let mut doc = example();
        mutate(&mut doc);
        let found = problems(&doc);
        assert!(
            found.iter().any(|p| p.path == path && p.message.contains(fragment)),
            "expected `{path}: …{fragment}…`, got {found:#?}"
        );
        // Referential problems (dangling ids, duplicates) are beyond what the schema can say.
        if schema_refuses {
            assert!(!validator.is_valid(&doc), "the schema accepts what the reader refuses at {path}");
        }
    }
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let mut doc = example();
    doc["title"] = json!(42);
    doc["parties"][0]["jurisdiction"] = json!("cn");
    doc["events"][0]["at"] = json!("2021-11-31");
    doc["events"][3]["type"] = json!("rumoured");
    doc["events"][5]["with_exploit_code"] = json!(null);
    let paths: Vec<String> = problems(&doc).into_iter().map(|p| p.path).collect();
    assert_eq!(
        paths,
        [
            "$.title",
            "$.parties[0].jurisdiction",
            "$.events[0].at",
            "$.events[3].type",
            "$.events[5].with_exploit_code"
        ]
    );
}

#[test]
fn a_multi_product_case_must_name_the_product_of_product_events() {
    let mut doc = example();
    doc["products"].as_array_mut().unwrap().push(json!({"id": "log4j-api", "provider": "apache"}));
    let found = problems(&doc);
    assert!(
        found.iter().any(|p| p.path == "$.events[0].product" && p.message.contains("must name its product"))
    );
    // A notification may stay product-less.
    assert!(!found.iter().any(|p| p.path == "$.events[1].product"));
}

#[test]
fn deep_nesting_and_huge_numbers_are_refused_cleanly() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let error = case_file::parse(&deep).unwrap_err();
    assert_eq!(error.problems[0].path, "$");
    let mut doc = example();
    doc["events"][0]["note"] = json!(1e308);
    assert!(problems(&doc).iter().any(|p| p.path == "$.events[0].note"));
}

#[test]
fn the_log4shell_story_has_a_fifteen_day_blind_window() {
    use vulnrelay_domain::{IntervalKind, intervals};
    let case = case_file::from_value(&example()).unwrap();
    let days = |kind| intervals(&case).into_iter().find(|i| i.kind == kind).and_then(|i| i.days());
    assert_eq!(days(IntervalKind::RegulatorReport), Some(15.0));
    assert_eq!(days(IntervalKind::VendorNotified), Some(0.75));
    assert_eq!(days(IntervalKind::FixAvailable), Some(12.0));
    assert_eq!(days(IntervalKind::PublicDisclosure), Some(16.0));
    assert_eq!(days(IntervalKind::Bulletin), Some(16.0));
    assert_eq!(days(IntervalKind::FirstWarning), None);
}

/// The log4shell example with the engine-v2 vocabulary added: a notification that tells
/// Apache of the exploitation and carries exploit code, a severe incident, a joint
/// assessment, and the new notification kinds.
fn with_v2_events() -> Value {
    let mut doc = example();
    let events = doc["events"].as_array_mut().unwrap();
    events
        .push(json!({"at": "2021-12-10T08:00:00+08:00", "type": "notified", "party": "cnvd", "to": "apache",
                       "exploited": true, "with_exploit_code": true, "kind": "cve_request"}));
    events.push(
        json!({"at": "2021-12-10T09:00:00+08:00", "type": "incident", "party": "apache", "severe": true}),
    );
    events.push(
        json!({"at": "2021-12-10T10:00:00+08:00", "type": "joint_assessment", "party": "alibaba-cloud",
                       "with": "apache"}),
    );
    events.push(json!({"at": "2021-12-10T11:00:00+08:00", "type": "notified", "party": "alibaba-cloud",
                       "to": "miit-nvdb", "kind": "early_publication"}));
    doc
}

#[test]
fn the_v2_vocabulary_reads_validates_and_round_trips() {
    let doc = with_v2_events();
    assert!(
        schema().is_valid(&doc),
        "{:?}",
        schema().iter_errors(&doc).map(|e| e.to_string()).collect::<Vec<_>>()
    );
    let case = case_file::from_value(&doc).unwrap();
    let events = case.events();
    assert_eq!(
        events[10].kind,
        EventKind::Notified {
            to: PartyId("apache".into()),
            kind: vulnrelay_domain::NotificationKind::CveRequest,
            exploited: true,
            with_exploit_code: true,
            content: None,
        }
    );
    assert!(events[10].makes_aware_of_exploitation(&PartyId("apache".into())));
    assert_eq!(events[11].kind, EventKind::Incident { severe: true });
    assert_eq!(events[12].kind, EventKind::JointAssessment { with: PartyId("apache".into()) });
    let written = case_file::to_value(&case);
    assert!(schema().is_valid(&written));
    assert_eq!(case_file::from_value(&written).unwrap().events(), events);
}

#[test]
fn v2_events_are_checked_like_the_others() {
    let mut doc = with_v2_events();
    doc["events"][11].as_object_mut().unwrap().remove("severe");
    doc["events"][12]["with"] = "nobody".into();
    doc["events"][10]["exploited"] = "yes".into();
    let rendered: Vec<String> = problems(&doc).iter().map(ToString::to_string).collect();
    assert!(
        rendered.iter().any(|p| p.starts_with("$.events[11].severe: missing required field")),
        "{rendered:?}"
    );
    assert!(
        rendered.iter().any(|p| p.starts_with("$.events[10].exploited: expected true or false")),
        "{rendered:?}"
    );
    assert!(!schema().is_valid(&doc));
    // A dangling `with` is found once the fields themselves are sound.
    let mut doc = with_v2_events();
    doc["events"][12]["with"] = "nobody".into();
    let rendered: Vec<String> = problems(&doc).iter().map(ToString::to_string).collect();
    assert_eq!(rendered, ["$.events[12].with: unknown party `nobody`"]);
}

/// The case file of `doc` with only its first `parties`, `products` and `events`.
fn prefix(doc: &Value, parties: usize, products: usize, events: usize) -> Value {
    let mut cut = doc.clone();
    for (key, keep) in [("parties", parties), ("products", products), ("events", events)] {
        cut[key].as_array_mut().unwrap().truncate(keep);
    }
    cut
}

#[test]
fn extending_a_case_reads_as_the_whole_case_file_does() {
    let doc = example();
    let whole = case_file::to_value(&case_file::from_value(&doc).unwrap());
    let all = |key: &str| doc[key].as_array().unwrap().clone();
    let (parties, products, events) = (all("parties"), all("products"), all("events"));
    // The first event needs its reporter and product; everything else can come later.
    for cut_events in [1, events.len() / 2, events.len()] {
        let base = case_file::from_value(&prefix(&doc, parties.len(), products.len(), cut_events)).unwrap();
        let extended = case_file::extend(&base, &[], &[], &events[cut_events..]).unwrap();
        assert_eq!(case_file::to_value(&extended), whole, "events from {cut_events}");
    }
    // Parties given again (already on the case) are left out, not duplicated.
    let base = case_file::from_value(&prefix(&doc, parties.len(), products.len(), 1)).unwrap();
    let extended = case_file::extend(&base, &parties, &products, &events[1..]).unwrap();
    assert_eq!(case_file::to_value(&extended), whole);

    // A problem of a new event is named where it stands in the whole case file.
    let mut bad = events[events.len() - 1].clone();
    bad["type"] = json!("rumoured");
    let cut = events.len() - 1;
    let base = case_file::from_value(&prefix(&doc, parties.len(), products.len(), cut)).unwrap();
    let error = case_file::extend(&base, &[], &[], &[bad]).unwrap_err();
    assert_eq!(error.problems[0].path, format!("$.events[{cut}].type"));
    let mut unknown = events[events.len() - 1].clone();
    unknown["party"] = json!("nobody");
    let error = case_file::extend(&base, &[], &[], &[unknown]).unwrap_err();
    assert_eq!(error.problems[0].path, format!("$.events[{cut}].party"), "{error}");
}

/// The parts of `doc` as a stored case holds them: title, time zone, parties, products
/// and events, read without the document around them.
fn from_parts_of(doc: &Value) -> Result<vulnrelay_domain::Case, case_file::CaseFileError> {
    let list = |key: &str| doc[key].as_array().cloned().unwrap_or_default();
    let (parties, products, events) = (list("parties"), list("products"), list("events"));
    case_file::from_parts(
        doc["title"].as_str().unwrap(),
        doc["timezone"].as_str().unwrap(),
        &parties,
        &products,
        &events,
    )
}

#[test]
fn a_case_read_from_its_parts_is_the_case_its_file_reads_as() {
    let doc = example();
    let whole = case_file::from_value(&doc).unwrap();
    assert_eq!(case_file::to_value(&from_parts_of(&doc).unwrap()), case_file::to_value(&whole));
    let v2 = with_v2_events();
    assert_eq!(
        case_file::to_value(&from_parts_of(&v2).unwrap()),
        case_file::to_value(&case_file::from_value(&v2).unwrap())
    );

    // Every problem, at the same path as in the whole file and in the same order.
    let mut bad = doc.clone();
    bad["timezone"] = json!("Mars/Olympus");
    bad["parties"][1]["roles"] = json!(["astronaut"]);
    bad["events"][2]["type"] = json!("rumoured");
    let last = bad["events"].as_array().unwrap().len() - 1;
    bad["events"][last]["party"] = json!("nobody");
    let from_file = problems(&bad);
    assert!(from_file.len() >= 3, "{from_file:?}");
    assert_eq!(from_parts_of(&bad).unwrap_err().problems, from_file);
}
