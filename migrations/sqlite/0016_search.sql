-- Full-text search (issue 16): FTS5 indexes kept by triggers, so every write that
-- changes indexed text updates the index in its own transaction, whichever code path
-- wrote it. unicode61 splits text at anything that is not a letter or digit, as the
-- query parser (app::search) does; `prefix` indexes make "as you type" prefixes cheap.

-- Tickets: title and description, read back from the tickets table (external content:
-- the text is stored once). A ticket's messages are indexed on their own, below, and a
-- search joins them to their ticket, so a merge (messages change ticket) needs nothing.
CREATE VIRTUAL TABLE tickets_fts USING fts5 (
    title, description,
    content = 'tickets', content_rowid = 'id', prefix = '2 3'
);
INSERT INTO tickets_fts (tickets_fts) VALUES ('rebuild');
CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO tickets_fts (rowid, title, description) VALUES (new.id, new.title, new.description);
END;
CREATE TRIGGER tickets_fts_update AFTER UPDATE OF title, description ON tickets BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
    INSERT INTO tickets_fts (rowid, title, description) VALUES (new.id, new.title, new.description);
END;
CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
END;

-- Messages: public replies and internal notes alike; a search for a customer joins
-- messages and keeps only public ones. A deleted note's body is blanked, which takes
-- its words out of the index.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body,
    content = 'messages', content_rowid = 'id', prefix = '2 3'
);
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;

-- Customers: name, every address, phone, company and notes, gathered from three
-- tables, so the index keeps its own copy (rowid = customer id). Tombstones (deleted
-- customers) are not indexed.
CREATE VIRTUAL TABLE customers_fts USING fts5 (name, emails, phone, company, notes, prefix = '2 3');
CREATE TABLE customers_fts_refresh (customer_id BIGINT NOT NULL);
-- Refreshing a customer's row is written once, in this trigger; the others insert the
-- id to refresh into customers_fts_refresh (the row is removed again at once).
CREATE TRIGGER customers_fts_refresh_row AFTER INSERT ON customers_fts_refresh BEGIN
    DELETE FROM customers_fts WHERE rowid = new.customer_id;
    INSERT INTO customers_fts (rowid, name, emails, phone, company, notes)
        SELECT c.id, c.name,
               coalesce((SELECT group_concat(e.email, ' ') FROM customer_emails e WHERE e.customer_id = c.id), ''),
               c.phone,
               coalesce((SELECT co.name FROM companies co WHERE co.id = c.company_id), ''),
               c.notes
          FROM customers c WHERE c.id = new.customer_id AND c.deleted_at IS NULL;
    DELETE FROM customers_fts_refresh WHERE customer_id = new.customer_id;
END;
CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customers_fts_refresh (customer_id) VALUES (new.id);
END;
CREATE TRIGGER customers_fts_update AFTER UPDATE OF name, email, phone, company_id, notes, deleted_at ON customers BEGIN
    INSERT INTO customers_fts_refresh (customer_id) VALUES (new.id);
END;
CREATE TRIGGER customers_fts_emails_insert AFTER INSERT ON customer_emails BEGIN
    INSERT INTO customers_fts_refresh (customer_id) VALUES (new.customer_id);
END;
CREATE TRIGGER customers_fts_emails_update AFTER UPDATE ON customer_emails BEGIN
    INSERT INTO customers_fts_refresh (customer_id) VALUES (old.customer_id);
    INSERT INTO customers_fts_refresh (customer_id) VALUES (new.customer_id);
END;
CREATE TRIGGER customers_fts_emails_delete AFTER DELETE ON customer_emails BEGIN
    INSERT INTO customers_fts_refresh (customer_id) VALUES (old.customer_id);
END;
CREATE TRIGGER customers_fts_company_name AFTER UPDATE OF name ON companies BEGIN
    INSERT INTO customers_fts_refresh (customer_id) SELECT id FROM customers WHERE company_id = new.id;
END;
INSERT INTO customers_fts_refresh (customer_id) SELECT id FROM customers;
