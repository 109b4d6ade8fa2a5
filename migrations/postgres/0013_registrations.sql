-- Asking for a portal account sets no password: it stores a link (only its token's
-- SHA-256) here and emails it; the account exists once the owner of the mailbox
-- opens the link and chooses a password on its page. One row per request, also for
-- an address that has an account already (used_at set: no working link), so
-- requests per address can be counted.
CREATE TABLE registrations (
    token_hash TEXT   PRIMARY KEY,
    email      TEXT   NOT NULL,
    name       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX registrations_email ON registrations (email, created_at);

-- The verification links of the old registration confirmed an account whose
-- password whoever registered had chosen, on a plain GET: none of them works now.
UPDATE email_tokens SET expires_at = 0 WHERE purpose = 'verify' AND used_at IS NULL;
