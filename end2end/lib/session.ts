import { expect, Page } from "@playwright/test";

// Signing in and waiting for hydration, for specs written after these helpers were
// shared (older specs still carry their own copies).

export const admin = { email: "ada@example.com", password: "correct horse battery staple" };

/** Waits until the app has hydrated (with JavaScript); without, the page is ready. */
export async function hydrated(page: Page, js: boolean) {
  if (js) await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
}

export async function signIn(page: Page, js: boolean, who: { email: string; password: string }) {
  await page.goto("/login");
  await hydrated(page, js);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password", { exact: true }).fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
  await hydrated(page, js);
}
