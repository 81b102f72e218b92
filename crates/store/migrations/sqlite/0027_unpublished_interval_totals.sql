-- The interval statistics over every case, published or not (issue 18): what an
-- organisation that received every case — an instance's platform, standing in the
-- platform relation to each — is shown, from kept totals and a few ranks, without
-- reading its unpublished cases one by one.
--
-- The index of the lengths leads with kind, quarter and length, so one range holds a
-- quarter's lengths of every case in order (the statistics over every case), and the
-- published ones' (the public statistics) are that range with the unpublished ones
-- passed over inside the index.
DROP INDEX case_intervals_stats;
CREATE INDEX case_intervals_stats ON case_intervals (kind, quarter, seconds, public);
-- The unpublished cases' closed intervals by kind, quarter and length class, as
-- `public_interval_buckets` (0019) keeps the published ones', in 16 slots: every report
-- adds to these, so concurrent writers of different cases seldom wait on one row.
CREATE TABLE unpublished_interval_buckets (
    kind     TEXT NOT NULL,
    quarter  TEXT NOT NULL,
    bucket   BIGINT NOT NULL,
    slot     INTEGER NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (kind, quarter, bucket, slot)
);
INSERT INTO unpublished_interval_buckets (kind, quarter, bucket, slot, n)
    SELECT kind, quarter, bucket, 0 AS slot, COUNT(*) AS n FROM (SELECT kind, quarter, CASE WHEN seconds < 0 THEN -1 WHEN seconds < 172800 THEN seconds - seconds % 3600 WHEN seconds < 31536000 THEN seconds - seconds % 86400 ELSE seconds - seconds % 604800 END AS bucket FROM case_intervals WHERE public = FALSE AND seconds IS NOT NULL) b GROUP BY kind, quarter, bucket;
-- The unpublished cases' open intervals by kind and quarter, in the same slots.
CREATE TABLE unpublished_interval_open (
    kind     TEXT NOT NULL,
    quarter  TEXT NOT NULL,
    slot     INTEGER NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (kind, quarter, slot)
);
INSERT INTO unpublished_interval_open (kind, quarter, slot, n)
    SELECT kind, quarter, 0 AS slot, COUNT(*) AS n FROM case_intervals WHERE public = FALSE AND seconds IS NULL GROUP BY kind, quarter;
-- How many cases with views are not published, in the same slots.
CREATE TABLE unpublished_case_totals (
    slot  INTEGER NOT NULL PRIMARY KEY,
    n     BIGINT NOT NULL
);
INSERT INTO unpublished_case_totals (slot, n)
    SELECT 0 AS slot, COUNT(*) AS n FROM case_views WHERE published = FALSE;
-- The version of the unpublished intervals, as `public_interval_version` (0021) is the
-- published ones': every transaction that changes the unpublished cases' intervals or
-- their count adds one to a slot, so a process keeps the statistics over every case
-- with the two versions they were computed at and answers from them until either moves.
CREATE TABLE unpublished_interval_version (
    slot     INTEGER NOT NULL PRIMARY KEY,
    version  BIGINT NOT NULL
);
-- Each case's receiving platform: whether one organisation received every case is the
-- index's first and last entry.
CREATE INDEX cases_platform ON cases (platform_org);
