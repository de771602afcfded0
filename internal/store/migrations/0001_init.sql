-- 0001: learners and their progress.
--
-- Portable on purpose (SQLite today, PostgreSQL later): standard types only,
-- no AUTOINCREMENT or rowid tricks, composite natural keys, upserts written as
-- INSERT ... ON CONFLICT (...) DO UPDATE. Times are INTEGER unix milliseconds
-- in UTC (BIGINT in PostgreSQL): they sort and compare as numbers, and no
-- driver rewrites them. JSON (answers, evidence) is TEXT; PostgreSQL may make
-- it JSONB without touching the queries.

CREATE TABLE learners (
    id           TEXT    NOT NULL PRIMARY KEY,
    name         TEXT    NOT NULL,
    created_ms   BIGINT  NOT NULL,
    last_seen_ms BIGINT  NOT NULL
);

-- One row per section a learner opened; the first read is the one kept.
CREATE TABLE section_reads (
    learner_id    TEXT   NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    course        TEXT   NOT NULL,
    section       TEXT   NOT NULL,
    first_read_ms BIGINT NOT NULL,
    PRIMARY KEY (learner_id, course, section)
);

-- Every answer a learner submitted, numbered per quiz from 1.
CREATE TABLE quiz_attempts (
    learner_id TEXT    NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    course     TEXT    NOT NULL,
    quiz       TEXT    NOT NULL,
    attempt    INTEGER NOT NULL,
    answers    TEXT    NOT NULL,
    correct    BOOLEAN NOT NULL,
    at_ms      BIGINT  NOT NULL,
    PRIMARY KEY (learner_id, course, quiz, attempt)
);

-- The quiz as the learner sees it now: the latest attempt wins.
CREATE TABLE quiz_results (
    learner_id TEXT    NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    course     TEXT    NOT NULL,
    quiz       TEXT    NOT NULL,
    correct    BOOLEAN NOT NULL,
    answers    TEXT    NOT NULL,
    at_ms      BIGINT  NOT NULL,
    attempts   INTEGER NOT NULL,
    PRIMARY KEY (learner_id, course, quiz)
);

-- Every Check a learner pressed, with what the check engine saw.
CREATE TABLE exercise_attempts (
    learner_id TEXT    NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    course     TEXT    NOT NULL,
    exercise   TEXT    NOT NULL,
    attempt    INTEGER NOT NULL,
    passed     BOOLEAN NOT NULL,
    summary    TEXT    NOT NULL,
    evidence   TEXT,
    at_ms      BIGINT  NOT NULL,
    PRIMARY KEY (learner_id, course, exercise, attempt)
);

-- The exercise as the learner and the instructor see it: once passed it stays
-- passed, with the evidence and time of the (latest) pass.
CREATE TABLE exercise_results (
    learner_id TEXT    NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    course     TEXT    NOT NULL,
    exercise   TEXT    NOT NULL,
    passed     BOOLEAN NOT NULL,
    summary    TEXT    NOT NULL,
    evidence   TEXT,
    at_ms      BIGINT  NOT NULL,
    attempts   INTEGER NOT NULL,
    PRIMARY KEY (learner_id, course, exercise)
);
