import { test, expect, Page, Browser } from "@playwright/test";
import { linkFromMail } from "../lib/mail";

// The customer portal, hydrated and without JavaScript: a customer asks for an
// account, opens the emailed link and chooses a password there (mail is read from
// the server's mail_dir sink, as there is no mail server here; Admin → Outbox shows
// it with the link removed),
// submits a ticket with a file, the agent sees it on the board and answers it (plus
// an internal note the customer must never see), the customer replies and closes it.
// Then "Forgot password" end to end, and the phone-width layout.
test.describe.configure({ mode: "serial" });

const admin = { email: "ada@example.com", password: "correct horse battery staple" };
// Created by accounts.spec.ts; a member of the default team, where portal tickets go.
const agent = { email: "alan@example.com", password: "agent password is long" };
const password = "customer password is long";

async function hydrated(page: Page, js: boolean) {
  if (js) await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
}

type FileSpec = { name: string; mimeType: string; buffer: Buffer };

/// Attaches files to a portal form: without JavaScript they go with the form; with
/// it they are uploaded at once through the upload tray, each with its progress,
/// and the form waits for them.
async function attach(page: Page, js: boolean, files: FileSpec[]) {
  if (!js) {
    // A file input's role is "button" (the thread's list of files is also labelled
    // "Attachments").
    await page.getByRole("button", { name: "Attachments", exact: true }).setInputFiles(files);
    return;
  }
  await page.getByLabel("Attach files").setInputFiles(files);
  const tray = page.getByRole("list", { name: "Attached files" });
  for (const f of files) {
    await expect(tray.getByRole("listitem").filter({ hasText: f.name }).getByText("Ready")).toBeVisible();
  }
}

async function signIn(page: Page, js: boolean, email: string, pass: string) {
  await page.goto("/login");
  await hydrated(page, js);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(pass);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
}

/// A staff member's page in its own browser context (the customer keeps theirs).
async function staffPage(browser: Browser, js: boolean, who = admin): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: js });
  const page = await context.newPage();
  await signIn(page, js, who.email, who.password);
  return page;
}

/// Admin → Outbox lists the mail with its link removed.
async function outboxShowsNoLink(page: Page, js: boolean, to: string, subject: string) {
  await page.goto("/admin/outbox");
  await hydrated(page, js);
  const mail = page.locator(".outbox-mail").filter({ hasText: `To ${to}` }).filter({ hasText: subject }).first();
  await expect(mail).toBeVisible();
  const body = (await mail.locator(".mail-body").textContent()) ?? "";
  expect(body).toContain("token=(removed)");
  expect(body).not.toMatch(/token=[0-9a-f]{16}/);
}

function customerEmail(js: boolean) {
  return `cora-${js ? "js" : "nojs"}@portal.example`;
}

let ticketNumber = 0;

