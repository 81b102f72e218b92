//! Inventory matching: 100,000 components (package URLs) against 10,000
//! vulnerabilities with 50,000 ranges across Maven, npm, PyPI and crates.io, on one
//! core. Target: the full match in under one second.
//!
//! Baseline, measured in the same run: parsing every component's package URL and
//! looking its package up, without comparing a single version — the least any matcher
//! must do. The ratio says what the version comparisons cost on top.
//!
//! Usage: `cargo run --release -p vulnrelay-bench --bin matching [COMPONENTS] [VULNERABILITIES]`

use vulnrelay_bench::best_of;
use vulnrelay_match::{Index, parse_purl};

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().expect("a number"));
    let components_n = args.next().unwrap_or(100_000);
    let vulnerabilities_n = args.next().unwrap_or(10_000);
    let (vulnerabilities, components) = vulnrelay_bench::inventory::workload(components_n, vulnerabilities_n);

    let (build, index) = best_of(3, || Index::new(&vulnerabilities));
    let (indexed_packages, indexed_ranges) = index.size();
    let (baseline, known) = best_of(5, || {
        components.iter().filter(|c| parse_purl(c).is_ok_and(|(key, _)| index.covers(&key))).count()
    });
    let (matching, matched) = best_of(5, || {
        components.iter().map(|c| index.lookup_purl(c).map(|m| m.len()).unwrap_or(0)).sum::<usize>()
    });

    println!(
        "workload: {components_n} components x {vulnerabilities_n} vulnerabilities ({indexed_ranges} ranges over {indexed_packages} packages)"
    );
    println!("index build:                          {:>8.1} ms", build.as_secs_f64() * 1e3);
    println!(
        "baseline (parse purl + key lookup):   {:>8.1} ms  ({known} name an indexed package)",
        baseline.as_secs_f64() * 1e3
    );
    println!(
        "full match (ranges compared):         {:>8.1} ms  ({matched} matches)",
        matching.as_secs_f64() * 1e3
    );
    println!(
        "throughput: {:.0} components/s, {:.0} matches/s (target: full match < 1 s)",
        components_n as f64 / matching.as_secs_f64(),
        matched as f64 / matching.as_secs_f64()
    );
    println!("ratio full match/baseline: {:.2}x", matching.as_secs_f64() / baseline.as_secs_f64());
}
