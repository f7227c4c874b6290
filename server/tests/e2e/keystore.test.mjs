// Where the pending key lives: memory, sessionStorage or localStorage, each tried with a
// reload, a second tab and a duplicated tab while an order is on the wire.
import { test, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "./server.mjs";
import { launchBrowser, openLab, waitHydrated, byTest, setDelay, waitDone, currentKey } from "./browser.mjs";

let browser;
let server;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser.close(); });
beforeEach(async () => { server = await startServer(); });
afterEach(async () => { await server.stop(); });

// What each store does: [store, its name in the saved settings, a reload resumes the key,
// a second tab picks up the pending order, a duplicated tab resumes the key].
const STORES = [
  ["memory", "Memory", false, false, false],
  ["session", "Session", true, false, true],
  ["local", "Local", true, true, true],
];

/// A tab with `store` chosen and an order whose first attempt the server is working on.
async function pendingOrder(store, saved) {
  const page = await openLab(browser, server.base);
  await page.locator(byTest(`key-store-${store}`)).check();
  await page.waitForFunction(
    (name) => JSON.parse(localStorage.getItem("idem-lab.settings") ?? "{}").key_store === name,
    saved,
  );
  await setDelay(page, 3000);
  await page.locator(byTest("place-order")).click();
  await page.waitForSelector(`${byTest("attempt")}[data-status="…"]`);
  await page.waitForFunction(() => fetch("/idempotency-records").then((r) => r.json()).then((r) => r.length === 1));
  return { page, key: await currentKey(page) };
}

/// The page carries on with `key`, and says so.
async function assertResumed(page, key) {
  await page.waitForSelector(byTest("resume-banner"));
  assert.equal(await currentKey(page), key, "the same key");
}

/// The page has no pending order: ready for a first click.
async function assertEmpty(page) {
  await page.waitForFunction(() => /^Ready\./.test(document.querySelector('[data-testid="status"]').textContent));
  assert.equal(await page.locator(byTest("current-key")).count(), 0, "no key");
  assert.equal(await page.locator(byTest("resume-banner")).count(), 0, "nothing resumed");
}

async function learnersOrders(page) {
  const learner = await page.locator(byTest("user-id")).inputValue();
  return server.json(`/orders?userId=${encodeURIComponent(learner)}`);
}

for (const [store, saved, reloadResumes, secondPicksUp, duplicateResumes] of STORES) {
  test(`${store}: a reload mid-request ${reloadResumes ? "resumes the key: one order" : "loses the key: the next click is a second order"}`, async () => {
    const { page, key } = await pendingOrder(store, saved);
    await Promise.all([page.waitForEvent("load"), page.locator(byTest("key-store-reload")).click()]);
    await waitHydrated(page);
    if (reloadResumes) {
      await assertResumed(page, key);
    } else {
      await assertEmpty(page);
      // The server finishes the first request although its page is gone.
      await page.waitForFunction(() => fetch("/orders").then((r) => r.json()).then((o) => o.length === 1));
      await page.locator(byTest("place-order")).click();
    }
    await waitDone(page);
    const orders = await learnersOrders(page);
    assert.equal(orders.length, reloadResumes ? 1 : 2);
    assert.equal(orders.some((o) => o.idempotencyKey === key), true, "the first key's order");
    assert.equal(await currentKey(page) === key, reloadResumes);
  });

  for (const [button, resumes] of [["second-tab", secondPicksUp], ["duplicate-tab", duplicateResumes]]) {
    test(`${store}: a ${button.replace("-", " ")} ${resumes ? "drives the same pending key" : "starts empty"}: one order`, async () => {
      const { page, key } = await pendingOrder(store, saved);
      const opened = page.context().waitForEvent("page");
      await page.locator(byTest(`key-store-${button}`)).click();
      const tab = await opened;
      await waitHydrated(tab);
      if (resumes) await assertResumed(tab, key);
      else await assertEmpty(tab);

      await waitDone(page);
      if (resumes) await waitDone(tab);
      const orders = await learnersOrders(page);
      assert.deepEqual(orders.map((o) => o.idempotencyKey), [key], "one order, under the first key");
    });
  }
}

test("the experiment: three stores, three buttons, nine cases, in both languages", async () => {
  const page = await openLab(browser, server.base);
  const table = page.locator(".key-store-cases");
  assert.equal(await table.locator("caption").count(), 1);
  assert.equal(await table.locator('thead th[scope="col"]').count(), 4);
  assert.equal(await table.locator('tbody th[scope="row"]').count(), 3);
  assert.equal(await table.locator("tbody td").count(), 9);
  assert.ok(await page.locator(byTest("key-store-session")).isChecked(), "sessionStorage by default");
  for (const id of ["reload", "second-tab", "duplicate-tab"]) {
    assert.ok(await page.locator(byTest(`key-store-${id}`)).isEnabled());
  }
  await page.locator(byTest("lang-ja")).click();
  await page.waitForFunction(() => document.querySelector(".key-store legend").textContent.includes("キー"));
  assert.match(await table.locator("caption").textContent(), /保留中の注文/);
});
