//! The key intervals of a case, computed from its events: how long the authority was
//! left in the dark, how long the vendor, the fix, the public and the industry waited.
//! In the Log4Shell case the blind window — discovery to the first report reaching a
//! regulator platform — was 15 days (2021-11-24 → 2021-12-09).

use crate::{Case, EventKind, EventType, Role, Timestamp};

/// One interval: from a start event to an end event, either of which may be missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// Which interval.
    pub kind: IntervalKind,
    /// When it started (the first discovery or awareness), with the event index.
    pub start: Option<(Timestamp, usize)>,
    /// When it ended, with the event index.
    pub end: Option<(Timestamp, usize)>,
}

impl Interval {
    /// The length, when both ends are known.
    pub fn duration(&self) -> Option<chrono::TimeDelta> {
        Some(self.end?.0 - self.start?.0)
    }

    /// The length in days (fractional), when both ends are known.
    pub fn days(&self) -> Option<f64> {
        self.duration().map(|d| d.num_seconds() as f64 / 86_400.0)
    }
}

/// The intervals vulnrelay tracks, all measured from discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntervalKind {
    /// Discovery → first report to a regulator platform (the authority's blind window).
    RegulatorReport,
    /// Discovery → the product's provider notified.
    VendorNotified,
    /// Discovery → first fix available.
    FixAvailable,
    /// Discovery → first public disclosure.
    PublicDisclosure,
    /// Discovery → first bulletin by a platform (regulator or vulnerability database).
    Bulletin,
    /// Discovery → first notification of a product user or network operator (the first
    /// risk warning).
    FirstWarning,
}

impl IntervalKind {
    /// Every interval, in story order.
    pub const ALL: [IntervalKind; 6] = [
        IntervalKind::RegulatorReport,
        IntervalKind::VendorNotified,
        IntervalKind::FixAvailable,
        IntervalKind::PublicDisclosure,
        IntervalKind::Bulletin,
        IntervalKind::FirstWarning,
    ];

    /// The wire name, e.g. `regulator_report`.
    pub fn as_str(self) -> &'static str {
        match self {
            IntervalKind::RegulatorReport => "regulator_report",
            IntervalKind::VendorNotified => "vendor_notified",
            IntervalKind::FixAvailable => "fix_available",
            IntervalKind::PublicDisclosure => "public_disclosure",
            IntervalKind::Bulletin => "bulletin",
            IntervalKind::FirstWarning => "first_warning",
        }
    }
}

/// Every interval of `case`, from the earliest `discovered` or `aware` event (by
/// anyone) to the first event that ends each one. Missing events leave an end open.
pub fn intervals(case: &Case) -> Vec<Interval> {
    let order = case.chronological();
    let events = case.events();
    let role_of =
        |party: &crate::PartyId, roles: &[Role]| case.party(party).is_some_and(|p| p.has_any_role(roles));
    let first = |predicate: &dyn Fn(usize) -> bool| {
        order.iter().copied().find(|&i| predicate(i)).map(|i| (events[i].at, i))
    };
    let start = first(&|i| matches!(events[i].event_type(), EventType::Discovered | EventType::Aware));
    IntervalKind::ALL
        .into_iter()
        .map(|kind| {
            let end = match kind {
                IntervalKind::RegulatorReport => first(&|i| {
                    events[i].recipient().is_some_and(|to| role_of(to, &[Role::RegulatorPlatform]))
                }),
                IntervalKind::VendorNotified => first(&|i| {
                    let event = &events[i];
                    event.recipient().is_some_and(|to| {
                        case.products().iter().any(|p| &p.provider == to && event.concerns(&p.id))
                    })
                }),
                IntervalKind::FixAvailable => first(&|i| events[i].event_type() == EventType::FixAvailable),
                IntervalKind::PublicDisclosure => first(&|i| events[i].event_type() == EventType::Published),
                IntervalKind::Bulletin => first(&|i| {
                    matches!(events[i].kind, EventKind::Published { .. })
                        && role_of(
                            &events[i].party,
                            &[
                                Role::RegulatorPlatform,
                                Role::NationalVulnerabilityDb,
                                Role::VulnerabilityPlatform,
                            ],
                        )
                }),
                IntervalKind::FirstWarning => first(&|i| {
                    events[i]
                        .recipient()
                        .is_some_and(|to| role_of(to, &[Role::ProductUser, Role::NetworkOperator]))
                }),
            };
            Interval { kind, start, end: end.filter(|(at, _)| start.is_none_or(|(s, _)| *at >= s)) }
        })
        .collect()
}

/// Median and worst of one interval over the cases discovered in one quarter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuarterStats {
    /// Year.
    pub year: i32,
    /// Quarter, 1 to 4.
    pub quarter: u32,
    /// Cases whose interval is closed (both ends known).
    pub closed: usize,
    /// Cases whose interval is still open (no end event yet).
    pub open: usize,
    /// Median length in days of the closed ones.
    pub median_days: Option<f64>,
    /// Longest closed one, in days.
    pub worst_days: Option<f64>,
}

/// Summarises one kind of interval over many cases, by the quarter of discovery (UTC).
/// Cases with no discovery are left out. Quarters come out in time order.
pub fn quarterly(cases: &[Vec<Interval>], kind: IntervalKind) -> Vec<QuarterStats> {
    quarterly_from(cases.iter().filter_map(|intervals| {
        let interval = intervals.iter().find(|i| i.kind == kind)?;
        let (start, _) = interval.start?;
        Some((start, interval.days()))
    }))
}

