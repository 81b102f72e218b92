//! `vulnrelay check` end to end: the Log4Shell verdicts, table and JSON snapshots,
//! interpretations, and bad input.

use crate::common;

use assert_cmd::Command;
use serde_json::Value;

fn vulnrelay() -> Command {
    let mut cmd = Command::cargo_bin("vulnrelay").unwrap();
    cmd.current_dir(common::workspace()).env_remove("VULNRELAY_LANG").env("LANG", "C");
    cmd
}

fn check(args: &[&str]) -> (i32, String, String) {
    let output = vulnrelay().arg("check").args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = check(&all);
    (code, serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}")))
}

fn findings<'v>(report: &'v Value, rule: &str, party: &str) -> Vec<&'v Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule && f["party"] == party)
        .collect()
}

#[test]
fn log4shell_as_of_the_suspension() {
    let (code, report) = json(&["examples/log4shell.json", "--as-of", "2021-12-22"]);
    assert_eq!(code, 1);
    // Alibaba Cloud is overdue on the cooperating-unit duty: due 2021-11-26, never met.
    let member = findings(&report, "cn-miit-member/member-report-2d", "alibaba-cloud");
    assert_eq!(member.len(), 1);
    assert_eq!(member[0]["status"], "overdue");
    assert_eq!(member[0]["due_at"], "2021-11-26T00:00:00+08:00");
    assert_eq!(member[0]["satisfied_at"], Value::Null);
    // Telling the overseas maintainer was allowed.
    let overseas = findings(&report, "cn-rmsv-2021/art9-7-overseas", "alibaba-cloud");
    assert_eq!(overseas.len(), 1);
    assert_eq!(overseas[0]["status"], "met");
    assert_eq!(overseas[0]["evidence"], serde_json::json!([1]));
    // Alibaba Cloud is not Log4j's provider: no statutory Art. 7(2) duty.
    assert!(findings(&report, "cn-rmsv-2021/art7-2-report", "alibaba-cloud").is_empty());
    insta::assert_json_snapshot!("log4shell_json", report);
}

#[test]
fn log4shell_table() {
    let (code, stdout, stderr) = check(&["examples/log4shell.json", "--as-of", "2021-12-22"]);
    assert_eq!((code, stderr.as_str()), (1, ""));
    // Piped output carries no colour codes.
    assert!(!stdout.contains('\u{1b}'));
    insta::assert_snapshot!("log4shell_table", stdout);
}

#[test]
fn log4shell_table_in_chinese() {
    let (code, stdout, _) = check(&["examples/log4shell.json", "--as-of", "2021-12-22", "--lang", "zh"]);
    assert_eq!(code, 1);
    assert!(stdout.contains("已逾期"));
    insta::assert_snapshot!("log4shell_table_zh", stdout);
}

#[test]
fn calendar_days_move_the_deadline_to_the_end_of_the_26th() {
    let (_, report) =
        json(&["examples/log4shell.json", "--as-of", "2021-12-22", "--interpretation", "calendar-days"]);
    let member = findings(&report, "cn-miit-member/member-report-2d", "alibaba-cloud");
    assert_eq!(member[0]["due_at"], "2021-11-27T00:00:00+08:00");
    assert_eq!(member[0]["interpretation"], "calendar-days");
    assert_eq!(report["interpretation"], "calendar-days");
}

#[test]
fn before_the_deadline_the_duty_is_pending_and_the_exit_code_zero() {
    let (code, report) = json(&["examples/log4shell.json", "--as-of", "2021-11-25T12:00:00+08:00"]);
    assert_eq!(code, 0);
    let member = findings(&report, "cn-miit-member/member-report-2d", "alibaba-cloud");
    assert_eq!(member[0]["status"], "pending");
}

#[test]
fn choosing_policies() {
    let (code, report) =
        json(&["examples/log4shell.json", "--as-of", "2021-12-22", "--policy", "cn-rmsv-2021"]);
    assert_eq!(code, 0);
    assert!(report["findings"].as_array().unwrap().iter().all(|f| f["policy"] == "cn-rmsv-2021"));
    let (code, report) = json(&[
        "examples/log4shell.json",
        "--as-of",
        "2021-12-22",
        "--policy",
        "policies/cn-miit-member.toml",
    ]);
    assert_eq!(code, 1);
    assert_eq!(report["policies"][0]["id"], "cn-miit-member");
}

