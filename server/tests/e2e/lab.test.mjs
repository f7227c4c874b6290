// The learner's flow in a real browser: one order, however often you click or reload.
import { test, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "./server.mjs";
import {
  launchBrowser, openLab, waitHydrated, byTest, setDelay, waitDone, currentKey, waitOrdersShown,
  changeOrderUnderOneKey, textOnceShown,
} from "./browser.mjs";

let browser;
let server;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser.close(); });
beforeEach(async () => { server = await startServer(); });
afterEach(async () => { await server.stop(); });

test("ten rapid clicks make exactly one order", async () => {
  const page = await openLab(browser, server.base);
  await setDelay(page, 1000);
  const button = page.locator(byTest("place-order"));
  for (let i = 0; i < 10; i++) await button.click({ force: true, noWaitAfter: true });
  await waitDone(page);

  const orders = await server.json("/orders");
  assert.equal(orders.length, 1, "one order in the database");
  await waitOrdersShown(page, 1);
  const key = await currentKey(page);
  assert.equal(orders[0].idempotencyKey, key);
  assert.match(await textOnceShown(page, "backend", /Kept in SQLite/), /Kept in SQLite/);
  // A delay: the diagram shows the claim in flight, then the commit.
  assert.match(await page.locator(byTest("sequence")).textContent(), /claim key \(in flight\)/);
  const keys = await page.locator(`${byTest("attempt")} td:nth-child(3)`).evaluateAll(
    (cells) => cells.map((c) => c.getAttribute("title")),
  );
  assert.ok(keys.length >= 2, "the clicks were sent as attempts");
  assert.ok(keys.every((k) => k === key), "every attempt carried the same key");
});

test("a reload mid-request resumes the same key and makes one order", async () => {
  const page = await openLab(browser, server.base);
  await setDelay(page, 3000);
  await page.locator(byTest("place-order")).click();
  await page.waitForSelector(`${byTest("attempt")}[data-status="…"]`);
  const key = await currentKey(page);
  await page.waitForFunction(() => fetch("/idempotency-records").then((r) => r.json()).then((r) => r.length === 1));

  await page.reload();
  await waitHydrated(page);
  const banner = await page.locator(byTest("resume-banner")).textContent();
  assert.match(banner, new RegExp(key.slice(0, 8)), "the page says it resumes the kept key");
  assert.match(banner, /kept across the reload/);
  await waitDone(page);

  assert.equal(await currentKey(page), key, "the same key after the reload");
  const orders = await server.json("/orders");
  assert.equal(orders.length, 1);
  assert.equal(orders[0].idempotencyKey, key);
  await waitOrdersShown(page, 1);
});

test("switching the key mode mid-order keeps the order's key and says so", async () => {
  const page = await openLab(browser, server.base);
  await setDelay(page, 1500);
  await page.locator(byTest("place-order")).click();
  await page.waitForFunction(() => document.querySelector('[data-testid="current-key"]'));
  const key = await currentKey(page);
  await page.locator(byTest("mode-server")).check();
  await page.waitForSelector(byTest("mode-applies-next"));
  await waitDone(page);
  assert.equal(await currentKey(page), key, "the pending order kept its client-made key");
  await page.locator(byTest("new-order")).click();
  await page.waitForSelector(byTest("mode-applies-next"), { state: "detached" });
});

test("only mine: a learner sees their own records, and everyone's on request", async () => {
  const rows = (page) => page.locator(byTest("record-row")).count();
  const orderInNewTab = async () => {
    const page = await openLab(browser, server.base);
    await setDelay(page, 0);
    await page.locator(byTest("place-order")).click();
    await waitDone(page);
    return page;
  };
  // Another learner's order first, so that the tables fetched after mine hold both records.
  await orderInNewTab();
  const mine = await orderInNewTab();
  await waitOrdersShown(mine, 1);
  await mine.locator(byTest("new-order")).click();
  await mine.waitForFunction(() => document.querySelectorAll('[data-testid="record-row"]').length === 1);
  assert.equal(await rows(mine), 1, "the record of my one order, kept after the order left the screen");
  await mine.locator(byTest("only-mine")).uncheck();
  await mine.waitForFunction(() => document.querySelectorAll('[data-testid="record-row"]').length >= 2);
});

