//! The bilingual messages of findings. Times are shown in the case's time zone.

use vulnrelay_domain::{Case, Event, EventType, Party, Timestamp};

use crate::Text;
use crate::finding::{Exception, Explanation, Finding, Status};
use crate::pack::{
    Condition, Confidence, Deadline, DeadlineBasis, Interpretation, ObligationReview, Rule, RuleKind,
};

/// The message of a finding evaluated on `case`.
pub(crate) fn message(case: &Case, finding: &Finding<'_>) -> Text {
    let Some(party) = case.party(finding.party) else {
        return finding.rule.title.clone();
    };
    let rule = finding.rule;
    match &finding.explanation {
        Explanation::Clock => obligation(case, rule, party, finding, finding.as_of),
        Explanation::WaitingFor(types) => not_started(rule, party, types),
        Explanation::NotAware { seen } => match case.events().get(*seen) {
            Some(event) => not_aware(case, rule, party, event),
            None => rule.title.clone(),
        },
        Explanation::Gate { event, exemption, not_forbidden_because, exception, review } => {
            match case.events().get(*event) {
                Some(event) => gate(
                    case,
                    rule,
                    party,
                    event,
                    finding.status,
                    GateWhy {
                        exemption: *exemption,
                        failed: *not_forbidden_because,
                        exception,
                        review: *review,
                    },
                ),
                None => rule.title.clone(),
            }
        }
        Explanation::Conflict => conflict(rule, party, &finding.related),
        Explanation::ClockReview { trigger, review } => match case.events().get(*trigger) {
            Some(event) => clock_review(case, finding, party, event, review),
            None => rule.title.clone(),
        },
    }
}

/// An open duty the engine leaves to a person.
fn clock_review(
    case: &Case,
    finding: &Finding<'_>,
    party: &Party,
    trigger: &Event,
    review: &ObligationReview,
) -> Text {
    let rule = finding.rule;
    let p = who(party);
    let pz = who_zh(party);
    let at = when(case, trigger.at);
    let from = case.party(&trigger.party).map(who).unwrap_or_else(|| trigger.party.0.clone());
    let from_zh = case.party(&trigger.party).map(who_zh).unwrap_or_else(|| trigger.party.0.clone());
    let reason = match review {
        ObligationReview::TriggerReceivedFrom(role) => Text {
            en: format!(
                "{p} learned of it from {from} (a {role}) at {at}; whether the law asks for a report back to the \
                 platform that told it, the text does not say: the engine does not decide this"
            ),
            zh: format!(
                "{pz}于{at}经{from_zh}（{role}）告知而获知；是否仍须向告知它的平台报送，条文未作规定：引擎不作裁决"
            ),
        },
    };
    // A report made after the deadline the clock would set is the review's evidence.
    let (done, done_zh) = match (finding.satisfied_at, finding.due_at) {
        (Some(done), Some(due)) => (
            format!(" (reported {}, after the {} the clock would set)", when(case, done), when(case, due)),
            format!("（于{}报送，晚于时限{}）", when(case, done), when(case, due)),
        ),
        _ => (String::new(), String::new()),
    };
    marked(
        rule,
        Text {
            en: format!("{p}: {}{done} — needs review: {}", rule.title.en, reason.en),
            zh: format!("{pz}：{}{done_zh}——需复核：{}", rule.title.zh, reason.zh),
        },
    )
}

/// `2021-11-26 00:00 +08:00` in the case's time zone.
fn when(case: &Case, at: Timestamp) -> String {
    at.with_timezone(&case.timezone()).format("%Y-%m-%d %H:%M %:z").to_string()
}

fn who(party: &Party) -> String {
    party.name.clone()
}

