-- Volunteers' stored totals per period (issue 21): the points each volunteer earned (award,
-- revoke and adjust entries) in each week, month and term, keyed by the period's start (UTC ms of
-- its first midnight in China Standard Time, UTC+8, the zone every leaderboard period is counted
-- in). `store::post_entry` adds each entry to its three rows in the entry's transaction, so a
-- period leaderboard sums one row per volunteer instead of the period's ledger entries.
CREATE TABLE vol_period_totals (
    period TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    volunteer_id BIGINT NOT NULL REFERENCES vol_volunteers(id),
    earned BIGINT NOT NULL,
    PRIMARY KEY (period, starts_at, volunteer_id)
) WITHOUT ROWID;
CREATE INDEX vol_period_totals_volunteer ON vol_period_totals(volunteer_id);

-- The back-fill from the ledger: the same statement as `store::rebuild_totals` runs (a unit test
-- of the store checks they stay the same).
WITH d AS (
    SELECT volunteer_id, points, date(created_at / 1000, 'unixepoch', '+8 hours') AS day
    FROM vol_ledger WHERE kind IN ('award', 'revoke', 'adjust')
)
INSERT INTO vol_period_totals (period, starts_at, volunteer_id, earned)
SELECT p.period, p.starts_at, p.volunteer_id, CAST(SUM(p.points) AS BIGINT) FROM (
    SELECT 'week' AS period, (CAST(strftime('%s', d.day, 'weekday 0', '-6 days') AS INTEGER) - 28800) * 1000 AS starts_at,
        d.volunteer_id, d.points FROM d
    UNION ALL
    SELECT 'month', (CAST(strftime('%s', d.day, 'start of month') AS INTEGER) - 28800) * 1000, d.volunteer_id, d.points FROM d
    UNION ALL
    SELECT 'term', (CAST(strftime('%s', CASE
            WHEN strftime('%m-%d', d.day) >= '09-01' THEN strftime('%Y', d.day) || '-09-01'
            WHEN strftime('%m-%d', d.day) >= '02-15' THEN strftime('%Y', d.day) || '-02-15'
            ELSE (CAST(strftime('%Y', d.day) AS INTEGER) - 1) || '-09-01' END) AS INTEGER) - 28800) * 1000,
        d.volunteer_id, d.points FROM d
) p GROUP BY p.period, p.starts_at, p.volunteer_id;
