//! The one error type of every operation: what went wrong, in terms each door maps to
//! its own answer (the HTTP layer to a status and the JSON envelope in one `From`, the
//! web UI to a page in the viewer's language, the CLI through `Display`).
//!
//! - Bad input: [`Error::BadRequest`] (unreadable), [`Error::TooLarge`],
//!   [`Error::Invalid`] (well-formed but wrong, every problem at once with its path).
//! - Who: [`Error::Unauthenticated`], [`Error::Forbidden`] (a case the caller may not
//!   see is [`Error::NotFound`], exactly as if it did not exist), [`Error::RateLimited`].
//! - State: [`Error::Conflict`] (a stable code such as `stale` or `retention`),
//!   [`Error::Refused`] (gate rules forbid the action), [`Error::Relay`] (a peer's
//!   envelope refused).
//! - [`Error::Internal`]: a database failure or a corrupt record; its cause is logged
//!   where it is made and never shown.

use serde_json::{Value, json};
use vulnrelay_store::StoreError;

use crate::gates::Refusal;

/// The result of an operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem of a request's content: the JSON path of the field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `$.field` (or a query parameter's name).
    pub field: String,
    /// What is wrong, for people.
    pub message: String,
}

/// Why a peer's relay envelope was refused (see `federation::receive`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayKind {
    /// This instance does not federate.
    NotFederating,
    /// Not a peer, or a bad signature.
    NotAPeer,
    /// A broken chain, an unknown recipient, content that does not check.
    Invalid,
    /// A replayed key with other content.
    Replayed,
    /// The store could not be reached; the peer retries.
    Unavailable,
    /// The receipt could not be made.
    Internal,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The request cannot be read (malformed JSON, a wrong content type).
    #[error("{0}")]
    BadRequest(String),
    /// The request is larger than the platform accepts.
    #[error("the request body is larger than the server accepts")]
    TooLarge,
    /// No valid credentials; `code` says which (`unauthorized`, `bad_credentials`).
    #[error("{message}")]
    Unauthenticated {
        /// The stable code.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such thing, or one the caller may not see.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for (`case`, `organisation`, ...).
        what: String,
    },
    /// The request conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// The stable code (`conflict`, `stale`, `retention`, `invalid_transition`, ...).
        code: &'static str,
        /// For people.
        message: String,
    },
    /// The content is wrong: every problem, each with its path.
    #[error("{}", invalid_message(.0))]
    Invalid(Vec<Problem>),
    /// Gate rules forbid the action (an analyst may record it anyway with a reason).
    #[error("{}", refused_message(.0))]
    Refused(Vec<Refusal>),
    /// A peer's relay envelope was refused.
    #[error("{reason}")]
    Relay {
        /// Why, as a kind.
        kind: RelayKind,
        /// Why, for people (and the peer's log).
        reason: String,
    },
    /// The sanctions workflow refuses the event (no basis, the term not over, ...).
    #[error("{0}")]
    Sanction(vulnrelay_domain::SanctionError),
    /// Too many failed attempts.
    #[error("too many failed attempts; try again later")]
    RateLimited,
    /// Something inside failed; the cause was logged where it happened.
    #[error("internal error")]
    Internal,
}

fn invalid_message(problems: &[Problem]) -> String {
    match problems {
        [one] => format!("1 problem: {}: {}", one.field, one.message),
        many => format!("{} problems in the request", many.len()),
    }
}

fn refused_message(refusals: &[Refusal]) -> String {
    let names: Vec<String> = refusals.iter().map(|r| format!("{} (Art. {})", r.rule, r.article)).collect();
    format!("refused by {}; an analyst may record it anyway with an override and a reason", names.join(", "))
}

impl Error {
    /// The request cannot be read.
    pub fn bad_request(message: impl Into<String>) -> Error {
        Error::BadRequest(message.into())
    }

    /// No valid credentials.
    pub fn unauthorized() -> Error {
        Error::Unauthenticated { code: "unauthorized", message: "sign in or send a valid API token".into() }
    }

    /// The caller may not do this.
    pub fn forbidden(message: impl Into<String>) -> Error {
        Error::Forbidden(message.into())
    }

    /// No such `what` (or one the caller may not see).
    pub fn not_found(what: &str) -> Error {
        Error::NotFound { what: what.to_owned() }
    }

