//! Identifier schemes of platforms: `CNVD-{YYYY}-{NNNNN}`, `CNNVD-{YYYYMM}-{NNN}`,
//! `NVDB-CNVDB-{YYYY}{NNNNNN}`, `VR-{YYYY}-{NNNN}`. A template names the date parts
//! and the width of the sequence number; the store hands out the numbers (once each,
//! under concurrency) and this module turns them into identifiers.

use std::fmt;
use std::str::FromStr;

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Year,
    YearMonth,
    /// The sequence number, zero-padded to this many digits (more digits are allowed
    /// when the number outgrows them).
    Sequence(usize),
}

/// An identifier template such as `CNVD-{YYYY}-{NNNNN}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTemplate {
    text: String,
    pieces: Vec<Piece>,
}

/// A template that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTemplateError {
    /// A `{` without its `}`.
    #[error("`{0}`: unclosed `{{`")]
    Unclosed(String),
    /// A placeholder other than `{YYYY}`, `{YYYYMM}` or `{N...}`.
    #[error("`{template}`: unknown placeholder `{{{placeholder}}}` (use {{YYYY}}, {{YYYYMM}} or {{NNNN}})")]
    UnknownPlaceholder {
        /// The template.
        template: String,
        /// The placeholder.
        placeholder: String,
    },
    /// No `{N...}` placeholder, or more than one.
    #[error("`{0}`: needs exactly one sequence placeholder such as {{NNNNN}}")]
    Sequence(String),
}

impl FromStr for IdTemplate {
    type Err = IdTemplateError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                pieces.push(Piece::Literal(rest[..open].to_owned()));
            }
            let close =
                rest[open..].find('}').ok_or_else(|| IdTemplateError::Unclosed(text.to_owned()))? + open;
            let placeholder = &rest[open + 1..close];
            pieces.push(match placeholder {
                "YYYY" => Piece::Year,
                "YYYYMM" => Piece::YearMonth,
                n if !n.is_empty() && n.chars().all(|c| c == 'N') => Piece::Sequence(n.len()),
                other => {
                    return Err(IdTemplateError::UnknownPlaceholder {
                        template: text.to_owned(),
                        placeholder: other.to_owned(),
                    });
                }
            });
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Literal(rest.to_owned()));
        }
        if pieces.iter().filter(|p| matches!(p, Piece::Sequence(_))).count() != 1 {
            return Err(IdTemplateError::Sequence(text.to_owned()));
        }
        Ok(IdTemplate { text: text.to_owned(), pieces })
    }
}

impl fmt::Display for IdTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl IdTemplate {
    /// The counter an identifier's number is drawn from: numbers restart for each
    /// year (or month) the template names. E.g. `CNVD-{YYYY}-{NNNNN}` in 2021 draws
    /// from `CNVD-{YYYY}-{NNNNN}@2021`.
    pub fn counter(&self, year: i32, month: u32) -> String {
        if self.pieces.contains(&Piece::YearMonth) {
            format!("{}@{year:04}{month:02}", self.text)
        } else if self.pieces.contains(&Piece::Year) {
            format!("{}@{year:04}", self.text)
        } else {
            self.text.clone()
        }
    }

    /// The identifier for sequence number `n` (from 1) in `year` and `month`.
    pub fn format(&self, year: i32, month: u32, n: u64) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Literal(text) => out.push_str(text),
                Piece::Year => out.push_str(&format!("{year:04}")),
                Piece::YearMonth => out.push_str(&format!("{year:04}{month:02}")),
                Piece::Sequence(width) => out.push_str(&format!("{n:0width$}")),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(text: &str) -> IdTemplate {
        text.parse().unwrap()
    }

    #[test]
    fn the_platform_schemes_format_as_published() {
        assert_eq!(template("CNVD-{YYYY}-{NNNNN}").format(2021, 12, 95914), "CNVD-2021-95914");
        assert_eq!(template("CNNVD-{YYYYMM}-{NNN}").format(2021, 12, 799), "CNNVD-202112-799");
        assert_eq!(template("CNNVD-{YYYYMM}-{NNN}").format(2021, 12, 1234), "CNNVD-202112-1234");
        assert_eq!(template("NVDB-CNVDB-{YYYY}{NNNNNN}").format(2023, 5, 674205), "NVDB-CNVDB-2023674205");
        assert_eq!(template("VR-{YYYY}-{NNNN}").format(2021, 1, 1), "VR-2021-0001");
    }

    #[test]
    fn counters_restart_per_period() {
        assert_eq!(template("VR-{YYYY}-{NNNN}").counter(2021, 12), "VR-{YYYY}-{NNNN}@2021");
        assert_eq!(template("CNNVD-{YYYYMM}-{NNN}").counter(2021, 2), "CNNVD-{YYYYMM}-{NNN}@202102");
        assert_eq!(template("ACME-{NNNNNN}").counter(2021, 2), "ACME-{NNNNNN}");
    }

    #[test]
    fn bad_templates_are_refused() {
        assert!(matches!("X-{YYYY".parse::<IdTemplate>(), Err(IdTemplateError::Unclosed(_))));
        assert!(matches!(
            "X-{DD}-{NN}".parse::<IdTemplate>(),
            Err(IdTemplateError::UnknownPlaceholder { .. })
        ));
        assert!(matches!("X-{YYYY}".parse::<IdTemplate>(), Err(IdTemplateError::Sequence(_))));
        assert!(matches!("X-{NN}-{NN}".parse::<IdTemplate>(), Err(IdTemplateError::Sequence(_))));
    }
}
