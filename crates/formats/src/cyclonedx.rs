//! CycloneDX 1.6 JSON: the subset vulnrelay writes (components with identity evidence and
//! occurrences, vulnerabilities with `affects` and impact analysis). Property names follow
//! `bom-1.6.schema.json`.

use serde::{Deserialize, Serialize};

/// A BOM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bom {
    /// Always `CycloneDX`.
    pub bom_format: String,
    /// Always `1.6`.
    pub spec_version: String,
    /// `urn:uuid:...`.
    pub serial_number: String,
    /// BOM version, 1.
    pub version: u32,
    /// Metadata.
    pub metadata: Metadata,
    /// Components.
    pub components: Vec<Component>,
    /// Which component holds which (an archive its nested archives and shaded copies).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Dependency>,
    /// Vulnerabilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<Vulnerability>,
}

/// One component's dependencies, by `bom-ref`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    /// The component.
    #[serde(rename = "ref")]
    pub reference: String,
    /// What it holds or needs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

/// BOM metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// RFC 3339 time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Tools that made the BOM.
    pub tools: Tools,
}

/// Tools, in the 1.5+ object form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tools {
    /// Tools as components.
    pub components: Vec<Component>,
}

/// A component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// `library`, `application`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Reference used by vulnerabilities.
    #[serde(rename = "bom-ref", default, skip_serializing_if = "Option::is_none")]
    pub bom_ref: Option<String>,
    /// Group (Maven groupId).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Name (Maven artifactId).
    pub name: String,
    /// Version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Package URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<ComponentEvidence>,
    /// Name/value properties.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
    /// Components inside this one (the jars of a war, a copy shaded into a jar).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
}

/// Component evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentEvidence {
    /// Identity evidence (array form).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identity: Vec<IdentityEvidence>,
    /// Where the component was found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub occurrences: Vec<Occurrence>,
}

/// Identity evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentityEvidence {
    /// `group`, `name`, `version`, `purl`, ...
    pub field: String,
    /// Overall confidence, 0..=1.
    pub confidence: f64,
    /// Methods.
    pub methods: Vec<Method>,
}

/// An identification method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Method {
    /// `manifest-analysis`, `binary-analysis`, `hash-comparison`, `filename`, ...
    pub technique: String,
    /// Confidence, 0..=1.
    pub confidence: f64,
    /// What was seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// An occurrence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    /// Location, nested archives joined by `!/`.
    pub location: String,
}

/// A name/value property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Property {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// A vulnerability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vulnerability {
    /// Reference.
    #[serde(rename = "bom-ref", default, skip_serializing_if = "Option::is_none")]
    pub bom_ref: Option<String>,
    /// Id, e.g. the CVE id.
    pub id: String,
    /// Source of the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// The same vulnerability under other ids (aliases).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<VulnerabilityReference>,
    /// Ratings (CVSS score, severity, method, vector).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<Rating>,
    /// CWE ids, as numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwes: Vec<u32>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Recommendation (upgrade path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<String>,
    /// Impact analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Analysis>,
    /// Affected components.
    pub affects: Vec<Affects>,
}

/// Another id of a vulnerability, with the source that gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VulnerabilityReference {
    /// The other id.
    pub id: String,
    /// Where it comes from.
    pub source: Source,
}

/// A vulnerability source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Name, e.g. `NVD`.
    pub name: String,
    /// URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A rating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// Base score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// `critical`, `high`, `medium`, `low`, `info`, `none` or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// `CVSSv2`, `CVSSv3`, `CVSSv31`, `CVSSv4`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The metrics vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
}

/// Impact analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analysis {
    /// `exploitable`, `in_triage`, `resolved`, `not_affected`, ...
    pub state: String,
    /// Why not affected: `code_not_present`, `protected_by_mitigating_control`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// What was or will be done: `update`, `workaround_available`, ...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response: Vec<String>,
    /// Explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// An affected component reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affects {
    /// The component's `bom-ref`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Version statuses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<AffectedVersion>,
}

/// A version status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedVersion {
    /// Version.
    pub version: String,
    /// `affected`, `unaffected` or `unknown`.
    pub status: String,
}
