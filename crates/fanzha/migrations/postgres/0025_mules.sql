-- Money mules (断卡/帮信, issue 23): the kind of a warning (a bank's or payment platform's signal
-- that a student's account moves fraud money is a warning of kind `mule_risk`), the facts of such
-- a signal, the role of the person in a case (victim, suspect, both) with the kind of account
-- lent, and each province's rule on how suspects count for Campus Without Fraud.
ALTER TABLE warnings ADD COLUMN kind TEXT NOT NULL DEFAULT 'fraud';
CREATE INDEX warnings_kind ON warnings(kind, created_at);

CREATE TABLE mule_signals (
    warning_id BIGINT PRIMARY KEY REFERENCES warnings(id),
    partner_account_id BIGINT NOT NULL REFERENCES accounts(id),
    -- bank_card, phone_card, im_account, payment_account
    account_kind TEXT NOT NULL,
    -- large_flows, frozen, many_counterparties, night_flows, remote_login, other
    pattern TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

ALTER TABLE cases ADD COLUMN person_role TEXT NOT NULL DEFAULT 'victim';
ALTER TABLE cases ADD COLUMN lent_account TEXT;
CREATE INDEX cases_role ON cases(person_role, occurred_at);

CREATE TABLE mule_award_rules (
    province_id BIGINT PRIMARY KEY REFERENCES units(id),
    -- A school with more 帮信/两卡 suspects in the year than this is not eligible (default 0).
    max_suspects BIGINT NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES accounts(id),
    updated_at BIGINT NOT NULL
);
