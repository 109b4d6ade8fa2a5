-- A merged duplicate points at the ticket it was merged into; its old number
-- redirects there.
ALTER TABLE tickets ADD COLUMN merged_into BIGINT REFERENCES tickets (id);

-- Links between tickets. kind 'related' is symmetric; kind 'parent' points from the
-- parent (from_ticket) to the child (to_ticket). One link per pair of tickets.
CREATE TABLE ticket_links (
    from_ticket BIGINT NOT NULL REFERENCES tickets (id),
    to_ticket   BIGINT NOT NULL REFERENCES tickets (id),
    kind        TEXT   NOT NULL CHECK (kind IN ('related', 'parent')),
    created_by  BIGINT REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (from_ticket, to_ticket)
);
CREATE INDEX ticket_links_to ON ticket_links (to_ticket);

-- Time spent on tickets: logged by hand (minutes set), or a running timer (minutes
-- NULL, started_at set) that becomes an entry when stopped.
CREATE TABLE time_entries (
    id         INTEGER PRIMARY KEY,
    ticket_id  BIGINT  NOT NULL REFERENCES tickets (id),
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    started_at BIGINT,
    minutes    BIGINT,
    note       TEXT    NOT NULL DEFAULT '',
    -- The day the work was done, YYYY-MM-DD.
    day        TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX time_entries_ticket ON time_entries (ticket_id, day);
-- One running timer per person, whatever two requests try at once.
CREATE UNIQUE INDEX time_entries_running ON time_entries (user_id) WHERE minutes IS NULL;
