//! The compliance report: the findings JSON of `vulnrelay check` and of
//! `GET /api/v1/cases/{id}/compliance`.

use std::collections::BTreeMap;

use serde::Serialize;
use vulnrelay_domain::{Case, EvidenceQuality, Timestamp};
use vulnrelay_policy::{Finding, Interpretation, Pack, Settings, Text};

/// The report on one or more cases.
#[derive(Debug, Clone, Serialize)]
pub struct ComplianceReport {
    /// The evaluation time as the caller gave it.
    pub as_of: String,
    /// The bare reading of day-based deadlines asked for (each pack that offers it
    /// uses it; see each policy's `interpretation` for what was used).
    pub interpretation: &'static str,
    /// The packs applied.
    pub policies: Vec<PolicyEntry>,
    /// The cases evaluated; findings refer to them by index.
    pub cases: Vec<CaseEntry>,
    /// Every finding.
    pub findings: Vec<FindingEntry>,
    /// How many findings have each status.
    pub summary: BTreeMap<&'static str, usize>,
}

/// A pack in the report.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyEntry {
    /// Pack id.
    pub id: String,
    /// Instrument version.
    pub version: String,
    /// Pack title.
    pub title: TextEntry,
    /// How the pack's day-based deadlines were read.
    pub interpretation: &'static str,
    /// The time zone its days are counted in; absent: each case's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// A case in the report.
#[derive(Debug, Clone, Serialize)]
pub struct CaseEntry {
    /// Where the case came from (a file path, or a case id on the server).
    pub source: String,
    /// Its title.
    pub title: String,
    /// Its time zone.
    pub timezone: String,
    /// The instant it was evaluated at, in its time zone.
    pub as_of: String,
}

/// A text in both languages.
#[derive(Debug, Clone, Serialize)]
pub struct TextEntry {
    /// English.
    pub en: String,
    /// Simplified Chinese.
    pub zh: String,
}

impl From<&Text> for TextEntry {
    fn from(text: &Text) -> Self {
        TextEntry { en: text.en.clone(), zh: text.zh.clone() }
    }
}

/// The legal source of a finding's rule.
#[derive(Debug, Clone, Serialize)]
pub struct ReferenceEntry {
    /// Instrument name.
    pub instrument: TextEntry,
    /// Instrument version.
    pub version: String,
    /// Article.
    pub article: String,
    /// Research confidence: V (verified), S (secondary source), M (unverified).
    pub confidence: &'static str,
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct FindingEntry {
    /// Index into `cases`.
    pub case: usize,
    /// `pack/rule`.
    pub rule: String,
    /// Pack id.
    pub policy: String,
    /// The bound party's id.
    pub party: String,
    /// The product's id.
    pub product: Option<String>,
    /// `met`, `met_incomplete` (sent in time without content the law asks for: see
    /// `missing`), `met_late`, `pending`, `overdue`, `violated`, `conflict`,
    /// `not_started` or `needs_review` (the engine does not decide; listed, but not a
    /// problem for the exit code).
    pub status: &'static str,
    /// Clock start, or the examined event's time.
    pub anchor_at: Option<String>,
    /// Deadline; null when there is no numeric deadline.
    pub due_at: Option<String>,
    /// When the duty was met.
    pub satisfied_at: Option<String>,
    /// Hours late (met late, or overdue as of the evaluation).
    pub late_by_hours: Option<f64>,
    /// Indexes of the case's events the finding rests on.
    pub evidence: Vec<usize>,
    /// Legal source.
    pub reference: ReferenceEntry,
    /// What it means.
    pub message: TextEntry,
    /// Why a gate applied, the rule's notes, how its days were read, where its
    /// deadline comes from.
    pub notes: Vec<TextEntry>,
    /// Other rules involved (conflicts).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_rules: Vec<String>,
    /// The sanction a breach exposes the party to, with the research's confidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sanction: Option<TextEntry>,
    /// The interpretation used for a day-based deadline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interpretation: Option<&'static str>,
    /// How well the record supports the finding: the weakest of the events it rests on
    /// (`recorded`, `attested` or `claimed`); absent for a case file, whose events the
    /// platform did not record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_quality: Option<&'static str>,
    /// The reading with every unattested claim taken at the time the platform recorded
    /// it, when it differs: a claim does not silently rewrite a verdict (a sanction
    /// rests on this reading).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_reading: Option<RecordedReading>,
    /// The content fields the law asks of the notification that none on record carried.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<MissingEntry>,
    /// With `missing`: `false` when no notification that counts recorded its content at
    /// all (the record does not show the fields; it does not show them absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_recorded: Option<bool>,
}

/// A content field a notification lacked.
#[derive(Debug, Clone, Serialize)]
pub struct MissingEntry {
    /// The field's id, e.g. `member_states`.
    pub field: String,
    /// The article that asks for it.
    pub article: String,
    /// Research confidence: V, S or M.
    pub confidence: &'static str,
    /// What the field holds.
    pub label: TextEntry,
}

/// A finding as it reads with claims taken at their recorded times.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecordedReading {
    /// The status in that reading.
    pub status: &'static str,
    /// When the duty was met in that reading.
    pub satisfied_at: Option<String>,
}

