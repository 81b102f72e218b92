//! The checked model of a policy pack, and its parser.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use chrono_tz::Tz;
use vulnrelay_domain::{EventType, Jurisdiction, NotificationKind, Role};

use crate::raw::{RawBinding, RawDeadline, RawField, RawPack, RawRequirement, RawRule, RawText, RawTrigger};

/// The readings of "N days" a pack offers when it does not say: both.
const DEFAULT_READINGS: [Interpretation; 2] = [Interpretation::Hours, Interpretation::CalendarDays];

/// The `schema` value every pack file carries.
pub const PACK_SCHEMA: &str = "vulnrelay/policy-pack/v1";

/// A text in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// Simplified Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

/// A versioned set of rules from one instrument (a law, regulation or agreement).
#[derive(Debug, Clone)]
pub struct Pack {
    /// Short identifier, e.g. `cn-rmsv-2021`.
    pub id: String,
    /// The pack's title.
    pub title: Text,
    /// The instrument's name.
    pub instrument: Text,
    /// The instrument's version (e.g. its document number).
    pub version: String,
    /// When the instrument came into force.
    pub in_force: Option<NaiveDate>,
    /// Where its text was read.
    pub sources: Vec<String>,
    /// The jurisdictions whose parties the pack binds unless a rule says otherwise.
    pub jurisdictions: Vec<Jurisdiction>,
    /// The time zone in which the instrument's days are counted (calendar days end at
    /// 24:00 there, and `applies_from` dates are read there); `None`: the case's.
    pub timezone: Option<Tz>,
    /// The readings of "N days" the pack offers; the first is its default.
    pub readings: Vec<Interpretation>,
    /// The public-holiday calendar of the `civil-code-holidays` reading.
    pub holidays: Option<crate::HolidayCalendar>,
    /// The rules.
    pub rules: Vec<Rule>,
}

impl Pack {
    /// Parses and checks a pack, reporting every problem found.
    pub fn from_toml(source: &str) -> Result<Pack, PackError> {
        let raw: RawPack = toml::from_str(source).map_err(|e| PackError { problems: vec![e.to_string()] })?;
        let mut problems = Problems::default();
        if raw.schema != PACK_SCHEMA {
            problems.push(format!("schema: expected `{PACK_SCHEMA}`, found `{}`", raw.schema));
        }
        let jurisdictions = parse_list(&raw.scope.jurisdictions, "scope.jurisdictions", &mut problems);
        let in_force = raw
            .instrument
            .in_force
            .as_deref()
            .and_then(|d| parse_date(d, "instrument.in_force", &mut problems));
        let timezone = raw.days.as_ref().and_then(|d| d.timezone.as_deref()).and_then(|tz| {
            tz.parse::<Tz>()
                .map_err(|_| problems.push(format!("days.timezone: unknown time zone `{tz}`")))
                .ok()
        });
        let readings = match raw.days.as_ref().map(|d| d.readings.as_slice()) {
            Some(list) if !list.is_empty() => parse_list(list, "days.readings", &mut problems),
            _ => DEFAULT_READINGS.to_vec(),
        };
        let holidays = raw.days.as_ref().and_then(|d| d.holidays.as_deref()).and_then(|id| {
            crate::HolidayCalendar::builtin(id)
                .ok_or_else(|| problems.push(format!("days.holidays: no shipped holiday calendar `{id}`")))
                .ok()
        });
        if readings.contains(&Interpretation::CivilCodeHolidays)
            && raw.days.as_ref().is_none_or(|d| d.holidays.is_none())
        {
            problems.push("days.readings: `civil-code-holidays` needs `days.holidays`".to_owned());
        }
        let mut rules = Vec::with_capacity(raw.rules.len());
        for (i, rule) in raw.rules.iter().enumerate() {
            let at = format!("rules[{i}] (`{}`)", rule.id);
            if raw.rules[..i].iter().any(|r| r.id == rule.id) {
                problems.push(format!("{at}: duplicate rule id"));
            }
            if let Some(rule) = parse_rule(rule, &jurisdictions, &at, &mut problems) {
                rules.push(rule);
            }
        }
        let pack = Pack {
            id: raw.id,
            title: text(raw.title),
            instrument: text(raw.instrument.name),
            version: raw.instrument.version,
            in_force,
            sources: raw.instrument.sources,
            jurisdictions,
            timezone,
            readings,
            holidays,
            rules,
        };
        for rule in &pack.rules {
            if let RuleKind::Conflict(conflict) = &rule.kind {
                for id in &conflict.obligations {
                    let found =
                        pack.rules.iter().any(|r| &r.id == id && matches!(r.kind, RuleKind::Obligation(_)));
                    if !found {
                        problems
                            .push(format!("rule `{}`: `{id}` is not an obligation of this pack", rule.id));
                    }
                }
                if !conflict.gate.contains('/') {
                    problems.push(format!(
                        "rule `{}`: gate must be `pack/rule`, found `{}`",
                        rule.id, conflict.gate
                    ));
                }
            }
        }
        problems.finish(pack)
    }

