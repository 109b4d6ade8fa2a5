import { test, expect, Page } from "@playwright/test";
import { readFileSync } from "node:fs";

// Runs after board.spec.ts on the same server: the admin and tickets #1001 and #1002
// exist. Works on #1002's conversation.
test.describe.configure({ mode: "serial" });

const admin = { email: "ada@example.com", password: "correct horse battery staple" };

async function hydrated(page: Page, js: boolean) {
  if (js) await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
}

async function openTicket(page: Page, js: boolean, number = 1002) {
  await page.goto("/login");
  await hydrated(page, js);
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Password", { exact: true }).fill(admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
  await page.goto(`/tickets/${number}`);
  await hydrated(page, js);
  await expect(page.getByRole("heading", { name: "Conversation" })).toBeVisible();
}

function composer(page: Page) {
  return page.getByRole("form", { name: "Write a message" });
}

test("reply to the customer and add an internal note; the two are told apart", async ({ page, javaScriptEnabled }) => {
  await openTicket(page, javaScriptEnabled);
  const form = composer(page);
  const tag = javaScriptEnabled ? "js" : "no-js";
  await form.getByRole("radio", { name: "Reply to customer" }).check();
  await form.getByLabel("Message").fill(`Thanks for the report (${tag}). We are **on it**.`);
  await form.getByRole("button", { name: "Send reply" }).click();
  const reply = page.getByRole("article", { name: "Reply by Ada Admin" }).filter({ hasText: `(${tag})` });
  await expect(reply).toBeVisible();
  await expect(reply.locator("strong")).toHaveText("on it");

  await form.getByRole("radio", { name: "Internal note" }).check();
  await expect(form.getByRole("button", { name: "Send reply" })).toBeHidden();
  await form.getByLabel("Message").fill(`Tray 2 sensor is known to fail (${tag}).`);
  await form.getByRole("button", { name: "Add internal note" }).click();
  const note = page.getByRole("article", { name: "Internal note by Ada Admin" }).filter({ hasText: `(${tag})` });
  await expect(note).toBeVisible();
  await expect(note).toContainText("Internal note");
  await expect(reply).toContainText("Reply");
  // Told apart by more than the label: the note has its own colours.
  const bg = async (l: typeof note) => l.evaluate((e) => getComputedStyle(e).backgroundColor);
  expect(await bg(note)).not.toEqual(await bg(reply));

  // The composer starts on the kind used last on this ticket.
  await page.reload();
  await hydrated(page, javaScriptEnabled);
  await expect(composer(page).getByRole("radio", { name: "Internal note" })).toBeChecked();
  await expect(page.getByRole("region", { name: "History" })).toContainText("added an internal note");
});

test("attach two files to a reply and download one", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "uploading needs JavaScript");
  await openTicket(page, javaScriptEnabled);
  const form = composer(page);
  await form.getByRole("radio", { name: "Reply to customer" }).check();
  await form.getByLabel("Attach files").setInputFiles([
    { name: "printer-log.txt", mimeType: "text/plain", buffer: Buffer.from("E42 paper path blocked\n") },
    { name: "photo.png", mimeType: "image/png", buffer: Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a3a6c1b10000000049454e44ae426082", "hex") },
  ]);
  const uploads = form.getByRole("list", { name: "Attached files" });
  await expect(uploads.getByText("Ready")).toHaveCount(2);
  await form.getByLabel("Message").fill("Here is the log and a photo.");
  await form.getByRole("button", { name: "Send reply" }).click();
  const reply = page.getByRole("article", { name: "Reply by Ada Admin" }).filter({ hasText: "log and a photo" });
  await expect(reply.getByRole("link", { name: /Download printer-log.txt/ })).toBeVisible();
  await expect(reply.getByRole("link", { name: /Download photo.png/ })).toBeVisible();
  await expect(uploads.getByRole("listitem")).toHaveCount(0);

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    reply.getByRole("link", { name: /Download printer-log.txt/ }).click(),
  ]);
  expect(download.suggestedFilename()).toBe("printer-log.txt");
  expect(readFileSync(await download.path(), "utf8")).toBe("E42 paper path blocked\n");
});

