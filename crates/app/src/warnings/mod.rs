//! The risk-warning engine (风险预警): matches every organisation's asset inventory
//! against the reconciled affected ranges of the vulnerability records (the platform's
//! decision per package, `Vulnerability::reconciled`; each component lists the sources
//! that call it affected, `not_affected_per` those that do not, and `decided_by`), through
//! [`vulnrelay_match::Index`], and writes one warning per (organisation, vulnerability)
//! with its deliveries, in one transaction (see `vulnrelay_store::warnings`).
//!
//! Who is warned:
//! - once the record is public (a record of no case, or of a published case): every
//!   organisation with an affected component, `TLP:CLEAR`;
//! - before publication: only organisations whose access the case allows — some account
//!   role of theirs may `read` the case under [`vulnrelay_domain::can`] — and whose
//!   memberships are not suspended; the warning is `TLP:AMBER` and carries no exploit
//!   detail (no description, threat notes or references).
//! - before publication, on the decision of the case's platform to warn the industry
//!   ([`warn_industry`], `POST /api/v1/cases/{id}/warnings`): every affected
//!   organisation that is not suspended, still `TLP:AMBER` without exploit detail, with
//!   the platform's name and note.
//!
//! Matching re-runs when a record is created or changes (so a bypassed fix re-warns the
//! units that upgraded to it), when a case's events change (publication, a provider
//! notified), when an inventory is uploaded, and in the delivery worker's sweeps. Each
//! re-match reads through the store's match index ([`vulnrelay_store::match_keys`]): a
//! changed record only the components of its packages, an upload only the records of
//! its components' packages. Every such change also leaves a mark in its own
//! transaction ([`vulnrelay_store::warnings::RematchMark`]), and the worker's sweep
//! ([`rematch_marked`]) re-matches what was marked since it last ran, which repairs what
//! a crash between a change and its re-match left out at the cost of what changed. A
//! rarer full sweep ([`rematch_all`]) re-matches every record a page at a time, for
//! what no mark covers. A warning whose content did not change writes nothing, so
//! re-running is cheap and never sends anything twice; a warning whose assets are no
//! longer affected is withdrawn (recorded, not sent).

pub mod units;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::Utc;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vulnrelay_domain::{AccountRole, Action, Actor, CaseAccess, PartyId, Timestamp, Vulnerability, can};
use vulnrelay_match::{Index, parse_purl};
use vulnrelay_store::warnings::{
    OrgComponent, RematchKind, RematchMark, WarningDraft, WarningFilter, WarningState, WarningSummary,
};
use vulnrelay_store::{MembershipChangeKind, Status, StoredVulnerability};

use crate::App;
use crate::casefile::{Loaded, load};
use crate::error::{Error, Result};

/// The label of warnings before publication.
pub const TLP_AMBER: &str = "TLP:AMBER";
/// The label of warnings after publication.
pub const TLP_CLEAR: &str = "TLP:CLEAR";

/// What a re-match did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rematch {
    /// Records matched.
    pub vulnerabilities: usize,
    /// Inventory components matched.
    pub components: usize,
    /// (organisation, vulnerability) pairs with an affected component.
    pub affected: usize,
    /// Affected pairs not warned because the case is not published and the unit may not
    /// see it (or is suspended).
    pub withheld: usize,
    /// Warnings written (new, changed or withdrawn).
    pub written: usize,
}

impl std::ops::AddAssign for Rematch {
    fn add_assign(&mut self, other: Rematch) {
        self.vulnerabilities += other.vulnerabilities;
        self.components += other.components;
        self.affected += other.affected;
        self.withheld += other.withheld;
        self.written += other.written;
    }
}

/// Marks read and re-matched together by [`rematch_marked`].
const MARKS_PAGE: i64 = 500;

/// Records re-matched together by [`rematch_all`].
const RECORDS_PAGE: i64 = 500;

/// When warnings go out, and on whose decision.
#[derive(Debug, Clone, Default)]
pub struct Issue {
    /// When: now (`None`) for every re-match the platform runs as things change; an
    /// earlier time when a platform records the warnings it issued then, such as the
    /// demo's sourced timeline. The case (its publication, who may know it), the
    /// memberships and the threat are read as of that time.
    pub at: Option<Timestamp>,
    /// The case's platform warns the industry before publication.
    pub release: Option<Release>,
}

