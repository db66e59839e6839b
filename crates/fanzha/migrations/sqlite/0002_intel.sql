-- Risk check and indicator intelligence (issue 4).

-- One row per canonical (kind, value); see fanzha_detect::canonicalize.
CREATE TABLE indicators (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    status TEXT NOT NULL,
    fraud_types TEXT NOT NULL,
    tlp TEXT NOT NULL,
    sightings BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX indicators_status ON indicators(status, last_seen);

-- Where an indicator came from: report:<id>, case:<id>, police:<account id>, import:<batch id>.
CREATE TABLE indicator_sources (
    indicator_id BIGINT NOT NULL,
    source TEXT NOT NULL,
    at BIGINT NOT NULL,
    UNIQUE (indicator_id, source)
);

-- Change log polled by every process to refresh its in-memory index.
CREATE TABLE indicator_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX indicator_changes_at ON indicator_changes(at);

CREATE TABLE intel_imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    format TEXT NOT NULL,
    entries BIGINT NOT NULL,
    account_id BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE risk_checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL,
    student_id BIGINT,
    input_kind TEXT NOT NULL,
    text TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    level TEXT NOT NULL,
    fraud_type TEXT NOT NULL,
    risk_pm BIGINT NOT NULL,
    result TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX risk_checks_account ON risk_checks(account_id, id);

CREATE TABLE intel_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    check_id BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    claim TEXT NOT NULL,
    comment TEXT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT NOT NULL,
    resolved_by BIGINT,
    resolved_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (check_id, account_id)
);
CREATE INDEX intel_reviews_status ON intel_reviews(status, id);

CREATE TABLE labelled_examples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    text TEXT NOT NULL,
    label TEXT NOT NULL,
    review_id BIGINT,
    created_by BIGINT,
    created_at BIGINT NOT NULL
);

-- Partner API calls per token per UTC day, for daily quotas across processes.
CREATE TABLE api_usage (
    token_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    calls BIGINT NOT NULL,
    PRIMARY KEY (token_id, day)
);
