//! Accounts and organisations as the API shows them (never a password hash), and the
//! request bodies of sign-ins, tokens, new accounts, organisations and registrations,
//! read field by field (every problem at once); signing out, the caller's account and
//! API tokens, self-registration and its approval, and accounts made by administrators.

use serde::Serialize;
use serde_json::{Map, Value, json};
use vulnrelay_domain::{AccountRole, Jurisdiction, Role};
use vulnrelay_store::{Account, NewAccount, Organisation, Status, StoreError};

use crate::App;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::input::{Body, Checker, read_with};
use crate::secrets::{hash_password, new_token, secret_hash};

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
    serde_json::to_value(OrgSummary::of(org)).unwrap_or(Value::Null)
}

/// An organisation as the API shows it. Its fields are declared in the order of their
/// names, the order in which every JSON object of the API is written (`serde_json`'s maps
/// are sorted), so a page of organisations is written straight from these, without a map
/// an organisation, and reads as [`org_json`]'s.
#[derive(Debug, Serialize)]
pub struct OrgSummary<'a> {
    id: &'a str,
    jurisdiction: &'a str,
    kind: &'static str,
    name: &'a str,
    name_zh: Option<&'a str>,
    roles: Vec<&'static str>,
    status: &'static str,
}

impl<'a> OrgSummary<'a> {
    /// The summary of `org`.
    pub fn of(org: &'a Organisation) -> OrgSummary<'a> {
        OrgSummary {
            id: &org.id,
            jurisdiction: org.jurisdiction.as_str(),
            kind: if org.individual { "individual" } else { "organisation" },
            name: &org.name,
            name_zh: org.name_zh.as_deref(),
            roles: org.roles.iter().map(|r| r.as_str()).collect(),
            status: org.status.as_str(),
        }
    }
}

/// Body of `POST /api/v1/session`: a sign-in.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct LoginBody {
    /// The account's e-mail address.
    pub email: String,
    /// Its password.
    pub password: String,
}

impl Body for LoginBody {
    const FIELDS: &'static [&'static str] = &["email", "password"];

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        let email = check.string(object, "$", "email", true);
        let password = check.string(object, "$", "password", true);
        Some(LoginBody { email: email?.to_owned(), password: password?.to_owned() })
    }
}

/// Body of `POST /api/v1/tokens`: a new API token.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct TokenBody {
    /// The token's name, to tell it from the caller's others.
    pub name: String,
}

impl Body for TokenBody {
    const FIELDS: &'static [&'static str] = &["name"];

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        Some(TokenBody { name: check.string(object, "$", "name", true)?.to_owned() })
    }
}

/// The keys of a new account: those of [`AccountBody`]. A registration's `account`
/// allows them too, and reads only the credentials.
const ACCOUNT_FIELDS: &[&str] = &["email", "name", "password", "org", "roles"];

/// Body of `POST /api/v1/accounts`: an active account an administrator creates.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct AccountBody {
    /// The e-mail address it signs in with.
    pub email: String,
    /// The person's name.
    pub name: String,
    /// The password: at least 12 characters.
    pub password: String,
    /// The organisation it acts for, if any.
    pub org: Option<String>,
    /// Its roles, at least one: `reporter`, `analyst`, `vendor_contact`, `coordinator`,
    /// `subscriber` or `admin`.
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<AccountRole>,
}

impl Body for AccountBody {
    const FIELDS: &'static [&'static str] = ACCOUNT_FIELDS;

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        let credentials = credentials(check, object, "$");
        let org = check.string(object, "$", "org", false).map(str::to_owned);
        let roles: Vec<AccountRole> = check
            .non_empty_strings(object, "$", "roles")
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                r.parse::<AccountRole>().map_err(|e| check.problem(format!("$.roles[{i}]"), e)).ok()
            })
            .collect();
        let (email, name, password) = credentials?;
        Some(AccountBody { email, name, password, org, roles })
    }
}

/// The account of a registration: it waits, with its organisation, for an analyst's
/// approval.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct RegistrationAccount {
    /// The e-mail address it will sign in with.
    pub email: String,
    /// The person's name.
    pub name: String,
    /// The password: at least 12 characters.
    pub password: String,
}

impl RegistrationAccount {
    /// Reads the account at `path` of a request (its `org` and `roles`, if any, are
    /// allowed and not read).
    pub fn read_at(check: &mut Checker, value: &Value, path: &str) -> Option<RegistrationAccount> {
        let object = check.object(value, path, ACCOUNT_FIELDS)?;
        let (email, name, password) = credentials(check, object, path)?;
        Some(RegistrationAccount { email, name, password })
    }
}

/// Reads `{email, name, password}` of a new account.
fn credentials(
    check: &mut Checker,
    object: &Map<String, Value>,
    path: &str,
) -> Option<(String, String, String)> {
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

/// Body of `POST /api/v1/orgs`, and the `org` of a registration: a new organisation.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct OrgBody {
    /// Its id: lower-case letters, digits and hyphens.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its Chinese name, if any.
    pub name_zh: Option<String>,
    /// Its jurisdiction: an ISO 3166-1 alpha-2 code (`CN`, `DE`, ...).
    #[schema(value_type = String)]
    pub jurisdiction: Jurisdiction,
    /// Its roles as a party (`discoverer`, `product_provider`, `product_user`, ...).
    #[schema(value_type = Vec<String>, required = false)]
    pub roles: Vec<Role>,
}

