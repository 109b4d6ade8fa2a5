import { test, expect, Page } from "@playwright/test";

// Runs after board.spec.ts on the same server: the admin, the agent Alan Agent (in
// Support) and tickets #1001 "Toner everywhere" and #1002 "Paper jam in tray 2" exist.
test.describe.configure({ mode: "serial" });

const admin = { email: "ada@example.com", password: "correct horse battery staple" };
const lead = { name: "Lee Lead", email: "lee@example.com", password: "lead password is long" };
const bea = { name: "Bea Billing", email: "bea@example.com", password: "billing password is long" };

async function hydrated(page: Page, js: boolean) {
  if (js) await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
}

async function signIn(page: Page, js: boolean, who: { email: string; password: string }) {
  await page.goto("/login");
  await hydrated(page, js);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password", { exact: true }).fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
  await hydrated(page, js);
}

async function signOut(page: Page) {
  await page.getByLabel(/Account menu for/).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
}

function column(page: Page, name: string) {
  return page.getByRole("list", { name, exact: true });
}

async function createPerson(page: Page, js: boolean, p: { name: string; email: string; password: string }, role: string) {
  await page.goto("/admin/people");
  await hydrated(page, js);
  const form = page.getByRole("region", { name: "Add a person" });
  await form.getByLabel("Name").fill(p.name);
  await form.getByLabel("Email").fill(p.email);
  await form.getByLabel("Role").selectOption(role);
  await form.getByLabel("Password", { exact: true }).fill(p.password);
  await form.getByLabel("Confirm password").fill(p.password);
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("table").getByRole("row", { name: new RegExp(p.name) })).toBeVisible();
}

test("edit a ticket on its page; the change is in its history", async ({ page, javaScriptEnabled }) => {
  await signIn(page, javaScriptEnabled, admin);
  await page.goto("/tickets/1001");
  await hydrated(page, javaScriptEnabled);
  await expect(page.getByRole("heading", { name: "#1001 Toner everywhere" })).toBeVisible();
  await page.getByLabel("Assignee").selectOption({ label: "Alan Agent" });
  await page.getByLabel("Priority").selectOption("urgent");
  await page.getByRole("button", { name: "Save changes" }).click();
  const history = page.getByRole("region", { name: "History" });
  await expect(history).toContainText("changed the assignee from nothing to “Alan Agent”");
  await expect(history).toContainText("changed the priority from “High” to “Urgent”");
  await expect(page.getByLabel("Assignee")).toHaveValue(/\d+/);
});

test("a failed save on the ticket page keeps what was typed", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "without JavaScript the browser's own checks stop the form first");
  await signIn(page, javaScriptEnabled, admin);
  await page.goto("/tickets/1002");
  await hydrated(page, javaScriptEnabled);
  await page.getByLabel("Tags").fill("x".repeat(41));
  await expect(page.getByText("Keep each tag to 40 characters.")).toBeVisible();
  await page.getByLabel("Title").fill("Paper jam in tray 3");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Keep each tag to 40 characters.")).toBeVisible();
  await expect(page.getByLabel("Title")).toHaveValue("Paper jam in tray 3");
  await expect(page.getByLabel("Tags")).toHaveValue("x".repeat(41));
});

