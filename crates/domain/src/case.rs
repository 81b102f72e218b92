//! The case: the parties, products and events of one vulnerability's story.

use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono_tz::Tz;

use crate::{Event, EventKind, Party, PartyId, Product, ProductId, Timestamp};

/// Where in a case a problem is: a section, an index in it, and a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemField {
    /// `parties[index].field`
    Party(usize, &'static str),
    /// `products[index].field`
    Product(usize, &'static str),
    /// `events[index].field`
    Event(usize, &'static str),
}

/// One thing wrong with a case: a dangling reference, a duplicate id, a missing product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseProblem {
    /// Where it is.
    pub field: ProblemField,
    /// What is wrong, in English.
    pub message: String,
}

impl fmt::Display for CaseProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            ProblemField::Party(i, field) => write!(f, "parties[{i}].{field}: {}", self.message),
            ProblemField::Product(i, field) => write!(f, "products[{i}].{field}: {}", self.message),
            ProblemField::Event(i, field) => write!(f, "events[{i}].{field}: {}", self.message),
        }
    }
}

/// A vulnerability case: who is involved, which products, and what happened.
///
/// Built only through [`Case::new`], which checks that every id is unique and every
/// reference resolves, so the rest of the code can look things up without failing.
#[derive(Debug, Clone)]
pub struct Case {
    title: String,
    timezone: Tz,
    parties: Vec<Party>,
    products: Vec<Product>,
    events: Vec<Event>,
    party_index: HashMap<PartyId, usize>,
    product_index: HashMap<ProductId, usize>,
}

