// The tables follow the server: announced changes (GET /events) make the page fetch them at
// once, with no polling while the stream is open; with the stream cut, the page polls.
import { test, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "./server.mjs";
import { launchBrowser, openLab, byTest, setDelay, waitDone, waitOrdersShown } from "./browser.mjs";

let browser;
let server;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser.close(); });
beforeEach(async () => { server = await startServer(); });
afterEach(async () => { await server.stop(); });

/// Counts the page's fetches of the orders table from now on.
function countTableFetches(page) {
  const seen = { count: 0 };
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/orders" && request.method() === "GET") seen.count += 1;
  });
  return seen;
}

/// How long after `since` (ms since the epoch) the orders table shows `count` orders.
async function shownAfter(page, count, since) {
  await waitOrdersShown(page, count);
  return Date.now() - since;
}

test("with the stream open, an order shows in the table as soon as it is stored, and nothing polls", async () => {
  const page = await openLab(browser, server.base);
  await setDelay(page, 0);
  await page.waitForFunction(() => document.querySelector('[data-testid="orders-empty"]')?.textContent === "No orders yet.");
  // The fetch on load and the one when the stream opens (for what changed in between).
  await page.waitForTimeout(1000);
  const fetches = countTableFetches(page);
  // Idle for longer than two poll intervals: an open stream means no polling at all.
  await page.waitForTimeout(4500);
  assert.equal(fetches.count, 0, "no poll while the stream is open");

  await page.locator(byTest("place-order")).click();
  await waitDone(page);
  const done = Date.now();
  const latency = await shownAfter(page, 1, done);
  console.log(`orders table updated ${latency} ms after the order's answer (stream)`);
  assert.ok(fetches.count >= 1 && fetches.count <= 2, `one fetch per announcement burst (${fetches.count})`);

  // Another learner's tab (the API directly) is announced too, once the view includes it.
  await page.locator(byTest("only-mine")).uncheck();
  const placed = Date.now();
  const response = await fetch(`${server.base}/orders`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() },
    body: JSON.stringify({ userId: "someone-else", items: [{ sku: "A-1", qty: 1 }] }),
  });
  assert.equal(response.status, 201);
  console.log(`another learner's order shown ${await shownAfter(page, 2, placed)} ms after it was placed (stream)`);
});

test("with the stream cut, the table still updates, from one poll", async () => {
  const context = await browser.newContext({ locale: "en-US" });
  await context.route("**/events*", (route) => route.abort());
  const page = await context.newPage();
  await page.goto(`${server.base}/sandbox`);
  await page.waitForSelector("html[data-hydrated=true]");
  await page.waitForFunction(() => !document.querySelector("[data-deferred]:not([data-deferred=ready])"));
  await setDelay(page, 0);
  const fetches = countTableFetches(page);
  await page.locator(byTest("place-order")).click();
  await waitDone(page);
  const done = Date.now();
  const before = fetches.count;
  const latency = await shownAfter(page, 1, done);
  console.log(`orders table updated ${latency} ms after the order's answer (polling)`);
  assert.ok(fetches.count > before, "the update came from a poll");
  await context.close();
});
