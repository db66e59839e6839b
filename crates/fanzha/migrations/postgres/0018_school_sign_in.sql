-- Sign-in configured per school: campus single sign-on (CAS or OpenID Connect), and the
-- short-lived records its flows need.

-- One row per school that configured its identity service. `protocol` is 'cas' or 'oidc'.
-- `server_url` is the CAS base URL (…/cas) or the OIDC issuer. `number_attribute` names the CAS
-- attribute or ID-token claim carrying the student/staff number ('' for the CAS user itself).
-- `local_passwords` 0: only school admins may still sign in with a password (break-glass).
-- `builtin_test` marks the built-in test CAS of `fanzha demo` (shown on the login page).
CREATE TABLE school_sign_in (
    school_id BIGINT PRIMARY KEY REFERENCES units(id),
    protocol TEXT NOT NULL,
    server_url TEXT NOT NULL,
    cas_version TEXT NOT NULL DEFAULT '3',
    client_id TEXT NOT NULL DEFAULT '',
    client_secret TEXT NOT NULL DEFAULT '',
    number_attribute TEXT NOT NULL DEFAULT '',
    local_passwords BIGINT NOT NULL DEFAULT 1,
    builtin_test BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT REFERENCES accounts(id)
);

-- An OpenID Connect sign-in under way: the state (hashed), the nonce and PKCE verifier it was
-- started with. Single use, minutes long; held in the database so any process may finish it.
CREATE TABLE sso_flows (
    state_hash TEXT PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES units(id),
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next_path TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX sso_flows_expires ON sso_flows(expires_at);

-- Every CAS service ticket presented (hashed): a ticket is taken once, and the session it opened
-- is found again when the CAS server sends a single-logout request for it.
CREATE TABLE sso_tickets (
    ticket_hash TEXT PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES units(id),
    session_hash TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX sso_tickets_created ON sso_tickets(created_at);

-- Reach is honest: audience members whom no channel reaches (no active account, no outside
-- address) are counted apart, never as delivered.
ALTER TABLE campaign_reach ADD COLUMN unreachable BIGINT NOT NULL DEFAULT 0;

-- DingTalk and WeCom sign-in per school: the school's app (DingTalk client id / WeCom corp id and
-- agent id, and its secret), and the platform identities bound to accounts — by the person from
-- My account, or imported by the school as a mapping of platform user ids to numbers.
CREATE TABLE school_platforms (
    school_id BIGINT NOT NULL REFERENCES units(id),
    platform TEXT NOT NULL,
    app_id TEXT NOT NULL,
    agent_id TEXT NOT NULL DEFAULT '',
    app_secret TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (school_id, platform)
);
CREATE TABLE platform_identities (
    school_id BIGINT NOT NULL REFERENCES units(id),
    platform TEXT NOT NULL,
    platform_user_id TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (school_id, platform, platform_user_id)
);
CREATE UNIQUE INDEX platform_identities_account ON platform_identities(account_id, platform);
