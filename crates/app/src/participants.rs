//! The downstream vendors of a case as its record shows them: who a platform told about
//! which of its products, what each said, and the case narrowed to some of them (what
//! the gates and the projector evaluate on a case coordinating thousands). Pure
//! functions of the case.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use vulnrelay_domain::{Case, EventKind, PLATFORM_ROLES, PartyId, ProductId, Timestamp};

use crate::casefile::Loaded;

/// The case-product id of a vendor's product: `vendor:name`.
pub fn product_id(org: &str, name: &str) -> String {
    format!("{org}:{}", name.trim())
}

/// The product an event about one product is about when it names none, on a case whose
/// other products are all downstream vendors' (they name an upstream product): the
/// case's own component. `None` when the case has one product (the case file implies
/// it) or several of its own (the event must say which).
pub fn default_product(loaded: &Loaded) -> Option<String> {
    if loaded.case.products().len() < 2 {
        return None;
    }
    let mut own = loaded.case.products().iter().filter(|p| p.upstream.is_empty());
    match (own.next(), own.next()) {
        (Some(product), None) => Some(product.id.0.clone()),
        _ => None,
    }
}

/// One participant product as the record shows it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The product (case product id).
    pub product: String,
    /// Its name.
    pub product_name: String,
    /// When the platform told the vendor about it.
    pub added_at: Timestamp,
    /// The latest status per vulnerability: (event index, status event).
    pub statuses: BTreeMap<String, usize>,
}

/// A vendor taking part, with its products and what it said.
#[derive(Debug, Clone)]
pub struct Participant {
    /// The vendor's organisation id.
    pub vendor: String,
    /// Its name.
    pub name: String,
    /// Its products on the case.
    pub products: Vec<Entry>,
    /// When it was first told.
    pub added_at: Timestamp,
    /// When the platform last told it something.
    pub last_told: Timestamp,
    /// Its last event on the case (its last answer), if any.
    pub last_answer: Option<Timestamp>,
}

impl Participant {
    /// Days since the platform last told the vendor something, when the vendor has not
    /// answered since (`None`: it has).
    pub fn unanswered_days(&self, now: Timestamp) -> Option<i64> {
        self.is_waiting().then(|| silent_days(self.last_told, now))
    }

    /// Whether the vendor has not answered since the platform last told it something.
    pub fn is_waiting(&self) -> bool {
        self.last_answer.is_none_or(|answer| answer < self.last_told)
    }
}

/// Whole days from `last_told` to `now` (none before it).
pub fn silent_days(last_told: Timestamp, now: Timestamp) -> i64 {
    (now - last_told).num_days().max(0)
}

/// The vendors taking part in `case`: every product provider a platform of the case
/// notified about one of its products, in the order they were added.
pub fn participants(case: &Case) -> Vec<Participant> {
    let platform = |id: &PartyId| case.party(id).is_some_and(|p| p.has_any_role(&PLATFORM_ROLES));
    let mut out: Vec<Participant> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for event in case.events() {
        match &event.kind {
            EventKind::Notified { to, .. } if platform(&event.party) => {
                let Some(product) = event.product.as_ref().and_then(|p| case.product(p)) else { continue };
                if &product.provider != to || product.upstream.is_empty() {
                    continue;
                }
                let index = *at.entry(to.0.as_str()).or_insert_with(|| {
                    out.push(Participant {
                        vendor: to.0.clone(),
                        name: case.party(to).map_or_else(|| to.0.clone(), |p| p.name.clone()),
                        products: Vec::new(),
                        added_at: event.at,
                        last_told: event.at,
                        last_answer: None,
                    });
                    out.len() - 1
                });
                let participant = &mut out[index];
                participant.last_told = participant.last_told.max(event.at);
                if !participant.products.iter().any(|e| e.product == product.id.0) {
                    participant.products.push(Entry {
                        product: product.id.0.clone(),
                        product_name: product.name.clone(),
                        added_at: event.at,
                        statuses: BTreeMap::new(),
                    });
                }
            }
            _ => {}
        }
    }
    for (i, event) in case.events().iter().enumerate() {
        let Some(&index) = at.get(event.party.0.as_str()) else { continue };
        let participant = &mut out[index];
        if event.at >= participant.added_at {
            participant.last_answer = Some(participant.last_answer.map_or(event.at, |a| a.max(event.at)));
        }
        if let (EventKind::VendorStatus { vulnerability, .. }, Some(product)) = (&event.kind, &event.product)
            && let Some(entry) = participant.products.iter_mut().find(|e| e.product == product.0)
        {
            let later = entry.statuses.get(vulnerability).is_none_or(|&j| case.events()[j].at <= event.at);
            if later {
                entry.statuses.insert(vulnerability.clone(), i);
            }
        }
    }
    out
}

/// `case` without the downstream vendors (providers of products that name an upstream
/// product) other than those in `keep` and those the events at `new` involve: their
/// parties, products and events left out (and `attested` events, whose indexes would
/// move). The other participants cannot change a finding about the vendors kept or a
/// gate on the new events, so the packs evaluate the narrowed case at the cost of what
/// it keeps. Returns it with the new positions of the events at `new`, or `None` when
/// there is nothing to leave out or the narrowed case does not hold together.
pub fn narrow(case: &Case, keep: &BTreeSet<&str>, new: &[usize]) -> Option<(Case, Vec<usize>)> {
    let vendors: BTreeSet<&str> =
        case.products().iter().filter(|p| !p.upstream.is_empty()).map(|p| p.provider.0.as_str()).collect();
    let mut kept: BTreeSet<&str> = keep.clone();
    for &i in new {
        let Some(event) = case.events().get(i) else { continue };
        kept.insert(event.party.0.as_str());
        if let Some(to) = event.recipient() {
            kept.insert(to.0.as_str());
        }
        if let Some(product) = event.product.as_ref().and_then(|p| case.product(p)) {
            kept.insert(product.provider.0.as_str());
        }
    }
    if vendors.iter().all(|v| kept.contains(v)) {
        return None;
    }
    let keep_party = |id: &PartyId| !vendors.contains(id.0.as_str()) || kept.contains(id.0.as_str());
    let parties: Vec<_> = case.parties().iter().filter(|p| keep_party(&p.id)).cloned().collect();
    let products: Vec<_> = case.products().iter().filter(|p| keep_party(&p.provider)).cloned().collect();
    let kept_products: BTreeSet<&ProductId> = products.iter().map(|p| &p.id).collect();
    let mut events = Vec::new();
    let mut moved = Vec::new();
    for (i, e) in case.events().iter().enumerate() {
        let keep = !matches!(e.kind, EventKind::Attested { .. })
            && keep_party(&e.party)
            && e.recipient().is_none_or(keep_party)
            && e.product.as_ref().is_none_or(|p| kept_products.contains(p));
        if new.contains(&i) {
            if !keep {
                return None;
            }
            moved.push(events.len());
        }
        if keep {
            events.push(e.clone());
        }
    }
    let narrowed = Case::new(case.title().to_owned(), case.timezone(), parties, products, events).ok()?;
    Some((narrowed, moved))
}
