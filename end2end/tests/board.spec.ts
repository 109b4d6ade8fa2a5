import { test, expect, Page } from "@playwright/test";

// Runs after accounts.spec.ts on the same server: the admin exists.
test.describe.configure({ mode: "serial" });

const admin = { email: "ada@example.com", password: "correct horse battery staple" };

async function signIn(page: Page, js: boolean) {
  await page.goto("/login");
  if (js) await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Password", { exact: true }).fill(admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/board/);
  if (js) await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
}

async function createTicket(page: Page, js: boolean, title: string) {
  await page.getByRole("link", { name: "New ticket" }).click();
  await expect(page.getByRole("heading", { name: "New ticket" })).toBeVisible();
  if (js) await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Description").fill("Written by the end-to-end journey.");
  await page.getByLabel("Customer email").fill("pat@initrode.example");
  await page.getByLabel("New customer's name").fill("Pat Printer");
  await page.getByLabel("Company").fill("Initrode");
  await page.getByLabel("Priority").selectOption("high");
  await page.getByRole("button", { name: "Create ticket" }).click();
  await expect(page).toHaveURL(/\/board\?team=/);
}

/// The board marks itself once its cards answer to pointer and keyboard.
async function boardReady(page: Page) {
  await page.locator(".board[data-interactive]").waitFor({ state: "attached" });
}

function column(page: Page, name: string) {
  return page.getByRole("list", { name, exact: true });
}

test("create tickets and see them at the top of the first column", async ({ page, javaScriptEnabled }) => {
  await signIn(page, javaScriptEnabled);
  await createTicket(page, javaScriptEnabled, "Toner everywhere");
  await createTicket(page, javaScriptEnabled, "Paper jam in tray 2");
  const first = column(page, "New").getByRole("listitem");
  await expect(first.first()).toHaveAccessibleName(/^#1002 Paper jam in tray 2/);
  await expect(column(page, "New").getByRole("listitem", { name: /^#1001 Toner everywhere/ })).toContainText("Pat Printer · Initrode");
});

test("a title left empty is refused next to the field and keeps what was typed", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "without JavaScript the browser's own required-field check stops the form first");
  await signIn(page, javaScriptEnabled);
  await page.getByRole("link", { name: "New ticket" }).click();
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await page.getByLabel("Title").fill("x".repeat(201));
  await expect(page.getByText("Use at most 200 characters (1 too many).")).toBeVisible();
  await page.getByLabel("Customer email").fill("someone.new@example.com");
  await page.getByLabel("Title").fill("A fine title");
  await page.getByRole("button", { name: "Create ticket" }).click();
  await expect(page.getByText("No customer has this email yet: give their name to add them.")).toBeVisible();
  await expect(page.getByLabel("Title")).toHaveValue("A fine title");
  await expect(page.getByLabel("Customer email")).toHaveValue("someone.new@example.com");
});

test("drag a card to another column with the mouse; it is still there after a reload", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "dragging needs JavaScript; the Move form covers it without");
  await signIn(page, javaScriptEnabled);
  await boardReady(page);
  const card = column(page, "New").getByRole("listitem", { name: /^#1001 / });
  const saved = page.waitForResponse((r) => r.url().includes("/api/board/move"));
  await card.locator(".card-customer").dragTo(column(page, "In Progress"));
  expect((await saved).status()).toBe(200);
  await expect(column(page, "In Progress").getByRole("listitem", { name: /^#1001 / })).toBeVisible();
  await page.reload();
  await expect(column(page, "In Progress").getByRole("listitem", { name: /^#1001 / })).toBeVisible();
  await expect(column(page, "New").getByRole("listitem", { name: /^#1001 / })).toHaveCount(0);
});

test("move a card with the keyboard only", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "keyboard moves need JavaScript; the Move form covers it without");
  await signIn(page, javaScriptEnabled);
  await boardReady(page);
  const card = column(page, "New").getByRole("listitem", { name: /^#1002 / });
  await card.focus();
  await page.keyboard.press("Space");
  await expect(page.getByRole("status").filter({ hasText: "#1002 picked up in New" })).toBeAttached();
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  await expect(page.getByRole("status")).toHaveText(/#1002 moved to Waiting, position 1 of 1/);
  const saved = page.waitForResponse((r) => r.url().includes("/api/board/move"));
  await page.keyboard.press("Space");
  expect((await saved).status()).toBe(200);
  await expect(page.getByRole("status")).toHaveText(/#1002 dropped in Waiting/);
  await page.reload();
  await expect(column(page, "Waiting").getByRole("listitem", { name: /^#1002 / })).toBeVisible();
});

test("once interactive, a card's Move form folds into its menu, which the keyboard opens", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "without JavaScript the form stays open on every card (below)");
  await signIn(page, javaScriptEnabled);
  const select = page.getByLabel("Move #1001 to", { exact: true });
  await expect(select).toBeHidden();
  await page.getByLabel("Card menu for #1001").focus();
  await page.keyboard.press("Enter");
  await expect(select).toBeVisible();
  await expect(page.getByRole("button", { name: "Move #1001", exact: true })).toBeVisible();
});

test("without JavaScript, the Move form moves a card", async ({ page, javaScriptEnabled }) => {
  test.skip(javaScriptEnabled, "the hydrated board is covered by drag and keyboard above");
  await signIn(page, javaScriptEnabled);
  await page.getByLabel("Move #1001 to", { exact: true }).selectOption({ label: "Waiting" });
  await page.getByRole("button", { name: "Move #1001" }).click();
  await expect(column(page, "Waiting").getByRole("listitem", { name: /^#1001 / })).toBeVisible();
  await expect(column(page, "New").getByRole("listitem", { name: /^#1001 / })).toHaveCount(0);
});
