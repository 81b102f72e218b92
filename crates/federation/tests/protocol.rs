//! The relay protocol: envelopes and receipts signed and checked, every kind of
//! tampering refused, and both validate against the published JSON Schema.

use serde_json::{Value, json};
use vulnrelay_federation::{
    Envelope, Head, Identity, Kind, MAX_ATTACHMENTS, RECEIPT_FORMAT, RELAY_FORMAT, Receipt, Refusal,
    RelayedAttachment, RelayedCase, RelayedEvent, canonical_json, fingerprint, sha256_hex,
};

/// A stand-in for the store's event hash: what matters here is that the check calls it.
fn hash_of(case: &str, e: &RelayedEvent) -> String {
    sha256_hex(format!("{case}|{}|{}|{}|{}|{}", e.seq, e.at, e.recorded_at, e.body, e.prev_hash).as_bytes())
}

fn chain(case: &str, bodies: &[Value]) -> Vec<RelayedEvent> {
    let mut prev = String::new();
    bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let mut event = RelayedEvent {
                seq: i as i64 + 1,
                at: "2021-11-24T02:00:00.000000Z".into(),
                recorded_at: "2021-11-24T02:00:00.000000Z".into(),
                recorded_by: None,
                override_reason: None,
                body: canonical_json(body),
                prev_hash: prev.clone(),
                hash: String::new(),
            };
            event.hash = hash_of(case, &event);
            prev = event.hash.clone();
            event
        })
        .collect()
}

fn envelope(from: &Identity, to: &Identity) -> Envelope {
    let events = chain(
        "case-1",
        &[
            json!({"type": "discovered", "party": "alibaba-cloud", "at": "2021-11-24T10:00:00+08:00"}),
            json!({"type": "notified", "party": "alibaba-cloud", "to": "miit-nvdb", "at": "2021-11-24T10:00:00+08:00"}),
        ],
    );
    let head = Head { seq: 2, hash: events[1].hash.clone() };
    Envelope {
        format: RELAY_FORMAT.into(),
        kind: Kind::Forward,
        from_instance: from.public_key(),
        to_instance: to.public_key(),
        from_org: "alibaba-cloud".into(),
        to_org: "miit-nvdb".into(),
        idempotency_key: "forward/case-1/2/miit-nvdb".into(),
        case: RelayedCase {
            origin_case: "case-1".into(),
            mirror_case: None,
            title: "JNDI lookup".into(),
            timezone: "Asia/Shanghai".into(),
            reporter_org: "alibaba-cloud".into(),
            report: Some(json!({"title": "JNDI lookup"})),
            parties: vec![json!({"id": "alibaba-cloud"}), json!({"id": "miit-nvdb"})],
            products: vec![],
            events,
            records: vec![],
            attachments: Vec::new(),
            head,
        },
    }
}

#[test]
fn a_signed_envelope_verifies_under_its_senders_key_only() {
    let (company, nvdb) = (Identity::from_seed([1; 32]), Identity::from_seed([2; 32]));
    let signed = company.sign_envelope(envelope(&company, &nvdb));
    assert_eq!(signed.verify(&company.public_key()), Ok(()));
    assert_eq!(signed.envelope.check(hash_of), Ok(()));
    assert_eq!(signed.verify(&nvdb.public_key()), Err(Refusal::Signature));
    assert!(matches!(signed.verify("not a key"), Err(Refusal::Key(_))));
    // Through JSON and back, the same bytes are signed.
    let text = serde_json::to_string(&signed).unwrap();
    let read: vulnrelay_federation::SignedEnvelope = serde_json::from_str(&text).unwrap();
    assert_eq!(read.verify(&company.public_key()), Ok(()));
    // Any change to what was signed breaks the signature.
    let mut changed = read.clone();
    changed.envelope.to_org = "cnvd".into();
    assert_eq!(changed.verify(&company.public_key()), Err(Refusal::Signature));
    // An unknown field is refused when read.
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value["envelope"]["extra"] = json!(1);
    assert!(serde_json::from_value::<vulnrelay_federation::SignedEnvelope>(value).is_err());
}

