-- Publication marks (0014) as one upsert a row instead of a delete and an insert: a new
-- case's rows fired about seven of each pair on the writer's thread, each two b-tree
-- deletes and two inserts (the table and its key), where an upsert of a source already
-- dirty rewrites its mark in place. The mark still changes with every change, so a
-- rebuild still removes only the mark it was built after. An upsert in a trigger keeps
-- its own conflict handling whatever the statement that fired it says (`INSERT OR
-- IGNORE`, an upsert's `DO UPDATE`); the store's tests change every marked table each
-- of these ways.
DROP TRIGGER publication_vulnerability_insert;
CREATE TRIGGER publication_vulnerability_insert AFTER INSERT ON vulnerabilities BEGIN
    INSERT INTO publication_dirty (source, mark) VALUES (CASE WHEN NEW.case_id IS NULL THEN 'record:' || NEW.id ELSE 'case:' || NEW.case_id END, random())
        ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
END;
DROP TRIGGER publication_vulnerability_update;
CREATE TRIGGER publication_vulnerability_update AFTER UPDATE ON vulnerabilities BEGIN
    INSERT INTO publication_dirty (source, mark)
        SELECT source, random() FROM (SELECT CASE WHEN OLD.case_id IS NULL THEN 'record:' || OLD.id ELSE 'case:' || OLD.case_id END AS source UNION SELECT CASE WHEN NEW.case_id IS NULL THEN 'record:' || NEW.id ELSE 'case:' || NEW.case_id END) WHERE true
        ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
END;
DROP TRIGGER publication_vulnerability_delete;
CREATE TRIGGER publication_vulnerability_delete AFTER DELETE ON vulnerabilities BEGIN
    INSERT INTO publication_dirty (source, mark) VALUES (CASE WHEN OLD.case_id IS NULL THEN 'record:' || OLD.id ELSE 'case:' || OLD.case_id END, random())
        ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
END;
DROP TRIGGER publication_revision_insert;
CREATE TRIGGER publication_revision_insert AFTER INSERT ON vulnerability_revisions BEGIN
    INSERT INTO publication_dirty (source, mark)
        SELECT CASE WHEN case_id IS NULL THEN 'record:' || id ELSE 'case:' || case_id END, random()
        FROM vulnerabilities WHERE id = NEW.vulnerability_id
        ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
END;
DROP TRIGGER publication_case_insert;
CREATE TRIGGER publication_case_insert AFTER INSERT ON cases BEGIN
    INSERT INTO publication_dirty (source, mark) VALUES ('case:' || NEW.id, random())
        ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
END;
DROP TRIGGER publication_case_update;
CREATE TRIGGER publication_case_update AFTER UPDATE ON cases BEGIN
    INSERT INTO publication_dirty (source, mark) VALUES ('case:' || NEW.id, random())
        ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
END;
DROP TRIGGER publication_case_delete;
CREATE TRIGGER publication_case_delete AFTER DELETE ON cases BEGIN
    INSERT INTO publication_dirty (source, mark) VALUES ('case:' || OLD.id, random())
        ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
END;
DROP TRIGGER publication_events_insert;
CREATE TRIGGER publication_events_insert AFTER INSERT ON events BEGIN
    INSERT INTO publication_dirty (source, mark) VALUES ('case:' || NEW.case_id, random())
        ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
END;
DROP TRIGGER publication_case_parties_insert;
CREATE TRIGGER publication_case_parties_insert AFTER INSERT ON case_parties BEGIN
    INSERT INTO publication_dirty (source, mark) VALUES ('case:' || NEW.case_id, random())
        ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
END;
DROP TRIGGER publication_case_parties_update;
CREATE TRIGGER publication_case_parties_update AFTER UPDATE ON case_parties BEGIN
    INSERT INTO publication_dirty (source, mark)
        SELECT source, random() FROM (SELECT 'case:' || OLD.case_id AS source UNION SELECT 'case:' || NEW.case_id) WHERE true
        ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
END;
DROP TRIGGER publication_case_parties_delete;
CREATE TRIGGER publication_case_parties_delete AFTER DELETE ON case_parties BEGIN
    INSERT INTO publication_dirty (source, mark) VALUES ('case:' || OLD.case_id, random())
        ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
END;
DROP TRIGGER publication_case_products_insert;
CREATE TRIGGER publication_case_products_insert AFTER INSERT ON case_products BEGIN
    INSERT INTO publication_dirty (source, mark) VALUES ('case:' || NEW.case_id, random())
        ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
END;
DROP TRIGGER publication_case_products_update;
CREATE TRIGGER publication_case_products_update AFTER UPDATE ON case_products BEGIN
    INSERT INTO publication_dirty (source, mark)
        SELECT source, random() FROM (SELECT 'case:' || OLD.case_id AS source UNION SELECT 'case:' || NEW.case_id) WHERE true
        ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
END;
DROP TRIGGER publication_case_products_delete;
CREATE TRIGGER publication_case_products_delete AFTER DELETE ON case_products BEGIN
    INSERT INTO publication_dirty (source, mark) VALUES ('case:' || OLD.case_id, random())
        ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
END;
DROP TRIGGER publication_embargoes_insert;
CREATE TRIGGER publication_embargoes_insert AFTER INSERT ON embargoes BEGIN
    INSERT INTO publication_dirty (source, mark) VALUES ('case:' || NEW.case_id, random())
        ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
END;
DROP TRIGGER publication_embargoes_update;
CREATE TRIGGER publication_embargoes_update AFTER UPDATE ON embargoes BEGIN
    INSERT INTO publication_dirty (source, mark)
        SELECT source, random() FROM (SELECT 'case:' || OLD.case_id AS source UNION SELECT 'case:' || NEW.case_id) WHERE true
        ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
END;
DROP TRIGGER publication_embargoes_delete;
CREATE TRIGGER publication_embargoes_delete AFTER DELETE ON embargoes BEGIN
    INSERT INTO publication_dirty (source, mark) VALUES ('case:' || OLD.case_id, random())
        ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
END;
