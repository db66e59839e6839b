-- Starter content on 两卡 and the law (issue 23, point 4): which school adopted which shipped item
-- (the article into its content library, the lesson into one of its courses), once per school.
CREATE TABLE mule_starter_adoptions (
    school_id BIGINT NOT NULL REFERENCES units(id),
    -- article, lesson
    item TEXT NOT NULL,
    -- The content (article) or lesson made from it; NULL while it is being made.
    target_id BIGINT,
    -- The course the lesson went into.
    course_id BIGINT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    adopted_at BIGINT NOT NULL,
    PRIMARY KEY (school_id, item)
);
