-- Learning: courses with lessons and a question bank by fraud type, assessments drawn at random,
-- completions; the pledge (versioned text, one live signature per person and version); activities
-- with rotating-code check-in; the anti-fraud app drive; per-school weights of appraisal components.
CREATE TABLE learning_courses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES units(id),
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    credits_tenths BIGINT NOT NULL,
    pass_percent BIGINT NOT NULL,
    per_tag BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    time_limit_min BIGINT NOT NULL,
    required BIGINT NOT NULL,
    deadline_at BIGINT,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX learning_courses_school ON learning_courses(school_id);

-- Who takes a course: everyone under a unit, or everyone of an enrolment year of the school.
CREATE TABLE learning_enrolments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id BIGINT NOT NULL REFERENCES learning_courses(id),
    unit_id BIGINT REFERENCES units(id),
    enrolment_year BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX learning_enrolments_course ON learning_enrolments(course_id);

CREATE TABLE learning_lessons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id BIGINT NOT NULL REFERENCES learning_courses(id),
    position BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    video_url TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX learning_lessons_course ON learning_lessons(course_id);

CREATE TABLE learning_lesson_views (
    lesson_id BIGINT NOT NULL REFERENCES learning_lessons(id),
    student_id BIGINT NOT NULL REFERENCES students(id),
    viewed_at BIGINT NOT NULL,
    PRIMARY KEY (lesson_id, student_id)
);

CREATE TABLE learning_questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id BIGINT NOT NULL REFERENCES learning_courses(id),
    kind TEXT NOT NULL,
    fraud_type TEXT NOT NULL,
    prompt TEXT NOT NULL,
    options TEXT NOT NULL,
    correct TEXT NOT NULL,
    explanation TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX learning_questions_course ON learning_questions(course_id, fraud_type);

CREATE TABLE learning_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id BIGINT NOT NULL REFERENCES learning_courses(id),
    student_id BIGINT NOT NULL REFERENCES students(id),
    started_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    closed_at BIGINT,
    score_percent BIGINT,
    passed BIGINT
);
CREATE INDEX learning_attempts_student ON learning_attempts(student_id, course_id);

CREATE TABLE learning_attempt_items (
    attempt_id BIGINT NOT NULL REFERENCES learning_attempts(id),
    question_id BIGINT NOT NULL REFERENCES learning_questions(id),
    position BIGINT NOT NULL,
    chosen TEXT,
    correct BIGINT,
    PRIMARY KEY (attempt_id, question_id)
);

CREATE TABLE learning_completions (
    course_id BIGINT NOT NULL REFERENCES learning_courses(id),
    student_id BIGINT NOT NULL REFERENCES students(id),
    completed_at BIGINT NOT NULL,
    PRIMARY KEY (course_id, student_id)
);

-- A certificate per completion, with what is printed on it (the name masked) and a unique
-- verification code for the public verify page.
CREATE TABLE learning_certificates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    course_id BIGINT NOT NULL REFERENCES learning_courses(id),
    student_id BIGINT NOT NULL REFERENCES students(id),
    holder TEXT NOT NULL,
    course_title TEXT NOT NULL,
    credits_tenths BIGINT NOT NULL,
    school TEXT NOT NULL,
    completed_at BIGINT NOT NULL,
    UNIQUE (course_id, student_id)
);

CREATE TABLE learning_pledges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES units(id),
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (school_id, version)
);

CREATE TABLE learning_signatures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pledge_id BIGINT NOT NULL REFERENCES learning_pledges(id),
    student_id BIGINT NOT NULL REFERENCES students(id),
    typed_name TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    signed_at BIGINT NOT NULL,
    withdrawn_at BIGINT
);
-- At most one live signature per person and pledge version.
CREATE UNIQUE INDEX learning_signatures_live ON learning_signatures(pledge_id, student_id) WHERE withdrawn_at IS NULL;
CREATE INDEX learning_signatures_student ON learning_signatures(student_id);

CREATE TABLE learning_activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES units(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    organiser_account_id BIGINT NOT NULL,
    organiser TEXT NOT NULL,
    place TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX learning_activities_unit ON learning_activities(unit_id);

CREATE TABLE learning_checkins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id BIGINT NOT NULL REFERENCES learning_activities(id),
    student_id BIGINT NOT NULL REFERENCES students(id),
    account_id BIGINT NOT NULL,
    device TEXT NOT NULL,
    code_window BIGINT NOT NULL,
    shared_device BIGINT NOT NULL,
    checked_at BIGINT NOT NULL,
    UNIQUE (activity_id, student_id)
);
CREATE INDEX learning_checkins_device ON learning_checkins(activity_id, device);

CREATE TABLE learning_app_installs (
    student_id BIGINT PRIMARY KEY REFERENCES students(id),
    declared_at BIGINT NOT NULL,
    verified_at BIGINT,
    verified_by BIGINT
);

CREATE TABLE appraisal_weights (
    school_id BIGINT NOT NULL REFERENCES units(id),
    component TEXT NOT NULL,
    weight BIGINT NOT NULL,
    PRIMARY KEY (school_id, component)
);
