-- Derived views of the cases (issue 18), kept as data: rewritten in the transaction of
-- every change of a case, from the case as that transaction leaves it. The event log
-- stays the truth; `vulnrelay rebuild-projections` recomputes every view from it.

-- One row per case: its state as its events make it, and the last event it reflects.
CREATE TABLE case_views (
    case_id      TEXT PRIMARY KEY REFERENCES cases (id),
    created_at   TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    state        TEXT NOT NULL,
    published    BOOLEAN NOT NULL,
    projector    TEXT NOT NULL,
    projected_at TEXT NOT NULL,
    -- How many downstream vendors and products the case had (a projector reusing
    -- these views tells from them which vendors and products joined since).
    vendors      BIGINT NOT NULL DEFAULT 0,
    products     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX case_views_order ON case_views (created_at, case_id);
CREATE INDEX case_views_published ON case_views (published, created_at, case_id);

-- Each organisation that stands in a relation to a case other than the public's
-- (platform, reporter, notified provider): the cases it may list, in the case order.
CREATE TABLE case_relations (
    case_id    TEXT NOT NULL REFERENCES cases (id),
    org_id     TEXT NOT NULL,
    relation   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (case_id, org_id)
);
CREATE INDEX case_relations_org ON case_relations (org_id, created_at, case_id);

-- The open obligations of each party — `pending` (not met; overdue once `due_at` has
-- passed), `incomplete` (met without all the content the rule asks for) or
-- `not_started` (its clock waits for an event, e.g. a fix) — with when they fall due: "overdue" is a comparison of `due_at` with the clock at query
-- time, never a stored state. `due_key` is `due_at`, or '~' (after every time) for a
-- duty with no numeric deadline, so one index orders both.
CREATE TABLE open_obligations (
    case_id    TEXT NOT NULL REFERENCES cases (id),
    org_id     TEXT NOT NULL,
    rule       TEXT NOT NULL,
    product    TEXT NOT NULL,
    due_key    TEXT NOT NULL,
    due_at     TEXT,
    status     TEXT NOT NULL CHECK (status IN ('pending', 'incomplete', 'not_started')),
    -- The case is published (the public's metrics count it), as in `case_views`.
    public     BOOLEAN NOT NULL,
    PRIMARY KEY (case_id, org_id, rule, product)
);
CREATE INDEX open_obligations_org_due ON open_obligations (org_id, due_key, case_id, rule, product);
CREATE INDEX open_obligations_due ON open_obligations (due_key);
CREATE INDEX open_obligations_public ON open_obligations (public, status, due_key);

-- The receipt log by pages, and a platform's receipts through its cases.
CREATE INDEX receipts_page ON receipts (received_at, id);
CREATE INDEX receipts_case ON receipts (case_id);

-- An organisation's cases (its record, its history).
CREATE INDEX case_parties_party ON case_parties (party_id);
