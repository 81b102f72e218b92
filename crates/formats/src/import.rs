//! Reading vulnerability documents of any supported format, detected by content: CVE
//! JSON 5.x records, CSAF 2.0 advisories, OSV records (one, or an array), and
//! vulnrelay's own record JSON.

use std::fmt;

use serde_json::Value;
use vulnrelay_domain::Vulnerability;

use crate::case_file::Problem;
use crate::{csaf, cve5, osv_record, record};

/// A document format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CVE JSON 5.x record.
    Cve,
    /// CSAF 2.0 document.
    Csaf,
    /// OSV record.
    Osv,
    /// `vulnrelay/vulnerability/v1` record.
    Vulnrelay,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Cve => "CVE JSON 5",
            Format::Csaf => "CSAF 2.0",
            Format::Osv => "OSV",
            Format::Vulnrelay => "vulnrelay record",
        })
    }
}

/// The format of one JSON document, by its content.
pub fn detect(document: &Value) -> Option<Format> {
    let object = document.as_object()?;
    if object.get("dataType").and_then(Value::as_str) == Some("CVE_RECORD")
        || object.contains_key("cveMetadata")
    {
        return Some(Format::Cve);
    }
    if document["document"]["csaf_version"].is_string() {
        return Some(Format::Csaf);
    }
    if !object.contains_key("id") {
        return None;
    }
    let osv_like = object.contains_key("schema_version")
        || document["affected"].as_array().is_some_and(|a| a.iter().any(|e| e.get("package").is_some()))
        || (object.contains_key("modified") && !document["affected"].is_array());
    let ours = document["affected"].as_array().is_some_and(|a| a.iter().any(|e| e.get("source").is_some()))
        || document["title"].is_object();
    match (ours, osv_like) {
        (true, _) => Some(Format::Vulnrelay),
        (false, true) => Some(Format::Osv),
        (false, false) => object.contains_key("modified").then_some(Format::Osv).or(Some(Format::Vulnrelay)),
    }
}

/// What one file held.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The format detected.
    pub format: Format,
    /// The records read.
    pub records: Vec<Vulnerability>,
}

/// Reads a document (or an array of documents of one format), validating it against
/// its official schema. `source` names the source of OSV data that does not say
/// where it comes from. Every problem is reported, with its JSON path.
pub fn import(text: &str, source: &str) -> Result<Imported, Vec<Problem>> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| vec![Problem { path: "$".into(), message: format!("not valid JSON: {e}") }])?;
    let items: Vec<(String, &Value)> = match &value {
        Value::Array(items) => items.iter().enumerate().map(|(i, v)| (format!("$[{i}]"), v)).collect(),
        single => vec![("$".to_owned(), single)],
    };
    let Some(format) = items.first().and_then(|(_, v)| detect(v)) else {
        return Err(vec![Problem {
            path: "$".into(),
            message: "not a CVE JSON 5 record, CSAF 2.0 document, OSV record or vulnrelay record".into(),
        }]);
    };
    if format == Format::Vulnrelay {
        return record::parse_all(text).map(|records| Imported { format, records });
    }
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for (at, item) in items {
        if detect(item) != Some(format) {
            problems.push(Problem {
                path: at.clone(),
                message: format!("every document in the array must be {format}"),
            });
            continue;
        }
        let result = match format {
            Format::Cve => cve5::import(item).map(|v| vec![v]),
            Format::Csaf => csaf::import(item),
            Format::Osv => osv_record::import(item, source).map(|v| vec![v]),
            Format::Vulnrelay => unreachable!("handled above"),
        };
        match result {
            Ok(found) => records.extend(found),
            Err(found) => problems.extend(
                found.into_iter().map(|p| Problem { path: p.path.replacen('$', &at, 1), message: p.message }),
            ),
        }
    }
    if problems.is_empty() { Ok(Imported { format, records }) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn formats_are_told_apart_by_content() {
        assert_eq!(detect(&json!({"dataType": "CVE_RECORD", "cveMetadata": {}})), Some(Format::Cve));
        assert_eq!(detect(&json!({"document": {"csaf_version": "2.0"}})), Some(Format::Csaf));
        assert_eq!(detect(&json!({"id": "GHSA-1", "modified": "2021-01-01T00:00:00Z"})), Some(Format::Osv));
        assert_eq!(
            detect(&json!({"id": "X", "affected": [{"package": {"ecosystem": "Maven", "name": "a:b"}}]})),
            Some(Format::Osv)
        );
        assert_eq!(
            detect(&json!({"id": "X", "affected": [{"source": "s", "vendor": "v", "product": "p"}]})),
            Some(Format::Vulnrelay)
        );
        assert_eq!(detect(&json!({"id": "X", "title": {"en": "t"}})), Some(Format::Vulnrelay));
        assert_eq!(detect(&json!({"hello": "world"})), None);
        assert_eq!(detect(&json!([1, 2])), None);
    }

    #[test]
    fn unknown_documents_are_one_clear_problem() {
        let problems = import("{\"hello\": 1}", "x").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("not a CVE JSON 5 record"));
        assert!(import("{", "x").unwrap_err()[0].message.starts_with("not valid JSON"));
    }
}
