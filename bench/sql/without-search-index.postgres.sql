-- For bench/run.sh with BENCH_WITHOUT_INDEX=1: the triggers that keep the search
-- indexes (migrations 0016, 0017) dropped, so the same binary and script measure the
-- writes without index upkeep. Only ever applied to a benchmark's throwaway database.
DROP TRIGGER ticket_search_tickets_insert ON tickets;
DROP TRIGGER ticket_search_ticket_update ON tickets;
DROP TRIGGER ticket_search_messages_insert ON messages;
DROP TRIGGER ticket_search_messages_update ON messages;
DROP TRIGGER ticket_search_messages_delete ON messages;
DROP TRIGGER customers_search_insert ON customers;
DROP TRIGGER customers_search_update ON customers;
DROP TRIGGER customers_search_emails ON customer_emails;
