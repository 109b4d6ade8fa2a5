// What the benchmark scripts share: form posts and page loads with the session
// cookie, and timing loops that print p50/p95 (never assert).

export function client(base) {
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
  /** Signs in as the admin `bench/run.sh` seeds. */
  async function signIn() {
    const login = await post("/api/login", { email: "bench@example.com", password: "bench password is long enough" });
    if (login.status !== 200) throw new Error(`sign-in failed: ${login.status} ${login.text}`);
    cookie = login.headers.get("set-cookie").split(";")[0];
  }
  return { post, get, signIn };
}

export function summary(name, times, errors, seconds) {
  const s = [...times].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)].toFixed(1);
  const rate = seconds ? ` ${(s.length / seconds).toFixed(0)}/s` : "";
  console.log(`${name}: n=${s.length} p50=${at(50)}ms p95=${at(95)}ms max=${s[s.length - 1].toFixed(1)}ms errors=${errors}${rate}`);
}

/** Runs `clients` loops in parallel, each calling `fn(i)` `each` times (`fn` answers
 * whether the call succeeded), and prints the timings and the rate. */
export async function measure(name, clients, each, fn) {
  const times = [];
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < each; i++) {
        const t = performance.now();
        if (!(await fn(c * each + i))) errors++;
        times.push(performance.now() - t);
      }
    }),
  );
  summary(name, times, errors, (performance.now() - started) / 1000);
}
