-- Teams and their pipelines, customers and companies, tickets, tags.

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    archived   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT  NOT NULL
);
CREATE UNIQUE INDEX teams_name_key ON teams (lower(name));

CREATE TABLE team_members (
    team_id BIGINT NOT NULL REFERENCES teams (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- A team's pipeline, ordered by position. kind decides what entering the stage
-- means: 'done' sets a ticket's completed_at, leaving it clears it.
CREATE TABLE stages (
    id        INTEGER PRIMARY KEY,
    team_id   BIGINT  NOT NULL REFERENCES teams (id),
    name      TEXT    NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('open', 'waiting', 'done')),
    position  INTEGER NOT NULL,
    wip_limit INTEGER CHECK (wip_limit IS NULL OR wip_limit > 0)
);
CREATE INDEX stages_team ON stages (team_id, position);

CREATE TABLE companies (
    id         INTEGER PRIMARY KEY,
    name       TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX companies_name_key ON companies (lower(name));

CREATE TABLE customers (
    id         INTEGER PRIMARY KEY,
    name       TEXT   NOT NULL,
    -- lower-cased by Email::parse: unique case-insensitively
    email      TEXT   NOT NULL,
    company_id BIGINT REFERENCES companies (id),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX customers_email_key ON customers (email);
CREATE INDEX customers_company ON customers (company_id);

-- Numbers people read (#1042) come from this counter, so they are never reused.
CREATE TABLE counters (
    name  TEXT   PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('ticket_number', 1000);

CREATE TABLE tickets (
    id           INTEGER PRIMARY KEY,
    number       BIGINT NOT NULL,
    title        TEXT   NOT NULL,
    description  TEXT   NOT NULL DEFAULT '',
    customer_id  BIGINT NOT NULL REFERENCES customers (id),
    team_id      BIGINT NOT NULL REFERENCES teams (id),
    stage_id     BIGINT NOT NULL REFERENCES stages (id),
    -- Order inside a stage: a string that sorts byte-wise (see tickets::rank). A
    -- move writes a rank between the new neighbours; nothing else is renumbered.
    rank         TEXT   NOT NULL,
    priority     TEXT   NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    assignee_id  BIGINT REFERENCES users (id),
    due_at       BIGINT,
    created_by   BIGINT REFERENCES users (id),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    completed_at BIGINT
);
CREATE UNIQUE INDEX tickets_number_key ON tickets (number);
-- Open columns read in rank order; done columns newest-completed first.
CREATE INDEX tickets_stage_rank ON tickets (stage_id, rank, id);
CREATE INDEX tickets_stage_completed ON tickets (stage_id, completed_at, id);
CREATE INDEX tickets_customer ON tickets (customer_id);
CREATE INDEX tickets_assignee ON tickets (assignee_id);

CREATE TABLE ticket_tags (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    tag       TEXT   NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_tags_tag ON ticket_tags (tag, ticket_id);

-- The default team exists from the first start, with the default pipeline.
INSERT INTO teams (name, archived, created_at) VALUES ('Support', FALSE, 0);
INSERT INTO stages (team_id, name, kind, position, wip_limit)
    SELECT id, 'New', 'open', 0, NULL FROM teams WHERE name = 'Support';
INSERT INTO stages (team_id, name, kind, position, wip_limit)
    SELECT id, 'In Progress', 'open', 1, NULL FROM teams WHERE name = 'Support';
INSERT INTO stages (team_id, name, kind, position, wip_limit)
    SELECT id, 'Waiting', 'waiting', 2, NULL FROM teams WHERE name = 'Support';
INSERT INTO stages (team_id, name, kind, position, wip_limit)
    SELECT id, 'Completed', 'done', 3, NULL FROM teams WHERE name = 'Support';
