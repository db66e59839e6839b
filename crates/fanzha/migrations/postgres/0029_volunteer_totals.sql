-- Volunteers' stored totals (issue 21): besides the balance (the sum of every entry), each
-- volunteer keeps `earned`, the sum of the award, revoke and adjust entries (redemptions spend
-- points but do not lower a standing). Both are updated in the same transaction as each ledger
-- entry, so the all-time leaderboards read one row per volunteer instead of summing the ledger.
ALTER TABLE vol_volunteers ADD COLUMN earned BIGINT NOT NULL DEFAULT 0;

UPDATE vol_volunteers SET
    balance = (SELECT COALESCE(SUM(l.points), 0) FROM vol_ledger l WHERE l.volunteer_id = vol_volunteers.id),
    earned = (SELECT COALESCE(SUM(l.points), 0) FROM vol_ledger l
              WHERE l.volunteer_id = vol_volunteers.id AND l.kind IN ('award', 'revoke', 'adjust'));

-- Top-N scans: the province's people by standing, a school's, a class's.
CREATE INDEX vol_volunteers_earned ON vol_volunteers(earned DESC, id);
CREATE INDEX vol_volunteers_school_earned ON vol_volunteers(school_id, earned DESC, id);
CREATE INDEX vol_volunteers_class_earned ON vol_volunteers(class_id, earned DESC, id);
-- A volunteer is looked up by their account on every request (balance reads, claims).
CREATE INDEX vol_volunteers_account ON vol_volunteers(account_id);
-- Approved minutes per volunteer, for the hours shown beside the standings.
CREATE INDEX vol_claims_volunteer_status ON vol_claims(volunteer_id, status);

-- One campaign draft per source ("work:ID" for an accepted work, "reuse:ITEM:UNIT" for a unit
-- reusing a library item): the first request reserves the row, makes the draft and records it;
-- a concurrent one waits for it; a failed attempt removes its reservation so a retry can run.
CREATE TABLE vol_drafts (
    source TEXT PRIMARY KEY,
    content_id BIGINT,
    reserved_at BIGINT NOT NULL
);
