//! `vulnrelay/case-file/v1`: a case as JSON (docs/case-file.md).
//!
//! The reader walks the JSON itself rather than stopping at the first serde error, so
//! that a person fixing a file sees every problem at once, each with its JSON path.

use chrono::{DateTime, NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};

use crate::fields::{Fields, Nulls, kind_of};
use vulnrelay_domain::{
    Case, CaseProblem, Event, EventKind, EventType, Jurisdiction, Market, Membership, NotificationContent,
    NotificationKind, Party, PartyId, ProblemField, Product, ProductId, Role, Timestamp, VendorStatus,
    VexJustification,
};

/// The `schema` value of a case file.
pub const SCHEMA: &str = "vulnrelay/case-file/v1";

pub use crate::fields::Problem;

/// Everything wrong with a case file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid case file ({} problem{}):\n  {}", .problems.len(), if .problems.len() == 1 { "" } else { "s" },
    .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  "))]
pub struct CaseFileError {
    /// Every problem found, in document order.
    pub problems: Vec<Problem>,
}

/// Reads a case file.
pub fn parse(json: &str) -> Result<Case, CaseFileError> {
    let value: Value = serde_json::from_str(json).map_err(|e| CaseFileError {
        problems: vec![Problem { path: "$".into(), message: format!("not valid JSON: {e}") }],
    })?;
    from_value(&value)
}

/// Reads a case file that is already parsed as JSON.
pub fn from_value(value: &Value) -> Result<Case, CaseFileError> {
    let mut reader = Reader::default();
    let case = reader.case(value);
    match case {
        Some(case) if reader.fields.problems.is_empty() => Ok(case),
        _ => Err(CaseFileError { problems: reader.fields.problems }),
    }
}

/// Reads a case from the parts of its case file — its title, time zone, parties,
/// products and events, each as a case file gives it — without putting them together
/// into one document first (how a stored case is read). Problems are reported at the
/// paths they would have in that document.
pub fn from_parts<'v>(
    title: &str,
    timezone: &str,
    parties: impl IntoIterator<Item = &'v Value>,
    products: impl IntoIterator<Item = &'v Value>,
    events: impl IntoIterator<Item = &'v Value>,
) -> Result<Case, CaseFileError> {
    let mut reader = Reader::default();
    reader.timezone(Some(timezone));
    let case = reader.parts(title, parties, products, events);
    match case {
        Some(case) if reader.fields.problems.is_empty() => Ok(case),
        _ => Err(CaseFileError { problems: reader.fields.problems }),
    }
}

/// `case` with more parties, products and events, each given as in a case file: only
/// the new ones are read (in `case`'s time zone) and the whole is checked again as a
/// case. A problem's path is where the item stands in the case file of the result
/// (`$.events[N]` counts the events already there). A party or product whose id the
/// case already has is left out, as it is already there.
pub fn extend(
    case: &Case,
    parties: &[Value],
    products: &[Value],
    events: &[Value],
) -> Result<Case, CaseFileError> {
    let mut reader = Reader { tz: Some(case.timezone()), ..Reader::default() };
    let known_party = |v: &Value| {
        v.get("id").and_then(Value::as_str).is_some_and(|id| case.parties().iter().any(|p| p.id.0 == id))
    };
    let known_product = |v: &Value| {
        v.get("id").and_then(Value::as_str).is_some_and(|id| case.products().iter().any(|p| p.id.0 == id))
    };
    let mut all_parties = case.parties().to_vec();
    for value in parties.iter().filter(|v| !known_party(v)) {
        let path = format!("$.parties[{}]", all_parties.len());
        if let Some(party) = reader.party(value, &path) {
            all_parties.push(party);
        }
    }
    let mut all_products = case.products().to_vec();
    for value in products.iter().filter(|v| !known_product(v)) {
        let path = format!("$.products[{}]", all_products.len());
        if let Some(product) = reader.product(value, &path) {
            all_products.push(product);
        }
    }
    let mut all_events = case.events().to_vec();
    let first_new = all_events.len();
    for (k, value) in events.iter().enumerate() {
        if let Some(event) = reader.event(value, &format!("$.events[{}]", first_new + k)) {
            all_events.push(event);
        }
    }
    if !reader.fields.problems.is_empty() {
        return Err(CaseFileError { problems: reader.fields.problems });
    }
    Case::new(case.title().to_owned(), case.timezone(), all_parties, all_products, all_events)
        .map_err(|problems| CaseFileError { problems: problems.into_iter().map(from_case_problem).collect() })
}

