//! `vulnrelay demo --federated`: four instances on consecutive ports replay the
//! reporting chain; the test reads what the binary prints until it serves, then stops it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// A port with the three after it free (probed by binding; another process may still
/// take one meanwhile, which fails the run with a clear `binding` error).
fn free_ports() -> u16 {
    loop {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let first = probe.local_addr().unwrap().port();
        if first > 65000 {
            continue;
        }
        drop(probe);
        if (first..first + 4).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()) {
            return first;
        }
    }
}

#[test]
fn the_federated_demo_relays_the_report_and_brings_cnvds_verification_back() {
    let port = free_ports();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vulnrelay"))
        .args(["demo", "--federated", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("serving until Ctrl-C");
        lines.push(line);
        if done {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let text = lines.join("\n");
    assert!(text.contains("serving until Ctrl-C"), "{text}");
    for (i, name) in ["Alibaba Cloud's PSIRT", "MIIT's NVDB", "CNVD", "CNNVD"].iter().enumerate() {
        assert!(text.contains(&format!("{name} — http://127.0.0.1:{}", port + i as u16)), "{text}");
    }
    assert!(text.contains("analyst@cnvd.example"), "{text}");
    assert!(text.contains("MIIT's instance signs a receipt: received at"), "{text}");
    assert!(text.contains("shows CNVD's verification"), "{text}");
}
