//! Helpers the CLI's integration tests share: the workspace root, a real
//! `vulnrelay serve` process, and the lock that keeps the heavy tests apart.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// Held by each heavy test from start to end, so that no two of them run at once: those
/// that start several `vulnrelay serve` processes on one PostgreSQL or kill a loaded
/// server with SIGKILL (durability, the 10,000 warnings, the two three-server tests).
/// In one test binary libtest runs tests on parallel threads of one process, where the
/// durability and many-servers tests each had a binary of their own before. Each server
/// process keeps a pool of up to 16 PostgreSQL connections, so two three-server tests at
/// once (with the tests' own pools) could pass PostgreSQL's default of 100 connections
/// on a machine with more cores; and each of these tests keeps the cores busy for a long
/// while, slowing the others' deadline-bound waits. A Tokio mutex: held across awaits,
/// and a failed test does not poison it for the next.
pub static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Starts `vulnrelay serve --database url` on a free local port with `args` added and
/// `RUST_LOG=log`; returns the child and the base URL it printed.
pub fn serve(url: &str, args: &[&str], log: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vulnrelay"))
        .args(["serve", "--database", url, "--bind", "127.0.0.1:0"])
        .args(args)
        .env("RUST_LOG", log)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vulnrelay serve");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let address = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(address.starts_with("http://127.0.0.1:"), "{line}");
    (child, address)
}