    /// The rule with `id` (without the pack prefix).
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The reading of "N days" used for this pack: the one asked for it by id in
    /// `settings`, else the bare `interpretation` when the pack offers it, else the
    /// pack's default.
    pub fn reading(&self, interpretation: Interpretation, settings: &crate::Settings) -> Interpretation {
        if let Some(wanted) = settings.interpretations.get(&self.id) {
            return *wanted;
        }
        if self.readings.contains(&interpretation) {
            interpretation
        } else {
            self.readings.first().copied().unwrap_or_default()
        }
    }

    /// The retention rule for a kind of record, if the pack has one.
    pub fn retention(&self, record: &str) -> Option<(&Rule, &Retention)> {
        self.rules.iter().find_map(|rule| match &rule.kind {
            RuleKind::Retention(r) if r.record == record => Some((rule, r)),
            _ => None,
        })
    }
}

/// Everything wrong with a pack file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid policy pack:\n  {}", problems.join("\n  "))]
pub struct PackError {
    /// One line per problem, each naming where it is.
    pub problems: Vec<String>,
}

/// How sure the source research is of the rule's text (reference/regulation.md tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidence {
    /// Read in the cited official source.
    Verified,
    /// Supported by a secondary source.
    Supported,
    /// Not confirmed: shown to users as unverified.
    Unverified,
}

impl Confidence {
    /// The one-letter tag: `V`, `S` or `M`.
    pub fn tag(self) -> &'static str {
        match self {
            Confidence::Verified => "V",
            Confidence::Supported => "S",
            Confidence::Unverified => "M",
        }
    }
}

/// One rule of a pack.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Identifier within the pack, e.g. `art7-2-report`.
    pub id: String,
    /// The article, e.g. `7(2)` or `14(2)(a)`.
    pub article: String,
    /// How sure the source is of the text.
    pub confidence: Confidence,
    /// What the rule requires or forbids, in a line.
    pub title: Text,
    /// The interpretation taken, where the text leaves room.
    pub note: Option<Text>,
    /// What a breach exposes the party to.
    pub sanction: Option<Text>,
    /// How sure the research is of the sanction's text.
    pub sanction_confidence: Option<Confidence>,
    /// The kind of rule and its details.
    pub kind: RuleKind,
}

/// The kinds of rule.
#[derive(Debug, Clone)]
pub enum RuleKind {
    /// A clock: an event that must follow another within a deadline.
    Obligation(Obligation),
    /// A prohibition on an event while a condition holds.
    Gate(Gate),
    /// Two rules pulling in opposite directions.
    Conflict(Conflict),
    /// The minimum age before a kind of record may be purged.
    Retention(Retention),
}

/// Who a rule binds.
#[derive(Debug, Clone, Default)]
pub struct Binding {
    /// The party holds one of these roles (empty: any role).
    pub roles: Vec<Role>,
    /// The party is established in one of these jurisdictions.
    pub jurisdictions: Vec<Jurisdiction>,
    /// The party stands in one of these relations to the product (empty: any).
    pub relations: Vec<Relation>,
    /// The party holds this membership, active at the trigger time.
    pub membership: Option<String>,
    /// The product is on this market.
    pub market: Option<String>,
    /// The rule applies to triggers on or after this date (in the case's time zone).
    pub applies_from: Option<NaiveDate>,
}

/// How a party relates to the product an event concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// It provides the product.
    Provider,
    /// It provides a product that has this product upstream (as a component).
    DownstreamProvider,
}

/// Whose events count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// Only the bound party's own events.
    Bound,
    /// Anyone's events.
    Any,
}

/// An event that starts an obligation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerEvent {
    /// An event of this type.
    Type(EventType),
    /// A notification received by the party: being told is becoming aware.
    Received,
    /// A notification received by the party that tells it of active exploitation.
    ReceivedExploitation,
    /// A severe `incident` (EU CRA Art. 14(3)).
    SevereIncident,
}