#[test]
fn a_broken_chain_is_refused_naming_the_event() {
    let (company, nvdb) = (Identity::from_seed([1; 32]), Identity::from_seed([2; 32]));
    let good = envelope(&company, &nvdb);
    let mut tampered = good.clone();
    tampered.case.events[0].body = tampered.case.events[0].body.replace("10:00", "11:00");
    assert_eq!(
        tampered.check(hash_of),
        Err(Refusal::Chain { seq: 1, reason: "the event's hash does not match its content".into() })
    );
    let mut unlinked = good.clone();
    unlinked.case.events[1].prev_hash = "00".repeat(32);
    assert!(matches!(unlinked.check(hash_of), Err(Refusal::Chain { seq: 2, .. })));
    let mut cut = good.clone();
    cut.case.events.remove(0);
    assert!(matches!(cut.check(hash_of), Err(Refusal::Chain { seq: 2, .. })));
    let mut wrong_head = good.clone();
    wrong_head.case.head.seq = 3;
    assert!(matches!(wrong_head.check(hash_of), Err(Refusal::Chain { seq: 3, .. })));
    let mut empty = good.clone();
    empty.case.events.clear();
    assert!(matches!(empty.check(hash_of), Err(Refusal::Invalid(_))));
    let mut format = good;
    format.format = "vulnrelay/relay/v0".into();
    assert!(matches!(format.check(hash_of), Err(Refusal::Format(_))));
}

#[test]
fn an_update_carries_events_from_any_position_of_the_mirror() {
    let (company, nvdb) = (Identity::from_seed([1; 32]), Identity::from_seed([2; 32]));
    let mut update = envelope(&nvdb, &company);
    update.kind = Kind::Update;
    let events = chain(
        "mirror-1",
        &[json!({"type": "discovered"}), json!({"type": "verified", "party": "miit-nvdb"})],
    );
    update.case.events = vec![events[1].clone()];
    update.case.head = Head { seq: 2, hash: events[1].hash.clone() };
    // Without the sender's case named, the hashes cannot be checked.
    assert!(matches!(update.check(hash_of), Err(Refusal::Invalid(_))));
    update.case.mirror_case = Some("mirror-1".into());
    assert_eq!(update.check(hash_of), Ok(()));
}

/// A records envelope from the NVDB mirror `mirror-1` to the company's `case-1`.
fn records_envelope(company: &Identity, nvdb: &Identity) -> vulnrelay_federation::Envelope {
    let mut records = envelope(nvdb, company);
    records.kind = Kind::Records;
    records.case.mirror_case = Some("mirror-1".into());
    records.case.events.clear();
    records.case.records = vec![json!({"id": "CNVD-2021-95914", "aliases": ["CNNVD-202112-799"]})];
    records
}

#[test]
fn a_records_envelope_carries_records_and_no_events() {
    let (company, nvdb) = (Identity::from_seed([1; 32]), Identity::from_seed([2; 32]));
    let records = records_envelope(&company, &nvdb);
    assert_eq!(records.check(hash_of), Ok(()));
    let signed = nvdb.sign_envelope(records.clone());
    assert_eq!(signed.verify(&nvdb.public_key()), Ok(()));
    // The records are signed: an alias added on the way breaks the signature.
    let mut grown = signed.clone();
    grown.envelope.case.records[0]["aliases"] = json!(["CNNVD-202112-799", "CVE-2021-44228"]);
    assert_eq!(grown.verify(&nvdb.public_key()), Err(Refusal::Signature));
    let mut with_events = records.clone();
    with_events.case.events = envelope(&nvdb, &company).case.events;
    assert!(matches!(with_events.check(hash_of), Err(Refusal::Invalid(_))));
    let mut none = records.clone();
    none.case.records.clear();
    assert!(matches!(none.check(hash_of), Err(Refusal::Invalid(_))));
    let mut no_id = records.clone();
    no_id.case.records = vec![json!({"aliases": ["CNVD-2021-95914"]})];
    assert!(matches!(no_id.check(hash_of), Err(Refusal::Invalid(_))));
    let mut unnamed = records.clone();
    unnamed.case.mirror_case = None;
    assert!(matches!(unnamed.check(hash_of), Err(Refusal::Invalid(_))));
    // Records ride only in a records envelope.
    let mut forward = envelope(&company, &nvdb);
    forward.case.records = records.case.records;
    assert!(matches!(forward.check(hash_of), Err(Refusal::Invalid(_))));
}

#[test]
fn a_receipt_verifies_under_the_receivers_key() {
    let (company, nvdb) = (Identity::from_seed([1; 32]), Identity::from_seed([2; 32]));
    let signed_envelope = company.sign_envelope(envelope(&company, &nvdb));
    let receipt = nvdb.sign_receipt(Receipt {
        format: RECEIPT_FORMAT.into(),
        receiver_instance: nvdb.public_key(),
        receiver_org: "miit-nvdb".into(),
        idempotency_key: signed_envelope.envelope.idempotency_key.clone(),
        envelope_sha256: signed_envelope.envelope.sha256(),
        origin_case: "case-1".into(),
        stored_case: "case-9".into(),
        stored_head: "ab".repeat(32),
        received_at: "2021-11-24T02:00:01.000000Z".into(),
    });
    assert_eq!(receipt.verify(&nvdb.public_key()), Ok(()));
    // Only the receiver's key proves it: the sender's does not.
    assert!(receipt.verify(&company.public_key()).is_err());
    let mut moved = receipt.clone();
    moved.receipt.received_at = "2021-11-23T02:00:01.000000Z".into();
    assert_eq!(moved.verify(&nvdb.public_key()), Err(Refusal::Signature));
    assert!(fingerprint(&nvdb.public_key()).starts_with("SHA256:"));
    assert_eq!(fingerprint(&nvdb.public_key()), nvdb.fingerprint());
}

