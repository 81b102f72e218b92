//! Maven version ordering, as the POM reference's "Version Order Specification" and OSV's
//! `Maven` ecosystem define it (the order of Maven's `ComparableVersion`), plus range checks:
//! Maven range syntax (`[2.0-beta9,2.3.1),[2.4,2.12.2)`) and OSV `ECOSYSTEM` events.
//!
//! A version is split into tokens at `.`, `-` and at every transition between digits and
//! letters (a transition counts as `-`); empty tokens are `0`. Trailing "null" tokens (`0`,
//! `""`, `final`, `ga`, `release`) are trimmed at the end and before every `-`. Tokens then
//! compare pairwise, the shorter version padded with nulls of the other side's prefix:
//! numbers numerically; qualifiers `alpha < beta < milestone < rc = cr < snapshot < "" = ga =
//! final = release < sp < (other qualifiers, lexically)`; across kinds
//! `.qualifier = -qualifier < -number < .number`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A parsed Maven version. Equality and ordering follow the Maven specification, so
/// `1.0 == 1` and `1-ga == 1`; [`MavenVersion::as_str`] keeps the original text.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    original: String,
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Number(String),
    Qualifier(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    hyphen: bool,
    value: Value,
}

impl Token {
    fn is_null(&self) -> bool {
        match &self.value {
            Value::Number(n) => n == "0",
            Value::Qualifier(q) => q.is_empty(),
        }
    }

    fn null_like(other: &Token) -> Token {
        let value = match other.value {
            Value::Number(_) => Value::Number("0".to_owned()),
            Value::Qualifier(_) => Value::Qualifier(String::new()),
        };
        Token { hyphen: other.hyphen, value }
    }
}

const KNOWN_QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

fn qualifier_rank(q: &str) -> usize {
    KNOWN_QUALIFIERS.iter().position(|k| *k == q).unwrap_or(KNOWN_QUALIFIERS.len())
}

