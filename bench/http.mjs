// Measures the board, moves, the list and ticket creation over HTTP. Prints figures;
// asserts nothing (tests check behaviour, this checks speed).
import { gzipSync } from "node:zlib";
import { writeFileSync } from "node:fs";

const base = process.argv[2] ?? "http://127.0.0.1:3399";
const backend = process.argv[3] ?? "?";
const origin = base;
let cookie = "";

async function call(path, form, extra = {}) {
  const res = await fetch(base + path, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
      origin,
      cookie,
      ...extra,
    },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers };
}

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
function summary(name, times) {
  const s = [...times].sort((a, b) => a - b);
  const f = (x) => x.toFixed(1);
  console.log(`${name}: n=${s.length} p50=${f(pct(s, 50))}ms p95=${f(pct(s, 95))}ms p99=${f(pct(s, 99))}ms max=${f(s[s.length - 1])}ms`);
}

// Runs `clients` loops in parallel until each has done `each` calls of `fn`.
async function concurrent(clients, each, fn) {
  const times = [];
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < each; i++) {
        const t = performance.now();
        const ok = await fn(c, i);
        times.push(performance.now() - t);
        if (!ok) errors++;
      }
    }),
  );
  return { times, errors, seconds: (performance.now() - t0) / 1000 };
}

const login = await call("/api/login", { email: "bench@example.com", password: "bench password is long enough" });
if (login.status !== 200) throw new Error(`sign-in failed: ${login.status} ${login.text}`);
cookie = login.headers.get("set-cookie").split(";")[0];

const board = JSON.parse((await call("/api/board", { team: "1" })).text);
const open = board.columns.filter((c) => c.stage.kind !== "done");
const openIds = open.flatMap((c) => c.cards.map((k) => k.id));
// For bench/wrk.lua: the session and the cards to move.
const out = process.argv[4];
if (out) {
  writeFileSync(`${out}/cookie`, cookie + "\n");
  writeFileSync(`${out}/ids`, openIds.join("\n") + "\n");
  writeFileSync(`${out}/stages`, open.map((c) => c.stage.id).join("\n") + "\n");
}
// BENCH_ONLY=wrk (bench/run.sh): only what wrk.lua needs, measuring nothing here.
if (process.env.BENCH_ONLY === "wrk") {
  const first = JSON.parse((await call("/api/tickets/list", { team: "1" })).text);
  writeFileSync(`${out}/deep`, String(first.rows[0].number - 40000) + "\n");
  process.exit(0);
}
console.log(`== ${backend}: board of team ${board.team.name}: ${openIds.length} open cards; columns ${board.columns.map((c) => `${c.stage.name}=${c.total}`).join(", ")}`);

// 1. The board page (server-rendered HTML, what a browser loads) and its data call.
{
  const html = [];
  let bytes = 0;
  let gz = 0;
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const res = await fetch(`${base}/board?team=1`, { headers: { cookie, accept: "text/html" } });
    const body = Buffer.from(await res.arrayBuffer());
    html.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`board page: ${res.status}`);
    bytes = body.length;
    gz = gzipSync(body).length;
  }
  summary("board page GET /board (HTML, sequential)", html);
  console.log(`board page size: ${(bytes / 1024).toFixed(0)} kB raw, ${(gz / 1024).toFixed(0)} kB gzipped`);
  const api = [];
  let apiGz = 0;
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const r = await call("/api/board", { team: "1" });
    api.push(performance.now() - t);
    apiGz = gzipSync(Buffer.from(r.text)).length;
  }
  summary("board data POST /api/board (JSON, sequential)", api);
  console.log(`board data size: ${(apiGz / 1024).toFixed(0)} kB gzipped`);
}

// 2. Moves: 16 clients each moving random open cards to random open stages.
{
  const stages = open.map((c) => c.stage.id);
  let seed = 7;
  const rnd = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const r = await concurrent(16, 60, async () => {
    const ticket = openIds[rnd(openIds.length)];
    const res = await call("/api/board/move", { ticket_id: String(ticket), stage_id: String(stages[rnd(stages.length)]) });
    return res.status === 200;
  });
  summary(`move POST /api/board/move (16 clients, ${r.errors} errors)`, r.times);
}

