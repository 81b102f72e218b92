-- Public distribution kept as data. Each public advisory's documents are stored when
-- it changes (public_documents: its CSAF document with its hash and signature, its
-- entries of the ROLIE and Atom feeds; public_osv: its records as OSV, deflated), so a
-- request serves stored bytes and the shared files (index.txt, changes.csv, the feeds,
-- the OSV zip) are put together from them. Triggers mark the source of an advisory
-- (`case:<id>` or `record:<id>` for a record of no case) dirty in the transaction of
-- any change it is built from; the next public read rebuilds the dirty ones before it
-- serves anything, so nothing is served from before a change, and a case that is no
-- longer public loses its documents at that moment. `seq` numbers the changes of
-- public_documents: a process holding the shared files reads the rows above its own.
CREATE TABLE public_documents (
    source      TEXT PRIMARY KEY,
    seq         BIGINT NOT NULL,
    -- NULL from here on: the advisory is no longer public.
    advisory_id TEXT,
    updated     TEXT,
    feed        TEXT,
    -- NULL from here on: no CSAF document (none, or one the CSAF writer refused).
    path        TEXT,
    released    TEXT,
    document    BLOB,
    sha512      BLOB,
    signature   BLOB,
    rolie       TEXT,
    terms       TEXT
);
CREATE UNIQUE INDEX public_documents_seq ON public_documents (seq);
CREATE INDEX public_documents_path ON public_documents (path);
CREATE INDEX public_documents_updated ON public_documents (updated);
CREATE TABLE public_osv (
    record_id TEXT PRIMARY KEY,
    source    TEXT NOT NULL,
    name      TEXT NOT NULL,
    crc32     BIGINT NOT NULL,
    size      BIGINT NOT NULL,
    deflated  BLOB NOT NULL
);
CREATE INDEX public_osv_source ON public_osv (source);
-- The sources to rebuild; `mark` changes with every change, so a rebuild removes only
-- the mark it was built after.
CREATE TABLE publication_dirty (
    source TEXT PRIMARY KEY,
    mark   BIGINT NOT NULL
);
-- What the stored documents were made with (the public URL, the signing key, the
-- version of the writers): any other and everything is rebuilt.
CREATE TABLE publication_state (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    identity TEXT NOT NULL
);
INSERT INTO publication_state (id, identity) VALUES (1, '');
-- SQLite runs a trigger's statements under the conflict handling of the statement that
-- fired it (an upsert's aborts), so each mark deletes and inserts instead of replacing.
CREATE TRIGGER publication_vulnerability_insert AFTER INSERT ON vulnerabilities BEGIN
    DELETE FROM publication_dirty WHERE source IN (CASE WHEN NEW.case_id IS NULL THEN 'record:' || NEW.id ELSE 'case:' || NEW.case_id END);
    INSERT INTO publication_dirty (source, mark) SELECT source, random() FROM (SELECT CASE WHEN NEW.case_id IS NULL THEN 'record:' || NEW.id ELSE 'case:' || NEW.case_id END AS source);
END;
CREATE TRIGGER publication_vulnerability_update AFTER UPDATE ON vulnerabilities BEGIN
    DELETE FROM publication_dirty WHERE source IN (CASE WHEN OLD.case_id IS NULL THEN 'record:' || OLD.id ELSE 'case:' || OLD.case_id END, CASE WHEN NEW.case_id IS NULL THEN 'record:' || NEW.id ELSE 'case:' || NEW.case_id END);
    INSERT INTO publication_dirty (source, mark) SELECT source, random() FROM (SELECT CASE WHEN OLD.case_id IS NULL THEN 'record:' || OLD.id ELSE 'case:' || OLD.case_id END AS source UNION SELECT CASE WHEN NEW.case_id IS NULL THEN 'record:' || NEW.id ELSE 'case:' || NEW.case_id END);
END;
CREATE TRIGGER publication_vulnerability_delete AFTER DELETE ON vulnerabilities BEGIN
    DELETE FROM publication_dirty WHERE source IN (CASE WHEN OLD.case_id IS NULL THEN 'record:' || OLD.id ELSE 'case:' || OLD.case_id END);
    INSERT INTO publication_dirty (source, mark) SELECT source, random() FROM (SELECT CASE WHEN OLD.case_id IS NULL THEN 'record:' || OLD.id ELSE 'case:' || OLD.case_id END AS source);
END;
CREATE TRIGGER publication_revision_insert AFTER INSERT ON vulnerability_revisions BEGIN
    DELETE FROM publication_dirty WHERE source = (SELECT CASE WHEN case_id IS NULL THEN 'record:' || id ELSE 'case:' || case_id END FROM vulnerabilities WHERE id = NEW.vulnerability_id);
    INSERT INTO publication_dirty (source, mark)
        SELECT CASE WHEN case_id IS NULL THEN 'record:' || id ELSE 'case:' || case_id END, random()
        FROM vulnerabilities WHERE id = NEW.vulnerability_id;
END;
CREATE TRIGGER publication_case_insert AFTER INSERT ON cases BEGIN
    DELETE FROM publication_dirty WHERE source IN ('case:' || NEW.id);
    INSERT INTO publication_dirty (source, mark) SELECT source, random() FROM (SELECT 'case:' || NEW.id AS source);
END;
CREATE TRIGGER publication_case_update AFTER UPDATE ON cases BEGIN
    DELETE FROM publication_dirty WHERE source IN ('case:' || NEW.id);
    INSERT INTO publication_dirty (source, mark) SELECT source, random() FROM (SELECT 'case:' || NEW.id AS source);
END;
CREATE TRIGGER publication_case_delete AFTER DELETE ON cases BEGIN
    DELETE FROM publication_dirty WHERE source IN ('case:' || OLD.id);
    INSERT INTO publication_dirty (source, mark) SELECT source, random() FROM (SELECT 'case:' || OLD.id AS source);
END;
CREATE TRIGGER publication_events_insert AFTER INSERT ON events BEGIN
    DELETE FROM publication_dirty WHERE source IN ('case:' || NEW.case_id);
    INSERT INTO publication_dirty (source, mark) SELECT source, random() FROM (SELECT 'case:' || NEW.case_id AS source);
END;
CREATE TRIGGER publication_case_parties_insert AFTER INSERT ON case_parties BEGIN
    DELETE FROM publication_dirty WHERE source IN ('case:' || NEW.case_id);
    INSERT INTO publication_dirty (source, mark) SELECT source, random() FROM (SELECT 'case:' || NEW.case_id AS source);
END;
CREATE TRIGGER publication_case_parties_update AFTER UPDATE ON case_parties BEGIN
    DELETE FROM publication_dirty WHERE source IN ('case:' || OLD.case_id, 'case:' || NEW.case_id);
    INSERT INTO publication_dirty (source, mark) SELECT source, random() FROM (SELECT 'case:' || OLD.case_id AS source UNION SELECT 'case:' || NEW.case_id);
END;
CREATE TRIGGER publication_case_parties_delete AFTER DELETE ON case_parties BEGIN
    DELETE FROM publication_dirty WHERE source IN ('case:' || OLD.case_id);
    INSERT INTO publication_dirty (source, mark) SELECT source, random() FROM (SELECT 'case:' || OLD.case_id AS source);
END;
CREATE TRIGGER publication_case_products_insert AFTER INSERT ON case_products BEGIN
    DELETE FROM publication_dirty WHERE source IN ('case:' || NEW.case_id);
    INSERT INTO publication_dirty (source, mark) SELECT source, random() FROM (SELECT 'case:' || NEW.case_id AS source);
END;
CREATE TRIGGER publication_case_products_update AFTER UPDATE ON case_products BEGIN
    DELETE FROM publication_dirty WHERE source IN ('case:' || OLD.case_id, 'case:' || NEW.case_id);
    INSERT INTO publication_dirty (source, mark) SELECT source, random() FROM (SELECT 'case:' || OLD.case_id AS source UNION SELECT 'case:' || NEW.case_id);
END;
CREATE TRIGGER publication_case_products_delete AFTER DELETE ON case_products BEGIN
    DELETE FROM publication_dirty WHERE source IN ('case:' || OLD.case_id);
    INSERT INTO publication_dirty (source, mark) SELECT source, random() FROM (SELECT 'case:' || OLD.case_id AS source);
END;
CREATE TRIGGER publication_embargoes_insert AFTER INSERT ON embargoes BEGIN
    DELETE FROM publication_dirty WHERE source IN ('case:' || NEW.case_id);
    INSERT INTO publication_dirty (source, mark) SELECT source, random() FROM (SELECT 'case:' || NEW.case_id AS source);
END;
CREATE TRIGGER publication_embargoes_update AFTER UPDATE ON embargoes BEGIN
    DELETE FROM publication_dirty WHERE source IN ('case:' || OLD.case_id, 'case:' || NEW.case_id);
    INSERT INTO publication_dirty (source, mark) SELECT source, random() FROM (SELECT 'case:' || OLD.case_id AS source UNION SELECT 'case:' || NEW.case_id);
END;
CREATE TRIGGER publication_embargoes_delete AFTER DELETE ON embargoes BEGIN
    DELETE FROM publication_dirty WHERE source IN ('case:' || OLD.case_id);
    INSERT INTO publication_dirty (source, mark) SELECT source, random() FROM (SELECT 'case:' || OLD.case_id AS source);
END;