/// Writes a case as a case file. Times are written in the case's time zone.
pub fn to_value(case: &Case) -> Value {
    let tz = case.timezone();
    let time = |t: &Timestamp| Value::String(t.with_timezone(&tz).to_rfc3339());
    let parties: Vec<Value> = case
        .parties()
        .iter()
        .map(|p| {
            let mut party = json!({
                "id": p.id.0, "name": p.name,
                "roles": p.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                "jurisdiction": p.jurisdiction.as_str(),
            });
            if let Some(name_zh) = &p.name_zh {
                party["name_zh"] = json!(name_zh);
            }
            if !p.memberships.is_empty() {
                let memberships: Vec<Value> = p
                    .memberships
                    .iter()
                    .map(|m| {
                        let mut v = json!({"id": m.id, "since": time(&m.since)});
                        if let Some(until) = &m.until {
                            v["until"] = time(until);
                        }
                        v
                    })
                    .collect();
                party["memberships"] = Value::Array(memberships);
            }
            party
        })
        .collect();
    let products: Vec<Value> = case
        .products()
        .iter()
        .map(|p| {
            let mut product = json!({"id": p.id.0, "name": p.name, "provider": p.provider.0});
            if !p.upstream.is_empty() {
                product["upstream"] = json!(p.upstream.iter().map(|u| &u.0).collect::<Vec<_>>());
            }
            if !p.markets.is_empty() {
                product["markets"] = json!(p.markets.iter().map(|m| &m.0).collect::<Vec<_>>());
            }
            if let Some(purl) = &p.purl {
                product["purl"] = json!(purl);
            }
            product
        })
        .collect();
    let implied = case.products().len() == 1;
    let events: Vec<Value> = case.events().iter().map(|e| write_event(e, tz, implied)).collect();
    json!({
        "schema": SCHEMA,
        "title": case.title(),
        "timezone": tz.name(),
        "parties": parties,
        "products": products,
        "events": events,
    })
}

/// One event as a case file writes it, its times in `tz`, naming its product when it
/// has one: the body an event is stored with.
pub fn event_to_value(event: &Event, tz: Tz) -> Value {
    write_event(event, tz, false)
}

/// One event; `implied`: the case has one product, which its events need not name.
fn write_event(e: &Event, tz: Tz, implied: bool) -> Value {
    let time = |t: &Timestamp| Value::String(t.with_timezone(&tz).to_rfc3339());
    let mut event = Map::new();
    event.insert("at".into(), time(&e.at));
    event.insert("type".into(), json!(e.event_type().as_str()));
    event.insert("party".into(), json!(e.party.0));
    if let (Some(product), false) = (&e.product, implied) {
        event.insert("product".into(), json!(product.0));
    }
    write_details(&e.kind, &mut event, &time);
    if let Some(note) = &e.note {
        event.insert("note".into(), json!(note));
    }
    Value::Object(event)
}

fn write_details(kind: &EventKind, event: &mut Map<String, Value>, time: &impl Fn(&Timestamp) -> Value) {
    let mut put = |key: &str, value: Value| {
        event.insert(key.into(), value);
    };
    match kind {
        EventKind::Notified { to, kind, exploited, with_exploit_code, content } => {
            put("to", json!(to.0));
            if *kind != NotificationKind::Report {
                put("kind", json!(kind.as_str()));
            }
            if *exploited {
                put("exploited", json!(true));
            }
            if *with_exploit_code {
                put("with_exploit_code", json!(true));
            }
            if let Some(content) = content {
                put("content", content_to_value(content));
            }
        }
        EventKind::Incident { severe } => put("severe", json!(severe)),
        EventKind::JointAssessment { with } => put("with", json!(with.0)),
        EventKind::FixAvailable { version: Some(version) } => put("version", json!(version)),
        EventKind::Published { with_remediation, with_exploit_code } => {
            put("with_remediation", json!(with_remediation));
            put("with_exploit_code", json!(with_exploit_code));
        }
        EventKind::PublicationApproved { to: Some(to) } | EventKind::Consent { to: Some(to) } => {
            put("to", json!(to.0));
        }
        EventKind::Blackout { until } => put("until", time(until)),
        EventKind::MembershipSuspended { membership, until, by } => {
            put("membership", json!(membership));
            if let Some(until) = until {
                put("until", time(until));
            }
            if let Some(by) = by {
                put("by", json!(by.0));
            }
        }
        EventKind::MembershipRestored { membership, by } => {
            put("membership", json!(membership));
            if let Some(by) = by {
                put("by", json!(by.0));
            }
        }
        EventKind::Duplicate { of } => put("of", json!(of)),
        EventKind::Attested { event } => put("event", json!(event)),
        EventKind::VendorStatus { vulnerability, status, justification, fixed_version, statement } => {
            put("vulnerability", json!(vulnerability));
            put("status", json!(status.as_str()));
            if let Some(justification) = justification {
                put("justification", json!(justification.as_str()));
            }
            if let Some(version) = fixed_version {
                put("fixed_version", json!(version));
            }
            if let Some(statement) = statement {
                put("statement", json!(statement));
            }
        }
        _ => {}
    }
}

