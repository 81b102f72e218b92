//! `vulnrelay demo`: a server on a fresh database loaded with the Log4Shell story.

use std::process::ExitCode;

use anyhow::Context;
use vulnrelay_server::{AppState, Config, Forwarding};

use crate::commands::serve::{LogFormat, init_logging, listen, runtime};

/// Starts a demo server: a fresh database with the Log4Shell story, the organisations of
/// the Chinese reporting chain and accounts whose credentials are printed.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// Log format on standard error.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Start four federated instances on consecutive ports from `--bind` (Alibaba
    /// Cloud's PSIRT, MIIT's NVDB, CNVD, CNNVD), peered with each other, and replay the
    /// reporting chain across them.
    #[arg(long)]
    pub federated: bool,
}

/// Runs the command.
pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    init_logging(args.log_format);
    if args.federated {
        runtime()?.block_on(crate::commands::federated::run(&args.bind))?;
        return Ok(ExitCode::SUCCESS);
    }
    let dir = tempfile::tempdir().context("creating a directory for the demo database")?;
    let path = dir.path().join("demo.db");
    runtime()?.block_on(async {
        let store = vulnrelay_store::connect(&format!("sqlite:{}", path.display())).await?;
        let demo = vulnrelay_server::demo::load(&store).await?;
        let notifying = vulnrelay_server::regimes::load_all(&store, chrono::Utc::now()).await?;
        println!("vulnrelay demo: the Log4Shell story is case {}", demo.case_id);
        if let [(both, _), (eu, _)] = notifying.as_slice() {
            println!("vulnrelay demo: a Chinese vendor on the EU market (both regimes) is case {both}");
            println!("vulnrelay demo: an EU camera maker with an early warning to send is case {eu}");
        }
        println!("accounts (sign in with POST /api/v1/session, or create a token with POST /api/v1/tokens):");
        for account in demo.accounts.iter().chain(notifying.iter().map(|(_, account)| account)) {
            let roles: Vec<&str> = account.roles.iter().map(|r| r.as_str()).collect();
            println!(
                "  {:<34} {:<22} {:<16} {}",
                account.email,
                account.password,
                account.org,
                roles.join(",")
            );
        }
        let config = Config {
            default_platform: Some("miit-nvdb".into()),
            forwarding: Forwarding::cn_chain(),
            // The demo's receivers run beside it, on this machine.
            allow_private_webhooks: true,
            ..Config::default()
        };
        let state = AppState::new(store, config);
        let signer =
            vulnrelay_store::checkpoint::Signer::load_or_create(&dir.path().join("demo.checkpoint-key"))
                .context("the demo's checkpoint key")?;
        state.sign_checkpoints_with(signer);
        let csaf_key = vulnrelay_server::distribution::load_or_create_csaf_key(
            &dir.path().join("demo.csaf-key.asc"),
            crate::commands::serve::CSAF_KEY_USER_ID,
        )
        .context("the demo's CSAF signing key")?;
        state.sign_csaf_with(csaf_key);
        state.sign_heads().await;
        let worker =
            vulnrelay_server::worker::WorkerConfig { deny_private_networks: false, ..Default::default() };
        vulnrelay_server::worker::spawn(state.app.clone(), worker, std::future::pending());
        listen(&args.bind, state).await
    })?;
    drop(dir);
    Ok(ExitCode::SUCCESS)
}
