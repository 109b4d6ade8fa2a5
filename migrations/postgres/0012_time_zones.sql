-- The time zone a person's browser reports (an IANA name such as "Europe/Berlin"),
-- remembered so pages rendered on the server show times as the browser will.
-- NULL: not known yet (times are shown in UTC, marked as such).
ALTER TABLE users ADD COLUMN time_zone TEXT;
