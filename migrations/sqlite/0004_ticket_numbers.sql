-- SQLite keeps the counters row for ticket numbers (one writer at a time anyway);
-- this number exists so both backends share one migration history.
SELECT 1;
