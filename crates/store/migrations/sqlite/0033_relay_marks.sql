-- The cases owed a look for relays (docs/federation.md): an event appended while the
-- instance has peers (a notification of a remote organisation, an event a mirror sends
-- back, an event after a delivered forward, a forward's receipt), a record of a mirror
-- case saved (its records flow back), and every case when a peer is added or removed
-- (which organisations are remote changed). Each is marked in the transaction of the
-- change, so the worker's sweep queues what a crash between a change and its relay
-- left out by reading the marked cases, not every case, and removes a mark only if it
-- is still the one it read (a change meanwhile keeps its mark). An instance without
-- peers marks nothing.
CREATE TABLE relay_marks (
    kind TEXT NOT NULL CHECK (kind = 'case'),
    id   TEXT NOT NULL,
    mark BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TRIGGER relay_marks_events AFTER INSERT ON events WHEN EXISTS (SELECT 1 FROM peers) BEGIN
    INSERT INTO relay_marks (kind, id, mark) VALUES ('case', NEW.case_id, random())
        ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
END;
CREATE TRIGGER relay_marks_record_insert AFTER INSERT ON vulnerabilities
    WHEN EXISTS (SELECT 1 FROM mirrors WHERE case_id = NEW.case_id) BEGIN
    INSERT INTO relay_marks (kind, id, mark) VALUES ('case', NEW.case_id, random())
        ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
END;
CREATE TRIGGER relay_marks_record_update AFTER UPDATE ON vulnerabilities
    WHEN EXISTS (SELECT 1 FROM mirrors WHERE case_id IN (NEW.case_id, OLD.case_id)) BEGIN
    INSERT INTO relay_marks (kind, id, mark)
        SELECT 'case', case_id, random() FROM mirrors WHERE case_id IN (NEW.case_id, OLD.case_id)
        ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
END;
CREATE TRIGGER relay_marks_peer_insert AFTER INSERT ON peers BEGIN
    INSERT INTO relay_marks (kind, id, mark) SELECT 'case', id, random() FROM cases WHERE true
        ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
END;
CREATE TRIGGER relay_marks_peer_delete AFTER DELETE ON peers BEGIN
    INSERT INTO relay_marks (kind, id, mark) SELECT 'case', id, random() FROM cases WHERE true
        ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
END;
-- An instance that already has peers looks at every case once.
INSERT INTO relay_marks (kind, id, mark)
    SELECT 'case', id, random() FROM cases WHERE EXISTS (SELECT 1 FROM peers);
