//! The delivery worker: a tokio task, started by `vulnrelay serve`, that delivers the
//! outbox of warnings and reminders, sends deadline reminders, and sweeps the
//! warnings (a full re-match) now and then.
//!
//! Each round claims a batch of due deliveries for a lease (several processes on one
//! PostgreSQL share the work, see `vulnrelay_store::warnings`), delivers them — an
//! inbox message is put in the inbox; a webhook is POSTed, signed with HMAC-SHA256 over
//! timestamp and body (`vulnrelay_delivery::sign`) and carrying the delivery's
//! idempotency key — and records every outcome in one transaction: delivered, retried
//! after an exponential backoff with full jitter, or dead-lettered after the
//! configured number of attempts. A process that dies mid-round leaves its claims to
//! lapse; they are then claimed again, so delivery is at least once.
//!
//! Deadline reminders: every `reminder_interval` the open obligations of every case
//! are evaluated with the policy packs; an obligation due within 24 h, within 4 h,
//! overdue, or sent without content the law asks for (`incomplete`) gets a reminder to
//! the bound organisation, once per stage, through the same outbox, naming what the
//! notification's draft still lacks.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use vulnrelay_delivery::{DELIVERY_HEADER, Next, RetryPolicy, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use vulnrelay_domain::{Action, Actor, CaseAccess, Timestamp, can};
use vulnrelay_policy::{Interpretation, Options, RuleKind, Status};
use vulnrelay_store::warnings::{Channel, Delivery, DeliveryResult, NewReminder, Outcome, Webhook};

use crate::App;
use crate::casefile::load;
use crate::error::Result;

/// How the worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The pause between rounds when there was nothing to deliver.
    pub poll_interval: Duration,
    /// Deliveries claimed per round.
    pub batch: i64,
    /// Webhook requests in flight at once.
    pub concurrency: usize,
    /// How long a claim lasts before another worker may take the delivery over.
    pub lease: Duration,
    /// Backoff and the number of attempts before the dead letters.
    pub retry: RetryPolicy,
    /// How long a webhook receiver has to answer.
    pub timeout: Duration,
    /// How often deadline reminders are evaluated (`None`: never).
    pub reminder_interval: Option<Duration>,
    /// How often what changed since the last sweep is re-matched
    /// ([`crate::warnings::rematch_marked`]) and the relays a crash left out are queued
    /// for the cases marked since ([`crate::federation::outbound::queue_marked`]) (`None`:
    /// never; also run once at start when set).
    pub sweep_interval: Option<Duration>,
    /// How often every record is re-matched against the inventories, a page at a time
    /// ([`crate::warnings::rematch_all`]), and every case is looked at for relays
    /// ([`crate::federation::outbound::queue_all`]), for what no change marked (`None`:
    /// never; the first one interval after start).
    pub full_sweep_interval: Option<Duration>,
    /// Refuse to deliver webhooks to loopback, private, link-local and other
    /// non-public addresses (checked on every connection, after name resolution), so
    /// a subscriber cannot make the server reach into its own network.
    pub deny_private_networks: bool,
    /// How often the peers' CSAF providers are mirrored (`None`: never; also run once
    /// at start when set and the instance federates).
    pub csaf_mirror_interval: Option<Duration>,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            poll_interval: Duration::from_secs(1),
            batch: 100,
            concurrency: 16,
            lease: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(10),
            reminder_interval: Some(Duration::from_secs(60)),
            sweep_interval: Some(Duration::from_secs(600)),
            full_sweep_interval: Some(Duration::from_secs(24 * 3600)),
            deny_private_networks: true,
            csaf_mirror_interval: Some(Duration::from_secs(3600)),
        }
    }
}

/// The worker: the server's state, its configuration and an HTTP client.
#[derive(Clone)]
pub struct Worker {
    state: App,
    config: WorkerConfig,
    client: reqwest::Client,
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Deliveries claimed.
    pub claimed: usize,
    /// Delivered.
    pub delivered: usize,
    /// Failed, to be retried.
    pub retried: usize,
    /// Failed for the last time.
    pub dead: usize,
}

pub use crate::retry::jitter;

