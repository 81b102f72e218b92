//! CVSS vectors (v2.0, v3.0, v3.1, v4.0) scored with the `cvss` crate, and the Chinese
//! grades shown beside them (docs/severity.md): CNVD 高/中/低 and CNNVD / GB/T
//! 30279-2020 超危/高危/中危/低危.

use std::fmt;
use std::str::FromStr;

/// A CVSS version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CvssVersion {
    /// CVSS v2.0 (accepted on import; CNVD grades on it).
    V2,
    /// CVSS v3.0.
    V3_0,
    /// CVSS v3.1.
    V3_1,
    /// CVSS v4.0.
    V4,
}

impl CvssVersion {
    /// The version as written in documents: `2.0`, `3.0`, `3.1`, `4.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V2 => "2.0",
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4 => "4.0",
        }
    }
}

/// A vector that the `cvss` crate could not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{vector}` is not a valid CVSS vector: {reason}")]
pub struct CvssError {
    /// The vector as given.
    pub vector: String,
    /// Why.
    pub reason: String,
}

/// The qualitative rating of a CVSS v3/v4 score (v2 has no None/Critical).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rating {
    /// 0.0
    None,
    /// 0.1–3.9
    Low,
    /// 4.0–6.9
    Medium,
    /// 7.0–8.9 (v2: 7.0–10.0)
    High,
    /// 9.0–10.0
    Critical,
}

impl Rating {
    /// Upper-case name as CVE and CSAF write it: `CRITICAL`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::None => "NONE",
            Rating::Low => "LOW",
            Rating::Medium => "MEDIUM",
            Rating::High => "HIGH",
            Rating::Critical => "CRITICAL",
        }
    }
}

/// CNVD's three grades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CnvdGrade {
    /// 低
    Low,
    /// 中
    Medium,
    /// 高
    High,
}

impl CnvdGrade {
    /// The grade as CNVD writes it.
    pub fn zh(self) -> &'static str {
        match self {
            CnvdGrade::Low => "低",
            CnvdGrade::Medium => "中",
            CnvdGrade::High => "高",
        }
    }
}

/// The four grades of CNNVD and GB/T 30279-2020.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CnnvdGrade {
    /// 低危
    Low,
    /// 中危
    Medium,
    /// 高危
    High,
    /// 超危
    Critical,
}

impl CnnvdGrade {
    /// The grade in Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            CnnvdGrade::Low => "低危",
            CnnvdGrade::Medium => "中危",
            CnnvdGrade::High => "高危",
            CnnvdGrade::Critical => "超危",
        }
    }

    /// The grade in English.
    pub fn en(self) -> &'static str {
        match self {
            CnnvdGrade::Low => "low",
            CnnvdGrade::Medium => "medium",
            CnnvdGrade::High => "high",
            CnnvdGrade::Critical => "critical",
        }
    }
}

/// A scored vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// The CVSS version.
    pub version: CvssVersion,
    /// The vector, as the `cvss` crate writes it back.
    pub vector: String,
    /// The base score.
    pub base_score: f64,
    /// The rating.
    pub rating: Rating,
}

impl Scored {
    /// CNVD's grade for this score (docs/severity.md).
    pub fn cnvd(&self) -> CnvdGrade {
        match self.base_score {
            s if s >= 7.0 => CnvdGrade::High,
            s if s >= 4.0 => CnvdGrade::Medium,
            _ => CnvdGrade::Low,
        }
    }

    /// The CNNVD / GB/T 30279-2020 grade for this score (docs/severity.md).
    pub fn cnnvd(&self) -> CnnvdGrade {
        match self.base_score {
            s if s >= 9.0 => CnnvdGrade::Critical,
            s if s >= 7.0 => CnnvdGrade::High,
            s if s >= 4.0 => CnnvdGrade::Medium,
            _ => CnnvdGrade::Low,
        }
    }
}

impl fmt::Display for Scored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({})", self.base_score, self.rating.as_str(), self.vector)
    }
}

