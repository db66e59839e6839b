-- Receipts of warnings sent by partner systems (banks, platforms). A partner gets a receipt and
-- nothing about people: its warning is written unidentified when received, and matched and
-- routed later by the `warnings.intake` job, so neither the answer nor its timing depends on
-- whether anyone matched. The receipt's id is the warning's id.
CREATE TABLE warning_receipts (
    warning_id BIGINT PRIMARY KEY REFERENCES warnings(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    reference TEXT,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    processed_at BIGINT
);
CREATE INDEX warning_receipts_account ON warning_receipts(account_id);
