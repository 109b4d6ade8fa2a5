-- Full-text search (issue 16): tsvector columns with GIN indexes, kept in the writing
-- transaction (generated columns for tickets and messages, triggers for customers,
-- whose text comes from three tables). The 'simple' configuration (no stemming, no
-- stop words) for a help desk written in many languages; punctuation is turned into
-- spaces first, so an address or a host name is split into words as SQLite's
-- unicode61 tokenizer and the query parser (app::search) split it.

CREATE FUNCTION search_words(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT regexp_replace(lower($1), '[^[:alnum:]]+', ' ', 'g') $$;

ALTER TABLE tickets ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple'::regconfig, search_words(title)), 'A')
    || setweight(to_tsvector('simple'::regconfig, search_words(description)), 'B')
) STORED;
CREATE INDEX tickets_search ON tickets USING GIN (search);

-- A deleted note's body is blanked, which takes its words out of the index.
ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (
    to_tsvector('simple'::regconfig, search_words(body))
) STORED;
CREATE INDEX messages_search ON messages USING GIN (search);

-- Customers: name, every address, phone, company and notes. Tombstones (deleted
-- customers) get an empty vector.
ALTER TABLE customers ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector;
CREATE FUNCTION customer_search(cid BIGINT) RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN c.deleted_at IS NOT NULL THEN ''::tsvector ELSE
        setweight(to_tsvector('simple'::regconfig, search_words(c.name)), 'A')
        || setweight(to_tsvector('simple'::regconfig, search_words(coalesce(
               (SELECT string_agg(e.email, ' ') FROM customer_emails e WHERE e.customer_id = c.id), '')
               || ' ' || c.phone)), 'A')
        || setweight(to_tsvector('simple'::regconfig, search_words(coalesce(
               (SELECT co.name FROM companies co WHERE co.id = c.company_id), ''))), 'B')
        || setweight(to_tsvector('simple'::regconfig, search_words(c.notes)), 'C')
    END
    FROM customers c WHERE c.id = cid
$$;
-- The refresh writes only `search`, which none of these triggers watch, so it does not
-- set them off again.
CREATE FUNCTION customers_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'customers' THEN
        UPDATE customers SET search = customer_search(NEW.id) WHERE id = NEW.id;
    ELSIF TG_TABLE_NAME = 'companies' THEN
        UPDATE customers SET search = customer_search(id) WHERE company_id = NEW.id;
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
CREATE TRIGGER customers_search_insert AFTER INSERT ON customers
    FOR EACH ROW EXECUTE FUNCTION customers_search_refresh();
CREATE TRIGGER customers_search_update AFTER UPDATE OF name, email, phone, company_id, notes, deleted_at ON customers
    FOR EACH ROW EXECUTE FUNCTION customers_search_refresh();
CREATE TRIGGER customers_search_emails AFTER INSERT OR UPDATE OR DELETE ON customer_emails
    FOR EACH ROW EXECUTE FUNCTION customers_search_refresh();
CREATE TRIGGER customers_search_company AFTER UPDATE OF name ON companies
    FOR EACH ROW EXECUTE FUNCTION customers_search_refresh();
UPDATE customers SET search = customer_search(id);
CREATE INDEX customers_search ON customers USING GIN (search);
