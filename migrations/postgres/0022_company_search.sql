-- Companies in the full-text index (issue 16): name, domains and notes, found the way
-- customers are (before, a LIKE over every company). A deleted company (a tombstone)
-- gets an empty vector.
ALTER TABLE companies ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector;
CREATE FUNCTION company_search(cid BIGINT) RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN co.deleted_at IS NOT NULL THEN ''::tsvector ELSE
        setweight(to_tsvector('simple'::regconfig, search_words(co.name)), 'A')
        || setweight(to_tsvector('simple'::regconfig, search_words(coalesce(
               (SELECT string_agg(d.domain, ' ') FROM company_domains d WHERE d.company_id = co.id), ''))), 'A')
        || setweight(to_tsvector('simple'::regconfig, search_words(co.notes)), 'C')
    END
    FROM companies co WHERE co.id = cid
$$;
-- The refresh writes only `search`, which none of these triggers watch.
CREATE FUNCTION companies_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'companies' THEN
        UPDATE companies SET search = company_search(NEW.id) WHERE id = NEW.id;
    ELSE
        IF TG_OP <> 'INSERT' THEN
            UPDATE companies SET search = company_search(OLD.company_id) WHERE id = OLD.company_id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            UPDATE companies SET search = company_search(NEW.company_id) WHERE id = NEW.company_id;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER companies_search_insert AFTER INSERT ON companies
    FOR EACH ROW EXECUTE FUNCTION companies_search_refresh();
CREATE TRIGGER companies_search_update AFTER UPDATE OF name, notes, deleted_at ON companies
    FOR EACH ROW EXECUTE FUNCTION companies_search_refresh();
CREATE TRIGGER companies_search_domains AFTER INSERT OR DELETE OR UPDATE ON company_domains
    FOR EACH ROW EXECUTE FUNCTION companies_search_refresh();
UPDATE companies SET search = company_search(id);
CREATE INDEX companies_search ON companies USING GIN (search);

-- A ticket's two vectors (about 1 kB each) made its row too long to keep inline, so
-- Postgres moved them to the TOAST table, and testing the newest tickets one by one
-- (the first step of a search, app::search::store::Walk) read each vector through
-- the TOAST index: half the cost of the walk. MAIN keeps them in the row (compressed
-- when that helps) unless a row no longer fits a page. Rows written from now on.
ALTER TABLE ticket_search ALTER COLUMN staff SET STORAGE MAIN, ALTER COLUMN public SET STORAGE MAIN;
