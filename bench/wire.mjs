// Bytes on the wire for the benchmark's board (5,000 open cards by default): a first
// visit with an empty cache and a repeat visit, in Debian's Chromium driven by the
// Playwright the end-to-end tests use. Prints figures; asserts nothing.
//   node bench/wire.mjs BASE_URL EMAIL PASSWORD
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { KB, recordWire, visitUntilInteractive, reportWire } = require("../end2end/lib/wire.cjs");
const { chromium } = require("../end2end/node_modules/@playwright/test");
const [base, email, password] = process.argv.slice(2);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync"],
});
try {
  // Sign in elsewhere and carry the session over, so the measured visit starts cold.
  const login = await browser.newContext({ baseURL: base });
  const page = await login.newPage();
  await page.goto("/login");
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/board/);
  const cookies = await login.cookies();
  await login.close();

  const context = await browser.newContext({ baseURL: base });
  await context.addCookies(cookies);
  const board = await context.newPage();
  const first = await recordWire(board);
  const started = Date.now();
  await visitUntilInteractive(board, "/board?team=1");
  const firstMs = Date.now() - started;
  const firstTotal = reportWire("board of the benchmark, first visit", first.fetches);
  await first.stop();
  const repeat = await recordWire(board);
  await visitUntilInteractive(board, "/board?team=1");
  const repeatTotal = reportWire("board of the benchmark, repeat visit", repeat.fetches);
  console.log(`board on the wire: first visit ${(firstTotal / KB).toFixed(0)} kB (interactive after ${firstMs} ms on loopback), repeat visit ${(repeatTotal / KB).toFixed(0)} kB`);
} finally {
  await browser.close();
}