/// Summarises intervals given as (start, length in days if closed), by the quarter of
/// their start (UTC). Quarters come out in time order.
pub fn quarterly_from(intervals: impl IntoIterator<Item = (Timestamp, Option<f64>)>) -> Vec<QuarterStats> {
    use chrono::Datelike;
    let mut by_quarter: std::collections::BTreeMap<(i32, u32), (Vec<f64>, usize)> = Default::default();
    for (start, days) in intervals {
        let key = (start.year(), (start.month() - 1) / 3 + 1);
        let slot = by_quarter.entry(key).or_default();
        match days {
            Some(days) => slot.0.push(days),
            None => slot.1 += 1,
        }
    }
    by_quarter
        .into_iter()
        .map(|((year, quarter), (mut days, open))| {
            days.sort_by(f64::total_cmp);
            let median = match days.len() {
                0 => None,
                n if n % 2 == 1 => Some(days[n / 2]),
                n => Some((days[n / 2 - 1] + days[n / 2]) / 2.0),
            };
            QuarterStats {
                year,
                quarter,
                closed: days.len(),
                open,
                median_days: median,
                worst_days: days.last().copied(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use chrono_tz::Tz;

    use super::*;
    use crate::{Event, Jurisdiction, NotificationKind, Party, PartyId, Product, ProductId};

    fn day(d: u32) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2021, 11, d, 0, 0, 0).unwrap()
    }

    fn party(id: &str, role: Role) -> Party {
        Party {
            id: PartyId(id.into()),
            name: id.into(),
            name_zh: None,
            roles: vec![role],
            jurisdiction: Jurisdiction::CN,
            memberships: vec![],
        }
    }

    fn case(events: Vec<(u32, &str, EventKind)>) -> Case {
        Case::new(
            "t".into(),
            Tz::UTC,
            vec![
                party("finder", Role::Discoverer),
                party("vendor", Role::ProductProvider),
                party("nvdb", Role::RegulatorPlatform),
                party("cnvd", Role::NationalVulnerabilityDb),
                party("bank", Role::NetworkOperator),
            ],
            vec![Product {
                id: ProductId("p".into()),
                name: "p".into(),
                provider: PartyId("vendor".into()),
                upstream: vec![],
                markets: vec![],
                purl: None,
            }],
            events
                .into_iter()
                .map(|(d, who, kind)| Event {
                    at: day(d),
                    party: PartyId(who.into()),
                    product: None,
                    kind,
                    note: None,
                })
                .collect(),
        )
        .unwrap()
    }

    fn to(id: &str) -> EventKind {
        EventKind::Notified {
            to: PartyId(id.into()),
            kind: NotificationKind::Report,
            exploited: false,
            with_exploit_code: false,
            content: None,
        }
    }

    fn days(case: &Case, kind: IntervalKind) -> Option<f64> {
        intervals(case).into_iter().find(|i| i.kind == kind).and_then(|i| i.days())
    }

    #[test]
    fn every_interval_runs_from_discovery() {
        let c = case(vec![
            (1, "finder", EventKind::Discovered),
            (1, "finder", to("vendor")),
            (5, "vendor", EventKind::FixAvailable { version: None }),
            (9, "finder", to("nvdb")),
            (10, "vendor", EventKind::Published { with_remediation: true, with_exploit_code: false }),
            (11, "cnvd", EventKind::Published { with_remediation: true, with_exploit_code: false }),
            (12, "nvdb", to("bank")),
        ]);
        assert_eq!(days(&c, IntervalKind::VendorNotified), Some(0.0));
        assert_eq!(days(&c, IntervalKind::FixAvailable), Some(4.0));
        assert_eq!(days(&c, IntervalKind::RegulatorReport), Some(8.0));
        assert_eq!(days(&c, IntervalKind::PublicDisclosure), Some(9.0));
        assert_eq!(days(&c, IntervalKind::Bulletin), Some(10.0));
        assert_eq!(days(&c, IntervalKind::FirstWarning), Some(11.0));
    }

    #[test]
    fn quarters_give_median_and_worst_and_count_open_intervals() {
        let blind = |found: u32, reported: Option<u32>| {
            let mut events = vec![(found, "finder", EventKind::Discovered)];
            if let Some(r) = reported {
                events.push((r, "finder", to("nvdb")));
            }
            intervals(&case(events))
        };
        let cases = vec![blind(1, Some(2)), blind(2, Some(12)), blind(3, Some(6)), blind(4, None)];
        let stats = quarterly(&cases, IntervalKind::RegulatorReport);
        assert_eq!(stats.len(), 1);
        let q = stats[0];
        assert_eq!((q.year, q.quarter, q.closed, q.open), (2021, 4, 3, 1));
        assert_eq!((q.median_days, q.worst_days), (Some(3.0), Some(10.0)));
        assert!(quarterly(&[], IntervalKind::Bulletin).is_empty());
    }

    #[test]
    fn missing_events_leave_intervals_open() {
        let c = case(vec![(3, "finder", EventKind::Discovered), (4, "finder", to("vendor"))]);
        let all = intervals(&c);
        let regulator = all.iter().find(|i| i.kind == IntervalKind::RegulatorReport).unwrap();
        assert_eq!((regulator.start.map(|s| s.1), regulator.end, regulator.days()), (Some(0), None, None));
        // No discovery at all: no start, so no length even when an end exists.
        let c = case(vec![(4, "finder", to("nvdb"))]);
        let regulator = intervals(&c).into_iter().find(|i| i.kind == IntervalKind::RegulatorReport).unwrap();
        assert_eq!((regulator.start, regulator.end.map(|e| e.1), regulator.days()), (None, Some(0), None));
        assert!(intervals(&case(vec![])).iter().all(|i| i.start.is_none() && i.end.is_none()));
    }
}
