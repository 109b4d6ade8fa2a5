-- Companies in the full-text index (issue 16): name, domains and notes, found the way
-- customers are (before, a LIKE over every company). Gathered from two tables, so the
-- index keeps its own copy (rowid = company id), refreshed through
-- companies_fts_refresh like customers_fts. Deleted companies are not indexed.
CREATE VIRTUAL TABLE companies_fts USING fts5 (name, domains, notes, prefix = '2 3');
CREATE TABLE companies_fts_refresh (company_id BIGINT NOT NULL);
CREATE TRIGGER companies_fts_refresh_row AFTER INSERT ON companies_fts_refresh BEGIN
    DELETE FROM companies_fts WHERE rowid = new.company_id;
    INSERT INTO companies_fts (rowid, name, domains, notes)
        SELECT co.id, co.name,
               coalesce((SELECT group_concat(d.domain, ' ') FROM company_domains d WHERE d.company_id = co.id), ''),
               co.notes
          FROM companies co WHERE co.id = new.company_id AND co.deleted_at IS NULL;
    DELETE FROM companies_fts_refresh WHERE company_id = new.company_id;
END;
CREATE TRIGGER companies_fts_insert AFTER INSERT ON companies BEGIN
    INSERT INTO companies_fts_refresh (company_id) VALUES (new.id);
END;
CREATE TRIGGER companies_fts_update AFTER UPDATE OF name, notes, deleted_at ON companies BEGIN
    INSERT INTO companies_fts_refresh (company_id) VALUES (new.id);
END;
CREATE TRIGGER companies_fts_domains_insert AFTER INSERT ON company_domains BEGIN
    INSERT INTO companies_fts_refresh (company_id) VALUES (new.company_id);
END;
CREATE TRIGGER companies_fts_domains_update AFTER UPDATE ON company_domains BEGIN
    INSERT INTO companies_fts_refresh (company_id) VALUES (old.company_id);
    INSERT INTO companies_fts_refresh (company_id) VALUES (new.company_id);
END;
CREATE TRIGGER companies_fts_domains_delete AFTER DELETE ON company_domains BEGIN
    INSERT INTO companies_fts_refresh (company_id) VALUES (old.company_id);
END;
INSERT INTO companies_fts_refresh (company_id) SELECT id FROM companies;
