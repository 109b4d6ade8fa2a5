-- Ticket search as one document per ticket (issue 16). 0016 indexed titles and each
-- message on their own, so a search joined every matching message back to its ticket
-- (and a condition like `t.id IN (… messages …)` under OR/NOT could make Postgres
-- rescan a subplan per ticket: minutes at 3,000,000 messages). Here each ticket has one
-- row in ticket_search with two vectors: `staff` (title, description, every message
-- and note) and `public` (title, description, public messages: what its customer may
-- match). Kept by triggers in the writing transaction; a new message is appended to
-- the vectors, anything else that changes a ticket's text rebuilds its row. Its own
-- table, so moving a ticket (stage, assignee) never rewrites or reindexes its text.
ALTER TABLE messages DROP COLUMN search;
ALTER TABLE tickets DROP COLUMN search;

CREATE TABLE ticket_search (
    ticket_id BIGINT   PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    staff     tsvector NOT NULL,
    public    tsvector NOT NULL
);

CREATE FUNCTION search_vector(body text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_tsvector('simple'::regconfig, search_words(body)) $$;

-- Writes ticket `tid`'s row from its current text. Deleted messages (their body is
-- blanked) and merged-away messages (moved to the ticket merged into) are not the
-- ticket's any more.
CREATE FUNCTION ticket_search_rebuild(tid BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO ticket_search (ticket_id, staff, public)
    SELECT t.id, head || pub || notes, head || pub
      FROM tickets t,
           LATERAL (SELECT setweight(search_vector(t.title), 'A')
                           || setweight(search_vector(t.description), 'B') AS head) h,
           LATERAL (SELECT search_vector(coalesce(string_agg(m.body, ' ' ORDER BY m.id), '')) AS pub
                      FROM messages m
                     WHERE m.ticket_id = t.id AND m.internal = FALSE AND m.deleted_at IS NULL) p,
           LATERAL (SELECT search_vector(coalesce(string_agg(m.body, ' ' ORDER BY m.id), '')) AS notes
                      FROM messages m
                     WHERE m.ticket_id = t.id AND m.internal = TRUE AND m.deleted_at IS NULL) n
     WHERE t.id = tid
    ON CONFLICT (ticket_id) DO UPDATE SET staff = EXCLUDED.staff, public = EXCLUDED.public
$$;

-- New tickets and new messages, once per statement (a bulk import or the seed writes
-- thousands in one): a ticket's row is created with its title and description, new
-- messages are appended to their tickets' vectors (a reply costs its own words, not a
-- rebuild of the thread).
CREATE FUNCTION ticket_search_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'tickets' THEN
        INSERT INTO ticket_search (ticket_id, staff, public)
        SELECT id, head, head
          FROM (SELECT id, setweight(search_vector(title), 'A')
                           || setweight(search_vector(description), 'B') AS head
                  FROM new_rows) n;
    ELSE
        UPDATE ticket_search s
           SET staff = s.staff || a.every, public = s.public || a.pub
          FROM (SELECT ticket_id,
                       search_vector(string_agg(body, ' ' ORDER BY id)) AS every,
                       search_vector(coalesce(string_agg(body, ' ' ORDER BY id)
                                              FILTER (WHERE internal = FALSE), '')) AS pub
                  FROM new_rows WHERE deleted_at IS NULL GROUP BY ticket_id) a
         WHERE s.ticket_id = a.ticket_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER ticket_search_tickets_insert AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_search_added();
CREATE TRIGGER ticket_search_messages_insert AFTER INSERT ON messages
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_search_added();

-- An edited title or description rebuilds the ticket's row.
CREATE FUNCTION ticket_search_ticket_edited() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ticket_search_rebuild(NEW.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER ticket_search_ticket_update AFTER UPDATE OF title, description ON tickets
    FOR EACH ROW EXECUTE FUNCTION ticket_search_ticket_edited();

-- Changed or deleted messages (a deleted note, a merge moving a thread): once per
-- statement, each ticket touched rebuilt once, so a merge of a long thread is not a
-- rebuild per message.
CREATE FUNCTION ticket_search_messages_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM ticket_search_rebuild(d.ticket_id) FROM (SELECT DISTINCT ticket_id FROM old_rows) d;
    ELSE
        PERFORM ticket_search_rebuild(d.ticket_id) FROM (
            SELECT o.ticket_id FROM old_rows o JOIN new_rows n ON n.id = o.id
             WHERE (o.body, o.internal, o.ticket_id, o.deleted_at)
                   IS DISTINCT FROM (n.body, n.internal, n.ticket_id, n.deleted_at)
            UNION
            SELECT n.ticket_id FROM old_rows o JOIN new_rows n ON n.id = o.id
             WHERE (o.body, o.internal, o.ticket_id, o.deleted_at)
                   IS DISTINCT FROM (n.body, n.internal, n.ticket_id, n.deleted_at)) d;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER ticket_search_messages_update AFTER UPDATE ON messages
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_search_messages_changed();
CREATE TRIGGER ticket_search_messages_delete AFTER DELETE ON messages
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_search_messages_changed();

SELECT ticket_search_rebuild(id) FROM tickets;
CREATE INDEX ticket_search_staff ON ticket_search USING GIN (staff);
CREATE INDEX ticket_search_public ON ticket_search USING GIN (public);
