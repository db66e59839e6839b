-- Contests (issue 22), second part: withdrawals in the ballot log, where ballots came from (for
-- the organisers' anomaly report), entries' advisors (conflicts of interest), results stored when
-- published, winners carried into campaign content.

-- The ballot log gains a record kind: a vote, or the withdrawal of one (a new chained record; the
-- log stays append-only). The n-th record of a voter in a period (`slot`) stays unique; the limit
-- on live votes is counted under the contest row's lock. A voter may vote again for an entry
-- after withdrawing, so the one-vote-per-entry key goes (the count under the lock holds it).
ALTER TABLE contest_ballots ADD COLUMN kind TEXT NOT NULL DEFAULT 'vote';
ALTER TABLE contest_ballots DROP CONSTRAINT contest_ballots_contest_id_voter_period_entry_id_key;
CREATE INDEX contest_ballots_voter ON contest_ballots(contest_id, voter, period);

-- Where a ballot came from, kept apart from the public log and never exported: the network
-- (IPv4 /24, IPv6 /48) and the device (user agent) as HMACs under the contest key, the voter's
-- class or unit, and when the voter's account became usable (activation, else creation).
CREATE TABLE contest_ballot_origins (
    contest_id BIGINT NOT NULL REFERENCES contests(id),
    seq BIGINT NOT NULL,
    net TEXT NOT NULL,
    device TEXT NOT NULL,
    unit_path TEXT NOT NULL,
    account_since BIGINT NOT NULL,
    cast_at BIGINT NOT NULL,
    PRIMARY KEY (contest_id, seq)
);

-- Staff who advised an entry, as JSON [{"staff_id", "account_id", "name"}]: they do not judge it.
ALTER TABLE contest_entries ADD COLUMN advisors TEXT NOT NULL DEFAULT '[]';

-- The results as computed when published (JSON), read by every later visit.
ALTER TABLE contests ADD COLUMN results TEXT;

-- Winners carried into the campaign content library, once per entry.
CREATE TABLE contest_pushes (
    contest_id BIGINT NOT NULL REFERENCES contests(id),
    entry_id BIGINT NOT NULL REFERENCES contest_entries(id),
    content_id BIGINT NOT NULL,
    pushed_by BIGINT NOT NULL,
    pushed_at BIGINT NOT NULL,
    PRIMARY KEY (contest_id, entry_id)
);
