//! Organisations and their memberships. Sanctions, rectification reports and reviews
//! live on the organisation's own log (`sanctions::decisions`); a membership's status is
//! what that log says, shown to each viewer as far as the log's disclosure allows.

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::{Map, Value, json};
use vulnrelay_domain::{AccountRole, Role};
use vulnrelay_store::{MembershipChange, MembershipChangeKind, OrgFilter, Organisation, Status};

use crate::App;
use crate::accounts::{OrgBody, OrgSummary, org_json};
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::input::{Body, Checker};
use crate::sanctions::decisions::platform_analyst;

/// What `GET /api/v1/orgs` asks for.
#[derive(Debug, Clone, Default)]
pub struct OrgsQuery {
    /// Only those whose id or a word of a name starts with this text (no case).
    pub q: Option<String>,
    /// Only those holding one of these roles (comma-separated role names).
    pub role: Option<String>,
    /// After this organisation (the previous page's `next`).
    pub after: Option<String>,
    /// Page size (default 50, at most 200).
    pub limit: Option<usize>,
}

/// `GET /api/v1/orgs`: active organisations by id — all, those holding one of some
/// roles, or those a text finds — in pages of `limit` (default 50, at most 200) after
/// the organisation `after`, with the `next` page's cursor (`null` on the last page).
pub async fn list(state: &App, query: OrgsQuery) -> Result<OrgPage> {
    let roles = roles_of(query.role.as_deref().unwrap_or_default())?;
    let filter = OrgFilter {
        status: Some(Status::Active),
        roles: &roles,
        text: query.q.as_deref(),
        after: query.after.as_deref(),
        limit: query.limit.unwrap_or(50).clamp(1, 200),
    };
    let (orgs, next) = page(state, filter).await?;
    Ok(OrgPage { orgs, next })
}

/// A page of organisations and the cursor of the next page (`null` on the last), written
/// as `{"next": …, "orgs": [...]}` with each organisation as [`OrgSummary`] shows it.
#[derive(Debug)]
pub struct OrgPage {
    /// The organisations of the page.
    pub orgs: Vec<Organisation>,
    /// The cursor of the next page.
    pub next: Option<String>,
}

impl Serialize for OrgPage {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut page = serializer.serialize_struct("OrgPage", 2)?;
        page.serialize_field("next", &self.next)?;
        page.serialize_field("orgs", &self.orgs.iter().map(OrgSummary::of).collect::<Vec<_>>())?;
        page.end()
    }
}

/// The roles a comma-separated list names, each once; an unknown one is refused.
pub fn roles_of(list: &str) -> Result<Vec<Role>> {
    let mut roles = Vec::new();
    for name in list.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        let role = name.parse::<Role>().map_err(|e| Error::invalid_field("role", e.to_string()))?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    Ok(roles)
}

/// The organisations `filter` takes (at most its `limit`), and the cursor of the page
/// after them when there is one.
pub async fn page(state: &App, filter: OrgFilter<'_>) -> Result<(Vec<Organisation>, Option<String>)> {
    let orgs = state.store.orgs_page(&OrgFilter { limit: filter.limit + 1, ..filter }).await?;
    Ok(crate::paging::split(orgs, filter.limit, |o| o.id.clone()))
}

/// `GET /api/v1/orgs/{id}`: an organisation with its memberships and their history.
pub async fn show(state: &App, caller: &Caller, id: String) -> Result<Value> {
    let org = state.store.org(&id).await?;
    let is_analyst = caller.account.as_ref().is_some_and(|a| a.roles.contains(&AccountRole::Analyst));
    if org.status != Status::Active && !is_analyst {
        return Err(Error::not_found("organisation"));
    }
    // The whole history decides the statuses; the caller sees only what the one rule
    // of `sanctions::visible_history` lets it, and a status resting on a sanction that
    // is not public is shown as undisclosed.
    let history = state.store.membership_history(&id).await?;
    let (visible, left_out) = crate::sanctions::visible_history(state, caller, &id).await?;
    let mut body = org_json(&org);
    let mut statuses = memberships(state, &id, &history, chrono::Utc::now()).await?;
    if left_out {
        let entries = crate::sanctions::log(state, &id).await?;
        let undisclosed = crate::sanctions::undisclosed_schemes(&entries);
        if let Some(list) = statuses.as_array_mut() {
            for status in list.iter_mut() {
                if status["scheme"].as_str().is_some_and(|s| undisclosed.contains(&s)) {
                    *status = json!({"scheme": status["scheme"], "status": "undisclosed"});
                }
            }
        }
    }
    body["memberships"] = statuses;
    body["membership_history"] = visible.iter().map(change_json).collect();
    Ok(body)
}

/// `POST /api/v1/orgs`: an administrator adds an active organisation.
pub async fn create(state: &App, caller: &Caller, body: OrgBody) -> Result<Value> {
    caller.require_role(&[AccountRole::Admin])?;
    let org = body.into_org(false, Status::Active);
    state.store.create_org(&org).await?;
    Ok(org_json(&org))
}