test("a file over the limit is refused before it is sent", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "uploading needs JavaScript");
  await openTicket(page, javaScriptEnabled);
  const big = Buffer.alloc(25 * 1024 * 1024 + 1, 1);
  await composer(page).getByLabel("Attach files").setInputFiles([{ name: "huge.bin", mimeType: "application/octet-stream", buffer: big }]);
  await expect(page.getByRole("alert").filter({ hasText: "“huge.bin” is too large: files can be at most 25 MB." })).toBeVisible();
});

test("a typed reply is kept as a draft across a reload", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "drafts save themselves with JavaScript");
  await openTicket(page, javaScriptEnabled, 1001);
  const form = composer(page);
  await form.getByLabel("Message").fill("Half-written answer about toner");
  await expect(form.getByText(/^Draft saved \d\d:\d\d$/)).toBeVisible();
  await page.reload();
  await hydrated(page, javaScriptEnabled);
  await expect(composer(page).getByLabel("Message")).toHaveValue("Half-written answer about toner");
  // Discarding clears it everywhere.
  await composer(page).getByRole("button", { name: "Discard draft" }).click();
  await expect(composer(page).getByLabel("Message")).toHaveValue("");
  await page.waitForTimeout(300);
  await page.reload();
  await hydrated(page, javaScriptEnabled);
  await expect(composer(page).getByLabel("Message")).toHaveValue("");
});

test("typing while offline is kept on the device and saved when back online", async ({ page, context, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "drafts save themselves with JavaScript");
  await openTicket(page, javaScriptEnabled, 1001);
  const form = composer(page);
  await context.setOffline(true);
  await form.getByLabel("Message").fill("Written on the train");
  await expect(form.getByText("Offline — kept on this device")).toBeVisible();
  await context.setOffline(false);
  await expect(form.getByText(/^Draft saved \d\d:\d\d$/)).toBeVisible();
  await page.reload();
  await hydrated(page, javaScriptEnabled);
  await expect(composer(page).getByLabel("Message")).toHaveValue("Written on the train");
  // Sending clears the draft.
  await composer(page).getByRole("radio", { name: "Internal note" }).check();
  await composer(page).getByRole("button", { name: "Add internal note" }).click();
  await expect(page.getByRole("article", { name: "Internal note by Ada Admin" }).filter({ hasText: "Written on the train" })).toBeVisible();
  await page.reload();
  await hydrated(page, javaScriptEnabled);
  await expect(composer(page).getByLabel("Message")).toHaveValue("");
});

test("a lead's canned reply is inserted with its placeholders filled", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "the canned-reply menu needs JavaScript (without it, replies are typed)");
  await openTicket(page, javaScriptEnabled);
  await page.goto("/team");
  await hydrated(page, javaScriptEnabled);
  const add = page.getByRole("region", { name: "Add a canned reply" });
  await add.getByLabel("Title").fill("Greeting");
  await add.getByLabel("Text").fill("Hello {{customer.name}}, this is {{agent.name}} about {{ticket.number}}.");
  await add.getByRole("button", { name: "Add canned reply" }).click();
  await expect(page.getByRole("group", { name: "Canned reply Greeting" })).toBeVisible();

  await page.goto("/tickets/1002");
  await hydrated(page, javaScriptEnabled);
  const form = composer(page);
  const message = form.getByLabel("Message");
  await message.fill("");
  await message.pressSequentially("/gree");
  await form.getByRole("list", { name: "Canned replies" }).getByRole("button", { name: /Greeting/ }).click();
  await expect(message).toHaveValue("Hello Pat Printer, this is Ada Admin about #1002.");
  // And from the menu, below what is typed.
  await message.fill("Thanks!");
  await form.getByRole("button", { name: "Canned reply" }).click();
  await form.getByLabel("Search canned replies").fill("hello");
  await form.getByRole("list", { name: "Canned replies" }).getByRole("button", { name: /Greeting/ }).click();
  await expect(message).toHaveValue("Thanks!\n\nHello Pat Printer, this is Ada Admin about #1002.");
  await form.getByRole("button", { name: "Discard draft" }).click();
});

