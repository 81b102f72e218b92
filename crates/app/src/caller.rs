//! Who is calling: an active account, or nobody. Every operation takes the caller and
//! decides what it may do through `vulnrelay_domain::can`; the doors only establish it
//! (a token, a session, the command line's administrator).

use vulnrelay_domain::{AccountRole, Actor, PartyId};
use vulnrelay_store::Account;

use crate::error::Error;

/// Who is calling: an active account, or nobody.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The account, when authenticated.
    pub account: Option<Account>,
}

impl Caller {
    /// The caller acting as `account`.
    pub fn of(account: Account) -> Caller {
        Caller { account: Some(account) }
    }

    /// The account, or [`Error::Unauthenticated`].
    pub fn require(&self) -> Result<&Account, Error> {
        self.account.as_ref().ok_or_else(Error::unauthorized)
    }

    /// The account if it holds one of `roles`, else [`Error::Forbidden`]
    /// ([`Error::Unauthenticated`] when anonymous).
    pub fn require_role(&self, roles: &[AccountRole]) -> Result<&Account, Error> {
        let account = self.require()?;
        if account.roles.iter().any(|r| roles.contains(r)) {
            Ok(account)
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(Error::forbidden(format!("this needs one of the roles: {}", names.join(", "))))
        }
    }

    /// The caller as access control sees it.
    pub fn actor(&self) -> Actor {
        match &self.account {
            None => Actor::anonymous(),
            Some(account) => Actor { org: account.org_id.clone().map(PartyId), roles: account.roles.clone() },
        }
    }
}
