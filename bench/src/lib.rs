//! Shared helpers of the vulnrelay benchmarks.

pub mod bulk;
pub mod dataset;
pub mod disk;
pub mod inventory;
pub mod load;
pub mod plot;

use std::time::{Duration, Instant};

/// Runs `f` `runs` times and returns the fastest wall time with the last result.
pub fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let value = f();
        best = best.min(start.elapsed());
        last = Some(value);
    }
    (best, last.expect("at least one run"))
}

/// An active organisation of generated data (its name says so).
pub fn generated_org(
    id: &str,
    name: String,
    roles: Vec<vulnrelay_domain::Role>,
    jurisdiction: vulnrelay_domain::Jurisdiction,
) -> vulnrelay_store::Organisation {
    vulnrelay_store::Organisation {
        id: id.into(),
        name,
        name_zh: None,
        roles,
        jurisdiction,
        individual: false,
        status: vulnrelay_store::Status::Active,
        created_at: chrono::Utc::now(),
    }
}

/// An active account of `org` with `roles` and an API token for it (the benchmarks'
/// clients): the account and the token.
pub async fn account_with_token(
    store: &dyn vulnrelay_store::Store,
    email: &str,
    org: &str,
    roles: Vec<vulnrelay_domain::AccountRole>,
) -> (vulnrelay_store::Account, String) {
    use vulnrelay_server::auth::{hash_password, new_secret, secret_hash};
    let now = chrono::Utc::now();
    let account = vulnrelay_store::NewAccount {
        email: email.into(),
        name: email.split('@').next().unwrap_or(email).into(),
        password_hash: hash_password("bench password only").expect("hash"),
        org_id: Some(org.into()),
        roles,
        status: vulnrelay_store::Status::Active,
    };
    let account = store.create_account(&account, now).await.expect("account");
    let token = new_secret("vr_");
    store.create_token(&account.id, "bench", &secret_hash(&token), now).await.expect("token");
    (account, token)
}

/// A SQLite store in `dir` holding `vulnerabilities` as records of no case (public), all
/// saved at `at`.
pub async fn sqlite_with_records(
    dir: &std::path::Path,
    vulnerabilities: &[vulnrelay_domain::Vulnerability],
    at: vulnrelay_domain::Timestamp,
) -> std::sync::Arc<dyn vulnrelay_store::Store> {
    let store: std::sync::Arc<dyn vulnrelay_store::Store> = std::sync::Arc::new(
        vulnrelay_store::SqliteStore::open(&dir.join("bench.db")).await.expect("open SQLite"),
    );
    for v in vulnerabilities {
        let value =
            serde_json::to_value(vulnrelay_formats::record::VulnerabilityJson::from(v)).expect("a record");
        store.save_vulnerability(&v.id, None, &value, &[], at).await.expect("save");
    }
    store
}
