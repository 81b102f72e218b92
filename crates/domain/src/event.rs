//! Events: the facts a case is made of. The event log is the truth; everything else
//! (state, clocks, compliance) is derived from it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use crate::{PartyId, ProductId, Timestamp};

/// Something that happened on a case, at a time, done by (or happening to) a party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// When it happened.
    pub at: Timestamp,
    /// Who did it: the sender of a notification, the publisher, the party that became
    /// aware; for membership events, the member concerned.
    pub party: PartyId,
    /// The product concerned, if any (resolved: a one-product case implies it).
    pub product: Option<ProductId>,
    /// What happened.
    pub kind: EventKind,
    /// A free-text note for people reading the timeline.
    pub note: Option<String>,
}

impl Event {
    /// The event's type without its details.
    pub fn event_type(&self) -> EventType {
        self.kind.event_type()
    }

    /// The recipient of a notification.
    pub fn recipient(&self) -> Option<&PartyId> {
        match &self.kind {
            EventKind::Notified { to, .. } => Some(to),
            _ => None,
        }
    }

    /// Whether the event makes `party` aware of the active exploitation of the
    /// vulnerability: its own `exploited` event, or a notification to it that says so.
    pub fn makes_aware_of_exploitation(&self, party: &PartyId) -> bool {
        match &self.kind {
            EventKind::Exploited => &self.party == party,
            EventKind::Notified { to, exploited: true, .. } => to == party,
            _ => false,
        }
    }

    /// Whether the event concerns `product` (an event that names no product concerns
    /// every product of its case).
    pub fn concerns(&self, product: &ProductId) -> bool {
        self.product.as_ref().is_none_or(|p| p == product)
    }
}

/// What a notification carried: the text of each field the law asks for (by the field
/// ids of the policy packs, e.g. `product_name`, `member_states`), the qualified fields
/// ("where applicable", "where available") the sender declared not to apply, and the
/// reference of the report it sent (the submission id the receiving system gave).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotificationContent {
    /// Field id → the text sent.
    pub fields: BTreeMap<String, String>,
    /// Fields the sender declared not applicable or not available.
    pub not_applicable: BTreeSet<String>,
    /// The reference the receiving system gave the submission (e.g. the EU single
    /// reporting platform's submission id).
    pub reference: Option<String>,
}

impl NotificationContent {
    /// Whether the notification carried `field`: a non-blank text, or (for a field the
    /// law asks for only where applicable or available) a declaration that it does not
    /// apply.
    pub fn carries(&self, field: &str, qualified: bool) -> bool {
        self.fields.get(field).is_some_and(|text| !text.trim().is_empty())
            || (qualified && self.not_applicable.contains(field))
    }
}

/// What kind of notification was sent. The EU CRA's stages are ordered: a later stage
/// of the same track (vulnerability: Art. 14(2); incident: Art. 14(4)) carries
/// everything an earlier one must.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NotificationKind {
    /// A vulnerability report (the default).
    Report,
    /// EU CRA Art. 14(2)(a) early warning.
    EarlyWarning,
    /// EU CRA Art. 14(2)(b) vulnerability notification.
    VulnerabilityNotification,
    /// EU CRA Art. 14(2)(c) final report.
    FinalReport,
    /// EU CRA Art. 14(4)(a) early warning of a severe incident.
    IncidentEarlyWarning,
    /// EU CRA Art. 14(4)(b) incident notification.
    IncidentNotification,
    /// EU CRA Art. 14(4)(c) final report on an incident.
    IncidentFinalReport,
    /// A request for a CVE ID (to a CVE Numbering Authority).
    CveRequest,
    /// CN Art. 9(1): a report to MIIT or the MPS that the sender considers publication
    /// before the provider's fix necessary.
    EarlyPublication,
}

impl NotificationKind {
    /// Every kind, in order.
    pub const ALL: [NotificationKind; 9] = [
        NotificationKind::Report,
        NotificationKind::EarlyWarning,
        NotificationKind::VulnerabilityNotification,
        NotificationKind::FinalReport,
        NotificationKind::IncidentEarlyWarning,
        NotificationKind::IncidentNotification,
        NotificationKind::IncidentFinalReport,
        NotificationKind::CveRequest,
        NotificationKind::EarlyPublication,
    ];

    /// The wire name, e.g. `early_warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Report => "report",
            NotificationKind::EarlyWarning => "early_warning",
            NotificationKind::VulnerabilityNotification => "vulnerability_notification",
            NotificationKind::FinalReport => "final_report",
            NotificationKind::IncidentEarlyWarning => "incident_early_warning",
            NotificationKind::IncidentNotification => "incident_notification",
            NotificationKind::IncidentFinalReport => "incident_final_report",
            NotificationKind::CveRequest => "cve_request",
            NotificationKind::EarlyPublication => "early_publication",
        }
    }
}

