-- The changes owed a re-match of risk warnings: a record saved ('record'), an event of a
-- case that has records ('case': its publication or its parties decide who may be
-- warned), and an organisation's asset groups, memberships or accounts changed ('org').
-- Each is marked in the transaction of the change, so the worker's sweep re-matches
-- what changed since it last ran, however the process that made the change ended, and
-- removes a mark only if it is still the one it read (a change meanwhile keeps its
-- mark). The sweep then costs what changed, not a read of every record and inventory.
-- Marks are upserted once a statement where the statement may write many rows, in order
-- (concurrent writers take the rows in one order), as the other marks are.
CREATE TABLE rematch_marks (
    kind TEXT NOT NULL CHECK (kind IN ('record', 'case', 'org')),
    id   TEXT NOT NULL,
    mark BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE SEQUENCE rematch_mark_seq;
-- Marks each of `mark_ids` as of kind `mark_kind`, once each and in order.
CREATE FUNCTION rematch_mark(mark_kind TEXT, mark_ids TEXT[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO rematch_marks (kind, id, mark)
        SELECT $1, s.id, nextval('rematch_mark_seq')
        FROM (SELECT DISTINCT unnest($2) AS id ORDER BY id) AS s WHERE s.id IS NOT NULL
    ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
$$;
-- Records inserted or updated: each record.
CREATE FUNCTION rematch_mark_records() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rematch_mark('record', ARRAY(SELECT id FROM new_rows));
    RETURN NULL;
END
$$;
-- Events appended: their case, when it has records.
CREATE FUNCTION rematch_mark_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rematch_mark('case', ARRAY(
        SELECT DISTINCT n.case_id FROM new_rows n
        WHERE EXISTS (SELECT 1 FROM vulnerabilities v WHERE v.case_id = n.case_id)));
    RETURN NULL;
END
$$;
-- Asset groups and membership changes: their organisation.
CREATE FUNCTION rematch_mark_orgs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rematch_mark('org', ARRAY(SELECT org_id FROM new_rows));
    RETURN NULL;
END
$$;
-- An account of an organisation created, or its organisation, roles or status changed
-- (a trigger naming columns takes no transition table: once a row, and accounts change
-- one at a time).
CREATE FUNCTION rematch_mark_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rematch_mark('org', ARRAY[NEW.org_id]);
    RETURN NULL;
END
$$;
CREATE TRIGGER rematch_record_insert AFTER INSERT ON vulnerabilities
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rematch_mark_records();
CREATE TRIGGER rematch_record_update AFTER UPDATE ON vulnerabilities
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rematch_mark_records();
CREATE TRIGGER rematch_case_events AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rematch_mark_cases();
CREATE TRIGGER rematch_asset_group_insert AFTER INSERT ON asset_groups
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rematch_mark_orgs();
CREATE TRIGGER rematch_asset_group_update AFTER UPDATE ON asset_groups
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rematch_mark_orgs();
CREATE TRIGGER rematch_membership_changes AFTER INSERT ON membership_changes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rematch_mark_orgs();
CREATE TRIGGER rematch_account_insert AFTER INSERT ON accounts
    FOR EACH ROW WHEN (NEW.org_id IS NOT NULL) EXECUTE FUNCTION rematch_mark_account();
CREATE TRIGGER rematch_account_update AFTER UPDATE OF org_id, roles, status ON accounts
    FOR EACH ROW WHEN (NEW.org_id IS NOT NULL) EXECUTE FUNCTION rematch_mark_account();