test("register, confirm the email, submit a ticket with a file, and follow it to the end", async ({ page, browser, javaScriptEnabled: js }) => {
  const email = customerEmail(js);
  await page.goto("/portal/register");
  await hydrated(page, js);
  await page.getByLabel("Name").fill("Cora Customer");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Email me a link" }).click();
  await expect(page.getByRole("status")).toContainText("Check your email");

  const link = await linkFromMail(email, "Finish creating your account");
  const staff = await staffPage(browser, js);
  await outboxShowsNoLink(staff, js, email, "Finish creating your account");
  await page.goto(link);
  await hydrated(page, js);
  await expect(page.getByRole("heading", { name: "Finish creating your account" })).toBeVisible();
  await expect(page.getByText(`Choose the password for ${email}`)).toBeVisible();
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Confirm password").fill(password);
  await page.getByRole("button", { name: "Create my account" }).click();
  await expect(page).toHaveURL(/\/portal$/);
  await hydrated(page, js);

  await page.getByRole("link", { name: "New request" }).click();
  await hydrated(page, js);
  await page.getByLabel("Title").fill(`Invoice shows the wrong VAT (${js ? "js" : "no-js"})`);
  await page.getByLabel("Description").fill("The **VAT** on invoice 2291 is 19% instead of 7%.");
  await page.getByLabel("Priority").selectOption("high");
  await attach(page, js, [
    { name: "invoice-2291.txt", mimeType: "text/plain", buffer: Buffer.from("VAT 19%\n") },
  ]);
  await page.getByRole("button", { name: "Submit request" }).click();
  const thanks = page.getByRole("heading", { name: /Thank you: your request #\d+ is in/ });
  await expect(thanks).toBeVisible();
  ticketNumber = Number(((await thanks.textContent()) ?? "").match(/#(\d+)/)![1]);
  await expect(page.getByRole("link", { name: /Download invoice-2291.txt/ })).toBeVisible();
  const confirmation = await linkFromMail(email, `[#${ticketNumber}] We have received your request`);
  expect(confirmation).toBe(`/portal/tickets/${ticketNumber}`);
  await staff.context().close();

  // The agent finds it on the board, marked as coming from the portal, and answers.
  const agentPage = await staffPage(browser, js, agent);
  await agentPage.goto(`/tickets/${ticketNumber}`);
  await hydrated(agentPage, js);
  await agentPage.getByRole("link", { name: / board$/ }).click();
  await hydrated(agentPage, js);
  const card = agentPage.locator("li.card").filter({ hasText: `#${ticketNumber}` });
  await expect(card).toBeVisible();
  await expect(card.getByText("Portal", { exact: true })).toBeVisible();
  await agentPage.goto(`/tickets/${ticketNumber}`);
  await hydrated(agentPage, js);
  const composer = agentPage.getByRole("form", { name: "Write a message" });
  await composer.getByRole("radio", { name: "Reply to customer" }).check();
  await composer.getByLabel("Message").fill("We are correcting the invoice today.");
  await composer.getByRole("button", { name: "Send reply" }).click();
  await expect(agentPage.getByRole("article", { name: "Reply by Alan Agent" })).toBeVisible();
  await composer.getByRole("radio", { name: "Internal note" }).check();
  await composer.getByLabel("Message").fill("SECRET: customer was overcharged twice before.");
  await composer.getByRole("button", { name: "Add internal note" }).click();
  await expect(agentPage.getByRole("article", { name: "Internal note by Alan Agent" })).toBeVisible();

  // The customer sees the answer and never the note; replies; closes the ticket.
  await page.goto(`/portal/tickets/${ticketNumber}`);
  await hydrated(page, js);
  await expect(page.getByText("We are correcting the invoice today.")).toBeVisible();
  await expect(page.getByText("SECRET")).toHaveCount(0);
  await page.getByLabel("Your reply").fill("Thank you! Please send the corrected copy.");
  await attach(page, js, [{ name: "old-copy.txt", mimeType: "text/plain", buffer: Buffer.from("old\n") }]);
  await page.getByRole("button", { name: "Send reply" }).click();
  await expect(page.getByText("Your reply was sent.")).toBeVisible();
  await expect(page.getByText("Please send the corrected copy.")).toBeVisible();
  await expect(page.getByRole("link", { name: /Download old-copy.txt/ })).toBeVisible();
  await page.getByRole("button", { name: "This is solved: close the ticket" }).click();
  await expect(page.getByRole("button", { name: "Reopen this ticket" })).toBeVisible();
  await page.goto("/portal?status=closed");
  await hydrated(page, js);
  await expect(page.getByRole("link", { name: new RegExp(`#${ticketNumber} Invoice shows`) })).toBeVisible();
  await agentPage.context().close();
});

test("forgot password: a link by email, a new password, signed in", async ({ page, browser, javaScriptEnabled: js }) => {
  const email = customerEmail(js);
  await page.goto("/login");
  await hydrated(page, js);
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await hydrated(page, js);
  // The page arrives by client-side navigation (its code and its server-rendered
  // body load after the click): type once it has settled, as a person would.
  await page.waitForLoadState("networkidle");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByText("If an account uses that email")).toBeVisible();

  const reset = await linkFromMail(email, "Reset your password");
  const staff = await staffPage(browser, js);
  await outboxShowsNoLink(staff, js, email, "Reset your password");
  await staff.context().close();
  const fresh = "a completely new long password";
  await page.goto(reset);
  await hydrated(page, js);
  await page.getByLabel("Password", { exact: true }).fill(fresh);
  await page.getByLabel("Confirm password").fill(fresh);
  await page.getByRole("button", { name: "Set the new password" }).click();
  await expect(page).toHaveURL(/\/portal$/);
  await expect(page.getByRole("heading", { name: "My tickets" })).toBeVisible();
  // The link works once.
  await page.goto(reset);
  await expect(page.getByText("This link has expired or was already used.")).toBeVisible();
  // The new password signs in; the old one does not.
  const other = await browser.newContext({ javaScriptEnabled: js });
  const second = await other.newPage();
  await second.goto("/login");
  await hydrated(second, js);
  await second.getByLabel("Email").fill(email);
  await second.getByLabel("Password", { exact: true }).fill(password);
  await second.getByRole("button", { name: "Sign in" }).click();
  await expect(second.getByText(/email or password/i)).toBeVisible();
  await signIn(second, js, email, fresh);
  await other.close();
});

test("the new-request form checks as you type, keeps a draft across a reload, and sends files with progress", async ({ page, javaScriptEnabled: js }) => {
  test.skip(!js, "checking as you type and drafts need JavaScript");
  await signIn(page, js, customerEmail(js), "a completely new long password");
  await page.goto("/portal/new");
  await hydrated(page, js);
  const title = page.getByLabel("Title");
  await title.fill("Printer");
  await title.fill("");
  await expect(page.getByText("Give the ticket a title.")).toBeVisible();
  await expect(title).toHaveAttribute("aria-invalid", "true");
  await title.fill("Scanner jams on page two");
  await expect(page.getByText("Give the ticket a title.")).toHaveCount(0);
  // Refused in the browser before anything is sent, by the server's own rule.
  await page.getByRole("button", { name: "Submit request" }).click();
  await expect(page.getByText("Describe what you need help with.")).toBeVisible();
  await expect(page).toHaveURL(/\/portal\/new$/);
  await page.getByLabel("Description").fill("Every second page comes out crumpled.");
  await page.reload();
  await hydrated(page, js);
  await expect(page.getByLabel("Title")).toHaveValue("Scanner jams on page two");
  await expect(page.getByLabel("Description")).toHaveValue("Every second page comes out crumpled.");
  await attach(page, js, [
    { name: "scan.txt", mimeType: "text/plain", buffer: Buffer.alloc(300_000, "x") },
  ]);
  await page.getByRole("button", { name: "Submit request" }).click();
  await expect(page.getByRole("heading", { name: /Thank you: your request #\d+ is in/ })).toBeVisible();
  await expect(page.getByRole("link", { name: /Download scan.txt/ })).toBeVisible();
  // Sent: the draft is gone.
  await page.goto("/portal/new");
  await hydrated(page, js);
  await expect(page.getByLabel("Title")).toHaveValue("");
});

test("on a 360-pixel phone the portal pages do not scroll sideways", async ({ page, javaScriptEnabled: js }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  for (const path of ["/login", "/portal/register", "/forgot"]) {
    await page.goto(path);
    await hydrated(page, js);
    expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(360);
  }
  await signIn(page, js, customerEmail(js), "a completely new long password");
  for (const path of ["/portal", "/portal/new", `/portal/tickets/${ticketNumber}`]) {
    await page.goto(path);
    await hydrated(page, js);
    expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(360);
  }
});

test("without JavaScript a refused request comes back with the message by its field and what was typed, kept out of the address", async ({ page, javaScriptEnabled: js }) => {
  test.skip(js, "with JavaScript the form is checked before it is sent (above)");
  await signIn(page, js, customerEmail(js), "a completely new long password");
  await page.goto("/portal/new");
  await page.getByLabel("Title").fill("Scanner jams on page two");
  await page.getByLabel("Priority").selectOption("high");
  await page.getByRole("button", { name: "Submit request" }).click();
  await expect(page.getByText("Describe what you need help with.")).toBeVisible();
  await expect(page.getByLabel("Description")).toHaveAttribute("aria-describedby", /field-description-error/);
  await expect(page.getByLabel("Title")).toHaveValue("Scanner jams on page two");
  await expect(page.getByLabel("Priority")).toHaveValue("high");
  expect(page.url()).toContain("__err=");
  expect(page.url()).not.toContain("Scanner");
  // Loaded again without the refusal in its address, the form is empty.
  await page.goto("/portal/new");
  await expect(page.getByLabel("Title")).toHaveValue("");
});

test("a draft kept in the browser is the signed-in person's, and goes when they sign out", async ({ page, javaScriptEnabled: js }) => {
  test.skip(!js, "drafts are kept in the browser with JavaScript");
  await signIn(page, js, customerEmail(js), "a completely new long password");
  await page.goto("/portal/new");
  await hydrated(page, js);
  await page.getByLabel("Title").fill("Left on a shared computer");
  const drafts = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("grip.draft.")));
  await expect.poll(drafts).toHaveLength(1);
  expect((await drafts())[0]).toMatch(/^grip\.draft\.\d+\.portal-new$/);
  await page.getByLabel(/Account menu for/).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  expect(await drafts()).toEqual([]);
});
