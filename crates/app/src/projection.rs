//! The server's [`Projector`]: from a case as a writing transaction leaves it, its
//! state, the organisations that stand in a relation to it (what they may list), and
//! the open obligations of its parties under the policy packs, with when they fall due.
//! The store writes them in that transaction (`vulnrelay_store::projections`).

use std::collections::BTreeSet;

use chrono::Utc;
use sha2::{Digest, Sha256};
use vulnrelay_domain::{PartyId, Relation, Timestamp};
use vulnrelay_policy::{Finding, Interpretation, Options, Pack, RuleKind, Settings, Status};
use vulnrelay_store::Projector;
use vulnrelay_store::projections::{
    CaseProjection, CaseSnapshot, OpenObligation, OpenStatus, PreviousViews, WaitingVendor,
};

use crate::casefile::Loaded;
use crate::intervals::FirstWarning;

/// Raised by hand when what a projection holds, or how it is computed, changes in a
/// way the packs' text does not show: every stored view is then recomputed at start.
const PROJECTION_FORMAT: &str = "vulnrelay-projection/2";

/// Above this many downstream vendors a case's obligations are evaluated in groups of
/// this many vendors (see [`CaseProjector::project_loaded`]).
pub const VENDORS_PER_EVALUATION: usize = 50;

/// Projects cases under a set of policy packs and settings.
#[derive(Debug)]
pub struct CaseProjector {
    packs: Vec<Pack>,
    settings: Settings,
    version: String,
    vendors_per_evaluation: usize,
}

impl CaseProjector {
    /// A projector evaluating `packs` under `settings`.
    pub fn new(packs: Vec<Pack>, settings: Settings) -> CaseProjector {
        let mut digest = Sha256::new();
        digest.update(PROJECTION_FORMAT);
        digest.update(env!("CARGO_PKG_VERSION"));
        for (name, text) in vulnrelay_policy::BUILTIN_PACK_SOURCES {
            digest.update(name);
            digest.update(text);
        }
        // Packs given in code (tests) and the settings are told apart by their content.
        digest.update(format!("{packs:?}{settings:?}"));
        let version = format!("{}-{}", PROJECTION_FORMAT, &hex::encode(digest.finalize())[..16]);
        CaseProjector { packs, settings, version, vendors_per_evaluation: VENDORS_PER_EVALUATION }
    }

    /// This projector evaluating a case's downstream vendors `n` at a time (the same
    /// views; what a test compares with the whole case evaluated at once).
    pub fn vendors_per_evaluation(self, n: usize) -> CaseProjector {
        CaseProjector { vendors_per_evaluation: n.max(1), ..self }
    }

    /// The projection of a loaded case at `at` (or at its latest event, when later).
    ///
    /// A case with more than [`VENDORS_PER_EVALUATION`] downstream vendors (by default)
    /// is evaluated
    /// in parts, as the coordination board and the gates evaluate it
    /// (`coordination::narrow`): once without any vendor, for the other parties'
    /// obligations on the other products, and once per group of vendors, for theirs and
    /// for those on their products; the vendors left out of a part cannot change a
    /// finding about those kept. The whole case at once costs what every vendor's
    /// products times every event costs: minutes at 5,000 vendors.
    pub fn project_loaded(&self, loaded: &Loaded, at: Timestamp) -> CaseProjection {
        self.project_loaded_after(loaded, at, None)
    }

    /// [`CaseProjector::project_loaded`], reusing `previous` views where the change
    /// after them cannot change them: when every new event involves a downstream vendor
    /// (as its party, its recipient or the provider of its product) and what joined are
    /// new vendors with their products, only those vendors' obligations are evaluated
    /// again — the case narrowed to the other vendors, or to none, holds nothing of the
    /// change, so their parts are as they were (`reusable_around`).
    pub fn project_loaded_after(
        &self,
        loaded: &Loaded,
        at: Timestamp,
        previous: Option<&PreviousViews>,
    ) -> CaseProjection {
        self.project_with_warning(loaded, at, previous, None)
    }

