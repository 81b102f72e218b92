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
    /// Whether the product is on `market`.
    pub fn on_market(&self, market: &str) -> bool {
        self.markets.iter().any(|m| m.0 == market)
    }
}
