-- What someone was writing and has not sent, per person and place: the composer of
-- a ticket ('ticket:<id>') or the new-ticket form ('new-ticket'). Saved a few seconds
-- after typing stops; sending or discarding removes it. updated_at is the writer's
-- own clock at the time of typing, so a draft kept offline and sent later never
-- replaces one typed after it.
CREATE TABLE drafts (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    scope      TEXT   NOT NULL,
    content    TEXT   NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, scope)
);
