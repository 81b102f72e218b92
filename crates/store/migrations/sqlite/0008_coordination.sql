-- Multi-party coordination (issue 20): the private notes vendors send the platform
-- with their status events — beside the event log, never in it, so no case file,
-- export or other vendor sees them — and the notices sent to participants (added to a
-- case, reminded), once per key, through the delivery outbox.

CREATE TABLE case_private_notes (
    case_id      TEXT NOT NULL REFERENCES cases (id),
    seq          BIGINT NOT NULL,
    org_id       TEXT NOT NULL,
    note         TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE coordination_notices (
    key      TEXT PRIMARY KEY,
    case_id  TEXT NOT NULL REFERENCES cases (id),
    org_id   TEXT NOT NULL,
    sent_at  TEXT NOT NULL
);

CREATE INDEX coordination_notices_case ON coordination_notices (case_id);

-- A product that joined a case after it was opened (a participant vendor's) records
-- the last event before it: the events up to there were recorded when the case had
-- one product, and those that name none are about that product.
ALTER TABLE case_products ADD COLUMN added_after_seq BIGINT;