// 3. The list: first page, and a page 40,000 rows deep (keyset cursor).
{
  const first = JSON.parse((await call("/api/tickets/list", { team: "1" })).text);
  const top = first.rows[0].number;
  const deep = String(top - 40000);
  if (out) writeFileSync(`${out}/deep`, deep + "\n");
  for (const [name, form] of [
    ["list first page", { team: "1" }],
    ["list page 40,000 rows deep", { team: "1", after: deep }],
  ]) {
    const r = await concurrent(16, 40, async () => (await call("/api/tickets/list", form)).status === 200);
    summary(`${name} POST /api/tickets/list (16 clients, ${r.errors} errors)`, r.times);
  }
}

// 4. Creating tickets: 16 clients, each ticket with its audit row.
{
  const total = 16 * 150;
  const r = await concurrent(16, 150, async (c, i) => {
    const res = await call("/api/tickets/create", {
      title: `Bench ticket ${c}-${i}`,
      description: "Created by the benchmark.",
      customer_email: `bench-customer-${c}@example.com`,
      customer_name: `Bench Customer ${c}`,
      company: "",
      team: "1",
      priority: "normal",
      assignee: "",
      tags: "",
      due: "",
    });
    return res.status === 200;
  });
  summary(`create POST /api/tickets/create (16 clients, ${r.errors} errors)`, r.times);
  console.log(`create throughput: ${(total / r.seconds).toFixed(0)} tickets/s`);
}

// 5. The ticket workspace (issue #4): a ticket with 500 messages (replies and notes in
// Markdown) and 100 attachments, opened as a page and as data.
{
  const created = await call("/api/tickets/create", {
    title: "Long conversation",
    description: "A ticket with a long history.",
    customer_email: "bench-customer-0@example.com",
    customer_name: "Bench Customer 0",
    company: "",
    team: "1",
    priority: "normal",
    assignee: "",
    tags: "",
    due: "",
  });
  if (created.status !== 200) throw new Error(`create: ${created.status} ${created.text}`);
  const list = JSON.parse((await call("/api/tickets/list", { team: "1", filter: "q=Long%20conversation" })).text);
  const row = list.rows.find((r) => r.title === "Long conversation");
  const number = row.number;
  const id = row.id;
  for (let i = 0; i < 500; i++) {
    const files = [];
    if (i % 5 === 0) {
      const up = await fetch(`${base}/attachments?ticket=${id}`, {
        method: "POST",
        headers: { cookie, origin, "content-type": "text/plain", "x-file-name": `log-${i}.txt` },
        body: `log line ${i}\n`.repeat(200),
      });
      if (up.status !== 200) throw new Error(`upload: ${up.status} ${await up.text()}`);
      files.push(["attachment_ids[]", String((await up.json()).id)]);
    }
    const form = new URLSearchParams([
      ["ticket_id", String(id)],
      ["kind", i % 3 === 0 ? "note" : "reply"],
      ["body", `Message **${i}**: the printer in room ${i} shows error E${i}.\n\n- checked the tray\n- restarted it\n\nSee https://example.com/kb/${i}`],
      ...files,
    ]);
    const r = await fetch(`${base}/api/tickets/messages/post`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", origin, cookie },
      body: form.toString(),
    });
    if (r.status !== 200) throw new Error(`post: ${r.status} ${await r.text()}`);
  }
  const page = [];
  let bytes = 0;
  let gz = 0;
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const res = await fetch(`${base}/tickets/${number}`, { headers: { cookie, accept: "text/html" } });
    const body = Buffer.from(await res.arrayBuffer());
    page.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`ticket page: ${res.status}`);
    bytes = body.length;
    gz = gzipSync(body).length;
  }
  summary(`ticket page GET /tickets/${number} (500 messages, 100 attachments, sequential)`, page);
  console.log(`ticket page size: ${(bytes / 1024).toFixed(0)} kB raw, ${(gz / 1024).toFixed(0)} kB gzipped`);
  const data = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const r = await call("/api/tickets/get", { number: String(number) });
    data.push(performance.now() - t);
    if (r.status !== 200) throw new Error(`ticket data: ${r.status}`);
  }
  summary("ticket data POST /api/tickets/get (sequential)", data);
}
