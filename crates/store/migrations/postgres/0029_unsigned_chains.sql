-- The hash chains whose heads may not be signed yet: a chain is marked when an event is
-- appended to it, and the checkpoint signer takes the marked chains, signs each head and
-- removes a mark only if it is still the one it read (a chain appended to meanwhile
-- stays marked). The worker's beat and a publication then cost what changed, not a read
-- of every chain. `chain_signer` holds the key that signed last: another key marks every
-- chain again, so each key signs every head. Marks are upserted once a statement, in
-- order (concurrent writers take the rows in one order), as publication marks are.
CREATE TABLE unsigned_chains (
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    mark BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE SEQUENCE unsigned_chain_marks;
CREATE TABLE chain_signer (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    public_key TEXT NOT NULL
);
CREATE FUNCTION unsigned_case_chains() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO unsigned_chains (kind, id, mark)
        SELECT 'case', case_id, nextval('unsigned_chain_marks')
        FROM (SELECT DISTINCT case_id FROM new_rows ORDER BY case_id) AS c
    ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
    RETURN NULL;
END
$$;
CREATE FUNCTION unsigned_org_chains() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO unsigned_chains (kind, id, mark)
        SELECT 'org', org_id, nextval('unsigned_chain_marks')
        FROM (SELECT DISTINCT org_id FROM new_rows ORDER BY org_id) AS o
    ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
    RETURN NULL;
END
$$;
CREATE TRIGGER unsigned_chains_events AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION unsigned_case_chains();
CREATE TRIGGER unsigned_chains_org_events AFTER INSERT ON org_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION unsigned_org_chains();