/// The party's name in Chinese text: its Chinese name where one is known.
fn who_zh(party: &Party) -> String {
    party.name_in(true).to_owned()
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

/// The notes of a finding (see [`Finding::notes`]).
pub(crate) fn notes(case: &Case, finding: &Finding<'_>) -> Vec<Text> {
    let rule = finding.rule;
    let mut out = Vec::new();
    if let RuleKind::Gate(gate) = &rule.kind
        && !gate.applies_when.is_empty()
        && matches!(finding.explanation, Explanation::Gate { .. })
    {
        let why: Vec<Text> = gate.applies_when.iter().map(|c| condition(c, false)).collect();
        out.push(Text {
            en: format!("applies because {}", join(&why, |t| &t.en, "; ")),
            zh: format!("适用原因：{}", join(&why, |t| &t.zh, "；")),
        });
    }
    if let Some(note) = &rule.note {
        out.push(note.clone());
    }
    if let Some(reading) = finding.interpretation {
        out.push(reading_note(reading, finding.pack.timezone.unwrap_or_else(|| case.timezone()).name()));
        if reading == Interpretation::CivilCodeHolidays
            && let Some(calendar) = &finding.pack.holidays
        {
            out.push(holiday_note(calendar, finding, case));
        }
    }
    if !finding.missing.is_empty() && finding.status != Status::MetIncomplete {
        let fields = missing_fields(finding);
        out.push(if finding.content_recorded {
            Text {
                en: format!("content missing from the notification: {}", fields.en),
                zh: format!("通报缺少的内容：{}", fields.zh),
            }
        } else {
            Text {
                en: format!(
                    "the notification's content was not recorded, so the record does not show: {}",
                    fields.en
                ),
                zh: format!("通报内容未记录，记录无法显示：{}", fields.zh),
            }
        });
    }
    if let RuleKind::Obligation(obligation) = &rule.kind {
        if finding.deadline_configured {
            out.push(Text {
                en: "the deadline is set by the platform's configuration, not by the pack".to_owned(),
                zh: "期限由平台配置设定，而非规则包".to_owned(),
            });
        } else if obligation.deadline_basis == DeadlineBasis::Interpretation {
            out.push(Text {
                en: "the deadline is an interpretation: the source gives no number".to_owned(),
                zh: "期限系解释：来源未规定具体时限".to_owned(),
            });
        }
    }
    out
}

/// How a reading of "N days" is described.
fn reading_note(reading: Interpretation, tz: &str) -> Text {
    match reading {
        Interpretation::Hours => Text {
            en: "days read as 24-hour periods from the clock's start (conservative interpretation)"
                .to_owned(),
            zh: "“日”按自起算时起每24小时计算（保守解释）".to_owned(),
        },
        Interpretation::CalendarDays => Text {
            en: format!(
                "days read as calendar days: the starting day is not counted, the period ends at 24:00 ({tz}) of \
                 the last day (interpretation)"
            ),
            zh: format!("“日”按日历日计算：起算当日不计入，期间最后一日24时（{tz}）届满（解释）"),
        },
        Interpretation::CivilCodeHolidays => Text {
            en: format!(
                "days read as calendar days with the Civil Code's rules on periods, by analogy (Arts. 201–203, [M]): \
                 the starting day is not counted; a last day that is a statutory rest day gives way to the next \
                 working day, at 24:00 ({tz}) (interpretation)"
            ),
            zh: format!(
                "“日”按《民法典》第二百零一条至第二百零三条类推计算（［M］）：开始的当日不计入；期间最后一日是法定休假日的，\
                 以休假日结束的次日为期间的最后一日，24时（{tz}）届满（解释）"
            ),
        },
        Interpretation::EuPeriods => Text {
            en: format!(
                "periods read under Regulation (EEC, Euratom) No 1182/71 by analogy: the day of the event is not \
                 counted (Art. 3(1)); the period ends at 24:00 ({tz}) of its last day, or of the following working \
                 day when that is a Saturday or Sunday (Art. 3(4)); public holidays are not applied, none are \
                 shipped (interpretation)"
            ),
            zh: format!(
                "期间按第1182/71号条例（类推）计算：事件发生当日不计入（第3条第1款）；期间最后一日24时（{tz}）届满，\
                 最后一日为周六或周日的，顺延至下一工作日24时（第3条第4款）；未适用公共假日，未随附假日数据（解释）"
            ),
        },
    }
}

/// Which holiday data the Civil Code reading used: the notice of the deadline's year, or
/// that the calendar lacks that year.
fn holiday_note(calendar: &crate::HolidayCalendar, finding: &Finding<'_>, case: &Case) -> Text {
    use chrono::Datelike;
    let tz = finding.pack.timezone.unwrap_or_else(|| case.timezone());
    let Some(due) = finding.due_at else { return Text { en: String::new(), zh: String::new() } };
    // The last day of the period is the day before the deadline's midnight.
    let last = (due - chrono::TimeDelta::seconds(1)).with_timezone(&tz).date_naive();
    let covered: Vec<String> = calendar.years.keys().map(ToString::to_string).collect();
    match calendar.years.get(&last.year()) {
        Some(year) => Text {
            en: format!("holidays and make-up working days of {} from {}", last.year(), year.notice),
            zh: format!("{}年节假日及调休上班日据{}", last.year(), year.notice),
        },
        None => Text {
            en: format!(
                "no holiday data for {}: only weekends were treated as rest days (data shipped for {})",
                last.year(),
                covered.join(", ")
            ),
            zh: format!(
                "无{}年节假日数据：仅按周末计休息日（已有数据年份：{}）",
                last.year(),
                covered.join("、")
            ),
        },
    }
}

/// The sanction's text with the research's confidence.
pub(crate) fn sanction(text: &Text, confidence: Option<Confidence>) -> Text {
    match confidence {
        Some(Confidence::Unverified) => Text {
            en: format!("{} [M: unverified]", text.en),
            zh: format!("{}［M：未经核实］", text.zh),
        },
        Some(c) => {
            Text { en: format!("{} [{}]", text.en, c.tag()), zh: format!("{}［{}］", text.zh, c.tag()) }
        }
        None => text.clone(),
    }
}

fn join(texts: &[Text], pick: fn(&Text) -> &String, separator: &str) -> String {
    texts.iter().map(|t| pick(t).as_str()).collect::<Vec<_>>().join(separator)
}

fn not_aware(case: &Case, rule: &Rule, party: &Party, seen: &Event) -> Text {
    let other = case.party(&seen.party).map_or_else(|| seen.party.0.clone(), who);
    let at = when(case, seen.at);
    let t = seen.event_type();
    marked(
        rule,
        Text {
            en: format!(
                "{}: {} — clock not started: {other} recorded `{t}` at {at}, but nothing on record shows {} \
                 is aware of it (its own `{t}` event, or a `notified` to it with `exploited: true`)",
                who(party),
                rule.title.en,
                who(party)
            ),
            zh: format!(
                "{}：{}——尚未起算：{other}于{at}记录了 `{t}`，但无记录表明{}已获知（其自身的 `{t}` 事件，或发给它且 \
                 `exploited: true` 的 `notified`）",
                who_zh(party),
                rule.title.zh,
                who_zh(party)
            ),
        },
    )
}

fn not_started(rule: &Rule, party: &Party, waiting_for: &[EventType]) -> Text {
    let events: Vec<&str> = waiting_for.iter().map(|t| t.as_str()).collect();
    let events = events.join(" / ");
    marked(
        rule,
        Text {
            en: format!("{}: {} — clock not started, waiting for `{events}`", who(party), rule.title.en),
            zh: format!("{}：{}——尚未起算，等待 `{events}` 事件", who_zh(party), rule.title.zh),
        },
    )
}

fn obligation(case: &Case, rule: &Rule, party: &Party, finding: &Finding<'_>, as_of: Timestamp) -> Text {
    let p = who(party);
    let pz = who_zh(party);
    let (en_title, zh_title) = (&rule.title.en, &rule.title.zh);
    let reading = deadline_words(rule, finding);
    let due = finding.due_at.map(|d| format!("{}{}", when(case, d), reading.en));
    let due_zh = finding.due_at.map(|d| format!("{}{}", when(case, d), reading.zh));
    let done = finding.satisfied_at.map(|d| when(case, d));
    let (late, late_zh) = lateness(finding.late_by_hours.unwrap_or_default());
    let due_zh = due_zh.unwrap_or_default();
    let text = match (finding.status, due, done) {
        (Status::Met, Some(due), Some(done)) => Text {
            en: format!("{p} met: {en_title} — done {done}, due {due}"),
            zh: format!("{pz}已按时履行：{zh_title}——于{done}履行，期限{due_zh}"),
        },
        (Status::Met, None, Some(done)) => Text {
            en: format!("{p} met: {en_title} — done {done}"),
            zh: format!("{pz}已履行：{zh_title}——于{done}履行"),
        },
        (Status::MetIncomplete, _, Some(done)) if !finding.content_recorded => {
            let fields = missing_fields(finding);
            Text {
                en: format!(
                    "{p} met incompletely on the record: {en_title} — sent {done}, its content not recorded, so the record does not show {}",
                    fields.en
                ),
                zh: format!("{pz}的通报内容未记录：{zh_title}——于{done}发出，记录无法显示{}", fields.zh),
            }
        }
        (Status::MetIncomplete, _, Some(done)) => {
            let fields = missing_fields(finding);
            Text {
                en: format!("{p} met incompletely: {en_title} — sent {done}, missing {}", fields.en),
                zh: format!("{pz}已履行但内容不全：{zh_title}——于{done}发出，缺少{}", fields.zh),
            }
        }
        (Status::MetLate, Some(due), Some(done)) => Text {
            en: format!("{p} met late: {en_title} — due {due}, done {done}, {late} late"),
            zh: format!("{pz}逾期履行：{zh_title}——期限{due_zh}，于{done}履行，逾期{late_zh}"),
        },
        (Status::Overdue, Some(due), _) => {
            let as_of = when(case, as_of);
            Text {
                en: format!("{p} is overdue: {en_title} — due {due}, not done ({late} late as of {as_of})"),
                zh: format!("{pz}已逾期：{zh_title}——期限{due_zh}，尚未履行（截至{as_of}逾期{late_zh}）"),
            }
        }
        (_, Some(due), _) => Text {
            en: format!("{p} must still: {en_title} — due {due}"),
            zh: format!("{pz}待履行：{zh_title}——期限{due_zh}"),
        },
        (_, None, _) => Text {
            en: format!("{p} must still: {en_title} — immediately (no numeric deadline)"),
            zh: format!("{pz}待履行：{zh_title}——应立即履行（无具体时限）"),
        },
    };
    marked(rule, text)
}

/// The missing content fields with their articles and confidence, e.g. "Member States
/// where the product has been made available (14(2)(a) [V])".
pub(crate) fn missing_fields(finding: &Finding<'_>) -> Text {
    let en: Vec<String> = finding
        .missing
        .iter()
        .map(|f| format!("{} ({} [{}])", f.label.en, f.article, f.confidence.tag()))
        .collect();
    let zh: Vec<String> = finding
        .missing
        .iter()
        .map(|f| format!("{}（{}［{}］）", f.label.zh, f.article, f.confidence.tag()))
        .collect();
    Text { en: en.join("; "), zh: zh.join("；") }
}

/// How the deadline was read, for the message: " (2 days read as 48 h, an
/// interpretation)" and the like; empty for hours and "immediately".
fn deadline_words(rule: &Rule, finding: &Finding<'_>) -> Text {
    let RuleKind::Obligation(obligation) = &rule.kind else {
        return Text { en: String::new(), zh: String::new() };
    };
    let mut en = Vec::new();
    let mut zh = Vec::new();
    if let (Deadline::Days(n), Some(reading)) = (obligation.deadline, finding.interpretation) {
        match reading {
            Interpretation::Hours => {
                en.push(format!("{n} days read as {} h", 24 * n));
                zh.push(format!("{n}日按{}小时计", 24 * n));
            }
            Interpretation::CalendarDays => {
                en.push(format!("{n} days read as calendar days"));
                zh.push(format!("{n}日按日历日计"));
            }
            Interpretation::EuPeriods => {
                en.push(format!("{n} days read under Regulation No 1182/71"));
                zh.push(format!("{n}日按第1182/71号条例计"));
            }
            Interpretation::CivilCodeHolidays => {
                en.push(format!("{n} days read as calendar days with the Civil Code's holiday extension"));
                zh.push(format!("{n}日按日历日计并依《民法典》顺延节假日"));
            }
        }
    }
    if let (Deadline::Months(n), Some(Interpretation::EuPeriods)) =
        (obligation.deadline, finding.interpretation)
    {
        en.push(format!("{n} month(s) read under Regulation No 1182/71"));
        zh.push(format!("{n}个月按第1182/71号条例计"));
    }
    if finding.deadline_configured {
        en.push("deadline set by configuration".to_owned());
        zh.push("期限由配置设定".to_owned());
    } else if obligation.deadline_basis == DeadlineBasis::Interpretation {
        en.push("the deadline is an interpretation".to_owned());
        zh.push("期限系解释".to_owned());
    } else if !en.is_empty() {
        en.push("an interpretation".to_owned());
        zh.push("系解释".to_owned());
    }
    if en.is_empty() {
        return Text { en: String::new(), zh: String::new() };
    }
    Text { en: format!(" ({})", en.join(", ")), zh: format!("（{}）", zh.join("，")) }
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
        (Condition::CveRequest, false) => ("it was a CVE ID request", "这是CVE编号申请"),
        (Condition::CveRequest, true) => ("it was not a CVE ID request", "这不是CVE编号申请"),
        (Condition::JointAssessmentWithProvider, false) => {
            ("a joint assessment with the product's provider is on record", "已与产品提供者共同评估协商")
        }
        (Condition::JointAssessmentWithProvider, true) => (
            "no joint assessment with the product's provider is on record",
            "无与产品提供者共同评估协商的记录",
        ),
        (Condition::EarlyPublicationReportedTo(role), false) => {
            return Text {
                en: format!("the early publication was reported to a {role}"),
                zh: format!("已就提前发布向 {role} 报告"),
            };
        }
        (Condition::EarlyPublicationReportedTo(role), true) => {
            return Text {
                en: format!("no report of the early publication to a {role} is on record"),
                zh: format!("无就提前发布向 {role} 报告的记录"),
            };
        }
    };
    Text { en: en.to_owned(), zh: zh.to_owned() }
}

