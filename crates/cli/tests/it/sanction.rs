//! `vulnrelay sanction` against a real database holding the demo: the same workflow
//! and refusals as the API, from the shell.

use std::process::Command;

use serde_json::Value;
use vulnrelay_store::testing::{TestDb, for_each_backend};

fn vulnrelay(url: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_vulnrelay"))
        .arg("sanction")
        .args(args)
        .args(["--database", url])
        .output()
        .expect("run vulnrelay");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspend_report_and_review_from_the_shell() {
    for_each_backend(|db: TestDb| async move {
        let demo = vulnrelay_server::demo::load(&db.store).await.unwrap();
        let url = db.url.clone();
        let case = demo.case_id.clone();
        let analyst = "analyst@nvdb.miit.example";
        let unit = "security@alibaba-cloud.example";
        let common = ["--org", "alibaba-cloud", "--scheme", "miit-threat-sharing"];
        let run = |args: Vec<&str>| vulnrelay(&url, &args);
        // A unit's own account cannot decide a sanction.
        let (ok, _, err) = run([
            &["decide"][..],
            &common,
            &[
                "--by",
                unit,
                "--kind",
                "warning",
                "--reason",
                "r",
                "--case",
                &case,
                "--finding",
                "cn-miit-member/member-report-2d",
            ],
        ]
        .concat());
        assert!(!ok && err.contains("not an analyst"), "{err}");
        // A finding that does not stand is named.
        let (ok, _, err) = run([
            &["decide"][..],
            &common,
            &[
                "--by",
                analyst,
                "--kind",
                "warning",
                "--reason",
                "r",
                "--case",
                &case,
                "--finding",
                "cn-rmsv-2021/art7-2-report",
            ],
        ]
        .concat());
        assert!(!ok && err.contains("$.basis[0].rule"), "{err}");
        let suspend = [
            &["decide"][..],
            &common,
            &[
                "--by",
                analyst,
                "--kind",
                "suspension",
                "--reason",
                "late report",
                "--case",
                &case,
                "--finding",
                "cn-miit-member/member-report-2d",
                "--at",
                "2025-01-01T00:00:00Z",
                "--months",
                "6",
                "--public",
            ],
        ]
        .concat();
        let (ok, out, err) = run(suspend);
        assert!(ok, "{err}");
        assert!(out.contains("alibaba-cloud is now awaiting_review"), "{out}");
        let (ok, _, err) =
            run([&["review"][..], &common, &["--by", analyst, "--outcome", "restore", "--note", "ok"]]
                .concat());
        assert!(!ok && err.contains("no rectification report"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.txt");
        std::fs::write(&report, "整改报告: reporting within 2 days is now part of the process").unwrap();
        let report_arg = format!("@{}", report.display());
        let (ok, _, err) =
            run([&["rectify"][..], &common, &["--by", unit, "--report", &report_arg]].concat());
        assert!(ok, "{err}");
        let (ok, out, err) =
            run([&["review"][..], &common, &["--by", analyst, "--outcome", "restore", "--note", "accepted"]]
                .concat());
        assert!(ok && out.contains("is now active"), "{out}{err}");
        let (ok, out, err) = run(vec!["log", "--org", "alibaba-cloud"]);
        assert!(ok, "{err}");
        let log: Value = serde_json::from_str(&out).unwrap();
        let entries = log["log"].as_array().unwrap();
        assert_eq!(entries.len(), 7, "the demo's four entries and these three");
        assert!(entries[5]["report"].as_str().unwrap().starts_with("整改报告"));
        assert_eq!(log["memberships"][0]["status"], "active");
    })
    .await;
}

/// `vulnrelay verify --checkpoints`: the heads the server signed match the chains; a
/// chain that no longer has its signed head (rewritten whole, every hash recomputed) is
/// named, and a checkpoint signed by another key is no evidence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_checks_the_signed_checkpoints_of_the_chains() {
    for_each_backend(|db: TestDb| async move {
        use vulnrelay_store::checkpoint::Signer;
        let demo = vulnrelay_server::demo::load(&db.store).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("checkpoint.key");
        let signer = Signer::load_or_create(&key).unwrap();
        let signed = db.store.sign_heads(&signer, chrono::Utc::now()).await.unwrap();
        assert!(signed >= 2, "the case's events and the organisation's log: {signed}");
        assert_eq!(db.store.sign_heads(&signer, chrono::Utc::now()).await.unwrap(), 0, "each head once");
        let verify = |args: &[&str]| {
            let output = Command::new(env!("CARGO_BIN_EXE_vulnrelay"))
                .args(["verify", "--database", &db.url])
                .args(args)
                .output()
                .expect("run vulnrelay");
            (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned())
        };
        let key_arg = key.to_str().unwrap();
        let (code, out) = verify(&["--checkpoints", "--checkpoint-key", key_arg]);
        assert_eq!(code, Some(0), "{out}");
        assert!(out.contains(&format!("ok: {signed} signed checkpoints match their chains")), "{out}");
        // A head the server signed earlier, which the chain no longer has: what a
        // rewrite of the whole chain (every hash recomputed) leaves behind.
        let chain = format!("case/{}", demo.case_id);
        let earlier = db.store.events(&demo.case_id).await.unwrap().len() as i64 - 1;
        db.store
            .save_checkpoint(&signer.sign(&chain, earlier, &"0".repeat(64), chrono::Utc::now()))
            .await
            .unwrap();
        let (code, out) = verify(&["--checkpoints", "--checkpoint-key", key_arg]);
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains(&format!("BROKEN: case {chain} event {earlier}: the chain's hash differs")),
            "{out}"
        );
        // Another key's checkpoints are not evidence; the plain walk still holds.
        let other = Signer::from_seed([3; 32]);
        let (code, out) = verify(&["--checkpoints", "--public-key", &other.public_key()]);
        assert_eq!(code, Some(0), "{out}");
        assert!(out.contains("no checkpoint signed by this key"), "{out}");
        assert_eq!(verify(&[]).0, Some(0));
    })
    .await;
}
