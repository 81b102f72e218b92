//! `vulnrelay admin`: bootstrap an installation from the shell.

use std::process::ExitCode;

use anyhow::{Context, bail};
use vulnrelay_domain::{AccountRole, Jurisdiction, Role};
use vulnrelay_store::{NewAccount, Organisation, Status};

use crate::commands::serve::{DEFAULT_DATABASE, init_admin, runtime};

/// Creates organisations, accounts and API tokens directly in the database.
#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    /// The database: `sqlite:PATH` or `postgres://...`.
    #[arg(long, env = "VULNRELAY_DATABASE_URL", default_value = DEFAULT_DATABASE, global = true)]
    pub database: String,

    #[command(subcommand)]
    pub command: AdminCommand,
}

/// What to create (the names are the documented `create-*` subcommands).
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::enum_variant_names)]
pub enum AdminCommand {
    /// Create an organisation.
    CreateOrg {
        /// Its party id (lower-case letters, digits, hyphens).
        #[arg(long)]
        id: String,
        /// Its name.
        #[arg(long)]
        name: String,
        /// ISO 3166-1 alpha-2 code of where it is established.
        #[arg(long)]
        jurisdiction: String,
        /// A role in the party vocabulary (repeat for several).
        #[arg(long = "role")]
        roles: Vec<String>,
    },
    /// Create an account; prints a generated password once.
    CreateUser {
        /// Login e-mail address.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Its organisation's id.
        #[arg(long)]
        org: Option<String>,
        /// An account role: reporter, analyst, vendor_contact, coordinator, subscriber, admin (repeat).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// Create an API token for an account; prints it once.
    CreateToken {
        /// The account's e-mail address.
        #[arg(long)]
        email: String,
        /// A name for the token.
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// Create an administrator account without an organisation; prints its password once.
    CreateAdmin {
        /// Login e-mail address.
        #[arg(long)]
        email: String,
    },
}

/// Runs the command.
pub fn run(args: AdminArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = vulnrelay_store::connect(&args.database)
            .await
            .with_context(|| format!("opening {}", args.database))?;
        let now = chrono::Utc::now();
        match args.command {
            AdminCommand::CreateOrg { id, name, jurisdiction, roles } => {
                let roles = roles.iter().map(|r| r.parse::<Role>()).collect::<Result<Vec<_>, _>>()?;
                let jurisdiction = jurisdiction.parse::<Jurisdiction>()?;
                let org = Organisation {
                    id: id.clone(),
                    name,
                    name_zh: None,
                    roles,
                    jurisdiction,
                    individual: false,
                    status: Status::Active,
                    created_at: now,
                };
                store.create_org(&org).await.with_context(|| format!("creating organisation {id}"))?;
                println!("organisation {id} created");
            }
            AdminCommand::CreateUser { email, name, org, roles } => {
                let roles = roles
                    .iter()
                    .map(|r| r.parse::<AccountRole>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(anyhow::Error::msg)?;
                let password = vulnrelay_server::auth::new_secret("")[..24].to_owned();
                let hash = vulnrelay_server::auth::hash_password(&password)?;
                let new = NewAccount {
                    email: email.clone(),
                    name,
                    password_hash: hash,
                    org_id: org,
                    roles,
                    status: Status::Active,
                };
                store.create_account(&new, now).await.with_context(|| format!("creating account {email}"))?;
                println!("account {email} created; password (shown once): {password}");
            }
            AdminCommand::CreateToken { email, name } => {
                let account = store
                    .account_by_email(&email)
                    .await
                    .with_context(|| format!("finding account {email}"))?;
                if account.status != Status::Active {
                    bail!("account {email} is not active");
                }
                let token = vulnrelay_server::auth::new_secret("vr_");
                store
                    .create_token(&account.id, &name, &vulnrelay_server::auth::secret_hash(&token), now)
                    .await?;
                println!("{token}");
            }
            AdminCommand::CreateAdmin { email } => {
                let password = init_admin(&*store, &email).await?;
                println!("administrator {email} created; one-time password: {password}");
            }
        }
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
