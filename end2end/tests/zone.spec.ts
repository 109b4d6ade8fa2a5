import { test, expect, Page } from "@playwright/test";

// Times in the viewer's time zone: a browser in New York opens a ticket (the account
// has no zone yet, or the zone of the browsers of earlier journeys); the page tells
// the server its zone; from then on pages rendered on the server — with or without
// JavaScript — show New York times, and the hydrated page agrees with them. Runs
// after board.spec.ts on the same server (ticket #1002 exists).
test.describe.configure({ mode: "serial" });
test.use({ timezoneId: "America/New_York" });

const admin = { email: "ada@example.com", password: "correct horse battery staple" };

async function signIn(page: Page, js: boolean) {
  await page.goto("/login");
  if (js) await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Password", { exact: true }).fill(admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
}

/// "2026-12-02 08:40" for a moment, in New York.
function newYork(at: Date): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: "America/New_York",
    year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(at);
  const part = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}`;
}

test("times follow the browser's time zone, remembered for pages rendered on the server", async ({ page, browser, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "the browser reports its zone from a live page");
  await signIn(page, true);
  const saved = page.waitForResponse((r) => r.url().includes("/api/account/time-zone") && r.ok());
  await page.goto("/tickets/1002");
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  const composer = page.getByRole("form", { name: "Write a message" });
  await composer.getByRole("radio", { name: "Internal note" }).check();
  await composer.getByLabel("Message").fill("Checking the clock (zone journey).");
  await composer.getByRole("button", { name: "Add internal note" }).click();
  const note = () => page.getByRole("article").filter({ hasText: "Checking the clock (zone journey)." });
  await expect(note()).toBeVisible();
  const first = note().locator("time");
  // The moment itself, in UTC, is the element's machine-readable `datetime`.
  const moment = (await first.getAttribute("datetime")) ?? "";
  expect(moment).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  await saved;

  const expected = newYork(new Date(moment));
  expect(expected).not.toContain("UTC");
  await page.reload();
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await expect(first).toHaveText(expected);

  // The same account without JavaScript: the server renders New York times too.
  const plain = await browser.newContext({ javaScriptEnabled: false });
  const noJs = await plain.newPage();
  await signIn(noJs, false);
  await noJs.goto("/tickets/1002");
  await expect(
    noJs.getByRole("article").filter({ hasText: "Checking the clock (zone journey)." }).locator("time"),
  ).toHaveText(expected);
  await plain.close();
});
