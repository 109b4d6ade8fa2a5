-- Customers as records of their own (issue 16): contact details, an owning agent,
-- notes, tags and every address they write from; and the audit trail learns where
-- each change came from.

-- Empty text means "not given" (the forms post empty fields, and a customer's page
-- shows nothing for them), so these need no NULL.
ALTER TABLE customers ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN notes TEXT NOT NULL DEFAULT '';
-- The account manager: an agent or admin (kept when they are deactivated, so the
-- page still says who it was).
ALTER TABLE customers ADD COLUMN owner_id BIGINT REFERENCES users (id);
ALTER TABLE customers ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
-- A deleted record stays as a tombstone without personal data, so its id is never
-- given to another customer (SQLite would reuse the highest id) and its audit trail
-- stays its own.
ALTER TABLE customers ADD COLUMN deleted_at BIGINT;
UPDATE customers SET updated_at = created_at;
CREATE INDEX customers_owner ON customers (owner_id);
-- The list sorts by name and by age, each paged by (key, id).
CREATE INDEX customers_name ON customers (lower(name), id);

-- Every address a customer is known by: the primary one (customers.email) and the
-- aliases. One unique index over all of them makes an address belong to one customer
-- at most, whichever kind it is; mail and the New ticket form match all of them.
CREATE TABLE customer_emails (
    email       TEXT   NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX customer_emails_key ON customer_emails (email);
CREATE INDEX customer_emails_customer ON customer_emails (customer_id);
INSERT INTO customer_emails (email, customer_id, created_at)
    SELECT email, id, created_at FROM customers;

CREATE TABLE customer_tags (
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    tag         TEXT   NOT NULL,
    PRIMARY KEY (customer_id, tag)
);
CREATE INDEX customer_tags_tag ON customer_tags (tag, customer_id);

-- Where a change came from: the client's address (after the configured proxies) and
-- its user agent (at most 300 characters). NULL for changes made by Grip itself.
ALTER TABLE audit_log ADD COLUMN client_ip TEXT;
ALTER TABLE audit_log ADD COLUMN user_agent TEXT;
