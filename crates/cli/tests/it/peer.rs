//! `vulnrelay peer`: the instance's identity, and peers added (the fingerprint checked),
//! listed and removed.

use assert_cmd::Command;

fn vulnrelay(database: &str, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("vulnrelay").unwrap().args(["peer", "--database", database]).args(args).assert()
}

#[test]
fn identity_add_list_remove() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("peer.db").display());
    // The key is made beside the database at first use and read back after.
    let first = vulnrelay(&database, &["identity"]).success().get_output().stdout.clone();
    let again = vulnrelay(&database, &["identity"]).success().get_output().stdout.clone();
    assert_eq!(first, again);
    assert!(dir.path().join("peer.db.federation-key").exists());

    let key = vulnrelay_federation::Identity::from_seed([2; 32]);
    let public = key.public_key();
    let add = |fingerprint: &str| {
        let args = ["add", "nvdb", "--url", "https://nvdb.example", "--public-key", &public];
        let tail = ["--fingerprint", fingerprint, "--org", "miit-nvdb"];
        vulnrelay(&database, &[&args[..], &tail[..]].concat())
    };
    // A fingerprint read out wrong is refused, nothing stored.
    add("SHA256:00").failure();
    vulnrelay(&database, &["add", "nvdb", "--url", "not a url", "--public-key", "xyz"]).failure();
    add(&key.fingerprint()).success();
    let listed = vulnrelay(&database, &["list", "--format", "json"]).success().get_output().stdout.clone();
    let listed: serde_json::Value = serde_json::from_slice(&listed).unwrap();
    assert_eq!(listed[0]["id"], "nvdb");
    assert_eq!(listed[0]["orgs"][0], "miit-nvdb");
    assert_eq!(listed[0]["fingerprint"], key.fingerprint());
    vulnrelay(&database, &["remove", "nvdb"]).success();
    vulnrelay(&database, &["remove", "nvdb"]).failure();
    let listed = vulnrelay(&database, &["list", "--format", "json"]).success().get_output().stdout.clone();
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&listed).unwrap(), serde_json::json!([]));
}
