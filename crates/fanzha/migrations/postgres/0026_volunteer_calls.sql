-- Volunteers, second part (issue 21): calls for works (征集) and their submissions, the shared
-- library of works across units (资源矩阵) with its reuses, and teams within a school.
CREATE TABLE vol_calls (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    unit_path TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES accounts(id),
    title TEXT NOT NULL,
    theme TEXT NOT NULL,
    rules TEXT NOT NULL,
    -- Kinds of works asked for, one per line (slogan, script, poster, idea).
    kinds TEXT NOT NULL,
    fraud_type TEXT NOT NULL,
    audience TEXT NOT NULL,
    licence TEXT NOT NULL,
    points BIGINT NOT NULL,
    opens_at BIGINT NOT NULL,
    closes_at BIGINT NOT NULL,
    -- Unit paths the call is addressed to, one per line; empty = every student in reach.
    targets TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX vol_calls_unit ON vol_calls(unit_path);

CREATE TABLE vol_works (
    id BIGSERIAL PRIMARY KEY,
    call_id BIGINT NOT NULL REFERENCES vol_calls(id),
    volunteer_id BIGINT NOT NULL REFERENCES vol_volunteers(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    video_url TEXT NOT NULL,
    file_bytes BYTEA,
    file_type TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    reviewed_by BIGINT REFERENCES accounts(id),
    reviewed_at BIGINT,
    contest_entry_id BIGINT,
    -- The campaign content the accepted work became (in the organiser's library, through its review).
    content_id BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (call_id, volunteer_id, title)
);
CREATE INDEX vol_works_call ON vol_works(call_id, status);
CREATE INDEX vol_works_volunteer ON vol_works(volunteer_id);

-- A work every school and police unit may find and reuse; `source` makes adding one idempotent
-- (`work:W`, `contest:C:entry:E`).
CREATE TABLE vol_library (
    id BIGSERIAL PRIMARY KEY,
    source TEXT NOT NULL UNIQUE,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    unit_path TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    video_url TEXT NOT NULL,
    file_bytes BYTEA,
    file_type TEXT,
    author TEXT NOT NULL,
    school TEXT NOT NULL,
    licence TEXT NOT NULL,
    fraud_type TEXT NOT NULL,
    audience TEXT NOT NULL,
    uses BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX vol_library_filter ON vol_library(fraud_type, kind, audience);

-- One reuse per unit and item: the unit's campaign draft made from it.
CREATE TABLE vol_library_uses (
    id BIGSERIAL PRIMARY KEY,
    item_id BIGINT NOT NULL REFERENCES vol_library(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    unit_path TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    content_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (item_id, unit_id)
);

CREATE TABLE vol_teams (
    id BIGSERIAL PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES units(id),
    school_path TEXT NOT NULL,
    name TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    UNIQUE (school_id, name)
);

-- A volunteer is in at most one team.
CREATE TABLE vol_team_members (
    volunteer_id BIGINT PRIMARY KEY REFERENCES vol_volunteers(id),
    team_id BIGINT NOT NULL REFERENCES vol_teams(id),
    joined_at BIGINT NOT NULL
);
CREATE INDEX vol_team_members_team ON vol_team_members(team_id);

-- Leaderboards over a period read the ledger by time.
CREATE INDEX vol_ledger_time ON vol_ledger(created_at, volunteer_id);