/// Why a gate decided as it did.
struct GateWhy<'x, 'a> {
    exemption: Option<&'a Condition>,
    failed: Option<&'a Condition>,
    exception: &'x Option<Exception<'a>>,
    review: Option<&'a Condition>,
}

/// Why the engine leaves a forbidden event to a person, for a `review_when` condition.
fn review_reason(held: &Condition) -> Text {
    match held {
        Condition::CveRequest => Text {
            en: "a CVE ID request to a CNA abroad while undisclosed: the text does not say whether Art. 9(7) \
                 covers it (a legal-review question in the research, not a plain breach)"
                .to_owned(),
            zh: "漏洞未公开时向境外CNA申请CVE编号：条文未明确是否属于第九条第（七）项（研究资料将其列为需法律评估的问题，\
                 而非明确违规）"
                .to_owned(),
        },
        Condition::WithExploitCode => Text {
            en: "exploit code was provided: whether it is a program or tool made to exploit the vulnerability to \
                 endanger network security (\"专门用于\") is a judgement the engine cannot make"
                .to_owned(),
            zh: "提供了漏洞利用代码：其是否属于“专门用于利用网络产品安全漏洞从事危害网络安全活动的程序和工具”，\
                 引擎无法判断"
                .to_owned(),
        },
        other => {
            let why = condition(other, false);
            Text {
                en: format!("{}: the engine does not decide this", why.en),
                zh: format!("{}：引擎不作裁决", why.zh),
            }
        }
    }
}

