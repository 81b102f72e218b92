-- Organisations found by role and by name (issue 18): the pickers of the web UI and
-- `GET /api/v1/orgs?role=&q=` read the organisations they show through these, not
-- every organisation. Written with the organisation (names and roles do not change);
-- the organisations stored before this migration get theirs once when the store opens
-- (`org_search_index.built`). The SQLite schema is the same; here the keys are compared
-- byte by byte (`COLLATE "C"`), as SQLite compares them.

-- Each role an organisation holds (`organisations.roles` split).
CREATE TABLE org_roles (
    role    TEXT NOT NULL,
    org_id  TEXT NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (role, org_id)
);

-- What an organisation is found by: its id and each word of its names onward,
-- lowercased (`vulnrelay_store::org_pages::search_keys`); a search is a prefix range.
CREATE TABLE org_search_keys (
    key     TEXT COLLATE "C" NOT NULL,
    org_id  TEXT NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (key, org_id)
);

-- One row: whether the rows of the organisations stored before this migration were written.
CREATE TABLE org_search_index (
    id     BIGINT PRIMARY KEY CHECK (id = 1),
    built  BIGINT NOT NULL
);
INSERT INTO org_search_index (id, built) VALUES (1, 0);
