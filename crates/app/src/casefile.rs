//! A stored case as a domain [`Case`]: the stored parties, products and event bodies
//! are case-file fragments, put together into a case file and read with
//! `formats::case_file`, so the server and `vulnrelay check` read cases the same way.
//! Every access to a case goes through [`authorize`], which asks `domain::can`.

use serde_json::{Value, json};
use vulnrelay_domain::{
    Action, Case, CaseAccess, CaseState, EventKind, EvidenceQuality, PartyId, Relation, allowed, can,
};
use vulnrelay_formats::case_file;
use vulnrelay_store::projections::CaseSnapshot;
use vulnrelay_store::{
    CaseRecord, Fragment, MembershipChange, MembershipChangeKind, Organisation, ReportRecord, StoredEvent,
};

use crate::App;
use crate::caller::Caller;
use crate::error::{Error, Result};

/// A case as loaded from the store.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The case's record.
    pub record: CaseRecord,
    /// Its parties (case-file objects).
    pub parties: Vec<Fragment>,
    /// Its products (case-file objects).
    pub products: Vec<Fragment>,
    /// Its events as stored.
    pub events: Vec<StoredEvent>,
    /// The domain case built from them.
    pub case: Case,
    /// How well the record supports each event (by index; see [`evidence_of`]).
    pub evidence: Vec<EvidenceQuality>,
    /// The last event recorded while the case had one product, when others joined it
    /// later: the events up to it that name no product are about its first product.
    pub one_product_until: Option<i64>,
}

/// How far before its recording an event may say it happened and still count as
/// recorded (clock skew, a form filled in over a few minutes).
pub const RECORDED_TOLERANCE_MINUTES: i64 = 5;

/// How well the record supports each event of `case`, stored as `stored`: an event
/// whose time is not before when the platform recorded it (within
/// [`RECORDED_TOLERANCE_MINUTES`]) is `recorded`; one an account recorded as happening
/// earlier is that party's `claimed` past, `attested` once a platform's analyst confirms
/// it with an `attested` event. Events no account recorded — a case file the operator
/// imported, such as the demo's sourced timeline — are the platform's own record:
/// `attested`.
pub fn evidence_of(case: &Case, stored: &[StoredEvent]) -> Vec<EvidenceQuality> {
    let tolerance = chrono::TimeDelta::minutes(RECORDED_TOLERANCE_MINUTES);
    let mut evidence: Vec<EvidenceQuality> = case
        .events()
        .iter()
        .zip(stored)
        .map(|(event, stored)| {
            if event.at + tolerance >= stored.recorded_at {
                EvidenceQuality::Recorded
            } else if stored.recorded_by.is_none() {
                EvidenceQuality::Attested
            } else {
                EvidenceQuality::Claimed
            }
        })
        .collect();
    for event in case.events() {
        if let EventKind::Attested { event: attested } = event.kind
            && evidence.get(attested) == Some(&EvidenceQuality::Claimed)
        {
            evidence[attested] = EvidenceQuality::Attested;
        }
    }
    evidence
}

impl Loaded {
    /// The case with every claim that no platform attested taken at the time the
    /// platform recorded it (`None` when there is no such claim): the reading a
    /// party's claims about its own past cannot rewrite.
    pub fn recorded_reading(&self) -> Option<Case> {
        if !self.evidence.contains(&EvidenceQuality::Claimed) {
            return None;
        }
        let events = self
            .case
            .events()
            .iter()
            .zip(&self.events)
            .zip(&self.evidence)
            .map(|((event, stored), quality)| {
                let mut event = event.clone();
                if *quality == EvidenceQuality::Claimed {
                    event.at = stored.recorded_at;
                }
                event
            })
            .collect();
        Case::new(
            self.case.title().to_owned(),
            self.case.timezone(),
            self.case.parties().to_vec(),
            self.case.products().to_vec(),
            events,
        )
        .ok()
    }
}

impl Loaded {
    /// The case file of this case as stored (events recorded while the case had one
    /// product name it, as the reading of that time implied).
    pub fn case_file(&self) -> Result<Value> {
        let events = self.event_bodies().map_err(Error::internal)?;
        let parties = self.parties.iter().map(|p| p.value.clone()).collect();
        let products = self.products.iter().map(|p| p.value.clone()).collect();
        Ok(assemble(&self.record, parties, products, events))
    }