impl Case {
    /// Builds a case, resolving the implied product of events in a one-product case,
    /// and reports every problem found (not only the first).
    pub fn new(
        title: String,
        timezone: Tz,
        parties: Vec<Party>,
        products: Vec<Product>,
        mut events: Vec<Event>,
    ) -> Result<Case, Vec<CaseProblem>> {
        let mut problems = Vec::new();
        let mut party_index = HashMap::with_capacity(parties.len());
        for (i, party) in parties.iter().enumerate() {
            if party_index.insert(party.id.clone(), i).is_some() {
                problems.push(problem(
                    ProblemField::Party(i, "id"),
                    format!("duplicate party id `{}`", party.id),
                ));
            }
            let mut seen = HashSet::new();
            for membership in &party.memberships {
                if !seen.insert(membership.id.as_str()) {
                    problems.push(problem(
                        ProblemField::Party(i, "memberships"),
                        format!("membership `{}` listed twice", membership.id),
                    ));
                }
            }
        }
        let mut product_index = HashMap::with_capacity(products.len());
        for (i, product) in products.iter().enumerate() {
            if product_index.insert(product.id.clone(), i).is_some() {
                problems.push(problem(
                    ProblemField::Product(i, "id"),
                    format!("duplicate product id `{}`", product.id),
                ));
            }
        }
        for (i, product) in products.iter().enumerate() {
            if !party_index.contains_key(&product.provider) {
                problems.push(problem(
                    ProblemField::Product(i, "provider"),
                    format!("unknown party `{}`", product.provider),
                ));
            }
            for upstream in &product.upstream {
                if !product_index.contains_key(upstream) {
                    problems.push(problem(
                        ProblemField::Product(i, "upstream"),
                        format!("unknown product `{upstream}`"),
                    ));
                } else if upstream == &product.id {
                    problems.push(problem(
                        ProblemField::Product(i, "upstream"),
                        "a product cannot be its own upstream".to_owned(),
                    ));
                }
            }
        }
        let only_product = match products.as_slice() {
            [only] => Some(only.id.clone()),
            _ => None,
        };
        for (i, event) in events.iter_mut().enumerate() {
            if let EventKind::Attested { event: attested } = event.kind
                && attested >= i
            {
                problems.push(problem(
                    ProblemField::Event(i, "event"),
                    format!(
                        "an attestation refers to an earlier event; there is no event {attested} before it"
                    ),
                ));
            }
            if !party_index.contains_key(&event.party) {
                problems.push(problem(
                    ProblemField::Event(i, "party"),
                    format!("unknown party `{}`", event.party),
                ));
            }
            for (field, reference) in event_party_references(&event.kind) {
                if !party_index.contains_key(reference) {
                    problems
                        .push(problem(ProblemField::Event(i, field), format!("unknown party `{reference}`")));
                }
            }
            match &event.product {
                Some(product) if !product_index.contains_key(product) => {
                    problems.push(problem(
                        ProblemField::Event(i, "product"),
                        format!("unknown product `{product}`"),
                    ));
                }
                Some(_) => {}
                None if only_product.is_some() => event.product = only_product.clone(),
                None if event.event_type().needs_product() => problems.push(problem(
                    ProblemField::Event(i, "product"),
                    format!(
                        "a `{}` event must name its product when the case has {} products",
                        event.event_type(),
                        products.len()
                    ),
                )),
                None => {}
            }
            if let EventKind::Blackout { until } = &event.kind
                && *until <= event.at
            {
                problems.push(problem(
                    ProblemField::Event(i, "until"),
                    "a blackout must end after it starts".to_owned(),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Case { title, timezone, parties, products, events, party_index, product_index })
    }

    /// The case's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The time zone used to show times and to interpret dates and calendar days.
    pub fn timezone(&self) -> Tz {
        self.timezone
    }

    /// The parties, in their original order.
    pub fn parties(&self) -> &[Party] {
        &self.parties
    }

    /// The products, in their original order.
    pub fn products(&self) -> &[Product] {
        &self.products
    }

    /// The events, in their original order (evidence refers to these indexes).
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Looks up a party by id.
    pub fn party(&self, id: &PartyId) -> Option<&Party> {
        self.party_index.get(id).map(|&i| &self.parties[i])
    }

    /// The position of a party in [`Case::parties`].
    pub fn party_position(&self, id: &PartyId) -> Option<usize> {
        self.party_index.get(id).copied()
    }

    /// The position of a product in [`Case::products`].
    pub fn product_position(&self, id: &ProductId) -> Option<usize> {
        self.product_index.get(id).copied()
    }

    /// The vendors' public statements: for each product and vulnerability, the latest
    /// `vendor_status` event (the later recorded one when two share a time), in the
    /// order of the products, then of the vulnerabilities as first named.
    pub fn vendor_statements(&self) -> Vec<crate::VendorStatement> {
        let mut latest: Vec<(usize, &str, usize)> = Vec::new();
        for (i, event) in self.events.iter().enumerate() {
            let (EventKind::VendorStatus { vulnerability, .. }, Some(product)) =
                (&event.kind, &event.product)
            else {
                continue;
            };
            let Some(p) = self.product_position(product) else { continue };
            match latest.iter_mut().find(|(q, v, _)| *q == p && *v == vulnerability.as_str()) {
                Some(entry) if self.events[entry.2].at <= event.at => entry.2 = i,
                Some(_) => {}
                None => latest.push((p, vulnerability.as_str(), i)),
            }
        }
        latest.sort_by_key(|(p, _, _)| *p);
        latest
            .into_iter()
            .filter_map(|(p, _, i)| {
                let event = &self.events[i];
                let EventKind::VendorStatus {
                    vulnerability,
                    status,
                    justification,
                    fixed_version,
                    statement,
                } = &event.kind
                else {
                    return None;
                };
                let product = &self.products[p];
                Some(crate::VendorStatement {
                    vendor: self
                        .party(&product.provider)
                        .map_or_else(|| product.provider.0.clone(), |v| v.name.clone()),
                    product: product.name.clone(),
                    vulnerability: vulnerability.clone(),
                    status: *status,
                    justification: *justification,
                    fixed_version: fixed_version.clone(),
                    statement: statement.clone(),
                    at: event.at,
                })
            })
            .collect()
    }

    /// Looks up a product by id.
    pub fn product(&self, id: &ProductId) -> Option<&Product> {
        self.product_index.get(id).map(|&i| &self.products[i])
    }

    /// Whether `party` provides `product`.
    pub fn is_provider(&self, party: &PartyId, product: &ProductId) -> bool {
        self.product(product).is_some_and(|p| &p.provider == party)
    }

    /// The indexes of the events sorted by time; events at the same instant keep
    /// their original order.
    pub fn chronological(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.events.len()).collect();
        order.sort_by_key(|&i| self.events[i].at);
        order
    }

    /// Whether `party`'s membership `scheme` is active at `at`: within its term, and
    /// not suspended by a `membership_suspended` event that is still running (neither
    /// expired nor followed by a `membership_restored`).
    pub fn membership_active(&self, party: &PartyId, scheme: &str, at: Timestamp) -> bool {
        let Some(member) = self.party(party) else { return false };
        let Some(membership) = member.memberships.iter().find(|m| m.id == scheme) else {
            return false;
        };
        if !membership.term_covers(at) {
            return false;
        }
        let mut suspended_until: Option<Option<Timestamp>> = None;
        for i in self.chronological() {
            let event = &self.events[i];
            if event.at > at {
                break;
            }
            if &event.party != party {
                continue;
            }
            match &event.kind {
                EventKind::MembershipSuspended { membership, until, .. } if membership == scheme => {
                    suspended_until = Some(*until);
                }
                EventKind::MembershipRestored { membership, .. } if membership == scheme => {
                    suspended_until = None;
                }
                _ => {}
            }
        }
        match suspended_until {
            None => true,
            Some(None) => false,
            Some(Some(until)) => at >= until,
        }
    }
}

fn problem(field: ProblemField, message: String) -> CaseProblem {
    CaseProblem { field, message }
}

/// The party ids an event refers to besides its actor, with the field that holds each.
fn event_party_references(kind: &EventKind) -> Vec<(&'static str, &PartyId)> {
    match kind {
        EventKind::Notified { to, .. } => vec![("to", to)],
        EventKind::JointAssessment { with } => vec![("with", with)],
        EventKind::PublicationApproved { to: Some(to) } | EventKind::Consent { to: Some(to) } => {
            vec![("to", to)]
        }
        EventKind::MembershipSuspended { by: Some(by), .. }
        | EventKind::MembershipRestored { by: Some(by), .. } => {
            vec![("by", by)]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::{Jurisdiction, Market, Membership, NotificationKind, Role};

    fn at(day: u32) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2021, 11, day, 0, 0, 0).unwrap()
    }

    fn party(id: &str, role: Role) -> Party {
        Party {
            id: PartyId(id.into()),
            name: id.into(),
            name_zh: None,
            roles: vec![role],
            jurisdiction: Jurisdiction::CN,
            memberships: vec![Membership { id: "club".into(), since: at(1), until: None }],
        }
    }

    fn product(id: &str, provider: &str) -> Product {
        Product {
            id: ProductId(id.into()),
            name: id.into(),
            provider: PartyId(provider.into()),
            upstream: vec![],
            markets: vec![Market("CN".into())],
            purl: None,
        }
    }

    fn event(day: u32, party: &str, kind: EventKind) -> Event {
        Event { at: at(day), party: PartyId(party.into()), product: None, kind, note: None }
    }

    #[test]
    fn one_product_is_implied() {
        let case = Case::new(
            "t".into(),
            Tz::UTC,
            vec![party("a", Role::Discoverer)],
            vec![product("p", "a")],
            vec![event(2, "a", EventKind::Discovered)],
        )
        .unwrap();
        assert_eq!(case.events()[0].product, Some(ProductId("p".into())));
    }

    #[test]
    fn every_problem_is_reported() {
        let problems = Case::new(
            "t".into(),
            Tz::UTC,
            vec![party("a", Role::Discoverer), party("a", Role::Discoverer)],
            vec![product("p", "nobody"), product("q", "a")],
            vec![
                event(2, "ghost", EventKind::Discovered),
                event(
                    3,
                    "a",
                    EventKind::Notified {
                        to: PartyId("x".into()),
                        kind: NotificationKind::Report,
                        exploited: false,
                        with_exploit_code: false,
                        content: None,
                    },
                ),
            ],
        )
        .unwrap_err();
        let rendered: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            rendered,
            [
                "parties[1].id: duplicate party id `a`",
                "products[0].provider: unknown party `nobody`",
                "events[0].party: unknown party `ghost`",
                "events[0].product: a `discovered` event must name its product when the case has 2 products",
                "events[1].to: unknown party `x`",
            ]
        );
    }

    #[test]
    fn suspension_and_restoration_change_membership() {
        let suspend =
            EventKind::MembershipSuspended { membership: "club".into(), until: Some(at(20)), by: None };
        let restore = EventKind::MembershipRestored { membership: "club".into(), by: None };
        let case = Case::new(
            "t".into(),
            Tz::UTC,
            vec![party("a", Role::Discoverer)],
            vec![product("p", "a")],
            vec![event(10, "a", suspend), event(15, "a", restore.clone())],
        )
        .unwrap();
        let a = PartyId("a".into());
        assert!(case.membership_active(&a, "club", at(5)));
        assert!(!case.membership_active(&a, "club", at(12)));
        assert!(case.membership_active(&a, "club", at(16)));
        assert!(!case.membership_active(&a, "other", at(16)));
        let expiring = Case::new(
            "t".into(),
            Tz::UTC,
            vec![party("a", Role::Discoverer)],
            vec![product("p", "a")],
            vec![event(
                10,
                "a",
                EventKind::MembershipSuspended { membership: "club".into(), until: Some(at(20)), by: None },
            )],
        )
        .unwrap();
        assert!(!expiring.membership_active(&a, "club", at(19)));
        assert!(expiring.membership_active(&a, "club", at(21)));
    }
}
