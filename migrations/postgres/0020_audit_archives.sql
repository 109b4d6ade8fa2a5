-- Audit archives (issue 16): rows older than the retention move, a month at a time,
-- to compressed files in the data directory; this table lists them.
-- (An identity column never hands out an id again, so restored rows keep theirs.)

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
