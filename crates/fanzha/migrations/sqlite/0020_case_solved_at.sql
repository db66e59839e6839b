-- When a case was recorded solved: police KPIs count solved cases by this month, derived from the
-- case records instead of typed by hand. Cases solved before this column existed count in the
-- month of their last update.
ALTER TABLE cases ADD COLUMN solved_at BIGINT;
UPDATE cases SET solved_at = updated_at WHERE status = 'solved';
CREATE INDEX cases_solved ON cases(solved_at);