impl fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NotificationKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NotificationKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| format!("unknown notification kind `{s}`"))
    }
}

/// The details of an event, by type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// The party found the vulnerability itself.
    Discovered,
    /// The party learned of the vulnerability (发现或者获知: "becomes aware").
    Aware,
    /// The party verified the vulnerability.
    Verified,
    /// The party told another party. The recipient becomes aware of the vulnerability
    /// (and, with `exploited`, of its active exploitation) at this time.
    Notified {
        /// The recipient.
        to: PartyId,
        /// What was sent.
        kind: NotificationKind,
        /// The notification tells the recipient that the vulnerability is actively
        /// exploited (EU CRA Art. 14(1): the recipient becomes aware of it).
        exploited: bool,
        /// The notification carries exploit code (CN Art. 9(4): "providing").
        with_exploit_code: bool,
        /// What the notification said, field by field, when the record holds it (the
        /// content the law asks of it is checked against the policy packs' fields).
        content: Option<Box<NotificationContent>>,
    },
    /// The party itself became aware of (or observed) active exploitation. Only the
    /// party's own awareness: a manufacturer learns of another's sighting through its
    /// own `exploited` event or a `notified` to it with `exploited`.
    Exploited,
    /// The party became aware of an incident having an impact on the security of a
    /// product (EU CRA Art. 14(3)).
    Incident {
        /// Whether the incident is severe (EU CRA Art. 14(5)).
        severe: bool,
    },
    /// The party and the product's provider jointly assessed publication before the
    /// provider's fix (CN Art. 9(1)).
    JointAssessment {
        /// The party the assessment was made with (the product's provider).
        with: PartyId,
    },
    /// A fix or mitigation became available.
    FixAvailable {
        /// The fixed version, if there is one.
        version: Option<String>,
    },
    /// The party published the vulnerability.
    Published {
        /// Whether remediation or mitigation was published with it.
        with_remediation: bool,
        /// Whether exploit code was published with it.
        with_exploit_code: bool,
    },
    /// A regulator platform approved publication before a fix (CN Art. 9(1)).
    PublicationApproved {
        /// The party the approval is for; `None` approves any publisher.
        to: Option<PartyId>,
    },
    /// A blackout window (e.g. a major state event) starts at the event's time.
    Blackout {
        /// End of the window (exclusive).
        until: Timestamp,
    },
    /// A public security organ consented to publication during a blackout (CN Art. 9(6)).
    Consent {
        /// The party the consent is for; `None` covers any publisher.
        to: Option<PartyId>,
    },
    /// The party's membership in a scheme was suspended.
    MembershipSuspended {
        /// The scheme.
        membership: String,
        /// End of the suspension, if fixed.
        until: Option<Timestamp>,
        /// Who decided it.
        by: Option<PartyId>,
    },
    /// The party's suspended membership was restored.
    MembershipRestored {
        /// The scheme.
        membership: String,
        /// Who decided it.
        by: Option<PartyId>,
    },
    /// A platform started triaging the report (case workflow; no rule reads it).
    TriageStarted,
    /// A platform rejected the report as not a vulnerability (case workflow).
    Rejected,
    /// A platform found the report to duplicate another case (case workflow).
    Duplicate {
        /// The id of the case it duplicates.
        of: String,
    },
    /// A platform closed the case (case workflow).
    Closed,
    /// A platform's analyst confirmed a party's claim about its own past (the event at
    /// index `event` of the case), with the reason in the note: the claim then counts
    /// as attested evidence ([`EvidenceQuality`]).
    Attested {
        /// The index of the attested event among the case's events.
        event: usize,
    },
    /// A vendor taking part in the coordination said how a vulnerability stands for
    /// one of its products (the event's product): its status, the VEX justification
    /// of a `not_affected`, the fixed version of a `fixed`, and its public statement.
    /// Its private note to the platform is never part of the event.
    VendorStatus {
        /// The vulnerability's identifier (CVE, CNVD, ...).
        vulnerability: String,
        /// How it stands.
        status: VendorStatus,
        /// Why the product is not affected (only with `not_affected`).
        justification: Option<VexJustification>,
        /// The version that fixes it (only with `fixed`).
        fixed_version: Option<String>,
        /// The vendor's public statement, published with the advisory.
        statement: Option<String>,
    },
}

/// How a vulnerability stands for a vendor's product (CERT/CC VINCE and CSAF
/// `product_status` alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VendorStatus {
    /// The vendor is looking into it.
    UnderInvestigation,
    /// The product is affected.
    Affected,
    /// The product is not affected (with a VEX justification).
    NotAffected,
    /// A fixed version exists.
    Fixed,
}

