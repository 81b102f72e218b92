//! The wire form of an organisation's log entries (`vulnrelay/org-event`): sanctions,
//! rectification reports and reviews, as stored in the organisation's hash-chained log
//! and served by the API. The entry's time and scheme live beside the body (they are
//! columns of the log), so the body carries neither.
//!
//! ```json
//! {"type": "sanctioned", "sanction": "suspension", "until": "2022-06-21T16:00:00Z",
//!  "author": "…", "reason": "…", "public": true,
//!  "basis": [{"rule": "cn-miit-member/member-report-2d", "case": "…"}]}
//! {"type": "rectification_submitted", "author": "…", "report": "…"}
//! {"type": "review_recorded", "reviewer": "…", "outcome": "restore", "note": "…"}
//! {"type": "review_recorded", "reviewer": "…", "outcome": "extend", "until": "…", "note": "…"}
//! ```

use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};
use vulnrelay_domain::{Basis, OrgEvent, ReviewOutcome, SanctionKind, Timestamp};

/// One entry's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OrgEventJson {
    /// A sanction was decided.
    Sanctioned {
        /// `warning`, `public_criticism`, `suspension` or `expulsion`.
        sanction: String,
        /// The end of a suspension's term.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<String>,
        /// The individual a public criticism names.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        individual: Option<String>,
        /// Who decided.
        author: String,
        /// Why.
        reason: String,
        /// What it rests on.
        basis: Vec<BasisJson>,
        /// Whether it is published.
        public: bool,
    },
    /// The unit submitted a rectification report.
    RectificationSubmitted {
        /// Who submitted it.
        author: String,
        /// The report.
        report: String,
    },
    /// An analyst recorded a review.
    ReviewRecorded {
        /// The reviewer.
        reviewer: String,
        /// `restore` or `extend`.
        outcome: String,
        /// The new end of the term, for `extend`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<String>,
        /// The review note.
        note: String,
    },
}

/// A basis: a finding (`rule` + `case`) or a case event (`case` + `event` index).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasisJson {
    /// `pack/rule`, for a finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The case.
    pub case: String,
    /// The event's index, for an event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<usize>,
}

/// Why an entry could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct OrgEventError {
    /// The JSON path of the problem.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn problem(path: &str, message: impl Into<String>) -> OrgEventError {
    OrgEventError { path: path.to_owned(), message: message.into() }
}

fn time(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn parse_time(path: &str, text: Option<&str>) -> Result<Timestamp, OrgEventError> {
    let text = text.ok_or_else(|| problem(path, "is required"))?;
    chrono::DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("not an RFC 3339 time: {e}"))
        .and_then(|t| crate::time::in_range(t.to_utc(), None))
        .map_err(|e| problem(path, e))
}

impl From<&OrgEvent> for OrgEventJson {
    fn from(event: &OrgEvent) -> Self {
        match event {
            OrgEvent::Sanctioned { kind, author, reason, basis, public, .. } => OrgEventJson::Sanctioned {
                sanction: kind.as_str().to_owned(),
                until: match kind {
                    SanctionKind::Suspension { until } => Some(time(*until)),
                    _ => None,
                },
                individual: match kind {
                    SanctionKind::PublicCriticism { individual } => individual.clone(),
                    _ => None,
                },
                author: author.clone(),
                reason: reason.clone(),
                basis: basis
                    .iter()
                    .map(|b| match b {
                        Basis::Finding { rule, case } => {
                            BasisJson { rule: Some(rule.clone()), case: case.clone(), event: None }
                        }
                        Basis::Event { case, index } => {
                            BasisJson { rule: None, case: case.clone(), event: Some(*index) }
                        }
                    })
                    .collect(),
                public: *public,
            },
            OrgEvent::RectificationSubmitted { author, report, .. } => {
                OrgEventJson::RectificationSubmitted { author: author.clone(), report: report.clone() }
            }
            OrgEvent::ReviewRecorded { reviewer, outcome, note, .. } => OrgEventJson::ReviewRecorded {
                reviewer: reviewer.clone(),
                outcome: match outcome {
                    ReviewOutcome::Restore => "restore",
                    ReviewOutcome::Extend { .. } => "extend",
                }
                .to_owned(),
                until: match outcome {
                    ReviewOutcome::Extend { until } => Some(time(*until)),
                    ReviewOutcome::Restore => None,
                },
                note: note.clone(),
            },
        }
    }
}

