-- A page of warnings, newest change first, is read from an index in its order: an
-- organisation's inbox through (org_id, updated_at DESC, id), every organisation's
-- through (updated_at DESC, id). Before, each page read and sorted every warning.
CREATE INDEX warnings_inbox ON warnings (org_id, updated_at DESC, id);
CREATE INDEX warnings_recent ON warnings (updated_at DESC, id);
