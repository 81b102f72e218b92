//! Relations decide, roles alone do not. An account's role means something only in
//! an organisation of the matching kind (a platform role in a platform organisation),
//! and the data of a case is for that case's platforms: an `analyst` of an industry
//! unit, or of a platform the case is not on, gets no more than the public does.

use vulnrelay_domain::{AccountRole, PLATFORM_ROLES, PartyId};
use vulnrelay_store::{Account, Organisation};

use crate::App;
use crate::caller::Caller;
use crate::casefile::Loaded;
use crate::error::{Error, Result};

/// The caller's account if it is an administrator of this instance.
pub fn admin(caller: &Caller) -> Option<&Account> {
    caller.account.as_ref().filter(|a| a.roles.contains(&AccountRole::Admin))
}

/// The caller's account and organisation if it works for a platform: an analyst or
/// coordinator of an organisation that has a platform role (regulator platform,
/// vulnerability database, CSIRT, ...). 401 when anonymous, 403 otherwise.
pub async fn platform_staff<'c>(state: &App, caller: &'c Caller) -> Result<(&'c Account, Organisation)> {
    let account = caller.require()?;
    let refused = || Error::forbidden("this is for the analysts of a platform");
    if !account.roles.iter().any(|r| matches!(r, AccountRole::Analyst | AccountRole::Coordinator)) {
        return Err(refused());
    }
    let Some(org_id) = &account.org_id else { return Err(refused()) };
    let org = state.store.org(org_id).await?;
    if !org.roles.iter().any(|r| PLATFORM_ROLES.contains(r)) {
        return Err(refused());
    }
    Ok((account, org))
}

/// Whether the caller works a case as one of its platforms: its organisation is the
/// intake platform or one the case was forwarded to, and it is an analyst or
/// coordinator there.
pub fn works_on(caller: &Caller, loaded: &Loaded) -> bool {
    let Some(account) = &caller.account else { return false };
    let Some(org) = &account.org_id else { return false };
    account.roles.iter().any(|r| matches!(r, AccountRole::Analyst | AccountRole::Coordinator))
        && loaded.relation(&PartyId(org.clone())) == vulnrelay_domain::Relation::Platform
}
