// The guided lesson in a real browser, in both languages: every step's prediction, run against
// the real server, result beside the prediction, and the orders the run left behind.
import { test, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "./server.mjs";
import { launchBrowser, waitHydrated, byTest } from "./browser.mjs";

let browser;
let server;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser.close(); });
beforeEach(async () => { server = await startServer(); });
afterEach(async () => { await server.stop(); });

/// What each step should show when the learner predicts the chapter's answer: the choice
/// to pick, how many orders the learner has after the run, and words of the result.
const STEPS = [
  { step: 1, choice: 0, orders: 1, evidence: { en: /Orders the server kept for you: 1\./, ja: /サーバーに残ったあなたの注文: 1 件/ } },
  { step: 2, choice: 0, orders: 1, evidence: { en: /Key before the reload: (\S+), key after it: \1; orders the server kept for you: 1\./, ja: /再読み込み前のキー: (\S+)。再読み込み後のキー: \1。/ } },
  { step: 3, choice: 0, orders: 1, evidence: { en: /Requests for a key: 2\. Orders the server kept for you: 1\./, ja: /キー発行のリクエスト: 2 回。/ } },
  { step: 4, choice: 0, orders: null, evidence: { en: /ticked 1 of the guide's four boxes/, ja: /当てはまる 1 項目/ } },
  { step: 5, choice: 0, orders: 1, evidence: { en: /Keys used: 1\. Orders the server kept for you: 1\./, ja: /使ったキー: 1 個。/ } },
  { step: 6, choice: 2, orders: 1, evidence: { en: /another quantity: HTTP 422\. A send with no key at all: HTTP 400\./, ja: /HTTP 422。キーを付けない送信: HTTP 400。/ } },
  { step: 7, choice: 0, orders: 3, evidence: { en: /one click: 2 orders\. One key per user, two orders placed: 1 kept\./, ja: /注文 2 件。.*残った注文 1 件/ } },
];

const WORDS = {
  en: { matched: "As you predicted.", why: "Why", locale: "en-US" },
  ja: { matched: "予想どおりです。", why: "なぜ？", locale: "ja-JP" },
};

async function learnerOrders(page) {
  const learner = await page.evaluate(() => JSON.parse(localStorage.getItem("idem-lab.user")));
  return server.json(`/orders?userId=${learner}`);
}

for (const lang of ["en", "ja"]) {
  test(`the whole lesson, step by step, in ${lang}`, async () => {
    const context = await browser.newContext({ locale: WORDS[lang].locale });
    const page = await context.newPage();
    page.on("pageerror", (error) => console.error("page error:", error.message));
    for (const { step, choice, orders, evidence } of STEPS) {
      await page.goto(`${server.base}/lesson/${step}`);
      await waitHydrated(page);
      assert.equal(await page.getAttribute("html", "lang"), lang);
      const idea = await page.locator(byTest("lesson-idea")).textContent();
      assert.ok(idea.length > 40, `step ${step} states its idea`);
      await page.locator(byTest(`choice-${choice}`)).check();
      await page.locator(byTest("lesson-run")).click();
      const verdict = page.locator(byTest("lesson-verdict"));
      await verdict.waitFor({ timeout: 45_000 });
      const said = await verdict.textContent();
      assert.ok(said.includes(WORDS[lang].matched), `step ${step}: ${said}`);
      assert.match(await page.locator(byTest("lesson-evidence")).textContent(), evidence[lang]);
      assert.ok((await page.locator(byTest("lesson-why")).textContent()).length > 40);
      assert.ok((await page.locator(byTest("lesson-try-next")).textContent()).length > 20);
      if (orders !== null) {
        assert.equal((await learnerOrders(page)).length, orders, `step ${step} leaves ${orders} orders`);
      }
      if (step === 3) {
        // Try next, done on the step: an expired and an altered issued key, both refused.
        for (const id of ["issued-expired", "issued-altered"]) {
          await page.locator(byTest(id)).click();
          await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.startsWith("HTTP 400"), byTest(`${id}-result`));
        }
        assert.equal((await learnerOrders(page)).length, 1, "a refused key makes no order");
      }
    }
    // Step 8: the quiz grades itself; then every step carries its tick on the first page.
    await page.goto(`${server.base}/lesson/8`);
    await waitHydrated(page);
    await page.locator(byTest("q2-2")).click();
    assert.match(await page.locator(byTest("q2-feedback")).getAttribute("class"), /right/);
    await page.goto(server.base + "/");
    await waitHydrated(page);
    await page.waitForFunction(() => document.querySelectorAll("nav.steps .done").length === 8);
    // The last run's order is finished: the first page shows it, but resumes nothing.
    assert.equal(await page.locator(byTest("resume-banner")).count(), 0);
    await context.close();
  });
}

test("a wrong prediction is set beside what the server did", async () => {
  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  await page.goto(`${server.base}/lesson/1`);
  await waitHydrated(page);
  await page.locator(byTest("lesson-run")).click();
  assert.match(await page.locator(byTest("lesson-result")).textContent(), /Pick a prediction first/);
  await page.locator(byTest("choice-1")).check();
  await page.locator(byTest("lesson-run")).click();
  const verdict = page.locator(byTest("lesson-verdict"));
  await verdict.waitFor({ timeout: 30_000 });
  assert.equal(
    (await verdict.textContent()).trim(),
    "You said “Two”. The server: “One”. Not what you predicted.",
  );
  await context.close();
});

test("step 5's switch moves the key into the loop: two keys, two orders", async () => {
  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  await page.goto(`${server.base}/lesson/5`);
  await waitHydrated(page);
  assert.doesNotMatch(await page.locator(byTest("retry-code")).textContent(), /loop \{\n\s+let key/);
  await page.locator(byTest("key-inside-loop")).check();
  assert.match(await page.locator(byTest("retry-code")).textContent(), /loop \{\n\s+let key = new_key\(\)/);
  await page.locator(byTest("choice-1")).check();
  await page.locator(byTest("lesson-run")).click();
  await page.locator(byTest("lesson-verdict")).waitFor({ timeout: 30_000 });
  assert.match(await page.locator(byTest("lesson-evidence")).textContent(), /Keys used: 2\. Orders the server kept for you: 2\./);
  assert.equal((await learnerOrders(page)).length, 2);
  await context.close();
});

test("the first page: the order button is in the server's HTML, beside step 1", async () => {
  const html = await (await fetch(server.base + "/", { headers: { "accept-language": "en" } })).text();
  assert.match(html, /data-testid="place-order"/);
  assert.match(html, /data-testid="lesson-step"/);
  assert.match(html, /One operation, one key/);
  const ja = await (await fetch(server.base + "/lesson/3", { headers: { "accept-language": "ja" } })).text();
  assert.match(ja, /サーバー生成のキー/);
  const missing = await fetch(server.base + "/lesson/9");
  assert.equal(missing.status, 404);
});

test("two learners on one server reset independently", async () => {
  const alice = await (await browser.newContext({ locale: "en-US" })).newPage();
  const bob = await (await browser.newContext({ locale: "en-US" })).newPage();
  for (const page of [alice, bob]) {
    await page.goto(`${server.base}/lesson/1`);
    await waitHydrated(page);
  }
  await bob.locator(byTest("place-order")).click();
  await bob.waitForSelector(".status.done", { timeout: 30_000 });
  await alice.locator(byTest("choice-0")).check();
  await alice.locator(byTest("lesson-run")).click();
  await alice.locator(byTest("lesson-verdict")).waitFor({ timeout: 30_000 });
  assert.equal((await learnerOrders(bob)).length, 1, "Alice's clean slate left Bob's order alone");
  assert.equal((await learnerOrders(alice)).length, 1);
});

test("the first page works before its second file arrives, and a failed fetch of it is tried again", async () => {
  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  // The explaining panels come in a second WASM file. Every fetch of it fails (the learner
  // cut the network) until the order is done and the page has tried again.
  let fetches = 0;
  let online = false;
  await page.route(/\/split_[^/]*\.wasm$/, (route) => {
    fetches += 1;
    return online ? route.continue() : route.abort("internetdisconnected");
  });
  await page.goto(server.base + "/");
  await page.waitForSelector("html[data-hydrated=true]");
  await page.waitForSelector("[data-deferred=retrying]");
  assert.equal(fetches, 1, "one fetch for all the page's regions, not one each");
  // The server's rendering of the panels stays on the page while they are not yet live.
  assert.ok(await page.locator("#attempts-heading").isVisible(), "the attempts panel is shown");
  await page.locator(byTest("place-order")).click();
  await page.waitForSelector(".status.done", { timeout: 30_000 });
  assert.equal((await server.json("/orders")).length, 1, "the order button did not wait for the panels");
  // One fetch for the whole page, then one every 3 s (not one per region).
  for (let t = 0; t < 100 && fetches < 2; t++) await page.waitForTimeout(100);
  const failed = fetches;
  online = true;
  await page.waitForFunction(() => !document.querySelector("[data-deferred]:not([data-deferred=ready])"), null, { timeout: 30_000 });
  assert.ok(failed >= 2, `tried again after a failure: ${failed} fetches`);
  assert.equal(fetches, failed + 1, "one fetch for all the page's regions once the network was back");
  // Built from the lab's state when they arrived: the attempt made before is there.
  assert.equal(await page.locator("table.timeline tbody tr").count(), 1);
  await context.close();
});

test("the common visit on the first page: click again and again, reload mid-request, one order", async () => {
  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  await page.goto(server.base + "/");
  await waitHydrated(page);
  const button = page.locator(byTest("place-order"));
  for (let i = 0; i < 6; i++) await button.click({ force: true, noWaitAfter: true });
  await page.waitForFunction(() => fetch("/idempotency-records").then((r) => r.json()).then((r) => r.length === 1));
  await page.reload();
  await waitHydrated(page);
  await page.waitForSelector(".status.done", { timeout: 30_000 });
  const orders = await server.json("/orders");
  assert.equal(orders.length, 1, "one order, however often it was clicked and reloaded");
  assert.match(await page.locator(byTest("resume-banner")).textContent(), /kept across the reload/);
  await context.close();
});
