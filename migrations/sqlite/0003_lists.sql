-- Choices that follow a person from device to device (board or list, ...).
CREATE TABLE user_preferences (
    user_id BIGINT NOT NULL REFERENCES users (id),
    name    TEXT   NOT NULL,
    value   TEXT   NOT NULL,
    PRIMARY KEY (user_id, name)
);

-- The ticket list pages through a team's tickets by number or by last change
-- (keyset paging: a page deep in the list costs what the first page costs).
CREATE INDEX tickets_team_number ON tickets (team_id, number);
CREATE INDEX tickets_team_updated ON tickets (team_id, updated_at, id);
