//! `vulnrelay serve`: the platform server.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use vulnrelay_domain::AccountRole;
use vulnrelay_server::{AppState, Config, Forwarding};
use vulnrelay_store::{NewAccount, Status, Store};

/// Where the database is when none is given: a SQLite file in the working directory.
pub const DEFAULT_DATABASE: &str = "sqlite:vulnrelay.db";

/// Runs the platform server: REST API under /api/v1, /healthz, /metrics.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The database: `sqlite:PATH` (created if missing) or `postgres://...`.
    #[arg(long, env = "VULNRELAY_DATABASE_URL", default_value = DEFAULT_DATABASE)]
    pub database: String,
    /// The most connections this process opens to a PostgreSQL database (default 16; at
    /// least 4). Every process of a deployment opens its own: keep their sum under the
    /// server's `max_connections`, and near a few per core of the database server, past
    /// which more connections queue on its cores rather than add work done. SQLite's
    /// pools keep their own sizes.
    #[arg(long, env = "VULNRELAY_DB_CONNECTIONS", value_name = "N", value_parser = clap::value_parser!(u32).range(4..))]
    pub db_connections: Option<u32>,

    /// The address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, env = "VULNRELAY_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// The platform that receives reports no membership route assigns (an organisation id).
    #[arg(long, env = "VULNRELAY_DEFAULT_PLATFORM")]
    pub default_platform: Option<String>,

    /// Forwarding rules of the reporting chain (JSON: member_routes and rules).
    #[arg(long, value_name = "FILE")]
    pub forwarding: Option<PathBuf>,

    /// Create an administrator account with this e-mail address and print a one-time password.
    #[arg(long, value_name = "EMAIL")]
    pub init_admin: Option<String>,

    /// Log format on standard error.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// The URL the platform is reached at, for the CSAF provider metadata and the feed
    /// (default: the address it listens on; never the request's `Host` header).
    #[arg(long, env = "VULNRELAY_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// The Ed25519 key that signs checkpoints of the hash chains' heads (made at first
    /// start when the file does not exist). Default: beside a SQLite database
    /// (`PATH.checkpoint-key`), `vulnrelay-checkpoint.key` for PostgreSQL. Keep it, or a
    /// copy, where whoever holds the database cannot reach it.
    #[arg(long, env = "VULNRELAY_CHECKPOINT_KEY", value_name = "FILE")]
    pub checkpoint_key: Option<PathBuf>,

    /// The OpenPGP secret key (armoured, without a passphrase) that signs every CSAF
    /// document the provider serves; its public part is published under
    /// `/.well-known/csaf/openpgp/`. Made (Ed25519) at first start when the file does not
    /// exist. Default: beside a SQLite database (`PATH.csaf-key.asc`),
    /// `vulnrelay-csaf-key.asc` for PostgreSQL.
    #[arg(long, env = "VULNRELAY_CSAF_KEY", value_name = "FILE")]
    pub csaf_key: Option<PathBuf>,

    /// The Ed25519 key of this instance in the federation: its id, which signs relay
    /// envelopes and receipts (made at first start when the file does not exist).
    /// Default: beside a SQLite database (`PATH.federation-key`),
    /// `vulnrelay-federation.key` for PostgreSQL.
    #[arg(long, env = "VULNRELAY_FEDERATION_KEY", value_name = "FILE")]
    pub federation_key: Option<PathBuf>,

    /// An organisation this instance operates, published in
    /// `/.well-known/vulnrelay.json` (repeat for several).
    #[arg(long = "operates", value_name = "ORG")]
    pub operates: Vec<String>,

    /// The CNA organisation UUID (from the CVE Program) written into CVE records.
    #[arg(long, env = "VULNRELAY_CNA_ORG_ID")]
    pub cna_org_id: Option<String>,

    /// The CNA short name written into CVE records.
    #[arg(long, env = "VULNRELAY_CNA_SHORT_NAME")]
    pub cna_short_name: Option<String>,

    /// Set a rule's deadline where its policy allows configuration, e.g. the
    /// cooperating-unit scheme's report: `cn-miit-member/member-report-2d=3d` (N in days
    /// `d` or hours `h`). Repeat for several.
    #[arg(long, value_name = "POLICY/RULE=N")]
    pub deadline: Vec<String>,

    /// Remind the vendors on a case that have not answered, through the delivery
    /// worker: `AFTER,EVERY` days (first after AFTER days of silence, then every EVERY
    /// days), unless the case sets its own schedule. Default: only on cases that do.
    #[arg(long, value_name = "AFTER,EVERY")]
    pub vendor_reminders: Option<String>,

    /// The delivery worker (risk warnings, reminders, webhooks).
    #[command(flatten)]
    pub worker: super::delivery::WorkerArgs,
}

