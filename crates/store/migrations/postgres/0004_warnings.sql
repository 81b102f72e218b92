-- Risk warnings (风险预警): asset inventories of subscriber organisations, warnings per
-- (organisation, vulnerability), acknowledgements and per-asset status, webhook
-- subscriptions, the delivery outbox (in-app inbox and webhooks, with retries and dead
-- letters) and deadline reminders sent once each. The SQLite schema is the same.

-- A named asset group (a system, a host, a product line) of an organisation; its
-- components are replaced on every upload, and each upload is kept as a revision.
CREATE TABLE asset_groups (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    name        TEXT NOT NULL,
    source      TEXT NOT NULL,
    revision    BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE asset_components (
    group_id  TEXT NOT NULL REFERENCES asset_groups (id),
    position  BIGINT NOT NULL,
    name      TEXT NOT NULL,
    version   TEXT,
    purl      TEXT,
    bom_ref   TEXT,
    PRIMARY KEY (group_id, position)
);

-- Every upload of a group: who, when, from what, and the components as JSON.
CREATE TABLE asset_group_revisions (
    group_id     TEXT NOT NULL REFERENCES asset_groups (id),
    revision     BIGINT NOT NULL,
    source       TEXT NOT NULL,
    uploaded_by  TEXT,
    uploaded_at  TEXT NOT NULL,
    components   TEXT NOT NULL,
    PRIMARY KEY (group_id, revision)
);

-- One warning per (organisation, vulnerability); `content` is the warning as sent
-- (JSON), `fingerprint` its hash: a new revision (and new deliveries) only when it
-- changes.
CREATE TABLE warnings (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organisations (id),
    vulnerability_id TEXT NOT NULL,
    case_id          TEXT,
    state            TEXT NOT NULL CHECK (state IN ('active', 'withdrawn')),
    tlp              TEXT NOT NULL,
    severity         TEXT,
    content          TEXT NOT NULL,
    fingerprint      TEXT NOT NULL,
    revision         BIGINT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (org_id, vulnerability_id)
);
CREATE INDEX warnings_vulnerability ON warnings (vulnerability_id);

CREATE TABLE warning_acks (
    warning_id  TEXT NOT NULL REFERENCES warnings (id),
    account_id  TEXT NOT NULL,
    revision    BIGINT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (warning_id, account_id)
);

-- The unit's report per asset group: mitigated, fixed or not affected (with a VEX
-- justification). Every report is kept; the latest per asset counts.
CREATE TABLE warning_asset_status (
    id             TEXT PRIMARY KEY,
    warning_id     TEXT NOT NULL REFERENCES warnings (id),
    asset          TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('affected', 'mitigated', 'fixed', 'not_affected')),
    justification  TEXT,
    detail         TEXT,
    by_account     TEXT,
    at             TEXT NOT NULL
);
CREATE INDEX warning_asset_status_warning ON warning_asset_status (warning_id, asset, at);

CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    active      BOOLEAN NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id);

-- The delivery outbox: one row per message and channel, written in the transaction of
-- the warning (or reminder) that caused it. Workers claim due rows for a lease;
-- `claim_token` names the claim, so a worker whose lease lapsed cannot overwrite the
-- outcome of the worker that took over.
CREATE TABLE deliveries (
    id               TEXT PRIMARY KEY,
    idempotency_key  TEXT NOT NULL UNIQUE,
    org_id           TEXT NOT NULL,
    channel          TEXT NOT NULL CHECK (channel IN ('inbox', 'webhook')),
    webhook_id       TEXT REFERENCES webhooks (id),
    topic            TEXT NOT NULL,
    warning_id       TEXT,
    payload          TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts         BIGINT NOT NULL,
    next_attempt_at  TEXT NOT NULL,
    claimed_until    TEXT,
    claim_token      TEXT,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    delivered_at     TEXT,
    dead_at          TEXT
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_org ON deliveries (org_id, created_at);

CREATE TABLE delivery_attempts (
    delivery_id  TEXT NOT NULL REFERENCES deliveries (id),
    attempt      BIGINT NOT NULL,
    at           TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    error        TEXT,
    PRIMARY KEY (delivery_id, attempt, at)
);

-- The in-app inbox: one row per delivered inbox message (the delivery id is unique, so
-- a message lands once however often it is delivered).
CREATE TABLE inbox (
    delivery_id  TEXT PRIMARY KEY REFERENCES deliveries (id),
    org_id       TEXT NOT NULL,
    topic        TEXT NOT NULL,
    payload      TEXT NOT NULL,
    at           TEXT NOT NULL
);
CREATE INDEX inbox_org ON inbox (org_id, at);

-- Deadline reminders: at most one per (case, obligation, organisation, stage).
CREATE TABLE reminders (
    case_id  TEXT NOT NULL,
    rule_id  TEXT NOT NULL,
    org_id   TEXT NOT NULL,
    stage    TEXT NOT NULL CHECK (stage IN ('24h', '4h', 'overdue')),
    due_at   TEXT,
    sent_at  TEXT NOT NULL,
    PRIMARY KEY (case_id, rule_id, org_id, stage)
);
