-- Cases (案件), their indicators, a per school/day summary kept on write for rankings and trends,
-- police KPIs per unit and month, monthly briefings, and the Campus Without Fraud awards.
CREATE TABLE cases (
    id BIGSERIAL PRIMARY KEY,
    school_id BIGINT NOT NULL REFERENCES units(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    unit_path TEXT NOT NULL,
    victim_student_id BIGINT REFERENCES students(id),
    victim_staff_id BIGINT REFERENCES staff(id),
    victim_role TEXT NOT NULL,
    victim_enroll_year INTEGER,
    victim_major TEXT,
    victim_gender TEXT,
    fraud_type TEXT NOT NULL,
    channel TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    amount_lost_cents BIGINT NOT NULL,
    amount_recovered_cents BIGINT NOT NULL,
    status TEXT NOT NULL,
    narrative TEXT NOT NULL,
    report_id BIGINT,
    created_by BIGINT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cases_unit_time ON cases(unit_path text_pattern_ops, occurred_at);
CREATE INDEX cases_school_time ON cases(school_id, occurred_at);
CREATE INDEX cases_time ON cases(occurred_at);
CREATE INDEX cases_report ON cases(report_id);

CREATE TABLE case_indicators (
    case_id BIGINT NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (case_id, kind, value)
);
CREATE INDEX case_indicators_value ON case_indicators(kind, value);

-- One row per school and local (UTC+8) day with cases: counts and losses, kept in step with
-- `cases` by every write, so province rankings and long trends never scan the cases.
CREATE TABLE case_daily (
    school_id BIGINT NOT NULL REFERENCES units(id),
    day BIGINT NOT NULL,
    cases BIGINT NOT NULL,
    victims BIGINT NOT NULL,
    lost_cents BIGINT NOT NULL,
    PRIMARY KEY (school_id, day)
);
CREATE INDEX case_daily_day ON case_daily(day);

-- One row per school (and per city and province above it), local month, dimension and key (fraud type, channel, grade, major, gender,
-- role, hour, weekday, and `total`), kept in step by every write: analysis of whole months of
-- schools, stations, cities and provinces reads these instead of the cases.
CREATE TABLE case_monthly (
    unit_id BIGINT NOT NULL REFERENCES units(id),
    month BIGINT NOT NULL,
    dim TEXT NOT NULL,
    bucket TEXT NOT NULL,
    cases BIGINT NOT NULL,
    lost_cents BIGINT NOT NULL,
    recovered_cents BIGINT NOT NULL,
    PRIMARY KEY (unit_id, month, dim, bucket)
);

-- The same per school, local day, dimension and bucket: the partial months at either end of a
-- period.
CREATE TABLE case_daily_dims (
    unit_id BIGINT NOT NULL REFERENCES units(id),
    day BIGINT NOT NULL,
    dim TEXT NOT NULL,
    bucket TEXT NOT NULL,
    cases BIGINT NOT NULL,
    lost_cents BIGINT NOT NULL,
    recovered_cents BIGINT NOT NULL,
    PRIMARY KEY (unit_id, day, dim, bucket)
);

CREATE TABLE police_kpis (
    id BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    month TEXT NOT NULL,
    cases_solved BIGINT NOT NULL,
    suspects_arrested BIGINT NOT NULL,
    funds_frozen_cents BIGINT NOT NULL,
    losses_avoided_cents BIGINT NOT NULL,
    funds_returned_cents BIGINT NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES accounts(id),
    updated_at BIGINT NOT NULL,
    UNIQUE (unit_id, month)
);

CREATE TABLE case_briefings (
    id BIGSERIAL PRIMARY KEY,
    station_id BIGINT NOT NULL REFERENCES units(id),
    month TEXT NOT NULL,
    title TEXT NOT NULL,
    advice TEXT NOT NULL,
    case_ids TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    published_at BIGINT,
    UNIQUE (station_id, month)
);

CREATE TABLE campus_awards (
    id BIGSERIAL PRIMARY KEY,
    province_id BIGINT NOT NULL REFERENCES units(id),
    year BIGINT NOT NULL,
    school_id BIGINT NOT NULL REFERENCES units(id),
    selected_by BIGINT NOT NULL REFERENCES accounts(id),
    selected_at BIGINT NOT NULL,
    published_at BIGINT,
    UNIQUE (province_id, year, school_id)
);
