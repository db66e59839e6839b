-- One-click reports and the stop-payment race (issue 5).

CREATE TABLE reports (
    id BIGSERIAL PRIMARY KEY,
    ref_no TEXT NOT NULL UNIQUE,
    reporter_account_id BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    student_id BIGINT,
    school_id BIGINT,
    unit_path TEXT NOT NULL,
    fraud_type TEXT NOT NULL,
    has_loss BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL,
    description TEXT NOT NULL,
    sections TEXT NOT NULL,
    status TEXT NOT NULL,
    assigned_to BIGINT,
    merged_into BIGINT,
    case_id BIGINT,
    first_action_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (reporter_account_id, idempotency_key)
);
CREATE INDEX reports_unit ON reports(unit_path, created_at);
CREATE INDEX reports_student ON reports(student_id, created_at);

-- Canonical indicators of each report; joinable to the indicator store by (kind, value).
CREATE TABLE report_indicators (
    report_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    section TEXT NOT NULL,
    UNIQUE (report_id, kind, value)
);
CREATE INDEX report_indicators_kv ON report_indicators(kind, value);

CREATE TABLE report_evidence (
    id BIGSERIAL PRIMARY KEY,
    report_id BIGINT NOT NULL,
    media_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX report_evidence_report ON report_evidence(report_id);

CREATE TABLE stop_payments (
    id BIGSERIAL PRIMARY KEY,
    report_id BIGINT NOT NULL UNIQUE,
    payee_kind TEXT NOT NULL,
    payee_account TEXT NOT NULL,
    bank TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    transfer_at BIGINT NOT NULL,
    deadline_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    frozen_cents BIGINT NOT NULL,
    reason TEXT NOT NULL,
    first_action_at BIGINT,
    escalated_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX stop_payments_deadline ON stop_payments(status, deadline_at);

CREATE TABLE stop_payment_actions (
    id BIGSERIAL PRIMARY KEY,
    stop_payment_id BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    frozen_cents BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX stop_payment_actions_sp ON stop_payment_actions(stop_payment_id);
