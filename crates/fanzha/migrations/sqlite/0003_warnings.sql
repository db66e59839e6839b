-- Warnings (预警劝阻): a warning about one person, routed down the responsibility chain, with the
-- deadline that the escalation scan watches (`next_deadline_at`, NULL once nothing is pending).
CREATE TABLE warnings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_kind TEXT NOT NULL,
    origin TEXT NOT NULL,
    issued_by_account_id BIGINT REFERENCES accounts(id),
    issuer_unit_path TEXT NOT NULL,
    idempotency_key TEXT,
    student_id BIGINT REFERENCES students(id),
    school_id BIGINT REFERENCES units(id),
    unit_path TEXT NOT NULL,
    phone TEXT,
    student_no TEXT,
    fraud_type TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL,
    level BIGINT NOT NULL,
    assignee_staff_id BIGINT REFERENCES staff(id),
    ack_window_ms BIGINT NOT NULL,
    contact_window_ms BIGINT NOT NULL,
    routed_at BIGINT,
    ack_due_at BIGINT,
    contact_due_at BIGINT,
    next_deadline_at BIGINT,
    next_deadline_kind TEXT,
    escalations BIGINT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by BIGINT REFERENCES accounts(id),
    contacted_at BIGINT,
    contact_method TEXT,
    outcome TEXT,
    outcome_at BIGINT,
    loss_cents BIGINT,
    protected_cents BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (issued_by_account_id, idempotency_key)
);
CREATE INDEX warnings_deadline ON warnings(next_deadline_at);
CREATE INDEX warnings_unit ON warnings(unit_path);
CREATE INDEX warnings_student ON warnings(student_id);
CREATE INDEX warnings_created ON warnings(created_at);

CREATE TABLE warning_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    warning_id BIGINT NOT NULL REFERENCES warnings(id),
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor_account_id BIGINT,
    actor TEXT NOT NULL,
    level BIGINT NOT NULL,
    staff_id BIGINT,
    dedup TEXT,
    detail TEXT NOT NULL,
    UNIQUE (warning_id, dedup)
);
CREATE INDEX warning_events_warning ON warning_events(warning_id);
CREATE INDEX warning_events_kind_at ON warning_events(kind, at);

CREATE TABLE warning_settings (
    school_id BIGINT PRIMARY KEY REFERENCES units(id),
    high_ack_ms BIGINT NOT NULL,
    high_contact_ms BIGINT NOT NULL,
    medium_ack_ms BIGINT NOT NULL,
    medium_contact_ms BIGINT NOT NULL,
    low_ack_ms BIGINT NOT NULL,
    low_contact_ms BIGINT NOT NULL,
    weight_ack BIGINT NOT NULL,
    weight_contact BIGINT NOT NULL,
    weight_escalations BIGINT NOT NULL,
    weight_victims BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT
);
