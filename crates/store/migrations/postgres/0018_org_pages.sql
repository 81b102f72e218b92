-- Organisations by keyset pages of one status (issue 18): `GET /api/v1/orgs` reads the
-- page it returns, entered at the cursor, not every organisation.
CREATE INDEX organisations_status_id ON organisations (status, id);
