//! The hash chain of a case's event log.
//!
//! Each event stores `hash = SHA-256(encoding)` where the encoding is the byte string
//!
//! ```text
//! "vulnrelay/event/v1" field(case_id) field(seq) field(at) field(recorded_at)
//!     field(recorded_by) field(override_reason) field(body) field(prev_hash)
//! ```
//!
//! with `field(x) = decimal length of x, ':', x` (so no value can be mistaken for a
//! separator), times in the store's fixed UTC format, absent values as the empty string,
//! `body` the canonical JSON text of the event (object keys sorted, no whitespace) and
//! `prev_hash` the previous event's hash in hex (empty for the first event). Changing
//! any stored field of any event breaks its own hash or the next event's link.
//!
//! Each organisation's own log (sanctions, rectification reports, reviews) is chained
//! the same way under the tag `vulnrelay/org-event/v1` ([`org_event_hash`]).

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::model::{BrokenLink, StoredEvent};
use crate::org_log::StoredOrgEvent;
use crate::time::format_ts;

pub use vulnrelay_federation::canonical_json;

/// The hash an event must carry, from its stored fields.
pub fn event_hash(event: &StoredEvent) -> String {
    let seq = event.seq.to_string();
    let at = format_ts(event.at);
    let recorded_at = format_ts(event.recorded_at);
    hash_fields(
        b"vulnrelay/event/v1",
        &[
            event.case_id.as_str(),
            &seq,
            &at,
            &recorded_at,
            event.recorded_by.as_deref().unwrap_or(""),
            event.override_reason.as_deref().unwrap_or(""),
            &event.body,
            &event.prev_hash,
        ],
    )
}

/// The hash an organisation's log entry must carry: the same encoding as a case event's
/// under the tag `vulnrelay/org-event/v1`, over `org_id, seq, scheme, at, recorded_at,
/// recorded_by, body, prev_hash`.
pub fn org_event_hash(event: &StoredOrgEvent) -> String {
    let seq = event.seq.to_string();
    let at = format_ts(event.at);
    let recorded_at = format_ts(event.recorded_at);
    hash_fields(
        b"vulnrelay/org-event/v1",
        &[
            event.org_id.as_str(),
            &seq,
            event.scheme.as_str(),
            &at,
            &recorded_at,
            event.recorded_by.as_deref().unwrap_or(""),
            &event.body,
            &event.prev_hash,
        ],
    )
}

