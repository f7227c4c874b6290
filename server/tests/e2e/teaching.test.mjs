// The teaching lab in a real browser: each accident caused, watched and fixed; languages; quiz.
import { test, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "./server.mjs";
import {
  launchBrowser, openLab, waitHydrated, byTest, waitDone, currentKey, waitOrdersShown, textOnceShown,
} from "./browser.mjs";

let browser;
let server;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser.close(); });
beforeEach(async () => { server = await startServer(); });
afterEach(async () => { await server.stop(); });

test("accident 1 on: a new key per retry turns a lost response into a duplicate order", async () => {
  const page = await openLab(browser, server.base, "/?scenario=new-key-every-retry");
  await page.locator(byTest("place-order")).click();
  await waitDone(page);

  const orders = await server.json("/orders");
  assert.equal(orders.length, 2, "the lost attempt and its retry both created an order");
  assert.notEqual(orders[0].idempotencyKey, orders[1].idempotencyKey);
  await waitOrdersShown(page, 2);
  assert.equal(await page.locator(byTest("duplicate")).count(), 1, "the second order is marked");
  assert.equal(orders[0].labOperation, orders[1].labOperation, "one operation, two keys");
  // The mark comes from the server's lineage, so it survives a reload.
  await page.reload();
  await waitHydrated(page);
  await waitOrdersShown(page, 2);
  assert.equal(await page.locator(byTest("duplicate")).count(), 1);
});

test("a second order with the same items is a new intention, not marked as a duplicate", async () => {
  const page = await openLab(browser, server.base);
  await page.locator(byTest("place-order")).click();
  await waitDone(page);
  await page.locator(byTest("new-order")).click();
  await page.locator(byTest("place-order")).click();
  await waitDone(page);
  await waitOrdersShown(page, 2);
  const orders = await server.json("/orders");
  assert.deepEqual(orders[0].items, orders[1].items, "the same items twice");
  assert.notEqual(orders[0].labOperation, orders[1].labOperation, "two operations");
  assert.equal(await page.locator(byTest("duplicate")).count(), 0);
  // After a reload the server's lineage still marks nothing.
  await page.reload();
  await waitHydrated(page);
  await waitOrdersShown(page, 2);
  assert.equal(await page.locator(byTest("duplicate")).count(), 0);
});

test("accident 1 off: the lost response is replayed under the same key, one order", async () => {
  const page = await openLab(browser, server.base, "/?scenario=lost-response");
  await page.locator(byTest("place-order")).click();
  await waitDone(page);

  const orders = await server.json("/orders");
  assert.equal(orders.length, 1);
  assert.equal(orders[0].idempotencyKey, await currentKey(page));
  const statuses = await page.locator(byTest("attempt")).evaluateAll((rows) => rows.map((r) => r.dataset.status));
  assert.equal(statuses[0], "—", "the first answer never reached the page");
  assert.match(await page.locator(byTest("status")).textContent(), /replayed the stored answer/);
  const lastRow = page.locator(byTest("attempt")).last();
  assert.match(await lastRow.textContent(), /yes/, "the final answer is a replay");
  await waitOrdersShown(page, 1);
  assert.equal(await page.locator(byTest("duplicate")).count(), 0);

  // Every attempt shows its raw HTTP and a curl command that repeats it.
  const key = await currentKey(page);
  await lastRow.locator("summary").click();
  assert.match(await lastRow.locator(byTest("raw-request")).textContent(), new RegExp(`Idempotency-Key: ${key}`));
  assert.match(await lastRow.locator(byTest("raw-response")).textContent(), /idempotent-replayed: true/);
  assert.match(await lastRow.locator(byTest("curl")).textContent(), new RegExp(`^curl -i -X POST 'http://127\\.0\\.0\\.1:\\d+/orders' .*-H 'Idempotency-Key: ${key}'`));
});

/// Accident 2's steps: an order, then another body sent under the same per-user key (a 422).
async function orderThenReuseTheKey(page) {
  await page.locator(byTest("place-order")).click();
  await waitDone(page);
  await page.locator(byTest("new-order")).click();
  await page.locator(byTest("qty-0")).fill("3");
  await page.locator(byTest("qty-0")).dispatchEvent("change");
  await page.locator(byTest("place-order")).click();
  await page.waitForSelector(byTest("mismatch"));
}