test("server-issued keys: one order each, a new key for the next order", async () => {
  const page = await openLab(browser, server.base);
  await setDelay(page, 0);
  await page.locator(byTest("mode-server")).check();
  await page.locator(byTest("place-order")).click();
  await waitDone(page);
  const first = await currentKey(page);
  assert.match(first, /^srv_/);
  assert.match(await page.locator(".key-line").textContent(), /issued key expires at/);
  // No delay: the diagram shows the claim and the commit as one transaction.
  const diagram = await page.locator(byTest("sequence")).textContent();
  assert.match(diagram, /one transaction/);
  assert.doesNotMatch(diagram, /claim key \(in flight\)/);

  await page.locator(byTest("new-order")).click();
  await page.locator(byTest("place-order")).click();
  await waitDone(page);
  const second = await currentKey(page);
  assert.match(second, /^srv_/);
  assert.notEqual(second, first);

  const orders = await server.json("/orders");
  assert.deepEqual(orders.map((o) => o.idempotencyKey).sort(), [first, second].sort());
  await waitOrdersShown(page, 2);
  // Both keys start with their expiry, so with the same digits: the table still tells
  // them apart.
  const shown = await page.locator(`${byTest("orders")} tbody td:nth-child(4)`).allTextContents();
  assert.equal(new Set(shown).size, 2, `two different short keys: ${shown}`);
});

test("a 409 and a 422 are shown with the server's explanation", async () => {
  const page = await openLab(browser, server.base);
  await setDelay(page, 2000);
  await page.locator(byTest("place-order")).click();
  await page.waitForSelector(`${byTest("attempt")}[data-status="…"]`);
  await page.locator(byTest("place-order")).click();
  const busy = page.locator(`${byTest("attempt")}[data-status="409"]`).first();
  await busy.waitFor();
  assert.match(await busy.textContent(), /still running/);
  assert.match(await busy.textContent(), /A request with this key is in progress/);
  await waitDone(page);

  // Accident 2: the key is one per user, so a changed order reuses it.
  await changeOrderUnderOneKey(page, () => page.locator(byTest("place-order")).click());
  const status = await page.locator(byTest("status")).textContent();
  assert.match(status, /already used for a different request/);
  const refused = page.locator(`${byTest("attempt")}[data-status="422"]`);
  assert.match(await refused.textContent(), /belongs to a different request/);

  const orders = await server.json("/orders");
  assert.equal(orders.length, 2, "the first order and the reused-key order; the changed one was refused");
});

test("HTML in an order is shown as text, never run", async () => {
  const page = await openLab(browser, server.base);
  await setDelay(page, 0);
  const hostile = "<img src=x onerror=pwned=1>";
  await page.locator(byTest("sku-0")).fill(hostile);
  await page.locator(byTest("sku-0")).dispatchEvent("change");
  await page.locator(byTest("place-order")).click();
  await waitDone(page);
  await waitOrdersShown(page, 1);

  const cell = page.locator(`${byTest("order-row")} td:nth-child(3)`);
  assert.equal(await cell.textContent(), `${hostile} ×1`);
  assert.equal(await page.locator(`${byTest("orders")} img`).count(), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
});

test("the server dies mid-request: the page says so, keeps the key, and finishes once it is back", async () => {
  await server.stop();
  server = await startServer(["--lease", "2s"]);
  const page = await openLab(browser, server.base);
  await setDelay(page, 4000);
  await page.locator(byTest("place-order")).click();
  await page.waitForFunction(() => fetch("/idempotency-records").then((r) => r.json()).then((r) => r.length === 1));
  const key = await currentKey(page);

  const { port, dir } = server;
  await server.stop({ keep: true });
  await page.waitForSelector(byTest("server-down"));
  await page.waitForSelector(`${byTest("attempt")}[data-status="—"]`);

  server = await startServer(["--lease", "2s"], { port, dir });
  await waitDone(page);
  await page.waitForSelector(byTest("server-down"), { state: "detached" });
  assert.equal(await currentKey(page), key, "the same key from first attempt to last");
  const orders = await server.json("/orders");
  assert.equal(orders.length, 1);
  assert.equal(orders[0].idempotencyKey, key);
});

test("a request that outlives the server's lease: the attempt says it still committed", async () => {
  await server.stop();
  server = await startServer(["--lease", "1s"]);
  const page = await openLab(browser, server.base);
  await setDelay(page, 1500);
  await page.locator(byTest("place-order")).click();
  await waitDone(page);
  const note = await page.locator(byTest("lease-note")).first().textContent();
  assert.match(note, /longer than the server's lease/);
  assert.match(note, /still committed/);
  assert.equal((await server.json("/orders")).length, 1);
});

test("two learners on one server: each one's reset clears only their own orders", async () => {
  const alice = await openLab(browser, server.base);
  const bob = await openLab(browser, server.base);
  for (const page of [alice, bob]) {
    await setDelay(page, 0);
    await page.locator(byTest("place-order")).click();
    await waitDone(page);
  }
  const before = await server.json("/orders");
  assert.equal(before.length, 2);
  assert.notEqual(before[0].userId, before[1].userId, "each browser is its own learner");

  await alice.locator(byTest("reset")).click();
  await alice.waitForFunction(() => fetch("/orders").then((r) => r.json()).then((o) => o.length === 1));
  const after = await server.json("/orders");
  const bobs = await bob.locator(byTest("user-id")).inputValue();
  assert.deepEqual(after.map((o) => o.userId), [bobs], "Bob's order stays");
});
