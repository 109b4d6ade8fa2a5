import { test, expect, Page } from "@playwright/test";

// One journey per project, in order: each project's server starts on an empty
// database, so the first test is the first-run setup. The throttling test comes
// last because it also exhausts the failures allowed for the client address.
test.describe.configure({ mode: "serial" });

const admin = { name: "Ada Admin", email: "ada@example.com", password: "correct horse battery staple" };
const agent = { name: "Alan Agent", email: "alan@example.com", password: "agent password is long" };

async function waitHydrated(page: Page, js: boolean) {
  // The app marks <html data-hydrated> once the page is interactive.
  if (js) await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
}

async function signIn(page: Page, js: boolean, email: string, password: string) {
  await waitHydrated(page, js);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function signOut(page: Page) {
  await page.getByLabel(/Account menu for/).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
}

test("first run: every page leads to setup, which creates the first admin", async ({ page, javaScriptEnabled }) => {
  await page.goto("/board");
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole("heading", { name: "Create the first admin account" })).toBeVisible();
  await waitHydrated(page, javaScriptEnabled);
  if (javaScriptEnabled) {
    // Live validation as the user types, with the server's own rules.
    await page.getByLabel("Password", { exact: true }).fill("short");
    await expect(page.getByText("Use at least 12 characters (7 more).")).toBeVisible();
  }
  await page.getByLabel("Name").fill(admin.name);
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Password", { exact: true }).fill(admin.password);
  await page.getByLabel("Confirm password").fill(admin.password);
  await page.getByRole("button", { name: "Create admin account" }).click();
  await expect(page).toHaveURL(/\/board$/);
  await expect(page.getByRole("heading", { name: "Board" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" })).toBeVisible();

  const gone = await page.request.get("/setup");
  expect(gone.status()).toBe(404);
});

test("sign out, then a signed-out visit to the board goes to sign-in and back", async ({ page, javaScriptEnabled }) => {
  await page.goto("/login");
  await signIn(page, javaScriptEnabled, admin.email, admin.password);
  await expect(page).toHaveURL(/\/board$/);
  await signOut(page);

  await page.goto("/board");
  await expect(page).toHaveURL(/\/login\?next=/);
  await signIn(page, javaScriptEnabled, admin.email, admin.password);
  await expect(page).toHaveURL(/\/board$/);
  await expect(page.getByRole("heading", { name: "Board" })).toBeVisible();
});

test("a wrong password gets a message that does not say which part was wrong", async ({ page, javaScriptEnabled }) => {
  await page.goto("/login");
  await signIn(page, javaScriptEnabled, admin.email, "not my password at all");
  await expect(page.getByRole("alert").filter({ hasText: "The email or password is not correct." })).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
});

test("an admin creates an agent, who can sign in but cannot open Admin", async ({ page, javaScriptEnabled }) => {
  await page.goto("/login");
  await signIn(page, javaScriptEnabled, admin.email, admin.password);
  await expect(page).toHaveURL(/\/board$/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
  await expect(page).toHaveURL(/\/admin\/people$/);
  await waitHydrated(page, javaScriptEnabled);

  const form = page.getByRole("region", { name: "Add a person" });
  await form.getByLabel("Name").fill(agent.name);
  await form.getByLabel("Email").fill(agent.email);
  await form.getByLabel("Role").selectOption("agent");
  await form.getByLabel("Password", { exact: true }).fill(agent.password);
  await form.getByLabel("Confirm password").fill(agent.password);
  await form.getByRole("button", { name: "Create account" }).click();

  const people = page.getByRole("table");
  await expect(people.getByRole("row", { name: new RegExp(agent.name) })).toBeVisible();
  await expect(people.getByRole("combobox", { name: `Role for ${agent.name}` })).toHaveValue("agent");

  await signOut(page);
  await signIn(page, javaScriptEnabled, agent.email, agent.password);
  await expect(page).toHaveURL(/\/board$/);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Board" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Admin" })).toHaveCount(0);

  const res = await page.goto("/admin/people");
  expect(res?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "You do not have access to this page" })).toBeVisible();
});

test.describe("throttling", () => {
  // A documentation address (RFC 5737), sent only as a header to our own server.
  test.use({ extraHTTPHeaders: { "X-Forwarded-For": "198.51.100.7" } });

test("after ten failed sign-ins the page answers 429 and says how long to wait", async ({ page, javaScriptEnabled }) => {
  const email = "locked@example.com";
  await page.goto("/login");
  // The limit must arrive by the eleventh try (the tenth failure for this email and
  // this address).
  let throttledStatus = 0;
  for (let i = 0; i < 11; i++) {
    const response = javaScriptEnabled
      ? page.waitForResponse((r) => r.url().includes("/api/login"))
      : page.waitForResponse((r) => r.url().includes("/login?") && r.request().method() === "GET");
    await signIn(page, javaScriptEnabled, email, `wrong password ${i}`);
    const status = (await response).status();
    await expect(page.getByRole("alert").filter({ hasText: /not correct|Too many failed attempts/ })).toBeVisible();
    if (status === 429) {
      throttledStatus = status;
      break;
    }
    expect(status).toBe(401);
  }
  expect(throttledStatus).toBe(429);
  await expect(page.getByRole("alert").filter({ hasText: /Too many failed attempts\. Please wait 1[45] minutes/ })).toBeVisible();
});
});