#[test]
fn before_the_story_nobody_is_bound() {
    let (code, stdout, _) = check(&["examples/log4shell.json", "--as-of", "2021-11-01"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("no party is bound"), "{stdout}");
}

#[test]
fn bad_input_exits_2_with_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    let mut doc: Value = serde_json::from_str(
        &std::fs::read_to_string(common::workspace().join("examples/log4shell.json")).unwrap(),
    )
    .unwrap();
    doc["events"][0]["at"] = "someday".into();
    doc["events"][1]["to"] = "apache-foundation".into();
    doc["parties"][0]["roles"] = serde_json::json!(["hacker"]);
    std::fs::write(&bad, serde_json::to_string(&doc).unwrap()).unwrap();
    let (code, _, stderr) = check(&[bad.to_str().unwrap(), "--as-of", "2021-12-22"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("$.parties[0].roles[0]: unknown role `hacker`"), "{stderr}");
    assert!(stderr.contains("$.events[0].at: `someday` is not an RFC 3339 time"), "{stderr}");
    // The dangling id is found once the fields themselves are sound.
    doc["events"][0]["at"] = "2021-11-24".into();
    doc["parties"][0]["roles"] = serde_json::json!(["discoverer"]);
    std::fs::write(&bad, serde_json::to_string(&doc).unwrap()).unwrap();
    let (code, _, stderr) = check(&[bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("$.events[1].to: unknown party `apache-foundation`"), "{stderr}");
}

#[test]
fn other_bad_input_exits_2() {
    for args in [
        vec!["missing.json"],
        vec!["examples/log4shell.json", "--policy", "cn-2099"],
        vec!["examples/log4shell.json", "--as-of", "next week"],
        vec!["examples/log4shell.json", "--format", "xml"],
        vec!["examples/log4shell.json", "--interpretation", "weeks"],
        vec!["examples/log4shell.json", "--interpretation", "eu-cra-2024=calendar-days"],
        vec!["examples/log4shell.json", "--interpretation", "cn-2099=hours"],
        vec!["examples/log4shell.json", "--deadline", "cn-rmsv-2021/art7-2-report=5d"],
        vec!["examples/log4shell.json", "--deadline", "cn-miit-member/member-report-2d=soon"],
        vec!["README.md"],
    ] {
        let (code, _, stderr) = check(&args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(!stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn a_good_and_a_bad_file_together_still_report_the_good_one() {
    let (code, stdout, stderr) =
        check(&["examples/log4shell.json", "missing.json", "--as-of", "2021-12-22", "--format", "json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.json"));
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["cases"].as_array().unwrap().len(), 1);
}

#[test]
fn interpretations_are_chosen_per_policy() {
    // Only the cooperating-unit scheme is read in calendar days: its deadline moves to
    // the end of the 26th, Beijing time; the other packs keep 48 hours.
    let (_, report) = json(&[
        "examples/log4shell.json",
        "--as-of",
        "2021-12-22",
        "--interpretation",
        "cn-miit-member=calendar-days",
    ]);
    let member = findings(&report, "cn-miit-member/member-report-2d", "alibaba-cloud");
    assert_eq!(member[0]["due_at"], "2021-11-27T00:00:00+08:00");
    let readings: Vec<(&str, &str)> = report["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["interpretation"].as_str().unwrap()))
        .collect();
    assert_eq!(
        readings,
        [("cn-rmsv-2021", "hours"), ("cn-miit-member", "calendar-days"), ("eu-cra-2024", "hours")]
    );
    assert_eq!(report["policies"][1]["timezone"], "Asia/Shanghai");
    // The bare switch reads every Chinese "2日" in calendar days but leaves the CRA alone.
    let (_, report) =
        json(&["examples/log4shell.json", "--as-of", "2021-12-22", "--interpretation", "calendar-days"]);
    assert_eq!(report["policies"][2]["interpretation"], "hours");
    assert_eq!(report["policies"][0]["interpretation"], "calendar-days");
}

#[test]
fn a_configured_deadline_replaces_the_schemes_default() {
    let (_, report) = json(&[
        "examples/log4shell.json",
        "--as-of",
        "2021-12-22",
        "--deadline",
        "cn-miit-member/member-report-2d=20d",
    ]);
    let member = findings(&report, "cn-miit-member/member-report-2d", "alibaba-cloud");
    assert_eq!(member[0]["due_at"], "2021-12-14T00:00:00+08:00");
    let notes: Vec<&str> =
        member[0]["notes"].as_array().unwrap().iter().map(|n| n["en"].as_str().unwrap()).collect();
    assert!(
        notes.contains(&"the deadline is set by the platform's configuration, not by the pack"),
        "{notes:?}"
    );
}

#[test]
fn needs_review_is_listed_but_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cna.json");
    let mut doc: Value = serde_json::from_str(
        &std::fs::read_to_string(common::workspace().join("examples/log4shell.json")).unwrap(),
    )
    .unwrap();
    doc["parties"].as_array_mut().unwrap().push(serde_json::json!(
        {"id": "foreign-cna", "roles": ["international_vulnerability_db"], "jurisdiction": "US"}
    ));
    doc["events"].as_array_mut().unwrap().push(serde_json::json!(
        {"at": "2021-11-25", "type": "notified", "party": "alibaba-cloud", "to": "foreign-cna", "kind": "cve_request"}
    ));
    std::fs::write(&file, serde_json::to_string(&doc).unwrap()).unwrap();
    let path = file.to_str().unwrap();
    let (code, stdout, _) = check(&[path, "--as-of", "2021-12-22", "--policy", "cn-rmsv-2021"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("needs_review  cn-rmsv-2021/art9-7-overseas"), "{stdout}");
    assert!(stdout.contains("1 needs_review"), "{stdout}");
    let (_, report) = json(&[path, "--as-of", "2021-12-22", "--policy", "cn-rmsv-2021"]);
    let review = findings(&report, "cn-rmsv-2021/art9-7-overseas", "alibaba-cloud");
    assert_eq!(review[1]["status"], "needs_review");
    assert!(review[1]["message"]["en"].as_str().unwrap().contains("legal-review question"));
    assert_eq!(
        review[1]["notes"][0]["en"],
        "applies because the vulnerability was undisclosed; the recipient is overseas"
    );
}

#[test]
fn both_regimes_side_by_side_with_an_incomplete_cn_report() {
    // A Chinese vendor's gateway sold in China and the EU: the CN
    // 2-day report went out in time without the model; the CRA early warning was not
    // sent; the CRA notification owed abroad conflicts with CN Art. 9(7).
    let (code, report) = json(&["examples/cn-vendor-eu-market.json", "--as-of", "2026-10-14T12:00:00+08:00"]);
    assert_eq!(code, 1);
    let cn = findings(&report, "cn-rmsv-2021/art7-2-report", "example-networks");
    assert_eq!(cn.len(), 1);
    assert_eq!(cn[0]["status"], "met_incomplete");
    assert_eq!(
        cn[0]["missing"],
        serde_json::json!([{"field": "model", "article": "7(2)", "confidence": "V", "label": {"en": "Model", "zh": "型号"}}])
    );
    let early = findings(&report, "eu-cra-2024/art14-2-a-early-warning", "example-networks");
    assert_eq!(early[0]["status"], "overdue");
    let notification =
        findings(&report, "eu-cra-2024/art14-2-b-vulnerability-notification", "example-networks");
    assert_eq!(notification[0]["status"], "pending");
    let last = findings(&report, "eu-cra-2024/art14-2-c-final-report", "example-networks");
    assert_eq!(last[0]["status"], "not_started");
    let conflict = findings(&report, "eu-cra-2024/conflict-cn-art9-7", "example-networks");
    assert!(conflict.iter().any(|f| f["status"] == "conflict"), "{conflict:?}");
    // The table says it in words, with the missing field and its article.
    let (code, table, _) =
        check(&["examples/cn-vendor-eu-market.json", "--as-of", "2026-10-14T12:00:00+08:00"]);
    assert_eq!(code, 1);
    assert!(table.contains("met incompletely"), "{table}");
    assert!(table.contains("missing Model (7(2) [V])"), "{table}");
    // With the model sent in time, the report is met and only the CRA keeps the exit code.
    let mut case: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::workspace().join("examples/cn-vendor-eu-market.json")).unwrap(),
    )
    .unwrap();
    case["events"][3]["content"]["fields"]["model"] = "EG-3000".into();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("complete.json");
    std::fs::write(&path, case.to_string()).unwrap();
    let (_, report) = json(&[path.to_str().unwrap(), "--as-of", "2026-10-14T12:00:00+08:00"]);
    assert_eq!(findings(&report, "cn-rmsv-2021/art7-2-report", "example-networks")[0]["status"], "met");
}