/// An obligation: after the trigger (and the anchor, if different), the bound party
/// must produce one of the required events before the deadline.
#[derive(Debug, Clone)]
pub struct Obligation {
    /// Who is bound.
    pub binds: Binding,
    /// The events that give rise to the duty.
    pub trigger: Vec<TriggerEvent>,
    /// Whose trigger events count.
    pub trigger_by: Actor,
    /// When the bound party has no trigger of its own but another party's trigger event
    /// is on record, show the duty as `not_started`, naming that event (the bound party
    /// is not shown to know).
    pub others_seen: bool,
    /// A later event that starts the clock, when it is not the trigger (e.g. the EU
    /// CRA final report runs from the fix); until it happens the duty is `not_started`.
    pub anchor: Option<(Vec<EventType>, Actor)>,
    /// For a `notified` anchor: the kinds that start the clock (empty: any).
    pub anchor_kinds: Vec<NotificationKind>,
    /// The events that meet the duty (any one of them).
    pub required: Vec<Requirement>,
    /// The deadline.
    pub deadline: Deadline,
    /// Where the deadline's number comes from.
    pub deadline_basis: DeadlineBasis,
    /// Whether a platform may set the deadline by configuration ([`crate::Settings`]).
    pub deadline_configurable: bool,
    /// What a notification that meets the duty must carry (empty: the research names
    /// no content). A notification in time that lacks one is `met_incomplete`.
    pub content: Vec<ContentField>,
    /// A duty not met in time for which one of these holds is not decided: the law
    /// leaves it open (`needs_review` in place of `pending`, `overdue` or `met_late`;
    /// a late report is kept as the finding's evidence, a report in time is `met`).
    pub review_when: Vec<ObligationReview>,
}

/// Why an obligation's open duty is left to a person rather than decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObligationReview {
    /// The bound party's trigger is a notification it received from a party with this
    /// role (`trigger_received_from:regulator_platform`): e.g. whether a provider the
    /// MIIT platform told of a vulnerability must report it back to that platform.
    TriggerReceivedFrom(Role),
}

impl FromStr for ObligationReview {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some(("trigger_received_from", role)) => {
                Ok(ObligationReview::TriggerReceivedFrom(role.parse::<Role>().map_err(|e| e.to_string())?))
            }
            _ => {
                Err(format!("unknown review condition `{s}` for an obligation (trigger_received_from:ROLE)"))
            }
        }
    }
}

/// One field the law asks a notification to carry, with the article and the research's
/// confidence in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentField {
    /// The field's id, e.g. `member_states`: the key of a notification's content.
    pub id: String,
    /// The article that asks for it, e.g. `14(2)(a)`.
    pub article: String,
    /// How sure the research is of the text.
    pub confidence: Confidence,
    /// What the field holds, in both languages.
    pub label: Text,
    /// "Where applicable" / "where available": the sender may declare it does not apply.
    pub qualifier: Option<Qualifier>,
    /// Where a draft takes the field from in the case's record, when it can.
    pub from: Option<Prefill>,
}

/// A qualification of a required field in the law's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    /// "where applicable"
    WhereApplicable,
    /// "where available"
    WhereAvailable,
}

impl Qualifier {
    /// The wire name: `where_applicable`, `where_available`.
    pub fn as_str(self) -> &'static str {
        match self {
            Qualifier::WhereApplicable => "where_applicable",
            Qualifier::WhereAvailable => "where_available",
        }
    }
}

impl FromStr for Qualifier {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "where_applicable" => Ok(Qualifier::WhereApplicable),
            "where_available" => Ok(Qualifier::WhereAvailable),
            other => {
                Err(format!("unknown qualifier `{other}` (expected `where_applicable` or `where_available`)"))
            }
        }
    }
}

/// What of the case's record a draft fills a field from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefill {
    /// The product's name.
    ProductName,
    /// The product's versions: those named by the record's vulnerability data.
    ProductVersion,
    /// General information on the product: name, provider, package URL.
    ProductInformation,
    /// The EU Member States among the product's markets.
    MemberStates,
    /// The vulnerability's description and identifiers.
    Description,
    /// Severity: the CVSS scores on record.
    Severity,
    /// Exploitation: the record's exploitation events and threat reports.
    Exploitation,
    /// The malicious actor, from threat reports that name one.
    MaliciousActor,
    /// The security update: the fix events (versions).
    SecurityUpdate,
    /// The affected products and parties known to the case.
    ScopeOfImpact,
}

