-- What the gates refused on a case: the attempted event (its type, who, to whom) and
-- the refusing rules, so that a refused forward — to an organisation abroad before
-- disclosure, say — is on the timeline of the instance that refused it. Not part of
-- the hash-chained log (nothing happened); the latest per case are kept.
CREATE TABLE gate_refusals (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    at          TEXT NOT NULL,
    recorded_by TEXT,
    party       TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    recipient   TEXT,
    rules       TEXT NOT NULL
);
CREATE INDEX gate_refusals_case ON gate_refusals (case_id, at);
