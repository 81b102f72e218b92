-- The match index: inventory components and records by package key (ecosystem and
-- normalised name, `vulnrelay_match::PackageKey::index_key`), so a changed record
-- re-matches only the components of its packages and a new inventory only the records
-- of its components' packages. The keys are written with the rows they belong to; the
-- rows stored before this migration are keyed once when the store opens
-- (`match_index.built`). The PostgreSQL schema is the same.

ALTER TABLE asset_components ADD COLUMN package_key TEXT;
CREATE INDEX asset_components_package ON asset_components (package_key);

CREATE TABLE record_packages (
    package_key       TEXT NOT NULL,
    vulnerability_id  TEXT NOT NULL REFERENCES vulnerabilities (id),
    PRIMARY KEY (package_key, vulnerability_id)
);
CREATE INDEX record_packages_vulnerability ON record_packages (vulnerability_id);

-- One row: whether the keys of the rows stored before this migration were written.
CREATE TABLE match_index (
    id     BIGINT PRIMARY KEY CHECK (id = 1),
    built  BIGINT NOT NULL
);
INSERT INTO match_index (id, built) VALUES (1, 0);