impl Prefill {
    /// The wire name, e.g. `member_states`.
    pub fn as_str(self) -> &'static str {
        match self {
            Prefill::ProductName => "product_name",
            Prefill::ProductVersion => "product_version",
            Prefill::ProductInformation => "product_information",
            Prefill::MemberStates => "member_states",
            Prefill::Description => "description",
            Prefill::Severity => "severity",
            Prefill::Exploitation => "exploitation",
            Prefill::MaliciousActor => "malicious_actor",
            Prefill::SecurityUpdate => "security_update",
            Prefill::ScopeOfImpact => "scope_of_impact",
        }
    }

    /// Every source, in order.
    pub const ALL: [Prefill; 10] = [
        Prefill::ProductName,
        Prefill::ProductVersion,
        Prefill::ProductInformation,
        Prefill::MemberStates,
        Prefill::Description,
        Prefill::Severity,
        Prefill::Exploitation,
        Prefill::MaliciousActor,
        Prefill::SecurityUpdate,
        Prefill::ScopeOfImpact,
    ];
}

impl FromStr for Prefill {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Prefill::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown prefill source `{s}`"))
    }
}

/// Where a deadline's number comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeadlineBasis {
    /// The instrument's text states it.
    #[default]
    Text,
    /// The text gives no number; the number is an interpretation (shown in every message).
    Interpretation,
}

/// An event that meets an obligation.
#[derive(Debug, Clone)]
pub struct Requirement {
    /// The event type.
    pub event: EventType,
    /// For notifications: who must receive it.
    pub to: Recipients,
    /// For notifications: the recipient is established in one of these (empty: anywhere).
    pub to_jurisdictions: Vec<Jurisdiction>,
    /// For notifications: the kinds that count (empty: any kind).
    pub kinds: Vec<NotificationKind>,
    /// For publications: whether remediation must come with it.
    pub with_remediation: Option<bool>,
}

/// Who must receive a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipients {
    /// Anyone (or not a notification).
    Anyone,
    /// A party with any of these roles.
    AnyRole(Vec<Role>),
    /// For each of these roles, a party with that role (e.g. CSIRT and ENISA).
    AllRoles(Vec<Role>),
    /// The provider of the product the event concerns (the upstream provider).
    ProductProvider,
}

/// A deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// "Immediately": no numeric deadline; the duty is met or pending, never late.
    Immediately,
    /// A number of hours from the anchor.
    Hours(u32),
    /// A number of days from the anchor, read under an [`Interpretation`].
    Days(u32),
    /// A number of calendar months from the anchor (the same day of the month, or the
    /// month's last day when it has no such day).
    Months(u32),
}

/// How "N days" (e.g. CN "2日") is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interpretation {
    /// N × 24 hours from the anchor (the conservative default).
    #[default]
    Hours,
    /// The end of the Nth calendar day after the anchor's day, in the pack's time zone
    /// (the case's when the pack names none).
    CalendarDays,
    /// The rules of Regulation (EEC, Euratom) No 1182/71 on periods, by analogy: the
    /// day of the event is not counted (Art. 3(1)); a period in days ends at the end of
    /// its last day, one in months at the end of the day with the same date (or the
    /// month's last day, Art. 3(2)(c)); a last day that is a Saturday or Sunday moves
    /// to the end of the following working day (Art. 3(4)). Public holidays (Art. 2(1))
    /// are not applied: no holiday calendar is shipped.
    EuPeriods,
    /// Calendar days with the Chinese Civil Code's rules on periods, by analogy
    /// (Arts. 201–203): the starting day is not counted, and a last day that is a
    /// statutory rest day gives way to the next working day, by the pack's holiday
    /// calendar (make-up working days included; weekends only in years it lacks).
    CivilCodeHolidays,
}

impl Interpretation {
    /// The wire name: `hours` or `calendar-days`.
    pub fn as_str(self) -> &'static str {
        match self {
            Interpretation::Hours => "hours",
            Interpretation::CalendarDays => "calendar-days",
            Interpretation::EuPeriods => "eu-1182-71",
            Interpretation::CivilCodeHolidays => "civil-code-holidays",
        }
    }
}

impl FromStr for Interpretation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "hours" => Ok(Interpretation::Hours),
            "calendar-days" => Ok(Interpretation::CalendarDays),
            "eu-1182-71" => Ok(Interpretation::EuPeriods),
            "civil-code-holidays" => Ok(Interpretation::CivilCodeHolidays),
            other => Err(format!(
                "unknown interpretation `{other}` (expected `hours`, `calendar-days`, `civil-code-holidays` or \
                 `eu-1182-71`)"
            )),
        }
    }
}

