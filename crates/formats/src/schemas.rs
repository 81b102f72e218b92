//! The official schemas (vendored in `schemas/`), compiled once, for validating
//! imports and exports. No network: the CSAF schema's references to the FIRST CVSS
//! schemas are served from the vendored copies.

use std::sync::OnceLock;

use serde_json::Value;

use crate::case_file::Problem;

/// The documents vulnrelay validates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// CVE JSON 5.1 record.
    Cve,
    /// CSAF 2.0 document.
    Csaf,
    /// OSV record.
    Osv,
    /// CSAF 2.0 provider metadata (`provider-metadata.json`).
    CsafProvider,
    /// CycloneDX 1.6 BOM (1.4 and 1.5 documents validate against it too).
    CycloneDx,
    /// SARIF 2.1.0 log (the OASIS standard's final schema, 2.1.0-rtm.5).
    Sarif,
    /// CSAF 2.0 ROLIE feed (the OASIS TC's auxiliary schema).
    RolieFeed,
    /// CSAF 2.0 aggregator metadata (`aggregator.json`, §7.1.8).
    CsafAggregator,
}

const CVE: &str = include_str!("../schemas/cve/CVE_JSON_5.1_bundled.json");
const CSAF: &str = include_str!("../schemas/csaf/csaf_json_schema.json");
const OSV: &str = include_str!("../schemas/osv/schema.json");
const CSAF_PROVIDER: &str = include_str!("../schemas/csaf/provider_json_schema.json");
const CYCLONEDX: &str = include_str!("../schemas/cyclonedx/bom-1.6.schema.json");
const SARIF: &str = include_str!("../schemas/sarif/sarif-2.1.0-rtm.5.json");
const ROLIE_FEED: &str = include_str!("../schemas/csaf/ROLIE_feed_json_schema.json");
const CSAF_AGGREGATOR: &str = include_str!("../schemas/csaf/aggregator_json_schema.json");
const CYCLONEDX_REFERENCED: [(&str, &str); 2] = [
    ("http://cyclonedx.org/schema/spdx.schema.json", include_str!("../schemas/cyclonedx/spdx.schema.json")),
    (
        "http://cyclonedx.org/schema/jsf-0.82.schema.json",
        include_str!("../schemas/cyclonedx/jsf-0.82.schema.json"),
    ),
];
const CVSS: [(&str, &str); 3] = [
    ("https://www.first.org/cvss/cvss-v2.0.json", include_str!("../schemas/csaf/cvss-v2.0.json")),
    ("https://www.first.org/cvss/cvss-v3.0.json", include_str!("../schemas/csaf/cvss-v3.0.json")),
    ("https://www.first.org/cvss/cvss-v3.1.json", include_str!("../schemas/csaf/cvss-v3.1.json")),
];

/// Serves only the vendored schemas (the CVSS ones CSAF references, CSAF itself for the
/// provider metadata schema, the provider metadata schema for the aggregator's, SPDX
/// and JSF for CycloneDX); any other reference fails.
struct Vendored;

impl jsonschema::Retrieve for Vendored {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let wanted = uri.as_str().trim_end_matches('#');
        if wanted == "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json" {
            return Ok(serde_json::from_str(CSAF)?);
        }
        if wanted == "https://docs.oasis-open.org/csaf/csaf/v2.0/provider_json_schema.json" {
            return Ok(serde_json::from_str(CSAF_PROVIDER)?);
        }
        let (_, text) = CVSS
            .iter()
            .chain(CYCLONEDX_REFERENCED.iter())
            .find(|(u, _)| *u == wanted)
            .ok_or_else(|| format!("schema {wanted} is not vendored"))?;
        Ok(serde_json::from_str(text)?)
    }
}

fn compile(text: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(text).expect("vendored schemas are JSON");
    // `format` is an annotation, as the official validators treat it: real published CVE
    // records carry timestamps without a zone that a strict `date-time` check refuses.
    jsonschema::options()
        .with_retriever(Vendored)
        .should_validate_formats(false)
        .build(&schema)
        .expect("vendored schemas compile")
}

