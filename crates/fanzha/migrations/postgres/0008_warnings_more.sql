-- Warnings, more: notices of routed and escalated warnings by email and robot webhook over the
-- school's channels (the campaigns module's channels), and the weight of campaign coverage in
-- the appraisal.
ALTER TABLE warning_settings ADD COLUMN weight_campaigns BIGINT NOT NULL DEFAULT 0;

-- The channels of a school that carry its warning notices.
CREATE TABLE warning_channels (
    school_id BIGINT NOT NULL REFERENCES units(id),
    channel_id BIGINT NOT NULL REFERENCES campaign_channels(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (school_id, channel_id)
);

-- One outside notice (one robot post, or one email to one address) of one warning event; sent by
-- the job queue with retries. Unique per event source, channel and address: a retried routing or
-- escalation queues nothing twice.
CREATE TABLE warning_notifications (
    id BIGSERIAL PRIMARY KEY,
    warning_id BIGINT NOT NULL REFERENCES warnings(id),
    source TEXT NOT NULL,
    channel_id BIGINT NOT NULL REFERENCES campaign_channels(id),
    address TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    attempts BIGINT NOT NULL,
    queued_at BIGINT NOT NULL,
    sent_at BIGINT,
    UNIQUE (source, channel_id, address)
);
CREATE INDEX warning_notifications_warning ON warning_notifications(warning_id);