impl Worker {
    /// A worker over `state`.
    pub fn new(state: App, config: WorkerConfig) -> Worker {
        let mut builder = reqwest::Client::builder()
            // A redirect is an answer like any other non-2xx: never followed.
            .redirect(reqwest::redirect::Policy::none());
        if config.deny_private_networks {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        let client = builder
            .timeout(config.timeout)
            // The process id tells a receiver (and an operator) which server process sent it.
            .user_agent(format!("vulnrelay/{} (pid {})", env!("CARGO_PKG_VERSION"), std::process::id()))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Worker { state, config, client }
    }

    /// Whether `url` may be delivered to under the configuration (an address written
    /// in the URL is not resolved, so it is checked here).
    fn allowed(&self, url: &str) -> Result<(), String> {
        if !self.config.deny_private_networks {
            return Ok(());
        }
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("refused: `{url}`: {e}"))?;
        let host = parsed.host_str().ok_or_else(|| format!("refused: `{url}` names no host"))?;
        match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            Ok(ip) if is_private(ip) => Err(format!("refused: {ip} is not a public address")),
            _ => Ok(()),
        }
    }

    /// Runs until `shutdown` completes: delivery rounds, reminders and sweeps.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        let mut next_reminders = tokio::time::Instant::now();
        let mut next_sweep = tokio::time::Instant::now();
        let mut next_full_sweep =
            self.config.full_sweep_interval.map(|every| tokio::time::Instant::now() + every);
        let mut next_mirror = tokio::time::Instant::now();
        loop {
            let now = tokio::time::Instant::now();
            if let Some(every) = self.config.csaf_mirror_interval
                && now >= next_mirror
                && let Some(instance) = self.state.federation.get()
            {
                let stored = crate::aggregator::mirror_all(&self.state, instance.client()).await;
                if stored > 0 {
                    tracing::info!(stored, "mirrored CSAF documents from peers");
                }
                next_mirror = now + every;
            }
            if let Some(every) = self.config.sweep_interval
                && now >= next_sweep
            {
                crate::warnings::log_rematch("sweep", crate::warnings::rematch_marked(&self.state).await);
                // Relays a crash between a change and its relay left out.
                crate::federation::outbound::log_sweep(
                    "sweep",
                    crate::federation::outbound::queue_marked(&self.state).await,
                );
                next_sweep = now + every;
            }
            if let (Some(every), Some(next)) = (self.config.full_sweep_interval, next_full_sweep)
                && now >= next
            {
                crate::warnings::log_rematch("full sweep", crate::warnings::rematch_all(&self.state).await);
                crate::federation::outbound::log_sweep(
                    "full sweep",
                    crate::federation::outbound::queue_all(&self.state).await,
                );
                next_full_sweep = Some(now + every);
            }
            if let Some(every) = self.config.reminder_interval
                && now >= next_reminders
            {
                if let Err(e) = self.remind(Utc::now()).await {
                    tracing::warn!(error = %e, "deadline reminders failed");
                }
                if let Err(e) = self.remind_vendors(Utc::now()).await {
                    tracing::warn!(error = %e, "coordination reminders failed");
                }
                // The chains' heads are signed on the same beat.
                self.state.sign_heads().await;
                next_reminders = now + every;
            }
            let round = match self.deliver(Utc::now()).await {
                Ok(round) => round,
                Err(e) => {
                    tracing::warn!(error = %e, "delivery round failed");
                    Round::default()
                }
            };
            let lease = i64::try_from(self.config.lease.as_secs()).unwrap_or(60).max(1);
            let relayed = crate::federation::outbound::deliver(
                &self.state,
                &self.config.retry,
                self.config.batch,
                lease,
            )
            .await;
            let pause =
                if round.claimed > 0 || relayed > 0 { Duration::ZERO } else { self.config.poll_interval };
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// One delivery round: claims due deliveries, delivers them, records the outcomes.
    pub async fn deliver(&self, now: Timestamp) -> Result<Round> {
        let lease = i64::try_from(self.config.lease.as_secs()).unwrap_or(60).max(1);
        let claimed = self.state.store.claim_deliveries(self.config.batch, now, lease).await?;
        let mut round = Round { claimed: claimed.len(), ..Round::default() };
        if claimed.is_empty() {
            return Ok(round);
        }
        let mut hooks: HashMap<String, Option<Webhook>> = HashMap::new();
        for d in &claimed {
            if let Some(id) = &d.webhook_id
                && !hooks.contains_key(id)
            {
                hooks.insert(id.clone(), self.state.store.webhook(id).await.ok());
            }
        }
        let limit = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        let mut results = Vec::with_capacity(claimed.len());
        for delivery in claimed {
            let token = delivery.claim_token.clone().unwrap_or_default();
            let attempt = delivery.attempts;
            match delivery.channel {
                Channel::Inbox => results.push(DeliveryResult {
                    id: delivery.id,
                    claim_token: token,
                    attempt,
                    outcome: Outcome::Delivered,
                }),
                Channel::Webhook => {
                    let hook = delivery.webhook_id.as_ref().and_then(|id| hooks.get(id).cloned().flatten());
                    let client = self.client.clone();
                    let limit = limit.clone();
                    let allowed = hook.as_ref().map_or(Ok(()), |h| self.allowed(&h.url));
                    tasks.spawn(async move {
                        let _permit = limit.acquire_owned().await;
                        let sent = match hook {
                            Some(hook) if hook.active => match allowed {
                                Ok(()) => post(&client, &hook, &delivery).await,
                                Err(e) => Err(e),
                            },
                            Some(_) => Err("the webhook was deactivated".to_owned()),
                            None => Err("the webhook no longer exists".to_owned()),
                        };
                        (delivery.id, token, attempt, sent)
                    });
                }
            }
        }
        while let Some(joined) = tasks.join_next().await {
            let Ok((id, claim_token, attempt, sent)) = joined else { continue };
            let outcome = match sent {
                Ok(()) => Outcome::Delivered,
                Err(error) => {
                    let attempt_number = u32::try_from(attempt).unwrap_or(u32::MAX);
                    match self.config.retry.after_failure(attempt_number, jitter()) {
                        Next::RetryAfter(delay) => Outcome::Retry {
                            at: Utc::now() + TimeDelta::from_std(delay).unwrap_or(TimeDelta::MAX),
                            error,
                        },
                        Next::DeadLetter => Outcome::Dead { error },
                    }
                }
            };
            results.push(DeliveryResult { id, claim_token, attempt, outcome });
        }
        for r in &results {
            match r.outcome {
                Outcome::Delivered => round.delivered += 1,
                Outcome::Retry { .. } => round.retried += 1,
                Outcome::Dead { .. } => round.dead += 1,
            }
        }
        self.state.store.finish_deliveries(&results, Utc::now()).await?;
        Ok(round)
    }

    /// Puts the coordination reminders due at `now` in the outbox: to each vendor of a
    /// case with a reminder schedule that has not answered for long enough
    /// (`coordination::send_scheduled_reminders`). Returns how many were new.
    pub async fn remind_vendors(&self, now: Timestamp) -> Result<usize> {
        crate::coordination::send_scheduled_reminders(&self.state, now).await
    }

    /// Evaluates every case's obligations at `now` and writes the reminders due (once
    /// per obligation, organisation and stage). Returns how many were new.
    pub async fn remind(&self, now: Timestamp) -> Result<usize> {
        let state = &self.state;
        let orgs: HashMap<String, Vec<vulnrelay_domain::AccountRole>> = {
            let mut roles: HashMap<String, Vec<vulnrelay_domain::AccountRole>> = HashMap::new();
            for org in state.store.list_orgs(Some(vulnrelay_store::Status::Active)).await? {
                roles.entry(org.id).or_default();
            }
            for account in state.store.list_accounts(Some(vulnrelay_store::Status::Active)).await? {
                if let Some(entry) = account.org_id.and_then(|org| roles.get_mut(&org)) {
                    entry.extend(account.roles);
                }
            }
            roles
        };
        let mut reminders = Vec::new();
        // Only the cases with an obligation due within the reminders' reach (overdue,
        // or due within a day), through the derived views' index on `due_at`.
        let due =
            state.store.cases_with_obligations_due(Timestamp::UNIX_EPOCH, now + TimeDelta::hours(24)).await?;
        for case_id in due {
            let loaded = load(state, &case_id).await?;
            let record = &loaded.record;
            let options = Options { as_of: now, interpretation: Interpretation::Hours };
            // The case's records and report fill the drafts the reminders speak of.
            let (vulnerabilities, report) = crate::drafts::case_sources(state, &record.id).await?;
            for f in state.evaluate(&loaded.case, &options) {
                if !matches!(f.rule.kind, RuleKind::Obligation(_)) {
                    continue;
                }
                let Some(roles) = orgs.get(&f.party.0) else { continue };
                let Some(due) = f.due_at else { continue };
                let stage = match f.status {
                    Status::Overdue => "overdue",
                    Status::Pending if due <= now => "overdue",
                    // Sent in time, but without content the law asks for.
                    Status::MetIncomplete => "incomplete",
                    Status::Pending if due - now <= TimeDelta::hours(4) => "4h",
                    Status::Pending if due - now <= TimeDelta::hours(24) => "24h",
                    _ => continue,
                };
                let (reporter, platform) = loaded.access();
                let actor = Actor { org: Some(f.party.clone()), roles: roles.clone() };
                let readable = can(
                    &actor,
                    Action::Read,
                    &CaseAccess { case: &loaded.case, reporter: &reporter, platform: &platform },
                );
                let mut payload = json!({
                    "type": format!("reminder.{stage}"),
                    "case": record.id,
                    "org": f.party.0,
                    "rule": f.rule_id(),
                    "article": f.rule.article,
                    "stage": stage,
                    "status": f.status.as_str(),
                    "due_at": due.to_rfc3339(),
                });
                // The case's own words only to an organisation that may read the case.
                if readable {
                    payload["title"] = json!(record.title);
                    payload["message"] = json!(f.message(&loaded.case).en);
                    // What the notification's draft still lacks ("draft ready; Member
                    // States missing").
                    let records = vulnrelay_policy::Records {
                        vulnerabilities: &vulnerabilities,
                        severity: &[],
                        report: report.as_ref(),
                    };
                    if let Some(draft) = vulnrelay_policy::draft(&loaded.case, &f, records) {
                        let words = crate::drafts::reminder_words(&draft);
                        payload["draft"] = json!({
                            "summary": {"en": words.en, "zh": words.zh},
                            "missing": draft.missing().iter().map(|m| &m.id).collect::<Vec<_>>(),
                        });
                    }
                }
                reminders.push(NewReminder {
                    case_id: record.id.clone(),
                    rule_id: f.rule_id(),
                    org_id: f.party.0.clone(),
                    stage: stage.to_owned(),
                    due_at: Some(due),
                    payload,
                });
            }
        }
        Ok(state.store.send_reminders(&reminders, now).await?)
    }
}

