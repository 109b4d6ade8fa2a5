-- Accounts, sign-in throttling and the audit trail.
-- Times are UTC milliseconds since the epoch (BIGINT on both backends), so one Rust
-- type and one query serve SQLite and Postgres alike.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    -- Stored lower-cased by Email::parse, so a plain unique index makes email
    -- unique case-insensitively on both backends.
    email         TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'lead', 'agent', 'customer')),
    password_hash TEXT    NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_role ON users (role, active);

-- One-off facts about the installation. The primary key makes "the first admin was
-- created" a single atomic insert, so two racing /setup submissions cannot both win.
CREATE TABLE app_settings (
    key        TEXT   PRIMARY KEY,
    value      TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Failed sign-ins, for throttling by email and by client address. Kept in the
-- database (not in memory) so every instance behind a load balancer counts the same.
CREATE TABLE login_failures (
    id         INTEGER PRIMARY KEY,
    email      TEXT   NOT NULL,
    ip         TEXT   NOT NULL,
    failed_at  BIGINT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, failed_at);
CREATE INDEX login_failures_ip ON login_failures (ip, failed_at);

-- Who changed what, when. Ticket changes will write here in the same transaction.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    actor_id  BIGINT REFERENCES users (id),
    entity    TEXT   NOT NULL,
    entity_id BIGINT NOT NULL,
    action    TEXT   NOT NULL,
    field     TEXT,
    old_value TEXT,
    new_value TEXT,
    at        BIGINT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, at);
