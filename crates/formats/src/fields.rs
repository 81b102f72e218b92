//! Reading JSON objects field by field, every problem at once with its JSON path: the
//! one field checker of case files and of the API's request bodies.
//!
//! The two differ in one deliberate way, chosen when the checker is made ([`Nulls`]): a
//! document leaves a key out to say nothing (the case-file schema has no `null`), so
//! there a `null` is a wrong value; a request body may send `null` for "not given".

use chrono_tz::Tz;
use serde_json::{Map, Value};
use std::fmt;
use vulnrelay_domain::Timestamp;

use crate::case_file::parse_time;
use crate::time::in_range;

/// One problem of a document or a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where: a JSON path such as `$.events[3].to`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// What a `null` value means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Nulls {
    /// The key left out (request bodies).
    #[default]
    Absent,
    /// A wrong value (documents whose schema has no `null`).
    Refused,
}

/// Collects problems while fields are read.
#[derive(Debug, Default)]
pub struct Fields {
    /// The problems, in reading order.
    pub problems: Vec<Problem>,
    nulls: Nulls,
}

impl Fields {
    /// A checker reading `null` as `nulls` says.
    pub fn new(nulls: Nulls) -> Fields {
        Fields { problems: Vec::new(), nulls }
    }

    /// Records a problem.
    pub fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem { path: path.into(), message: message.into() });
    }

    /// `object[key]`, a `null` read as this checker reads it (`None`: left out).
    fn get<'v>(&self, object: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
        match object.get(key) {
            Some(Value::Null) if self.nulls == Nulls::Absent => None,
            found => found,
        }
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

    /// A string field (present and not blank when required).
    pub fn string<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
    ) -> Option<&'v str> {
        match self.get(object, key) {
            None if required => {
                self.problem(format!("{path}.{key}"), "missing required field");
                None
            }
            None => None,
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
        match self.get(object, key) {
            None => false,
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

    /// An array field (present when required).
    pub fn array<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
    ) -> &'v [Value] {
        match self.get(object, key) {
            None if required => {
                self.problem(format!("{path}.{key}"), "missing required field");
                &[]
            }
            None => &[],
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.problem(format!("{path}.{key}"), format!("expected an array, found {}", kind_of(other)));
                &[]
            }
        }
    }

    /// A list that must name at least one string: [`Fields::strings`], present and not
    /// empty.
    pub fn non_empty_strings(&mut self, object: &Map<String, Value>, path: &str, key: &str) -> Vec<String> {
        if matches!(self.get(object, key), Some(Value::Array(a)) if a.is_empty()) {
            self.problem(format!("{path}.{key}"), "must not be empty");
        }
        self.strings(object, path, key, true)
    }

    /// An array of strings (present when required; it may be empty).
    pub fn strings(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
    ) -> Vec<String> {
        let items = self.array(object, path, key, required);
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

    /// The time of something that has happened: a [`Fields::time`] that is also within
    /// the range [`crate::time::in_range`] accepts as of `now`.
    pub fn event_time(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
        tz: Tz,
        now: Timestamp,
    ) -> Option<Timestamp> {
        let at = self.time(object, path, key, required, tz)?;
        in_range(at, Some(now)).map_err(|e| self.problem(format!("{path}.{key}"), e)).ok()
    }

    /// Ends the check: every problem, if there is any.
    pub fn finish(self) -> Result<(), Vec<Problem>> {
        if self.problems.is_empty() { Ok(()) } else { Err(self.problems) }
    }
}

/// What a JSON value is, in words (`a string`, `null`, ...).
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_null_is_left_out_in_a_request_and_wrong_in_a_document() {
        let body = json!({"note": null, "name": null});
        let object = body.as_object().unwrap();
        let mut request = Fields::new(Nulls::Absent);
        assert_eq!(request.string(object, "$", "note", false), None);
        assert_eq!(request.string(object, "$", "name", true), None);
        assert_eq!(
            request.problems,
            [Problem { path: "$.name".into(), message: "missing required field".into() }]
        );
        let mut document = Fields::new(Nulls::Refused);
        assert_eq!(document.string(object, "$", "note", false), None);
        assert_eq!(document.problems[0].message, "expected a string, found null");
    }

    #[test]
    fn every_problem_is_kept_in_reading_order() {
        let body = json!({"a": 1, "b": [], "c": "", "d": "x", "z": true});
        let mut check = Fields::default();
        let object = check.object(&body, "$", &["a", "b", "c", "d"]).unwrap();
        check.string(object, "$", "a", true);
        check.non_empty_strings(object, "$", "b");
        check.string(object, "$", "c", true);
        check.time(object, "$", "d", true, Tz::UTC);
        let paths: Vec<&str> = check.problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["$.z", "$.a", "$.b", "$.c", "$.d"]);
        assert!(check.finish().is_err());
    }
}
