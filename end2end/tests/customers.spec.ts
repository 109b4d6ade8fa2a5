import { test, expect, Page } from "@playwright/test";
import { admin, hydrated, signIn } from "../lib/session";

// Customer records, hydrated and without JavaScript (each project has its own server,
// so each makes its own customer). Runs after board.spec.ts: the admin exists.
test.describe.configure({ mode: "serial" });

const marta = (js: boolean) => ({
  name: "Marta Kowalska",
  email: `marta.${js ? "h" : "n"}@example.org`,
});

/** Opens the customer whose address is `email`, found from the list's search. */
async function openCustomer(page: Page, js: boolean, email: string, name: string) {
  await page.goto(`/customers?q=${encodeURIComponent(email)}`);
  await hydrated(page, js);
  await page.getByRole("table", { name: "Customers" }).getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { name, level: 1 })).toBeVisible();
  await hydrated(page, js);
}

test("create a customer, find them by a word from their notes, see their tickets", async ({ page, javaScriptEnabled: js }) => {
  const who = marta(js);
  await signIn(page, js, admin);
  await page.goto("/customers/new");
  await hydrated(page, js);
  await page.getByLabel("Name").fill(who.name);
  await page.getByLabel("Email", { exact: true }).fill(who.email);
  await page.getByLabel("Phone").fill("+48 22 123 45 67");
  await page.getByLabel("Notes").fill("Prefers calls before noon; allergic to marzipan.");
  await page.getByRole("button", { name: "Add customer" }).click();
  await expect(page.getByRole("heading", { name: who.name, level: 1 })).toBeVisible();
  await expect(page.getByText("No tickets on your boards.")).toBeVisible();

  await page.goto("/tickets/new");
  await hydrated(page, js);
  await page.getByLabel("Title").fill("Radiator cold in room 12");
  await page.getByLabel("Customer email").fill(who.email);
  await page.getByRole("button", { name: "Create ticket" }).click();
  await expect(page).toHaveURL(/\/board\?team=/);

  await page.goto("/customers");
  await hydrated(page, js);
  const search = page.getByRole("search", { name: "Find customers" });
  await search.getByLabel("Search").fill("MARZIPAN");
  await search.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/q=MARZIPAN/);
  const table = page.getByRole("table", { name: "Customers" });
  await expect(table.getByRole("row")).toHaveCount(2);
  await expect(table.getByRole("row", { name: new RegExp(who.name) })).toContainText("1");
  await table.getByRole("link", { name: who.name }).click();
  await expect(page.getByRole("heading", { name: who.name, level: 1 })).toBeVisible();
  const tickets = page.getByRole("list", { name: "Tickets of this customer" });
  await expect(tickets.getByRole("link", { name: /Radiator cold in room 12/ })).toBeVisible();
});