/// One evaluated case: where it came from, the case, when it was evaluated, and its findings.
pub struct Evaluated<'a> {
    /// Where the case came from.
    pub source: String,
    /// The case.
    pub case: &'a Case,
    /// The evaluation instant.
    pub as_of: Timestamp,
    /// Its findings.
    pub findings: &'a [Finding<'a>],
    /// How well the record supports each event (by index), when a platform recorded
    /// them.
    pub evidence: Option<&'a [EvidenceQuality]>,
    /// The findings with claims taken at their recorded times (see
    /// [`FindingEntry::recorded_reading`]).
    pub recorded: Option<&'a [Finding<'a>]>,
}

/// The weakest evidence among the events a finding rests on.
pub fn evidence_quality(finding: &Finding<'_>, evidence: &[EvidenceQuality]) -> Option<EvidenceQuality> {
    finding.evidence.iter().filter_map(|&i| evidence.get(i).copied()).min()
}

/// The finding of `recorded` that is `finding` in the other reading, when its status or
/// time differs.
pub fn differing_reading<'a>(finding: &Finding<'_>, recorded: &'a [Finding<'a>]) -> Option<&'a Finding<'a>> {
    recorded
        .iter()
        .find(|r| {
            r.rule_id() == finding.rule_id() && r.party == finding.party && r.product == finding.product
        })
        .filter(|r| r.status != finding.status || r.satisfied_at != finding.satisfied_at)
}

/// Builds the report. Times are written in each case's time zone.
pub fn report(
    as_of: &str,
    interpretation: Interpretation,
    settings: &Settings,
    packs: &[Pack],
    cases: &[Evaluated<'_>],
) -> ComplianceReport {
    let mut summary: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut findings = Vec::new();
    for (index, evaluated) in cases.iter().enumerate() {
        let tz = evaluated.case.timezone();
        let time = |t: Option<Timestamp>| t.map(|t| t.with_timezone(&tz).to_rfc3339());
        for f in evaluated.findings {
            *summary.entry(f.status.as_str()).or_default() += 1;
            let reference = f.reference();
            findings.push(FindingEntry {
                case: index,
                rule: f.rule_id(),
                policy: f.pack.id.clone(),
                party: f.party.0.clone(),
                product: f.product.map(|p| p.0.clone()),
                status: f.status.as_str(),
                anchor_at: time(f.anchor_at),
                due_at: time(f.due_at),
                satisfied_at: time(f.satisfied_at),
                late_by_hours: f.late_by_hours,
                evidence: f.evidence.clone(),
                reference: ReferenceEntry {
                    instrument: reference.instrument.into(),
                    version: reference.version.to_owned(),
                    article: reference.article.to_owned(),
                    confidence: reference.confidence.tag(),
                },
                message: (&f.message(evaluated.case)).into(),
                notes: f.notes(evaluated.case).iter().map(Into::into).collect(),
                related_rules: f.related_rule_ids(),
                sanction: f.sanction_marked().as_ref().map(Into::into),
                interpretation: f.interpretation.map(Interpretation::as_str),
                evidence_quality: evaluated
                    .evidence
                    .and_then(|e| evidence_quality(f, e))
                    .map(EvidenceQuality::as_str),
                recorded_reading: evaluated.recorded.and_then(|r| differing_reading(f, r)).map(|r| {
                    RecordedReading { status: r.status.as_str(), satisfied_at: time(r.satisfied_at) }
                }),
                content_recorded: (!f.missing.is_empty()).then_some(f.content_recorded),
                missing: f
                    .missing
                    .iter()
                    .map(|m| MissingEntry {
                        field: m.id.clone(),
                        article: m.article.clone(),
                        confidence: m.confidence.tag(),
                        label: (&m.label).into(),
                    })
                    .collect(),
            });
        }
    }
    ComplianceReport {
        as_of: as_of.to_owned(),
        interpretation: interpretation.as_str(),
        policies: packs
            .iter()
            .map(|p| PolicyEntry {
                id: p.id.clone(),
                version: p.version.clone(),
                title: (&p.title).into(),
                interpretation: p.reading(interpretation, settings).as_str(),
                timezone: p.timezone.map(|tz| tz.name().to_owned()),
            })
            .collect(),
        cases: cases
            .iter()
            .map(|c| CaseEntry {
                source: c.source.clone(),
                title: c.case.title().to_owned(),
                timezone: c.case.timezone().name().to_owned(),
                as_of: c.as_of.with_timezone(&c.case.timezone()).to_rfc3339(),
            })
            .collect(),
        findings,
        summary,
    }
}
