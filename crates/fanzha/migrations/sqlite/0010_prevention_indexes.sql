-- The Campus Without Fraud ranking counts each school's reports and warnings of a year: indexes
-- by school and time, so those counts read index ranges instead of a year of rows.
CREATE INDEX reports_school_created ON reports(school_id, created_at);
CREATE INDEX warnings_school_created ON warnings(school_id, created_at);