    /// The events' bodies as the case file gives them: those recorded while the case
    /// had one product name it.
    fn event_bodies(&self) -> Result<Vec<Value>, serde_json::Error> {
        let first_product = self.products.first().map(|p| p.id.as_str());
        let mut events = Vec::with_capacity(self.events.len());
        for event in &self.events {
            let mut body = serde_json::from_str::<Value>(&event.body)?;
            // Recorded when the case had one product, an event naming none was about it.
            if let (Some(until), Some(first), Some(object)) =
                (self.one_product_until, first_product, body.as_object_mut())
                && event.seq <= until
                && !object.contains_key("product")
            {
                object.insert("product".into(), json!(first));
            }
            events.push(body);
        }
        Ok(events)
    }

    /// The state, derived from the events.
    pub fn state(&self) -> CaseState {
        CaseState::of(&self.case)
    }

    /// The case as access control sees it.
    pub fn access(&self) -> (PartyId, PartyId) {
        (PartyId(self.record.reporter_org.clone()), PartyId(self.record.platform_org.clone()))
    }

    /// The relation of `org` to this case (platform, reporter, notified provider or
    /// public).
    pub fn relation(&self, org: &PartyId) -> vulnrelay_domain::Relation {
        let (reporter, platform) = self.access();
        CaseAccess { case: &self.case, reporter: &reporter, platform: &platform }.relation(org)
    }

    /// The relation of each of `orgs` to this case, reading its events once.
    pub fn relations<'o>(
        &self,
        orgs: impl IntoIterator<Item = &'o PartyId>,
    ) -> Vec<(&'o PartyId, vulnrelay_domain::Relation)> {
        let (reporter, platform) = self.access();
        CaseAccess { case: &self.case, reporter: &reporter, platform: &platform }.relations(orgs)
    }

    /// Whether `caller` takes part in the case (a platform of it, its reporter, a
    /// notified provider) rather than reading it as the public does once it is
    /// published. The reporter's private note and attachments are for those who take
    /// part: publication makes the platform's bulletin public, not the report's materials.
    pub fn takes_part(&self, caller: &Caller) -> bool {
        caller
            .account
            .as_ref()
            .and_then(|a| a.org_id.as_ref())
            .is_some_and(|org| self.relation(&PartyId(org.clone())) != vulnrelay_domain::Relation::Public)
            && self.can(caller, Action::Read)
    }

    /// The report as `caller` may see it: whole for those who take part; without the
    /// reporter's note and attachments for the public.
    pub fn report_for(&self, caller: &Caller, mut report: Value) -> Value {
        if !self.takes_part(caller)
            && let Some(object) = report.as_object_mut()
        {
            object.remove("note");
            object.remove("attachments");
        }
        report
    }

    /// Whether `caller` may do `action` on this case.
    pub fn can(&self, caller: &Caller, action: Action) -> bool {
        let (reporter, platform) = self.access();
        can(
            &caller.actor(),
            action,
            &CaseAccess { case: &self.case, reporter: &reporter, platform: &platform },
        )
    }
}

/// A case file from its parts.
pub fn assemble(record: &CaseRecord, parties: Vec<Value>, products: Vec<Value>, events: Vec<Value>) -> Value {
    json!({
        "schema": case_file::SCHEMA,
        "title": record.title,
        "timezone": record.timezone,
        "parties": parties,
        "products": products,
        "events": events,
    })
}

/// Loads a case and builds its domain model.
pub async fn load(state: &App, id: &str) -> Result<Loaded> {
    built(id, state.store.case_snapshot(id).await?)
}

/// [`load`], and the case's report (none when it has none) read in the same statement.
pub async fn load_with_report(state: &App, id: &str) -> Result<(Loaded, Option<ReportRecord>)> {
    let (snapshot, report) = state.store.case_snapshot_with_report(id).await?;
    Ok((built(id, snapshot)?, report))
}

/// The domain model of the case `id` from its stored `snapshot`.
pub fn built(id: &str, snapshot: CaseSnapshot) -> Result<Loaded> {
    Loaded::from_snapshot(snapshot).map_err(|e| Error::internal(format!("case {id}: {e}")))
}

