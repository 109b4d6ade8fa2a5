-- Merging duplicate customers (issue 16), and finding likely duplicates.

-- A merged customer stays as a tombstone pointing at the survivor (deleted_at set),
-- so links to it lead somewhere and the merge can be undone.
ALTER TABLE customers ADD COLUMN merged_into BIGINT REFERENCES customers (id);

-- Each merge with what it moved (JSON: the merged record as it was, the ids of the
-- tickets and messages, the addresses, tags and memberships, and what the survivor
-- had before), so it can be undone for a day.
CREATE TABLE customer_merges (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    survivor_id BIGINT NOT NULL REFERENCES customers (id),
    merged_id   BIGINT NOT NULL REFERENCES customers (id),
    actor_id    BIGINT REFERENCES users (id),
    at          BIGINT NOT NULL,
    moved       TEXT   NOT NULL,
    undone_at   BIGINT
);
CREATE INDEX customer_merges_survivor ON customer_merges (survivor_id, at);
CREATE INDEX customer_merges_merged ON customer_merges (merged_id);

-- Likely duplicates share a phone number however it was written (digits and a
-- leading + only), or a name and a company.
CREATE INDEX customers_phone_digits ON customers (
    replace(replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''), '.', ''), '(', ''), ')', ''), '/', ''))
    WHERE phone <> '' AND deleted_at IS NULL;
CREATE INDEX customers_company_name ON customers (company_id, lower(name)) WHERE deleted_at IS NULL;
