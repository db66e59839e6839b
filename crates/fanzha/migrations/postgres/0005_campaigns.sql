-- Campaigns: a reviewed content library, campaigns sent to a targeted audience over channels,
-- per-person deliveries with their funnel (sent → opened → acknowledged → check passed), clicks.
CREATE TABLE campaign_contents (
    id BIGSERIAL PRIMARY KEY,
    unit_path TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    media_url TEXT,
    fraud_types TEXT NOT NULL,
    target_hint TEXT NOT NULL,
    quiz TEXT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    author_account_id BIGINT NOT NULL REFERENCES accounts(id),
    editor_account_id BIGINT NOT NULL REFERENCES accounts(id),
    reviewer_account_id BIGINT REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    published_at BIGINT
);
CREATE INDEX campaign_contents_unit ON campaign_contents(unit_path text_pattern_ops);

CREATE TABLE campaign_content_versions (
    content_id BIGINT NOT NULL REFERENCES campaign_contents(id),
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    body_md TEXT NOT NULL,
    media_url TEXT,
    fraud_types TEXT NOT NULL,
    target_hint TEXT NOT NULL,
    quiz TEXT NOT NULL,
    editor_account_id BIGINT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (content_id, version)
);

CREATE TABLE campaign_channels (
    id BIGSERIAL PRIMARY KEY,
    unit_path TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT,
    sender TEXT,
    rate_per_min BIGINT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX campaign_channels_unit ON campaign_channels(unit_path text_pattern_ops);

CREATE TABLE campaigns (
    id BIGSERIAL PRIMARY KEY,
    unit_path TEXT NOT NULL,
    title TEXT NOT NULL,
    content_id BIGINT NOT NULL REFERENCES campaign_contents(id),
    content_version BIGINT NOT NULL,
    fraud_type TEXT NOT NULL,
    audience TEXT NOT NULL,
    audience_size BIGINT NOT NULL,
    channels TEXT NOT NULL,
    status TEXT NOT NULL,
    run_at BIGINT,
    created_by BIGINT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    recalled_at BIGINT
);
CREATE INDEX campaigns_unit ON campaigns(unit_path text_pattern_ops);

CREATE TABLE campaign_deliveries (
    id BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
    person TEXT NOT NULL,
    student_id BIGINT,
    unit_path TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    attempts BIGINT NOT NULL,
    queued_at BIGINT NOT NULL,
    sent_at BIGINT,
    opened_at BIGINT,
    acknowledged_at BIGINT,
    quiz_passed_at BIGINT,
    clicks BIGINT NOT NULL,
    UNIQUE (campaign_id, person, channel)
);
CREATE INDEX campaign_deliveries_unit ON campaign_deliveries(campaign_id, unit_path text_pattern_ops);
CREATE INDEX campaign_deliveries_person ON campaign_deliveries(person, acknowledged_at);

CREATE TABLE campaign_robot_deliveries (
    id BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
    channel_id BIGINT NOT NULL REFERENCES campaign_channels(id),
    status TEXT NOT NULL,
    reason TEXT,
    attempts BIGINT NOT NULL,
    queued_at BIGINT NOT NULL,
    sent_at BIGINT,
    UNIQUE (campaign_id, channel_id)
);

CREATE TABLE campaign_clicks (
    id BIGSERIAL PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES campaign_deliveries(id),
    url TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX campaign_clicks_delivery ON campaign_clicks(delivery_id);

-- Reach rolled up per campaign and delivery unit (class, or a staff member's unit), and per UTC
-- day, kept current by the fan-out and by each first open / acknowledgement / check / click, so
-- the reach tree of a province reads hundreds of rows, not a million.
CREATE TABLE campaign_reach (
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
    unit_path TEXT NOT NULL,
    audience BIGINT NOT NULL,
    sent BIGINT NOT NULL,
    opened BIGINT NOT NULL,
    acknowledged BIGINT NOT NULL,
    quiz_passed BIGINT NOT NULL,
    clicked BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, unit_path)
);

CREATE TABLE campaign_reach_days (
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
    day BIGINT NOT NULL,
    opened BIGINT NOT NULL,
    acknowledged BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, day)
);
