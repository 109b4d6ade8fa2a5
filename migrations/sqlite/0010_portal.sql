-- The customer portal: verified accounts, one-time email links, the outbox, company
-- managers, where a ticket came from and what customers see a stage called.

-- When the account proved it owns its email. Staff accounts are created by an admin
-- and count as verified; a customer who registers is not until the link is opened.
ALTER TABLE users ADD COLUMN verified_at BIGINT;
UPDATE users SET verified_at = created_at;
-- Sessions signed in before this moment are void (set when the password is reset,
-- which signs the account out everywhere else).
ALTER TABLE users ADD COLUMN sessions_after BIGINT NOT NULL DEFAULT 0;

-- A portal account is the customer record with the same (lower-cased) email. A
-- company manager also sees, and answers, every ticket of the customer's company.
ALTER TABLE customers ADD COLUMN company_manager BOOLEAN NOT NULL DEFAULT FALSE;

-- Single-use links sent by email: 'verify' (the address) and 'reset' (the password).
-- Only the SHA-256 of the token is kept, so a database read cannot use a link.
CREATE TABLE email_tokens (
    token_hash TEXT    PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    purpose    TEXT    NOT NULL CHECK (purpose IN ('verify', 'reset')),
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT
);
CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose);

-- Every email Grip sends goes through here: a background task delivers pending mail
-- over SMTP when configured (retrying with back-off), and admins read it in
-- Admin -> Outbox either way.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    to_addr         TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    -- 'pending' (to send), 'sent', 'failed' (gave up), 'kept' (no SMTP configured)
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'kept')),
    attempts        BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    last_error      TEXT,
    created_at      BIGINT  NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_created ON outbox (created_at, id);

-- 'staff' (created by an agent) or 'portal' (submitted by the customer).
ALTER TABLE tickets ADD COLUMN source TEXT NOT NULL DEFAULT 'staff';
-- When the customer last saw something happen: created, a public message, a change
-- of stage. The portal lists a customer's tickets by it. (updated_at is the version
-- the ticket form checks for conflicting edits, which a message must not disturb.)
ALTER TABLE tickets ADD COLUMN activity_at BIGINT NOT NULL DEFAULT 0;
UPDATE tickets SET activity_at = updated_at;
CREATE INDEX tickets_customer_activity ON tickets (customer_id, activity_at, id);

-- What customers see a stage called ("We're on it"); the stage's name when empty.
ALTER TABLE stages ADD COLUMN customer_label TEXT;

-- Teams customers may ask in the portal ("What do you need help with?").
ALTER TABLE teams ADD COLUMN accepts_portal BOOLEAN NOT NULL DEFAULT TRUE;