fn compare_numbers(a: &str, b: &str) -> Ordering {
    // Both are digit strings without leading zeros (except "0" itself).
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn compare_tokens(a: &Token, b: &Token) -> Ordering {
    // Rank across kinds: qualifier (either prefix) < -number < .number.
    fn rank(t: &Token) -> u8 {
        match (&t.value, t.hyphen) {
            (Value::Qualifier(_), _) => 0,
            (Value::Number(_), true) => 1,
            (Value::Number(_), false) => 2,
        }
    }
    match (&a.value, &b.value) {
        (Value::Number(x), Value::Number(y)) if a.hyphen == b.hyphen => compare_numbers(x, y),
        (Value::Qualifier(x), Value::Qualifier(y)) => {
            qualifier_rank(x).cmp(&qualifier_rank(y)).then_with(|| x.cmp(y))
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

fn normalize_qualifier(q: &str, followed_by_digit: bool) -> String {
    match q {
        "a" if followed_by_digit => "alpha".to_owned(),
        "b" if followed_by_digit => "beta".to_owned(),
        "m" if followed_by_digit => "milestone".to_owned(),
        "cr" => "rc".to_owned(),
        "ga" | "final" | "release" => String::new(),
        other => other.to_owned(),
    }
}

fn parse_tokens(text: &str) -> Vec<Token> {
    let lower = text.trim().to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut hyphen = false;
    let mut i = 0;
    let push = |tokens: &mut Vec<Token>, buf: &mut String, hyphen: bool, next_is_digit: bool| {
        let value = if buf.is_empty() {
            Value::Number("0".to_owned())
        } else if buf.chars().all(|c| c.is_ascii_digit()) {
            let trimmed = buf.trim_start_matches('0');
            Value::Number(if trimmed.is_empty() { "0".to_owned() } else { trimmed.to_owned() })
        } else {
            Value::Qualifier(normalize_qualifier(buf, next_is_digit))
        };
        tokens.push(Token { hyphen, value });
        buf.clear();
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '.' | '-' => {
                push(&mut tokens, &mut current, hyphen, false);
                hyphen = c == '-';
            }
            _ => {
                if let Some(last) = current.chars().last()
                    && last.is_ascii_digit() != c.is_ascii_digit()
                {
                    push(&mut tokens, &mut current, hyphen, c.is_ascii_digit());
                    hyphen = true;
                }
                current.push(c);
            }
        }
        i += 1;
    }
    push(&mut tokens, &mut current, hyphen, false);
    // Trim null tokens at the end and before each hyphen, from the end to the start.
    let mut idx = tokens.len();
    while idx > 0 {
        idx -= 1;
        let at_end = idx + 1 == tokens.len();
        let before_hyphen = !at_end && tokens[idx + 1].hyphen;
        if (at_end || before_hyphen) && tokens[idx].is_null() && tokens.len() > 1 {
            tokens.remove(idx);
        }
    }
    tokens
}

impl MavenVersion {
    /// Parses a version. Every string is a valid Maven version, so this cannot fail.
    pub fn parse(text: &str) -> MavenVersion {
        MavenVersion { original: text.to_owned(), tokens: parse_tokens(text) }
    }

    /// The text the version was parsed from.
    pub fn as_str(&self) -> &str {
        &self.original
    }
}

impl FromStr for MavenVersion {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(MavenVersion::parse(s))
    }
}

impl fmt::Display for MavenVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.tokens.len().max(other.tokens.len());
        for i in 0..n {
            let ord = match (self.tokens.get(i), other.tokens.get(i)) {
                (Some(a), Some(b)) => compare_tokens(a, b),
                (Some(a), None) => compare_tokens(a, &Token::null_like(a)),
                (None, Some(b)) => compare_tokens(&Token::null_like(b), b),
                (None, None) => Ordering::Equal,
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}

/// A half-open or closed interval of Maven versions; `None` bounds are unbounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    /// Lower bound and whether it is inclusive.
    pub lower: Option<(MavenVersion, bool)>,
    /// Upper bound and whether it is inclusive.
    pub upper: Option<(MavenVersion, bool)>,
}

impl Interval {
    /// `[introduced, fixed)`, the shape OSV events describe.
    pub fn half_open(introduced: &str, fixed: &str) -> Interval {
        Interval {
            lower: Some((MavenVersion::parse(introduced), true)),
            upper: Some((MavenVersion::parse(fixed), false)),
        }
    }

    /// Whether `v` lies inside the interval.
    pub fn contains(&self, v: &MavenVersion) -> bool {
        let above = match &self.lower {
            None => true,
            Some((l, true)) => v >= l,
            Some((l, false)) => v > l,
        };
        let below = match &self.upper {
            None => true,
            Some((u, true)) => v <= u,
            Some((u, false)) => v < u,
        };
        above && below
    }
}

/// Error for a malformed Maven version range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Maven version range {range:?}: {reason}")]
pub struct RangeError {
    /// The text that failed to parse.
    pub range: String,
    /// What was wrong with it.
    pub reason: &'static str,
}

/// A Maven version range: a union of intervals, e.g. `[2.0-beta9,2.3.1),[2.4,2.12.2)`.
/// A bare version (`1.0`) is Maven's "soft requirement" and matches only itself here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRange {
    /// The intervals of the union.
    pub intervals: Vec<Interval>,
}

impl VersionRange {
    /// Parses Maven range syntax.
    pub fn parse(text: &str) -> Result<VersionRange, RangeError> {
        let err = |reason| RangeError { range: text.to_owned(), reason };
        let s = text.trim();
        if s.is_empty() {
            return Err(err("empty range"));
        }
        if !s.starts_with(['[', '(']) {
            let v = MavenVersion::parse(s);
            return Ok(VersionRange {
                intervals: vec![Interval { lower: Some((v.clone(), true)), upper: Some((v, true)) }],
            });
        }
        let mut intervals = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            let open_inclusive = match rest.chars().next() {
                Some('[') => true,
                Some('(') => false,
                _ => return Err(err("expected '[' or '('")),
            };
            let close = rest.find([']', ')']).ok_or_else(|| err("missing closing bracket"))?;
            let close_inclusive = rest.as_bytes()[close] == b']';
            let body = &rest[1..close];
            let interval = match body.split_once(',') {
                None => {
                    if !(open_inclusive && close_inclusive) || body.trim().is_empty() {
                        return Err(err("a single version must be written [v]"));
                    }
                    let v = MavenVersion::parse(body.trim());
                    Interval { lower: Some((v.clone(), true)), upper: Some((v, true)) }
                }
                Some((lo, hi)) => {
                    if hi.contains(',') {
                        return Err(err("more than two bounds in one interval"));
                    }
                    let lo = lo.trim();
                    let hi = hi.trim();
                    let lower = (!lo.is_empty()).then(|| (MavenVersion::parse(lo), open_inclusive));
                    let upper = (!hi.is_empty()).then(|| (MavenVersion::parse(hi), close_inclusive));
                    if let (Some((l, _)), Some((u, _))) = (&lower, &upper)
                        && l > u
                    {
                        return Err(err("lower bound above upper bound"));
                    }
                    Interval { lower, upper }
                }
            };
            intervals.push(interval);
            rest = rest[close + 1..].trim_start();
            if let Some(r) = rest.strip_prefix(',') {
                rest = r.trim_start();
                if rest.is_empty() {
                    return Err(err("trailing comma"));
                }
            } else if !rest.is_empty() {
                return Err(err("intervals must be separated by ','"));
            }
        }
        Ok(VersionRange { intervals })
    }

    /// Whether `v` lies in any interval of the range.
    pub fn contains(&self, v: &MavenVersion) -> bool {
        self.intervals.iter().any(|i| i.contains(v))
    }
}

