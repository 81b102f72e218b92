-- Records and advisories by keyset pages (issue 18): a request costs what it returns.
-- Each record keeps, beside its case, where it stands in the lists:
--   `public`    whether the public may read it — it belongs to no case, or its case is
--               published (as `case_views` says; rewritten with the case's views in the
--               transaction of every change of the case);
--   `listed_at` its case's `created_at`, or its own for a record of no case;
--   `case_key`  its case, or '' for a record of no case.
-- A case's records are listed together, in the case order of `case_relations`, so the
-- records of the cases an organisation stands in a relation to come by that index too.
ALTER TABLE vulnerabilities ADD COLUMN public BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE vulnerabilities ADD COLUMN listed_at TEXT NOT NULL DEFAULT '';
ALTER TABLE vulnerabilities ADD COLUMN case_key TEXT NOT NULL DEFAULT '';
UPDATE vulnerabilities SET
    case_key = COALESCE(case_id, ''),
    listed_at = COALESCE((SELECT c.created_at FROM cases c WHERE c.id = vulnerabilities.case_id), created_at),
    public = (case_id IS NULL OR EXISTS (
        SELECT 1 FROM case_views v WHERE v.case_id = vulnerabilities.case_id AND v.published = TRUE));
-- The records of a case (its advisory, its page).
CREATE INDEX vulnerabilities_case ON vulnerabilities (case_id, id);
-- The public records in list order (the public's pages, the advisories).
CREATE INDEX vulnerabilities_listed ON vulnerabilities (public, listed_at, case_key, id);

-- The interval statistics (issue 18): each case's key intervals as its views keep them,
-- rewritten with them — the kind, the quarter of its start (discovery, UTC), its length
-- in seconds (NULL: still open) and whether the public may read the case. The
-- statistics count and rank them through the index, per kind and quarter, without
-- loading a case. Intervals with no start (no discovery) are not kept.
CREATE TABLE case_intervals (
    case_id  TEXT NOT NULL REFERENCES cases (id),
    kind     TEXT NOT NULL,
    quarter  TEXT NOT NULL,
    seconds  BIGINT,
    public   BOOLEAN NOT NULL,
    PRIMARY KEY (case_id, kind)
);
CREATE INDEX case_intervals_stats ON case_intervals (public, kind, quarter, seconds);
-- A case's first risk warning (what closes its first_warning interval).
CREATE INDEX warnings_case_first ON warnings (vulnerability_id, created_at);

-- Whether each relation's case is published (kept with the case's views), so that an
-- organisation's unpublished cases — its work in progress — come through an index
-- without walking the published ones it also stands in a relation to.
ALTER TABLE case_relations ADD COLUMN public BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE case_relations SET public = COALESCE(
    (SELECT v.published FROM case_views v WHERE v.case_id = case_relations.case_id), FALSE);
CREATE INDEX case_relations_org_public ON case_relations (org_id, public, case_id);

-- The published cases' open obligations counted by status and whether they have a
-- numeric deadline, kept by every rewrite of a case's views in its transaction (each
-- case adds to one of 16 slots, so concurrent writers of different cases seldom wait
-- on one row). `/metrics` sums them; "overdue" stays a comparison with the clock: the
-- dated pending ones minus those still due in the future, counted through the due index.
CREATE TABLE public_obligation_totals (
    slot   INTEGER NOT NULL,
    status TEXT NOT NULL,
    dated  BOOLEAN NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (slot, status, dated)
);
INSERT INTO public_obligation_totals (slot, status, dated, n)
    SELECT 0, status, due_at IS NOT NULL, COUNT(*) FROM open_obligations WHERE public = TRUE
    GROUP BY status, due_at IS NOT NULL;