impl Body for OrgBody {
    const FIELDS: &'static [&'static str] = &["id", "name", "name_zh", "jurisdiction", "roles"];

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        OrgBody::read_object(check, object, "$")
    }
}

impl OrgBody {
    /// Reads the organisation at `path` of a request.
    pub fn read_at(check: &mut Checker, value: &Value, path: &str) -> Option<OrgBody> {
        let object = check.object(value, path, Self::FIELDS)?;
        OrgBody::read_object(check, object, path)
    }

    fn read_object(check: &mut Checker, object: &Map<String, Value>, path: &str) -> Option<OrgBody> {
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
        Some(OrgBody {
            id: id?.to_owned(),
            name: name?.to_owned(),
            name_zh: name_zh.map(str::to_owned),
            jurisdiction: jurisdiction?,
            roles,
        })
    }

    /// The organisation to store: an `individual`'s or not, with its `status`.
    pub fn into_org(self, individual: bool, status: Status) -> Organisation {
        Organisation {
            id: self.id,
            name: self.name,
            name_zh: self.name_zh,
            roles: self.roles,
            jurisdiction: self.jurisdiction,
            individual,
            status,
            created_at: chrono::Utc::now(),
        }
    }
}

/// Body of `POST /api/v1/registrations`: an individual or a non-member organisation
/// registers itself, with its first account.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct RegistrationBody {
    /// `individual` or `organisation`.
    pub kind: String,
    /// The organisation (an individual's is theirs alone).
    pub org: OrgBody,
    /// Its first account.
    pub account: RegistrationAccount,
}

impl RegistrationBody {
    /// Whether an individual registers.
    pub fn individual(&self) -> bool {
        self.kind == "individual"
    }
}

impl Body for RegistrationBody {
    const FIELDS: &'static [&'static str] = &["kind", "org", "account"];

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        let kind = match check.string(object, "$", "kind", true) {
            Some(kind @ ("individual" | "organisation")) => Some(kind.to_owned()),
            Some(other) => {
                check.problem("$.kind", format!("`{other}` is not `individual` or `organisation`"));
                None
            }
            None => None,
        };
        let org = match object.get("org") {
            Some(value) => OrgBody::read_at(check, value, "$.org"),
            None => {
                check.problem("$.org", "missing required field");
                None
            }
        };
        let account = match object.get("account") {
            Some(value) => RegistrationAccount::read_at(check, value, "$.account"),
            None => {
                check.problem("$.account", "missing required field");
                None
            }
        };
        Some(RegistrationBody { kind: kind?, org: org?, account: account? })
    }
}

/// Body of `POST /api/v1/registrations/{org}/approve` and `.../reject` (optional).
#[derive(Debug, Clone, Default, utoipa::ToSchema)]
pub struct DecisionBody {
    /// A note on the decision, kept with it.
    pub note: Option<String>,
}

impl Body for DecisionBody {
    const FIELDS: &'static [&'static str] = &["note"];

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        Some(DecisionBody { note: check.string(object, "$", "note", false).map(str::to_owned) })
    }
}

/// Who decides registrations: an administrator, or an analyst of a platform
/// organisation (an analyst of any other organisation may not).
pub async fn registrar<'c>(state: &App, caller: &'c Caller) -> Result<&'c Account> {
    if let Some(admin) = crate::relations::admin(caller) {
        return Ok(admin);
    }
    let (account, _) = crate::relations::platform_staff(state, caller).await?;
    if !account.roles.contains(&AccountRole::Analyst) {
        return Err(Error::forbidden("registrations are decided by a platform's analysts"));
    }
    Ok(account)
}

/// `POST /api/v1/registrations/{org}/approve` (`status` active) or `.../reject`
/// (`status` rejected): decides a pending organisation and its pending accounts.
pub async fn decide_registration(
    state: &App,
    caller: &Caller,
    org_id: &str,
    status: Status,
    body: DecisionBody,
) -> Result<Value> {
    let analyst = registrar(state, caller).await?;
    state.store.decide_org(org_id, status, &analyst.id, body.note.as_deref(), chrono::Utc::now()).await?;
    for account in state.store.list_accounts(Some(Status::Pending)).await? {
        if account.org_id.as_deref() == Some(org_id) {
            state.store.decide_account(&account.id, status).await?;
        }
    }
    Ok(json!({"org": org_json(&state.store.org(org_id).await?)}))
}

/// `DELETE /api/v1/session`: signs the caller out, ending the session `session_id`
/// (the cookie's, when there is one).
pub async fn logout(state: &App, caller: &Caller, session_id: Option<&str>) -> Result<()> {
    caller.require()?;
    if let Some(session_id) = session_id {
        state.store.delete_session(&secret_hash(session_id)).await?;
    }
    Ok(())
}

