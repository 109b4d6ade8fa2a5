import { test, expect, Page, Browser } from "@playwright/test";
import { admin, hydrated, signIn } from "../lib/session";
import { linkFromMail } from "../lib/mail";

// Companies, hydrated and without JavaScript: staff make two companies and put
// people in them with roles; a customer in both asks for the second, and only that
// company's manager sees the request in the portal. Runs after board.spec.ts (the
// admin exists); each project has its own server, so each registers its own people.
test.describe.configure({ mode: "serial" });

const password = "customer password is long";

/** Someone asks for a portal account and finishes it from the emailed link. */
async function register(browser: Browser, js: boolean, name: string, email: string): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: js });
  const page = await context.newPage();
  await page.goto("/portal/register");
  await hydrated(page, js);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Email me a link" }).click();
  await expect(page.getByRole("status")).toContainText("Check your email");
  await page.goto(await linkFromMail(email, "Finish creating your account"));
  await hydrated(page, js);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Confirm password").fill(password);
  await page.getByRole("button", { name: "Create my account" }).click();
  await expect(page).toHaveURL(/\/portal$/);
  await hydrated(page, js);
  return page;
}

/** Adds a company from New company and lands on its page. */
async function newCompany(page: Page, js: boolean, name: string, domain: string) {
  await page.goto("/companies/new");
  await hydrated(page, js);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Domains", { exact: true }).fill(domain);
  await page.getByRole("button", { name: "Add company" }).click();
  await expect(page.getByRole("heading", { name, level: 1 })).toBeVisible();
  await hydrated(page, js);
}

/** On a company's page: adds the customer with `email` as `role`. */
async function addMember(page: Page, js: boolean, email: string, role: "Member" | "Manager", name: string) {
  const form = page.getByRole("form", { name: "Add a member" });
  await form.getByLabel("Customer’s email").fill(email);
  await form.getByLabel("Role").selectOption(role === "Member" ? "member" : "manager");
  await form.getByRole("button", { name: "Add member" }).click();
  const members = page.getByRole("list", { name: "Members of this company" });
  await expect(members.getByRole("listitem").filter({ hasText: name })).toBeVisible();
  await hydrated(page, js);
}

test("a customer in two companies asks for the second; only its manager sees it", async ({ page, browser, javaScriptEnabled: js }) => {
  // Unique per run: a second run on the same server registers new people.
  const tag = `${test.info().project.name.slice(0, 2)}${Date.now().toString(36)}`;
  const dana = { name: "Dana Twofold", email: `dana.${tag}@people.example` };
  const nora = { name: "Nora North", email: `nora.${tag}@north.example` };
  const sam = { name: "Sam South", email: `sam.${tag}@south.example` };
  const danaPage = await register(browser, js, dana.name, dana.email);
  const noraPage = await register(browser, js, nora.name, nora.email);
  const samPage = await register(browser, js, sam.name, sam.email);

  await signIn(page, js, admin);
  await newCompany(page, js, `North Shore ${tag}`, `north-${tag}.example`);
  await addMember(page, js, dana.email, "Member", dana.name);
  await addMember(page, js, nora.email, "Manager", nora.name);
  const north = page.getByRole("list", { name: "Members of this company" });
  await expect(north.getByRole("listitem").filter({ hasText: nora.name })).toContainText("Manager");
  await newCompany(page, js, `South Bay ${tag}`, `south-${tag}.example`);
  await addMember(page, js, dana.email, "Member", dana.name);
  await addMember(page, js, sam.email, "Manager", sam.name);
  // Her own page lists both, the first she joined as her primary company.
  await page.getByRole("list", { name: "Members of this company" }).getByRole("link", { name: dana.name }).click();
  await expect(page.getByRole("heading", { name: dana.name, level: 1 })).toBeVisible();
  await expect(page.getByRole("link", { name: `North Shore ${tag}` })).toBeVisible();
  await expect(page.getByRole("link", { name: `South Bay ${tag}` })).toBeVisible();

  // Dana asks for South Bay.
  await danaPage.goto("/portal/new");
  await hydrated(danaPage, js);
  const which = danaPage.getByLabel("Which company is this for?");
  await expect(which).toHaveValue(/\d+/);
  await expect(which.locator("option:checked")).toHaveText(`North Shore ${tag}`);
  await which.selectOption({ label: `South Bay ${tag}` });
  const title = `Harbour crane contract ${tag}`;
  await danaPage.getByLabel("Title").fill(title);
  await danaPage.getByLabel("Description").fill("Please renew the crane contract for South Bay.");
  await danaPage.getByRole("button", { name: "Submit request" }).click();
  await expect(danaPage).toHaveURL(/\/portal\/tickets\/\d+\?submitted=1/);

  // South Bay's manager sees it among the company's tickets; North Shore's does not.
  await samPage.goto("/portal");
  await hydrated(samPage, js);
  await expect(samPage.getByRole("heading", { name: `My tickets and those of South Bay ${tag}` })).toBeVisible();
  await expect(samPage.getByRole("link", { name: new RegExp(title) })).toBeVisible();
  await samPage.getByRole("link", { name: new RegExp(title) }).click();
  await expect(samPage.getByRole("heading", { name: new RegExp(title) })).toBeVisible();
  await noraPage.goto("/portal");
  await hydrated(noraPage, js);
  await expect(noraPage.getByRole("heading", { name: `My tickets and those of North Shore ${tag}` })).toBeVisible();
  await expect(noraPage.getByText(title)).toHaveCount(0);

  // Staff find the ticket on South Bay's page, and the company from the list by its
  // domain.
  await page.goto("/companies");
  await hydrated(page, js);
  const search = page.getByRole("search", { name: "Find companies" });
  await search.getByLabel("Search").fill(`south-${tag}`);
  await search.getByRole("button", { name: "Apply" }).click();
  const table = page.getByRole("table", { name: "Companies" });
  await expect(table.getByRole("row")).toHaveCount(2);
  await table.getByRole("link", { name: `South Bay ${tag}` }).click();
  await expect(page.getByRole("heading", { name: `South Bay ${tag}`, level: 1 })).toBeVisible();
  await expect(page.getByRole("list", { name: "Tickets of this company" }).getByRole("link", { name: new RegExp(title) })).toBeVisible();
});

test("a company form refused keeps what was typed, with the message by its field", async ({ page, javaScriptEnabled: js }) => {
  await signIn(page, js, admin);
  await page.goto("/companies/new");
  await hydrated(page, js);
  await page.getByLabel("Name").fill(`Typo Inc ${js ? "h" : "n"}`);
  await page.getByLabel("Domains", { exact: true }).fill("not a domain");
  await page.getByLabel("Notes").fill("Met them at the fair.");
  await page.getByRole("button", { name: "Add company" }).click();
  await expect(page.getByText("is not a domain such as example.com")).toBeVisible();
  await expect(page.getByLabel("Notes")).toHaveValue("Met them at the fair.");
  await expect(page.getByLabel("Name")).toHaveValue(`Typo Inc ${js ? "h" : "n"}`);
});