impl OrgEventJson {
    /// The domain event, taking effect at `at`.
    pub fn to_event(&self, at: Timestamp) -> Result<OrgEvent, OrgEventError> {
        Ok(match self {
            OrgEventJson::Sanctioned { sanction, until, individual, author, reason, basis, public } => {
                let kind = match sanction.as_str() {
                    "warning" => SanctionKind::Warning,
                    "public_criticism" => SanctionKind::PublicCriticism { individual: individual.clone() },
                    "suspension" => {
                        SanctionKind::Suspension { until: parse_time("$.until", until.as_deref())? }
                    }
                    "expulsion" => SanctionKind::Expulsion,
                    other => {
                        return Err(problem(
                            "$.sanction",
                            format!(
                                "unknown sanction `{other}` (warning, public_criticism, suspension, expulsion)"
                            ),
                        ));
                    }
                };
                let basis = basis
                    .iter()
                    .enumerate()
                    .map(|(i, b)| match (&b.rule, b.event) {
                        (Some(rule), None) => Ok(Basis::Finding { rule: rule.clone(), case: b.case.clone() }),
                        (None, Some(index)) => Ok(Basis::Event { case: b.case.clone(), index }),
                        _ => {
                            Err(problem(&format!("$.basis[{i}]"), "needs either `rule` or `event`, not both"))
                        }
                    })
                    .collect::<Result<_, _>>()?;
                OrgEvent::Sanctioned {
                    at,
                    kind,
                    author: author.clone(),
                    reason: reason.clone(),
                    basis,
                    public: *public,
                }
            }
            OrgEventJson::RectificationSubmitted { author, report } => {
                OrgEvent::RectificationSubmitted { at, author: author.clone(), report: report.clone() }
            }
            OrgEventJson::ReviewRecorded { reviewer, outcome, until, note } => {
                let outcome = match outcome.as_str() {
                    "restore" => ReviewOutcome::Restore,
                    "extend" => ReviewOutcome::Extend { until: parse_time("$.until", until.as_deref())? },
                    other => {
                        return Err(problem(
                            "$.outcome",
                            format!("unknown outcome `{other}` (restore, extend)"),
                        ));
                    }
                };
                OrgEvent::ReviewRecorded { at, reviewer: reviewer.clone(), outcome, note: note.clone() }
            }
        })
    }

    /// Reads a stored body (canonical JSON text) as the domain event at `at`.
    pub fn parse(body: &str, at: Timestamp) -> Result<OrgEvent, OrgEventError> {
        let json: OrgEventJson = serde_json::from_str(body).map_err(|e| problem("$", e.to_string()))?;
        json.to_event(at)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn every_entry_round_trips_through_its_wire_form() {
        let at = chrono::Utc.with_ymd_and_hms(2021, 12, 21, 16, 0, 0).unwrap();
        let until = chrono::Utc.with_ymd_and_hms(2022, 6, 21, 16, 0, 0).unwrap();
        let events = [
            OrgEvent::Sanctioned {
                at,
                kind: SanctionKind::Suspension { until },
                author: "analyst".into(),
                reason: "late report".into(),
                basis: vec![
                    Basis::Finding { rule: "cn-miit-member/member-report-2d".into(), case: "c1".into() },
                    Basis::Event { case: "c1".into(), index: 3 },
                ],
                public: true,
            },
            OrgEvent::Sanctioned {
                at,
                kind: SanctionKind::PublicCriticism { individual: Some("a researcher".into()) },
                author: "analyst".into(),
                reason: "published exploit code before the fix".into(),
                basis: vec![Basis::Event { case: "c1".into(), index: 5 }],
                public: true,
            },
            OrgEvent::RectificationSubmitted { at, author: "unit".into(), report: "new process".into() },
            OrgEvent::ReviewRecorded {
                at,
                reviewer: "analyst".into(),
                outcome: ReviewOutcome::Extend { until },
                note: "not yet".into(),
            },
            OrgEvent::ReviewRecorded {
                at,
                reviewer: "analyst".into(),
                outcome: ReviewOutcome::Restore,
                note: "ok".into(),
            },
        ];
        for event in &events {
            let text = serde_json::to_string(&OrgEventJson::from(event)).unwrap();
            assert_eq!(&OrgEventJson::parse(&text, at).unwrap(), event, "{text}");
        }
    }

    #[test]
    fn unreadable_entries_name_the_problem() {
        let at = "2026-01-01T00:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        let bad =
            r#"{"type":"sanctioned","sanction":"fine","author":"a","reason":"r","basis":[],"public":false}"#;
        assert_eq!(OrgEventJson::parse(bad, at).unwrap_err().path, "$.sanction");
        let no_until = r#"{"type":"review_recorded","reviewer":"a","outcome":"extend","note":"n"}"#;
        assert_eq!(OrgEventJson::parse(no_until, at).unwrap_err().path, "$.until");
        let both = r#"{"type":"sanctioned","sanction":"warning","author":"a","reason":"r","public":false,"basis":[{"rule":"p/r","case":"c","event":1}]}"#;
        assert_eq!(OrgEventJson::parse(both, at).unwrap_err().path, "$.basis[0]");
    }
}
