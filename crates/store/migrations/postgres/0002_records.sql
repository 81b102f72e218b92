-- Vulnerability records, their identifiers, the identifier counters and the CVE pool.
CREATE TABLE vulnerabilities (
    id TEXT PRIMARY KEY,
    case_id TEXT REFERENCES cases(id),
    record TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE vulnerability_aliases (
    alias TEXT PRIMARY KEY,
    vulnerability_id TEXT NOT NULL REFERENCES vulnerabilities(id)
);
CREATE TABLE id_counters (
    counter TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);
CREATE TABLE cve_pool (
    cve_id TEXT PRIMARY KEY,
    vulnerability_id TEXT UNIQUE,
    loaded_at TEXT NOT NULL,
    assigned_at TEXT
);