/// A notification's `content` as the case file writes it: `fields` (field id → text),
/// `not_applicable` (qualified fields declared not to apply) and `reference` (the
/// receiving system's submission reference), each only when present.
pub fn content_to_value(content: &NotificationContent) -> Value {
    let mut object = Map::new();
    if !content.fields.is_empty() {
        object.insert("fields".into(), json!(content.fields));
    }
    if !content.not_applicable.is_empty() {
        object.insert("not_applicable".into(), json!(content.not_applicable));
    }
    if let Some(reference) = &content.reference {
        object.insert("reference".into(), json!(reference));
    }
    Value::Object(object)
}

/// Reads a notification's `content` (the shape [`content_to_value`] writes), with every
/// problem named by its JSON path under `path`.
pub fn content_from_value(value: &Value, path: &str) -> Result<NotificationContent, Vec<Problem>> {
    let mut reader = Reader::default();
    let content = reader.content(value, path);
    match content {
        Some(content) if reader.fields.problems.is_empty() => Ok(content),
        _ => Err(reader.fields.problems),
    }
}

/// Parses a time as the case file does: RFC 3339, or a bare date meaning 00:00 in `tz`.
/// The time must lie within [`crate::time`]'s range.
pub fn parse_time(text: &str, tz: Tz) -> Result<Timestamp, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return crate::time::in_range(at.to_utc(), None);
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        return tz
            .from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.to_utc())
            .ok_or_else(|| format!("`{text}` does not exist at midnight in {tz}"))
            .and_then(|at| crate::time::in_range(at, None));
    }
    Err(format!("`{text}` is not an RFC 3339 time or a YYYY-MM-DD date"))
}

/// Reads a case file: its fields through the one field checker, where a `null` is a
/// wrong value (the schema has none).
struct Reader {
    fields: Fields,
    tz: Option<Tz>,
}

impl Default for Reader {
    fn default() -> Self {
        Reader { fields: Fields::new(Nulls::Refused), tz: None }
    }
}

/// The keys every event may have, whatever its type.
const EVENT_KEYS: [&str; 5] = ["at", "type", "party", "product", "note"];

impl Reader {
    fn time(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
    ) -> Option<Timestamp> {
        self.fields.time(object, path, key, required, self.tz.unwrap_or(Tz::UTC))
    }

    fn case(&mut self, value: &Value) -> Option<Case> {
        let root = self.fields.object(
            value,
            "$",
            &["schema", "title", "timezone", "parties", "products", "events"],
        )?;
        match self.fields.string(root, "$", "schema", true) {
            Some(SCHEMA) | None => {}
            Some(other) => self.fields.problem("$.schema", format!("expected `{SCHEMA}`, found `{other}`")),
        }
        let title = self.fields.string(root, "$", "title", true).unwrap_or_default();
        let timezone = self.fields.string(root, "$", "timezone", true);
        self.timezone(timezone);
        let parties = self.fields.array(root, "$", "parties", true);
        let products = self.fields.array(root, "$", "products", false);
        let events = self.fields.array(root, "$", "events", false);
        self.parts(title, parties, products, events)
    }

    /// Reads the case's time zone (`None`: missing, a problem already noted).
    fn timezone(&mut self, name: Option<&str>) {
        self.tz = match name {
            Some(name) => name
                .parse::<Tz>()
                .map_err(|_| self.fields.problem("$.timezone", format!("`{name}` is not an IANA time zone")))
                .ok(),
            None => None,
        };
    }