impl VendorStatus {
    /// Every status.
    pub const ALL: [VendorStatus; 4] = [
        VendorStatus::UnderInvestigation,
        VendorStatus::Affected,
        VendorStatus::NotAffected,
        VendorStatus::Fixed,
    ];

    /// The wire name, e.g. `not_affected`.
    pub fn as_str(self) -> &'static str {
        match self {
            VendorStatus::UnderInvestigation => "under_investigation",
            VendorStatus::Affected => "affected",
            VendorStatus::NotAffected => "not_affected",
            VendorStatus::Fixed => "fixed",
        }
    }
}

impl FromStr for VendorStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VendorStatus::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| {
            format!("unknown vendor status `{s}` (under_investigation, affected, not_affected, fixed)")
        })
    }
}

/// What a vendor said in public about one of its products and one vulnerability: the
/// latest `vendor_status` event for them, without the event's note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorStatement {
    /// The vendor's name.
    pub vendor: String,
    /// The product's name.
    pub product: String,
    /// The vulnerability's identifier as the vendor named it.
    pub vulnerability: String,
    /// How it stands.
    pub status: VendorStatus,
    /// Why not affected.
    pub justification: Option<VexJustification>,
    /// The fixed version.
    pub fixed_version: Option<String>,
    /// The public statement.
    pub statement: Option<String>,
    /// When the vendor said it.
    pub at: Timestamp,
}

/// Why a product is not affected: the closed list of CSAF 2.0's flag labels (§3.2.3.5),
/// which OpenVEX's justifications mirror.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VexJustification {
    /// The vulnerable component is not in the product.
    ComponentNotPresent,
    /// The component is there, the vulnerable code is not.
    VulnerableCodeNotPresent,
    /// The vulnerable code cannot be controlled by an adversary.
    VulnerableCodeCannotBeControlledByAdversary,
    /// The vulnerable code is never executed.
    VulnerableCodeNotInExecutePath,
    /// Built-in protections prevent exploitation.
    InlineMitigationsAlreadyExist,
}

impl VexJustification {
    /// Every justification.
    pub const ALL: [VexJustification; 5] = [
        VexJustification::ComponentNotPresent,
        VexJustification::VulnerableCodeNotPresent,
        VexJustification::VulnerableCodeCannotBeControlledByAdversary,
        VexJustification::VulnerableCodeNotInExecutePath,
        VexJustification::InlineMitigationsAlreadyExist,
    ];

    /// The wire name, which is CSAF's flag label, e.g. `vulnerable_code_not_present`.
    pub fn as_str(self) -> &'static str {
        match self {
            VexJustification::ComponentNotPresent => "component_not_present",
            VexJustification::VulnerableCodeNotPresent => "vulnerable_code_not_present",
            VexJustification::VulnerableCodeCannotBeControlledByAdversary => {
                "vulnerable_code_cannot_be_controlled_by_adversary"
            }
            VexJustification::VulnerableCodeNotInExecutePath => "vulnerable_code_not_in_execute_path",
            VexJustification::InlineMitigationsAlreadyExist => "inline_mitigations_already_exist",
        }
    }
}

impl FromStr for VexJustification {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VexJustification::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = VexJustification::ALL.iter().map(|v| v.as_str()).collect();
            format!("unknown VEX justification `{s}` (one of: {})", names.join(", "))
        })
    }
}

/// How well the record supports an event, and so a finding that rests on it.
/// Ordered weakest first: a finding is as strong as the weakest event it rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EvidenceQuality {
    /// A party's statement about its own past (a time earlier than when the platform
    /// recorded it): stored and shown as claimed, with both times.
    Claimed,
    /// Confirmed by a platform's analyst, with a reason, as an event of its own.
    Attested,
    /// Happened on the platform, when the platform recorded it.
    Recorded,
}

impl EvidenceQuality {
    /// The wire name: `claimed`, `attested`, `recorded`.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceQuality::Claimed => "claimed",
            EvidenceQuality::Attested => "attested",
            EvidenceQuality::Recorded => "recorded",
        }
    }
}

impl EventKind {
    /// The event's type without its details.
    pub fn event_type(&self) -> EventType {
        match self {
            EventKind::Discovered => EventType::Discovered,
            EventKind::Aware => EventType::Aware,
            EventKind::Verified => EventType::Verified,
            EventKind::Notified { .. } => EventType::Notified,
            EventKind::Exploited => EventType::Exploited,
            EventKind::Incident { .. } => EventType::Incident,
            EventKind::JointAssessment { .. } => EventType::JointAssessment,
            EventKind::FixAvailable { .. } => EventType::FixAvailable,
            EventKind::Published { .. } => EventType::Published,
            EventKind::PublicationApproved { .. } => EventType::PublicationApproved,
            EventKind::Blackout { .. } => EventType::Blackout,
            EventKind::Consent { .. } => EventType::Consent,
            EventKind::MembershipSuspended { .. } => EventType::MembershipSuspended,
            EventKind::MembershipRestored { .. } => EventType::MembershipRestored,
            EventKind::TriageStarted => EventType::TriageStarted,
            EventKind::Rejected => EventType::Rejected,
            EventKind::Duplicate { .. } => EventType::Duplicate,
            EventKind::Closed => EventType::Closed,
            EventKind::Attested { .. } => EventType::Attested,
            EventKind::VendorStatus { .. } => EventType::VendorStatus,
        }
    }
}

