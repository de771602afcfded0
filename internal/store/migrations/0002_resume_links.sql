-- 0002: a personal resume link per learner, to continue on another device.
--
-- One link per learner: issuing a new one replaces the row, so the old link
-- stops working. The token is kept as it is (not hashed) so that the learner
-- and the instructor can show it again; it opens one learner's progress and
-- lab, no more than the learner's cookie does.

CREATE TABLE resume_links (
    learner_id TEXT   NOT NULL PRIMARY KEY REFERENCES learners (id) ON DELETE CASCADE,
    token      TEXT   NOT NULL UNIQUE,
    created_ms BIGINT NOT NULL
);
