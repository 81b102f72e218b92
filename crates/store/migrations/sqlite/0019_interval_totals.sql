-- The interval statistics and the published-case count as kept totals (issue 18): a
-- request costs the same at a thousand cases as at a million. Each is rewritten with a
-- case's views, in the transaction of every change of the case (the case's old rows
-- taken off, its new ones added, in key order); `rebuild-projections` counts them again.
--
-- The published cases' closed intervals by kind, quarter and length class: `bucket` is
-- the class's shortest length in seconds — whole hours below two days, whole days below
-- a year, whole weeks (counted from zero) beyond, and -1 for a negative length — so a
-- quarter has some four hundred classes at most for its first year and 52 a year after.
-- The median walks a quarter's classes to the one holding its rank and reads just the
-- ranks it needs inside it, from the class's shortest length, through
-- `case_intervals_stats`; the worst is the last entry of that index for the quarter.
CREATE TABLE public_interval_buckets (
    kind     TEXT NOT NULL,
    quarter  TEXT NOT NULL,
    bucket   BIGINT NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (kind, quarter, bucket)
);
INSERT INTO public_interval_buckets (kind, quarter, bucket, n)
    SELECT kind, quarter, bucket, COUNT(*) AS n FROM (SELECT kind, quarter, CASE WHEN seconds < 0 THEN -1 WHEN seconds < 172800 THEN seconds - seconds % 3600 WHEN seconds < 31536000 THEN seconds - seconds % 86400 ELSE seconds - seconds % 604800 END AS bucket FROM case_intervals WHERE public = TRUE AND seconds IS NOT NULL) b GROUP BY kind, quarter, bucket;
-- The published cases' open intervals by kind and quarter, in 16 slots as
-- `public_obligation_totals` (a case adds to one, so concurrent writers of different
-- cases seldom wait on one row).
CREATE TABLE public_interval_open (
    kind     TEXT NOT NULL,
    quarter  TEXT NOT NULL,
    slot     INTEGER NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (kind, quarter, slot)
);
INSERT INTO public_interval_open (kind, quarter, slot, n)
    SELECT kind, quarter, 0 AS slot, COUNT(*) AS n FROM case_intervals WHERE public = TRUE AND seconds IS NULL GROUP BY kind, quarter;
-- How many cases are published, in the same 16 slots.
CREATE TABLE published_case_totals (
    slot  INTEGER NOT NULL PRIMARY KEY,
    n     BIGINT NOT NULL
);
INSERT INTO published_case_totals (slot, n)
    SELECT 0 AS slot, COUNT(*) AS n FROM case_views WHERE published = TRUE;
