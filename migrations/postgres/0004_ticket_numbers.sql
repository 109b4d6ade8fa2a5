-- Ticket numbers come from a sequence on Postgres: concurrent creations no longer
-- queue on the one counters row until each commits. Sequences never hand out a
-- number twice, so numbers stay unique and are never reused (a rolled-back creation
-- leaves a gap, as a failed insert always could).
CREATE SEQUENCE ticket_number_seq;
SELECT setval('ticket_number_seq', GREATEST(
    (SELECT value FROM counters WHERE name = 'ticket_number'),
    (SELECT COALESCE(MAX(number), 0) FROM tickets)));