/// `POST /api/v1/orgs/{id}/memberships/{scheme}/join`: a platform analyst records that
/// Body of `POST /api/v1/orgs/{id}/memberships/{scheme}/join` (optional).
#[derive(Debug, Clone, Default, utoipa::ToSchema)]
pub struct JoinBody {
    /// When the organisation joined (RFC 3339 or a date; not in the future; default
    /// now).
    #[schema(value_type = Option<String>)]
    pub at: Option<vulnrelay_domain::Timestamp>,
}

impl Body for JoinBody {
    const FIELDS: &'static [&'static str] = &["at"];

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        let now = chrono::Utc::now();
        Some(JoinBody { at: check.event_time(object, "$", "at", false, chrono_tz::Tz::UTC, now) })
    }
}

/// the organisation joined the scheme `{at}`.
pub async fn join(
    state: &App,
    caller: &Caller,
    (org_id, scheme): (String, String),
    body: JoinBody,
) -> Result<Value> {
    let (analyst, _) = platform_analyst(state, caller).await?;
    state.store.org(&org_id).await?;
    let now = chrono::Utc::now();
    let at = body.at.unwrap_or(now);
    let change = MembershipChange {
        org_id: org_id.clone(),
        scheme,
        at,
        change: MembershipChangeKind::Joined,
        by_account: Some(analyst.id.clone()),
    };
    state.store.record_membership_change(&change).await?;
    let history = state.store.membership_history(&org_id).await?;
    Ok(json!({
        "memberships": memberships(state, &org_id, &history, now).await?,
        "membership_history": history.iter().map(change_json).collect::<Vec<_>>(),
    }))
}

fn change_json(change: &MembershipChange) -> Value {
    let mut value = json!({
        "scheme": change.scheme,
        "change": change.change.as_str(),
        "at": change.at.to_rfc3339(),
        "by": change.by_account,
    });
    match &change.change {
        MembershipChangeKind::Suspended { until, reason, findings } => {
            value["until"] = json!(until.map(|u| u.to_rfc3339()));
            value["reason"] = json!(reason);
            value["findings"] = json!(findings);
        }
        MembershipChangeKind::Restored { review } => value["review"] = json!(review),
        _ => {}
    }
    value
}

/// The status of each scheme the organisation joined: `ended` after an expulsion or
/// the end of the membership, else what its own log says (`active`, `suspended`,
/// `awaiting_review`), with the rights that follow.
async fn memberships(
    state: &App,
    org_id: &str,
    history: &[MembershipChange],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value> {
    let entries = crate::sanctions::log(state, org_id).await?;
    let mut schemes: Vec<&str> = Vec::new();
    for change in history.iter().filter(|c| c.at <= now) {
        if !schemes.contains(&change.scheme.as_str()) {
            schemes.push(&change.scheme);
        }
    }
    Ok(schemes
        .into_iter()
        .map(|scheme| {
            let last = history.iter().rev().find(|c| c.scheme == scheme && c.at <= now);
            if last.is_some_and(|c| c.change == MembershipChangeKind::Ended) {
                return json!({"scheme": scheme, "status": "ended", "receives_prepublication_warnings": false, "reports_as_member": false});
            }
            let events = crate::sanctions::scheme_events(&entries, scheme);
            crate::sanctions::status_json(scheme, vulnrelay_domain::membership_status(&events, now))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use serde_json::json;
    use vulnrelay_domain::Jurisdiction;
    use vulnrelay_store::{Organisation, Status};

    use super::*;

    #[test]
    fn a_role_named_again_counts_once_and_an_unknown_one_is_refused() {
        let roles = roles_of("enisa, product_user,,enisa,product_user").unwrap();
        assert_eq!(roles, [Role::Enisa, Role::ProductUser]);
        assert_eq!(roles_of(&"enisa,".repeat(10_000)).unwrap(), [Role::Enisa]);
        assert!(roles_of("").unwrap().is_empty());
        assert!(roles_of("enisa,vendor").is_err());
    }

    #[test]
    fn a_page_of_organisations_is_written_as_the_sorted_maps_it_was() {
        let org = |id: &str, name_zh: Option<&str>, individual: bool| Organisation {
            id: id.into(),
            name: format!("{id} \"Ltd\""),
            name_zh: name_zh.map(str::to_owned),
            roles: vec![Role::Discoverer, Role::ProductProvider],
            jurisdiction: Jurisdiction::CN,
            individual,
            status: Status::Active,
            created_at: Utc.with_ymd_and_hms(2021, 12, 1, 0, 0, 0).unwrap(),
        };
        let orgs = vec![org("alibaba-cloud", Some("阿里云"), false), org("zhang-san", None, true)];
        for next in [None, Some("zhang-san".to_owned())] {
            // The map a page was built as before it was typed; serde_json sorts its keys.
            let as_map = json!({
                "orgs": orgs.iter().map(|org| json!({
                    "id": org.id,
                    "name": org.name,
                    "name_zh": org.name_zh,
                    "roles": org.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                    "jurisdiction": org.jurisdiction.as_str(),
                    "kind": if org.individual { "individual" } else { "organisation" },
                    "status": org.status.as_str(),
                })).collect::<Vec<_>>(),
                "next": next,
            });
            let typed = serde_json::to_string(&OrgPage { orgs: orgs.clone(), next: next.clone() }).unwrap();
            assert_eq!(typed, serde_json::to_string(&as_map).unwrap());
        }
    }
}
