-- 0005: learners who sign in with the school's OpenID Connect provider.
--
-- A provider names a person by its issuer and a subject that never changes
-- (iss + sub); the row ties that pair to one learner, so signing in on
-- another device continues the same progress. A learner has at most one
-- identity per issuer in practice, but nothing depends on it.

CREATE TABLE oidc_identities (
    issuer     TEXT   NOT NULL,
    subject    TEXT   NOT NULL,
    learner_id TEXT   NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
