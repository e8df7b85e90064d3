-- 0019 (PostgreSQL): accounts (issue 10). Two-factor sign-in, the session list, password
-- reset and invitation links (auth/account.c, auth/totp.c, auth/session.c).
--
-- users.totp_secret: the confirmed TOTP key (RFC 6238, base32), '' = off;
-- totp_pending: a key shown for enrolment, not yet confirmed by a code;
-- totp_last_step: the time step of the last accepted code (a code of that
-- step or an earlier one is refused: a code works once).
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_pending TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- What the session list shows: the browser, its address, when last seen.
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;

-- Single-use links sent by mail: 'reset' (a password reset for user_id,
-- an hour) and 'invite' (a new account for email with role). Only the
-- keyed hash of the link's token is stored; used_at is set when it is used.
CREATE TABLE account_tickets (
  token_hash  TEXT PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('reset', 'invite')),
  user_id     BIGINT REFERENCES users(id) ON DELETE CASCADE,
  email       TEXT NOT NULL,
  role        TEXT NOT NULL DEFAULT '',
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL,
  used_at     BIGINT
);
CREATE INDEX account_tickets_expires ON account_tickets(expires_at);

-- Two-factor recovery codes: keyed hashes, a row deleted when its code is used.
CREATE TABLE recovery_codes (
  user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash   TEXT NOT NULL,
  PRIMARY KEY (user_id, code_hash)
);
