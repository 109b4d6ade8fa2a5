-- Ticket search as one document per ticket (issue 16). 0016 indexed titles and each
-- message on their own, so a search joined every matching message back to its ticket
-- before it could take the newest tickets: 1-2 s a search at 3,000,000 messages. Here
-- each ticket is one row of one FTS5 table (rowid = ticket id), so a search is one
-- MATCH walked newest first that stops at the number it needs.
--
-- Columns: the title, the description, the public messages, the internal notes; staff
-- match every column, a customer `{title description public}` only. Contentless (the
-- text lives in tickets and messages) with contentless_delete, so a ticket's row can be
-- replaced when its text changes. Words split as in 0016 (unicode61). Prefixes of 2 to
-- 5 characters are indexed, so a word being typed is walked newest first like a
-- whole word; a longer prefix is gathered whole (app::search::store::SQLITE_PREFIXES).
DROP TRIGGER tickets_fts_insert;
DROP TRIGGER tickets_fts_update;
DROP TRIGGER tickets_fts_delete;
DROP TABLE tickets_fts;
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
DROP TABLE messages_fts;

CREATE VIRTUAL TABLE ticket_search USING fts5 (
    title, description, public, notes,
    content = '', contentless_delete = 1, prefix = '2 3 4 5'
);
-- Rebuilding a ticket's row is written once, in this trigger; the others insert the
-- ticket's id here (the row is removed again at once), as customers_fts_refresh does.
-- Deleted messages (their body is blanked) and merged-away messages (moved to the
-- ticket merged into) are not the ticket's any more.
CREATE TABLE ticket_search_refresh (ticket_id BIGINT NOT NULL);
CREATE TRIGGER ticket_search_refresh_row AFTER INSERT ON ticket_search_refresh BEGIN
    DELETE FROM ticket_search WHERE rowid = new.ticket_id;
    INSERT INTO ticket_search (rowid, title, description, public, notes)
        SELECT t.id, t.title, t.description,
               coalesce((SELECT group_concat(m.body, ' ') FROM messages m
                          WHERE m.ticket_id = t.id AND m.internal = FALSE AND m.deleted_at IS NULL), ''),
               coalesce((SELECT group_concat(m.body, ' ') FROM messages m
                          WHERE m.ticket_id = t.id AND m.internal = TRUE AND m.deleted_at IS NULL), '')
          FROM tickets t WHERE t.id = new.ticket_id;
    DELETE FROM ticket_search_refresh WHERE ticket_id = new.ticket_id;
END;
CREATE TRIGGER ticket_search_ticket_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_search_refresh (ticket_id) VALUES (new.id);
END;
CREATE TRIGGER ticket_search_ticket_update AFTER UPDATE OF title, description ON tickets BEGIN
    INSERT INTO ticket_search_refresh (ticket_id) VALUES (new.id);
END;
CREATE TRIGGER ticket_search_ticket_delete AFTER DELETE ON tickets BEGIN
    DELETE FROM ticket_search WHERE rowid = old.id;
END;
CREATE TRIGGER ticket_search_message_insert AFTER INSERT ON messages BEGIN
    INSERT INTO ticket_search_refresh (ticket_id) VALUES (new.ticket_id);
END;
CREATE TRIGGER ticket_search_message_update AFTER UPDATE OF body, internal, ticket_id, deleted_at ON messages BEGIN
    INSERT INTO ticket_search_refresh (ticket_id) VALUES (old.ticket_id);
    INSERT INTO ticket_search_refresh (ticket_id) SELECT new.ticket_id WHERE new.ticket_id <> old.ticket_id;
END;
CREATE TRIGGER ticket_search_message_delete AFTER DELETE ON messages BEGIN
    INSERT INTO ticket_search_refresh (ticket_id) VALUES (old.ticket_id);
END;
INSERT INTO ticket_search_refresh (ticket_id) SELECT id FROM tickets;