/// One OSV range event for an `ECOSYSTEM` range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `introduced`; `"0"` means from the beginning.
    Introduced(String),
    /// `fixed`: first version not affected.
    Fixed(String),
    /// `last_affected`: last version affected (inclusive).
    LastAffected(String),
    /// `limit`: upper limit of the range (exclusive).
    Limit(String),
}

/// Evaluates OSV `ECOSYSTEM` range events for `v`, as the OSV specification's evaluation
/// algorithm does: sort events by version, then `v` is affected when the latest event at or
/// below it is an `introduced`. `limit` events cap the range. (To evaluate many versions,
/// build an [`EcosystemRange`] once.)
pub fn events_affect(events: &[Event], v: &MavenVersion) -> bool {
    EcosystemRange::new(events).affects(v)
}

/// OSV `ECOSYSTEM` range events parsed and sorted once, so that evaluating a version
/// ([`affects`](Self::affects)) parses and allocates nothing.
#[derive(Debug, Clone)]
pub struct EcosystemRange {
    /// Events other than `limit`, sorted by version (stable: equal versions keep their order).
    sorted: Vec<(MavenVersion, Step)>,
    /// `limit` versions (`*` means none).
    limits: Vec<MavenVersion>,
}

/// An event of an [`EcosystemRange`], its version parsed.
#[derive(Debug, Clone, Copy)]
enum Step {
    Introduced { from_zero: bool },
    Fixed,
    LastAffected,
}

impl EcosystemRange {
    /// Parses and sorts `events`.
    pub fn new(events: &[Event]) -> EcosystemRange {
        let parse =
            |text: &str| if text == "0" { MavenVersion::parse("") } else { MavenVersion::parse(text) };
        let mut sorted: Vec<(MavenVersion, Step)> = events
            .iter()
            .filter_map(|e| match e {
                Event::Introduced(s) => Some((parse(s), Step::Introduced { from_zero: s == "0" })),
                Event::Fixed(s) => Some((parse(s), Step::Fixed)),
                Event::LastAffected(s) => Some((parse(s), Step::LastAffected)),
                Event::Limit(_) => None,
            })
            .collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let limits = events
            .iter()
            .filter_map(|e| match e {
                Event::Limit(s) if s != "*" => Some(MavenVersion::parse(s)),
                _ => None,
            })
            .collect();
        EcosystemRange { sorted, limits }
    }

    /// Whether `v` is affected.
    pub fn affects(&self, v: &MavenVersion) -> bool {
        if !self.limits.is_empty() && !self.limits.iter().any(|l| v < l) {
            return false;
        }
        let mut affected = false;
        for (version, step) in &self.sorted {
            match step {
                Step::Introduced { from_zero } if *from_zero || v >= version => affected = true,
                Step::Fixed if v >= version => affected = false,
                Step::LastAffected if v > version => affected = false,
                _ => {}
            }
        }
        affected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> MavenVersion {
        MavenVersion::parse(s)
    }

    #[track_caller]
    fn assert_order(chain: &[&str]) {
        for pair in chain.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
            assert!(v(pair[1]) > v(pair[0]), "{} > {}", pair[1], pair[0]);
        }
    }

    #[test]
    fn log4j_release_order() {
        assert_order(&[
            "2.0-alpha1",
            "2.0-beta2",
            "2.0-beta7",
            "2.0-beta9",
            "2.0-rc1",
            "2.0-rc2",
            "2.0",
            "2.0.1",
            "2.3",
            "2.3.1",
            "2.3.2",
            "2.4",
            "2.9.1",
            "2.10.0",
            "2.12.1",
            "2.12.2",
            "2.12.4",
            "2.13.0",
            "2.15.0-rc1",
            "2.15.0",
            "2.16.0",
            "2.17.0",
            "2.17.1",
            "2.17.2",
        ]);
    }

