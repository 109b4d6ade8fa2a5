-- A customer attaches files to a new portal request before the ticket exists: such
-- an upload is pending with no ticket (ticket_id NULL, message_id NULL, seen by its
-- uploader only) until the request is sent, which gives it the new ticket and its
-- first message. SQLite cannot drop a NOT NULL constraint, so the table is rebuilt
-- (nothing refers to it).
CREATE TABLE attachments_next (
    id           INTEGER PRIMARY KEY,
    ticket_id    BIGINT REFERENCES tickets (id),
    message_id   BIGINT REFERENCES messages (id),
    uploader_id  BIGINT REFERENCES users (id),
    sha256       TEXT   NOT NULL REFERENCES files (sha256),
    name         TEXT   NOT NULL,
    content_type TEXT   NOT NULL,
    size         BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
INSERT INTO attachments_next (id, ticket_id, message_id, uploader_id, sha256, name, content_type, size, created_at)
    SELECT id, ticket_id, message_id, uploader_id, sha256, name, content_type, size, created_at FROM attachments;
DROP TABLE attachments;
ALTER TABLE attachments_next RENAME TO attachments;
CREATE INDEX attachments_message ON attachments (message_id);
CREATE INDEX attachments_ticket ON attachments (ticket_id, message_id);
CREATE INDEX attachments_sha ON attachments (sha256);
CREATE INDEX attachments_pending ON attachments (created_at) WHERE message_id IS NULL;
CREATE INDEX attachments_uploader_pending ON attachments (uploader_id) WHERE message_id IS NULL;
