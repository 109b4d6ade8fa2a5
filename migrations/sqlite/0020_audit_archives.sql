-- Audit archives (issue 16): rows older than the retention move, a month at a time,
-- to compressed files in the data directory; this table lists them.

-- Ids of archived rows must never be handed out again (a restored month would
-- collide with newer rows), and SQLite reuses the highest id of a plain INTEGER
-- PRIMARY KEY once it is deleted: the trail is rebuilt with AUTOINCREMENT.
CREATE TABLE audit_log_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id   BIGINT REFERENCES users (id),
    entity     TEXT   NOT NULL,
    entity_id  BIGINT NOT NULL,
    action     TEXT   NOT NULL,
    field      TEXT,
    old_value  TEXT,
    new_value  TEXT,
    at         BIGINT NOT NULL,
    client_ip  TEXT,
    user_agent TEXT
);
INSERT INTO audit_log_new (id, actor_id, entity, entity_id, action, field, old_value, new_value, at, client_ip, user_agent)
    SELECT id, actor_id, entity, entity_id, action, field, old_value, new_value, at, client_ip, user_agent FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, at);

-- Finding a month's rows (and the oldest row) without reading the whole trail.
CREATE INDEX audit_log_at ON audit_log (at, id);

CREATE TABLE audit_archives (
    month       TEXT   PRIMARY KEY,  -- YYYY-MM (UTC)
    file        TEXT   NOT NULL,     -- its name in <data_dir>/audit-archive
    row_count   BIGINT NOT NULL,
    bytes       BIGINT NOT NULL,
    archived_at BIGINT NOT NULL,
    -- Set when the month was put back into the database: it is then left alone by
    -- the retention until an admin archives it again.
    restored_at BIGINT
);
