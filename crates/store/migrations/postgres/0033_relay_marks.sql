-- The cases owed a look for relays (docs/federation.md): an event appended while the
-- instance has peers (a notification of a remote organisation, an event a mirror sends
-- back, an event after a delivered forward, a forward's receipt), a record of a mirror
-- case saved (its records flow back), and every case when a peer is added or removed
-- (which organisations are remote changed). Each is marked in the transaction of the
-- change, so the worker's sweep queues what a crash between a change and its relay
-- left out by reading the marked cases, not every case, and removes a mark only if it
-- is still the one it read (a change meanwhile keeps its mark). An instance without
-- peers marks nothing. Marks are upserted once a statement, in order (concurrent
-- writers take the rows in one order), as the other marks are.
CREATE TABLE relay_marks (
    kind TEXT NOT NULL CHECK (kind = 'case'),
    id   TEXT NOT NULL,
    mark BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE SEQUENCE relay_mark_seq;
-- Marks each of the cases `case_ids`, once each and in order.
CREATE FUNCTION relay_mark(case_ids TEXT[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO relay_marks (kind, id, mark)
        SELECT 'case', s.id, nextval('relay_mark_seq')
        FROM (SELECT DISTINCT unnest($1) AS id ORDER BY id) AS s WHERE s.id IS NOT NULL
    ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
$$;
-- Events appended: their cases, when the instance has peers.
CREATE FUNCTION relay_mark_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM peers) THEN
        PERFORM relay_mark(ARRAY(SELECT case_id FROM new_rows));
    END IF;
    RETURN NULL;
END
$$;
-- Marks those of the cases `case_ids` that are mirrors.
CREATE FUNCTION relay_mark_mirrors(case_ids TEXT[]) RETURNS void LANGUAGE sql AS $$
    SELECT relay_mark(ARRAY(SELECT m.case_id FROM mirrors m WHERE m.case_id = ANY($1)));
$$;
-- Records saved: their cases, when they are mirrors.
CREATE FUNCTION relay_mark_records() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM relay_mark_mirrors(ARRAY(SELECT case_id FROM new_rows));
    RETURN NULL;
END
$$;
-- Records changed: the cases they belong to and, if that changed, belonged to.
CREATE FUNCTION relay_mark_records_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM relay_mark_mirrors(ARRAY(SELECT case_id FROM new_rows UNION SELECT case_id FROM old_rows));
    RETURN NULL;
END
$$;
-- A peer added or removed: every case.
CREATE FUNCTION relay_mark_every_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO relay_marks (kind, id, mark)
        SELECT 'case', c.id, nextval('relay_mark_seq') FROM (SELECT id FROM cases ORDER BY id) AS c
    ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
    RETURN NULL;
END
$$;
CREATE TRIGGER relay_marks_events AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION relay_mark_events();
CREATE TRIGGER relay_marks_record_insert AFTER INSERT ON vulnerabilities
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION relay_mark_records();
CREATE TRIGGER relay_marks_record_update AFTER UPDATE ON vulnerabilities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relay_mark_records_changed();
CREATE TRIGGER relay_marks_peer_insert AFTER INSERT ON peers
    FOR EACH STATEMENT EXECUTE FUNCTION relay_mark_every_case();
CREATE TRIGGER relay_marks_peer_delete AFTER DELETE ON peers
    FOR EACH STATEMENT EXECUTE FUNCTION relay_mark_every_case();
-- An instance that already has peers looks at every case once.
INSERT INTO relay_marks (kind, id, mark)
    SELECT 'case', id, nextval('relay_mark_seq') FROM cases WHERE EXISTS (SELECT 1 FROM peers);
