//! A small builder for cases in tests, and helpers to evaluate and pick findings.
#![allow(dead_code, missing_docs)]

use chrono::DateTime;
use vulnrelay_domain::{
    Case, Event, EventKind, Jurisdiction, Market, Membership, NotificationContent, NotificationKind, Party,
    PartyId, Product, ProductId, Role, Timestamp,
};
use vulnrelay_policy::{
    Finding, Interpretation, Options, Pack, RuleKind, Settings, Status, builtin_packs, evaluate_with,
};

/// An RFC 3339 time.
pub fn t(s: &str) -> Timestamp {
    DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s}: {e}")).to_utc()
}

pub struct Story {
    tz: chrono_tz::Tz,
    parties: Vec<Party>,
    products: Vec<Product>,
    events: Vec<Event>,
}

impl Story {
    pub fn new(tz: &str) -> Self {
        Story { tz: tz.parse().unwrap(), parties: vec![], products: vec![], events: vec![] }
    }

    pub fn party(mut self, id: &str, roles: &[Role], jurisdiction: &str) -> Self {
        self.parties.push(Party {
            id: PartyId(id.into()),
            name: id.into(),
            name_zh: None,
            roles: roles.to_vec(),
            jurisdiction: jurisdiction.parse::<Jurisdiction>().unwrap(),
            memberships: vec![],
        });
        self
    }

    pub fn member(mut self, id: &str, scheme: &str, since: &str) -> Self {
        let party = self.parties.iter_mut().find(|p| p.id.0 == id).unwrap();
        party.memberships.push(Membership { id: scheme.into(), since: t(since), until: None });
        self
    }

    pub fn product(mut self, id: &str, provider: &str, markets: &[&str]) -> Self {
        self.products.push(Product {
            id: ProductId(id.into()),
            name: id.into(),
            provider: PartyId(provider.into()),
            upstream: vec![],
            markets: markets.iter().map(|m| Market((*m).into())).collect(),
            purl: None,
        });
        self
    }

    pub fn upstream(mut self, product: &str, upstream: &str) -> Self {
        let p = self.products.iter_mut().find(|p| p.id.0 == product).unwrap();
        p.upstream.push(ProductId(upstream.into()));
        self
    }

    pub fn on(mut self, at: &str, party: &str, product: &str, kind: EventKind) -> Self {
        self.events.push(Event {
            at: t(at),
            party: PartyId(party.into()),
            product: Some(ProductId(product.into())),
            kind,
            note: None,
        });
        self
    }

    pub fn at(mut self, at: &str, party: &str, kind: EventKind) -> Self {
        self.events.push(Event { at: t(at), party: PartyId(party.into()), product: None, kind, note: None });
        self
    }

    pub fn build(self) -> Case {
        Case::new("test".into(), self.tz, self.parties, self.products, self.events).unwrap()
    }
}

/// Content with a text for every field any shipped pack asks for: the clock tests'
/// notifications carry everything, so that only their timing is judged.
pub fn full_content() -> Option<Box<NotificationContent>> {
    let mut content = NotificationContent::default();
    for pack in builtin_packs().unwrap() {
        for rule in &pack.rules {
            if let RuleKind::Obligation(o) = &rule.kind {
                for field in &o.content {
                    content.fields.insert(field.id.clone(), format!("the {}", field.label.en));
                }
            }
        }
    }
    Some(Box::new(content))
}

/// Content with exactly these fields (id, text), and these declared not applicable.
pub fn content(fields: &[(&str, &str)], not_applicable: &[&str]) -> Option<Box<NotificationContent>> {
    Some(Box::new(NotificationContent {
        fields: fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        not_applicable: not_applicable.iter().map(|k| (*k).to_owned()).collect(),
        reference: None,
    }))
}

/// A report carrying every field the law asks for.
pub fn notified(to: &str) -> EventKind {
    EventKind::Notified {
        to: PartyId(to.into()),
        kind: NotificationKind::Report,
        exploited: false,
        with_exploit_code: false,
        content: full_content(),
    }
}

