import { defineConfig } from "@playwright/test";

// Two projects, each against its own release server on a fresh database: one with
// JavaScript (the hydrated app), one without (server-rendered forms must work).
const bin = process.env.GRIP_BIN ?? "../target/release/grip";
const siteRoot = process.env.GRIP_SITE_ROOT ?? "../target/site";

// The Postgres project runs the hydrated journeys against a server on a fresh
// Postgres database that scripts/test.sh creates (GRIP_E2E_POSTGRES_URL).
const postgresUrl = process.env.GRIP_E2E_POSTGRES_URL;

function server(port: number, name: string, databaseUrl = "", command = `${bin} serve`) {
  return {
    command,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe" as const,
    env: {
      ...process.env,
      GRIP_LISTEN: `127.0.0.1:${port}`,
      GRIP_DATA_DIR: `.data/${name}`,
      GRIP_SITE_ROOT: siteRoot,
      GRIP_DATABASE_URL: databaseUrl,
      GRIP_LOG_LEVEL: "warn",
      // No mail server here: mail goes to a development sink the journeys read
      // (tests/portal.spec.ts), as the README says a person without SMTP can.
      GRIP_MAIL_DIR: `.data/${name}/mail`,
      // The throttling journey signs in "from" its own address (X-Forwarded-For) so
      // it does not use up the allowance of 127.0.0.1 that later journeys need.
      GRIP_TRUST_PROXY: "true",
    } as Record<string, string>,
  };
}

export default defineConfig({
  testDir: "./tests",
  reporter: "line",
  workers: 1,
  fullyParallel: false,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
      ],
    },
    trace: "retain-on-failure",
  },
  projects: [
    { name: "hydrated", testIgnore: /wire\.spec/, use: { baseURL: "http://127.0.0.1:3301", javaScriptEnabled: true } },
    { name: "no-js", testIgnore: /wire\.spec/, use: { baseURL: "http://127.0.0.1:3302", javaScriptEnabled: false } },
    ...(postgresUrl
      ? [{ name: "postgres", testIgnore: /wire\.spec/, use: { baseURL: "http://127.0.0.1:3303", javaScriptEnabled: true } }]
      : []),
    // Bytes on the wire, against the demo workspace (issue 14's budgets).
    { name: "wire", testMatch: /wire\.spec/, use: { baseURL: "http://127.0.0.1:3304", javaScriptEnabled: true } },
  ],
  webServer: [
    server(3301, "hydrated"),
    server(3302, "no-js"),
    ...(postgresUrl ? [server(3303, "postgres", postgresUrl)] : []),
    server(3304, "wire", "", `GRIP_BIN=${bin} ./demo-server.sh`),
  ],
});
