import { test, expect } from "@playwright/test";
import { admin, hydrated, signIn } from "../lib/session";

// Search, hydrated and without JavaScript (each project has its own server). Runs
// after board.spec.ts: the admin exists.
test.describe.configure({ mode: "serial" });

test("search from the header finds a ticket by a word that is only in a reply", async ({ page, javaScriptEnabled: js }) => {
  const word = js ? "quokkahydrated" : "quokkaplain";
  const title = `Lift stuck between floors (${js ? "h" : "n"})`;
  await signIn(page, js, admin);
  await page.goto("/tickets/new");
  await hydrated(page, js);
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Customer email").fill(`lift.${js ? "h" : "n"}@example.org`);
  await page.getByLabel("New customer's name").fill("Lena Lift");
  await page.getByRole("button", { name: "Create ticket" }).click();
  await expect(page).toHaveURL(/\/board\?team=/);
  await hydrated(page, js);
  await page.getByRole("link", { name: new RegExp(title.replace(/[()]/g, "\\$&")) }).first().click();
  await hydrated(page, js);
  const composer = page.getByRole("form", { name: "Write a message" });
  await composer.getByRole("radio", { name: "Reply to customer" }).check();
  await composer.getByLabel("Message").fill(`The engineer saw a ${word} on the roof.`);
  await composer.getByRole("button", { name: "Send reply" }).click();
  await expect(page.getByRole("article", { name: "Reply by Ada Admin" }).filter({ hasText: word })).toBeVisible();

  // The header's search box, from any staff page; a prefix of the word is enough.
  const header = page.getByRole("search", { name: "Site search" });
  await header.getByRole("searchbox", { name: "Search tickets, customers and companies" }).fill(word.slice(0, 9));
  await header.getByRole("searchbox").press("Enter");
  await expect(page).toHaveURL(/\/search\?q=/);
  await hydrated(page, js);
  const tickets = page.getByRole("region", { name: "Tickets" });
  const hit = tickets.getByRole("listitem").filter({ hasText: title });
  await expect(hit).toHaveCount(1);
  // The snippet shows the reply with the match marked.
  await expect(hit.locator("mark")).toHaveText(word);
  await hit.getByRole("link", { name: new RegExp("Lift stuck") }).click();
  await expect(page.getByRole("heading", { name: "Conversation" })).toBeVisible();

  // A word nobody wrote finds nothing, and says so.
  await page.goto("/search?q=" + encodeURIComponent(`${word} -engineer`));
  await hydrated(page, js);
  await expect(page.getByText(/Nothing matches/)).toBeVisible();
});

test("signed out, the search page asks to sign in", async ({ page }) => {
  await page.goto("/search?q=lift");
  await expect(page).toHaveURL(/\/login/);
});
