//! VEX from a unit's per-asset status of a risk warning: the statuses a unit reports
//! (affected, mitigated, fixed, not affected with a justification), the justification
//! vocabularies of CycloneDX (`impactAnalysisJustification`) and CSAF (flag labels) and
//! the mapping between them, and the CycloneDX 1.6 VEX document. The CSAF VEX document
//! is written by [`crate::csaf::vex`] with the statuses [`csaf_status`] gives.

use serde::Serialize;
use serde_json::Value;

use crate::csaf::VexStatus;
use crate::cyclonedx as cdx;
use crate::to_json;

/// What a unit says about one asset group named in a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetState {
    /// Nothing reported yet.
    Unreported,
    /// Affected, not yet remediated.
    Affected,
    /// A mitigation is in place (e.g. JndiLookup removed), not yet upgraded.
    Mitigated,
    /// Upgraded to a fixed version.
    Fixed,
    /// Not affected, for the reason given.
    NotAffected(Justification),
}

impl AssetState {
    /// The wire name: `unreported`, `affected`, `mitigated`, `fixed`, `not_affected`.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetState::Unreported => "unreported",
            AssetState::Affected => "affected",
            AssetState::Mitigated => "mitigated",
            AssetState::Fixed => "fixed",
            AssetState::NotAffected(_) => "not_affected",
        }
    }
}

/// Why a component is not affected, in CycloneDX's vocabulary (CSAF's five flag labels
/// map onto it, see [`Justification::parse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Justification {
    /// The vulnerable code is not in the component.
    CodeNotPresent,
    /// The vulnerable code is present but never reached.
    CodeNotReachable,
    /// Exploiting it needs a configuration that is not used.
    RequiresConfiguration,
    /// Exploiting it needs a dependency that is not present.
    RequiresDependency,
    /// Exploiting it needs an environment that does not exist here.
    RequiresEnvironment,
    /// A compiler protection prevents exploitation.
    ProtectedByCompiler,
    /// A run-time protection prevents exploitation.
    ProtectedAtRuntime,
    /// A perimeter protection prevents exploitation.
    ProtectedAtPerimeter,
    /// A mitigating control prevents exploitation.
    ProtectedByMitigatingControl,
}

impl Justification {
    /// Every justification.
    pub const ALL: [Justification; 9] = [
        Justification::CodeNotPresent,
        Justification::CodeNotReachable,
        Justification::RequiresConfiguration,
        Justification::RequiresDependency,
        Justification::RequiresEnvironment,
        Justification::ProtectedByCompiler,
        Justification::ProtectedAtRuntime,
        Justification::ProtectedAtPerimeter,
        Justification::ProtectedByMitigatingControl,
    ];

    /// The CycloneDX name, e.g. `code_not_reachable`.
    pub fn cyclonedx(self) -> &'static str {
        match self {
            Justification::CodeNotPresent => "code_not_present",
            Justification::CodeNotReachable => "code_not_reachable",
            Justification::RequiresConfiguration => "requires_configuration",
            Justification::RequiresDependency => "requires_dependency",
            Justification::RequiresEnvironment => "requires_environment",
            Justification::ProtectedByCompiler => "protected_by_compiler",
            Justification::ProtectedAtRuntime => "protected_at_runtime",
            Justification::ProtectedAtPerimeter => "protected_at_perimeter",
            Justification::ProtectedByMitigatingControl => "protected_by_mitigating_control",
        }
    }

    /// The nearest CSAF flag label, e.g. `vulnerable_code_not_in_execute_path`.
    pub fn csaf(self) -> &'static str {
        match self {
            Justification::CodeNotPresent => "vulnerable_code_not_present",
            Justification::CodeNotReachable => "vulnerable_code_not_in_execute_path",
            Justification::RequiresConfiguration
            | Justification::RequiresDependency
            | Justification::RequiresEnvironment => "vulnerable_code_cannot_be_controlled_by_adversary",
            Justification::ProtectedByCompiler
            | Justification::ProtectedAtRuntime
            | Justification::ProtectedAtPerimeter
            | Justification::ProtectedByMitigatingControl => "inline_mitigations_already_exist",
        }
    }

    /// A justification by its CycloneDX name or a CSAF flag label.
    pub fn parse(text: &str) -> Option<Justification> {
        if let Some(j) = Justification::ALL.into_iter().find(|j| j.cyclonedx() == text) {
            return Some(j);
        }
        match text {
            "component_not_present" | "vulnerable_code_not_present" => Some(Justification::CodeNotPresent),
            "vulnerable_code_not_in_execute_path" => Some(Justification::CodeNotReachable),
            "vulnerable_code_cannot_be_controlled_by_adversary" => Some(Justification::RequiresEnvironment),
            "inline_mitigations_already_exist" => Some(Justification::ProtectedByMitigatingControl),
            _ => None,
        }
    }
}

/// The CSAF product status of an asset in `state`.
pub fn csaf_status(state: AssetState) -> VexStatus {
    match state {
        AssetState::Unreported => VexStatus::UnderInvestigation,
        AssetState::Affected => VexStatus::KnownAffected,
        AssetState::Mitigated => VexStatus::KnownNotAffected("inline_mitigations_already_exist"),
        AssetState::Fixed => VexStatus::Fixed,
        AssetState::NotAffected(j) => VexStatus::KnownNotAffected(j.csaf()),
    }
}

/// One component of one asset group in a VEX document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexComponent {
    /// The asset group.
    pub asset: String,
    /// Component name.
    pub name: String,
    /// Version.
    pub version: Option<String>,
    /// Package URL.
    pub purl: Option<String>,
}

