-- Detection state held in the database and picked up by every process: the brand registry of
-- official domains and service numbers, and classifier models trained from confirmed examples.

-- One row per brand. Lists are JSON arrays of strings.
CREATE TABLE brands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    sector TEXT NOT NULL,
    aliases TEXT NOT NULL,
    domains TEXT NOT NULL,
    numbers TEXT NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 1,
    updated_by BIGINT REFERENCES accounts(id),
    updated_at BIGINT NOT NULL
);
CREATE INDEX brands_sector ON brands(sector, key);

-- Versions each process compares with what it holds: 'brands' (the registry) and 'model' (the
-- promoted classifier). A change bumps the row in the transaction that makes it.
CREATE TABLE detect_versions (
    name TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);

-- Classifier models: 'candidate' (trained, waiting), 'active' (the one in use; at most one),
-- 'retired' (was active), 'rolled_back', 'rejected'. No active row: the built-in model serves.
CREATE TABLE detect_models (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    model BLOB NOT NULL,
    -- The model version the figures were measured against (the active one at training time).
    base_version TEXT NOT NULL,
    -- JSON: the candidate's and the base model's figures on each evaluation set.
    figures TEXT NOT NULL,
    examples BIGINT NOT NULL,
    created_by BIGINT REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    promoted_by BIGINT REFERENCES accounts(id),
    promoted_at BIGINT
);
CREATE INDEX detect_models_status ON detect_models(status, id);
-- At most one active model, even when two promotions race.
CREATE UNIQUE INDEX detect_models_one_active ON detect_models(status) WHERE status = 'active';

-- Each risk check records the model that judged it and the sender of a pasted SMS.
ALTER TABLE risk_checks ADD COLUMN model_version TEXT NOT NULL DEFAULT '';
ALTER TABLE risk_checks ADD COLUMN sender TEXT;

-- Where a labelled example came from: 'review' (a reviewed wrong result) or 'report' (a
-- confirmed report); created_by is the police account that confirmed it.
ALTER TABLE labelled_examples ADD COLUMN source TEXT NOT NULL DEFAULT 'review';
ALTER TABLE labelled_examples ADD COLUMN report_id BIGINT;
CREATE UNIQUE INDEX labelled_examples_report ON labelled_examples(report_id);
