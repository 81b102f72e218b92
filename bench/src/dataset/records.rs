//! The vulnerability records, stored as the application stores them (the record JSON of
//! `vulnrelay_formats::record`): two thirds belong to published cases (`SYN-CASE-n`,
//! spread over them), the rest are imported from elsewhere and belong to no case
//! (`SYN-IMPORT-n`). Each affects one package of Maven, npm, PyPI or crates.io with
//! a range fixed in a later version — the packages the inventories name.

use std::sync::Arc;

use chrono::TimeDelta;
use vulnrelay_domain::{Affected, Ecosystem, Localized, Package, RangeEnd, VersionRange, Vulnerability};
use vulnrelay_formats::record::VulnerabilityJson;
use vulnrelay_store::Store;

use super::{Mix, Progress, Shape, run_bounded};

/// The id of the first record of a case: an advisory of a published case.
pub fn first_case_record() -> String {
    record_id(0, true)
}

fn record_id(k: usize, of_case: bool) -> String {
    if of_case { format!("SYN-CASE-{k:07}") } else { format!("SYN-IMPORT-{k:07}") }
}

/// How many distinct packages the records and inventories draw from.
pub fn packages(shape: &Shape) -> u64 {
    (shape.records as u64 / 6).max(100)
}

/// Package `n`: its ecosystem, its ecosystem name and its package URL without version.
pub fn package(n: u64) -> (Ecosystem, String, String) {
    match n % 4 {
        0 => {
            let (group, artifact) = (format!("org.example.group{}", n % 97), format!("artifact-{n}"));
            (Ecosystem::Maven, format!("{group}:{artifact}"), format!("pkg:maven/{group}/{artifact}"))
        }
        1 => (Ecosystem::Npm, format!("package-{n}"), format!("pkg:npm/package-{n}")),
        2 => (Ecosystem::PyPi, format!("package-{n}"), format!("pkg:pypi/package-{n}")),
        _ => (Ecosystem::Cargo, format!("package-{n}"), format!("pkg:cargo/package-{n}")),
    }
}

/// Record `k` (of a case or not), published at `published`.
fn record(shape: &Shape, k: usize, of_case: bool, published: vulnrelay_domain::Timestamp) -> Vulnerability {
    let mut mix = Mix::new(shape.seed, 2_000_000_000 + 2 * k as u64 + u64::from(of_case));
    let id = record_id(k, of_case);
    let (ecosystem, name, _) = package(mix.below(packages(shape)));
    let (major, minor) = (mix.below(5), mix.below(20));
    let fixed = format!("{major}.{minor}.{}", 1 + mix.below(9));
    let mut v = Vulnerability::new(id.clone());
    v.title = Localized {
        en: Some(format!("Synthetic vulnerability {id} in {name} [generated]")),
        zh: Some(format!("{name} 合成漏洞 {id}（生成数据）")),
    };
    v.description =
        Localized { en: Some("Generated for benchmarks; describes nothing real.".into()), zh: None };
    v.cwes = vec![["CWE-79", "CWE-89", "CWE-502", "CWE-787", "CWE-20"][mix.below(5) as usize].into()];
    v.affected.push(Affected {
        source: "vendor".into(),
        package: Package {
            vendor: "example".into(),
            product: name.clone(),
            ecosystem: Some((ecosystem, name)),
            purl: None,
        },
        ranges: vec![VersionRange {
            introduced: format!("{major}.0.0"),
            end: RangeEnd::Fixed(fixed.clone()),
        }],
        versions: Vec::new(),
    });
    v.fixed_versions = vec![fixed];
    v.published = Some(published);
    v.modified = Some(published + TimeDelta::days(i64::try_from(mix.below(30)).unwrap_or(0)));
    v
}

/// Writes the records; `published` are the published cases, oldest first.
pub async fn write(store: &Arc<dyn Store>, shape: &Shape, published: &[String]) -> Result<usize, String> {
    let of_cases = if published.is_empty() { 0 } else { shape.records * 2 / 3 };
    let mut progress = Progress::new("records", shape.records);
    let published: Arc<[String]> = published.into();
    let written = run_bounded(shape.records, shape.jobs, &mut progress, |n| {
        let of_case = n < of_cases;
        let (k, case) = if of_case {
            (n, Some(published[n * published.len() / of_cases.max(1)].clone()))
        } else {
            (n - of_cases, None)
        };
        // A record of no case was published somewhere along the ten years.
        let at = super::end() - TimeDelta::days(365 * i64::from(super::YEARS) * (k % 1000) as i64 / 1000);
        let v = record(shape, k, of_case, at);
        let store = store.clone();
        async move {
            let value = serde_json::to_value(VulnerabilityJson::from(&v)).map_err(|e| e.to_string())?;
            store
                .save_vulnerability(&v.id, case.as_deref(), &value, &[], at)
                .await
                .map_err(|e| format!("record {}: {e}", v.id))
        }
    })
    .await?;
    Ok(written.len())
}