/// The type of an event, without its details; the names are the wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    /// `discovered`
    Discovered,
    /// `aware`
    Aware,
    /// `verified`
    Verified,
    /// `notified`
    Notified,
    /// `exploited`
    Exploited,
    /// `incident`
    Incident,
    /// `joint_assessment`
    JointAssessment,
    /// `fix_available`
    FixAvailable,
    /// `published`
    Published,
    /// `publication_approved`
    PublicationApproved,
    /// `blackout`
    Blackout,
    /// `consent`
    Consent,
    /// `membership_suspended`
    MembershipSuspended,
    /// `membership_restored`
    MembershipRestored,
    /// `triage_started`
    TriageStarted,
    /// `rejected`
    Rejected,
    /// `duplicate`
    Duplicate,
    /// `closed`
    Closed,
    /// `attested`
    Attested,
    /// `vendor_status`
    VendorStatus,
}

impl EventType {
    /// Every event type.
    pub const ALL: [EventType; 20] = [
        EventType::Discovered,
        EventType::Aware,
        EventType::Verified,
        EventType::Notified,
        EventType::Exploited,
        EventType::Incident,
        EventType::JointAssessment,
        EventType::FixAvailable,
        EventType::Published,
        EventType::PublicationApproved,
        EventType::Blackout,
        EventType::Consent,
        EventType::MembershipSuspended,
        EventType::MembershipRestored,
        EventType::TriageStarted,
        EventType::Rejected,
        EventType::Duplicate,
        EventType::Closed,
        EventType::Attested,
        EventType::VendorStatus,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Discovered => "discovered",
            EventType::Aware => "aware",
            EventType::Verified => "verified",
            EventType::Notified => "notified",
            EventType::Exploited => "exploited",
            EventType::Incident => "incident",
            EventType::JointAssessment => "joint_assessment",
            EventType::FixAvailable => "fix_available",
            EventType::Published => "published",
            EventType::PublicationApproved => "publication_approved",
            EventType::Blackout => "blackout",
            EventType::Consent => "consent",
            EventType::MembershipSuspended => "membership_suspended",
            EventType::MembershipRestored => "membership_restored",
            EventType::TriageStarted => "triage_started",
            EventType::Rejected => "rejected",
            EventType::Duplicate => "duplicate",
            EventType::Closed => "closed",
            EventType::Attested => "attested",
            EventType::VendorStatus => "vendor_status",
        }
    }

    /// Whether an event of this type is about one product, so that a case with several
    /// products must say which.
    pub fn needs_product(self) -> bool {
        matches!(
            self,
            EventType::Discovered
                | EventType::Aware
                | EventType::Verified
                | EventType::Exploited
                | EventType::Incident
                | EventType::JointAssessment
                | EventType::FixAvailable
                | EventType::Published
                | EventType::VendorStatus
        )
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown event type `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>(), Ok(t));
        }
        for k in NotificationKind::ALL {
            assert_eq!(k.as_str().parse::<NotificationKind>(), Ok(k));
        }
    }

    #[test]
    fn notification_kinds_are_ordered_by_stage() {
        assert!(NotificationKind::EarlyWarning < NotificationKind::VulnerabilityNotification);
        assert!(NotificationKind::VulnerabilityNotification < NotificationKind::FinalReport);
        assert!(NotificationKind::IncidentEarlyWarning < NotificationKind::IncidentNotification);
        assert!(NotificationKind::IncidentNotification < NotificationKind::IncidentFinalReport);
    }

    #[test]
    fn awareness_of_exploitation_is_the_partys_own() {
        let at = chrono::DateTime::UNIX_EPOCH;
        let event =
            |party: &str, kind| Event { at, party: PartyId(party.into()), product: None, kind, note: None };
        let maker = PartyId("maker".into());
        assert!(event("maker", EventKind::Exploited).makes_aware_of_exploitation(&maker));
        assert!(!event("observer", EventKind::Exploited).makes_aware_of_exploitation(&maker));
        let told = |exploited| EventKind::Notified {
            to: maker.clone(),
            kind: NotificationKind::Report,
            exploited,
            with_exploit_code: false,
            content: None,
        };
        assert!(event("observer", told(true)).makes_aware_of_exploitation(&maker));
        assert!(!event("observer", told(false)).makes_aware_of_exploitation(&maker));
    }
}
