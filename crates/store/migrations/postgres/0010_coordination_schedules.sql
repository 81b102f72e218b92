-- Coordination reminders scheduled by the delivery worker (issue 20): a case's own
-- schedule — after how many days without an answer a vendor is first reminded, and
-- every how many days after that — overriding the platform's default. A row whose
-- `after_days` is NULL turns the worker's reminders off for the case.

CREATE TABLE coordination_schedules (
    case_id     TEXT PRIMARY KEY REFERENCES cases (id),
    after_days  BIGINT,
    every_days  BIGINT NOT NULL,
    set_by      TEXT NOT NULL,
    set_at      TEXT NOT NULL
);