/// A notification of `kind` carrying every field the law asks for.
pub fn notified_kind(to: &str, kind: NotificationKind) -> EventKind {
    EventKind::Notified {
        to: PartyId(to.into()),
        kind,
        exploited: false,
        with_exploit_code: false,
        content: full_content(),
    }
}

/// A notification of `kind` carrying `content`.
pub fn notified_with(
    to: &str,
    kind: NotificationKind,
    content: Option<Box<NotificationContent>>,
) -> EventKind {
    EventKind::Notified { to: PartyId(to.into()), kind, exploited: false, with_exploit_code: false, content }
}

/// A notification that tells the recipient the vulnerability is actively exploited.
pub fn told_exploited(to: &str) -> EventKind {
    EventKind::Notified {
        to: PartyId(to.into()),
        kind: NotificationKind::Report,
        exploited: true,
        with_exploit_code: false,
        content: full_content(),
    }
}

/// A notification that carries exploit code.
pub fn sent_exploit(to: &str) -> EventKind {
    EventKind::Notified {
        to: PartyId(to.into()),
        kind: NotificationKind::Report,
        exploited: false,
        with_exploit_code: true,
        content: full_content(),
    }
}

pub fn published(with_remediation: bool, with_exploit_code: bool) -> EventKind {
    EventKind::Published { with_remediation, with_exploit_code }
}

pub fn fix() -> EventKind {
    EventKind::FixAvailable { version: Some("1.0.1".into()) }
}

pub fn packs(ids: &[&str]) -> Vec<Pack> {
    builtin_packs().unwrap().into_iter().filter(|p| ids.contains(&p.id.as_str())).collect()
}

pub fn check<'a>(case: &'a Case, pack_ids: &[&str], as_of: &str) -> Vec<Finding<'a>> {
    check_with(case, pack_ids, as_of, Interpretation::Hours)
}

/// Evaluates with the named shipped packs. The packs are leaked so that findings,
/// which borrow them, can outlive this call; a test process is short.
pub fn check_with<'a>(
    case: &'a Case,
    pack_ids: &[&str],
    as_of: &str,
    interpretation: Interpretation,
) -> Vec<Finding<'a>> {
    check_settings(case, pack_ids, as_of, interpretation, &Settings::default())
}

/// [`check_with`] with settings per instrument and rule (checked first).
pub fn check_settings<'a>(
    case: &'a Case,
    pack_ids: &[&str],
    as_of: &str,
    interpretation: Interpretation,
    settings: &Settings,
) -> Vec<Finding<'a>> {
    let packs: &'static [Pack] = Box::leak(packs(pack_ids).into_boxed_slice());
    settings.check(packs).unwrap_or_else(|problems| panic!("{problems:?}"));
    evaluate_with(case, packs, &Options { as_of: t(as_of), interpretation }, settings)
}

/// The findings of `rule` for `party`.
pub fn of<'f, 'a>(findings: &'f [Finding<'a>], rule: &str, party: &str) -> Vec<&'f Finding<'a>> {
    findings.iter().filter(|f| f.rule_id() == rule && f.party.0 == party).collect()
}

/// The single finding of `rule` for `party`; panics with the findings otherwise.
pub fn one<'f, 'a>(findings: &'f [Finding<'a>], rule: &str, party: &str) -> &'f Finding<'a> {
    match of(findings, rule, party).as_slice() {
        [only] => only,
        other => panic!("expected one `{rule}` finding for {party}, got {}: {findings:#?}", other.len()),
    }
}

pub fn status(findings: &[Finding<'_>], rule: &str, party: &str) -> Status {
    one(findings, rule, party).status
}

pub fn none(findings: &[Finding<'_>], rule: &str, party: &str) {
    assert!(of(findings, rule, party).is_empty(), "expected no `{rule}` finding for {party}: {findings:#?}");
}
