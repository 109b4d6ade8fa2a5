import * as fs from "node:fs";
import * as path from "node:path";
import { test, expect } from "@playwright/test";

// Mail as the journeys read it: there is no mail server here, so each project's
// server writes its mail into a sink directory (playwright.config.ts).

/// The body of the newest mail to `to` with `subject` that the server of this
/// project wrote into its mail_dir sink (`.data/<project>/mail`, see
/// playwright.config.ts), undoing the transfer encoding lettre chose.
export function mailIn(dir: string, to: string, subject: string): string | null {
  if (!fs.existsSync(dir)) return null;
  const mails = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".eml"))
    .map((f) => ({ at: fs.statSync(path.join(dir, f)).mtimeMs, text: fs.readFileSync(path.join(dir, f), "utf8") }))
    .sort((a, b) => b.at - a.at);
  for (const { text } of mails) {
    const split = text.search(/\r?\n\r?\n/);
    const head = text.slice(0, split);
    let body = text.slice(split).trim();
    if (!head.split(/\r?\n/).some((l) => l.startsWith("To:") && l.toLowerCase().includes(to.toLowerCase()))) continue;
    if (!head.includes(`Subject: ${subject}`)) continue;
    if (/Content-Transfer-Encoding: quoted-printable/i.test(head)) {
      body = Buffer.from(
        body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))),
        "latin1",
      ).toString("utf8");
    } else if (/Content-Transfer-Encoding: base64/i.test(head)) {
      body = Buffer.from(body.replace(/\s/g, ""), "base64").toString("utf8");
    }
    return body;
  }
  return null;
}

/// The path and query of the link in the newest mail to `to` with `subject`.
export async function linkFromMail(to: string, subject: string): Promise<string> {
  const dir = path.join(".data", test.info().project.name, "mail");
  let body: string | null = null;
  await expect.poll(() => (body = mailIn(dir, to, subject)) !== null, { message: `a mail "${subject}" to ${to}` }).toBe(true);
  const url = body!.match(/https?:\/\/\S+/);
  expect(url, body!).not.toBeNull();
  return new URL(url![0]).pathname + new URL(url![0]).search;
}