/// `GET /api/v1/me`: the caller's account and organisation.
pub async fn me(state: &App, caller: &Caller) -> Result<Value> {
    let account = caller.require()?;
    let org = match &account.org_id {
        Some(id) => Some(org_json(&state.store.org(id).await?)),
        None => None,
    };
    Ok(json!({"account": account_json(account), "org": org}))
}

/// `POST /api/v1/tokens`: creates an API token of the caller's; the token is in this
/// answer only (the store keeps its hash).
pub async fn create_token(state: &App, caller: &Caller, body: TokenBody) -> Result<Value> {
    let account = caller.require()?;
    let (record, token) = new_token(state, account, &body.name).await?;
    Ok(
        json!({"id": record.id, "name": record.name, "token": token, "created_at": record.created_at.to_rfc3339()}),
    )
}

/// `GET /api/v1/tokens`: the caller's tokens (without the secrets).
pub async fn list_tokens(state: &App, caller: &Caller) -> Result<Value> {
    let account = caller.require()?;
    let tokens = state.store.list_tokens(&account.id).await?;
    let items: Vec<Value> = tokens
        .iter()
        .map(|t| {
            json!({"id": t.id, "name": t.name, "created_at": t.created_at.to_rfc3339(),
                   "revoked_at": t.revoked_at.map(|r| r.to_rfc3339())})
        })
        .collect();
    Ok(json!({"tokens": items}))
}

/// `DELETE /api/v1/tokens/{id}`: revokes one of the caller's tokens.
pub async fn revoke_token(state: &App, caller: &Caller, id: &str) -> Result<()> {
    let account = caller.require()?;
    state.store.revoke_token(&account.id, id, chrono::Utc::now()).await?;
    Ok(())
}

/// `POST /api/v1/registrations`: an individual or a non-member organisation registers
/// itself with its first account; both wait, pending, for an analyst's approval. A
/// platform role is granted by an administrator, never by registration.
pub async fn register(state: &App, body: RegistrationBody) -> Result<Value> {
    let individual = body.individual();
    let mut org = body.org.into_org(individual, Status::Pending);
    let RegistrationAccount { email, name, password } = body.account;
    let platform_roles: Vec<(String, String)> = org
        .roles
        .iter()
        .enumerate()
        .filter(|(_, r)| vulnrelay_domain::PLATFORM_ROLES.contains(r))
        .map(|(i, r)| {
            (
                format!("$.org.roles[{i}]"),
                format!("`{}` is granted by an administrator, not by registration", r.as_str()),
            )
        })
        .collect();
    if !platform_roles.is_empty() {
        return Err(Error::invalid(platform_roles));
    }
    if org.roles.is_empty() {
        org.roles = vec![Role::Discoverer];
    }
    let password_hash = hash_password(&password)?;
    state.store.create_org(&org).await?;
    let new = NewAccount {
        email,
        name,
        password_hash,
        org_id: Some(org.id.clone()),
        roles: vec![AccountRole::Reporter],
        status: Status::Pending,
    };
    let account = state.store.create_account(&new, chrono::Utc::now()).await?;
    Ok(json!({"org": org_json(&org), "account": account_json(&account)}))
}

/// `GET /api/v1/registrations`: pending organisations and accounts (see [`registrar`]).
pub async fn list_registrations(state: &App, caller: &Caller) -> Result<Value> {
    registrar(state, caller).await?;
    let orgs = state.store.list_orgs(Some(Status::Pending)).await?;
    let accounts = state.store.list_accounts(Some(Status::Pending)).await?;
    Ok(json!({
        "orgs": orgs.iter().map(org_json).collect::<Vec<_>>(),
        "accounts": accounts.iter().map(account_json).collect::<Vec<_>>(),
    }))
}

/// `POST /api/v1/accounts`: an administrator creates an active account from `body`
/// ([`AccountBody`]); an unknown organisation is a problem of the body, found with the
/// others.
pub async fn create_account(state: &App, caller: &Caller, body: &Value) -> Result<Value> {
    caller.require_role(&[AccountRole::Admin])?;
    let mut check = Checker::default();
    let read = read_with::<AccountBody>(&mut check, body);
    // The organisation is looked up even when another field is wrong.
    let org = match &read {
        Some(account) => account.org.as_deref(),
        None => body.get("org").and_then(Value::as_str),
    };
    if let Some(org) = org
        && matches!(state.store.org(org).await, Err(StoreError::NotFound { .. }))
    {
        check.problem("$.org", format!("unknown organisation `{org}`"));
    }
    check.finish()?;
    let Some(AccountBody { email, name, password, org, roles }) = read else {
        return Err(Error::bad_request("unreadable account"));
    };
    let new = NewAccount {
        email,
        name,
        password_hash: hash_password(&password)?,
        org_id: org,
        roles,
        status: Status::Active,
    };
    let account = state.store.create_account(&new, chrono::Utc::now()).await?;
    Ok(account_json(&account))
}
