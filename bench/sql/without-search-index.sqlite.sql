-- For bench/run.sh with BENCH_WITHOUT_INDEX=1: the triggers that keep the search
-- indexes (migrations 0016, 0017) dropped, so the same binary and script measure the
-- writes without index upkeep. Only ever applied to a benchmark's throwaway database.
DROP TRIGGER ticket_search_ticket_insert;
DROP TRIGGER ticket_search_ticket_update;
DROP TRIGGER ticket_search_message_insert;
DROP TRIGGER ticket_search_message_update;
DROP TRIGGER ticket_search_message_delete;
DROP TRIGGER customers_fts_insert;
DROP TRIGGER customers_fts_update;
DROP TRIGGER customers_fts_emails_insert;
DROP TRIGGER customers_fts_emails_update;
DROP TRIGGER customers_fts_emails_delete;
