// Bytes on the wire as Chromium counts them (Network.loadingFinished's
// encodedDataLength: headers and bodies as received, compressed where they were),
// shared by the "wire" journey (tests/wire.spec.ts) and the benchmark (bench/wire.mjs). CommonJS, so both the
// TypeScript journeys and the plain Node script can load it.

const KB = 1000;

/// Starts recording what `page` fetches; `fetches` fills as responses finish.
async function recordWire(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const urls = new Map();
  const cached = new Set();
  const fetches = [];
  cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, e.request.url));
  cdp.on("Network.requestServedFromCache", (e) => cached.add(e.requestId));
  cdp.on("Network.responseReceived", (e) => {
    if (e.response.fromDiskCache || e.response.fromPrefetchCache) cached.add(e.requestId);
  });
  cdp.on("Network.loadingFinished", (e) =>
    fetches.push({ url: urls.get(e.requestId) ?? "?", bytes: e.encodedDataLength, cached: cached.has(e.requestId) }),
  );
  return { fetches, stop: () => cdp.detach() };
}

/// Loads `url` and waits until the page is interactive and the network has settled.
async function visitUntilInteractive(page, url) {
  await page.goto(url);
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await page.waitForLoadState("networkidle");
}

/// Prints what was fetched, file by file, and returns the total bytes.
function reportWire(label, fetches, budget) {
  const total = fetches.reduce((a, f) => a + f.bytes, 0);
  const limit = budget ? ` (issue 14 target ${(budget / KB).toFixed(0)} kB)` : "";
  console.log(`${label}: ${(total / KB).toFixed(1)} kB on the wire${limit}`);
  for (const f of fetches) {
    const name = new URL(f.url).pathname.replace(/\.[A-Za-z0-9_-]{22}\./, ".");
    console.log(`    ${(f.bytes / KB).toFixed(1).padStart(7)} kB  ${f.cached ? "(cache) " : ""}${name}`);
  }
  return total;
}

module.exports = { KB, recordWire, visitUntilInteractive, reportWire };
