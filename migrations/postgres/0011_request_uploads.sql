-- A customer attaches files to a new portal request before the ticket exists: such
-- an upload is pending with no ticket (ticket_id NULL, message_id NULL, seen by its
-- uploader only) until the request is sent, which gives it the new ticket and its
-- first message.
ALTER TABLE attachments ALTER COLUMN ticket_id DROP NOT NULL;
CREATE INDEX attachments_uploader_pending ON attachments (uploader_id) WHERE message_id IS NULL;