impl fmt::Display for Interpretation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A prohibition: an event of a type by a bound party, examined when `applies_when`
/// holds, is forbidden when every `forbidden_when` condition holds, unless an
/// `unless` condition does.
#[derive(Debug, Clone)]
pub struct Gate {
    /// Who is bound.
    pub binds: Binding,
    /// The event type examined.
    pub event: EventType,
    /// Conditions for an event to be examined at all (all must hold).
    pub applies_when: Vec<Condition>,
    /// Conditions that make it forbidden (all must hold; none: always forbidden).
    pub forbidden_when: Vec<Condition>,
    /// Exemptions (any one allows the event).
    pub unless: Vec<Condition>,
    /// An exception made of several conditions: all hold → allowed; some → the engine
    /// does not decide (`needs_review`); none → forbidden.
    pub exception: Vec<Condition>,
    /// A forbidden event for which one of these holds is not decided either: the law
    /// leaves it open (`needs_review`).
    pub review_when: Vec<Condition>,
}

/// A condition on an event, evaluated against the case up to the event's time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// No `published` event for the product before this event.
    Undisclosed,
    /// No `fix_available` event for the product at or before this event.
    BeforeFix,
    /// The recipient is established outside the gate's jurisdictions.
    RecipientOutsideJurisdiction,
    /// The recipient provides the product.
    RecipientIsProductProvider,
    /// The actor provides the product.
    ActorIsProductProvider,
    /// The publication carries exploit code.
    WithExploitCode,
    /// The publication carries no remediation.
    WithoutRemediation,
    /// The event falls in a `blackout` window.
    InBlackout,
    /// A `publication_approved` event by a party with this role precedes the event.
    ApprovedBy(Role),
    /// A `consent` event by a party with this role precedes the event.
    ConsentBy(Role),
    /// The notification is a CVE ID request.
    CveRequest,
    /// A `joint_assessment` by the actor with the product's provider precedes the event.
    JointAssessmentWithProvider,
    /// An `early_publication` notification by the actor to a party with this role
    /// precedes the event.
    EarlyPublicationReportedTo(Role),
}

impl FromStr for Condition {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let role = |r: &str| r.parse::<Role>().map_err(|e| e.to_string());
        Ok(match s.split_once(':') {
            Some(("approved_by", r)) => Condition::ApprovedBy(role(r)?),
            Some(("consent_by", r)) => Condition::ConsentBy(role(r)?),
            Some(("early_publication_reported_to", r)) => Condition::EarlyPublicationReportedTo(role(r)?),
            Some(_) => return Err(format!("unknown condition `{s}`")),
            None => match s {
                "undisclosed" => Condition::Undisclosed,
                "before_fix" => Condition::BeforeFix,
                "recipient_outside_jurisdiction" => Condition::RecipientOutsideJurisdiction,
                "recipient_is_product_provider" => Condition::RecipientIsProductProvider,
                "actor_is_product_provider" => Condition::ActorIsProductProvider,
                "with_exploit_code" => Condition::WithExploitCode,
                "without_remediation" => Condition::WithoutRemediation,
                "in_blackout" => Condition::InBlackout,
                "cve_request" => Condition::CveRequest,
                "joint_assessment_with_provider" => Condition::JointAssessmentWithProvider,
                _ => return Err(format!("unknown condition `{s}`")),
            },
        })
    }
}

/// Two rules that pull in opposite directions: the pack's `obligations` owed by a
/// party that `gate` (another pack's rule, `pack/rule`) binds, while undisclosed.
#[derive(Debug, Clone)]
pub struct Conflict {
    /// Obligations of this pack.
    pub obligations: Vec<String>,
    /// The gate they conflict with, as `pack/rule`.
    pub gate: String,
}

/// A minimum retention period for a kind of record.
#[derive(Debug, Clone)]
pub struct Retention {
    /// The kind of record, e.g. `receipt_log`.
    pub record: String,
    /// Minimum age in months before a record may be purged.
    pub min_age_months: u32,
}

#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, problem: String) {
        self.0.push(problem);
    }

    fn finish<T>(self, value: T) -> Result<T, PackError> {
        if self.0.is_empty() { Ok(value) } else { Err(PackError { problems: self.0 }) }
    }
}

fn text(raw: RawText) -> Text {
    Text { zh: raw.zh, en: raw.en }
}

