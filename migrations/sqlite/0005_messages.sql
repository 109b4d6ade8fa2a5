-- A ticket's conversation: public replies (the customer sees them) and internal
-- notes (staff only). Messages are never edited. The author of an internal note may
-- delete it within ten minutes: the body is blanked and deleted_at/deleted_by stay
-- as the marker, so the thread and the audit trail both show that it happened.
CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,
    ticket_id   BIGINT  NOT NULL REFERENCES tickets (id),
    -- The account that wrote it: staff, or a customer's portal account.
    author_id   BIGINT  REFERENCES users (id),
    -- Set when the customer wrote it (portal, later email), so the thread can say so
    -- even for a customer without an account.
    customer_id BIGINT  REFERENCES customers (id),
    internal    BOOLEAN NOT NULL,
    body        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    deleted_at  BIGINT,
    deleted_by  BIGINT  REFERENCES users (id)
);
-- The thread reads a ticket's messages in time order.
CREATE INDEX messages_ticket ON messages (ticket_id, created_at, id);
