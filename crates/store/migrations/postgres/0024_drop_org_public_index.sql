-- `case_relations_org_unpublished` (0023: org_id, public, created_at, case_id) serves every
-- statement `case_relations_org_public` (0017: org_id, public, case_id) served; one index
-- fewer to write for every relation an intake or a state change adds.
DROP INDEX case_relations_org_public;
