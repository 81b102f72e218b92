-- Publication marks (0014) once a statement instead of once a row: intake writes a group
-- of reports a table at a time, and each row of its parties, products and events called a
-- PL/pgSQL function that called another to upsert one mark, all for the same few cases.
-- A statement's trigger reads the rows it changed (its transition tables) and upserts each
-- distinct source once. Triggers with transition tables take one event each, hence three
-- a table. The mark still changes with every change, so a rebuild still removes only the
-- mark it was built after.
DROP TRIGGER publication_vulnerabilities ON vulnerabilities;
DROP TRIGGER publication_revisions ON vulnerability_revisions;
DROP TRIGGER publication_cases ON cases;
DROP TRIGGER publication_events ON events;
DROP TRIGGER publication_case_parties ON case_parties;
DROP TRIGGER publication_case_products ON case_products;
DROP TRIGGER publication_embargoes ON embargoes;
DROP FUNCTION publication_mark_case();
DROP FUNCTION publication_mark_case_row();
DROP FUNCTION publication_mark_vulnerability();
DROP FUNCTION publication_mark_revision();
DROP FUNCTION publication_mark(TEXT);
-- Marks each source of `sources` dirty, once each and in order (concurrent writers take
-- the rows in one order).
CREATE FUNCTION publication_mark_all(sources TEXT[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO publication_dirty (source, mark)
        SELECT source, nextval('publication_marks') FROM (SELECT DISTINCT unnest(sources) AS source ORDER BY source) AS s
    ON CONFLICT (source) DO UPDATE SET mark = excluded.mark;
$$;
-- Rows of a case's tables (case_id): the case.
CREATE FUNCTION publication_mark_case_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM publication_mark_all(ARRAY(SELECT 'case:' || case_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM publication_mark_all(ARRAY(SELECT 'case:' || case_id FROM old_rows));
    ELSE
        PERFORM publication_mark_all(ARRAY(
            SELECT 'case:' || case_id FROM new_rows UNION ALL SELECT 'case:' || case_id FROM old_rows));
    END IF;
    RETURN NULL;
END
$$;
-- Cases (id): the case itself (an update keeps a case's id).
CREATE FUNCTION publication_mark_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM publication_mark_all(ARRAY(SELECT 'case:' || id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM publication_mark_all(ARRAY(SELECT 'case:' || id FROM old_rows));
    ELSE
        PERFORM publication_mark_all(ARRAY(SELECT 'case:' || id FROM new_rows));
    END IF;
    RETURN NULL;
END
$$;
-- Records: their case, or the record itself when it has none.
CREATE FUNCTION publication_mark_vulnerabilities() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM publication_mark_all(ARRAY(SELECT CASE WHEN case_id IS NULL THEN 'record:' || id ELSE 'case:' || case_id END FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM publication_mark_all(ARRAY(SELECT CASE WHEN case_id IS NULL THEN 'record:' || id ELSE 'case:' || case_id END FROM old_rows));
    ELSE
        PERFORM publication_mark_all(ARRAY(
            SELECT CASE WHEN case_id IS NULL THEN 'record:' || id ELSE 'case:' || case_id END FROM new_rows UNION ALL SELECT CASE WHEN case_id IS NULL THEN 'record:' || id ELSE 'case:' || case_id END FROM old_rows));
    END IF;
    RETURN NULL;
END
$$;
-- A record's revisions: the record's source.
CREATE FUNCTION publication_mark_revisions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM publication_mark_all(ARRAY(
        SELECT CASE WHEN v.case_id IS NULL THEN 'record:' || v.id ELSE 'case:' || v.case_id END
        FROM new_rows AS r JOIN vulnerabilities AS v ON v.id = r.vulnerability_id));
    RETURN NULL;
END
$$;
CREATE TRIGGER publication_vulnerabilities_insert AFTER INSERT ON vulnerabilities
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publication_mark_vulnerabilities();
CREATE TRIGGER publication_vulnerabilities_update AFTER UPDATE ON vulnerabilities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publication_mark_vulnerabilities();
CREATE TRIGGER publication_vulnerabilities_delete AFTER DELETE ON vulnerabilities
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION publication_mark_vulnerabilities();
CREATE TRIGGER publication_revisions_insert AFTER INSERT ON vulnerability_revisions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publication_mark_revisions();
CREATE TRIGGER publication_cases_insert AFTER INSERT ON cases
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publication_mark_cases();
CREATE TRIGGER publication_cases_update AFTER UPDATE ON cases
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publication_mark_cases();
CREATE TRIGGER publication_cases_delete AFTER DELETE ON cases
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION publication_mark_cases();
CREATE TRIGGER publication_events_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publication_mark_case_rows();
CREATE TRIGGER publication_case_parties_insert AFTER INSERT ON case_parties
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publication_mark_case_rows();
CREATE TRIGGER publication_case_parties_update AFTER UPDATE ON case_parties
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publication_mark_case_rows();
CREATE TRIGGER publication_case_parties_delete AFTER DELETE ON case_parties
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION publication_mark_case_rows();
CREATE TRIGGER publication_case_products_insert AFTER INSERT ON case_products
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publication_mark_case_rows();
CREATE TRIGGER publication_case_products_update AFTER UPDATE ON case_products
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publication_mark_case_rows();
CREATE TRIGGER publication_case_products_delete AFTER DELETE ON case_products
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION publication_mark_case_rows();
CREATE TRIGGER publication_embargoes_insert AFTER INSERT ON embargoes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publication_mark_case_rows();
CREATE TRIGGER publication_embargoes_update AFTER UPDATE ON embargoes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION publication_mark_case_rows();
CREATE TRIGGER publication_embargoes_delete AFTER DELETE ON embargoes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION publication_mark_case_rows();