    /// The request conflicts with the current state; `code` names the conflict.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Error {
        Error::Conflict { code, message: message.into() }
    }

    /// The content is wrong; `problems` are `(field, message)` pairs.
    pub fn invalid(problems: Vec<(String, String)>) -> Error {
        Error::Invalid(problems.into_iter().map(|(field, message)| Problem { field, message }).collect())
    }

    /// One problem at `field`.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Invalid(vec![Problem { field: field.into(), message: message.into() }])
    }

    /// Too many attempts.
    pub fn rate_limited() -> Error {
        Error::RateLimited
    }

    /// Something inside failed: logs `cause` and answers [`Error::Internal`].
    pub fn internal(cause: impl std::fmt::Display) -> Error {
        tracing::error!(%cause, "internal error");
        Error::Internal
    }

    /// The stable, machine-readable code of the API's error envelope.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadRequest(_) => "bad_request",
            Error::TooLarge => "payload_too_large",
            Error::Unauthenticated { code, .. } | Error::Conflict { code, .. } => code,
            Error::Forbidden(_) => "forbidden",
            Error::NotFound { .. } => "not_found",
            Error::Invalid(_) => "invalid",
            Error::Refused(_) => "policy_gate",
            Error::Relay { .. } => "relay_refused",
            Error::Sanction(_) => "sanction_refused",
            Error::RateLimited => "rate_limited",
            Error::Internal => "internal",
        }
    }

    /// Every problem of an [`Error::Invalid`] (none for the others).
    pub fn problems(&self) -> &[Problem] {
        match self {
            Error::Invalid(problems) => problems,
            _ => &[],
        }
    }

    /// The envelope's `details`: each problem `{field, message}`, or each refusing
    /// rule `{rule, article, instrument, message}`.
    pub fn details(&self) -> Vec<Value> {
        match self {
            Error::Invalid(problems) => {
                problems.iter().map(|p| json!({"field": p.field, "message": p.message})).collect()
            }
            Error::Refused(refusals) => crate::gates::details(refusals),
            Error::Sanction(refused) => vec![sanction_details(refused)],
            _ => Vec::new(),
        }
    }
}

/// `{"reason": "no_report" | "term_not_over" | ..., "until": ...}` of a refused sanction.
fn sanction_details(error: &vulnrelay_domain::SanctionError) -> Value {
    use vulnrelay_domain::SanctionError as E;
    let (reason, until) = match error {
        E::NoBasis => ("no_basis", None),
        E::Expelled => ("expelled", None),
        E::EndsBeforeItStarts => ("ends_before_it_starts", None),
        E::NotSuspended(_) => ("not_suspended", None),
        E::NoReport => ("no_report", None),
        E::TermNotOver { until } => ("term_not_over", Some(until.to_rfc3339())),
        E::OutOfOrder => ("out_of_order", None),
    };
    json!({"reason": reason, "until": until})
}

impl From<Vec<vulnrelay_formats::fields::Problem>> for Error {
    fn from(problems: Vec<vulnrelay_formats::fields::Problem>) -> Self {
        Error::Invalid(problems.into_iter().map(|p| Problem { field: p.path, message: p.message }).collect())
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { what, .. } => Error::not_found(what),
            StoreError::Conflict(_) => Error::conflict("conflict", "that already exists"),
            StoreError::InvalidReference(_) => {
                Error::invalid_field("$", "refers to something that does not exist")
            }
            StoreError::Stale { .. } => {
                Error::conflict("stale", "the case changed while this request was processed; retry")
            }
            refused @ StoreError::RetentionRefused { .. } => {
                Error::conflict("retention", refused.to_string())
            }
            other => Error::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_keep_their_meaning() {
        let stale = Error::from(StoreError::Stale { case_id: "c".into(), expected: 1, found: 2 });
        assert_eq!(stale.code(), "stale");
        assert_eq!(
            Error::from(StoreError::NotFound { what: "case", id: "x".into() }).to_string(),
            "case not found"
        );
    }

    #[test]
    fn every_problem_is_listed_with_its_path() {
        let error = Error::invalid(vec![("$.a".into(), "missing".into()), ("$.b".into(), "too long".into())]);
        assert_eq!(error.to_string(), "2 problems in the request");
        assert_eq!(error.details()[1], json!({"field": "$.b", "message": "too long"}));
        assert_eq!(Error::invalid_field("$.a", "missing").to_string(), "1 problem: $.a: missing");
    }
}