test("a refused edit keeps what was typed; the saved edit is in the history", async ({ page, javaScriptEnabled: js }) => {
  const who = marta(js);
  await signIn(page, js, admin);
  await openCustomer(page, js, who.email, who.name);
  const details = page.getByRole("region", { name: "Details" });
  await details.getByLabel("Phone").fill("call me maybe");
  await details.getByLabel("Notes").fill("Moved to the Gdańsk office.");
  await details.getByRole("button", { name: "Save customer" }).click();
  await expect(details.getByText("Enter a phone number like")).toBeVisible();
  await expect(details.getByLabel("Notes")).toHaveValue("Moved to the Gdańsk office.");
  await expect(details.getByLabel("Phone")).toHaveValue("call me maybe");

  await details.getByLabel("Phone").fill("+48 58 765 43 21");
  await details.getByLabel("Tags").fill("VIP, north");
  await details.getByRole("button", { name: "Save customer" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  const history = page.getByRole("region", { name: "History" });
  await expect(history).toContainText("changed phone from “+48 22 123 45 67” to “+48 58 765 43 21”");
  await expect(history).toContainText("changed tags from “nothing” to “north, vip”");
  await expect(history).toContainText("from 127.0.0.1");
  await expect(page.getByLabel("Notes")).toHaveValue("Moved to the Gdańsk office.");
});

test("an address another customer has offers their record instead of a second one", async ({ page, javaScriptEnabled: js }) => {
  const who = marta(js);
  await signIn(page, js, admin);
  await page.goto("/customers/new");
  await hydrated(page, js);
  await page.getByLabel("Name").fill("Marta K.");
  await page.getByLabel("Email", { exact: true }).fill(who.email.toUpperCase());
  await page.getByRole("button", { name: "Add customer" }).click();
  await expect(page.getByText(`already belongs to the customer ${who.name}`)).toBeVisible();
  await expect(page.getByLabel("Name")).toHaveValue("Marta K.");
  await page.getByRole("link", { name: "Open the existing customer" }).click();
  await expect(page.getByRole("table", { name: "Customers" }).getByRole("link", { name: who.name })).toBeVisible();
});

test("Admin → Audit lists the change with where it came from, filtered, and as CSV", async ({ page, javaScriptEnabled: js }) => {
  await signIn(page, js, admin);
  await page.goto("/admin/audit");
  await hydrated(page, js);
  const filter = page.getByRole("search", { name: "Filter the audit trail" });
  await filter.getByLabel("Record").selectOption("customer");
  await filter.getByLabel("Field").fill("phone");
  await filter.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/entity=customer/);
  const table = page.getByRole("table", { name: "Audit trail" });
  const row = table.getByRole("row", { name: /\+48 58 765 43 21/ });
  await expect(row).toContainText("updated phone");
  await expect(row).toContainText("127.0.0.1");
  await expect(table.getByRole("row")).toHaveCount(2);
  const csv = await page.request.get("/admin/audit.csv?entity=customer&field=phone");
  expect(csv.status()).toBe(200);
  expect(await csv.text()).toContain("+48 58 765 43 21");
});

test("Admin → Audit keeps a retention: saved, shown, and back to forever", async ({ page, javaScriptEnabled: js }) => {
  await signIn(page, js, admin);
  await page.goto("/admin/audit");
  await hydrated(page, js);
  const archives = page.getByRole("region", { name: "Retention and archives" });
  await expect(archives.getByText("No month has been archived.")).toBeVisible();
  const months = archives.getByLabel("Keep rows in the database for (months)");
  await months.fill("600");
  await archives.getByRole("button", { name: "Save retention" }).click();
  await expect(page.getByRole("status").filter({ hasText: "older than 600 are being archived" })).toBeVisible();
  await expect(months).toHaveValue("600");
  await hydrated(page, js);
  await months.fill("");
  await archives.getByRole("button", { name: "Save retention" }).click();
  await expect(page.getByRole("status").filter({ hasText: "every row stays" })).toBeVisible();
  await expect(months).toHaveValue("");
  // Both changes are in the trail.
  await page.goto("/admin/audit?entity=setting");
  await expect(page.getByRole("table", { name: "Audit trail" }).getByRole("row")).toHaveCount(3);
});

test("merge two customers, find every ticket on the survivor, and undo it", async ({ page, javaScriptEnabled: js }) => {
  const tag = `${test.info().project.name.slice(0, 2)}${Date.now().toString(36)}`;
  const pia = { name: "Pia Merge", email: `pia.${tag}@first.example` };
  const twin = { name: "Pia M.", email: `pia.${tag}@second.example` };
  await signIn(page, js, admin);
  let twinPage = "";
  for (const [who, title] of [[pia, `Boiler noise ${tag}`], [twin, `Boiler invoice ${tag}`]] as const) {
    await page.goto("/customers/new");
    await hydrated(page, js);
    await page.getByLabel("Name").fill(who.name);
    await page.getByLabel("Email", { exact: true }).fill(who.email);
    await page.getByRole("button", { name: "Add customer" }).click();
    await expect(page.getByRole("heading", { name: who.name, level: 1 })).toBeVisible();
    twinPage = new URL(page.url()).pathname;
    await page.goto("/tickets/new");
    await hydrated(page, js);
    await page.getByLabel("Title").fill(title);
    await page.getByLabel("Customer email").fill(who.email);
    await page.getByRole("button", { name: "Create ticket" }).click();
    await expect(page).toHaveURL(/\/board\?team=/);
  }

  await openCustomer(page, js, pia.email, pia.name);
  const merge = page.getByRole("region", { name: "Merge a duplicate" });
  await merge.getByLabel("Duplicate’s email or number").fill(twin.email);
  await merge.getByRole("button", { name: "Merge into this customer" }).click();
  // Not without saying yes.
  await expect(merge.getByText("Tick the box to confirm")).toBeVisible();
  await expect(merge.getByLabel("Duplicate’s email or number")).toHaveValue(twin.email);
  await merge.getByLabel("Move everything of theirs to this customer").check();
  await merge.getByRole("button", { name: "Merge into this customer" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Merged" })).toBeVisible();
  await hydrated(page, js);
  const tickets = page.getByRole("list", { name: "Tickets of this customer" });
  await expect(tickets.getByRole("link", { name: new RegExp(`Boiler noise ${tag}`) })).toBeVisible();
  await expect(tickets.getByRole("link", { name: new RegExp(`Boiler invoice ${tag}`) })).toBeVisible();
  await expect(page.getByRole("region", { name: "History" })).toContainText(`merged ${twin.name} <${twin.email}>`);
  // The twin's old address leads to the survivor.
  const survivor = new URL(page.url()).pathname;
  await page.goto(twinPage);
  await expect(page.getByRole("heading", { name: pia.name, level: 1 })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`${survivor}$`));
  await hydrated(page, js);

  // Undone: the twin is back with their ticket.
  await page.getByRole("button", { name: `Undo the merge of ${twin.name} <${twin.email}>` }).click();
  await expect(page.getByRole("heading", { name: twin.name, level: 1 })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "The merge was undone" })).toBeVisible();
  await expect(page.getByRole("list", { name: "Tickets of this customer" }).getByRole("link", { name: new RegExp(`Boiler invoice ${tag}`) })).toBeVisible();
});