/// SHA-256 over `tag` and each field as `length ':' bytes`, in hex.
fn hash_fields(tag: &[u8], fields: &[&str]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(tag);
    for field in fields {
        hasher.update(field.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(field.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Walks one organisation's log (in `seq` order) and returns every broken link; each
/// link names the log `org/<id>`.
pub fn verify_org_log(org_id: &str, events: &[StoredOrgEvent]) -> Vec<BrokenLink> {
    let mut broken = Vec::new();
    let mut prev = String::new();
    for (i, event) in events.iter().enumerate() {
        let mut link = |reason: String| {
            broken.push(BrokenLink { case_id: format!("org/{org_id}"), seq: event.seq, reason })
        };
        let expected_seq = i as i64 + 1;
        if event.seq != expected_seq {
            link(format!("expected entry {expected_seq}, found entry {}", event.seq));
        }
        if event.prev_hash != prev {
            link("prev_hash is not the hash of the previous entry".to_owned());
        }
        if org_event_hash(event) != event.hash {
            link("hash does not match the entry's content".to_owned());
        }
        prev = event.hash.clone();
    }
    broken
}

/// Walks one case's events (in `seq` order) and returns every broken link: a gap in the
/// sequence, a `prev_hash` that is not the previous event's stored hash, a hash that
/// does not match the event's fields, a body that is not JSON. The walk goes on past a
/// break, each link judged against the row before it, so one tampered row is one link
/// and every other is named too.
pub fn verify_case(case_id: &str, events: &[StoredEvent]) -> Vec<BrokenLink> {
    let mut broken = Vec::new();
    let mut prev = String::new();
    for (i, event) in events.iter().enumerate() {
        let mut link =
            |reason: String| broken.push(BrokenLink { case_id: case_id.to_owned(), seq: event.seq, reason });
        let expected_seq = i as i64 + 1;
        if event.seq != expected_seq {
            link(format!("expected event {expected_seq}, found event {}", event.seq));
        }
        if event.prev_hash != prev {
            link("prev_hash is not the hash of the previous event".to_owned());
        }
        if event_hash(event) != event.hash {
            link("hash does not match the event's content".to_owned());
        }
        if serde_json::from_str::<Value>(&event.body).is_err() {
            link("body is not JSON".to_owned());
        }
        prev = event.hash.clone();
    }
    broken
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    fn event(seq: i64, prev: &str, body: &Value) -> StoredEvent {
        let at = chrono::Utc.with_ymd_and_hms(2021, 11, 24, 10, 0, 0).unwrap();
        let mut e = StoredEvent {
            case_id: "c1".into(),
            seq,
            at,
            recorded_at: at,
            recorded_by: None,
            override_reason: None,
            body: canonical_json(body),
            prev_hash: prev.into(),
            hash: String::new(),
        };
        e.hash = event_hash(&e);
        e
    }

    #[test]
    fn canonical_json_sorts_keys() {
        let value = json!({"b": 1, "a": {"d": [true, null], "c": "x"}});
        assert_eq!(canonical_json(&value), r#"{"a":{"c":"x","d":[true,null]},"b":1}"#);
    }

    #[test]
    fn a_changed_field_breaks_the_chain_where_it_is() {
        let first = event(1, "", &json!({"type": "discovered"}));
        let second = event(2, &first.hash, &json!({"type": "aware"}));
        let third = event(3, &second.hash, &json!({"type": "verified"}));
        let mut events = vec![first, second, third];
        assert!(verify_case("c1", &events).is_empty());
        events[1].body = canonical_json(&json!({"type": "exploited"}));
        let broken = verify_case("c1", &events);
        assert_eq!(broken.len(), 1, "{broken:?}");
        assert_eq!(
            (broken[0].seq, broken[0].reason.as_str()),
            (2, "hash does not match the event's content")
        );
        // Re-hashing the altered event moves the break to the next link.
        events[1].hash = event_hash(&events[1]);
        let broken = verify_case("c1", &events);
        assert_eq!(
            broken.iter().map(|b| (b.seq, b.reason.as_str())).collect::<Vec<_>>(),
            [(3, "prev_hash is not the hash of the previous event")]
        );
        events.remove(1);
        assert_eq!(verify_case("c1", &events)[0].reason, "expected event 2, found event 3");
    }

    #[test]
    fn every_broken_link_is_named_not_only_the_first() {
        let mut events = vec![event(1, "", &json!({"type": "discovered"}))];
        for seq in 2..=5 {
            let prev = events.last().unwrap().hash.clone();
            events.push(event(seq, &prev, &json!({"type": "aware", "seq": seq})));
        }
        events[1].body = canonical_json(&json!({"type": "exploited"}));
        events[3].body = "not json".into();
        let broken = verify_case("c1", &events);
        let links: Vec<(i64, &str)> = broken.iter().map(|b| (b.seq, b.reason.as_str())).collect();
        assert_eq!(
            links,
            [
                (2, "hash does not match the event's content"),
                (4, "hash does not match the event's content"),
                (4, "body is not JSON"),
            ]
        );
    }

    #[test]
    fn an_organisation_log_breaks_where_an_entry_was_changed() {
        let at = chrono::Utc.with_ymd_and_hms(2021, 12, 22, 0, 0, 0).unwrap();
        let entry = |seq: i64, prev: &str, body: &Value| {
            let mut e = StoredOrgEvent {
                org_id: "alibaba-cloud".into(),
                seq,
                scheme: "miit-threat-sharing".into(),
                at,
                recorded_at: at,
                recorded_by: Some("analyst".into()),
                body: canonical_json(body),
                prev_hash: prev.into(),
                hash: String::new(),
            };
            e.hash = org_event_hash(&e);
            e
        };
        let first = entry(1, "", &json!({"type": "sanctioned"}));
        let second = entry(2, &first.hash, &json!({"type": "rectification_submitted"}));
        let mut log = vec![first, second];
        assert!(verify_org_log("alibaba-cloud", &log).is_empty());
        log[0].scheme = "another-scheme".into();
        let broken = verify_org_log("alibaba-cloud", &log);
        assert_eq!(
            broken.iter().map(|b| (b.case_id.as_str(), b.seq)).collect::<Vec<_>>(),
            [("org/alibaba-cloud", 1)]
        );
        // The same fields under the case-event tag give a different hash.
        assert_ne!(
            org_event_hash(&log[1]),
            event(2, &log[1].prev_hash, &json!({"type": "rectification_submitted"})).hash
        );
    }
}