/// The SARIF schema as compiled: the official text, but for one pattern. `language`
/// (of `run` and of `toolComponent`) has `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`, whose stray `]` ECMA-262 reads as a
/// literal outside Unicode mode but the meta-schema's strict `regex` format refuses; the
/// `]` is escaped, which matches the same strings.
fn sarif_schema() -> String {
    const STRAY: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    const ESCAPED: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#;
    debug_assert!(SARIF.contains(STRAY), "the official SARIF schema has the pattern");
    SARIF.replace(STRAY, ESCAPED)
}

fn validator(schema: Schema) -> &'static jsonschema::Validator {
    static CVE_V: OnceLock<jsonschema::Validator> = OnceLock::new();
    static CSAF_V: OnceLock<jsonschema::Validator> = OnceLock::new();
    static OSV_V: OnceLock<jsonschema::Validator> = OnceLock::new();
    static PROVIDER_V: OnceLock<jsonschema::Validator> = OnceLock::new();
    static CYCLONEDX_V: OnceLock<jsonschema::Validator> = OnceLock::new();
    static SARIF_V: OnceLock<jsonschema::Validator> = OnceLock::new();
    static ROLIE_V: OnceLock<jsonschema::Validator> = OnceLock::new();
    static AGGREGATOR_V: OnceLock<jsonschema::Validator> = OnceLock::new();
    match schema {
        Schema::Cve => CVE_V.get_or_init(|| compile(CVE)),
        Schema::Csaf => CSAF_V.get_or_init(|| compile(CSAF)),
        Schema::Osv => OSV_V.get_or_init(|| compile(OSV)),
        Schema::CsafProvider => PROVIDER_V.get_or_init(|| compile(CSAF_PROVIDER)),
        Schema::CycloneDx => CYCLONEDX_V.get_or_init(|| compile(CYCLONEDX)),
        Schema::Sarif => SARIF_V.get_or_init(|| compile(&sarif_schema())),
        Schema::RolieFeed => ROLIE_V.get_or_init(|| compile(ROLIE_FEED)),
        Schema::CsafAggregator => AGGREGATOR_V.get_or_init(|| compile(CSAF_AGGREGATOR)),
    }
}

/// Every way `document` breaks `schema`, each with its JSON path (`$.a.b[0]`).
///
/// Where a `oneOf`/`anyOf` fails as a whole (the CVE schema's root is a `oneOf` of
/// published and rejected records), the branch with the fewest errors is taken as what
/// the author meant and its errors are reported instead, so the paths point at the
/// real problem.
pub fn validate(schema: Schema, document: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    for error in validator(schema).iter_errors(document) {
        collect(&error, &mut problems);
    }
    problems
}

fn collect(error: &jsonschema::ValidationError<'_>, problems: &mut Vec<Problem>) {
    use jsonschema::error::ValidationErrorKind as Kind;
    if let Kind::OneOfNotValid { context } | Kind::AnyOf { context } = error.kind()
        && let Some(best) =
            context.iter().filter(|branch| !branch.is_empty()).min_by_key(|branch| branch.len())
    {
        for inner in best {
            collect(inner, problems);
        }
        return;
    }
    // Name short values; mask objects and long strings, which would bury the message.
    let short = match error.instance().as_ref() {
        Value::Object(_) | Value::Array(_) => false,
        value => value.to_string().len() <= 80,
    };
    let message = if short { error.to_string() } else { error.masked().to_string() };
    problems.push(Problem { path: json_path(error.instance_path().as_str()), message });
}

/// `/containers/cna/affected/0` -> `$.containers.cna.affected[0]`.
fn json_path(pointer: &str) -> String {
    let mut path = String::from("$");
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) {
            path.push_str(&format!("[{token}]"));
        } else {
            path.push('.');
            path.push_str(&token);
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_become_json_paths() {
        assert_eq!(json_path(""), "$");
        assert_eq!(json_path("/containers/cna/affected/0/versions"), "$.containers.cna.affected[0].versions");
        assert_eq!(json_path("/a~1b/c~0d"), "$.a/b.c~d");
    }
}
