//! The inventory-matching workload shared by the `matching` and `warnings` benchmarks:
//! generated, deterministic vulnerabilities (five ranges each, from two sources that
//! disagree a little) over Maven, npm, PyPI and crates.io packages, and components of
//! which most name a package some record covers.

use vulnrelay_domain::{Affected, Ecosystem, Package, RangeEnd, VersionRange, Vulnerability};

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

/// `vulnerabilities_n` records and `components_n` component package URLs.
pub fn workload(components_n: usize, vulnerabilities_n: usize) -> (Vec<Vulnerability>, Vec<String>) {
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
    let mut generator = Components { rng, packages };
    let components: Vec<String> = (0..components_n).map(|_| generator.next_purl()).collect();

    (vulnerabilities, components)
}

/// Component package URLs of the workload, made one at a time (for inventories too large
/// to hold): most name a package some record covers, some name unknown packages.
pub struct Components {
    rng: Rng,
    packages: u64,
}

impl Components {
    /// The components of a workload of `vulnerabilities_n` records, from `seed`.
    pub fn new(vulnerabilities_n: usize, seed: u64) -> Components {
        Components { rng: Rng(seed | 1), packages: (vulnerabilities_n / 2).max(1) as u64 }
    }

    /// The next component's package URL.
    pub fn next_purl(&mut self) -> String {
        let (eco, name) = package(self.rng.below(self.packages + self.packages / 2));
        purl(eco, &name, &self.rng.version())
    }
}
