-- Channels set up on the web: a channel can be disabled (kept for the history of what it carried,
-- never used again), and the outcome of its last test send is kept for the channels page.
ALTER TABLE campaign_channels ADD COLUMN disabled_at BIGINT;
ALTER TABLE campaign_channels ADD COLUMN tested_at BIGINT;
ALTER TABLE campaign_channels ADD COLUMN test_error TEXT;