    /// A case from the case file's parts, in the time zone read before.
    fn parts<'v>(
        &mut self,
        title: &str,
        parties: impl IntoIterator<Item = &'v Value>,
        products: impl IntoIterator<Item = &'v Value>,
        events: impl IntoIterator<Item = &'v Value>,
    ) -> Option<Case> {
        let parties: Vec<Party> = parties
            .into_iter()
            .enumerate()
            .filter_map(|(i, p)| self.party(p, &format!("$.parties[{i}]")))
            .collect();
        let products: Vec<Product> = products
            .into_iter()
            .enumerate()
            .filter_map(|(i, p)| self.product(p, &format!("$.products[{i}]")))
            .collect();
        let events: Vec<Event> = events
            .into_iter()
            .enumerate()
            .filter_map(|(i, e)| self.event(e, &format!("$.events[{i}]")))
            .collect();
        if !self.fields.problems.is_empty() {
            return None;
        }
        match Case::new(title.to_owned(), self.tz.unwrap_or(Tz::UTC), parties, products, events) {
            Ok(case) => Some(case),
            Err(problems) => {
                for problem in problems {
                    self.fields.problems.push(from_case_problem(problem));
                }
                None
            }
        }
    }

    fn party(&mut self, value: &Value, path: &str) -> Option<Party> {
        let object = self.fields.object(
            value,
            path,
            &["id", "name", "name_zh", "roles", "jurisdiction", "memberships"],
        )?;
        let id = self.fields.string(object, path, "id", true);
        let name = self.fields.string(object, path, "name", false);
        let name_zh = self.fields.string(object, path, "name_zh", false).filter(|n| !n.trim().is_empty());
        let roles: Vec<Role> = self
            .fields
            .strings(object, path, "roles", true)
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                r.parse::<Role>()
                    .map_err(|e| self.fields.problem(format!("{path}.roles[{i}]"), e.to_string()))
                    .ok()
            })
            .collect();
        let jurisdiction = self.fields.string(object, path, "jurisdiction", true).and_then(|j| {
            j.parse::<Jurisdiction>()
                .map_err(|e| self.fields.problem(format!("{path}.jurisdiction"), e.to_string()))
                .ok()
        });
        let memberships: Vec<Membership> = self
            .fields
            .array(object, path, "memberships", false)
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                let path = format!("{path}.memberships[{i}]");
                let m = self.fields.object(m, &path, &["id", "since", "until"])?;
                let id = self.fields.string(m, &path, "id", true);
                let since = self.time(m, &path, "since", true);
                let until = self.time(m, &path, "until", false);
                Some(Membership { id: id?.to_owned(), since: since?, until })
            })
            .collect();
        let id = id?;
        Some(Party {
            id: PartyId(id.to_owned()),
            name: name.unwrap_or(id).to_owned(),
            name_zh: name_zh.map(str::to_owned),
            roles,
            jurisdiction: jurisdiction?,
            memberships,
        })
    }

    fn product(&mut self, value: &Value, path: &str) -> Option<Product> {
        let object =
            self.fields.object(value, path, &["id", "name", "provider", "upstream", "markets", "purl"])?;
        let id = self.fields.string(object, path, "id", true);
        let name = self.fields.string(object, path, "name", false);
        let provider = self.fields.string(object, path, "provider", true);
        let upstream = self.fields.strings(object, path, "upstream", false);
        let markets = self.fields.strings(object, path, "markets", false);
        for (i, market) in markets.iter().enumerate() {
            if market.parse::<Jurisdiction>().is_err() {
                self.fields.problem(
                    format!("{path}.markets[{i}]"),
                    format!("`{market}` is not a market (ISO 3166-1 alpha-2, or EU)"),
                );
            }
        }
        let purl = self.fields.string(object, path, "purl", false);
        if let Some(purl) = purl
            && !purl.starts_with("pkg:")
        {
            self.fields
                .problem(format!("{path}.purl"), format!("`{purl}` is not a package URL (pkg:type/...)"));
        }
        let id = id?;
        Some(Product {
            id: ProductId(id.to_owned()),
            name: name.unwrap_or(id).to_owned(),
            provider: PartyId(provider?.to_owned()),
            upstream: upstream.into_iter().map(ProductId).collect(),
            markets: markets.into_iter().map(Market).collect(),
            purl: purl.map(str::to_owned),
        })
    }

    fn content(&mut self, value: &Value, path: &str) -> Option<NotificationContent> {
        let object = self.fields.object(value, path, &["fields", "not_applicable", "reference"])?;
        let mut content = NotificationContent::default();
        match object.get("fields") {
            None => {}
            Some(Value::Object(fields)) => {
                for (key, text) in fields {
                    match text {
                        Value::String(_) if key.trim().is_empty() => {
                            self.fields.problem(format!("{path}.fields"), "a field id must not be empty");
                        }
                        Value::String(text) => {
                            content.fields.insert(key.clone(), text.clone());
                        }
                        other => self.fields.problem(
                            format!("{path}.fields.{key}"),
                            format!("expected a string, found {}", kind_of(other)),
                        ),
                    }
                }
            }
            Some(other) => self
                .fields
                .problem(format!("{path}.fields"), format!("expected an object, found {}", kind_of(other))),
        }
        content.not_applicable =
            self.fields.strings(object, path, "not_applicable", false).into_iter().collect();
        content.reference = self.fields.string(object, path, "reference", false).map(str::to_owned);
        Some(content)
    }

    fn event(&mut self, value: &Value, path: &str) -> Option<Event> {
        let Some(object) = value.as_object() else {
            self.fields.problem(path, format!("expected an object, found {}", kind_of(value)));
            return None;
        };
        let event_type = match self.fields.string(object, path, "type", true) {
            Some(name) => match name.parse::<EventType>() {
                Ok(t) => Some(t),
                Err(e) => {
                    self.fields.problem(format!("{path}.type"), e);
                    None
                }
            },
            None => None,
        };
        let extra: &[&str] = match event_type {
            Some(EventType::Notified) => &["to", "kind", "exploited", "with_exploit_code", "content"],
            Some(EventType::Incident) => &["severe"],
            Some(EventType::JointAssessment) => &["with"],
            Some(EventType::FixAvailable) => &["version"],
            Some(EventType::Published) => &["with_remediation", "with_exploit_code"],
            Some(EventType::PublicationApproved | EventType::Consent) => &["to"],
            Some(EventType::Blackout) => &["until"],
            Some(EventType::MembershipSuspended) => &["membership", "until", "by"],
            Some(EventType::MembershipRestored) => &["membership", "by"],
            Some(EventType::Duplicate) => &["of"],
            Some(EventType::Attested) => &["event"],
            Some(EventType::VendorStatus) => {
                &["vulnerability", "status", "justification", "fixed_version", "statement"]
            }
            _ => &[],
        };
        // With an unknown type, which fields belong is unknown too: say nothing of them.
        if let Some(t) = event_type {
            for key in object.keys() {
                if !EVENT_KEYS.contains(&key.as_str()) && !extra.contains(&key.as_str()) {
                    self.fields
                        .problem(format!("{path}.{key}"), format!("unknown field `{key}` for a `{t}` event"));
                }
            }
        }
        let at = self.time(object, path, "at", true);
        let party = self.fields.string(object, path, "party", true);
        let product = self.fields.string(object, path, "product", false);
        let note = self.fields.string(object, path, "note", false);
        let party_ref = |r: &mut Self, key: &str, required: bool| {
            r.fields.string(object, path, key, required).map(|s| PartyId(s.to_owned()))
        };
        let kind = match event_type? {
            EventType::Discovered => EventKind::Discovered,
            EventType::Aware => EventKind::Aware,
            EventType::Verified => EventKind::Verified,
            EventType::Exploited => EventKind::Exploited,
            EventType::Notified => {
                let to = party_ref(self, "to", true);
                let kind = match self.fields.string(object, path, "kind", false) {
                    None => Some(NotificationKind::Report),
                    Some(k) => k
                        .parse::<NotificationKind>()
                        .map_err(|e| self.fields.problem(format!("{path}.kind"), e))
                        .ok(),
                };
                let exploited = self.fields.boolean(object, path, "exploited");
                let with_exploit_code = self.fields.boolean(object, path, "with_exploit_code");
                let content = match object.get("content") {
                    None => None,
                    Some(value) => Some(Box::new(self.content(value, &format!("{path}.content"))?)),
                };
                EventKind::Notified { to: to?, kind: kind?, exploited, with_exploit_code, content }
            }
            EventType::Incident => {
                if !object.contains_key("severe") {
                    self.fields.problem(
                        format!("{path}.severe"),
                        "missing required field: say whether the incident is severe (EU CRA Art. 14(5))",
                    );
                }
                EventKind::Incident { severe: self.fields.boolean(object, path, "severe") }
            }
            EventType::JointAssessment => EventKind::JointAssessment { with: party_ref(self, "with", true)? },
            EventType::FixAvailable => EventKind::FixAvailable {
                version: self.fields.string(object, path, "version", false).map(str::to_owned),
            },
            EventType::Published => EventKind::Published {
                with_remediation: self.fields.boolean(object, path, "with_remediation"),
                with_exploit_code: self.fields.boolean(object, path, "with_exploit_code"),
            },
            EventType::PublicationApproved => {
                EventKind::PublicationApproved { to: party_ref(self, "to", false) }
            }
            EventType::Consent => EventKind::Consent { to: party_ref(self, "to", false) },
            EventType::Blackout => EventKind::Blackout { until: self.time(object, path, "until", true)? },
            EventType::MembershipSuspended => EventKind::MembershipSuspended {
                membership: self.fields.string(object, path, "membership", true)?.to_owned(),
                until: self.time(object, path, "until", false),
                by: party_ref(self, "by", false),
            },
            EventType::MembershipRestored => EventKind::MembershipRestored {
                membership: self.fields.string(object, path, "membership", true)?.to_owned(),
                by: party_ref(self, "by", false),
            },
            EventType::TriageStarted => EventKind::TriageStarted,
            EventType::Rejected => EventKind::Rejected,
            EventType::Duplicate => {
                EventKind::Duplicate { of: self.fields.string(object, path, "of", true)?.to_owned() }
            }
            EventType::Closed => EventKind::Closed,
            EventType::Attested => match object.get("event") {
                Some(Value::Number(n)) if n.as_u64().is_some() => {
                    EventKind::Attested { event: n.as_u64().unwrap_or_default() as usize }
                }
                other => {
                    let found = other.map_or("nothing", kind_of);
                    self.fields.problem(
                        format!("{path}.event"),
                        format!("expected the index of the attested event (a whole number), found {found}"),
                    );
                    return None;
                }
            },
            EventType::VendorStatus => self.vendor_status(object, path)?,
        };
        Some(Event {
            at: at?,
            party: PartyId(party?.to_owned()),
            product: product.map(|p| ProductId(p.to_owned())),
            kind,
            note: note.map(str::to_owned),
        })
    }
}

