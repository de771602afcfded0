-- 0004: classes, and instructors beside the first one.
--
-- A class is what learners join with its code. The one class of a server
-- before classes existed becomes the default class ('default', no code):
-- every existing learner is in it, and a learner who joins without a code
-- lands in it, so existing set-ups keep working. courses is a JSON array
-- of course ids, the courses the class takes; [] means every course.
-- Learners point at their class by id without a REFERENCES clause: SQLite
-- cannot add a column with a foreign key and a non-NULL default; the
-- store creates learners only in classes it has read.

CREATE TABLE classes (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    code       TEXT    UNIQUE,
    is_open    BOOLEAN NOT NULL,
    courses    TEXT    NOT NULL,
    created_ms BIGINT  NOT NULL
);

INSERT INTO classes (id, name, code, is_open, courses, created_ms)
VALUES ('default', 'Default class', NULL, TRUE, '[]', 0);

ALTER TABLE learners ADD COLUMN class_id TEXT NOT NULL DEFAULT 'default';

CREATE INDEX learners_by_class ON learners (class_id, created_ms, id);

-- Instructors who sign in with a personal token (the first instructor's
-- token is --instructor-token, kept outside the database). Only the
-- token's SHA-256 is kept: it was printed once, when it was made.
CREATE TABLE instructors (
    id         TEXT   NOT NULL PRIMARY KEY,
    name       TEXT   NOT NULL UNIQUE,
    token_hash TEXT   NOT NULL UNIQUE,
    created_ms BIGINT NOT NULL
);