/// A platform's decision to warn the industry before a case is published (向行业单位
/// 风险预警): every unit whose inventory runs an affected component is warned, except a
/// suspended one; the warning is still `TLP:AMBER` with no exploit detail, and says who
/// issued it and why.
#[derive(Debug, Clone)]
pub struct Release {
    /// The platform organisation that decided it.
    pub by: String,
    /// Its note to the units, in both languages.
    pub note: vulnrelay_domain::Localized,
}

/// The case as it stood at `at` (every event up to then), when `at` is given and the
/// earlier events make a case; else the case as it is.
fn as_of(mut loaded: Loaded, at: Option<Timestamp>) -> Loaded {
    let Some(at) = at else { return loaded };
    let case = &loaded.case;
    let events: Vec<_> = case.events().iter().filter(|e| e.at <= at).cloned().collect();
    if events.len() == case.events().len() {
        return loaded;
    }
    if let Ok(earlier) = vulnrelay_domain::Case::new(
        case.title().to_owned(),
        case.timezone(),
        case.parties().to_vec(),
        case.products().to_vec(),
        events,
    ) {
        loaded.case = earlier;
    }
    loaded
}

/// The risk warning of the platform that works `case_id` to the industry (向行业单位风险
/// 预警), for the records `ids` of the case (every record of the case when empty): every
/// unit whose inventory runs an affected component is warned, published or not (before
/// publication `TLP:AMBER` with no exploit detail, never to a suspended unit), with
/// `note`. `at` is when the warning went out: now, or the earlier time the platform
/// records it issued it; the case and the threat are read as of then. The caller must
/// be one of the case's platform analysts or coordinators.
pub async fn warn_industry(
    state: &App,
    caller: &crate::caller::Caller,
    case_id: &str,
    ids: &[String],
    at: Option<Timestamp>,
    note: vulnrelay_domain::Localized,
) -> Result<Rematch> {
    let loaded = crate::casefile::authorize(state, caller, case_id, Action::Forward).await?;
    if at.is_some_and(|at| at > Utc::now()) {
        return Err(Error::invalid(vec![("$.at".into(), "must not be in the future".into())]));
    }
    let records = state.store.vulnerabilities(Some(case_id)).await?;
    let ids: Vec<String> = match ids.is_empty() {
        true => records.iter().map(|r| r.id.clone()).collect(),
        false => {
            let unknown: Vec<(String, String)> = ids
                .iter()
                .filter(|id| !records.iter().any(|r| &&r.id == id))
                .map(|id| {
                    ("$.vulnerabilities".to_owned(), format!("`{id}` is not a record of case `{case_id}`"))
                })
                .collect();
            if !unknown.is_empty() {
                return Err(Error::invalid(unknown));
            }
            ids.to_vec()
        }
    };
    let release = Release { by: loaded.record.platform_org.clone(), note };
    rematch_vulnerabilities_with(state, &ids, &Issue { at, release: Some(release) }).await
}

/// Re-runs matching for these records (by primary id) against every inventory, as of
/// `at` (see [`Issue::at`]): what the engine issued then.
pub async fn rematch_vulnerabilities_as_of(state: &App, ids: &[String], at: Timestamp) -> Result<Rematch> {
    rematch_vulnerabilities_with(state, ids, &Issue { at: Some(at), release: None }).await
}

/// Re-runs matching for these records (by primary id) against every inventory.
pub async fn rematch_vulnerabilities(state: &App, ids: &[String]) -> Result<Rematch> {
    rematch_vulnerabilities_with(state, ids, &Issue::default()).await
}

async fn rematch_vulnerabilities_with(state: &App, ids: &[String], issue: &Issue) -> Result<Rematch> {
    let records = existing_records(state, ids.iter().map(String::as_str)).await?;
    rematch_records(state, records, issue).await
}