fn parse_list<T: FromStr>(items: &[String], at: &str, problems: &mut Problems) -> Vec<T>
where
    T::Err: fmt::Display,
{
    items
        .iter()
        .filter_map(|item| item.parse::<T>().map_err(|e| problems.push(format!("{at}: {e}"))).ok())
        .collect()
}

fn parse_date(value: &str, at: &str, problems: &mut Problems) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| problems.push(format!("{at}: `{value}` is not a date (YYYY-MM-DD)")))
        .ok()
}

/// The content fields of an obligation: ids unique, confidence a tag, and only on an
/// obligation met by a notification (content is checked on notifications only).
fn parse_content(
    raw: &[RawField],
    required: &[Requirement],
    at: &str,
    problems: &mut Problems,
) -> Vec<ContentField> {
    if !raw.is_empty() && !required.iter().any(|r| r.event == EventType::Notified) {
        problems.push(format!("{at}.content: only an obligation met by a `notified` can ask for content"));
    }
    let mut fields: Vec<ContentField> = Vec::with_capacity(raw.len());
    for (i, field) in raw.iter().enumerate() {
        let here = format!("{at}.content[{i}] (`{}`)", field.id);
        if field.id.trim().is_empty() {
            problems.push(format!("{here}: empty id"));
        }
        if fields.iter().any(|f| f.id == field.id) {
            problems.push(format!("{here}: duplicate field id"));
        }
        if field.article.trim().is_empty() {
            problems.push(format!("{here}: a field names the article that asks for it"));
        }
        let confidence = parse_confidence(&field.confidence).unwrap_or_else(|| {
            problems.push(format!("{here}.confidence: `{}` is not one of V, S, M", field.confidence));
            Confidence::Unverified
        });
        let qualifier = field
            .qualifier
            .as_deref()
            .and_then(|q| q.parse::<Qualifier>().map_err(|e| problems.push(format!("{here}: {e}"))).ok());
        let from = field
            .from
            .as_deref()
            .and_then(|f| f.parse::<Prefill>().map_err(|e| problems.push(format!("{here}: {e}"))).ok());
        fields.push(ContentField {
            id: field.id.clone(),
            article: field.article.clone(),
            confidence,
            label: Text { zh: field.label.zh.clone(), en: field.label.en.clone() },
            qualifier,
            from,
        });
    }
    fields
}

