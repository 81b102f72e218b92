-- Federation (docs/federation.md): the peers this instance relays cases with, the
-- relays it sends (an outbox of signed envelopes, delivered at least once with
-- retries and dead letters), the envelopes it accepted (one per peer and idempotency
-- key, with the signed receipt it answered), the mirrors it opened and the envelopes
-- it refused.

-- A peer instance: its base URL and Ed25519 public key, exchanged out of band, and the
-- organisations it hosts (comma-separated ids): those are remote here.
CREATE TABLE peers (
    id         TEXT PRIMARY KEY,
    url        TEXT NOT NULL,
    public_key TEXT NOT NULL UNIQUE,
    orgs       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Envelopes to send: written when a case gains an event for a remote organisation,
-- signed then, sent as written on every attempt.
CREATE TABLE relays (
    id              TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    peer_id         TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('forward', 'update')),
    case_id         TEXT NOT NULL REFERENCES cases (id),
    event_seq       BIGINT NOT NULL,
    to_org          TEXT NOT NULL,
    envelope        TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        BIGINT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    claimed_until   TEXT,
    claim_token     TEXT,
    last_error      TEXT,
    receipt         TEXT,
    created_at      TEXT NOT NULL,
    delivered_at    TEXT
);
CREATE INDEX relays_due ON relays (state, next_attempt_at);
CREATE INDEX relays_case ON relays (case_id, event_seq);

-- Envelopes accepted from peers: a replay (same peer and key, same content) is
-- answered with the stored receipt and writes nothing.
CREATE TABLE relay_inbox (
    peer_id         TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    kind            TEXT NOT NULL,
    envelope_sha256 TEXT NOT NULL,
    envelope        TEXT NOT NULL,
    case_id         TEXT NOT NULL REFERENCES cases (id),
    receipt         TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    PRIMARY KEY (peer_id, idempotency_key)
);

-- Cases opened from a peer's forward: where they came from (one per forward: a case
-- forwarded to two organisations this instance hosts opens two mirrors).
CREATE TABLE mirrors (
    case_id         TEXT PRIMARY KEY REFERENCES cases (id),
    peer_id         TEXT NOT NULL,
    origin_instance TEXT NOT NULL,
    origin_case     TEXT NOT NULL,
    origin_org      TEXT NOT NULL,
    relayed_events  BIGINT NOT NULL
);
CREATE INDEX mirrors_origin ON mirrors (peer_id, origin_case);

-- Envelopes refused (unknown key, not a peer, bad signature, broken chain, replay
-- with other content): logged, nothing else written.
CREATE TABLE relay_refusals (
    id              TEXT PRIMARY KEY,
    at              TEXT NOT NULL,
    from_instance   TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    reason          TEXT NOT NULL
);
CREATE INDEX relay_refusals_at ON relay_refusals (at);
