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
use vulnrelay_domain::{Affected, Ecosystem, Package, RangeEnd, VersionRange, Vulnerability};
use vulnrelay_match::{Index, parse_purl};

/// xorshift64*: the same workload every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }

    fn version(&mut self) -> String {
        format!("{}.{}.{}", self.below(6), self.below(20), self.below(30))
    }
}

const ECOSYSTEMS: [(&str, Ecosystem); 4] = [
    ("maven", Ecosystem::Maven),
    ("npm", Ecosystem::Npm),
    ("pypi", Ecosystem::PyPi),
    ("cargo", Ecosystem::Cargo),
];

fn package(i: u64) -> (usize, String) {
    let eco = (i % 4) as usize;
    let name = match eco {
        0 => format!("org.example.group{}:artifact-{i}", i % 97),
        _ => format!("package-{i}"),
    };
    (eco, name)
}

fn purl(eco: usize, name: &str, version: &str) -> String {
    match eco {
        0 => {
            let (group, artifact) = name.split_once(':').expect("maven names have a colon");
            format!("pkg:maven/{group}/{artifact}@{version}")
        }
        _ => format!("pkg:{}/{name}@{version}", ECOSYSTEMS[eco].0),
    }
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().expect("a number"));
    let components_n = args.next().unwrap_or(100_000);
    let vulnerabilities_n = args.next().unwrap_or(10_000);
    let packages = (vulnerabilities_n / 2).max(1) as u64;
    let mut rng = Rng(0x00C0_FFEE_D00D_F00D);

    let vulnerabilities: Vec<Vulnerability> = (0..vulnerabilities_n)
        .map(|i| {
            let (eco, name) = package(rng.below(packages));
            let mut v = Vulnerability::new(format!("VR-2026-{i:05}"));
            // Five ranges in all, split over two sources that disagree a little.
            for (source, count) in [("vendor", 3), ("github", 2)] {
                let ranges = (0..count)
                    .map(|_| {
                        let low = rng.version();
                        let high = format!("{}.{}.0", rng.below(6) + 1, rng.below(20));
                        VersionRange { introduced: low, end: RangeEnd::Fixed(high) }
                    })
                    .collect();
                v.affected.push(Affected {
                    source: source.into(),
                    package: Package {
                        vendor: "example".into(),
                        product: name.clone(),
                        ecosystem: Some((ECOSYSTEMS[eco].1.clone(), name.clone())),
                        purl: None,
                    },
                    ranges,
                    versions: Vec::new(),
                });
            }
            v
        })
        .collect();
    // Components: most name a package some record covers, some name unknown packages.
    let components: Vec<String> = (0..components_n)
        .map(|_| {
            let (eco, name) = package(rng.below(packages + packages / 2));
            purl(eco, &name, &rng.version())
        })
        .collect();

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
