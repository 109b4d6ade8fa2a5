// Measures a customer's page and the customer list over HTTP (issue 16): the page of
// the customer with the most tickets (as the server function the page calls, and as
// the server-rendered page), and the list's search. Prints figures; asserts nothing.
// Usage: node bench/customers.mjs BASE CUSTOMER_ID
const base = process.argv[2] ?? "http://127.0.0.1:3399";
const customer = process.argv[3] ?? "1";
let cookie = "";

async function post(path, form) {
  const res = await fetch(base + path, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
      origin: base,
      cookie,
    },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function get(path) {
  const res = await fetch(base + path, { headers: { accept: "text/html", cookie } });
  return { status: res.status, text: await res.text() };
}

function summary(name, times, errors) {
  const s = [...times].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)].toFixed(1);
  console.log(`${name}: n=${s.length} p50=${at(50)}ms p95=${at(95)}ms max=${s[s.length - 1].toFixed(1)}ms errors=${errors}`);
}

async function measure(name, clients, each, fn) {
  const times = [];
  let errors = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < each; i++) {
        const t = performance.now();
        if (!(await fn(i))) errors++;
        times.push(performance.now() - t);
      }
    }),
  );
  summary(name, times, errors);
}

const login = await post("/api/login", { email: "bench@example.com", password: "bench password is long enough" });
if (login.status !== 200) throw new Error(`sign-in failed: ${login.status} ${login.text}`);
cookie = login.headers.get("set-cookie").split(";")[0];

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
await measure("customer list search (LIKE), 1 client", 1, 50, list);
