//! CycloneDX 1.4–1.6 JSON SBOMs read as inventories: every component at any depth
//! (nested `components`), with its package URL, name and version.

use serde_json::Value;

use crate::case_file::Problem;
use crate::schemas::{Schema, validate};

/// One component of an inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryComponent {
    /// The component's `bom-ref`, when it has one.
    pub bom_ref: Option<String>,
    /// Group (Maven groupId, npm scope).
    pub group: Option<String>,
    /// Name.
    pub name: String,
    /// Version.
    pub version: Option<String>,
    /// Package URL.
    pub purl: Option<String>,
}

/// Reads a CycloneDX JSON document: checks it is a CycloneDX BOM of spec 1.4, 1.5 or
/// 1.6, validates it against the CycloneDX 1.6 schema (every problem, by JSON path),
/// and returns its components, nested ones included, in document order.
pub fn parse(document: &Value) -> Result<Vec<InventoryComponent>, Vec<Problem>> {
    let problem = |path: &str, message: String| vec![Problem { path: path.into(), message }];
    if document["bomFormat"] != "CycloneDX" {
        return Err(problem("$.bomFormat", "not a CycloneDX BOM (bomFormat must be \"CycloneDX\")".into()));
    }
    match document["specVersion"].as_str() {
        Some("1.4" | "1.5" | "1.6") => {}
        Some(other) => {
            return Err(problem("$.specVersion", format!("CycloneDX {other} is not supported (1.4 to 1.6)")));
        }
        None => return Err(problem("$.specVersion", "missing".into())),
    }
    let problems = validate(Schema::CycloneDx, document);
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut out = Vec::new();
    collect(&document["components"], &mut out);
    collect(&document["metadata"]["component"]["components"], &mut out);
    Ok(out)
}

fn collect(components: &Value, out: &mut Vec<InventoryComponent>) {
    for component in components.as_array().map(Vec::as_slice).unwrap_or_default() {
        let text = |key: &str| component[key].as_str().map(str::to_owned);
        out.push(InventoryComponent {
            bom_ref: text("bom-ref"),
            group: text("group"),
            name: text("name").unwrap_or_default(),
            version: text("version"),
            purl: text("purl"),
        });
        collect(&component["components"], out);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn bom(spec: &str, components: Value) -> Value {
        json!({"bomFormat": "CycloneDX", "specVersion": spec, "version": 1, "components": components})
    }

    #[test]
    fn components_at_every_depth_are_read() {
        let document = bom(
            "1.5",
            json!([{"type": "application", "name": "shop", "version": "3.2", "components": [
                {"type": "library", "group": "org.apache.logging.log4j", "name": "log4j-core", "version": "2.14.1",
                 "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "bom-ref": "log4j"}
            ]}]),
        );
        let components = parse(&document).unwrap();
        assert_eq!(components.len(), 2);
        assert_eq!(
            components[1].purl.as_deref(),
            Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
        );
        assert_eq!(components[1].bom_ref.as_deref(), Some("log4j"));
    }

    #[test]
    fn bad_boms_are_refused_with_paths() {
        assert_eq!(parse(&json!({"bomFormat": "SPDX"})).unwrap_err()[0].path, "$.bomFormat");
        assert_eq!(parse(&bom("1.2", json!([]))).unwrap_err()[0].path, "$.specVersion");
        let problems = parse(&bom("1.6", json!([{"type": "gadget", "name": "x"}]))).unwrap_err();
        assert!(problems.iter().any(|p| p.path == "$.components[0].type"), "{problems:#?}");
    }
}
