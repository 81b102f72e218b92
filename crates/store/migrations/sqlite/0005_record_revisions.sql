-- Every change of a vulnerability record, numbered from 1, with a summary: the CSAF
-- documents' revision history follows it.
CREATE TABLE vulnerability_revisions (
    vulnerability_id TEXT NOT NULL REFERENCES vulnerabilities (id),
    number           BIGINT NOT NULL,
    at               TEXT NOT NULL,
    summary          TEXT NOT NULL,
    PRIMARY KEY (vulnerability_id, number)
);