fn parse_rule(
    raw: &RawRule,
    pack_jurisdictions: &[Jurisdiction],
    at: &str,
    problems: &mut Problems,
) -> Option<Rule> {
    let confidence = parse_confidence(&raw.confidence).unwrap_or_else(|| {
        problems.push(format!("{at}.confidence: `{}` is not one of V, S, M", raw.confidence));
        Confidence::Unverified
    });
    let missing = |field: &str, problems: &mut Problems| {
        problems.push(format!("{at}: a {} rule needs `{field}`", raw.kind));
    };
    if !raw.content.is_empty() && raw.kind != "obligation" {
        problems.push(format!("{at}.content: only an obligation asks for content"));
    }
    let kind = match raw.kind.as_str() {
        "obligation" => {
            let binds = parse_binding(raw.binds.as_ref(), pack_jurisdictions, at, problems);
            let (trigger, trigger_by) = match &raw.trigger {
                Some(trigger) => parse_trigger(trigger, &format!("{at}.trigger"), problems),
                None => {
                    missing("trigger", problems);
                    (Vec::new(), Actor::Bound)
                }
            };
            let others_seen = raw.trigger.as_ref().is_some_and(|t| t.others_seen);
            if raw.trigger.as_ref().is_some_and(|t| !t.kinds.is_empty()) {
                problems.push(format!("{at}.trigger: `kinds` only applies to an anchor"));
            }
            let anchor_kinds = raw
                .anchor
                .as_ref()
                .map(|a| parse_list(&a.kinds, &format!("{at}.anchor.kinds"), problems))
                .unwrap_or_default();
            let anchor = raw.anchor.as_ref().map(|anchor| {
                let (events, by) = parse_trigger(anchor, &format!("{at}.anchor"), problems);
                let types = events
                    .into_iter()
                    .filter_map(|e| match e {
                        TriggerEvent::Type(t) => Some(t),
                        other => {
                            problems.push(format!("{at}.anchor: `{other:?}` cannot anchor a clock"));
                            None
                        }
                    })
                    .collect();
                (types, by)
            });
            let required = match &raw.required {
                Some(list) if !list.is_empty() => list
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| parse_requirement(r, &format!("{at}.required[{i}]"), problems))
                    .collect(),
                _ => {
                    missing("required", problems);
                    Vec::new()
                }
            };
            let deadline = match &raw.deadline {
                Some(deadline) => parse_deadline(deadline, &format!("{at}.deadline"), problems),
                None => {
                    missing("deadline", problems);
                    Deadline::Immediately
                }
            };
            let deadline_basis = match raw.deadline_basis.as_deref() {
                None | Some("text") => DeadlineBasis::Text,
                Some("interpretation") => DeadlineBasis::Interpretation,
                Some(other) => {
                    problems
                        .push(format!("{at}.deadline_basis: `{other}` is not `text` or `interpretation`"));
                    DeadlineBasis::Text
                }
            };
            let content = parse_content(&raw.content, &required, at, problems);
            RuleKind::Obligation(Obligation {
                binds,
                trigger,
                trigger_by,
                others_seen,
                anchor,
                anchor_kinds,
                required,
                deadline,
                deadline_basis,
                deadline_configurable: raw.deadline_configurable,
                content,
                review_when: parse_list(&raw.review_when, &format!("{at}.review_when"), problems),
            })
        }
        "gate" => {
            let binds = parse_binding(raw.binds.as_ref(), pack_jurisdictions, at, problems);
            let event = match &raw.event {
                Some(event) => {
                    event.parse::<EventType>().map_err(|e| problems.push(format!("{at}.event: {e}"))).ok()
                }
                None => {
                    missing("event", problems);
                    None
                }
            };
            RuleKind::Gate(Gate {
                binds,
                event: event.unwrap_or(EventType::Published),
                applies_when: parse_list(&raw.applies_when, &format!("{at}.applies_when"), problems),
                forbidden_when: parse_list(&raw.forbidden_when, &format!("{at}.forbidden_when"), problems),
                unless: parse_list(&raw.unless, &format!("{at}.unless"), problems),
                exception: parse_list(&raw.exception, &format!("{at}.exception"), problems),
                review_when: parse_list(&raw.review_when, &format!("{at}.review_when"), problems),
            })
        }
        "conflict" => {
            if raw.obligations.is_empty() {
                missing("obligations", problems);
            }
            let gate = raw.gate.clone().unwrap_or_else(|| {
                missing("gate", problems);
                String::new()
            });
            RuleKind::Conflict(Conflict { obligations: raw.obligations.clone(), gate })
        }
        "retention" => {
            let record = raw.record.clone().unwrap_or_else(|| {
                missing("record", problems);
                String::new()
            });
            let min_age_months = raw.min_age_months.unwrap_or_else(|| {
                missing("min_age_months", problems);
                0
            });
            RuleKind::Retention(Retention { record, min_age_months })
        }
        other => {
            problems
                .push(format!("{at}.kind: `{other}` is not one of obligation, gate, conflict, retention"));
            return None;
        }
    };
    Some(Rule {
        id: raw.id.clone(),
        article: raw.article.clone(),
        confidence,
        title: text(RawText { zh: raw.title.zh.clone(), en: raw.title.en.clone() }),
        note: raw.note.as_ref().map(|n| Text { zh: n.zh.clone(), en: n.en.clone() }),
        sanction: raw.sanction.as_ref().map(|s| Text { zh: s.zh.clone(), en: s.en.clone() }),
        sanction_confidence: raw.sanction.as_ref().and_then(|s| s.confidence.as_deref()).and_then(|c| {
            parse_confidence(c)
                .ok_or_else(|| {
                    problems.push(format!("{at}.sanction.confidence: `{c}` is not one of V, S, M"))
                })
                .ok()
        }),
        kind,
    })
}

fn parse_confidence(tag: &str) -> Option<Confidence> {
    match tag {
        "V" => Some(Confidence::Verified),
        "S" => Some(Confidence::Supported),
        "M" => Some(Confidence::Unverified),
        _ => None,
    }
}

fn parse_binding(
    raw: Option<&RawBinding>,
    pack_jurisdictions: &[Jurisdiction],
    at: &str,
    problems: &mut Problems,
) -> Binding {
    let default = RawBinding::default();
    let raw = raw.unwrap_or(&default);
    let at = format!("{at}.binds");
    let relations = raw
        .relations
        .iter()
        .filter_map(|r| match r.as_str() {
            "provider" => Some(Relation::Provider),
            "downstream_provider" => Some(Relation::DownstreamProvider),
            other => {
                problems.push(format!("{at}.relations: unknown relation `{other}`"));
                None
            }
        })
        .collect();
    Binding {
        roles: parse_list(&raw.roles, &format!("{at}.roles"), problems),
        jurisdictions: match &raw.jurisdictions {
            Some(list) => parse_list(list, &format!("{at}.jurisdictions"), problems),
            None => pack_jurisdictions.to_vec(),
        },
        relations,
        membership: raw.membership.clone(),
        market: raw.market.clone(),
        applies_from: raw
            .applies_from
            .as_deref()
            .and_then(|d| parse_date(d, &format!("{at}.applies_from"), problems)),
    }
}

