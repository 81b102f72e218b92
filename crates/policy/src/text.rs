//! The bilingual messages of findings. Times are shown in the case's time zone.

use vulnrelay_domain::{Case, Event, EventType, Party, Timestamp};

use crate::Text;
use crate::finding::{Explanation, Finding, Status};
use crate::pack::{Condition, Confidence, Rule};

/// The message of a finding evaluated on `case`.
pub(crate) fn message(case: &Case, finding: &Finding<'_>) -> Text {
    let Some(party) = case.party(finding.party) else {
        return finding.rule.title.clone();
    };
    let rule = finding.rule;
    match &finding.explanation {
        Explanation::Clock => obligation(case, rule, party, finding, finding.as_of),
        Explanation::WaitingFor(types) => not_started(rule, party, types),
        Explanation::Gate { event, exemption, not_forbidden_because } => match case.events().get(*event) {
            Some(event) => gate(case, rule, party, event, finding.status, *exemption, *not_forbidden_because),
            None => rule.title.clone(),
        },
        Explanation::Conflict => conflict(rule, party, &finding.related),
    }
}

/// `2021-11-26 00:00 +08:00` in the case's time zone.
fn when(case: &Case, at: Timestamp) -> String {
    at.with_timezone(&case.timezone()).format("%Y-%m-%d %H:%M %:z").to_string()
}

fn who(party: &Party) -> String {
    party.name.clone()
}

/// Adds the "unverified" mark that reference/regulation.md asks for on [M] text.
fn marked(rule: &Rule, text: Text) -> Text {
    if rule.confidence == Confidence::Unverified {
        Text {
            en: format!("{} [rule text unverified]", text.en), zh: format!("{}［条文未经核实］", text.zh)
        }
    } else {
        text
    }
}

fn not_started(rule: &Rule, party: &Party, waiting_for: &[EventType]) -> Text {
    let events: Vec<&str> = waiting_for.iter().map(|t| t.as_str()).collect();
    let events = events.join(" / ");
    marked(
        rule,
        Text {
            en: format!("{}: {} — clock not started, waiting for `{events}`", who(party), rule.title.en),
            zh: format!("{}：{}——尚未起算，等待 `{events}` 事件", who(party), rule.title.zh),
        },
    )
}

fn obligation(case: &Case, rule: &Rule, party: &Party, finding: &Finding<'_>, as_of: Timestamp) -> Text {
    let p = who(party);
    let (en_title, zh_title) = (&rule.title.en, &rule.title.zh);
    let due = finding.due_at.map(|d| when(case, d));
    let done = finding.satisfied_at.map(|d| when(case, d));
    let late = finding.late_by_hours.unwrap_or_default();
    let text = match (finding.status, due, done) {
        (Status::Met, Some(due), Some(done)) => Text {
            en: format!("{p} met: {en_title} — done {done}, due {due}"),
            zh: format!("{p}已按时履行：{zh_title}——于{done}履行，期限{due}"),
        },
        (Status::Met, None, Some(done)) => Text {
            en: format!("{p} met: {en_title} — done {done}"),
            zh: format!("{p}已履行：{zh_title}——于{done}履行"),
        },
        (Status::MetLate, Some(due), Some(done)) => Text {
            en: format!("{p} met late: {en_title} — due {due}, done {done}, {late} h late"),
            zh: format!("{p}逾期履行：{zh_title}——期限{due}，于{done}履行，逾期{late}小时"),
        },
        (Status::Overdue, Some(due), _) => {
            let as_of = when(case, as_of);
            Text {
                en: format!("{p} is overdue: {en_title} — due {due}, not done ({late} h late as of {as_of})"),
                zh: format!("{p}已逾期：{zh_title}——期限{due}，尚未履行（截至{as_of}逾期{late}小时）"),
            }
        }
        (_, Some(due), _) => Text {
            en: format!("{p} must still: {en_title} — due {due}"),
            zh: format!("{p}待履行：{zh_title}——期限{due}"),
        },
        (_, None, _) => Text {
            en: format!("{p} must still: {en_title} — immediately (no numeric deadline)"),
            zh: format!("{p}待履行：{zh_title}——应立即履行（无具体时限）"),
        },
    };
    marked(rule, text)
}