impl Loaded {
    /// This case after a change appended `stored` (the events of `case`'s tail) and
    /// `parties` and `products` (those not on it yet join, in order), leaving `record`
    /// and `one_product_until` as read after it: what [`load`] would read, without
    /// reading and checking the whole case again.
    pub fn after_change(
        &self,
        record: CaseRecord,
        one_product_until: Option<i64>,
        parties: &[Fragment],
        products: &[Fragment],
        stored: &[StoredEvent],
        case: Case,
    ) -> Loaded {
        let mut after = Loaded {
            record,
            parties: self.parties.clone(),
            products: self.products.clone(),
            events: self.events.clone(),
            case,
            evidence: Vec::new(),
            one_product_until,
        };
        let known: std::collections::HashSet<String> = after.parties.iter().map(|p| p.id.clone()).collect();
        after.parties.extend(parties.iter().filter(|p| !known.contains(&p.id)).cloned());
        let known: std::collections::HashSet<String> = after.products.iter().map(|p| p.id.clone()).collect();
        after.products.extend(products.iter().filter(|p| !known.contains(&p.id)).cloned());
        after.events.extend(stored.iter().cloned());
        after.evidence = evidence_of(&after.case, &after.events);
        after
    }

    /// Builds a case's domain model from its stored parts (what `load` reads, or what a
    /// writing transaction sees).
    pub fn from_snapshot(snapshot: CaseSnapshot) -> Result<Loaded, String> {
        let CaseSnapshot { record, parties, products, events, one_product_until, first_warning: _ } =
            snapshot;
        let mut loaded = Loaded {
            case: empty_case(),
            record,
            parties,
            products,
            events,
            evidence: Vec::new(),
            one_product_until,
        };
        // Read from its parts: the same reading as its case file's, without
        // assembling and copying that document first.
        let events = loaded.event_bodies().map_err(|e| e.to_string())?;
        loaded.case = case_file::from_parts(
            &loaded.record.title,
            &loaded.record.timezone,
            loaded.parties.iter().map(|p| &p.value),
            loaded.products.iter().map(|p| &p.value),
            &events,
        )
        .map_err(|e| e.to_string())?;
        loaded.evidence = evidence_of(&loaded.case, &loaded.events);
        Ok(loaded)
    }
}

fn empty_case() -> Case {
    Case::new(String::new(), chrono_tz::Tz::UTC, vec![], vec![], vec![]).unwrap_or_else(|_| unreachable!())
}

/// The cases `org` is a party to that `caller` may read, loaded, oldest first (an
/// organisation's record: it costs that organisation's cases, not the database's).
pub async fn party_cases(state: &App, caller: &Caller, org: &str) -> Result<Vec<Loaded>> {
    let mut cases = Vec::new();
    for id in state.store.party_cases(org).await? {
        match load(state, &id).await {
            Ok(loaded) if loaded.can(caller, Action::Read) => cases.push(loaded),
            Ok(_) => {}
            Err(error) => {
                tracing::error!(case = %id, code = error.code(), message = %error, "case skipped: it cannot be read");
            }
        }
    }
    Ok(cases)
}

/// Up to `limit` cases `caller` may read, oldest first, after the case `after`, with
/// their states (only those in `wanted`, if given), and the cursor of the next page.
/// Read from the derived views by keyset pages, each case checked by the one access
/// function, so a request costs what it returns, not what the database holds.
pub async fn listable(
    state: &App,
    caller: &Caller,
    wanted: Option<CaseState>,
    after: Option<String>,
    limit: usize,
) -> Result<(Vec<(CaseRecord, CaseState)>, Option<String>)> {
    let actor = caller.actor();
    let mut page = vulnrelay_store::projections::CasePageQuery {
        org_id: actor.org.as_ref().map(|o| o.0.clone()),
        state: wanted.map(|w| w.as_str().to_owned()),
        after,
        limit: i64::try_from(limit).unwrap_or(i64::MAX - 1).saturating_add(1),
    };
    let mut items = Vec::new();
    loop {
        let listings = state.store.case_page(&page).await?;
        let exhausted = listings.len() < usize::try_from(page.limit).unwrap_or(usize::MAX);
        for listing in listings {
            page.after = Some(listing.record.id.clone());
            let case_state: CaseState = listing.state.parse().map_err(Error::internal)?;
            let relation = match listing.relation.as_deref() {
                Some(name) => name.parse::<Relation>().map_err(Error::internal)?,
                None => Relation::Public,
            };
            if !allowed(relation, &actor.roles, case_state, Action::Read) {
                continue;
            }
            if items.len() == limit {
                let next = items.last().map(|(record, _): &(CaseRecord, CaseState)| record.id.clone());
                return Ok((items, next));
            }
            items.push((listing.record, case_state));
        }
        if exhausted {
            return Ok((items, None));
        }
    }
}

