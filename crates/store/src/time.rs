//! Times as stored: one fixed UTC format on both back ends, so that they sort as text.

use chrono::{DateTime, Utc};
use vulnrelay_domain::Timestamp;

/// Formats a time as stored: `2021-11-24T10:00:00.000000Z`.
pub fn format_ts(t: Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Parses a stored time.
pub fn parse_ts(text: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

/// Drops the time's precision below a microsecond (what the store keeps), so that a
/// value written and read back compares equal.
pub fn truncate(t: Timestamp) -> Timestamp {
    parse_ts(&format_ts(t)).unwrap_or(t)
}