/// Refuses a webhook target that is, or resolves to, a non-public address ([`is_private`]),
/// at subscription time; delivery checks again on every connection, since a name's
/// addresses may change.
pub async fn check_public_target(url: &reqwest::Url) -> Result<(), String> {
    let refused = || {
        format!(
            "`{}` is not a public address; webhooks go to public receivers",
            url.host_str().unwrap_or_default()
        )
    };
    let Some(host) = url.host_str() else { return Err(refused()) };
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<IpAddr> = match literal.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => {
            let port = url.port_or_known_default().unwrap_or(443);
            match tokio::net::lookup_host((host, port)).await {
                Ok(found) => found.map(|a| a.ip()).collect(),
                Err(_) => return Err(format!("`{host}` does not resolve")),
            }
        }
    };
    if addresses.is_empty() || addresses.iter().any(|ip| is_private(*ip)) {
        return Err(refused());
    }
    Ok(())
}

/// Whether an address is not a public one: loopback, private (RFC 1918, unique local),
/// link-local, shared (carrier-grade NAT), unspecified, broadcast or documentation.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                || a.is_documentation()
                || (a.octets()[0] == 100 && (a.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(a) => {
            a.is_loopback()
                || a.is_unspecified()
                || (a.segments()[0] & 0xfe00) == 0xfc00
                || (a.segments()[0] & 0xffc0) == 0xfe80
                || a.to_ipv4_mapped().is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// A resolver that drops every non-public address, so no connection reaches one.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.filter(|a| !is_private(a.ip())).collect();
            if found.is_empty() {
                return Err(format!("refused: `{host}` resolves to no public address").into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// The body a webhook receives: the stored message with its idempotency key and
/// topic.
pub fn webhook_body(delivery: &Delivery) -> Vec<u8> {
    let mut body = delivery.payload.clone();
    if let Value::Object(map) = &mut body {
        map.insert("delivery".into(), json!(delivery.idempotency_key));
        map.insert("topic".into(), json!(delivery.topic));
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

async fn post(client: &reqwest::Client, hook: &Webhook, delivery: &Delivery) -> Result<(), String> {
    let body = webhook_body(delivery);
    let timestamp = Utc::now().timestamp();
    let signature = sign(hook.secret.as_bytes(), timestamp, &body);
    let response = client
        .post(&hook.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(DELIVERY_HEADER, &delivery.idempotency_key)
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, signature)
        .header("X-Vulnrelay-Topic", &delivery.topic)
        .body(body)
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("the receiver answered {}", response.status()))
    }
}

/// Starts the worker on the current runtime; it stops when `shutdown` completes.
pub fn spawn(
    state: App,
    config: WorkerConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(Worker::new(state, config).run(shutdown))
}