    /// [`CaseProjector::project_loaded_after`], the case's first risk warning closing
    /// the interval it ends (what the store reads with the case).
    pub fn project_with_warning(
        &self,
        loaded: &Loaded,
        at: Timestamp,
        previous: Option<&PreviousViews>,
        first_warning: Option<&FirstWarning>,
    ) -> CaseProjection {
        let case = &loaded.case;
        let state = loaded.state();
        let mut orgs: BTreeSet<PartyId> = case.parties().iter().map(|p| p.id.clone()).collect();
        orgs.insert(PartyId(loaded.record.reporter_org.clone()));
        orgs.insert(PartyId(loaded.record.platform_org.clone()));
        let relations = loaded
            .relations(&orgs)
            .into_iter()
            .filter(|(_, relation)| *relation != Relation::Public)
            .map(|(org, relation)| (org.0.clone(), relation.as_str().to_owned()))
            .collect();
        let latest = case.events().iter().map(|e| e.at).max();
        let as_of = latest.map_or(at, |latest| latest.max(at));
        let options = Options { as_of, interpretation: Interpretation::Hours };
        let vendors: BTreeSet<&str> = case
            .products()
            .iter()
            .filter(|p| !p.upstream.is_empty())
            .map(|p| p.provider.0.as_str())
            .collect();
        // The vendor a finding or an obligation belongs to: its party, or its product's
        // provider.
        let vendor_of = |party: &str, product: Option<&vulnrelay_domain::ProductId>| -> Option<String> {
            if vendors.contains(party) {
                return Some(party.to_owned());
            }
            let product = product.and_then(|p| case.product(p))?;
            vendors.contains(product.provider.0.as_str()).then(|| product.provider.0.clone())
        };
        let reusable = previous
            .filter(|_| vendors.len() > self.vendors_per_evaluation)
            .and_then(|p| Some((p, reusable_around(loaded, &vendors, p)?)));
        let mut obligations: Vec<OpenObligation> = if vendors.len() <= self.vendors_per_evaluation {
            self.open_obligations(case, &options, |_| true)
        } else if let Some((previous, touched)) = reusable {
            let mut found: Vec<OpenObligation> = previous
                .projection
                .obligations
                .iter()
                .filter(|o| {
                    let product =
                        (!o.product.is_empty()).then(|| vulnrelay_domain::ProductId(o.product.clone()));
                    vendor_of(&o.org_id, product.as_ref()).is_none_or(|v| !touched.contains(v.as_str()))
                })
                .cloned()
                .collect();
            let touched: Vec<&str> = touched.into_iter().collect();
            for group in touched.chunks(self.vendors_per_evaluation) {
                let keep: BTreeSet<&str> = group.iter().copied().collect();
                let in_group = |f: &Finding<'_>| {
                    vendor_of(&f.party.0, f.product).is_some_and(|v| keep.contains(v.as_str()))
                };
                match crate::coordination::narrow(case, &keep, &[]) {
                    Some((part, _)) => found.extend(self.open_obligations(&part, &options, in_group)),
                    None => found.extend(self.open_obligations(case, &options, in_group)),
                }
            }
            found
        } else {
            let vendor_of = |f: &Finding<'_>| vendor_of(&f.party.0, f.product);
            let mut found = match crate::coordination::narrow(case, &BTreeSet::new(), &[]) {
                Some((without, _)) => self.open_obligations(&without, &options, |f| vendor_of(f).is_none()),
                None => self.open_obligations(case, &options, |f| vendor_of(f).is_none()),
            };
            let all: Vec<&str> = vendors.iter().copied().collect();
            for group in all.chunks(self.vendors_per_evaluation) {
                let keep: BTreeSet<&str> = group.iter().copied().collect();
                let in_group = |f: &Finding<'_>| vendor_of(f).is_some_and(|v| keep.contains(v.as_str()));
                match crate::coordination::narrow(case, &keep, &[]) {
                    Some((part, _)) => found.extend(self.open_obligations(&part, &options, in_group)),
                    None => found.extend(self.open_obligations(case, &options, in_group)),
                }
            }
            found
        };
        obligations.sort();
        obligations.dedup_by(|a, b| (&a.org_id, &a.rule, &a.product) == (&b.org_id, &b.rule, &b.product));
        CaseProjection {
            state: state.as_str().to_owned(),
            published: state.is_published(),
            relations,
            obligations,
            vendors: vendors.len() as i64,
            products: loaded.products.len() as i64,
            intervals: crate::intervals::interval_lengths(case, first_warning),
            waiting: waiting_vendors(case),
        }
    }

    /// The open obligations of `case` the packs find at `options`, of the findings
    /// `wanted` keeps.
    fn open_obligations(
        &self,
        case: &vulnrelay_domain::Case,
        options: &Options,
        wanted: impl Fn(&Finding<'_>) -> bool,
    ) -> Vec<OpenObligation> {
        vulnrelay_policy::evaluate_with(case, &self.packs, options, &self.settings)
            .iter()
            .filter(|f| matches!(f.rule.kind, RuleKind::Obligation(_)) && wanted(f))
            .filter_map(|f| {
                let status = match f.status {
                    Status::Pending | Status::Overdue => OpenStatus::Pending,
                    Status::MetIncomplete => OpenStatus::Incomplete,
                    Status::NotStarted => OpenStatus::NotStarted,
                    _ => return None,
                };
                Some(OpenObligation {
                    org_id: f.party.0.clone(),
                    rule: f.rule_id(),
                    product: f.product.map(|p| p.0.clone()).unwrap_or_default(),
                    due_at: f.due_at,
                    status,
                })
            })
            .collect()
    }
}

