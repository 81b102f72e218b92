-- The version of the public interval statistics (issue 18): a process keeps the last
-- public answer of `GET /api/v1/stats/intervals` with the version it was computed at,
-- and computes it again only when the version read from here has moved — so several
-- processes sharing one database each answer exactly what the database holds.
--
-- The version is the sum of `version` over the rows. Every transaction that changes
-- the published cases' intervals, their kept totals or the published-case count adds
-- one to one slot (that of the first case it changes, as the kept totals' 16 slots, so
-- concurrent writers of different cases seldom wait on one row), as the last of its
-- kept totals' writes; `rebuild-projections` adds one when it counts the totals again.
-- The sum only grows, each committed change moving it: one sum is one state.
CREATE TABLE public_interval_version (
    slot     INTEGER NOT NULL PRIMARY KEY,
    version  BIGINT NOT NULL
);