/// Parses and scores a CVSS vector: `CVSS:3.1/...`, `CVSS:4.0/...`, or a bare v2 vector
/// (`AV:N/AC:L/Au:N/C:P/I:P/A:P`).
pub fn score(vector: &str) -> Result<Scored, CvssError> {
    let parsed = cvss::Cvss::from_str(vector.trim())
        .map_err(|e| CvssError { vector: vector.to_owned(), reason: e.to_string() })?;
    let version = match &parsed {
        cvss::Cvss::CvssV20(_) => CvssVersion::V2,
        cvss::Cvss::CvssV30(_) => CvssVersion::V3_0,
        cvss::Cvss::CvssV31(_) => CvssVersion::V3_1,
        cvss::Cvss::CvssV40(_) => CvssVersion::V4,
        _ => return Err(CvssError { vector: vector.to_owned(), reason: "unsupported CVSS version".into() }),
    };
    // A vector must carry every base metric of its version: the parser takes a partial
    // one and would score the missing metrics as nothing.
    let required: &[&str] = match version {
        CvssVersion::V2 => &["AV", "AC", "Au", "C", "I", "A"],
        CvssVersion::V3_0 | CvssVersion::V3_1 => &["AV", "AC", "PR", "UI", "S", "C", "I", "A"],
        CvssVersion::V4 => &["AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"],
    };
    let present: Vec<&str> =
        vector.trim().split('/').filter_map(|part| part.split_once(':').map(|(k, _)| k)).collect();
    let missing: Vec<&str> = required.iter().copied().filter(|m| !present.contains(m)).collect();
    if !missing.is_empty() {
        return Err(CvssError {
            vector: vector.to_owned(),
            reason: format!("incomplete: the base metrics {} are missing", missing.join(", ")),
        });
    }
    let base_score = parsed.score();
    let rating = match (version, base_score) {
        (_, 0.0) => Rating::None,
        (_, s) if s < 4.0 => Rating::Low,
        (_, s) if s < 7.0 => Rating::Medium,
        (CvssVersion::V2, _) => Rating::High,
        (_, s) if s < 9.0 => Rating::High,
        _ => Rating::Critical,
    };
    Ok(Scored { version, vector: parsed.to_string(), base_score, rating })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published scores of the Log4j CVEs (reference/regulation.md §4.1).
    #[test]
    fn log4j_vectors_score_as_published() {
        for (vector, expected, rating) in [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, Rating::Critical),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H", 9.0, Rating::Critical),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:L", 3.7, Rating::Low),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", 5.9, Rating::Medium),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:H", 8.6, Rating::High),
            ("CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:H", 6.6, Rating::Medium),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1, Rating::High),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, Rating::Critical),
        ] {
            let scored = score(vector).unwrap();
            assert_eq!((scored.base_score, scored.rating), (expected, rating), "{vector}");
            assert_eq!(scored.vector, vector, "round trip");
            assert_eq!(scored.version, CvssVersion::V3_1);
        }
    }

    #[test]
    fn v2_and_v4_vectors_are_accepted() {
        let v2 = score("AV:N/AC:M/Au:N/C:C/I:C/A:C").unwrap();
        assert_eq!((v2.version, v2.base_score, v2.rating), (CvssVersion::V2, 9.3, Rating::High));
        let v4 = score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").unwrap();
        assert_eq!((v4.version, v4.base_score, v4.rating), (CvssVersion::V4, 9.3, Rating::Critical));
    }

    #[test]
    fn chinese_grades_follow_the_documented_bands() {
        let grade = |v: &str| {
            let s = score(v).unwrap();
            (s.cnvd().zh(), s.cnnvd().zh())
        };
        assert_eq!(grade("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"), ("高", "超危"));
        assert_eq!(grade("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:H"), ("高", "高危"));
        assert_eq!(grade("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H"), ("中", "中危"));
        assert_eq!(grade("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:L"), ("低", "低危"));
    }

    #[test]
    fn bad_vectors_are_errors_naming_the_vector() {
        for bad in [
            "",
            "CVSS:3.1/AV:X",
            "CVSS:9.9/AV:N",
            "hello",
            "CVSS:3.1/AV:N",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
            "AV:N/AC:L/Au:N",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N",
        ] {
            let error = score(bad).unwrap_err();
            assert_eq!(error.vector, bad);
        }
    }
}
