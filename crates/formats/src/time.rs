//! The range of times vulnrelay takes in from any input (API bodies, case files,
//! imported documents, the CLI). A time outside it is refused with a clear message, so
//! a year-0 date can never enter the record and break every listing that reads it back.
//!
//! - No time before [`EARLIEST`] (1990-01-01, before any coordinated-disclosure regime
//!   this platform models).
//! - No time after [`LATEST`] in a document (room for deadlines computed from it).
//! - An event recorded through the platform may not lie in the future: at most
//!   [`FUTURE_TOLERANCE_MINUTES`] after the server's clock (for clock skew); the caller
//!   passes `now`, since this crate reads no clock.

use chrono::{DateTime, TimeDelta, Utc};
use vulnrelay_domain::Timestamp;

/// The earliest time accepted: 1990-01-01T00:00:00Z.
pub const EARLIEST: &str = "1990-01-01T00:00:00Z";
/// The latest time accepted in a document: 2200-01-01T00:00:00Z.
pub const LATEST: &str = "2200-01-01T00:00:00Z";
/// How far after the server's clock an event's time may lie (clock skew).
pub const FUTURE_TOLERANCE_MINUTES: i64 = 5;

fn bound(text: &str) -> Timestamp {
    // Both bounds are constant RFC 3339 texts, checked by a test.
    DateTime::parse_from_rfc3339(text).map(|t| t.to_utc()).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// `at` if it lies within [`EARLIEST`] and [`LATEST`] (and, with `now`, no more than
/// [`FUTURE_TOLERANCE_MINUTES`] after it); else a message saying what is accepted.
pub fn in_range(at: Timestamp, now: Option<Timestamp>) -> Result<Timestamp, String> {
    let shown = at.to_rfc3339();
    if at < bound(EARLIEST) {
        return Err(format!("`{shown}` is before {EARLIEST}, the earliest time accepted"));
    }
    if at >= bound(LATEST) {
        return Err(format!("`{shown}` is after {LATEST}, the latest time accepted"));
    }
    if let Some(now) = now
        && at > now + TimeDelta::minutes(FUTURE_TOLERANCE_MINUTES)
    {
        return Err(format!(
            "`{shown}` is in the future (the server's clock reads {}); times of events may lie at most {FUTURE_TOLERANCE_MINUTES} minutes ahead",
            now.to_rfc3339()
        ));
    }
    Ok(at)
}

/// The longest window [`parse_window`] accepts: ten years.
pub const MAX_WINDOW_DAYS: i64 = 3660;

/// Parses a look-ahead window such as `48h`, `7d` or `30m`: a whole number from 0 to
/// ten years' worth, then a unit (`m`, `h`, `d`). Anything else is a message, never a
/// panic or an overflow.
pub fn parse_window(text: &str) -> Result<TimeDelta, String> {
    let wrong = || format!("`{text}` is not a duration such as 48h, 7d or 30m (at most {MAX_WINDOW_DAYS}d)");
    let unit = text.chars().last().ok_or_else(wrong)?;
    let number = &text[..text.len() - unit.len_utf8()];
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(wrong());
    }
    let n: i64 = number.parse().map_err(|_| wrong())?;
    let minutes_per_unit = match unit {
        'm' => 1,
        'h' => 60,
        'd' => 24 * 60,
        _ => return Err(wrong()),
    };
    match n.checked_mul(minutes_per_unit) {
        Some(minutes) if minutes <= MAX_WINDOW_DAYS * 24 * 60 => Ok(TimeDelta::minutes(minutes)),
        _ => Err(wrong()),
    }
}

/// `at` if it lies within the document range, else `None` (for optional dates of
/// imported documents, which are left out rather than trusted).
pub fn sane(at: Timestamp) -> Option<Timestamp> {
    in_range(at, None).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Timestamp {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn bounds_parse_and_hold() {
        assert_eq!(bound(EARLIEST), t("1990-01-01T00:00:00Z"));
        assert_eq!(bound(LATEST), t("2200-01-01T00:00:00Z"));
        assert!(in_range(t("0000-01-01T00:00:00Z"), None).unwrap_err().contains("before 1990-01-01"));
        assert!(in_range(t("1989-12-31T23:59:59Z"), None).is_err());
        assert!(in_range(t("1990-01-01T00:00:00Z"), None).is_ok());
        assert!(in_range(t("9999-12-31T00:00:00Z"), None).unwrap_err().contains("after 2200"));
        let now = t("2026-01-01T00:00:00Z");
        assert!(in_range(t("2026-01-01T00:05:00Z"), Some(now)).is_ok());
        assert!(in_range(t("2026-01-01T00:05:01Z"), Some(now)).unwrap_err().contains("in the future"));
        assert_eq!(sane(t("2021-12-10T00:00:00Z")), Some(t("2021-12-10T00:00:00Z")));
        assert_eq!(sane(t("0001-01-01T00:00:00Z")), None);
    }

    #[test]
    fn windows_parse_within_ten_years_and_nothing_else() {
        assert_eq!(parse_window("48h"), Ok(TimeDelta::hours(48)));
        assert_eq!(parse_window("3660d"), Ok(TimeDelta::days(3660)));
        assert_eq!(parse_window("0m"), Ok(TimeDelta::zero()));
        for bad in [
            "",
            "h",
            "é",
            "1é",
            "-1h",
            "+1h",
            "3661d",
            "99999999999999999h",
            "9223372036854775807d",
            "1.5h",
            " 1h",
        ] {
            assert!(parse_window(bad).is_err(), "{bad:?}");
        }
    }
}