fn gate(
    case: &Case,
    rule: &Rule,
    actor: &Party,
    event: &Event,
    status: Status,
    why: GateWhy<'_, '_>,
) -> Text {
    let GateWhy { exemption, failed, exception, review } = why;
    let p = who(actor);
    let pz = who_zh(actor);
    let at = when(case, event.at);
    let what = match event.recipient().and_then(|to| case.party(to)) {
        Some(to) => Text {
            en: format!("`{}` to {} [{}] at {at}", event.event_type(), who(to), to.jurisdiction),
            zh: format!("{at} 向 {}［{}］的 `{}`", who_zh(to), to.jurisdiction, event.event_type()),
        },
        None => Text {
            en: format!("`{}` at {at}", event.event_type()),
            zh: format!("{at} 的 `{}`", event.event_type()),
        },
    };
    let text = if status == Status::NeedsReview {
        let reason = match (review, exception) {
            (Some(c), _) => review_reason(c),
            (None, Some(e)) => {
                let present: Vec<Text> = e.present.iter().map(|c| condition(c, false)).collect();
                let missing: Vec<Text> = e.missing.iter().map(|c| condition(c, true)).collect();
                Text {
                    en: format!(
                        "only part of the exception is on record ({}; but {}): the engine does not decide this",
                        join(&present, |t| &t.en, "; "),
                        join(&missing, |t| &t.en, "; ")
                    ),
                    zh: format!(
                        "例外条件仅部分有记录（{}；但{}）：引擎不作裁决",
                        join(&present, |t| &t.zh, "；"),
                        join(&missing, |t| &t.zh, "；")
                    ),
                }
            }
            (None, None) => Text { en: String::new(), zh: String::new() },
        };
        Text {
            en: format!("{p}: {} — {} needs review: {}", rule.title.en, what.en, reason.en),
            zh: format!("{pz}：{}——{}，需复核：{}", rule.title.zh, what.zh, reason.zh),
        }
    } else if status == Status::Violated {
        let why: Vec<Text> = gate_reasons(rule);
        let en_why: Vec<&str> = why.iter().map(|t| t.en.as_str()).collect();
        let zh_why: Vec<&str> = why.iter().map(|t| t.zh.as_str()).collect();
        Text {
            en: format!("{p} broke: {} — {}{}", rule.title.en, what.en, suffix(&en_why.join("; "), ": ")),
            zh: format!("{pz}违反：{}——{}，{}", rule.title.zh, what.zh, zh_why.join("；")),
        }
    } else {
        let reason = exemption.map(|c| condition(c, false)).or_else(|| failed.map(|c| condition(c, true)));
        let reason = reason.or_else(|| {
            exception.as_ref().map(|e| {
                let present: Vec<Text> = e.present.iter().map(|c| condition(c, false)).collect();
                Text { en: join(&present, |t| &t.en, "; "), zh: join(&present, |t| &t.zh, "；") }
            })
        });
        let reason = reason.unwrap_or_else(|| Text { en: String::new(), zh: String::new() });
        Text {
            en: format!("{p}: {} — {} allowed{}", rule.title.en, what.en, suffix(&reason.en, ": ")),
            zh: format!("{pz}：{}——{}，允许{}", rule.title.zh, what.zh, suffix(&reason.zh, "：")),
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
            .chain(gate.exception.iter().map(|c| condition(c, true)))
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
    let pz = who_zh(party);
    Text {
        en: format!(
            "{p}: {} — {}; the engine does not decide this, it needs legal review",
            rule.title.en,
            titles(|t| &t.en).join(" vs ")
        ),
        zh: format!("{pz}：{}——{}；引擎不作裁决，需法律评估", rule.title.zh, titles(|t| &t.zh).join(" 与 ")),
    }
}

/// A lateness in hours as people read it, in English and Chinese, as the web UI writes
/// every duration (`ui::view::duration`, two leading units): `18 d 19 h`, `18 天 19 小时`,
/// `5 h 30 min`; never fractions of an hour.
fn lateness(hours: f64) -> (String, String) {
    let secs = (hours.max(0.0) * 3600.0).round() as u64;
    let parts = [
        (secs / 86_400, "d", "天"),
        (secs / 3600 % 24, "h", "小时"),
        (secs / 60 % 60, "min", "分"),
        (secs % 60, "s", "秒"),
    ];
    let first = parts.iter().position(|(n, _, _)| *n > 0).unwrap_or(3);
    let shown: Vec<_> = parts[first..(first + 2).min(4)]
        .iter()
        .enumerate()
        .filter(|(i, (n, _, _))| *i == 0 || *n > 0)
        .map(|(_, p)| p)
        .collect();
    let join = |zh: bool| {
        shown
            .iter()
            .map(|(n, en, cn)| format!("{n} {}", if zh { cn } else { en }))
            .collect::<Vec<_>>()
            .join(" ")
    };
    (join(false), join(true))
}

#[cfg(test)]
mod lateness_tests {
    use super::lateness;

    #[test]
    fn lateness_reads_in_days_and_hours() {
        let both = |en: &str, zh: &str| (en.to_owned(), zh.to_owned());
        assert_eq!(lateness(624.0), both("26 d", "26 天"));
        assert_eq!(lateness(451.5), both("18 d 19 h", "18 天 19 小时"));
        assert_eq!(lateness(44035.61), both("1834 d 19 h", "1834 天 19 小时"));
        assert_eq!(lateness(5.5), both("5 h 30 min", "5 小时 30 分"));
        assert_eq!(lateness(0.25), both("15 min", "15 分"));
    }
}
