//! Helpers the CLI's integration tests share: the workspace root and a real
//! `vulnrelay serve` process.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

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