test("accident 2: a reused key gets a 422, with both bodies side by side", async () => {
  const page = await openLab(browser, server.base, "/?scenario=reused-key");
  await orderThenReuseTheKey(page);

  assert.match(await page.locator(byTest("mismatch-first")).textContent(), /"qty": 1/);
  assert.match(await page.locator(byTest("mismatch-now")).textContent(), /"qty": 3/);
  assert.match(await page.locator(byTest("mismatch")).textContent(), /fingerprint/);
  assert.equal((await server.json("/orders")).length, 1);
});

test("a failed prepare is retried and the order is placed once", async () => {
  const page = await openLab(browser, server.base, "/?scenario=prepare-fails");
  await page.locator(byTest("place-order")).click();
  await waitDone(page);

  const statuses = await page.locator(byTest("attempt")).evaluateAll((rows) => rows.map((r) => r.dataset.status));
  assert.deepEqual(statuses, ["503", "201", "201"], "prepare failed, prepare again, then the order");
  assert.match(await currentKey(page), /^srv_/);
  assert.equal((await server.json("/orders")).length, 1);
});

test("the sequence diagram is drawn from the attempts and can be stepped through", async () => {
  const page = await openLab(browser, server.base, "/?scenario=lost-response");
  await page.locator(byTest("place-order")).click();
  await waitDone(page);
  const all = await page.locator(`${byTest("sequence")} ${byTest("message")}`).count();
  assert.ok(all >= 5, `messages for every attempt (${all})`);
  assert.match(await page.locator(byTest("sequence")).textContent(), /answer lost/);
  assert.match(await page.locator(byTest("sequence")).textContent(), /Idempotent-Replayed: true/);

  await page.locator(byTest("step-back")).click();
  const fewer = await page.locator(`${byTest("sequence")} ${byTest("message")}`).count();
  assert.ok(fewer < all, "stepping back hides the last attempt");
});

test("the language switch changes the page and survives a reload", async () => {
  const page = await openLab(browser, server.base);
  await page.locator(byTest("lang-ja")).click();
  assert.equal(await page.locator("h1").textContent(), "冪等キー実験室");
  await page.reload();
  await waitHydrated(page);
  assert.equal(await page.locator("h1").textContent(), "冪等キー実験室");
  assert.equal(await page.getAttribute("html", "lang"), "ja");
  assert.match(await page.locator(byTest("place-order")).textContent(), /注文する/);
  await page.locator(byTest("lang-en")).click();
  assert.equal(await page.locator("h1").textContent(), "Idempotency keys lab");
});

test("the quiz grades answers and checks one against the live server", async () => {
  const page = await openLab(browser, server.base);
  await page.locator(byTest("q2-0")).click();
  assert.match(await page.locator(byTest("q2-feedback")).textContent(), /Not quite/);
  await page.locator(byTest("q2-2")).click();
  assert.match(await page.locator(byTest("q2-feedback")).textContent(), /Right/);
  await page.locator(byTest("q1-1-server")).click();
  assert.match(await page.locator(byTest("q1-1-feedback")).textContent(), /Right/);
  await page.locator(byTest("q1-0-server")).click();
  assert.match(await page.locator(byTest("q1-0-feedback")).textContent(), /Not quite/);

  await page.locator(byTest("q2-live")).click();
  await page.waitForFunction(() => /422/.test(document.querySelector('[data-testid="q2-live-result"]')?.textContent ?? ""));
  assert.match(await page.locator(byTest("q2-live-result")).textContent(), /201.*422/);
});

test("the decision guide recommends a design", async () => {
  const page = await openLab(browser, server.base);
  assert.match(await page.locator(byTest("guide-verdict")).textContent(), /usual starting point/);
  await page.locator(byTest("guide-1")).check();
  await page.locator(byTest("guide-2")).check();
  assert.match(await page.locator(byTest("guide-verdict")).textContent(), /server-issued/);
  await page.locator(byTest("guide-0")).check();
  await page.locator(byTest("guide-3")).check();
  assert.match(await page.locator(byTest("guide-verdict")).textContent(), /client-generated/);
  assert.match(await page.locator(byTest("secure-context")).textContent(), /isSecureContext = true/);
});

test("accident 2 on: an edited order is not a new key, and the page says so", async () => {
  const page = await openLab(browser, server.base, "/?scenario=reused-key");
  await page.locator(byTest("place-order")).click();
  await waitDone(page);
  await page.locator(byTest("qty-0")).fill("3");
  await page.locator(byTest("qty-0")).dispatchEvent("change");

  assert.match(await page.locator(byTest("place-order")).textContent(), /same per-user key/);
  assert.doesNotMatch(await page.locator(byTest("place-order")).textContent(), /new key/);
  assert.match(await page.locator(byTest("edited-note")).textContent(), /accident 2 is on.*\(422\)/);
});

