//! Public-holiday calendars (data, `policies/holidays/*.toml`): which days are rest
//! days and which weekend days are make-up working days, year by year, each year with
//! the notice it comes from. Used by the Civil Code reading of Chinese "N日".

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

use crate::{PackError, Text};

/// The `schema` value every holiday calendar carries.
pub const HOLIDAYS_SCHEMA: &str = "vulnrelay/holidays/v1";

/// The holiday calendars shipped with vulnrelay, as `(id, TOML)`.
pub const BUILTIN_HOLIDAY_SOURCES: [(&str, &str); 1] =
    [("cn", include_str!("../../../policies/holidays/cn.toml"))];

/// A jurisdiction's rest days and make-up working days, for the years it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayCalendar {
    /// Identifier, e.g. `cn`.
    pub id: String,
    /// Its name.
    pub name: Text,
    /// The years covered, with their data.
    pub years: BTreeMap<i32, HolidayYear>,
}

/// One year of a calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayYear {
    /// The notice the year's data comes from.
    pub notice: String,
    /// Where the notice was read.
    pub sources: Vec<String>,
    /// Days off (including weekend days inside a holiday).
    pub rest: BTreeSet<NaiveDate>,
    /// Weekend days that are working days (调休上班).
    pub work: BTreeSet<NaiveDate>,
}

impl HolidayCalendar {
    /// Parses and checks a calendar, reporting every problem.
    pub fn from_toml(source: &str) -> Result<HolidayCalendar, PackError> {
        let raw: RawCalendar =
            toml::from_str(source).map_err(|e| PackError { problems: vec![e.to_string()] })?;
        let mut problems = Vec::new();
        if raw.schema != HOLIDAYS_SCHEMA {
            problems.push(format!("schema: expected `{HOLIDAYS_SCHEMA}`, found `{}`", raw.schema));
        }
        let mut years = BTreeMap::new();
        for (i, year) in raw.years.into_iter().enumerate() {
            let at = format!("years[{i}] ({})", year.year);
            let mut date = |text: &str| {
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .ok()
                    .filter(|d| d.year() == year.year)
                    .ok_or_else(|| problems.push(format!("{at}: `{text}` is not a date in {}", year.year)))
                    .ok()
            };
            let mut rest = BTreeSet::new();
            for [from, to] in &year.rest {
                if let (Some(mut day), Some(to)) = (date(from), date(to)) {
                    while day <= to {
                        rest.insert(day);
                        day = day.succ_opt().unwrap_or(to.succ_opt().unwrap_or(to));
                    }
                }
            }
            let work: BTreeSet<NaiveDate> = year.work.iter().filter_map(|d| date(d)).collect();
            for day in &work {
                if !is_weekend(*day) {
                    problems.push(format!("{at}: make-up working day {day} is not a Saturday or Sunday"));
                }
                if rest.contains(day) {
                    problems.push(format!("{at}: {day} is both a rest day and a working day"));
                }
            }
            if years
                .insert(year.year, HolidayYear { notice: year.notice, sources: year.sources, rest, work })
                .is_some()
            {
                problems.push(format!("{at}: year listed twice"));
            }
        }
        let calendar = HolidayCalendar { id: raw.id, name: Text { zh: raw.name.zh, en: raw.name.en }, years };
        if problems.is_empty() { Ok(calendar) } else { Err(PackError { problems }) }
    }

    /// The shipped calendar with this id.
    pub fn builtin(id: &str) -> Option<HolidayCalendar> {
        BUILTIN_HOLIDAY_SOURCES
            .iter()
            .find(|(i, _)| *i == id)
            .and_then(|(_, s)| HolidayCalendar::from_toml(s).ok())
    }

    /// Whether the calendar has data for `year`.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// Whether `day` is a working day: a make-up working day, or a weekday that is not
    /// a rest day. In a year the calendar does not cover, every weekday is.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.years.get(&day.year()) {
            Some(year) if year.work.contains(&day) => true,
            Some(year) if year.rest.contains(&day) => false,
            _ => !is_weekend(day),
        }
    }

    /// `day`, or the first working day after it.
    pub fn working_day_from(&self, mut day: NaiveDate) -> NaiveDate {
        while !self.is_working_day(day) {
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        day
    }
}

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    schema: String,
    id: String,
    name: RawName,
    #[serde(default)]
    years: Vec<RawYear>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawName {
    zh: String,
    en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    year: i32,
    notice: String,
    #[allow(dead_code)]
    confidence: String,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    rest: Vec<[String; 2]>,
    #[serde(default)]
    work: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_shipped_chinese_calendar_parses_with_its_notices() {
        let cn = HolidayCalendar::builtin("cn").expect("shipped calendar parses");
        assert_eq!(cn.years.keys().copied().collect::<Vec<_>>(), [2021, 2024, 2026]);
        assert!(cn.years[&2024].notice.contains("国办发明电〔2023〕7号"));
        // 2024 Spring Festival: 10–17 February off; Sunday 18 February a working day.
        assert!(!cn.is_working_day(d("2024-02-12")));
        assert!(cn.is_working_day(d("2024-02-18")));
        assert!(cn.is_working_day(d("2024-02-04")));
        assert!(!cn.is_working_day(d("2024-02-03")));
        // A year not covered: weekends only.
        assert!(!cn.covers(2025));
        assert!(cn.is_working_day(d("2025-10-01")));
        assert_eq!(cn.working_day_from(d("2026-10-01")), d("2026-10-08"));
        assert_eq!(cn.working_day_from(d("2026-10-10")), d("2026-10-10"));
    }

    #[test]
    fn broken_calendars_are_refused_with_every_problem() {
        let source = r#"
schema = "vulnrelay/holidays/v1"
id = "x"
name = { zh = "x", en = "x" }
[[years]]
year = 2024
notice = "n"
confidence = "V"
rest = [["2024-02-10", "2024-02-17"], ["2023-01-01", "2024-13-01"]]
work = ["2024-02-10", "2024-02-05"]
"#;
        let problems = HolidayCalendar::from_toml(source).unwrap_err().problems;
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(problems.iter().any(|p| p.contains("`2023-01-01` is not a date in 2024")));
        assert!(problems.iter().any(|p| p.contains("2024-02-10 is both a rest day and a working day")));
        assert!(problems.iter().any(|p| p.contains("2024-02-05 is not a Saturday or Sunday")));
    }
}
