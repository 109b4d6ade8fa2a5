-- A customer is found by the name of every company they belong to, not only their
-- primary one (issue 16: people in several companies).
DROP TRIGGER customers_fts_refresh_row;
CREATE TRIGGER customers_fts_refresh_row AFTER INSERT ON customers_fts_refresh BEGIN
    DELETE FROM customers_fts WHERE rowid = new.customer_id;
    INSERT INTO customers_fts (rowid, name, emails, phone, company, notes)
        SELECT c.id, c.name,
               coalesce((SELECT group_concat(e.email, ' ') FROM customer_emails e WHERE e.customer_id = c.id), ''),
               c.phone,
               coalesce((SELECT group_concat(co.name, ' ') FROM company_members m
                           JOIN companies co ON co.id = m.company_id
                          WHERE m.customer_id = c.id AND co.deleted_at IS NULL), ''),
               c.notes
          FROM customers c WHERE c.id = new.customer_id AND c.deleted_at IS NULL;
    DELETE FROM customers_fts_refresh WHERE customer_id = new.customer_id;
END;
DROP TRIGGER customers_fts_company_name;
CREATE TRIGGER customers_fts_company_name AFTER UPDATE OF name ON companies BEGIN
    INSERT INTO customers_fts_refresh (customer_id)
        SELECT customer_id FROM company_members WHERE company_id = new.id;
END;
CREATE TRIGGER customers_fts_members_insert AFTER INSERT ON company_members BEGIN
    INSERT INTO customers_fts_refresh (customer_id) VALUES (new.customer_id);
END;
CREATE TRIGGER customers_fts_members_update AFTER UPDATE OF customer_id, company_id ON company_members BEGIN
    INSERT INTO customers_fts_refresh (customer_id) VALUES (old.customer_id);
    INSERT INTO customers_fts_refresh (customer_id) VALUES (new.customer_id);
END;
CREATE TRIGGER customers_fts_members_delete AFTER DELETE ON company_members BEGIN
    INSERT INTO customers_fts_refresh (customer_id) VALUES (old.customer_id);
END;
INSERT INTO customers_fts_refresh (customer_id)
    SELECT customer_id FROM company_members GROUP BY customer_id HAVING COUNT(*) > 1;