async function newTicket(page: Page, js: boolean, title: string): Promise<number> {
  await page.goto("/tickets/new");
  await hydrated(page, js);
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Description").fill(`${title}: written by the merge journey.`);
  await page.getByLabel("Customer email").fill("pat@initrode.example");
  await page.getByRole("button", { name: "Create ticket" }).click();
  await expect(page).toHaveURL(/\/board\?team=/);
  const card = page.getByRole("list", { name: "New", exact: true }).getByRole("listitem", { name: new RegExp(`^#\\d+ ${title}`) });
  const name = await card.first().evaluate((e) => e.getAttribute("aria-label") ?? e.textContent ?? "");
  return Number(/#(\d+)/.exec(name)![1]);
}

test("merge a duplicate into another ticket; its number leads there", async ({ page, javaScriptEnabled }) => {
  await openTicket(page, javaScriptEnabled, 1001);
  const original = await newTicket(page, javaScriptEnabled, "Scanner offline");
  const duplicate = await newTicket(page, javaScriptEnabled, "Scanner offline again");
  await page.goto(`/tickets/${duplicate}`);
  await hydrated(page, javaScriptEnabled);
  const form = composer(page);
  await form.getByRole("radio", { name: "Reply to customer" }).check();
  await form.getByLabel("Message").fill("Reply written on the duplicate.");
  await form.getByRole("button", { name: "Send reply" }).click();
  await expect(page.getByRole("article", { name: "Reply by Ada Admin" }).filter({ hasText: "on the duplicate" })).toBeVisible();

  const merge = page.getByRole("form", { name: "Merge this ticket" });
  await merge.getByLabel(`Merge #${duplicate} into`).fill(String(original));
  await merge.getByRole("button", { name: "Merge" }).click();
  await expect(page).toHaveURL(new RegExp(`/tickets/${original}$`));
  await expect(page.getByRole("heading", { name: `#${original} Scanner offline` })).toBeVisible();
  await expect(page.getByRole("article", { name: "Reply by Ada Admin" }).filter({ hasText: "on the duplicate" })).toBeVisible();
  await expect(page.getByRole("region", { name: "History" })).toContainText(`merged #${duplicate} into it`);
  await page.goto(`/tickets/${duplicate}`);
  await expect(page).toHaveURL(new RegExp(`/tickets/${original}$`));
});

test("log time with the timer", async ({ page, javaScriptEnabled }) => {
  await openTicket(page, javaScriptEnabled, 1001);
  const time = page.getByRole("region", { name: "Time" });
  await time.getByRole("button", { name: "Start timer" }).click();
  await expect(time.getByText(/Timer running since/)).toBeVisible();
  await time.getByRole("button", { name: "Stop timer" }).click();
  await expect(time.getByRole("button", { name: "Start timer" })).toBeVisible();
  await expect(time.getByRole("list", { name: "Time per person" })).toContainText("Ada Admin: 1 min");
  const log = page.getByRole("form", { name: "Log time" });
  // A refused entry says why next to the field and keeps what was typed.
  await log.getByLabel("Minutes").fill("lots");
  await log.getByLabel("Note").fill("Phone call");
  await log.getByRole("button", { name: "Log time" }).click();
  await expect(page.getByRole("form", { name: "Log time" }).getByText("Enter minutes (such as 45), or hours and minutes (1:30).")).toBeVisible();
  await expect(page.getByRole("form", { name: "Log time" }).getByLabel("Minutes")).toHaveValue("lots");
  await expect(page.getByRole("form", { name: "Log time" }).getByLabel("Note")).toHaveValue("Phone call");
  await log.getByLabel("Minutes").fill("1:15");
  await log.getByLabel("Note").fill("Phone call");
  await log.getByRole("button", { name: "Log time" }).click();
  await expect(time.getByRole("list", { name: "Time per person" })).toContainText("Ada Admin: 1 h 16 min");
  await expect(time.getByRole("list", { name: "Time entries" })).toContainText("Phone call");
});

test("the new-ticket form keeps a draft across a reload, cleared by creating the ticket", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "drafts save themselves with JavaScript");
  await openTicket(page, javaScriptEnabled, 1001);
  await page.goto("/tickets/new");
  await hydrated(page, javaScriptEnabled);
  await page.getByLabel("Title").fill("Projector flickers");
  await page.getByLabel("Description").fill("Room 4, since the update.");
  await expect(page.getByText(/^Draft saved \d\d:\d\d$/)).toBeVisible();
  await page.reload();
  await hydrated(page, javaScriptEnabled);
  await expect(page.getByLabel("Title")).toHaveValue("Projector flickers");
  await expect(page.getByLabel("Description")).toHaveValue("Room 4, since the update.");
  await page.getByLabel("Customer email").fill("pat@initrode.example");
  await page.getByRole("button", { name: "Create ticket" }).click();
  await expect(page).toHaveURL(/\/board\?team=/);
  await page.goto("/tickets/new");
  await hydrated(page, javaScriptEnabled);
  await expect(page.getByLabel("Title")).toHaveValue("");
});