/// One vulnerability's status across a unit's assets.
#[derive(Debug, Clone, PartialEq)]
pub struct VexStatement {
    /// The vulnerability's id.
    pub vulnerability: String,
    /// Its other ids.
    pub aliases: Vec<String>,
    /// The recommendation (remediation text).
    pub recommendation: Option<String>,
    /// Per asset group: its components, the state reported and the unit's detail.
    pub assets: Vec<(String, AssetState, Option<String>)>,
    /// The components named.
    pub components: Vec<VexComponent>,
}

/// A CycloneDX 1.6 VEX document: the components, and one vulnerability entry per
/// asset group with its impact analysis (`state`, `justification`, `response`).
pub fn cyclonedx_vex(serial: &str, timestamp: &str, statement: &VexStatement) -> Value {
    let reference = |i: usize| format!("component-{}", i + 1);
    let vulnrelay = || cdx::Source { name: "vulnrelay".into(), url: None };
    let components = statement
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| cdx::Component {
            kind: "library".into(),
            bom_ref: Some(reference(i)),
            group: None,
            name: c.name.clone(),
            version: c.version.clone(),
            purl: c.purl.clone(),
            evidence: None,
            properties: vec![cdx::Property { name: "vulnrelay:asset".into(), value: c.asset.clone() }],
            components: Vec::new(),
        })
        .collect();
    let vulnerabilities = statement
        .assets
        .iter()
        .enumerate()
        .map(|(n, (asset, state, detail))| {
            let (analysis_state, justification, response): (&str, Option<&str>, &[&str]) = match state {
                AssetState::Unreported => ("in_triage", None, &[]),
                AssetState::Affected => ("exploitable", None, &[]),
                AssetState::Mitigated => (
                    "not_affected",
                    Some(Justification::ProtectedByMitigatingControl.cyclonedx()),
                    &["workaround_available"],
                ),
                AssetState::Fixed => ("resolved", None, &["update"]),
                AssetState::NotAffected(j) => ("not_affected", Some(j.cyclonedx()), &[]),
            };
            let affects = statement
                .components
                .iter()
                .enumerate()
                .filter(|(_, c)| &c.asset == asset)
                .map(|(i, _)| cdx::Affects { reference: reference(i), versions: Vec::new() })
                .collect();
            cdx::Vulnerability {
                bom_ref: Some(format!("vex-{}", n + 1)),
                id: statement.vulnerability.clone(),
                source: Some(vulnrelay()),
                references: statement
                    .aliases
                    .iter()
                    .map(|a| cdx::VulnerabilityReference { id: a.clone(), source: vulnrelay() })
                    .collect(),
                ratings: Vec::new(),
                cwes: Vec::new(),
                description: None,
                recommendation: statement.recommendation.clone(),
                analysis: Some(cdx::Analysis {
                    state: analysis_state.into(),
                    justification: justification.map(str::to_owned),
                    response: response.iter().map(|r| (*r).to_owned()).collect(),
                    detail: detail.clone(),
                }),
                affects,
            }
        })
        .collect();
    let tool = cdx::Component {
        kind: "application".into(),
        bom_ref: None,
        group: None,
        name: "vulnrelay".into(),
        version: Some(env!("CARGO_PKG_VERSION").into()),
        purl: None,
        evidence: None,
        properties: Vec::new(),
        components: Vec::new(),
    };
    to_json(&VexBom {
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: serial,
        version: 1,
        metadata: cdx::Metadata {
            timestamp: Some(timestamp.to_owned()),
            tools: cdx::Tools { components: vec![tool] },
        },
        components,
        vulnerabilities,
    })
}

/// A CycloneDX 1.6 VEX document: a BOM of the [`cdx`] models whose `vulnerabilities`
/// are written even when there are none.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VexBom<'a> {
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: &'a str,
    version: u32,
    metadata: cdx::Metadata,
    components: Vec<cdx::Component>,
    vulnerabilities: Vec<cdx::Vulnerability>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schemas::{Schema, validate};

    #[test]
    fn justifications_map_both_ways() {
        for j in Justification::ALL {
            assert_eq!(Justification::parse(j.cyclonedx()), Some(j));
            assert!(Justification::parse(j.csaf()).is_some());
        }
        assert_eq!(Justification::parse("nonsense"), None);
    }

    #[test]
    fn the_cyclonedx_vex_validates() {
        let statement = VexStatement {
            vulnerability: "CVE-2021-44228".into(),
            aliases: vec!["CNVD-2021-95914".into()],
            recommendation: Some("Upgrade to 2.17.1".into()),
            assets: vec![
                (
                    "core".into(),
                    AssetState::NotAffected(Justification::CodeNotReachable),
                    Some("no JNDI".into()),
                ),
                ("web".into(), AssetState::Fixed, None),
                ("batch".into(), AssetState::Mitigated, None),
                ("edge".into(), AssetState::Unreported, None),
            ],
            components: vec![
                VexComponent {
                    asset: "core".into(),
                    name: "log4j-core".into(),
                    version: Some("2.14.1".into()),
                    purl: Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1".into()),
                },
                VexComponent { asset: "web".into(), name: "log4j-core".into(), version: None, purl: None },
            ],
        };
        let doc = cyclonedx_vex(
            "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
            "2021-12-10T00:00:00Z",
            &statement,
        );
        assert_eq!(validate(Schema::CycloneDx, &doc), vec![]);
        assert_eq!(doc["vulnerabilities"][0]["analysis"]["justification"], "code_not_reachable");
    }
}
