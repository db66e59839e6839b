-- Accounts that follow the roster, and one-time activation codes.
--
-- A roster account is keyed by (school, kind, person number): student numbers are unique only
-- within a school, and a staff number may equal a student number there. Accounts made by hand
-- (operators, police, partners) have no roster key.
ALTER TABLE accounts ADD COLUMN org_id BIGINT REFERENCES units(id);
ALTER TABLE accounts ADD COLUMN person_kind TEXT;
ALTER TABLE accounts ADD COLUMN person_no TEXT;
-- When the person set their first password (NULL: not activated yet). Accounts that existed
-- before had a password from the start.
ALTER TABLE accounts ADD COLUMN activated_at BIGINT;
-- What the roster says: 'current', 'paused' (休学: no sign-in until return) or 'left'
-- (毕业/退学/离职: disabled; a return re-enables).
ALTER TABLE accounts ADD COLUMN roster_status TEXT NOT NULL DEFAULT 'current';
-- Set by a password reset: the next sign-in must choose a new password.
ALTER TABLE accounts ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;
UPDATE accounts SET activated_at = created_at;
CREATE UNIQUE INDEX accounts_roster_key ON accounts(org_id, person_kind, person_no);
CREATE INDEX accounts_org_person ON accounts(org_id, person_no);

-- Staff rosters gain a status column like the student one: 'active' or 'left'.
ALTER TABLE staff ADD COLUMN status TEXT NOT NULL DEFAULT 'active';

CREATE TABLE activation_codes (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    -- SHA-256 of the account id and the code: the code itself is never stored.
    code_hash TEXT NOT NULL UNIQUE,
    issued_by BIGINT REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX activation_codes_account ON activation_codes(account_id);
