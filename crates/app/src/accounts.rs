//! Accounts and organisations as the API shows them (never a password hash), and the
//! fields of a new account or organisation read from a request, every problem at once.

use serde_json::{Value, json};
use vulnrelay_domain::{Jurisdiction, Role};
use vulnrelay_store::{Account, Organisation, Status};

use crate::input::Checker;

/// An account as shown to clients (never its password hash).
pub fn account_json(account: &Account) -> Value {
    json!({
        "id": account.id,
        "email": account.email,
        "name": account.name,
        "org": account.org_id,
        "roles": account.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "status": account.status.as_str(),
    })
}

/// An organisation as shown to clients.
pub fn org_json(org: &Organisation) -> Value {
    json!({
        "id": org.id,
        "name": org.name,
        "name_zh": org.name_zh,
        "roles": org.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "jurisdiction": org.jurisdiction.as_str(),
        "kind": if org.individual { "individual" } else { "organisation" },
        "status": org.status.as_str(),
    })
}

/// Reads `{email, name, password}` of a new account.
pub fn account_fields(check: &mut Checker, value: &Value, path: &str) -> Option<(String, String, String)> {
    let object = check.object(value, path, &["email", "name", "password", "org", "roles"])?;
    let email = check.string(object, path, "email", true);
    let name = check.string(object, path, "name", true);
    let password = check.string(object, path, "password", true);
    if let Some(email) = email
        && !email.contains('@')
    {
        check.problem(format!("{path}.email"), "not an e-mail address");
    }
    if let Some(password) = password
        && password.chars().count() < 12
    {
        check.problem(format!("{path}.password"), "must be at least 12 characters");
    }
    Some((email?.to_owned(), name?.to_owned(), password?.to_owned()))
}

/// Reads `{id, name, name_zh, jurisdiction, roles}` of a new organisation (`name_zh`,
/// its Chinese name, optional).
pub fn org_fields(check: &mut Checker, value: &Value, path: &str, individual: bool) -> Option<Organisation> {
    let object = check.object(value, path, &["id", "name", "name_zh", "jurisdiction", "roles"])?;
    let id = check.string(object, path, "id", true);
    let name = check.string(object, path, "name", true);
    let name_zh = check.string(object, path, "name_zh", false).map(str::trim).filter(|n| !n.is_empty());
    if let Some(id) = id
        && !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        check.problem(format!("{path}.id"), "use lower-case letters, digits and hyphens");
    }
    let jurisdiction = check.string(object, path, "jurisdiction", true).and_then(|j| {
        j.parse::<Jurisdiction>()
            .map_err(|e| check.problem(format!("{path}.jurisdiction"), e.to_string()))
            .ok()
    });
    let roles: Vec<Role> = check
        .strings(object, path, "roles", false)
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            r.parse::<Role>().map_err(|e| check.problem(format!("{path}.roles[{i}]"), e.to_string())).ok()
        })
        .collect();
    Some(Organisation {
        id: id?.to_owned(),
        name: name?.to_owned(),
        name_zh: name_zh.map(str::to_owned),
        roles,
        jurisdiction: jurisdiction?,
        individual,
        status: Status::Pending,
        created_at: chrono::Utc::now(),
    })
}
