-- Volunteers (issue 21): volunteers of a school, tasks with slots, claims with check-in and proof,
-- the append-only points ledger, rewards with stock, hours certificates.
CREATE TABLE vol_volunteers (
    id BIGSERIAL PRIMARY KEY,
    student_id BIGINT NOT NULL UNIQUE REFERENCES students(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    school_id BIGINT NOT NULL REFERENCES units(id),
    class_id BIGINT NOT NULL REFERENCES units(id),
    class_path TEXT NOT NULL,
    contact TEXT NOT NULL,
    consent_at BIGINT NOT NULL,
    -- Kept equal to SUM(vol_ledger.points) of the volunteer in the same transaction as each entry.
    balance BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX vol_volunteers_path ON vol_volunteers(class_path);

CREATE TABLE vol_tasks (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    unit_path TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES accounts(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    place TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    withdraw_until BIGINT NOT NULL,
    slots BIGINT NOT NULL,
    taken BIGINT NOT NULL DEFAULT 0,
    points BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    proof TEXT NOT NULL,
    -- Unit paths the task is offered to, one per line; empty = open to every volunteer.
    targets TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CHECK (taken >= 0 AND taken <= slots)
);
CREATE INDEX vol_tasks_unit ON vol_tasks(unit_path);
CREATE INDEX vol_tasks_start ON vol_tasks(starts_at);

CREATE TABLE vol_claims (
    id BIGSERIAL PRIMARY KEY,
    task_id BIGINT NOT NULL REFERENCES vol_tasks(id),
    volunteer_id BIGINT NOT NULL REFERENCES vol_volunteers(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    status TEXT NOT NULL,
    claimed_at BIGINT NOT NULL,
    checkin_at BIGINT,
    checkout_at BIGINT,
    proof_text TEXT,
    proof_photo BYTEA,
    proof_type TEXT,
    proof_at BIGINT,
    reason TEXT,
    reviewed_by BIGINT REFERENCES accounts(id),
    reviewed_at BIGINT,
    minutes BIGINT NOT NULL DEFAULT 0,
    UNIQUE (task_id, volunteer_id)
);
CREATE INDEX vol_claims_volunteer ON vol_claims(volunteer_id);
CREATE INDEX vol_claims_task_status ON vol_claims(task_id, status, id);

CREATE TABLE vol_rewards (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    unit_path TEXT NOT NULL,
    name TEXT NOT NULL,
    cost BIGINT NOT NULL,
    stock BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    CHECK (stock >= 0 AND cost > 0)
);

-- Append-only: rows are never updated or deleted; a correction is a new reversing entry.
CREATE TABLE vol_ledger (
    id BIGSERIAL PRIMARY KEY,
    volunteer_id BIGINT NOT NULL REFERENCES vol_volunteers(id),
    kind TEXT NOT NULL,
    points BIGINT NOT NULL,
    cause TEXT NOT NULL UNIQUE,
    task_id BIGINT REFERENCES vol_tasks(id),
    reward_id BIGINT REFERENCES vol_rewards(id),
    reverses BIGINT REFERENCES vol_ledger(id),
    note TEXT NOT NULL,
    by_account BIGINT REFERENCES accounts(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX vol_ledger_volunteer ON vol_ledger(volunteer_id, id);

CREATE TABLE vol_certificates (
    id BIGSERIAL PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    volunteer_id BIGINT NOT NULL REFERENCES vol_volunteers(id),
    name TEXT NOT NULL,
    masked_no TEXT NOT NULL,
    school TEXT NOT NULL,
    organisation TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    tasks BIGINT NOT NULL,
    issued_at BIGINT NOT NULL
);
