// Measures full-text search over HTTP (issue 16) and the writes that keep its index:
// the search page's data (top 25 tickets, customers, companies) for a mix of queries
// at 1 and 16 clients, the list's and the board's text filter, the customer list's
// search, and ticket creation and reply throughput at 16 clients (bench/run.sh with
// BENCH_WITHOUT_INDEX=1 gives the same writes without index upkeep, for the
// before/after), and a reply's cost on a 2,000-message thread. Prints figures; asserts nothing.
// Usage: node bench/search.mjs BASE [writes-only | reads-only] (the writes add tickets
// that match none of the queries above the seeded ones: run reads first).
import { client, measure } from "./lib.mjs";
const base = process.argv[2] ?? "http://127.0.0.1:3399";
const writesOnly = process.argv[3] === "writes-only";
const readsOnly = process.argv[3] === "reads-only";
const { post, signIn } = client(base);
await signIn();

// Queries people type: common words, a rare order number, phrases, prefixes as
// typed, an exclusion, a customer's name, a ticket number.
const QUERIES = [
  "invoice", "refund card", "\"corrected invoice\"", "webh", "calendar sync -duplicated",
  "Order 417263", "Lisbon colleague", "E-4012", "firewall", "Tanaka", "\"two-factor code\"",
  "splash screen android", "postcode label", "Berl", "#1000500", "thirty seconds timeout",
];
if (!writesOnly) {
  const sample = JSON.parse((await post("/api/search", { q: "refund card" })).text);
  console.log(`"refund card": ${sample.tickets.length} tickets shown (more: ${sample.more_tickets}), ${sample.customers.length} customers`);
  const search = (i) => post("/api/search", { q: QUERIES[i % QUERIES.length] }).then((r) => r.status === 200);
  await measure("search top 25 (mixed queries), 1 client", 1, 64, search);
  await measure("search top 25 (mixed queries), 16 clients", 16, 16, search);
  for (const q of ["invoice", "Order 417263", "\"corrected invoice\"", "webh"]) {
    await measure(`search "${q}", 16 clients`, 16, 8, () => post("/api/search", { q }).then((r) => r.status === 200));
  }
  const list = (i) =>
    post("/api/tickets/list", { team: "1", filter: `q=${encodeURIComponent(QUERIES[i % QUERIES.length])}` })
      .then((r) => r.status === 200);
  await measure("ticket list text filter (mixed queries), 16 clients", 16, 16, list);
  const board = (i) =>
    post("/api/board", { team: "1", filter: `q=${encodeURIComponent(QUERIES[i % QUERIES.length])}` })
      .then((r) => r.status === 200);
  await measure("board text filter (mixed queries), 16 clients", 16, 16, board);
  const customers = (i) =>
    post("/api/customers/list", {
      q: ["Baker", "garc", "bench 4711", "Chen -Novak"][i % 4], company: "", owner: "", open: "false",
      tag: "", from: "", to: "", sort: "name",
    }).then((r) => r.status === 200);
  await measure("customer list search, 16 clients", 16, 16, customers);
}

if (readsOnly) process.exit(0);
// Writes that maintain the index: new tickets, then replies on them.
const created = [];
await measure("create ticket, 16 clients", 16, 60, async (i) => {
  const r = await post("/api/tickets/create", {
    title: `Search bench ticket ${i}: printer offline in room ${i % 97}`,
    description: "The printer on the third floor shows a paper jam although the tray is empty.",
    customer_email: `search-bench-${i % 50}@example.com`,
    customer_name: `Search Bench ${i % 50}`,
    company: "", team: "1", priority: "normal", assignee: "", tags: "", due: "",
  });
  return r.status === 200;
});
const list = JSON.parse((await post("/api/tickets/list", { team: "1", sort: "newest", filter: "" })).text);
for (const row of list.rows) created.push(row.id);
await measure("reply, 16 clients", 16, 60, async (i) => {
  const r = await post("/api/tickets/messages/post", {
    ticket_id: String(created[i % created.length]),
    kind: i % 4 === 0 ? "note" : "reply",
    body: `Reply ${i}: we replaced the fuser unit; please print a test page and tell us whether the streaks are gone.`,
  });
  return r.status === 200;
});

// A reply's cost on a long thread: the index holds each ticket as one document, so a
// reply to a ticket with 2,000 messages rewrites that document (SQLite) or appends to
// it (Postgres). The thread is written first (16 clients), then replies measured one
// at a time on it and on a new ticket.
const long = created[0];
await measure("writing a 2,000-message thread, 16 clients", 16, 125, (i) =>
  post("/api/tickets/messages/post", {
    ticket_id: String(long),
    kind: i % 4 === 0 ? "note" : "reply",
    body: `Thread message ${i}: the scanner on floor ${i % 9} drops pages after the ${i % 31}th sheet; firmware ${i % 7}.${i % 13} installed.`,
  }).then((r) => r.status === 200));
for (const [name, ticket] of [["a 2,000-message ticket", long], ["a ticket with a few messages", created[1]]]) {
  await measure(`reply to ${name}, 1 client`, 1, 50, (i) =>
    post("/api/tickets/messages/post", {
      ticket_id: String(ticket),
      kind: "reply",
      body: `Follow-up ${i}: the replacement tray arrived; please confirm the paper feeds now.`,
    }).then((r) => r.status === 200));
}