/// The stored records with these ids (or aliases), in the order given; an id that names
/// no record (any more) is left out.
async fn existing_records<'a>(
    state: &App,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<StoredVulnerability>> {
    let mut records = Vec::new();
    for id in ids {
        match state.store.vulnerability(id).await {
            Ok(v) => records.push(v),
            Err(vulnrelay_store::StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(records)
}

/// Re-runs matching for the records of a case (after its events changed).
pub async fn rematch_case(state: &App, case_id: &str) -> Result<Rematch> {
    let records = state.store.vulnerabilities(Some(case_id)).await?;
    if records.is_empty() {
        return Ok(Rematch::default());
    }
    rematch_records(state, records, &Issue::default()).await
}

/// Matches `records` against the components of their packages only, read through the
/// store's index of components by package: the cost follows the components they may
/// affect, not the inventories held. Warnings of these records outside those
/// components are withdrawn as by a full re-match.
async fn rematch_records(state: &App, records: Vec<StoredVulnerability>, issue: &Issue) -> Result<Rematch> {
    let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
    let records = Matchable::new(records);
    let inventory = state.store.inventory_for_packages(&records.package_keys()).await?;
    let existing = state.store.warning_summaries_of(&ids).await?;
    rematch(state, &records, inventory, existing, issue).await
}

/// Re-runs matching for one organisation's inventory against the records of its
/// components' packages, read through the store's index of records by package (and the
/// records it is warned of, so a warning it no longer has the component for is
/// withdrawn): the cost follows its components, not the records held.
pub async fn rematch_org(state: &App, org_id: &str) -> Result<Rematch> {
    let inventory = state.store.inventory(Some(org_id)).await?;
    let keys: Vec<String> = inventory
        .iter()
        .filter_map(|c| vulnrelay_store::match_keys::component_key(c.component.purl.as_deref()))
        .collect();
    let mut records = state.store.vulnerabilities_for_packages(&keys).await?;
    let filter = WarningFilter { org_id: Some(org_id.to_owned()), ..WarningFilter::default() };
    let existing = state.store.warning_summaries(&filter).await?;
    let candidates: HashSet<String> = records.iter().map(|r| r.id.clone()).collect();
    let mut warned: Vec<&str> = existing
        .iter()
        .filter(|w| w.state == WarningState::Active && !candidates.contains(&w.vulnerability_id))
        .map(|w| w.vulnerability_id.as_str())
        .collect();
    warned.sort_unstable();
    warned.dedup();
    records.extend(existing_records(state, warned).await?);
    records.sort_by(|a, b| a.id.cmp(&b.id));
    rematch(state, &Matchable::new(records), inventory, existing, &Issue::default()).await
}

/// Re-runs everything: every record, a page at a time by id, against the components of
/// its packages (the full sweep, for what no mark covers). It holds one page of records
/// and the components they may match in memory, never every record or inventory.
/// [`Rematch::components`] counts the components read for each page.
pub async fn rematch_all(state: &App) -> Result<Rematch> {
    let mut done = Rematch::default();
    let mut after: Option<String> = None;
    loop {
        let page = state.store.vulnerability_page(after.as_deref(), RECORDS_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        let full = page.len() as i64 == RECORDS_PAGE;
        done += rematch_records(state, page, &Issue::default()).await?;
        if !full {
            break;
        }
    }
    Ok(done)
}

/// Re-matches what changed since the last sweep (the worker's sweep): the records
/// saved, the records of the cases appended to, and the inventories of the
/// organisations whose asset groups, memberships or accounts changed, as their changes
/// marked them, a page of marks at a time. A mark is removed once its re-match is
/// written, and only while it is still the one read, so a change made meanwhile is
/// matched again by the next sweep; a sweep that fails leaves its marks for the next.
pub async fn rematch_marked(state: &App) -> Result<Rematch> {
    let mut done = Rematch::default();
    let mut after: Option<RematchMark> = None;
    loop {
        let page = state.store.rematch_marks(after.as_ref(), MARKS_PAGE).await?;
        let Some(last) = page.last() else { break };
        let full = page.len() as i64 == MARKS_PAGE;
        let mut records: BTreeMap<String, StoredVulnerability> = BTreeMap::new();
        for v in existing_records(state, of_kind(&page, RematchKind::Record)).await? {
            records.insert(v.id.clone(), v);
        }
        for case_id in of_kind(&page, RematchKind::Case) {
            for v in state.store.vulnerabilities(Some(case_id)).await? {
                records.insert(v.id.clone(), v);
            }
        }
        if !records.is_empty() {
            done += rematch_records(state, records.into_values().collect(), &Issue::default()).await?;
        }
        for org in of_kind(&page, RematchKind::Org) {
            done += rematch_org(state, org).await?;
        }
        state.store.clear_rematch_marks(&page).await?;
        after = Some(last.clone());
        if !full {
            break;
        }
    }
    Ok(done)
}

/// The ids of the marks of `kind` among `page`.
fn of_kind(page: &[RematchMark], kind: RematchKind) -> Vec<&str> {
    page.iter().filter(|m| m.kind == kind).map(|m| m.id.as_str()).collect()
}

/// Logs the outcome of a re-match run after a change that already succeeded: a failure
/// is logged, not returned (the change stands, and the worker's sweep matches it).
pub fn log_rematch(what: &str, result: Result<Rematch>) {
    match result {
        Ok(done) if done.written > 0 => tracing::info!(what, written = done.written, "warnings re-matched"),
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(what, error = %e, "re-matching warnings failed; the sweep will retry")
        }
    }
}

/// Re-matches after records were created or changed (import, new identifiers).
pub async fn after_records_changed(state: &App, ids: &[String]) {
    log_rematch("records changed", rematch_vulnerabilities(state, ids).await);
}

/// Re-matches after a case's events changed (publication, a party notified).
pub async fn after_case_changed(state: &App, case_id: &str) {
    log_rematch("case changed", rematch_case(state, case_id).await);
}

fn decode(stored: &StoredVulnerability) -> Option<Vulnerability> {
    crate::distribution::decode(stored).ok()
}

/// One affected component of one asset group.
#[derive(Debug, Clone)]
struct Hit {
    group: String,
    name: String,
    version: Option<String>,
    purl: String,
    sources: Vec<String>,
    not_affected_per: Vec<String>,
    decided_by: String,
}

/// Who may receive what the case does not yet disclose.
struct Audience {
    /// The roles of each organisation's active accounts, read when a record is first
    /// found unpublished (a re-match of public records reads no account).
    roles: Option<HashMap<String, Vec<AccountRole>>>,
    suspended: HashMap<String, bool>,
    /// The time the warnings go out.
    at: Timestamp,
}

impl Audience {
    fn new(at: Timestamp) -> Audience {
        Audience { roles: None, suspended: HashMap::new(), at }
    }

    /// The roles of `org`'s active accounts.
    async fn roles(&mut self, state: &App, org: &str) -> Result<Vec<AccountRole>> {
        if self.roles.is_none() {
            let mut roles: HashMap<String, Vec<AccountRole>> = HashMap::new();
            for account in state.store.list_accounts(Some(Status::Active)).await? {
                if let Some(org) = account.org_id {
                    let entry = roles.entry(org).or_default();
                    for role in account.roles {
                        if !entry.contains(&role) {
                            entry.push(role);
                        }
                    }
                }
            }
            self.roles = Some(roles);
        }
        Ok(self.roles.as_ref().and_then(|roles| roles.get(org)).cloned().unwrap_or_default())
    }

    /// Whether a membership of `org` is suspended when the warnings go out: the latest
    /// change of some scheme is a suspension (a suspension lasts until a review restores
    /// it).
    async fn suspended(&mut self, state: &App, org: &str) -> Result<bool> {
        if let Some(&known) = self.suspended.get(org) {
            return Ok(known);
        }
        let now = self.at;
        let history = state.store.membership_history(org).await?;
        let mut latest: BTreeMap<&str, &MembershipChangeKind> = BTreeMap::new();
        for change in history.iter().filter(|c| c.at <= now) {
            latest.insert(&change.scheme, &change.change);
        }
        let suspended = latest.values().any(|c| matches!(c, MembershipChangeKind::Suspended { .. }));
        self.suspended.insert(org.to_owned(), suspended);
        Ok(suspended)
    }

    /// Whether `org` may be told about the case before publication.
    async fn may_know(&mut self, state: &App, org: &str, loaded: &Loaded) -> Result<bool> {
        if self.suspended(state, org).await? {
            return Ok(false);
        }
        let actor = Actor { org: Some(PartyId(org.to_owned())), roles: self.roles(state, org).await? };
        let (reporter, platform) = loaded.access();
        Ok(can(
            &actor,
            Action::Read,
            &CaseAccess { case: &loaded.case, reporter: &reporter, platform: &platform },
        ))
    }
}

/// The highest-scored rating of a record: (rating, score, vector).
fn severity(v: &Vulnerability) -> Option<(String, f64, String)> {
    v.scores
        .iter()
        .filter_map(|s| {
            vulnrelay_formats::severity::score(&s.vector).ok().map(|scored| (scored, s.vector.clone()))
        })
        .max_by(|a, b| a.0.base_score.total_cmp(&b.0.base_score))
        .map(|(s, vector)| (s.rating.as_str().to_ascii_lowercase(), s.base_score, vector))
}

fn localized(text: &vulnrelay_domain::Localized) -> Value {
    json!({"en": text.en, "zh": text.zh})
}

/// The warning's content: what the unit is told.
fn content(v: &Vulnerability, case_id: Option<&str>, published: bool, hits: &[Hit], now: Timestamp) -> Value {
    let mut assets: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for hit in hits {
        assets.entry(&hit.group).or_default().push(json!({
            "name": hit.name, "version": hit.version, "purl": hit.purl, "sources": hit.sources,
            "not_affected_per": hit.not_affected_per, "decided_by": hit.decided_by,
        }));
    }
    let status = v.threat_status(now);
    let mut body = json!({
        "vulnerability": {"id": v.id, "aliases": v.aliases, "title": localized(&v.title), "cwes": v.cwes},
        "case": case_id,
        "published": published,
        "tlp": if published { TLP_CLEAR } else { TLP_AMBER },
        "severity": severity(v).map(|(rating, score, vector)| json!({"rating": rating, "score": score, "vector": vector})),
        "affected": assets.into_iter().map(|(asset, components)| json!({"asset": asset, "components": components})).collect::<Vec<_>>(),
        "remediation": localized(&v.remediation),
        "workarounds": localized(&v.workarounds),
        "fixed_versions": v.fixed_versions,
        "bypassed_fixes": status.bypassed.iter().map(|(version, _)| version).collect::<Vec<_>>(),
        "urgency": urgency(&status),
    });
    if published {
        // Only what is public may carry detail: the description, the threat level and
        // the references (which may point at exploit code).
        body["description"] = localized(&v.description);
        body["threat_level"] = json!(status.level.as_str());
        body["references"] = v.references.iter().map(|r| json!({"url": r.url, "kind": r.kind})).collect();
    }
    body
}

/// The fingerprint of a warning from what its content is made of — the record (by the
/// hash of its canonical JSON), the threat as of now (level, urgency, bypassed fixes),
/// its case, whether it is published, and the affected components — so an unchanged
/// warning is recognised without writing its content.
fn inputs_fingerprint(
    record: &[u8; 32],
    threat: &str,
    case_id: Option<&str>,
    published: bool,
    hits: &[Hit],
) -> String {
    let mut hash = Sha256::new();
    hash.update(b"vulnrelay-warning-v1\0");
    hash.update(record);
    hash.update(threat.as_bytes());
    hash.update([0]);
    hash.update(case_id.unwrap_or_default().as_bytes());
    hash.update([0, u8::from(published)]);
    for hit in hits {
        for part in [
            hit.group.as_str(),
            hit.name.as_str(),
            hit.version.as_deref().unwrap_or_default(),
            hit.purl.as_str(),
        ] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        hash.update(hit.sources.join(",").as_bytes());
        hash.update(b"|");
        hash.update(hit.not_affected_per.join(",").as_bytes());
        hash.update(b"|");
        hash.update(hit.decided_by.as_bytes());
        hash.update([1]);
    }
    hex::encode(hash.finalize())
}

/// How soon the unit must act, raised by the threat in the wild: `immediate` when the
/// vulnerability is actively exploited or a fix was bypassed, `high` when exploit
/// details or a proof of concept are public, else `routine`. A change of urgency changes
/// the content, so the warning is sent again.
fn urgency(status: &vulnrelay_domain::ThreatStatus) -> &'static str {
    use vulnrelay_domain::ThreatLevel;
    match status.level {
        ThreatLevel::ActivelyExploited => "immediate",
        _ if !status.bypassed.is_empty() => "immediate",
        ThreatLevel::ProofOfConcept | ThreatLevel::DetailsPublic => "high",
        ThreatLevel::None => "routine",
    }
}

fn fingerprint(content: &Value) -> String {
    hex::encode(Sha256::digest(vulnrelay_store::chain::canonical_json(content).as_bytes()))
}

/// Records made ready for matching: those that decode, their domain form, the hash of
/// each stored record, and the match index over them.
pub struct Matchable {
    stored: Vec<StoredVulnerability>,
    domain: Vec<Vulnerability>,
    record_hashes: Vec<[u8; 32]>,
    index: Index,
}

impl Matchable {
    /// Decodes, hashes and indexes `records` (a record that does not decode is logged and
    /// left out).
    pub fn new(records: Vec<StoredVulnerability>) -> Matchable {
        let mut stored = Vec::with_capacity(records.len());
        let mut domain = Vec::with_capacity(records.len());
        for record in records {
            match decode(&record) {
                Some(v) => {
                    domain.push(v);
                    stored.push(record);
                }
                None => tracing::warn!(id = %record.id, "a stored record does not decode; not matched"),
            }
        }
        let index = Index::new(&domain);
        let record_hashes = stored
            .iter()
            .map(|r| Sha256::digest(vulnrelay_store::chain::canonical_json(&r.record).as_bytes()).into())
            .collect();
        Matchable { stored, domain, record_hashes, index }
    }
}

impl Matchable {
    /// The package keys the records are indexed under
    /// ([`vulnrelay_store::match_keys`]): the components they may match have these.
    pub fn package_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .domain
            .iter()
            .flat_map(|v| {
                vulnrelay_match::package_keys(v)
                    .iter()
                    .map(vulnrelay_match::PackageKey::index_key)
                    .collect::<Vec<_>>()
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The primary ids of the records that affect the component with package URL
    /// `purl` (none without one, or with one that is not understood).
    pub fn affected_by(&self, purl: Option<&str>) -> Vec<String> {
        let Some(Ok((key, version))) = purl.map(parse_purl) else { return Vec::new() };
        self.index
            .lookup(&key, &version)
            .into_iter()
            .map(|m| self.stored[m.vulnerability].id.clone())
            .collect()
    }
}

/// Matches `inventory` against `records` and writes what changed: `existing` are the
/// stored warnings in scope, which are withdrawn when nothing matches them any more
/// (those of a record not among `records` are left alone).
async fn rematch(
    state: &App,
    records: &Matchable,
    inventory: Vec<OrgComponent>,
    existing: Vec<WarningSummary>,
    issue: &Issue,
) -> Result<Rematch> {
    let Matchable { stored, domain, record_hashes, index } = records;
    let now = issue.at.unwrap_or_else(Utc::now);
    let threats: Vec<String> = domain
        .iter()
        .map(|v| {
            let status = v.threat_status(now);
            let bypassed: Vec<&str> = status.bypassed.iter().map(|(version, _)| version.as_str()).collect();
            format!("{}|{}|{}", status.level.as_str(), urgency(&status), bypassed.join(","))
        })
        .collect();
    let mut done =
        Rematch { vulnerabilities: domain.len(), components: inventory.len(), ..Rematch::default() };
    // (org, vulnerability index) -> hits, in a stable order.
    let mut hits: BTreeMap<(String, usize), Vec<Hit>> = BTreeMap::new();
    for item in &inventory {
        let Some(purl) = &item.component.purl else { continue };
        let Ok((key, version)) = parse_purl(purl) else { continue };
        for m in index.lookup(&key, &version) {
            hits.entry((item.org_id.clone(), m.vulnerability)).or_default().push(Hit {
                group: item.group.clone(),
                name: item.component.name.clone(),
                version: item.component.version.clone().or(Some(version.clone())),
                purl: purl.clone(),
                sources: m.sources,
                not_affected_per: m.not_affected_per,
                decided_by: m.decided_by,
            });
        }
    }
    done.affected = hits.len();
    // What each warning in scope says now: an unchanged draft is not even sent to the
    // store (which checks again under its row lock), so a sweep with nothing new
    // writes nothing.
    let current: HashMap<(String, String), (String, WarningState)> = existing
        .iter()
        .map(|w| ((w.org_id.clone(), w.vulnerability_id.clone()), (w.fingerprint.clone(), w.state)))
        .collect();
    let mut audience = Audience::new(now);
    let mut cases: HashMap<String, Option<Loaded>> = HashMap::new();
    let mut drafts = Vec::new();
    for ((org, i), hits) in &hits {
        let (record, v) = (&stored[*i], &domain[*i]);
        let loaded = match &record.case_id {
            None => None,
            Some(case_id) => {
                if !cases.contains_key(case_id) {
                    let loaded = match load(state, case_id).await {
                        Ok(loaded) => Some(as_of(loaded, issue.at)),
                        Err(Error::NotFound { .. }) => None,
                        Err(e) => return Err(e),
                    };
                    cases.insert(case_id.clone(), loaded);
                }
                cases.get(case_id).and_then(Option::as_ref)
            }
        };
        let published = match (&record.case_id, loaded) {
            (None, _) => true,
            (Some(_), Some(loaded)) => loaded.state().is_published(),
            // A record whose case cannot be loaded is treated as undisclosed and withheld.
            (Some(_), None) => false,
        };
        if !published {
            let allowed = match (loaded, &issue.release) {
                // The case's platform warns the industry: every affected unit that is
                // not suspended.
                (Some(_), Some(_)) => !audience.suspended(state, org).await?,
                (Some(loaded), None) => audience.may_know(state, org, loaded).await?,
                (None, _) => false,
            };
            if !allowed {
                done.withheld += 1;
                continue;
            }
        }
        let release = issue.release.as_ref().filter(|_| !published);
        let mut print =
            inputs_fingerprint(&record_hashes[*i], &threats[*i], record.case_id.as_deref(), published, hits);
        if let Some(release) = release {
            // Another note of the platform is another warning.
            print = fingerprint(&json!([print, release.by, localized(&release.note)]));
        }
        let pair = (org.clone(), record.id.clone());
        if current.get(&pair).is_some_and(|(f, s)| *f == print && *s == WarningState::Active) {
            continue;
        }
        let mut body = content(v, record.case_id.as_deref(), published, hits, now);
        if let Some(release) = release {
            body["issued_by"] = json!(release.by);
            body["note"] = localized(&release.note);
        }
        drafts.push(WarningDraft {
            org_id: org.clone(),
            vulnerability_id: record.id.clone(),
            case_id: record.case_id.clone(),
            state: WarningState::Active,
            tlp: if published { TLP_CLEAR } else { TLP_AMBER }.to_owned(),
            severity: severity(v).map(|(rating, _, _)| rating),
            fingerprint: print,
            content: body,
        });
    }
    // Warnings in scope whose assets no longer match are withdrawn.
    let affected_pairs: HashSet<(String, String)> =
        hits.keys().map(|(org, i)| (org.clone(), stored[*i].id.clone())).collect();
    let known: HashSet<&str> = stored.iter().map(|r| r.id.as_str()).collect();
    for warning in existing {
        let pair = (warning.org_id.clone(), warning.vulnerability_id.clone());
        if warning.state == WarningState::Withdrawn
            || affected_pairs.contains(&pair)
            || !known.contains(warning.vulnerability_id.as_str())
        {
            continue;
        }
        let warning = state.store.warning(&warning.id).await?;
        let mut body = warning.content.clone();
        body["affected"] = json!([]);
        body["withdrawn"] = json!(true);
        drafts.push(WarningDraft {
            org_id: warning.org_id,
            vulnerability_id: warning.vulnerability_id,
            case_id: warning.case_id,
            state: WarningState::Withdrawn,
            tlp: warning.tlp,
            severity: warning.severity,
            fingerprint: fingerprint(&body),
            content: body,
        });
    }
    for chunk in drafts.chunks(500) {
        done.written += state.store.save_warnings(chunk, now).await?.len();
    }
    Ok(done)
}

/// Whether `caller` may see a warning: an account of the warned organisation, or a
/// platform analyst or administrator who may read the warning's case (if any).
pub async fn visible_to(
    state: &App,
    caller: &crate::caller::Caller,
    warning: &vulnrelay_store::warnings::Warning,
) -> Result<()> {
    let account = caller.require()?;
    if account.org_id.as_deref() == Some(warning.org_id.as_str()) {
        return Ok(());
    }
    // Another unit's warning: an administrator, or the analysts of a platform that
    // works the warning's case (any platform for a record of no case).
    if crate::relations::admin(caller).is_some() {
        return Ok(());
    }
    if crate::relations::platform_staff(state, caller).await.is_ok() {
        match &warning.case_id {
            None => return Ok(()),
            Some(case_id) => {
                if let Ok(loaded) = crate::casefile::authorize(state, caller, case_id, Action::Read).await
                    && crate::relations::works_on(caller, &loaded)
                {
                    return Ok(());
                }
            }
        }
    }
    Err(Error::not_found("warning"))
}
