-- Threat-intel exchange (issue 14): who set an indicator's status and sharing level, the feed
-- entries already counted as sightings, and the disagreements between a feed and a person.

-- 'report' (sightings from reports; the default), 'import' (a feed's value), 'person' (police
-- decided: console, case, review, merge). An import never changes a value a person set.
ALTER TABLE indicators ADD COLUMN status_by TEXT NOT NULL DEFAULT 'report';
ALTER TABLE indicators ADD COLUMN tlp_by TEXT NOT NULL DEFAULT 'report';

-- Existing rows: a status or sharing level that is not the default was set by someone; it is kept
-- as a person's decision unless every source of the indicator is an import.
UPDATE indicators SET
    status_by = CASE
        WHEN NOT EXISTS (SELECT 1 FROM indicator_sources s WHERE s.indicator_id = indicators.id AND s.source NOT LIKE 'import:%')
             AND EXISTS (SELECT 1 FROM indicator_sources s WHERE s.indicator_id = indicators.id) THEN 'import'
        WHEN status <> 'reported' THEN 'person'
        ELSE 'report' END,
    tlp_by = CASE
        WHEN NOT EXISTS (SELECT 1 FROM indicator_sources s WHERE s.indicator_id = indicators.id AND s.source NOT LIKE 'import:%')
             AND EXISTS (SELECT 1 FROM indicator_sources s WHERE s.indicator_id = indicators.id) THEN 'import'
        WHEN tlp <> 'green' THEN 'person'
        ELSE 'report' END;

-- A feed entry counts as one sighting of an indicator once: (feed source, the entry's own id).
CREATE TABLE intel_feed_sightings (
    source TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    indicator_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (source, entry_id, indicator_id)
);
CREATE INDEX intel_feed_sightings_indicator ON intel_feed_sightings(indicator_id);

-- A feed that disagrees with a person's decision: field 'status' or 'tlp', ours (the person's
-- value, kept) and theirs (the feed's). Resolved by keeping ours or taking theirs.
CREATE TABLE intel_conflicts (
    id BIGSERIAL PRIMARY KEY,
    indicator_id BIGINT NOT NULL,
    import_id BIGINT NOT NULL,
    source TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    field TEXT NOT NULL,
    ours TEXT NOT NULL,
    theirs TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    resolved_by BIGINT,
    resolved_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX intel_conflicts_status ON intel_conflicts(status, id);
CREATE INDEX intel_conflicts_indicator ON intel_conflicts(indicator_id, field);
