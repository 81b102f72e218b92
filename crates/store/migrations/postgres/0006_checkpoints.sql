-- Signed checkpoints of the hash chains' heads: the server signs (Ed25519) the last
-- hash of each case's events and of each organisation's log, with a key kept outside
-- the database, so a chain rewritten by whoever holds the database no longer matches
-- what was signed. `chain` is `case/<id>` or `org/<id>`.
CREATE TABLE checkpoints (
    chain      TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    hash       TEXT NOT NULL,
    signed_at  TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature  TEXT NOT NULL,
    PRIMARY KEY (chain, seq, public_key)
);
