//! The `vulnrelay` command.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// vulnrelay: vulnerability reporting and coordinated disclosure with a regulatory clock.
#[derive(Debug, Parser)]
#[command(name = "vulnrelay", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Check(commands::check::CheckArgs),
    /// Read CVE JSON 5, CSAF 2.0, OSV or vulnrelay record files, validated against their schemas.
    Import(commands::records::ImportArgs),
    /// Write vulnerability records as CVE JSON 5.1, CSAF 2.0 or OSV.
    Export(commands::records::ExportArgs),
    /// Scan files and archives for Java components and vulnerable Log4j.
    Scan(commands::scan::ScanArgs),
    /// Run the platform server (REST API, /healthz, /metrics).
    Serve(commands::serve::ServeArgs),
    /// Run a demo server on a fresh database with the Log4Shell story.
    Demo(commands::demo::DemoArgs),
    /// Walk every case's event hash chain and name the first broken link.
    Verify(commands::verify::VerifyArgs),
    /// Create organisations, accounts and API tokens from the shell.
    Admin(commands::admin::AdminArgs),
    /// Decide sanctions, submit rectification reports, record reviews, read an organisation's log.
    Sanction(commands::sanction::SanctionArgs),
    /// Show this instance's federation identity; add, list and remove peer instances.
    Peer(commands::peer::PeerArgs),
    /// Recompute every case's derived views (state, listings, open obligations) from the event log.
    RebuildProjections(commands::projections::RebuildArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => commands::check::run(args),
        Command::Import(args) => commands::records::run_import(args),
        Command::Export(args) => commands::records::run_export(args),
        Command::Scan(args) => commands::scan::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Demo(args) => commands::demo::run(args),
        Command::Verify(args) => commands::verify::run(args),
        Command::Admin(args) => commands::admin::run(args),
        Command::Sanction(args) => commands::sanction::run(args),
        Command::Peer(args) => commands::peer::run(args),
        Command::RebuildProjections(args) => commands::projections::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            anstream::eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
