//! Parties: organisations and individuals, their roles, jurisdictions and memberships.

use std::fmt;
use std::str::FromStr;

use crate::Timestamp;

/// Identifier of a party, unique within a case (and within an installation).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartyId(pub String);

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a party is, in the vocabulary of the regulations vulnrelay models.
///
/// The names are the wire names used by the case file and the API; see
/// `docs/case-file.md` for what each one means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Finds vulnerabilities: a researcher, a security firm, an individual (发现者).
    Discoverer,
    /// Provides a network product: a vendor, a maintainer (网络产品提供者).
    ProductProvider,
    /// Uses a product, including downstream vendors (产品用户).
    ProductUser,
    /// Runs networks and systems (网络运营者).
    NetworkOperator,
    /// The regulator's reporting platform, e.g. the MIIT NVDB (工信部网络安全威胁和漏洞信息共享平台).
    RegulatorPlatform,
    /// A national vulnerability database such as CNVD or CNNVD.
    NationalVulnerabilityDb,
    /// An international vulnerability database or numbering authority, e.g. the CVE Program.
    InternationalVulnerabilityDb,
    /// A vulnerability collection platform (漏洞收集平台), e.g. a bug-bounty platform.
    VulnerabilityPlatform,
    /// A CSIRT designated as coordinator (EU CRA Art. 14(7)).
    CsirtCoordinator,
    /// The European Union Agency for Cybersecurity.
    Enisa,
    /// A public security organ, e.g. the MPS notification centre (公安机关).
    PublicSecurity,
}

impl Role {
    /// Every role, in documentation order.
    pub const ALL: [Role; 11] = [
        Role::Discoverer,
        Role::ProductProvider,
        Role::ProductUser,
        Role::NetworkOperator,
        Role::RegulatorPlatform,
        Role::NationalVulnerabilityDb,
        Role::InternationalVulnerabilityDb,
        Role::VulnerabilityPlatform,
        Role::CsirtCoordinator,
        Role::Enisa,
        Role::PublicSecurity,
    ];

    /// The wire name, e.g. `regulator_platform`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Discoverer => "discoverer",
            Role::ProductProvider => "product_provider",
            Role::ProductUser => "product_user",
            Role::NetworkOperator => "network_operator",
            Role::RegulatorPlatform => "regulator_platform",
            Role::NationalVulnerabilityDb => "national_vulnerability_db",
            Role::InternationalVulnerabilityDb => "international_vulnerability_db",
            Role::VulnerabilityPlatform => "vulnerability_platform",
            Role::CsirtCoordinator => "csirt_coordinator",
            Role::Enisa => "enisa",
            Role::PublicSecurity => "public_security",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not in the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|role| role.as_str() == s).ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// A jurisdiction as an ISO 3166-1 alpha-2 code (`CN`, `US`, `DE`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Jurisdiction([u8; 2]);

/// A string that is not two upper-case ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ISO 3166-1 alpha-2 code (two upper-case letters)")]
pub struct JurisdictionError(pub String);

impl Jurisdiction {
    /// The People's Republic of China.
    pub const CN: Jurisdiction = Jurisdiction(*b"CN");

    /// The two-letter code.
    pub fn as_str(&self) -> &str {
        // The constructor only admits ASCII upper-case letters.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl FromStr for Jurisdiction {
    type Err = JurisdictionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.as_bytes() {
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Ok(Jurisdiction([*a, *b])),
            _ => Err(JurisdictionError(s.to_owned())),
        }
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Membership of a party in a scheme, e.g. the MIIT threat-sharing platform's
/// cooperating units (`miit-threat-sharing`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The scheme's identifier.
    pub id: String,
    /// Start of the membership.
    pub since: Timestamp,
    /// End of the membership, if it ended or will end.
    pub until: Option<Timestamp>,
}

impl Membership {
    /// Whether the membership's own term covers `at` (suspensions are events, see
    /// [`crate::Case::membership_active`]).
    pub fn term_covers(&self, at: Timestamp) -> bool {
        self.since <= at && self.until.is_none_or(|until| at < until)
    }
}

/// An organisation or individual that takes part in a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    /// Identifier, unique within the case.
    pub id: PartyId,
    /// Display name (English, or the name it goes by abroad).
    pub name: String,
    /// Its Chinese name, where one is known; the Chinese UI falls back to `name`.
    pub name_zh: Option<String>,
    /// Roles the party holds.
    pub roles: Vec<Role>,
    /// Where the party is established.
    pub jurisdiction: Jurisdiction,
    /// Schemes the party belongs to.
    pub memberships: Vec<Membership>,
}

impl Party {
    /// Its name in Chinese (`zh`) or English: the Chinese name where one is known,
    /// else the display name.
    pub fn name_in(&self, chinese: bool) -> &str {
        match &self.name_zh {
            Some(zh) if chinese => zh,
            _ => &self.name,
        }
    }

    /// Whether the party holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the party holds any of `roles`.
    pub fn has_any_role(&self, roles: &[Role]) -> bool {
        roles.iter().any(|role| self.has_role(*role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!("vendor".parse::<Role>(), Err(UnknownRole("vendor".into())));
    }

    #[test]
    fn jurisdiction_accepts_only_two_upper_case_letters() {
        assert_eq!("CN".parse::<Jurisdiction>().unwrap(), Jurisdiction::CN);
        for bad in ["cn", "CHN", "C", "", "C1", "中国"] {
            assert!(bad.parse::<Jurisdiction>().is_err(), "{bad}");
        }
    }
}
