-- Uploaded files, stored once per content under the data directory, named by their
-- SHA-256 (the same file attached twice is stored once). A row here exists exactly
-- while some attachment refers to the content; the last reference going removes it
-- and the file.
CREATE TABLE files (
    sha256     TEXT   PRIMARY KEY,
    size       BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A file attached to a message, with the name and type it was uploaded with. Files
-- are uploaded while the message is written (message_id NULL: seen by the uploader
-- only) and tied to the message when it is sent; uploads never sent are removed
-- after a day.
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    ticket_id    BIGINT NOT NULL REFERENCES tickets (id),
    message_id   BIGINT REFERENCES messages (id),
    uploader_id  BIGINT REFERENCES users (id),
    sha256       TEXT   NOT NULL REFERENCES files (sha256),
    name         TEXT   NOT NULL,
    content_type TEXT   NOT NULL,
    size         BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);
CREATE INDEX attachments_ticket ON attachments (ticket_id, message_id);
CREATE INDEX attachments_sha ON attachments (sha256);
CREATE INDEX attachments_pending ON attachments (created_at) WHERE message_id IS NULL;
