// Measures a customer's page and the customer list over HTTP (issue 16): the page of
// the customer with the most tickets (as the server function the page calls, and as
// the server-rendered page), and the list's search. Prints figures; asserts nothing.
// Usage: node bench/customers.mjs BASE CUSTOMER_ID
import { client, measure } from "./lib.mjs";
const base = process.argv[2] ?? "http://127.0.0.1:3399";
const customer = process.argv[3] ?? "1";
const { post, get, signIn } = client(base);
await signIn();

const first = JSON.parse((await post("/api/customers/page", { id: customer })).text);
console.log(`customer ${customer}: ${first.ticket_count} tickets (${first.tickets.length} listed), ${first.timeline.length} messages shown`);
const page = () => post("/api/customers/page", { id: customer }).then((r) => r.status === 200);
const html = () => get(`/customers/${customer}`).then((r) => r.status === 200);
const list = (i) =>
  post("/api/customers/list", {
    q: ["Baker", "Garcia", "Chen", "Novak"][i % 4], company: "", owner: "", open: "false",
    tag: "", from: "", to: "", sort: "name",
  }).then((r) => r.status === 200);
await measure("customer page data, 1 client", 1, 100, page);
await measure("customer page data, 16 clients", 16, 25, page);
await measure("customer page HTML, 1 client", 1, 50, html);
await measure("customer list search (full text), 1 client", 1, 50, list);
