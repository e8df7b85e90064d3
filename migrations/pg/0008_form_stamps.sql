-- 0008 (PostgreSQL): the public forms' shared primitives (auth/stamp.c,
-- auth/ratelimit.c), as migrations/0008_form_stamps.sql.
-- A contact-form stamp is single use: each one sent is recorded here until
-- it would have expired anyway (auth_stamp_spend drops older rows).
CREATE TABLE form_stamps_used (
  mac         TEXT PRIMARY KEY,    -- the stamp's MAC (unique per stamp: it covers a nonce)
  expires_at  BIGINT NOT NULL
);
CREATE INDEX form_stamps_used_expires ON form_stamps_used(expires_at);

-- signup_attempts now holds every public form's rate-limit hits (owner:
-- auth/ratelimit.c); each hit drops the rows older than a day by this index.
CREATE INDEX signup_attempts_created ON signup_attempts(created_at);
