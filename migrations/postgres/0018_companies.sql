-- Companies as records of their own (issue 16): notes, an owning agent, tags, the
-- email domains that are theirs, and members with a role; a customer may belong to
-- several companies, and every ticket says which company it is for.

ALTER TABLE companies ADD COLUMN notes TEXT NOT NULL DEFAULT '';
ALTER TABLE companies ADD COLUMN owner_id BIGINT REFERENCES users (id);
-- Whether a new customer whose address is at one of the company's domains joins it.
ALTER TABLE companies ADD COLUMN auto_join BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE companies ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
UPDATE companies SET updated_at = created_at;
-- A deleted company stays as a tombstone (its id is never another's, its history
-- stays its own); its name may be taken again.
ALTER TABLE companies ADD COLUMN deleted_at BIGINT;
DROP INDEX companies_name_key;
CREATE UNIQUE INDEX companies_name_key ON companies (lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX companies_owner ON companies (owner_id);

-- A domain (lower case, without "@") belongs to one company at most.
CREATE TABLE company_domains (
    domain     TEXT   NOT NULL PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies (id)
);
CREATE INDEX company_domains_company ON company_domains (company_id);

CREATE TABLE company_tags (
    company_id BIGINT NOT NULL REFERENCES companies (id),
    tag        TEXT   NOT NULL,
    PRIMARY KEY (company_id, tag)
);
CREATE INDEX company_tags_tag ON company_tags (tag, company_id);

-- Who belongs to which company, and whether they manage it (a manager sees, in the
-- portal, every ticket that is for the company). customers.company_id stays the
-- customer's primary company (the one lists show and new tickets are for); it is
-- always one of these rows, kept so by the triggers below.
-- customers.company_manager is no longer read: the role lives here.
CREATE TABLE company_members (
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    company_id  BIGINT NOT NULL REFERENCES companies (id),
    role        TEXT   NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'manager')),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (customer_id, company_id)
);
CREATE INDEX company_members_company ON company_members (company_id, role, customer_id);
INSERT INTO company_members (customer_id, company_id, role, created_at)
    SELECT id, company_id, CASE WHEN company_manager THEN 'manager' ELSE 'member' END, created_at
      FROM customers WHERE company_id IS NOT NULL AND deleted_at IS NULL;

-- The company a ticket is for: chosen by the customer in the portal when they are in
-- several, otherwise their primary company when the ticket was created. A company
-- manager sees the tickets that are for the companies they manage.
ALTER TABLE tickets ADD COLUMN company_id BIGINT REFERENCES companies (id);
UPDATE tickets SET company_id = (SELECT c.company_id FROM customers c WHERE c.id = tickets.customer_id);
CREATE INDEX tickets_company ON tickets (company_id, id);

-- Whoever writes a customer's primary company (a form, an import, the seed), the
-- membership follows: a new customer with a company is its member, and moving the
-- primary company moves the membership (a member of the new company, never its
-- manager by the move: managing one company says nothing about another).
-- Before a new customer is stored without a company, one whose domain is theirs and
-- who take their domain's people gives it.
CREATE FUNCTION customers_company_by_domain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.company_id IS NULL THEN
        NEW.company_id := (
            SELECT d.company_id FROM company_domains d JOIN companies co ON co.id = d.company_id
             WHERE d.domain = split_part(NEW.email, '@', 2) AND co.auto_join = TRUE);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER customers_company_by_domain BEFORE INSERT ON customers
    FOR EACH ROW EXECUTE FUNCTION customers_company_by_domain();

CREATE FUNCTION customers_company_membership() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.company_id IS NOT NULL THEN
        DELETE FROM company_members WHERE customer_id = NEW.id AND company_id = OLD.company_id;
    END IF;
    IF NEW.company_id IS NOT NULL THEN
        INSERT INTO company_members (customer_id, company_id, role, created_at)
        VALUES (NEW.id, NEW.company_id, 'member', NEW.updated_at)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER customers_company_insert AFTER INSERT ON customers
    FOR EACH ROW EXECUTE FUNCTION customers_company_membership();
CREATE TRIGGER customers_company_update AFTER UPDATE OF company_id ON customers
    FOR EACH ROW WHEN (NEW.company_id IS DISTINCT FROM OLD.company_id)
    EXECUTE FUNCTION customers_company_membership();
