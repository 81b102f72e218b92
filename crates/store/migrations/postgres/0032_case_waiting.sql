-- The coordination reminders (issue 18): each case's downstream vendors that a platform
-- of the case told something and that have not answered since, with when they were last
-- told, kept with the case's views and rewritten with them. The reminder beat reads the
-- vendors silent long enough through `case_waiting_told`, in the order of their
-- silence, instead of loading every case each minute.
CREATE TABLE case_waiting (
    case_id    TEXT NOT NULL REFERENCES cases (id),
    vendor     TEXT NOT NULL,
    last_told  TEXT NOT NULL,
    PRIMARY KEY (case_id, vendor)
);
CREATE INDEX case_waiting_told ON case_waiting (last_told, case_id, vendor);
-- Only a case with downstream vendors can have one waiting: its views are marked behind
-- its log, so the server recomputes them at start (and fills this table) while the
-- views of every other case stay as they are.
UPDATE case_views SET seq = -1 WHERE vendors > 0;