/// Why a condition holds, or (negated) why it does not.
fn condition(condition: &Condition, negated: bool) -> Text {
    let (en, zh) = match (condition, negated) {
        (Condition::Undisclosed, false) => ("the vulnerability was undisclosed", "漏洞尚未公开"),
        (Condition::Undisclosed, true) => ("the vulnerability was already public", "漏洞已公开"),
        (Condition::BeforeFix, false) => ("no fix was available", "修补措施尚未提供"),
        (Condition::BeforeFix, true) => ("a fix was available", "修补措施已提供"),
        (Condition::RecipientOutsideJurisdiction, false) => ("the recipient is overseas", "接收方在境外"),
        (Condition::RecipientOutsideJurisdiction, true) => ("the recipient is domestic", "接收方在境内"),
        (Condition::RecipientIsProductProvider, false) => {
            ("the recipient is the product's provider", "接收方是该产品的提供者")
        }
        (Condition::RecipientIsProductProvider, true) => {
            ("the recipient is not the product's provider", "接收方不是该产品的提供者")
        }
        (Condition::ActorIsProductProvider, false) => {
            ("the publisher is the product's provider", "发布者是产品提供者")
        }
        (Condition::ActorIsProductProvider, true) => {
            ("the publisher is not the product's provider", "发布者不是产品提供者")
        }
        (Condition::WithExploitCode, false) => ("it carried exploit code", "附带了漏洞利用代码"),
        (Condition::WithExploitCode, true) => ("it carried no exploit code", "未附带漏洞利用代码"),
        (Condition::WithoutRemediation, false) => ("it carried no remediation", "未同步发布修补或防范措施"),
        (Condition::WithoutRemediation, true) => ("it carried remediation", "同步发布了修补或防范措施"),
        (Condition::InBlackout, false) => ("it fell in a blackout window", "处于禁止发布期间"),
        (Condition::InBlackout, true) => ("no blackout window was in force", "不在禁止发布期间"),
        (Condition::ApprovedBy(role), false) => {
            return Text {
                en: format!("publication was approved by a {role}"),
                zh: format!("已获 {role} 批准发布"),
            };
        }
        (Condition::ApprovedBy(role), true) => {
            return Text { en: format!("no {role} approved it"), zh: format!("未获 {role} 批准") };
        }
        (Condition::ConsentBy(role), false) => {
            return Text { en: format!("a {role} consented"), zh: format!("已获 {role} 同意") };
        }
        (Condition::ConsentBy(role), true) => {
            return Text { en: format!("no {role} consented"), zh: format!("未获 {role} 同意") };
        }
    };
    Text { en: en.to_owned(), zh: zh.to_owned() }
}

fn gate(
    case: &Case,
    rule: &Rule,
    actor: &Party,
    event: &Event,
    status: Status,
    exemption: Option<&Condition>,
    failed: Option<&Condition>,
) -> Text {
    let p = who(actor);
    let at = when(case, event.at);
    let what = match event.recipient().and_then(|to| case.party(to)) {
        Some(to) => Text {
            en: format!("`{}` to {} [{}] at {at}", event.event_type(), who(to), to.jurisdiction),
            zh: format!("{at} 向 {}［{}］的 `{}`", who(to), to.jurisdiction, event.event_type()),
        },
        None => Text {
            en: format!("`{}` at {at}", event.event_type()),
            zh: format!("{at} 的 `{}`", event.event_type()),
        },
    };
    let text = if status == Status::Violated {
        let why: Vec<Text> = gate_reasons(rule);
        let en_why: Vec<&str> = why.iter().map(|t| t.en.as_str()).collect();
        let zh_why: Vec<&str> = why.iter().map(|t| t.zh.as_str()).collect();
        Text {
            en: format!("{p} broke: {} — {}{}", rule.title.en, what.en, suffix(&en_why.join("; "), ": ")),
            zh: format!("{p}违反：{}——{}，{}", rule.title.zh, what.zh, zh_why.join("；")),
        }
    } else {
        let reason = exemption.map(|c| condition(c, false)).or_else(|| failed.map(|c| condition(c, true)));
        let reason = reason.unwrap_or_else(|| Text { en: String::new(), zh: String::new() });
        Text {
            en: format!("{p}: {} — {} allowed{}", rule.title.en, what.en, suffix(&reason.en, ": ")),
            zh: format!("{p}：{}——{}，允许{}", rule.title.zh, what.zh, suffix(&reason.zh, "：")),
        }
    };
    marked(rule, text)
}

fn gate_reasons(rule: &Rule) -> Vec<Text> {
    match &rule.kind {
        crate::RuleKind::Gate(gate) => gate
            .forbidden_when
            .iter()
            .map(|c| condition(c, false))
            .chain(gate.unless.iter().map(|c| condition(c, true)))
            .collect(),
        _ => Vec::new(),
    }
}

fn suffix(text: &str, separator: &str) -> String {
    if text.is_empty() { String::new() } else { format!("{separator}{text}") }
}

fn conflict(rule: &Rule, party: &Party, related: &[(&crate::Pack, &Rule)]) -> Text {
    let titles = |pick: fn(&Text) -> &String| -> Vec<String> {
        related.iter().map(|(pack, r)| format!("{} ({}/{})", pick(&r.title), pack.id, r.id)).collect()
    };
    let p = who(party);
    Text {
        en: format!(
            "{p}: {} — {}; the engine does not decide this, it needs legal review",
            rule.title.en,
            titles(|t| &t.en).join(" vs ")
        ),
        zh: format!("{p}：{}——{}；引擎不作裁决，需法律评估", rule.title.zh, titles(|t| &t.zh).join(" 与 ")),
    }
}
