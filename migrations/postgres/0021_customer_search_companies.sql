-- A customer is found by the name of every company they belong to, not only their
-- primary one (issue 16: people in several companies).
CREATE OR REPLACE FUNCTION customer_search(cid BIGINT) RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN c.deleted_at IS NOT NULL THEN ''::tsvector ELSE
        setweight(to_tsvector('simple'::regconfig, search_words(c.name)), 'A')
        || setweight(to_tsvector('simple'::regconfig, search_words(coalesce(
               (SELECT string_agg(e.email, ' ') FROM customer_emails e WHERE e.customer_id = c.id), '')
               || ' ' || c.phone)), 'A')
        || setweight(to_tsvector('simple'::regconfig, search_words(coalesce(
               (SELECT string_agg(co.name, ' ') FROM company_members m
                  JOIN companies co ON co.id = m.company_id
                 WHERE m.customer_id = c.id AND co.deleted_at IS NULL), ''))), 'B')
        || setweight(to_tsvector('simple'::regconfig, search_words(c.notes)), 'C')
    END
    FROM customers c WHERE c.id = cid
$$;
-- A company's new name reaches every member; company_members rows (like
-- customer_emails) refresh the customer they name.
CREATE OR REPLACE FUNCTION customers_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'customers' THEN
        UPDATE customers SET search = customer_search(NEW.id) WHERE id = NEW.id;
    ELSIF TG_TABLE_NAME = 'companies' THEN
        UPDATE customers SET search = customer_search(id)
         WHERE id IN (SELECT customer_id FROM company_members WHERE company_id = NEW.id);
    ELSE
        IF TG_OP <> 'INSERT' THEN
            UPDATE customers SET search = customer_search(OLD.customer_id) WHERE id = OLD.customer_id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            UPDATE customers SET search = customer_search(NEW.customer_id) WHERE id = NEW.customer_id;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER customers_search_members AFTER INSERT OR DELETE OR UPDATE OF customer_id, company_id ON company_members
    FOR EACH ROW EXECUTE FUNCTION customers_search_refresh();
UPDATE customers SET search = customer_search(id)
 WHERE id IN (SELECT customer_id FROM company_members GROUP BY customer_id HAVING COUNT(*) > 1);
