-- `receipts_page` (0012: received_at, id) serves every statement `receipts_received_at`
-- (0001: received_at) served, the retention's deletes by age included; one index fewer
-- to write for every report taken in.
DROP INDEX receipts_received_at;
