import { test, expect, Page } from "@playwright/test";

// The WASM split per route (issue 14): a direct load of each route hydrates, client
// navigation fetches each area's chunk once, and a chunk that cannot be fetched
// shows a message with a reload link instead of a dead page. Runs after
// accounts.spec.ts (the admin), board.spec.ts (tickets #1001, #1002) and
// portal.spec.ts (a customer with a new password) on the same server.
test.describe.configure({ mode: "serial" });

const admin = { email: "ada@example.com", password: "correct horse battery staple" };
const customer = { email: "cora-js@portal.example", password: "a completely new long password" };

async function hydrated(page: Page) {
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
}

async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password", { exact: true }).fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
  await hydrated(page);
}

/// The WASM files the page fetches from now on (the main chunk and route chunks).
function wasmLog(page: Page): string[] {
  const log: string[] = [];
  page.on("request", (r) => {
    if (r.url().endsWith(".wasm")) log.push(new URL(r.url()).pathname);
  });
  return log;
}

test.beforeEach(({ javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "the split concerns the hydrated app");
});

test("a direct load of every route hydrates, with no error in the page", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));
  for (const path of ["/login", "/portal/register", "/forgot", "/reset?token=not-a-token", "/portal/verify?token=not-a-token"]) {
    await page.goto(path);
    await hydrated(page);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  }
  await signIn(page, admin);
  for (const path of ["/board", "/tickets", "/tickets/new", "/tickets/1001", "/team", "/admin/teams",
    "/admin/people", "/admin/customers", "/admin/outbox", "/admin/audit", "/customers", "/search?q=printer", "/command"]) {
    await page.goto(path);
    await hydrated(page);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  }
  await page.getByLabel(/Account menu for/).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, customer);
  for (const path of ["/portal", "/portal/new", "/portal?status=all"]) {
    await page.goto(path);
    await hydrated(page);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  }
  // A ticket of the customer's, opened from the list (client-side) and then directly.
  await page.getByRole("link", { name: /^#\d+ / }).first().click();
  await expect(page).toHaveURL(/\/portal\/tickets\/\d+$/);
  await expect(page.getByRole("heading", { name: "Conversation" })).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Conversation" })).toBeVisible();
  expect(errors).toEqual([]);
});

test("moving between areas fetches each area's chunk once", async ({ page }) => {
  await signIn(page, admin);
  await page.goto("/board");
  await hydrated(page);
  const log = wasmLog(page);
  // Board → ticket → list → board, all by client-side navigation.
  await page.getByRole("link", { name: /^#1001 / }).click();
  await expect(page).toHaveURL(/\/tickets\/1001$/);
  await expect(page.getByRole("heading", { name: "Conversation" })).toBeVisible();
  const afterTicket = log.length;
  expect(afterTicket, "the ticket page's chunk was fetched").toBeGreaterThan(0);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tickets", exact: true }).click();
  await expect(page).toHaveURL(/\/tickets$/);
  await expect(page.getByRole("table")).toBeVisible();
  const afterList = log.length;
  expect(afterList, "the list's chunk was fetched").toBeGreaterThan(afterTicket);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Board", exact: true }).click();
  await expect(page).toHaveURL(/\/board/);
  await expect(page.getByRole("listitem", { name: /^#1001 / })).toBeVisible();
  await page.getByRole("link", { name: /^#1001 / }).click();
  await expect(page.getByRole("heading", { name: "Conversation" })).toBeVisible();
  expect(log.length, "going back to areas already visited fetches nothing").toBe(afterList);
  expect(new Set(log).size, `each chunk once: ${log.join(", ")}`).toBe(log.length);

  // A customer's portal is an area of its own.
  await page.getByLabel(/Account menu for/).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  const staff = [...log];
  const portal = wasmLog(page);
  await signIn(page, customer);
  await expect(page).toHaveURL(/\/portal/);
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  expect(portal.filter((p) => !staff.includes(p)).length, "the portal's chunk was fetched").toBeGreaterThan(0);
});

test("a chunk that cannot be fetched shows a message with a reload link", async ({ page }) => {
  await signIn(page, admin);
  await page.goto("/board");
  await hydrated(page);
  // The network goes away before the list's code was ever fetched.
  await page.route(/\.wasm$/, (route) => route.abort("internetdisconnected"));
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tickets", exact: true }).click();
  const alert = page.getByRole("alert").filter({ hasText: "could not be loaded" });
  await expect(alert).toBeVisible();
  await page.unroute(/\.wasm$/);
  // The reload is a full page load (the stopped app cannot navigate): the page works
  // again, and so does the way to the list.
  const reloaded = page.waitForEvent("load");
  await alert.getByRole("link", { name: "reload the page" }).click();
  await reloaded;
  await hydrated(page);
  await expect(alert).toHaveCount(0);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tickets", exact: true }).click();
  await expect(page.getByRole("table")).toBeVisible();
});
