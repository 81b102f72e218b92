-- Each organisation's own log: sanctions, rectification reports and reviews, one hash
-- chain per organisation, append-only like the case event log.
CREATE TABLE org_events (
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    seq         BIGINT NOT NULL,
    scheme      TEXT NOT NULL,
    at          TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT,
    body        TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (org_id, seq)
);
CREATE TRIGGER org_events_no_update_or_delete BEFORE UPDATE OR DELETE ON org_events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
