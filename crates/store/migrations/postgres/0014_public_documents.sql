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
    document    BYTEA,
    sha512      BYTEA,
    signature   BYTEA,
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
    deflated  BYTEA NOT NULL
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
CREATE SEQUENCE publication_marks;
CREATE FUNCTION publication_mark(TEXT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO publication_dirty (source, mark) VALUES ($1, nextval('publication_marks'))
    ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
$$;
CREATE FUNCTION publication_mark_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN PERFORM publication_mark('case:' || NEW.case_id); END IF;
    IF TG_OP <> 'INSERT' THEN PERFORM publication_mark('case:' || OLD.case_id); END IF;
    RETURN NULL;
END
$$;
CREATE FUNCTION publication_mark_case_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN PERFORM publication_mark('case:' || NEW.id); END IF;
    IF TG_OP = 'DELETE' THEN PERFORM publication_mark('case:' || OLD.id); END IF;
    RETURN NULL;
END
$$;
CREATE FUNCTION publication_mark_vulnerability() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM publication_mark(CASE WHEN NEW.case_id IS NULL THEN 'record:' || NEW.id ELSE 'case:' || NEW.case_id END);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM publication_mark(CASE WHEN OLD.case_id IS NULL THEN 'record:' || OLD.id ELSE 'case:' || OLD.case_id END);
    END IF;
    RETURN NULL;
END
$$;
CREATE FUNCTION publication_mark_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM publication_mark(CASE WHEN case_id IS NULL THEN 'record:' || id ELSE 'case:' || case_id END)
        FROM vulnerabilities WHERE id = NEW.vulnerability_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER publication_vulnerabilities AFTER INSERT OR UPDATE OR DELETE ON vulnerabilities
    FOR EACH ROW EXECUTE FUNCTION publication_mark_vulnerability();
CREATE TRIGGER publication_revisions AFTER INSERT ON vulnerability_revisions
    FOR EACH ROW EXECUTE FUNCTION publication_mark_revision();
CREATE TRIGGER publication_cases AFTER INSERT OR UPDATE OR DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION publication_mark_case_row();
CREATE TRIGGER publication_events AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION publication_mark_case();
CREATE TRIGGER publication_case_parties AFTER INSERT OR UPDATE OR DELETE ON case_parties
    FOR EACH ROW EXECUTE FUNCTION publication_mark_case();
CREATE TRIGGER publication_case_products AFTER INSERT OR UPDATE OR DELETE ON case_products
    FOR EACH ROW EXECUTE FUNCTION publication_mark_case();
CREATE TRIGGER publication_embargoes AFTER INSERT OR UPDATE OR DELETE ON embargoes
    FOR EACH ROW EXECUTE FUNCTION publication_mark_case();
