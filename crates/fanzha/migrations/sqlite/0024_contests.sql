-- Contests and selections (issue 22): the contest with its frozen rules, entries and their media,
-- the hash-chained ballot log, judges, their assignments and scores.

CREATE TABLE contests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id BIGINT NOT NULL,
    unit_path TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    -- The rules document (categories, phase dates, who may enter and vote, limits, weights,
    -- criteria, tie-break order) as canonical JSON, and its SHA-256, published when voting opens.
    rules TEXT NOT NULL,
    rules_hash TEXT NOT NULL,
    -- The per-contest secret of the voters' pseudonyms (HMAC key, hex); never shown.
    vote_key TEXT NOT NULL,
    -- The head of the ballot log: taken under the row's write lock, so appends are serialised.
    ballot_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL,
    judges_assigned_at BIGINT,
    published_at BIGINT,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX contests_unit ON contests(unit_path);

CREATE TABLE contest_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contest_id BIGINT NOT NULL REFERENCES contests(id),
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    submitter_account_id BIGINT NOT NULL,
    school_id BIGINT NOT NULL,
    school_path TEXT NOT NULL,
    -- The team as JSON: [{"student_id", "name"}], the submitter first.
    members TEXT NOT NULL,
    show_names BIGINT NOT NULL,
    media_kind TEXT NOT NULL,
    video_url TEXT NOT NULL,
    licence TEXT NOT NULL,
    status TEXT NOT NULL,
    review_note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX contest_entries_contest ON contest_entries(contest_id, category, status);
CREATE INDEX contest_entries_submitter ON contest_entries(submitter_account_id);

CREATE TABLE contest_media (
    entry_id BIGINT PRIMARY KEY REFERENCES contest_entries(id),
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL
);

-- Append-only: each ballot carries the hash of the one before it in the same contest. The voter
-- is HMAC(contest key, account). The vote limit is held by the keys: the n-th vote (`slot`) of a
-- voter in a period (the contest, a category or a day) is unique, so two concurrent votes cannot
-- both be the n-th, and a voter votes for an entry once per period.
CREATE TABLE contest_ballots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contest_id BIGINT NOT NULL REFERENCES contests(id),
    seq BIGINT NOT NULL,
    voter TEXT NOT NULL,
    entry_id BIGINT NOT NULL,
    category TEXT NOT NULL,
    cast_at BIGINT NOT NULL,
    period TEXT NOT NULL,
    slot BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (contest_id, seq),
    UNIQUE (contest_id, voter, period, slot),
    UNIQUE (contest_id, voter, period, entry_id)
);
CREATE INDEX contest_ballots_hash ON contest_ballots(hash);

CREATE TABLE contest_judges (
    contest_id BIGINT NOT NULL REFERENCES contests(id),
    account_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    -- The schools the judge belongs to (unit paths, comma separated): their entries are conflicts.
    own_paths TEXT NOT NULL,
    PRIMARY KEY (contest_id, account_id)
);

CREATE TABLE contest_assignments (
    contest_id BIGINT NOT NULL REFERENCES contests(id),
    entry_id BIGINT NOT NULL REFERENCES contest_entries(id),
    judge_account_id BIGINT NOT NULL,
    PRIMARY KEY (entry_id, judge_account_id)
);
CREATE INDEX contest_assignments_judge ON contest_assignments(contest_id, judge_account_id);

CREATE TABLE contest_scores (
    contest_id BIGINT NOT NULL REFERENCES contests(id),
    entry_id BIGINT NOT NULL REFERENCES contest_entries(id),
    judge_account_id BIGINT NOT NULL,
    -- Each criterion's mark (0–10) as JSON {"criterion": mark}; total = Σ mark × weight.
    marks TEXT NOT NULL,
    total BIGINT NOT NULL,
    scored_at BIGINT NOT NULL,
    PRIMARY KEY (entry_id, judge_account_id)
);
