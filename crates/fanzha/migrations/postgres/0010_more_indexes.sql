-- The Campus Without Fraud ranking counts each school's reports and warnings of a year: indexes
-- by school and time, so those counts read index ranges instead of a year of rows.
CREATE INDEX reports_school_created ON reports(school_id, created_at);
CREATE INDEX warnings_school_created ON warnings(school_id, created_at);

-- A channel's sends of the last minute (its rate limit, shared by warning notices and campaigns).
CREATE INDEX warning_notifications_channel_sent ON warning_notifications(channel_id, sent_at);
