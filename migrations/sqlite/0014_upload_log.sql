-- Every file a customer uploads, for their daily quota and hourly rate
-- (customer_upload_mb_per_day, customer_uploads_per_hour). Kept apart from the
-- attachments: a file removed again still counts. Rows older than a day are removed
-- by the server's housekeeping.
CREATE TABLE upload_log (
    id      INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL,
    size    BIGINT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX upload_log_user ON upload_log (user_id, at);
