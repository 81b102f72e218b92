-- The case list of a signed-in organisation (issue 18) is one statement: the published
-- cases merged, in the case order, with the unpublished cases the organisation stands
-- in a relation to. This index gives the second run in that order without stepping
-- over the organisation's published cases (which the first run lists).
CREATE INDEX case_relations_org_unpublished ON case_relations (org_id, public, created_at, case_id);
