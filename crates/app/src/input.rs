//! Reading JSON request bodies: every problem at once, each with its JSON path.
//!
//! Bodies are checked field by field, so that an invalid request lists every missing
//! or wrong field, not only serde's first.

use chrono_tz::Tz;
use serde_json::{Map, Value};
use vulnrelay_domain::Timestamp;
use vulnrelay_formats::case_file::parse_time;

use crate::error::Error;

/// Collects problems while fields are read.
#[derive(Default)]
pub struct Checker {
    /// `(path, message)` pairs, in reading order.
    pub problems: Vec<(String, String)>,
}

impl Checker {
    /// Records a problem.
    pub fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push((path.into(), message.into()));
    }

    /// The value as an object whose keys are all in `allowed`.
    pub fn object<'v>(
        &mut self,
        value: &'v Value,
        path: &str,
        allowed: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Some(object) = value.as_object() else {
            self.problem(path, format!("expected an object, found {}", kind_of(value)));
            return None;
        };
        for key in object.keys() {
            if !allowed.contains(&key.as_str()) {
                self.problem(format!("{path}.{key}"), format!("unknown field `{key}`"));
            }
        }
        Some(object)
    }

    /// A string field (non-empty when required).
    pub fn string<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
    ) -> Option<&'v str> {
        match object.get(key) {
            None | Some(Value::Null) if required => {
                self.problem(format!("{path}.{key}"), "missing required field");
                None
            }
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if required && s.trim().is_empty() => {
                self.problem(format!("{path}.{key}"), "must not be empty");
                None
            }
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                self.problem(format!("{path}.{key}"), format!("expected a string, found {}", kind_of(other)));
                None
            }
        }
    }

    /// A boolean field (default false).
    pub fn boolean(&mut self, object: &Map<String, Value>, path: &str, key: &str) -> bool {
        match object.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                self.problem(
                    format!("{path}.{key}"),
                    format!("expected true or false, found {}", kind_of(other)),
                );
                false
            }
        }
    }

    /// An array of strings (non-empty when required).
    pub fn strings(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
    ) -> Vec<String> {
        match object.get(key) {
            None | Some(Value::Null) if required => {
                self.problem(format!("{path}.{key}"), "missing required field");
                Vec::new()
            }
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                if required && items.is_empty() {
                    self.problem(format!("{path}.{key}"), "must not be empty");
                }
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| match item {
                        Value::String(s) => Some(s.clone()),
                        other => {
                            self.problem(
                                format!("{path}.{key}[{i}]"),
                                format!("expected a string, found {}", kind_of(other)),
                            );
                            None
                        }
                    })
                    .collect()
            }
            Some(other) => {
                self.problem(format!("{path}.{key}"), format!("expected an array, found {}", kind_of(other)));
                Vec::new()
            }
        }
    }

    /// A time field: RFC 3339, or a date meaning midnight in `tz`.
    pub fn time(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
        tz: Tz,
    ) -> Option<Timestamp> {
        let text = self.string(object, path, key, required)?;
        parse_time(text, tz).map_err(|e| self.problem(format!("{path}.{key}"), e)).ok()
    }

    /// The time of something that has happened: a [`Checker::time`] that is also no
    /// more than a few minutes after the server's clock (`vulnrelay_formats::time`).
    pub fn event_time(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
        tz: Tz,
    ) -> Option<Timestamp> {
        let at = self.time(object, path, key, required, tz)?;
        vulnrelay_formats::time::in_range(at, Some(chrono::Utc::now()))
            .map_err(|e| self.problem(format!("{path}.{key}"), e))
            .ok()
    }

    /// Ends the check: the problems as a 422, if any.
    pub fn finish(self) -> Result<(), Error> {
        if self.problems.is_empty() { Ok(()) } else { Err(Error::invalid(self.problems)) }
    }
}

/// How a JSON value is named in messages.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An optional JSON body: empty means `{}`.
pub fn optional_json(bytes: &[u8]) -> Result<Value, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(bytes).map_err(|e| Error::bad_request(format!("malformed JSON: {e}")))
}
