-- Learning, second part: the first lesson handed to every new intake the roster brings in (with
-- its own deadline per intake), the school calendar's terms, and self-enrolment in electives.

-- A required course with `intake_days` is enrolled automatically for each new enrolment year of
-- its school, due that many days after the roster brought the intake in.
ALTER TABLE learning_courses ADD COLUMN intake_days BIGINT;
-- A course students may enrol in themselves.
ALTER TABLE learning_courses ADD COLUMN elective BIGINT NOT NULL DEFAULT 0;
-- An intake's own deadline (else the course's).
ALTER TABLE learning_enrolments ADD COLUMN deadline_at BIGINT;
-- One enrolment per course and year: two imports at once assign an intake once.
CREATE UNIQUE INDEX learning_enrolments_year ON learning_enrolments(course_id, enrolment_year) WHERE enrolment_year IS NOT NULL;

-- The school calendar: academic year (2026 = 2026–2027) and semester (1 autumn, 2 spring, 3 summer),
-- each with its first and last day (stored as the UTC instants of China Standard Time midnights,
-- `ends_at` exclusive).
CREATE TABLE learning_terms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id BIGINT NOT NULL REFERENCES units(id),
    academic_year BIGINT NOT NULL,
    semester BIGINT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (school_id, academic_year, semester)
);

-- Students who enrolled themselves in an elective.
CREATE TABLE learning_self_enrolments (
    course_id BIGINT NOT NULL REFERENCES learning_courses(id),
    student_id BIGINT NOT NULL REFERENCES students(id),
    enrolled_at BIGINT NOT NULL,
    PRIMARY KEY (course_id, student_id)
);
CREATE INDEX learning_self_enrolments_student ON learning_self_enrolments(student_id);

-- Course structure: modules grouping lessons, the instructors shown on a course, files attached to
-- lessons (the bytes in the evidence store, addressed by `storage_key`).
CREATE TABLE learning_modules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id BIGINT NOT NULL REFERENCES learning_courses(id),
    position BIGINT NOT NULL,
    title TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX learning_modules_course ON learning_modules(course_id);
ALTER TABLE learning_lessons ADD COLUMN module_id BIGINT REFERENCES learning_modules(id);

CREATE TABLE learning_instructors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id BIGINT NOT NULL REFERENCES learning_courses(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    affiliation TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (course_id, kind, name)
);

CREATE TABLE learning_attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lesson_id BIGINT NOT NULL REFERENCES learning_lessons(id),
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX learning_attachments_lesson ON learning_attachments(lesson_id);

-- Optional photo proof of a check-in and screenshot of the app install (bytes in the evidence
-- store, metadata stripped).
ALTER TABLE learning_checkins ADD COLUMN photo_key TEXT;
ALTER TABLE learning_checkins ADD COLUMN photo_type TEXT;
ALTER TABLE learning_app_installs ADD COLUMN screenshot_key TEXT;
ALTER TABLE learning_app_installs ADD COLUMN screenshot_type TEXT;
