//! A small HTTP load client for the read-path benchmarks: `connections` keep-alive
//! connections each sending one request after another for a while, every latency kept.

use std::time::{Duration, Instant};

/// What one path measured at one concurrency.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Latencies {
    /// Successful requests per second.
    pub rps: f64,
    /// Median latency, ms.
    pub p50: f64,
    /// 99th percentile, ms.
    pub p99: f64,
    /// Requests that failed (an error status, a timeout or a broken connection).
    pub errors: usize,
    /// CPU time this process spent (user and system, every thread: server, load
    /// generator and, on SQLite, the database engine) per successful request, µs —
    /// a figure other processes' load moves far less than the latencies.
    pub cpu_us: f64,
}

/// One request of a load: its path, bearer token and JSON body (a POST when given).
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Path and query, after the base URL.
    pub path: &'a str,
    /// Bearer token.
    pub token: Option<&'a str>,
    /// JSON body.
    pub body: Option<&'a serde_json::Value>,
}

/// Longest a request may take before it counts as failed.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// `request` at `base` over `connections` connections for `seconds`; each connection
/// finishes the request it has begun.
pub async fn measure(base: &str, request: Request<'_>, connections: usize, seconds: f64) -> Latencies {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .timeout(TIMEOUT)
        .build()
        .expect("an HTTP client");
    let url = format!("{base}{}", request.path);
    let started = Instant::now();
    let cpu_before = cpu_seconds();
    let deadline = started + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, url) = (client.clone(), url.clone());
        let (token, body) = (request.token.map(str::to_owned), request.body.cloned());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0);
            while Instant::now() < deadline {
                let mut send = match &body {
                    Some(body) => client.post(&url).json(body),
                    None => client.get(&url),
                };
                // As the HTTP clients of Go, Python and the browsers ask; the body is
                // read as it comes (not inflated here, on the server's cores).
                send = send.header(reqwest::header::ACCEPT_ENCODING, "gzip");
                if let Some(token) = &token {
                    send = send.bearer_auth(token);
                }
                let start = Instant::now();
                let ok = match send.send().await {
                    Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if ok {
                    latencies.push(start.elapsed());
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let (mut all, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (latencies, failed) = task.await.unwrap_or_default();
        all.extend(latencies);
        errors += failed;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_us = (cpu_seconds() - cpu_before) * 1e6 / all.len().max(1) as f64;
    all.sort();
    let at = |q: f64| {
        if all.is_empty() {
            f64::NAN
        } else {
            all[((all.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3
        }
    };
    Latencies { rps: all.len() as f64 / elapsed, p50: at(0.5), p99: at(0.99), errors, cpu_us }
}

/// The CPU time this process has used, user and system, in seconds (`/proc/self/stat`,
/// in the kernel's fixed 100 ticks a second; 0 where unreadable).
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces) and its `)`.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are the 14th and 15th fields, the 12th and 13th after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// The resident memory of this process, MB.
pub fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
