-- The case list in one state (`GET /cases?state=…`, issue 18): the published cases in
-- that state in the list's order, so that a page of a rare state is read from its own
-- run instead of looked for among every published case.
CREATE INDEX case_views_published_state ON case_views (published, state, created_at, case_id);
