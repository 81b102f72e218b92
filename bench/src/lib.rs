//! Shared helpers of the vulnrelay benchmarks.

pub mod inventory;

use std::time::{Duration, Instant};

/// Runs `f` `runs` times and returns the fastest wall time with the last result.
pub fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let value = f();
        best = best.min(start.elapsed());
        last = Some(value);
    }
    (best, last.expect("at least one run"))
}