#[test]
fn envelopes_and_receipts_validate_against_the_published_schema() {
    let schema: Value =
        serde_json::from_str(include_str!("../../../docs/federation/relay-v1.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let (company, nvdb) = (Identity::from_seed([1; 32]), Identity::from_seed([2; 32]));
    let signed = company.sign_envelope(envelope(&company, &nvdb));
    let receipt = nvdb.sign_receipt(Receipt {
        format: RECEIPT_FORMAT.into(),
        receiver_instance: nvdb.public_key(),
        receiver_org: "miit-nvdb".into(),
        idempotency_key: signed.envelope.idempotency_key.clone(),
        envelope_sha256: signed.envelope.sha256(),
        origin_case: "case-1".into(),
        stored_case: "case-9".into(),
        stored_head: "ab".repeat(32),
        received_at: "2021-11-24T02:00:01.000000Z".into(),
    });
    let records = nvdb.sign_envelope(records_envelope(&company, &nvdb));
    let mut with_files = envelope(&company, &nvdb);
    with_files.case.attachments =
        vec![RelayedAttachment::new("poc.txt", "text/plain", true, b"${jndi:ldap://x}")];
    let with_files = company.sign_envelope(with_files);
    for document in [
        serde_json::to_value(&signed).unwrap(),
        serde_json::to_value(&with_files).unwrap(),
        serde_json::to_value(&receipt).unwrap(),
        serde_json::to_value(&records).unwrap(),
    ] {
        let errors: Vec<String> = validator.iter_errors(&document).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
    // And the schema refuses what the types refuse.
    let mut bad = serde_json::to_value(&signed).unwrap();
    bad["envelope"]["format"] = json!("vulnrelay/relay/v0");
    assert!(!validator.is_valid(&bad));
    let mut short = serde_json::to_value(&receipt).unwrap();
    short["signature"] = json!("00");
    assert!(!validator.is_valid(&short));
    let mut pathed = serde_json::to_value(&with_files).unwrap();
    pathed["envelope"]["case"]["attachments"][0]["filename"] = json!("../etc/passwd");
    assert!(!validator.is_valid(&pathed));
}

#[test]
fn a_forwards_files_are_signed_and_checked_against_their_hashes() {
    let (company, nvdb) = (Identity::from_seed([1; 32]), Identity::from_seed([2; 32]));
    let mut good = envelope(&company, &nvdb);
    let file = RelayedAttachment::new("crash.log", "text/plain", false, b"java.lang.NullPointerException");
    assert_eq!(file.bytes().unwrap(), b"java.lang.NullPointerException");
    good.case.attachments = vec![file];
    assert_eq!(good.check(hash_of), Ok(()));
    let signed = company.sign_envelope(good.clone());
    assert_eq!(signed.verify(&company.public_key()), Ok(()));
    // The files are covered by the signature.
    let mut swapped = signed.clone();
    swapped.envelope.case.attachments[0] = RelayedAttachment::new("crash.log", "text/plain", false, b"other");
    assert_eq!(swapped.verify(&company.public_key()), Err(Refusal::Signature));
    // Content that does not match its hash, or is not base64, is refused.
    let mut tampered = good.clone();
    tampered.case.attachments[0].content = RelayedAttachment::new("x", "text/plain", false, b"other").content;
    assert!(matches!(tampered.check(hash_of), Err(Refusal::Invalid(m)) if m.contains("SHA-256")));
    let mut garbled = good.clone();
    garbled.case.attachments[0].content = "%%%".into();
    assert!(matches!(garbled.check(hash_of), Err(Refusal::Invalid(m)) if m.contains("base64")));
    // A name that is a path, or holds a control character, is refused.
    for name in ["../../etc/passwd", "a\\b", "new\nline", "", ".."] {
        let mut named = good.clone();
        named.case.attachments[0].filename = name.into();
        assert!(matches!(named.check(hash_of), Err(Refusal::Invalid(_))), "{name:?}");
    }
    // Only a forward carries files, and only so many.
    let mut many = good.clone();
    many.case.attachments = vec![good.case.attachments[0].clone(); MAX_ATTACHMENTS + 1];
    assert!(matches!(many.check(hash_of), Err(Refusal::Invalid(_))));
    let mut update = good;
    update.kind = Kind::Update;
    assert!(matches!(update.check(hash_of), Err(Refusal::Invalid(m)) if m.contains("forward")));
}