test("filter the board by assignee and by text; the filter is in the URL", async ({ page, javaScriptEnabled }) => {
  await signIn(page, javaScriptEnabled, admin);
  await page.goto("/board");
  const filters = page.getByRole("search", { name: "Filter tickets" });
  await filters.getByLabel("Assignee").selectOption({ label: "Alan Agent" });
  await filters.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/assignee=\d+/);
  await expect(page.getByRole("listitem", { name: /^#1001 / })).toBeVisible();
  await expect(page.getByRole("listitem", { name: /^#1002 / })).toHaveCount(0);

  await page.getByRole("link", { name: "Clear filters" }).click();
  await page.getByRole("search", { name: "Filter tickets" }).getByLabel("Search").fill("paper jam");
  await page.getByRole("search", { name: "Filter tickets" }).getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/q=paper(\+|%20)jam/);
  await expect(page.getByRole("listitem", { name: /^#1002 / })).toBeVisible();
  await expect(page.getByRole("listitem", { name: /^#1001 / })).toHaveCount(0);
  // The URL alone opens the same view (a bookmark, a shared link).
  await page.goto(page.url());
  await expect(page.getByRole("listitem", { name: /^#1002 / })).toBeVisible();
  await expect(page.getByRole("listitem", { name: /^#1001 / })).toHaveCount(0);
});

test("switch to the list and bulk-assign three tickets; the list is remembered", async ({ page, javaScriptEnabled }) => {
  await signIn(page, javaScriptEnabled, admin);
  await page.goto("/tickets/new");
  await hydrated(page, javaScriptEnabled);
  await page.getByLabel("Title").fill("Scanner makes noises");
  await page.getByLabel("Customer email").fill("pat@initrode.example");
  await page.getByRole("button", { name: "Create ticket" }).click();
  await expect(page).toHaveURL(/\/board\?team=/);

  await page.getByRole("navigation", { name: "View" }).getByRole("link", { name: "List" }).click();
  await expect(page).toHaveURL(/\/tickets\?/);
  await hydrated(page, javaScriptEnabled);
  const table = page.getByRole("table");
  for (const n of [1001, 1002, 1003]) await table.getByRole("checkbox", { name: `Select #${n}` }).check();
  if (javaScriptEnabled) await expect(page.getByText("3 tickets selected")).toBeVisible();
  await page.getByLabel("Assign to").selectOption({ label: "Alan Agent" });
  await page.getByRole("button", { name: "Assign", exact: true }).click();
  for (const n of [1001, 1002, 1003]) {
    await expect(table.getByRole("row", { name: new RegExp(`#${n} `) })).toContainText("Alan Agent");
  }
  // The board link now opens the list, until the board is chosen again.
  await page.goto("/board");
  await expect(page).toHaveURL(/\/tickets\?team=/);
  await page.getByRole("navigation", { name: "View" }).getByRole("link", { name: "Board" }).click();
  await expect(page).toHaveURL(/\/board\?/);
  await page.goto("/board");
  await expect(page).toHaveURL(/\/board$/);
  await expect(page.getByRole("heading", { name: "Board" })).toBeVisible();
});

test("a lead adds a stage in Team settings and it appears on the board", async ({ page, javaScriptEnabled }) => {
  await signIn(page, javaScriptEnabled, admin);
  await createPerson(page, javaScriptEnabled, lead, "lead");
  await signOut(page);
  await signIn(page, javaScriptEnabled, lead);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team settings" }).click();
  await expect(page).toHaveURL(/\/team/);
  await hydrated(page, javaScriptEnabled);
  const add = page.getByRole("region", { name: "Add a stage" });
  await add.getByLabel("Stage name").fill("Review");
  await add.getByLabel("WIP limit").fill("2");
  await add.getByRole("button", { name: "Add stage" }).click();
  await expect(page.getByLabel("Name of stage Review")).toBeVisible();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Board" }).click();
  await expect(column(page, "Review")).toBeVisible();
  await expect(page.getByText("WIP limit 2")).toBeVisible();
});

test("an agent of another team cannot open this team's board", async ({ page, javaScriptEnabled }) => {
  await signIn(page, javaScriptEnabled, admin);
  await createPerson(page, javaScriptEnabled, bea, "agent");
  await page.goto("/admin/teams");
  await hydrated(page, javaScriptEnabled);
  await page.getByLabel("Team name").fill("Billing");
  await page.getByRole("button", { name: "Create team" }).click();
  const billing = page.getByRole("region", { name: "Billing", exact: true });
  await expect(billing).toBeVisible();
  await billing.getByLabel("Person to add to Billing").selectOption({ label: "Bea Billing (Agent)" });
  await billing.getByRole("button", { name: "Add to Billing" }).click();
  await expect(billing.getByRole("button", { name: "Remove Bea Billing from Billing" })).toBeVisible();
  const support = page.getByRole("region", { name: "Support", exact: true });
  await support.getByRole("button", { name: "Remove Bea Billing from Support" }).click();
  await expect(support.getByRole("button", { name: "Remove Bea Billing from Support" })).toHaveCount(0);
  await signOut(page);

  await signIn(page, javaScriptEnabled, bea);
  await expect(page.getByLabel("Billing board")).toBeVisible();
  const res = await page.goto("/board?team=1");
  expect(res?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "You do not have access to this" })).toBeVisible();
  const ticket = await page.goto("/tickets/1001");
  expect(ticket?.status()).toBe(404);
});
