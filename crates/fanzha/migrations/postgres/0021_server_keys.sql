-- Server secrets, one per purpose (rotating check-in codes, …): created at first use and shared
-- by every process of a deployment.
CREATE TABLE server_keys (
    purpose TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
