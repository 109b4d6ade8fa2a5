-- Texts a team answers with again and again, with placeholders filled when inserted.
CREATE TABLE canned_replies (
    id         INTEGER PRIMARY KEY,
    team_id    BIGINT NOT NULL REFERENCES teams (id),
    title      TEXT   NOT NULL,
    body       TEXT   NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX canned_replies_team ON canned_replies (team_id);
