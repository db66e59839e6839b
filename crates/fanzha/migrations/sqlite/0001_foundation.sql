-- Prefix searches on paths (`path LIKE '/1/4/%'`) use these indexes because every connection sets
-- PRAGMA case_sensitive_like = ON (PostgreSQL: text_pattern_ops indexes).
-- Foundation: org tree, people, responsibility chain, accounts, sessions, tokens, audit, jobs, inbox.
CREATE TABLE units (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id BIGINT REFERENCES units(id),
    kind TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    depth BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX units_parent ON units(parent_id);
CREATE INDEX units_path ON units(path);

CREATE TABLE jurisdictions (
    station_id BIGINT NOT NULL REFERENCES units(id),
    school_id BIGINT NOT NULL REFERENCES units(id),
    PRIMARY KEY (station_id, school_id)
);
CREATE INDEX jurisdictions_school ON jurisdictions(school_id);

CREATE TABLE students (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES units(id),
    class_id BIGINT NOT NULL REFERENCES units(id),
    student_no TEXT NOT NULL,
    name TEXT NOT NULL,
    gender TEXT NOT NULL,
    enrollment_year BIGINT NOT NULL,
    major TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (school_id, student_no)
);
CREATE INDEX students_class ON students(class_id);
CREATE INDEX students_phone ON students(phone);

CREATE TABLE staff (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL REFERENCES units(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    staff_no TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    title TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (org_id, staff_no)
);
CREATE INDEX staff_unit ON staff(unit_id);

CREATE TABLE responsibilities (
    unit_id BIGINT NOT NULL REFERENCES units(id),
    staff_id BIGINT NOT NULL REFERENCES staff(id),
    duty TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (unit_id, staff_id, duty)
);
CREATE INDEX responsibilities_staff ON responsibilities(staff_id);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    student_id BIGINT REFERENCES students(id),
    staff_id BIGINT REFERENCES staff(id),
    locale TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    failed_logins BIGINT NOT NULL,
    locked_until BIGINT,
    disabled BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);
CREATE INDEX accounts_student ON accounts(student_id);
CREATE INDEX accounts_staff ON accounts(staff_id);

CREATE TABLE role_assignments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    role TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, role, unit_id)
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_account ON api_tokens(account_id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor_account_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    unit_path TEXT NOT NULL,
    ip TEXT NOT NULL,
    request_id TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_unit ON audit_log(unit_path);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    dedup_key TEXT UNIQUE,
    status TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    last_error TEXT,
    locked_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs(status, run_at);

CREATE TABLE inbox_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT,
    source TEXT,
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    UNIQUE (recipient, source)
);
CREATE INDEX inbox_recipient ON inbox_messages(recipient, read_at);
