// The soak (issue 15): mixed traffic from 16 clients for a while against a seeded
// server — board pages and data, the list, card moves, ticket creations, replies,
// and a company manager's portal — reporting errors, p50/p95 per kind and the
// server's resident memory each minute. Measures; asserts nothing.
// Usage: node bench/soak.mjs BASE BACKEND SERVER_PID MINUTES MANAGER MANAGER_PASSWORD
import { readFileSync } from "node:fs";

const [base, backend, pid, minutesArg, manager, managerPassword] = process.argv.slice(2);
const minutes = Number(minutesArg ?? 10);
const origin = base;
const CLIENTS = 16;

async function signIn(email, password) {
  const res = await fetch(`${base}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", origin },
    body: new URLSearchParams({ email, password }).toString(),
  });
  if (res.status !== 200) throw new Error(`sign-in of ${email}: ${res.status} ${await res.text()}`);
  return res.headers.get("set-cookie").split(";")[0];
}

async function call(cookie, path, form) {
  const res = await fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", origin, cookie },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  return { status: res.status, text };
}

async function page(cookie, path) {
  const res = await fetch(base + path, { headers: { cookie, accept: "text/html", "accept-encoding": "br, gzip" } });
  await res.arrayBuffer();
  return { status: res.status };
}

function rss() {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
    return Number(line.split(/\s+/)[1]) / 1024;
  } catch {
    return NaN;
  }
}

const staff = await signIn("bench@example.com", "bench password is long enough");
const customer = await signIn(manager, managerPassword);
const board = JSON.parse((await call(staff, "/api/board", { team: "1" })).text);
const open = board.columns.filter((c) => c.stage.kind !== "done");
const openIds = open.flatMap((c) => c.cards.map((k) => k.id));
const openNumbers = open.flatMap((c) => c.cards.map((k) => k.number));
const stages = open.map((c) => c.stage.id);
const portalHome = JSON.parse((await call(customer, "/api/portal/home", { status: "all", sort: "", text: "", after: "" })).text);
const portalNumbers = portalHome.rows.map((r) => r.number);
console.log(`== soak ${backend}: ${CLIENTS} clients for ${minutes} min; ${openIds.length} open cards, ${portalNumbers.length} portal tickets on the manager's first page`);

let seed = 11;
const rnd = (n) => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
};

// Each kind: its share of the traffic and what one call does (true when it worked).
const kinds = {
  "board page": [1, async () => (await page(staff, "/board?team=1")).status === 200],
  "board data": [2, async () => (await call(staff, "/api/board", { team: "1" })).status === 200],
  "list": [3, async () => (await call(staff, "/api/tickets/list", { team: "1" })).status === 200],
  "move": [6, async () =>
    (await call(staff, "/api/board/move", { ticket_id: String(openIds[rnd(openIds.length)]), stage_id: String(stages[rnd(stages.length)]) })).status === 200],
  "create": [2, async () => {
    const r = await call(staff, "/api/tickets/create", {
      title: `Soak ticket ${Date.now()}-${rnd(1e6)}`,
      description: "Created by the soak.",
      customer_email: `soak-customer-${rnd(50)}@example.com`,
      customer_name: "Soak Customer",
      company: "",
      team: "1",
      priority: "normal",
      assignee: "",
      tags: "",
      due: "",
    });
    return r.status === 200;
  }],
  "reply": [3, async () => {
    const ticket = openIds[rnd(openIds.length)];
    const r = await call(staff, "/api/tickets/messages/post", {
      ticket_id: String(ticket),
      kind: rnd(3) === 0 ? "note" : "reply",
      body: `Soak message **${rnd(1e6)}**: checked the logs, restarted the service.`,
    });
    return r.status === 200;
  }],
  "ticket page": [1, async () => (await page(staff, `/tickets/${openNumbers[rnd(openNumbers.length)]}`)).status === 200],
  "portal list": [2, async () => (await page(customer, "/portal")).status === 200],
  "portal ticket": [1, async () =>
    (await call(customer, "/api/portal/ticket", { number: String(portalNumbers[rnd(portalNumbers.length)]) })).status === 200],
};
const names = Object.keys(kinds);
const weights = names.flatMap((n) => Array(kinds[n][0]).fill(n));
const times = Object.fromEntries(names.map((n) => [n, []]));
const errors = Object.fromEntries(names.map((n) => [n, 0]));

const t0 = performance.now();
const end = t0 + minutes * 60_000;
const memory = [[0, rss()]];
const sampler = setInterval(() => {
  const m = Math.round((performance.now() - t0) / 60_000);
  memory.push([m, rss()]);
  const done = names.reduce((s, n) => s + times[n].length, 0);
  console.log(`  minute ${m}: ${done} calls, ${names.reduce((s, n) => s + errors[n], 0)} errors, server RSS ${rss().toFixed(0)} MB`);
}, 60_000);

await Promise.all(
  Array.from({ length: CLIENTS }, async () => {
    while (performance.now() < end) {
      const kind = weights[rnd(weights.length)];
      const t = performance.now();
      let ok = false;
      try {
        ok = await kinds[kind][1]();
      } catch {
        ok = false;
      }
      times[kind].push(performance.now() - t);
      if (!ok) errors[kind]++;
    }
  }),
);
clearInterval(sampler);
memory.push([minutes, rss()]);

const pct = (s, p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
let total = 0;
let failed = 0;
for (const n of names) {
  const s = [...times[n]].sort((a, b) => a - b);
  total += s.length;
  failed += errors[n];
  console.log(`${n}: n=${s.length} errors=${errors[n]} p50=${pct(s, 50)?.toFixed(1)}ms p95=${pct(s, 95)?.toFixed(1)}ms max=${s[s.length - 1]?.toFixed(1)}ms`);
}
const seconds = (performance.now() - t0) / 1000;
console.log(`soak ${backend}: ${total} calls in ${seconds.toFixed(0)} s (${(total / seconds).toFixed(0)}/s), ${failed} errors`);
console.log(`server RSS by minute (MB): ${memory.map(([m, r]) => `${m}:${r.toFixed(0)}`).join(" ")}`);
