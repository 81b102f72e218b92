//! `vulnrelay peer`: this instance's federation identity and the peers it relays
//! cases with (docs/federation.md).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::commands::serve::{DEFAULT_DATABASE, default_federation_key, runtime};

/// Shows this instance's identity; adds, lists and removes peers.
#[derive(Debug, clap::Args)]
pub struct PeerArgs {
    /// The database: `sqlite:PATH` or `postgres://...`.
    #[arg(long, env = "VULNRELAY_DATABASE_URL", default_value = DEFAULT_DATABASE, global = true)]
    pub database: String,

    #[command(subcommand)]
    pub command: PeerCommand,
}

/// What to do.
#[derive(Debug, clap::Subcommand)]
pub enum PeerCommand {
    /// Print this instance's public key and fingerprint (made at first use, like
    /// `serve` does), to give to the operators of peers out of band.
    Identity {
        /// The federation key file (default: beside a SQLite database).
        #[arg(long, env = "VULNRELAY_FEDERATION_KEY", value_name = "FILE")]
        federation_key: Option<PathBuf>,
    },
    /// Record a peer: its base URL, its public key (64 hex digits, exchanged out of
    /// band) and the organisations it hosts.
    Add {
        /// A short name for it (`nvdb`).
        id: String,
        /// Its base URL (`https://vulnrelay.nvdb.example`).
        #[arg(long)]
        url: String,
        /// Its Ed25519 public key, hex (its `/.well-known/vulnrelay.json` `instance`).
        #[arg(long)]
        public_key: String,
        /// The fingerprint the peer's operator read out (`SHA256:...`); refused if the
        /// key's differs.
        #[arg(long)]
        fingerprint: Option<String>,
        /// An organisation it hosts (repeat): remote here.
        #[arg(long = "org")]
        orgs: Vec<String>,
    },
    /// List the peers.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Remove a peer: nothing more is accepted from it.
    Remove {
        /// The peer's name.
        id: String,
    },
}

/// Output format of `peer list`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// One line per peer.
    Table,
    /// JSON.
    Json,
}

/// Runs the command.
pub fn run(args: PeerArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        if let PeerCommand::Identity { federation_key } = &args.command {
            let path = federation_key.clone().unwrap_or_else(|| default_federation_key(&args.database));
            let seed = vulnrelay_store::checkpoint::load_or_create_seed(&path)
                .with_context(|| format!("the federation key {}", path.display()))?;
            let identity = vulnrelay_federation::Identity::from_seed(seed);
            println!("public key   {}", identity.public_key());
            println!("fingerprint  {}", identity.fingerprint());
            println!("key file     {}", path.display());
            return Ok(ExitCode::SUCCESS);
        }
        let store = vulnrelay_store::connect(&args.database)
            .await
            .with_context(|| format!("opening {}", args.database))?;
        match args.command {
            PeerCommand::Identity { .. } => {}
            PeerCommand::Add { id, url, public_key, fingerprint, orgs } => {
                let public_key = public_key.trim().to_lowercase();
                if let Err(problems) = vulnrelay_server::federation::check_peer(&id, &url, &public_key, &orgs) {
                    let text: Vec<String> = problems.iter().map(|(p, m)| format!("{p}: {m}")).collect();
                    bail!("{}", text.join("; "));
                }
                let actual = vulnrelay_federation::fingerprint(&public_key);
                if let Some(expected) = fingerprint
                    && expected.trim() != actual
                {
                    bail!("the key's fingerprint is {actual}, not {expected}: check the key with the peer's operator");
                }
                let peer = vulnrelay_store::federation::Peer { id, url, public_key, orgs, created_at: chrono::Utc::now() };
                store.add_peer(&peer).await.with_context(|| format!("adding peer {}", peer.id))?;
                println!("peer {} added ({actual})", peer.id);
            }
            PeerCommand::List { format } => {
                let peers = store.peers().await?;
                match format {
                    Format::Json => {
                        let items: Vec<_> = peers.iter().map(vulnrelay_server::federation::peer_json).collect();
                        println!("{}", serde_json::to_string_pretty(&items)?);
                    }
                    Format::Table => {
                        for p in &peers {
                            println!(
                                "{}\t{}\t{}\t{}",
                                p.id,
                                p.url,
                                vulnrelay_federation::fingerprint(&p.public_key),
                                p.orgs.join(",")
                            );
                        }
                    }
                }
            }
            PeerCommand::Remove { id } => {
                store.remove_peer(&id).await.with_context(|| format!("removing peer {id}"))?;
                println!("peer {id} removed");
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
