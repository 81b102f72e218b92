//! Products and the markets they are on.

use std::fmt;

use crate::PartyId;

/// Identifier of a product, unique within a case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProductId(pub String);

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The ISO 3166-1 alpha-2 codes of the 27 member states of the European Union
/// (Greece is `GR` in ISO 3166-1, `EL` only in the EU's own usage).
pub const EU_MEMBER_STATES: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT",
    "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// A market a product is made available on: an ISO 3166-1 alpha-2 code, or `EU` for
/// the European Union's internal market.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Market(pub String);

/// A network product (hardware or software) or component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Identifier, unique within the case.
    pub id: ProductId,
    /// Display name.
    pub name: String,
    /// The party that provides the product (its vendor or maintainer).
    pub provider: PartyId,
    /// Upstream products or components this product contains.
    pub upstream: Vec<ProductId>,
    /// Markets the product is on.
    pub markets: Vec<Market>,
    /// Package URL, when the product is a package.
    pub purl: Option<String>,
}

impl Product {
    /// Whether the product is on `market`. `EU` is matched by `EU` itself and by any
    /// member state: a product on the German market is on the Union's market.
    pub fn on_market(&self, market: &str) -> bool {
        self.markets
            .iter()
            .any(|m| m.0 == market || (market == "EU" && EU_MEMBER_STATES.contains(&m.0.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(markets: &[&str]) -> Product {
        Product {
            id: ProductId("p".into()),
            name: "p".into(),
            provider: PartyId("v".into()),
            upstream: vec![],
            markets: markets.iter().map(|m| Market((*m).into())).collect(),
            purl: None,
        }
    }

    #[test]
    fn a_member_state_market_is_the_eu_market() {
        assert!(on(&["DE", "FR"]).on_market("EU"));
        assert!(on(&["EU"]).on_market("EU"));
        assert!(!on(&["US", "CN", "CH", "NO", "GB"]).on_market("EU"));
        // ... but not the other way round: the EU market is not every member state's.
        assert!(!on(&["EU"]).on_market("DE"));
        assert!(on(&["DE"]).on_market("DE"));
        assert_eq!(EU_MEMBER_STATES.len(), 27);
    }
}
