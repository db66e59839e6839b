-- Login limits held in the database, so they survive restarts and hold across processes.
--
-- Failed sign-ins per (username as typed, client address): a run of failures locks that pair
-- only, so someone guessing from one address cannot lock the owner out from another. Keyed by the
-- username rather than the account so unknown usernames behave exactly like known ones.
CREATE TABLE login_failures (
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    failures BIGINT NOT NULL,
    locked_until BIGINT,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (username, address)
);
CREATE INDEX login_failures_last ON login_failures(last_at);

-- Sign-in attempts per client address in a fixed window (whatever the username).
CREATE TABLE login_address_hits (
    address TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL
);
CREATE INDEX login_address_hits_window ON login_address_hits(window_start);
