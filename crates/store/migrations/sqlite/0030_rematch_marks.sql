-- The changes owed a re-match of risk warnings: a record saved ('record'), an event of a
-- case that has records ('case': its publication or its parties decide who may be
-- warned), and an organisation's asset groups, memberships or accounts changed ('org').
-- Each is marked in the transaction of the change, so the worker's sweep re-matches
-- what changed since it last ran, however the process that made the change ended, and
-- removes a mark only if it is still the one it read (a change meanwhile keeps its
-- mark). The sweep then costs what changed, not a read of every record and inventory.
CREATE TABLE rematch_marks (
    kind TEXT NOT NULL CHECK (kind IN ('record', 'case', 'org')),
    id   TEXT NOT NULL,
    mark BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TRIGGER rematch_record_insert AFTER INSERT ON vulnerabilities BEGIN
    INSERT INTO rematch_marks (kind, id, mark) VALUES ('record', NEW.id, random())
        ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
END;
CREATE TRIGGER rematch_record_update AFTER UPDATE ON vulnerabilities BEGIN
    INSERT INTO rematch_marks (kind, id, mark) VALUES ('record', NEW.id, random())
        ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
END;
CREATE TRIGGER rematch_case_events AFTER INSERT ON events
    WHEN EXISTS (SELECT 1 FROM vulnerabilities WHERE case_id = NEW.case_id) BEGIN
    INSERT INTO rematch_marks (kind, id, mark) VALUES ('case', NEW.case_id, random())
        ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
END;
CREATE TRIGGER rematch_asset_group_insert AFTER INSERT ON asset_groups BEGIN
    INSERT INTO rematch_marks (kind, id, mark) VALUES ('org', NEW.org_id, random())
        ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
END;
CREATE TRIGGER rematch_asset_group_update AFTER UPDATE ON asset_groups BEGIN
    INSERT INTO rematch_marks (kind, id, mark) VALUES ('org', NEW.org_id, random())
        ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
END;
CREATE TRIGGER rematch_membership_changes AFTER INSERT ON membership_changes BEGIN
    INSERT INTO rematch_marks (kind, id, mark) VALUES ('org', NEW.org_id, random())
        ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
END;
CREATE TRIGGER rematch_account_insert AFTER INSERT ON accounts WHEN NEW.org_id IS NOT NULL BEGIN
    INSERT INTO rematch_marks (kind, id, mark) VALUES ('org', NEW.org_id, random())
        ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
END;
CREATE TRIGGER rematch_account_update AFTER UPDATE OF org_id, roles, status ON accounts
    WHEN NEW.org_id IS NOT NULL BEGIN
    INSERT INTO rematch_marks (kind, id, mark) VALUES ('org', NEW.org_id, random())
        ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark;
END;
