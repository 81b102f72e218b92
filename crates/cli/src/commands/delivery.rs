//! The delivery worker's options of `vulnrelay serve`: how risk warnings and deadline
//! reminders are delivered (in-app inbox and signed webhooks), retried and
//! dead-lettered.

use std::time::Duration;

use vulnrelay_delivery::RetryPolicy;
use vulnrelay_server::worker::WorkerConfig;

/// Options of the delivery worker (risk warnings, reminders, webhooks).
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerArgs {
    /// Do not start the delivery worker in this process (another process delivers).
    #[arg(long, env = "VULNRELAY_NO_WORKER")]
    pub no_worker: bool,
    /// Pause between delivery rounds when nothing is due, in milliseconds.
    #[arg(long, env = "VULNRELAY_DELIVERY_POLL_MS", default_value_t = 1000, value_name = "MS")]
    pub delivery_poll_ms: u64,
    /// Deliveries claimed per round.
    #[arg(long, env = "VULNRELAY_DELIVERY_BATCH", default_value_t = 100, value_name = "N")]
    pub delivery_batch: i64,
    /// Webhook requests in flight at once.
    #[arg(long, env = "VULNRELAY_DELIVERY_CONCURRENCY", default_value_t = 16, value_name = "N")]
    pub delivery_concurrency: usize,
    /// How long a claimed delivery stays with its worker before another may take it over.
    #[arg(long, env = "VULNRELAY_DELIVERY_LEASE_SECONDS", default_value_t = 60, value_name = "SECONDS")]
    pub delivery_lease_seconds: u64,
    /// Delay before the first retry (before jitter), in milliseconds; doubles per attempt.
    #[arg(long, env = "VULNRELAY_RETRY_BASE_MS", default_value_t = 2000, value_name = "MS")]
    pub retry_base_ms: u64,
    /// Longest delay between retries, in milliseconds.
    #[arg(long, env = "VULNRELAY_RETRY_CAP_MS", default_value_t = 3_600_000, value_name = "MS")]
    pub retry_cap_ms: u64,
    /// Attempts in all before a delivery goes to the dead letters.
    #[arg(long, env = "VULNRELAY_MAX_ATTEMPTS", default_value_t = 12, value_name = "N")]
    pub max_attempts: u32,
    /// How long a webhook receiver has to answer, in milliseconds.
    #[arg(long, env = "VULNRELAY_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000, value_name = "MS")]
    pub webhook_timeout_ms: u64,
    /// How often deadline reminders are evaluated, in seconds (0: never).
    #[arg(long, env = "VULNRELAY_REMINDER_INTERVAL_SECONDS", default_value_t = 60, value_name = "SECONDS")]
    pub reminder_interval_seconds: u64,
    /// How often the warnings of what changed since the last sweep (records, cases with
    /// records, inventories, memberships, accounts) are re-matched and the relays of the
    /// cases changed since are queued if a crash left them out, in seconds (0: never;
    /// otherwise also once at start).
    #[arg(long, env = "VULNRELAY_SWEEP_INTERVAL_SECONDS", default_value_t = 600, value_name = "SECONDS")]
    pub sweep_interval_seconds: u64,
    /// How often every record is re-matched against every inventory and every case is
    /// looked at for relays, a page at a time, in seconds (0: never; the first one
    /// interval after start).
    #[arg(
        long,
        env = "VULNRELAY_FULL_SWEEP_INTERVAL_SECONDS",
        default_value_t = 86_400,
        value_name = "SECONDS"
    )]
    pub full_sweep_interval_seconds: u64,
    /// Accept webhooks to loopback, private, link-local and other non-public addresses
    /// (refused by default, at subscription and again on every delivery connection,
    /// after name resolution).
    #[arg(long, env = "VULNRELAY_WEBHOOK_ALLOW_PRIVATE_NETWORKS")]
    pub webhook_allow_private_networks: bool,
    /// How often the peers' CSAF providers are mirrored (the aggregator), in seconds (0:
    /// never; otherwise also once at start, when the instance federates).
    #[arg(
        long,
        env = "VULNRELAY_CSAF_MIRROR_INTERVAL_SECONDS",
        default_value_t = 3600,
        value_name = "SECONDS"
    )]
    pub csaf_mirror_interval_seconds: u64,
}

impl WorkerArgs {
    /// The worker's configuration.
    pub fn config(&self) -> WorkerConfig {
        let every = |seconds: u64| (seconds > 0).then(|| Duration::from_secs(seconds));
        WorkerConfig {
            poll_interval: Duration::from_millis(self.delivery_poll_ms),
            batch: self.delivery_batch.max(1),
            concurrency: self.delivery_concurrency.max(1),
            lease: Duration::from_secs(self.delivery_lease_seconds.max(1)),
            retry: RetryPolicy {
                base: Duration::from_millis(self.retry_base_ms),
                cap: Duration::from_millis(self.retry_cap_ms),
                max_attempts: self.max_attempts.max(1),
            },
            timeout: Duration::from_millis(self.webhook_timeout_ms),
            reminder_interval: every(self.reminder_interval_seconds),
            sweep_interval: every(self.sweep_interval_seconds),
            full_sweep_interval: every(self.full_sweep_interval_seconds),
            deny_private_networks: !self.webhook_allow_private_networks,
            csaf_mirror_interval: every(self.csaf_mirror_interval_seconds),
        }
    }
}