/// `AFTER,EVERY` (days, each 1 to 365) as a reminder schedule.
fn parse_schedule(text: &str) -> anyhow::Result<vulnrelay_store::ReminderSchedule> {
    let days = |part: &str| -> anyhow::Result<i64> {
        let n: i64 = part.trim().parse().map_err(|_| anyhow::anyhow!("`{part}` is not a number of days"))?;
        anyhow::ensure!((1..=365).contains(&n), "{n} days: between 1 and 365");
        Ok(n)
    };
    let (after, every) = text.split_once(',').unwrap_or((text, text));
    Ok(vulnrelay_store::ReminderSchedule { after_days: days(after)?, every_days: days(every)? })
}

/// How logs are written.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Sets up tracing on standard error (`RUST_LOG` filters; default `info`).
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// The tokio runtime of the server commands.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Binds, prints the address and serves until a signal.
pub async fn listen(bind: &str, state: AppState) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("binding {bind}"))?;
    let address = listener.local_addr()?;
    println!("vulnrelay listening on http://{address}");
    tracing::info!(%address, "listening");
    vulnrelay_server::serve(listener, state, shutdown_signal()).await.context("serving")
}

/// Where the checkpoint key is kept when no `--checkpoint-key` is given: beside a
/// SQLite database file, else in the working directory.
pub fn default_checkpoint_key(database: &str) -> PathBuf {
    beside_database(database, "checkpoint-key", "vulnrelay-checkpoint.key")
}

/// Where the federation key is kept when no `--federation-key` is given: beside a
/// SQLite database file, else in the working directory.
pub fn default_federation_key(database: &str) -> PathBuf {
    beside_database(database, "federation-key", "vulnrelay-federation.key")
}

/// Where the CSAF signing key is kept when no `--csaf-key` is given: beside a SQLite
/// database file, else in the working directory.
pub fn default_csaf_key(database: &str) -> PathBuf {
    beside_database(database, "csaf-key.asc", "vulnrelay-csaf-key.asc")
}

/// `PATH.suffix` beside a SQLite database file `PATH`, else `otherwise` (PostgreSQL, or
/// a database in memory).
fn beside_database(database: &str, suffix: &str, otherwise: &str) -> PathBuf {
    let is_postgres = database.starts_with("postgres://") || database.starts_with("postgresql://");
    match database.strip_prefix("sqlite:").or((!is_postgres).then_some(database)) {
        Some(path) if !path.is_empty() && !path.starts_with(':') => PathBuf::from(format!("{path}.{suffix}")),
        _ => PathBuf::from(otherwise),
    }
}

/// The user id of an OpenPGP key the server makes for signing CSAF documents.
pub const CSAF_KEY_USER_ID: &str = "vulnrelay CSAF provider";

