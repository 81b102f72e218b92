-- vulnrelay store, SQLite. Times are TEXT in one fixed UTC format
-- (YYYY-MM-DDTHH:MM:SS.ffffffZ) so that they sort as strings; JSON is TEXT.

CREATE TABLE organisations (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    roles         TEXT NOT NULL,
    jurisdiction  TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('organisation', 'individual')),
    status        TEXT NOT NULL CHECK (status IN ('active', 'pending', 'rejected')),
    created_at    TEXT NOT NULL,
    decided_at    TEXT,
    decided_by    TEXT,
    decision_note TEXT
);

CREATE TABLE membership_changes (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    scheme      TEXT NOT NULL,
    change      TEXT NOT NULL CHECK (change IN ('joined', 'suspended', 'restored', 'ended')),
    at          TEXT NOT NULL,
    until       TEXT,
    reason      TEXT,
    findings    TEXT NOT NULL,
    review      TEXT,
    by_account  TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX membership_changes_org ON membership_changes (org_id, at);

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    org_id        TEXT REFERENCES organisations (id),
    roles         TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'pending', 'rejected')),
    created_at    TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE cases (
    id                TEXT PRIMARY KEY,
    title             TEXT NOT NULL,
    timezone          TEXT NOT NULL,
    reporter_org      TEXT NOT NULL REFERENCES organisations (id),
    platform_org      TEXT NOT NULL REFERENCES organisations (id),
    created_at        TEXT NOT NULL,
    last_seq          INTEGER NOT NULL DEFAULT 0,
    planned_public_at TEXT
);

CREATE TABLE case_parties (
    case_id  TEXT NOT NULL REFERENCES cases (id),
    party_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    party    TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (case_id, party_id)
);

CREATE TABLE case_products (
    case_id    TEXT NOT NULL REFERENCES cases (id),
    product_id TEXT NOT NULL,
    position   INTEGER NOT NULL,
    product    TEXT NOT NULL,
    PRIMARY KEY (case_id, product_id)
);

-- The event log: append-only, one hash chain per case.
CREATE TABLE events (
    case_id         TEXT NOT NULL REFERENCES cases (id),
    seq             INTEGER NOT NULL,
    at              TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,
    recorded_by     TEXT,
    override_reason TEXT,
    body            TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TABLE reports (
    id              TEXT PRIMARY KEY,
    case_id         TEXT NOT NULL UNIQUE REFERENCES cases (id),
    idempotency_key TEXT UNIQUE,
    submitted_by    TEXT,
    body            TEXT NOT NULL,
    created_at      TEXT NOT NULL
);

CREATE TABLE attachments (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL REFERENCES cases (id),
    filename     TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    exploit_code BOOLEAN NOT NULL,
    content      BLOB NOT NULL
);
CREATE INDEX attachments_case ON attachments (case_id);

-- The receipt log of CN Art. 5 (kept at least 6 months).
CREATE TABLE receipts (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    channel     TEXT NOT NULL,
    submitter   TEXT NOT NULL
);
CREATE INDEX receipts_received_at ON receipts (received_at);

CREATE TABLE comments (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    account_id TEXT,
    at         TEXT NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX comments_case ON comments (case_id, at);

CREATE TABLE embargoes (
    id                TEXT PRIMARY KEY,
    case_id           TEXT NOT NULL REFERENCES cases (id),
    planned_public_at TEXT,
    set_at            TEXT NOT NULL,
    set_by            TEXT
);

-- Notifications and webhooks to deliver, written in the transaction of the change.
CREATE TABLE outbox (
    id            TEXT PRIMARY KEY,
    topic         TEXT NOT NULL,
    payload       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    claimed_until TEXT,
    delivered_at  TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_pending ON outbox (delivered_at, created_at);