/// Loads a case for `caller` to do `action`: 404 when the caller may not see it (as if
/// it did not exist), 403 when it may see it but not do this.
pub async fn authorize(state: &App, caller: &Caller, id: &str, action: Action) -> Result<Loaded> {
    let loaded = as_case_not_found(load(state, id).await)?;
    check(&loaded, caller, action)?;
    Ok(loaded)
}

/// [`authorize`], with the case's report read in the same statement as the case (see
/// [`load_with_report`]); the report is the caller's to see only through
/// [`Loaded::report_for`].
pub async fn authorize_with_report(
    state: &App,
    caller: &Caller,
    id: &str,
    action: Action,
) -> Result<(Loaded, Option<ReportRecord>)> {
    let (loaded, report) = as_case_not_found(load_with_report(state, id).await)?;
    check(&loaded, caller, action)?;
    Ok((loaded, report))
}

/// A missing case, whatever the store could not find, as the case not found.
fn as_case_not_found<T>(loaded: Result<T>) -> Result<T> {
    match loaded {
        Err(Error::NotFound { .. }) => Err(Error::not_found("case")),
        other => other,
    }
}

/// Whether `caller` may do `action` on `loaded`: 404 when it may not see it, 403 when
/// it sees it but may not do that.
pub fn check(loaded: &Loaded, caller: &Caller, action: Action) -> Result<()> {
    if !loaded.can(caller, Action::Read) {
        return Err(Error::not_found("case"));
    }
    if !loaded.can(caller, action) {
        return Err(Error::forbidden(format!(
            "you may not {} on this case",
            action.as_str().replace('_', " ")
        )));
    }
    Ok(())
}

/// An organisation as a case-file party, with the memberships its history shows
/// (joined … ended). A membership that is suspended when the organisation joins a case
/// is left out: the case's member duties bind only members in good standing (a
/// suspension ends only through a review, so an expired term still counts). A
/// suspension decided later goes on the cases it concerns as an event.
pub fn party_fragment(org: &Organisation, history: &[MembershipChange]) -> Fragment {
    let mut memberships: Vec<(String, String, Option<String>)> = Vec::new();
    let suspended = |scheme: &str| {
        history
            .iter()
            .rev()
            .find(|c| c.scheme == scheme)
            .is_some_and(|c| matches!(c.change, MembershipChangeKind::Suspended { .. }))
    };
    for change in history.iter().filter(|c| !suspended(&c.scheme)) {
        match &change.change {
            MembershipChangeKind::Joined => {
                memberships.push((change.scheme.clone(), change.at.to_rfc3339(), None))
            }
            MembershipChangeKind::Ended => {
                if let Some(m) = memberships.iter_mut().rev().find(|m| m.0 == change.scheme && m.2.is_none())
                {
                    m.2 = Some(change.at.to_rfc3339());
                }
            }
            _ => {}
        }
    }
    let mut value = json!({
        "id": org.id,
        "name": org.name,
        "roles": org.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "jurisdiction": org.jurisdiction.as_str(),
    });
    if let Some(name_zh) = &org.name_zh {
        value["name_zh"] = json!(name_zh);
    }
    if !memberships.is_empty() {
        value["memberships"] = memberships
            .into_iter()
            .map(|(id, since, until)| match until {
                Some(until) => json!({"id": id, "since": since, "until": until}),
                None => json!({"id": id, "since": since}),
            })
            .collect();
    }
    Fragment { id: org.id.clone(), value }
}

/// An organisation's party fragment, read from the store.
pub async fn org_fragment(state: &App, org_id: &str) -> Result<Fragment> {
    let org = state.store.org(org_id).await?;
    let history = state.store.membership_history(org_id).await?;
    Ok(party_fragment(&org, &history))
}
