//! What `/metrics` counts beside the requests: the open obligations of the cases the
//! caller may read, and (for administrators) the deliveries, from the derived views.

use vulnrelay_domain::{AccountRole, Action, CaseState, Relation, allowed};
use vulnrelay_policy::Status;

use crate::App;
use crate::caller::Caller;
use crate::error::Result;

/// The gauges `/metrics` shows the caller.
#[derive(Debug, Clone)]
pub struct Gauges {
    /// The open obligations by status (`pending`, `overdue`, `not_started`).
    pub obligations: [(&'static str, i64); 3],
    /// The deliveries by state (`pending`, `delivered`, `dead`), to administrators only.
    pub deliveries: Option<[(&'static str, i64); 3]>,
}

/// `GET /metrics`: the open obligations by status of the cases the caller may read
/// (anonymous: the public cases only, so no count is derived from an embargoed case);
/// the delivery counts for administrators.
pub async fn gauges(state: &App, caller: &Caller) -> Result<Gauges> {
    let now = chrono::Utc::now();
    // From the derived views: the obligations on the published cases, and on those where
    // the caller's organisation stands in a relation that lets its roles read the case
    // whatever its state (the one access function decides which).
    let actor = caller.actor();
    let relations: Vec<&str> = [Relation::Platform, Relation::Reporter, Relation::NotifiedProvider]
        .into_iter()
        .filter(|&r| CaseState::ALL.iter().all(|&s| allowed(r, &actor.roles, s, Action::Read)))
        .map(Relation::as_str)
        .collect();
    let counts = state
        .store
        .obligation_counts(now, actor.org.as_ref().map(|org| (org.0.as_str(), relations.as_slice())))
        .await?;
    let obligations = [
        (Status::Pending.as_str(), counts.pending),
        (Status::Overdue.as_str(), counts.overdue),
        (Status::NotStarted.as_str(), counts.not_started),
    ];
    if caller.require_role(&[AccountRole::Admin]).is_err() {
        return Ok(Gauges { obligations, deliveries: None });
    }
    let d = state.store.delivery_counts().await?;
    let deliveries = Some([("pending", d.pending), ("delivered", d.delivered), ("dead", d.dead)]);
    Ok(Gauges { obligations, deliveries })
}