    #[test]
    fn specification_examples() {
        assert_order(&["1", "1.1"]);
        assert_order(&["1-snapshot", "1", "1-sp"]);
        assert_order(&["1-foo2", "1-foo10"]);
        assert_eq!(v("1.foo"), v("1-foo"));
        assert_order(&["1-foo", "1-1", "1.1"]);
        for same in ["1.ga", "1-ga", "1-0", "1.0", "1", "1.0.0", "1-final", "1.RELEASE"] {
            assert_eq!(v(same), v("1"), "{same} == 1");
        }
        assert!(v("1-sp") > v("1-ga"));
        assert!(v("1-sp.1") > v("1-ga.1"));
        assert!(v("1-sp-1") < v("1-ga-1"));
        assert_eq!(v("1-ga-1"), v("1-1"));
        assert_eq!(v("1-a1"), v("1-alpha-1"));
        assert_eq!(v("1-cr1"), v("1-rc1"));
        assert_order(&["1-alpha", "1-beta", "1-milestone", "1-rc", "1-snapshot", "1", "1-sp", "1-zzz"]);
        assert_order(&["1-abc", "1-xyz"]);
        assert_order(&["1.9", "1.10", "1.100"]);
        assert_eq!(v("1.010"), v("1.10"));
        assert_eq!(v("2.0-BETA9"), v("2.0-beta-9"));
        assert_eq!(v("2.0-beta9").as_str(), "2.0-beta9");
    }

    #[test]
    fn huge_numbers_compare_without_overflow() {
        assert_order(&["1.99999999999999999999999", "1.100000000000000000000000"]);
    }

    #[test]
    fn maven_ranges() {
        let r = VersionRange::parse("[2.0-beta9,2.3.1),[2.4,2.12.2),[2.13.0,2.15.0)").unwrap();
        for yes in ["2.0-beta9", "2.0-rc1", "2.0", "2.3", "2.4", "2.12.1", "2.14.1"] {
            assert!(r.contains(&v(yes)), "{yes}");
        }
        for no in ["2.0-beta8", "2.3.1", "2.3.2", "2.12.2", "2.12.4", "2.15.0", "2.17.1"] {
            assert!(!r.contains(&v(no)), "{no}");
        }
        let open = VersionRange::parse("(,1.0]").unwrap();
        assert!(open.contains(&v("0.1")) && open.contains(&v("1.0")) && !open.contains(&v("1.0.1")));
        let exact = VersionRange::parse("[1.2]").unwrap();
        assert!(exact.contains(&v("1.2.0")) && !exact.contains(&v("1.2.1")));
        let above = VersionRange::parse("(1.0,)").unwrap();
        assert!(!above.contains(&v("1.0")) && above.contains(&v("1.0.1")));
        assert!(VersionRange::parse("[2.0,1.0)").is_err());
        assert!(VersionRange::parse("[1.0").is_err());
        assert!(VersionRange::parse("[1.0,2.0),").is_err());
        assert!(VersionRange::parse("(1.0)").is_err());
        assert!(VersionRange::parse("").is_err());
    }

    #[test]
    fn osv_events() {
        let ev = vec![
            Event::Introduced("2.0-beta9".into()),
            Event::Fixed("2.3.1".into()),
            Event::Introduced("2.4".into()),
            Event::Fixed("2.12.2".into()),
            Event::Introduced("2.13.0".into()),
            Event::Fixed("2.15.0".into()),
        ];
        for yes in ["2.0-beta9", "2.0-rc1", "2.3", "2.4", "2.12.1", "2.14.1"] {
            assert!(events_affect(&ev, &v(yes)), "{yes}");
        }
        for no in ["2.0-beta2", "2.3.1", "2.3.2", "2.12.2", "2.15.0", "2.17.1"] {
            assert!(!events_affect(&ev, &v(no)), "{no}");
        }
        let from_zero = vec![Event::Introduced("0".into()), Event::LastAffected("1.2.17".into())];
        assert!(events_affect(&from_zero, &v("1.2.17")));
        assert!(events_affect(&from_zero, &v("1.0-alpha")));
        assert!(!events_affect(&from_zero, &v("1.2.18")));
        let limited = vec![Event::Introduced("0".into()), Event::Limit("2.0".into())];
        assert!(events_affect(&limited, &v("1.9")) && !events_affect(&limited, &v("2.0")));
    }
}