impl Projector for CaseProjector {
    fn version(&self) -> String {
        self.version.clone()
    }

    fn project(&self, snapshot: &CaseSnapshot, at: Timestamp) -> Result<CaseProjection, String> {
        let loaded = Loaded::from_snapshot(snapshot.clone())?;
        Ok(self.project_with_warning(&loaded, at, None, snapshot.first_warning.as_ref()))
    }

    fn project_after(
        &self,
        snapshot: &CaseSnapshot,
        at: Timestamp,
        previous: Option<&PreviousViews>,
    ) -> Result<CaseProjection, String> {
        let loaded = Loaded::from_snapshot(snapshot.clone())?;
        Ok(self.project_with_warning(&loaded, at, previous, snapshot.first_warning.as_ref()))
    }
}

/// The vendors whose obligations must be evaluated again after the change that
/// followed `previous`: those the new events involve and those that joined with it —
/// or `None` when the rest of the views cannot be kept: a new event involves no
/// vendor, a product that joined names no upstream, or a vendor that joined was on the
/// case before (a provider of an earlier product, a party to an earlier event), so the
/// case without vendors changed.
fn reusable_around<'v>(
    loaded: &Loaded,
    vendors: &BTreeSet<&'v str>,
    previous: &PreviousViews,
) -> Option<BTreeSet<&'v str>> {
    let case = &loaded.case;
    let known = usize::try_from(previous.projection.products).ok().filter(|&k| k <= loaded.products.len())?;
    let product = |f: &vulnrelay_store::Fragment| case.product(&vulnrelay_domain::ProductId(f.id.clone()));
    let earlier: Vec<_> = loaded.products[..known].iter().filter_map(product).collect();
    let joined: Vec<_> = loaded.products[known..].iter().filter_map(product).collect();
    if earlier.len() != known || joined.len() != loaded.products.len() - known {
        return None;
    }
    if joined.iter().any(|p| p.upstream.is_empty()) {
        return None;
    }
    let earlier_vendors: BTreeSet<&str> =
        earlier.iter().filter(|p| !p.upstream.is_empty()).map(|p| p.provider.0.as_str()).collect();
    if earlier_vendors.len() as i64 != previous.projection.vendors {
        return None;
    }
    let earlier_providers: BTreeSet<&str> = earlier.iter().map(|p| p.provider.0.as_str()).collect();
    let new_vendors: BTreeSet<&'v str> =
        vendors.iter().copied().filter(|v| !earlier_vendors.contains(v)).collect();
    if new_vendors.iter().any(|v| earlier_providers.contains(v)) {
        return None;
    }
    let first_new = loaded.events.iter().position(|e| e.seq > previous.seq).unwrap_or(loaded.events.len());
    let involved_before = case.events().get(..first_new)?.iter().any(|e| {
        new_vendors.contains(e.party.0.as_str())
            || e.recipient().is_some_and(|r| new_vendors.contains(r.0.as_str()))
    });
    if involved_before {
        return None;
    }
    let mut touched = touched_vendors(loaded, vendors, previous.seq)?;
    touched.extend(new_vendors);
    Some(touched)
}

