-- The CSAF aggregator (docs/federation.md): each peer's CSAF provider as last fetched
-- (its provider-metadata.json), and the documents mirrored from it — only those whose
-- hashes and OpenPGP signature checked out, kept with them.

CREATE TABLE csaf_mirror_providers (
    peer_id    TEXT PRIMARY KEY,
    url        TEXT NOT NULL,
    metadata   TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);

-- `path` is relative to the provider's directory (`2021/cnvd-2021-00001.json`).
CREATE TABLE csaf_mirror_documents (
    peer_id     TEXT NOT NULL,
    path        TEXT NOT NULL,
    url         TEXT NOT NULL,
    tracking_id TEXT NOT NULL,
    title       TEXT NOT NULL,
    document    TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    sha512      TEXT NOT NULL,
    signature   TEXT NOT NULL,
    fetched_at  TEXT NOT NULL,
    PRIMARY KEY (peer_id, path)
);