impl Reader {
    /// A `vendor_status` event's details: a known status, a justification exactly with
    /// `not_affected` and a fixed version exactly with `fixed` (the product, as for
    /// every event about one product, when the case has several).
    fn vendor_status(&mut self, object: &Map<String, Value>, path: &str) -> Option<EventKind> {
        let vulnerability = self.fields.string(object, path, "vulnerability", true).map(str::to_owned);
        if vulnerability.as_deref().is_some_and(|v| v.trim().is_empty()) {
            self.fields.problem(format!("{path}.vulnerability"), "must not be empty");
        }
        let status = self.fields.string(object, path, "status", true).and_then(|s| {
            s.parse::<VendorStatus>().map_err(|e| self.fields.problem(format!("{path}.status"), e)).ok()
        });
        let justification = self.fields.string(object, path, "justification", false).and_then(|s| {
            s.parse::<VexJustification>()
                .map_err(|e| self.fields.problem(format!("{path}.justification"), e))
                .ok()
        });
        let fixed_version = self.fields.string(object, path, "fixed_version", false).map(str::to_owned);
        let statement = self.fields.string(object, path, "statement", false).map(str::to_owned);
        let status = status?;
        match (status, object.contains_key("justification")) {
            (VendorStatus::NotAffected, false) => self.fields.problem(
                format!("{path}.justification"),
                "missing required field: `not_affected` needs a VEX justification",
            ),
            (VendorStatus::NotAffected, true) | (_, false) => {}
            (_, true) => self
                .fields
                .problem(format!("{path}.justification"), "only a `not_affected` status has a justification"),
        }
        match (status, fixed_version.as_deref().map(str::trim)) {
            (VendorStatus::Fixed, None | Some("")) => self.fields.problem(
                format!("{path}.fixed_version"),
                "missing required field: `fixed` needs the version that fixes it",
            ),
            (VendorStatus::Fixed, Some(_)) | (_, None) => {}
            (_, Some(_)) => self
                .fields
                .problem(format!("{path}.fixed_version"), "only a `fixed` status has a fixed version"),
        }
        Some(EventKind::VendorStatus {
            vulnerability: vulnerability?,
            status,
            justification,
            fixed_version,
            statement,
        })
    }
}

fn from_case_problem(problem: CaseProblem) -> Problem {
    let path = match problem.field {
        ProblemField::Party(i, field) => format!("$.parties[{i}].{field}"),
        ProblemField::Product(i, field) => format!("$.products[{i}].{field}"),
        ProblemField::Event(i, field) => format!("$.events[{i}].{field}"),
    };
    Problem { path, message: problem.message }
}
