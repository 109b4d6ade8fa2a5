import { test, expect, Browser } from "@playwright/test";

// Bytes on the wire (issue 14), against a release server on the demo workspace
// (end2end/demo-server.sh): everything the browser fetches before the page is
// interactive, counted by Chromium itself (Network.loadingFinished's
// encodedDataLength: headers and compressed bodies as received).
// Issue 14's targets: first visit to the board 320 kB, a repeat visit 50 kB, first
// visit to the portal's registration page 260 kB. The repeat visit meets its target
// and is held to it; the first visits are held to ceilings (today's figures plus a
// few per cent) until the WASM is slimmed down to the targets (scripts/wasm-budget.mjs
// says the same of the chunks).
// @ts-ignore: plain JavaScript shared with the benchmark (bench/wire.mjs).
import { KB, recordWire as record, visitUntilInteractive as visit, reportWire as report } from "../lib/wire.cjs";

const TARGET = { boardFirst: 320 * KB, boardRepeat: 50 * KB, registerFirst: 260 * KB };
// Raised from 430 and 380 with issue 16's pages: finer shared WASM chunks cost
// every route a few kB (scripts/wasm-budget.mjs says how); then to 450 and 388 when
// the measured 446.2 and 385.0 kB came within 2 kB of them.
const CEILING = { boardFirst: 450 * KB, boardRepeat: 50 * KB, registerFirst: 388 * KB };

function verdict(label: string, total: number, target: number) {
  if (total > target) console.log(`${label}: over issue 14's target of ${(target / KB).toFixed(0)} kB (not yet met)`);
}

const admin = { email: "budget@example.com", password: "budget admin password" };

type Fetch = { url: string; bytes: number; cached: boolean };

async function signedInContext(browser: Browser, baseURL: string) {
  // Sign in in a throwaway context, then carry only the session cookie over, so the
  // measured context starts with an empty cache.
  const login = await browser.newContext({ baseURL });
  const page = await login.newPage();
  await page.goto("/login");
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Password", { exact: true }).fill(admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/board/);
  const cookies = await login.cookies();
  await login.close();
  const context = await browser.newContext({ baseURL });
  await context.addCookies(cookies);
  return context;
}

test("the demo board's first and repeat visits stay within their byte budgets", async ({ browser, baseURL }) => {
  const context = await signedInContext(browser, baseURL!);
  const page = await context.newPage();
  const first = await record(page);
  await visit(page, "/board");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  const firstTotal = report("board, first visit", first.fetches, TARGET.boardFirst);
  verdict("board, first visit", firstTotal, TARGET.boardFirst);
  // The board's own chunks were fetched, and each only once.
  const wasm = first.fetches.filter((f: Fetch) => f.url.endsWith(".wasm")).map((f: Fetch) => f.url);
  expect(wasm.length).toBeGreaterThan(1);
  expect(new Set(wasm).size).toBe(wasm.length);
  await first.stop();

  const repeat = await record(page);
  await visit(page, "/board");
  const repeatTotal = report("board, repeat visit", repeat.fetches, TARGET.boardRepeat);
  // Hashed, immutable assets come from the cache without asking the server.
  expect(repeat.fetches.filter((f: Fetch) => !f.cached && /\/pkg\//.test(f.url))).toEqual([]);
  await context.close();

  expect(firstTotal).toBeLessThanOrEqual(CEILING.boardFirst);
  expect(repeatTotal).toBeLessThanOrEqual(CEILING.boardRepeat);
});

test("the portal's registration page's first visit stays within its byte budget", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  const first = await record(page);
  await visit(page, "/portal/register");
  await expect(page.getByRole("heading", { name: /account/i })).toBeVisible();
  const total = report("portal registration, first visit", first.fetches, TARGET.registerFirst);
  verdict("portal registration, first visit", total, TARGET.registerFirst);
  await context.close();
  expect(total).toBeLessThanOrEqual(CEILING.registerFirst);
});
