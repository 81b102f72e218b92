-- The hash chains whose heads may not be signed yet: a chain is marked when an event is
-- appended to it, and the checkpoint signer takes the marked chains, signs each head and
-- removes a mark only if it is still the one it read (a chain appended to meanwhile
-- stays marked). The worker's beat and a publication then cost what changed, not a read
-- of every chain. `chain_signer` holds the key that signed last: another key marks every
-- chain again, so each key signs every head.
CREATE TABLE unsigned_chains (
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    mark BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE chain_signer (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    public_key TEXT NOT NULL
);
CREATE TRIGGER unsigned_chains_events AFTER INSERT ON events BEGIN
    INSERT INTO unsigned_chains (kind, id, mark) VALUES ('case', NEW.case_id, random())
        ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
END;
CREATE TRIGGER unsigned_chains_org_events AFTER INSERT ON org_events BEGIN
    INSERT INTO unsigned_chains (kind, id, mark) VALUES ('org', NEW.org_id, random())
        ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
END;