test("a side panel's form (log time) leaves unsaved edits in Details as typed, then save", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "without JavaScript every form posts the page; Details are saved with their own button");
  await openTicket(page, javaScriptEnabled, 1001);
  const details = page.getByRole("region", { name: "Details" });
  const title = details.getByLabel("Title");
  const original = await title.inputValue();
  const originalPriority = await details.getByLabel("Priority").inputValue();
  const originalDescription = await details.getByLabel("Description").inputValue();
  await title.fill(`${original} (edited)`);
  await details.getByLabel("Description").fill("Typed but not saved yet.");
  await details.getByLabel("Priority").selectOption("low");
  // A mark on the page: gone if the page were loaded again.
  await page.evaluate(() => { (window as unknown as { stayed: boolean }).stayed = true; });
  const log = page.getByRole("form", { name: "Log time" });
  await log.getByLabel("Minutes").fill("5");
  await log.getByLabel("Note").fill("Kept details");
  await log.getByRole("button", { name: "Log time" }).click();
  await expect(page.getByRole("region", { name: "Time" }).getByRole("list", { name: "Time entries" })).toContainText("Kept details");
  await expect(log.getByLabel("Minutes")).toHaveValue("");
  await expect(page.getByRole("region", { name: "History" })).toContainText("logged 5 min");
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
  await expect(details.getByLabel("Title")).toHaveValue(`${original} (edited)`);
  await expect(details.getByLabel("Description")).toHaveValue("Typed but not saved yet.");
  await expect(details.getByLabel("Priority")).toHaveValue("low");
  await details.getByRole("button", { name: "Save changes" }).click();
  await expect(details.getByText("Saved.")).toBeVisible();
  await page.reload();
  await hydrated(page, javaScriptEnabled);
  await expect(page.getByRole("region", { name: "Details" }).getByLabel("Title")).toHaveValue(`${original} (edited)`);
  // Back as it was, for the journeys that follow.
  const again = page.getByRole("region", { name: "Details" });
  await again.getByLabel("Title").fill(original);
  await again.getByLabel("Description").fill(originalDescription);
  await again.getByLabel("Priority").selectOption(originalPriority);
  await again.getByRole("button", { name: "Save changes" }).click();
  await expect(again.getByText("Saved.")).toBeVisible();
});
