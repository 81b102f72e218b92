//! Policy evaluation throughput: a generated workload of cases (default 10,000 cases of
//! 100 events, 1,000,000 events) evaluated against every shipped pack on one core.
//!
//! Baseline, measured in the same run: one pass that sorts each case's events by time
//! and reads every event once — the least any evaluator must do. The ratio says how
//! much the rules cost on top of touching the data.
//!
//! Usage: `cargo run --release -p vulnrelay-bench --bin policy [CASES] [EVENTS_PER_CASE]`

use chrono::{TimeDelta, TimeZone, Utc};
use vulnrelay_bench::best_of;
use vulnrelay_domain::{
    Case, Event, EventKind, Jurisdiction, Market, Membership, NotificationKind, Party, PartyId, Product,
    ProductId, Role, Timestamp,
};
use vulnrelay_policy::{Interpretation, Options, builtin_packs, evaluate};

/// A small deterministic generator (xorshift64*), so every run sees the same workload.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn party(id: &str, role: Role, jurisdiction: &str, member: bool, start: Timestamp) -> Party {
    Party {
        id: PartyId(id.into()),
        name: id.into(),
        name_zh: None,
        roles: vec![role],
        jurisdiction: jurisdiction.parse::<Jurisdiction>().expect("valid code"),
        memberships: if member {
            vec![Membership {
                id: "miit-threat-sharing".into(),
                since: start - TimeDelta::days(400),
                until: None,
            }]
        } else {
            vec![]
        },
    }
}

/// One case: a CN vendor (EU market too), a member discoverer, the regulator, CNVD, an
/// overseas CERT, ENISA and the MPS; two products; `events` events over 60 days.
fn case(rng: &mut Rng, events: usize) -> Case {
    let start = Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).single().expect("valid time")
        + TimeDelta::hours(rng.below(24 * 365) as i64);
    let parties = vec![
        party("vendor", Role::ProductProvider, "CN", false, start),
        party("finder", Role::Discoverer, "CN", true, start),
        party("nvdb", Role::RegulatorPlatform, "CN", false, start),
        party("cnvd", Role::NationalVulnerabilityDb, "CN", false, start),
        party("cert", Role::CsirtCoordinator, "DE", false, start),
        party("enisa", Role::Enisa, "GR", false, start),
        party("mps", Role::PublicSecurity, "CN", false, start),
    ];
    let products = vec![
        Product {
            id: ProductId("router".into()),
            name: "router".into(),
            provider: PartyId("vendor".into()),
            upstream: vec![ProductId("libnet".into())],
            markets: vec![Market("CN".into()), Market("EU".into())],
            purl: None,
        },
        Product {
            id: ProductId("libnet".into()),
            name: "libnet".into(),
            provider: PartyId("vendor".into()),
            upstream: vec![],
            markets: vec![Market("EU".into())],
            purl: None,
        },
    ];
    let ids = ["vendor", "finder", "nvdb", "cnvd", "cert", "enisa", "mps"];
    let timeline = (0..events)
        .map(|i| {
            let at =
                start + TimeDelta::minutes((i as i64) * 60 * 24 * 60 / events as i64 + rng.below(30) as i64);
            let product = Some(ProductId(if rng.below(2) == 0 { "router" } else { "libnet" }.into()));
            let who = if rng.below(2) == 0 { "vendor" } else { "finder" };
            let kind = match (i, rng.below(10)) {
                (0, _) => EventKind::Discovered,
                (_, 0) => EventKind::Aware,
                (_, 1) => EventKind::Verified,
                (_, 2..=4) => EventKind::Notified {
                    to: PartyId(ids[2 + rng.below(5) as usize].into()),
                    kind: NotificationKind::ALL[rng.below(4) as usize],
                    // Every fourth notification tells its recipient of the exploitation
                    // (the CRA clocks run from the manufacturer's own awareness); no
                    // random draw, so the rest of the generated story is unchanged.
                    exploited: i % 4 == 0,
                    with_exploit_code: false,
                    content: None,
                },
                (_, 5) => EventKind::Exploited,
                (_, 6) => EventKind::FixAvailable { version: Some("1.0.1".into()) },
                (_, 7) => EventKind::Published {
                    with_remediation: rng.below(4) != 0,
                    with_exploit_code: rng.below(8) == 0,
                },
                (_, 8) => EventKind::Blackout { until: at + TimeDelta::days(3) },
                _ => EventKind::Consent { to: None },
            };
            let party = match kind {
                EventKind::Blackout { .. } | EventKind::Consent { .. } => "mps",
                _ => who,
            };
            Event { at, party: PartyId(party.into()), product, kind, note: None }
        })
        .collect();
    Case::new(
        format!("generated {}", rng.below(1_000_000)),
        chrono_tz::Asia::Shanghai,
        parties,
        products,
        timeline,
    )
    .expect("generated cases are valid")
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().expect("a number"));
    let cases_n = args.next().unwrap_or(10_000);
    let per_case = args.next().unwrap_or(100);
    let mut rng = Rng(0x5EED_0A11_BABA_CAFE);
    let cases: Vec<Case> = (0..cases_n).map(|_| case(&mut rng, per_case)).collect();
    let total_events = cases_n * per_case;
    let packs = builtin_packs().expect("shipped packs parse");
    let options = Options {
        as_of: Utc.with_ymd_and_hms(2028, 1, 1, 0, 0, 0).single().expect("valid time"),
        interpretation: Interpretation::Hours,
    };

    let (baseline, touched) = best_of(5, || {
        cases
            .iter()
            .map(|case| {
                let order = case.chronological();
                order.iter().map(|&i| case.events()[i].at.timestamp() as u64).fold(0u64, u64::wrapping_add)
            })
            .fold(0u64, u64::wrapping_add)
    });
    let (evaluation, findings) =
        best_of(5, || cases.iter().map(|case| evaluate(case, &packs, &options).len()).sum::<usize>());

    let rate = total_events as f64 / evaluation.as_secs_f64();
    println!("workload: {cases_n} cases x {per_case} events = {total_events} events, {} packs", packs.len());
    println!(
        "baseline (sort + read every event): {:>9.1} ms  (checksum {touched})",
        baseline.as_secs_f64() * 1e3
    );
    println!(
        "evaluate (every rule of every pack): {:>9.1} ms  ({findings} findings)",
        evaluation.as_secs_f64() * 1e3
    );
    println!("throughput: {:.0} events/s on one core (target >= 1,000,000)", rate);
    println!("ratio evaluate/baseline: {:.1}x", evaluation.as_secs_f64() / baseline.as_secs_f64());
}