/// The downstream vendors the events after `seq` involve (as party, recipient or
/// their product's provider), or `None` when one of them involves none (it may change
/// anyone's obligations) or the log holds no event at `seq`.
fn touched_vendors<'v>(loaded: &Loaded, vendors: &BTreeSet<&'v str>, seq: i64) -> Option<BTreeSet<&'v str>> {
    let first_new = match loaded.events.iter().position(|e| e.seq > seq) {
        Some(i) => i,
        None => return (loaded.events.last().map_or(0, |e| e.seq) == seq).then(BTreeSet::new),
    };
    if first_new == 0 || loaded.events[first_new - 1].seq != seq {
        return None;
    }
    let case = &loaded.case;
    let mut touched = BTreeSet::new();
    for event in case.events().get(first_new..)? {
        let provider = event.product.as_ref().and_then(|p| case.product(p)).map(|p| p.provider.0.as_str());
        let involved: Vec<&'v str> =
            [Some(event.party.0.as_str()), event.recipient().map(|r| r.0.as_str()), provider]
                .into_iter()
                .flatten()
                .filter_map(|org| vendors.get(org).copied())
                .collect();
        if involved.is_empty() {
            return None;
        }
        touched.extend(involved);
    }
    Some(touched)
}

/// Recomputes the views of the cases whose views are missing, behind their log or made
/// under other packs (a database from an earlier version, a crash between versions):
/// run at start, before serving.
pub async fn catch_up(store: &dyn vulnrelay_store::Store) -> vulnrelay_store::Result<usize> {
    let stale = store.project_stale(Utc::now()).await?;
    if stale > 0 {
        tracing::info!(cases = stale, "case views recomputed");
    }
    Ok(stale)
}

/// The cases whose stored views differ from a recomputation by `projector` at `at`
/// from the event log (what `vulnrelay rebuild-projections --check` reports).
pub async fn drifted(
    store: &dyn vulnrelay_store::Store,
    projector: &CaseProjector,
    at: Timestamp,
) -> vulnrelay_store::Result<Vec<String>> {
    let mut drifted = Vec::new();
    for case_id in store.case_ids().await? {
        let snapshot = snapshot(store, &case_id).await?;
        let expected = projector.project(&snapshot, at).ok().map(|p| comparable(&p));
        let stored = store.projection(&case_id).await?.map(|p| comparable(&p));
        if expected != stored {
            drifted.push(case_id);
        }
    }
    Ok(drifted)
}

/// Case `case_id` as stored, read outside a writing transaction (what a projector is
/// given, for a check or a test): the case in one read, then its first warning.
pub async fn snapshot(
    store: &dyn vulnrelay_store::Store,
    case_id: &str,
) -> vulnrelay_store::Result<CaseSnapshot> {
    let mut snapshot = store.case_snapshot(case_id).await?;
    snapshot.first_warning = store.first_warning(case_id).await?;
    Ok(snapshot)
}

/// A projection as compared: relations and obligations in one order, due times at the
/// store's precision.
pub fn comparable(projection: &CaseProjection) -> CaseProjection {
    let mut p = projection.clone();
    p.relations.sort();
    for o in &mut p.obligations {
        o.due_at = o.due_at.map(vulnrelay_store::time::truncate);
    }
    p.obligations.sort();
    p.intervals.sort();
    for w in &mut p.waiting {
        w.last_told = vulnrelay_store::time::truncate(w.last_told);
    }
    p.waiting.sort();
    p
}

/// The downstream vendors of `case` that a platform told something and that have not
/// answered since, by vendor (as the coordination board counts their silence).
fn waiting_vendors(case: &vulnrelay_domain::Case) -> Vec<WaitingVendor> {
    let mut waiting: Vec<WaitingVendor> = crate::participants::participants(case)
        .into_iter()
        .filter(crate::participants::Participant::is_waiting)
        .map(|p| WaitingVendor { vendor: p.vendor, last_told: p.last_told })
        .collect();
    waiting.sort();
    waiting
}