test("server-issued keys: the idle line says who makes the key, and accident 2 does not apply", async () => {
  const page = await openLab(browser, server.base);
  await page.locator(byTest("mode-server")).check();
  assert.match(await page.locator(byTest("status")).textContent(), /asks the server for a key/);
  const reuse = page.locator(byTest("accident-reuse-key"));
  assert.equal(await reuse.isDisabled(), true);
  const label = await page.locator("label", { has: reuse }).textContent();
  assert.match(label, /Does not apply to server-issued keys/);
});

test("accident 1 with server-issued keys: a prepare inside the retry loop makes a second order", async () => {
  const page = await openLab(browser, server.base);
  await page.locator(byTest("mode-server")).check();
  await page.locator(byTest("accident-new-key")).check();
  await page.locator(byTest("lose-response")).check();
  await page.locator(byTest("place-order")).click();
  await waitDone(page);

  const orders = await server.json("/orders");
  assert.equal(orders.length, 2, "the lost attempt and its retry each created an order");
  assert.ok(orders.every((o) => o.idempotencyKey.startsWith("srv_")));
  assert.notEqual(orders[0].idempotencyKey, orders[1].idempotencyKey);
  const sent = await page.locator(`${byTest("attempt")} td:nth-child(4)`).allTextContents();
  assert.equal(sent.filter((s) => s.includes("/orders/prepare")).length, 2, "a prepare per attempt");
});

test("a scenario link applies once: a reload keeps what the learner changed", async () => {
  const page = await openLab(browser, server.base, "/?scenario=lost-response");
  const lose = page.locator(byTest("lose-response"));
  assert.equal(await lose.isChecked(), true, "the link set the scenario's switches");
  await lose.uncheck();
  await page.reload();
  await waitHydrated(page);
  assert.equal(await page.locator(byTest("lose-response")).isChecked(), false, "not re-applied");
});

test("choosing a scenario while an order is pending asks first", async () => {
  const page = await openLab(browser, server.base);
  await page.locator(byTest("delay")).evaluate((input) => {
    input.value = "6000";
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await page.locator(byTest("place-order")).click();
  await page.waitForSelector(byTest("abandon"));

  const questions = [];
  page.once("dialog", async (dialog) => { questions.push(dialog.message()); await dialog.dismiss(); });
  await page.locator(byTest("scenario-reused-key")).click();
  assert.match(questions[0] ?? "", /still pending/);
  assert.equal(await page.locator(byTest("abandon")).count(), 1, "declined: the order goes on");

  page.once("dialog", (dialog) => dialog.accept());
  await page.locator(byTest("scenario-reused-key")).click();
  await page.waitForSelector(byTest("abandon"), { state: "detached" });
  assert.match(await page.locator(byTest("scenario-hint")).textContent(), /./);
});

test("in Japanese, the server's refusal reaches the page in Japanese", async () => {
  const page = await openLab(browser, server.base, "/?scenario=reused-key");
  await page.locator(byTest("lang-ja")).click();
  await orderThenReuseTheKey(page);

  const says = await page.locator(".server-says").last().textContent();
  assert.match(says, /別のリクエストに使われています/);
  assert.doesNotMatch(says, /different request/);
});

test("expiry: a key expired now makes its retry a new operation and a new order", async () => {
  const page = await openLab(browser, server.base);
  assert.match(await textOnceShown(page, "expiry-policy", /24 h/), /24 h/, "the policy is stated");
  await page.locator(byTest("place-order")).click();
  await waitDone(page);
  const key = await currentKey(page);
  await page.locator(byTest("expire-now")).click();
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-testid="record-row"]')].some((r) => r.classList.contains("muted")),
  );
  await page.locator(byTest("send-again")).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="attempt"]').length >= 2);
  await waitDone(page);
  const orders = await server.json("/orders");
  assert.equal(orders.length, 2, "the same key after expiry is a new operation");
  assert.ok(orders.every((o) => o.idempotencyKey === key));
  const status = await page.locator(byTest("status")).textContent();
  assert.doesNotMatch(status, /replayed the stored answer/, "not a replay");
  assert.match(status, /a second order\. The key's record had expired/, "the page says why");
  assert.match(await page.locator(byTest("attempt")).last().textContent(), /record had expired or been removed/);
});
