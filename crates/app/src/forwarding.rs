//! The reporting chain as configuration: where reports go and who forwards them on.
//!
//! - A *member route* sends the reports of an active member of a scheme to a platform
//!   (a cooperating unit of the MIIT threat-sharing platform reports to the MIIT
//!   platform).
//! - A *rule* makes a platform forward a case when something happens on it: `verified`
//!   (the platform verified it: the MIIT platform passes every accepted report to CNVD
//!   and the MPS notification centre at once) or `received` (the platform was notified
//!   of it: CNVD requests the CVE ID from the CVE Program).
//!
//! A forward adds the next platform as a participant and records a `notified` event
//! from the forwarding platform, which passes the gates like any other event.

use serde::Deserialize;

/// The forwarding configuration (JSON: `{"member_routes": [...], "rules": [...]}`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Forwarding {
    /// Where members' reports go.
    #[serde(default)]
    pub member_routes: Vec<MemberRoute>,
    /// Who forwards what to whom.
    #[serde(default)]
    pub rules: Vec<ForwardRule>,
}

/// Reports of an active member of `scheme` go to `platform`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MemberRoute {
    /// The membership scheme.
    pub scheme: String,
    /// The receiving platform's organisation id.
    pub platform: String,
}

/// When `from` sees `when` on a case, it notifies each of `to`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ForwardRule {
    /// The forwarding platform.
    pub from: String,
    /// `verified` (the platform verified the case) or `received` (it was notified).
    pub when: Trigger,
    /// The organisations it forwards to.
    pub to: Vec<String>,
    /// A note recorded on the `notified` event.
    #[serde(default)]
    pub note: Option<String>,
}

/// What makes a platform forward.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The platform recorded a `verified` event.
    Verified,
    /// The platform was notified of the case.
    Received,
}

impl Forwarding {
    /// The Chinese reporting chain of the demo, by the demo's organisation ids.
    pub fn cn_chain() -> Forwarding {
        Forwarding {
            member_routes: vec![MemberRoute {
                scheme: "miit-threat-sharing".into(),
                platform: "miit-nvdb".into(),
            }],
            rules: vec![
                ForwardRule {
                    from: "miit-nvdb".into(),
                    when: Trigger::Verified,
                    to: vec!["cnvd".into(), "mps-ncc".into()],
                    note: Some("Forwarded at once on acceptance (Art. 7 para. 2)".into()),
                },
                ForwardRule {
                    from: "cnvd".into(),
                    when: Trigger::Received,
                    to: vec!["cve-program".into()],
                    note: Some("CVE ID requested".into()),
                },
            ],
        }
    }

    /// Reads the configuration from JSON.
    pub fn from_json(text: &str) -> Result<Forwarding, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The organisations `from` forwards to when `when` happens.
    pub fn targets(&self, from: &str, when: Trigger) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.rules
            .iter()
            .filter(move |r| r.from == from && r.when == when)
            .flat_map(|r| r.to.iter().map(move |to| (to.as_str(), r.note.as_deref())))
    }
}