/// Runs the command.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging(args.log_format);
    let forwarding = match &args.forwarding {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            Forwarding::from_json(&text)
                .with_context(|| format!("reading forwarding rules {}", path.display()))?
        }
        None => Forwarding::default(),
    };
    runtime()?.block_on(async {
        let store = vulnrelay_store::connect_sized(&args.database, args.db_connections)
            .await
            .with_context(|| format!("opening {}", args.database))?;
        if let Some(email) = &args.init_admin {
            let password = init_admin(&*store, email).await?;
            println!("administrator {email} created; one-time password: {password}");
        }
        let defaults = Config::default();
        let mut policy = vulnrelay_policy::Settings::default();
        for text in &args.deadline {
            let (rule, deadline) = crate::commands::check::parse_deadline(text)?;
            policy.deadlines.insert(rule, deadline);
        }
        let packs = vulnrelay_policy::builtin_packs()
            .map_err(|(file, e)| anyhow::anyhow!("shipped pack {file}: {e}"))?;
        policy.check(&packs).map_err(|problems| anyhow::anyhow!("{}", problems.join("; ")))?;
        let config = Config {
            policy,
            default_platform: args.default_platform.clone(),
            forwarding,
            public_url: args.public_url.clone(),
            allow_private_webhooks: args.worker.webhook_allow_private_networks,
            cna_org_id: args.cna_org_id.clone().unwrap_or(defaults.cna_org_id.clone()),
            cna_short_name: args.cna_short_name.clone().unwrap_or(defaults.cna_short_name.clone()),
            coordination_reminders: args.vendor_reminders.as_deref().map(parse_schedule).transpose()?,
            ..defaults
        };
        let state = AppState::new(store, config);
        let key_path = args.checkpoint_key.clone().unwrap_or_else(|| default_checkpoint_key(&args.database));
        let signer = vulnrelay_store::checkpoint::Signer::load_or_create(&key_path)
            .with_context(|| format!("the checkpoint key {}", key_path.display()))?;
        tracing::info!(key = %key_path.display(), public_key = %signer.public_key(), "checkpoints are signed with this key");
        state.sign_checkpoints_with(signer);
        let csaf_key = args.csaf_key.clone().unwrap_or_else(|| default_csaf_key(&args.database));
        let csaf_signer = vulnrelay_server::distribution::load_or_create_csaf_key(&csaf_key, CSAF_KEY_USER_ID)
            .with_context(|| format!("the CSAF signing key {}", csaf_key.display()))?;
        tracing::info!(key = %csaf_key.display(), fingerprint = %csaf_signer.fingerprint(), "CSAF documents are signed with this OpenPGP key");
        state.sign_csaf_with(csaf_signer);
        let federation_key = args.federation_key.clone().unwrap_or_else(|| default_federation_key(&args.database));
        let seed = vulnrelay_store::checkpoint::load_or_create_seed(&federation_key)
            .with_context(|| format!("the federation key {}", federation_key.display()))?;
        let identity = vulnrelay_federation::Identity::from_seed(seed);
        tracing::info!(key = %federation_key.display(), fingerprint = %identity.fingerprint(), "this instance's federation identity");
        state.federate_as(vulnrelay_server::federation::Instance::new(
            identity,
            args.operates.clone(),
            args.worker.config().timeout,
        ));
        if !args.worker.no_worker {
            // Stopped with the runtime; deliveries in flight are claimed again later.
            vulnrelay_server::worker::spawn(state.app.clone(), args.worker.config(), std::future::pending());
        }
        listen(&args.bind, state).await
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Creates an administrator account with a random password and returns the password.
pub async fn init_admin(store: &dyn Store, email: &str) -> anyhow::Result<String> {
    let password = vulnrelay_server::auth::new_secret("")[..24].to_owned();
    let hash = vulnrelay_server::auth::hash_password(&password)?;
    let new = NewAccount {
        email: email.to_owned(),
        name: "Administrator".into(),
        password_hash: hash,
        org_id: None,
        roles: vec![AccountRole::Admin],
        status: Status::Active,
    };
    store.create_account(&new, chrono::Utc::now()).await.with_context(|| format!("creating {email}"))?;
    Ok(password)
}
