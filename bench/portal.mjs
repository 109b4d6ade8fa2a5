// The portal's speed (issue #5): a company manager's list and ticket pages, with the
// company holding about 10,000 of the database's tickets. Over HTTP against the
// release server; prints figures, asserts nothing.
const [base, backend, email, password] = process.argv.slice(2);
const origin = base;

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
function summary(name, times) {
  const s = [...times].sort((a, b) => a - b);
  const f = (x) => x.toFixed(1);
  console.log(`${name}: n=${s.length} p50=${f(pct(s, 50))}ms p95=${f(pct(s, 95))}ms p99=${f(pct(s, 99))}ms max=${f(s[s.length - 1])}ms`);
}

const login = await fetch(`${base}/api/login`, {
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", origin },
  body: new URLSearchParams({ email, password }).toString(),
});
if (login.status !== 200) throw new Error(`portal sign-in failed: ${login.status} ${await login.text()}`);
const cookie = login.headers.get("set-cookie").split(";")[0];

async function page(path) {
  const t = performance.now();
  const res = await fetch(base + path, { headers: { cookie, accept: "text/html" } });
  const body = await res.text();
  const ms = performance.now() - t;
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  return { ms, body };
}

async function repeat(name, path, n = 50) {
  await page(path); // warm
  const times = [];
  let body = "";
  for (let i = 0; i < n; i++) {
    const r = await page(path);
    times.push(r.ms);
    body = r.body;
  }
  summary(`${backend} ${name}`, times);
  return body;
}

const first = await repeat("portal list, open, last update (GET /portal)", "/portal");
const counts = first.match(/Open \((\d+)\)[\s\S]*?Closed \((\d+)\)/);
console.log(`${backend} the manager's company: ${counts ? `${counts[1]} open, ${counts[2]} closed tickets` : "?"}`);
await repeat("portal list, all, by date opened", "/portal?status=all&sort=created");
await repeat("portal list, closed", "/portal?status=closed");
await repeat("portal search by words", "/portal?status=all&q=printer");
// Twenty pages deep by the "Next page" links (keyset paging).
{
  let path = "/portal?status=all";
  const times = [];
  for (let i = 0; i < 20; i++) {
    const r = await page(path);
    times.push(r.ms);
    const next = r.body.match(/href="(\/portal\?status=all[^"]*after=[^"]+)"/);
    if (!next) break;
    path = next[1].replaceAll("&amp;", "&");
  }
  summary(`${backend} portal list, 20 pages deep by Next page`, times);
}
const number = (first.match(/href="\/portal\/tickets\/(\d+)"/) ?? [])[1];
if (number) await repeat(`portal ticket page (GET /portal/tickets/${number})`, `/portal/tickets/${number}`);
