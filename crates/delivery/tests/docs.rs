//! The verification snippet in docs/webhooks.md works: it is run with python3 against
//! signatures this crate makes, and refuses a tampered body.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn python_snippet() -> String {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/webhooks.md")).unwrap();
    let start = docs.find("```python\n").expect("a Python block") + "```python\n".len();
    let end = start + docs[start..].find("```").expect("closed block");
    docs[start..end].to_owned()
}

#[test]
fn the_documented_python_verifier_accepts_our_signatures_and_refuses_tampering() {
    // The documented receiver checks the timestamp against its own clock, so the
    // signature must be made now (a test, not the crate's code, reads the clock).
    #[allow(clippy::disallowed_methods)]
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let secret = "whsec_docs";
    let body = r#"{"warning":"CVE-2021-44228","unit":"bank-1"}"#;
    let signature = vulnrelay_delivery::sign(secret.as_bytes(), now, body.as_bytes());
    let script = format!(
        "{}\nimport sys\nsecret, ts, body, sig = sys.argv[1:5]\nprint(verify(secret.encode(), ts, body.encode(), sig))\n",
        python_snippet()
    );
    let run = |body: &str| {
        let output = Command::new("python3")
            .args(["-c", &script, secret, &now.to_string(), body, &signature])
            .output()
            .expect("python3 runs (installed by .ci/run)");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    assert_eq!(run(body), "True");
    assert_eq!(run(r#"{"warning":"none","unit":"bank-1"}"#), "False");
}
