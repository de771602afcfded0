-- 0003: instructor sessions, each with an id and an expiry, listed and
-- revocable. The instructor's cookie names a row; revoked_ms is set when
-- the session is signed out from the sessions page.

CREATE TABLE instructor_sessions (
    id         TEXT   NOT NULL PRIMARY KEY,
    who        TEXT   NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    revoked_ms BIGINT
);