fn parse_actor(by: &str, at: &str, problems: &mut Problems) -> Actor {
    match by {
        "bound" => Actor::Bound,
        "any" => Actor::Any,
        other => {
            problems.push(format!("{at}.by: `{other}` is not `bound` or `any`"));
            Actor::Bound
        }
    }
}

fn parse_trigger(raw: &RawTrigger, at: &str, problems: &mut Problems) -> (Vec<TriggerEvent>, Actor) {
    if raw.events.is_empty() {
        problems.push(format!("{at}.events: empty"));
    }
    let events = raw
        .events
        .iter()
        .filter_map(|e| {
            match e.as_str() {
                "received" => return Some(TriggerEvent::Received),
                "received_exploitation" => return Some(TriggerEvent::ReceivedExploitation),
                "severe_incident" => return Some(TriggerEvent::SevereIncident),
                _ => {}
            }
            e.parse::<EventType>()
                .map(TriggerEvent::Type)
                .map_err(|err| problems.push(format!("{at}.events: {err}")))
                .ok()
        })
        .collect();
    (events, parse_actor(&raw.by, at, problems))
}

fn parse_requirement(raw: &RawRequirement, at: &str, problems: &mut Problems) -> Option<Requirement> {
    let event = raw.event.parse::<EventType>().map_err(|e| problems.push(format!("{at}.event: {e}"))).ok()?;
    let ways = usize::from(!raw.to_any_role.is_empty())
        + usize::from(!raw.to_all_roles.is_empty())
        + usize::from(raw.to.is_some());
    if ways > 1 {
        problems.push(format!("{at}: give only one of `to_any_role`, `to_all_roles`, `to`"));
    }
    let to = if !raw.to_any_role.is_empty() {
        Recipients::AnyRole(parse_list(&raw.to_any_role, &format!("{at}.to_any_role"), problems))
    } else if !raw.to_all_roles.is_empty() {
        Recipients::AllRoles(parse_list(&raw.to_all_roles, &format!("{at}.to_all_roles"), problems))
    } else {
        match raw.to.as_deref() {
            None => Recipients::Anyone,
            Some("product_provider") => Recipients::ProductProvider,
            Some(other) => {
                problems.push(format!("{at}.to: `{other}` is not `product_provider`"));
                Recipients::Anyone
            }
        }
    };
    if event != EventType::Notified
        && (to != Recipients::Anyone || !raw.kinds.is_empty() || !raw.to_jurisdictions.is_empty())
    {
        problems.push(format!("{at}: recipients and kinds only apply to `notified`"));
    }
    if event != EventType::Published && raw.with_remediation.is_some() {
        problems.push(format!("{at}: `with_remediation` only applies to `published`"));
    }
    Some(Requirement {
        event,
        to,
        to_jurisdictions: parse_list(&raw.to_jurisdictions, &format!("{at}.to_jurisdictions"), problems),
        kinds: parse_list(&raw.kinds, &format!("{at}.kinds"), problems),
        with_remediation: raw.with_remediation,
    })
}

fn parse_deadline(raw: &RawDeadline, at: &str, problems: &mut Problems) -> Deadline {
    match raw {
        RawDeadline::Word(word) if word == "immediately" => Deadline::Immediately,
        RawDeadline::Amount(map) if map.len() == 1 => match map.iter().next() {
            Some((unit, &n)) if unit == "hours" && n > 0 => Deadline::Hours(n),
            Some((unit, &n)) if unit == "days" && n > 0 => Deadline::Days(n),
            Some((unit, &n)) if unit == "months" && n > 0 => Deadline::Months(n),
            _ => {
                problems.push(format!(
                    "{at}: expected `{{ hours = N }}`, `{{ days = N }}` or `{{ months = N }}` with N > 0"
                ));
                Deadline::Immediately
            }
        },
        _ => {
            problems.push(format!(
                "{at}: expected \"immediately\", `{{ hours = N }}`, `{{ days = N }}` or `{{ months = N }}`"
            ));
            Deadline::Immediately
        }
    }
}
