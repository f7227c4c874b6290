// Every learner can use the lab: axe-core (the engine behind Lighthouse's accessibility score)
// finds nothing on any page, in either language or theme, after an order has run; the page
// fits a 320 px screen; and the keyboard alone places an order, reaches a refusal's
// explanation and lands on a step's heading when it moves between steps.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { startServer } from "./server.mjs";
import {
  launchBrowser, waitHydrated, byTest, setDelay, waitDone, waitOrdersShown, changeOrderUnderOneKey,
} from "./browser.mjs";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
// WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices; no rule turned off.
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"];
const PAGES = ["/", ...Array.from({ length: 8 }, (_, i) => `/lesson/${i + 1}`), "/sandbox"];

let browser;
let server;
before(async () => {
  browser = await launchBrowser();
  server = await startServer();
});
after(async () => {
  await browser.close();
  await server.stop();
});

async function open(path, { locale = "en-US", colorScheme = "light", width = 1280 } = {}) {
  const context = await browser.newContext({ locale, colorScheme, viewport: { width, height: 900 } });
  const page = await context.newPage();
  await page.goto(server.base + path);
  await waitHydrated(page);
  return page;
}

/// Places one order from the page's own button, so the tables, attempts and diagram are full.
async function placeOrder(page) {
  if (await page.locator(byTest("delay")).count()) await setDelay(page, 0);
  await page.locator(byTest("place-order")).click();
  await waitDone(page);
}

/// axe-core's violations on the page as it is now. The script goes in through the DevTools
/// protocol, not a <script> tag: the page's own Content-Security-Policy stays as it is.
async function violations(page) {
  await page.evaluate(axeSource);
  return page.evaluate(async (tags) => {
    const result = await globalThis.axe.run(document, { runOnly: { type: "tag", values: tags } });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(", ")})`);
  }, TAGS);
}

for (const colorScheme of ["light", "dark"]) {
  for (const locale of ["en-US", "ja-JP"]) {
    test(`axe-core finds nothing on any page after an order (${locale}, ${colorScheme})`, async () => {
      for (const path of PAGES) {
        const page = await open(path, { locale, colorScheme });
        await placeOrder(page);
        assert.deepEqual(await violations(page), [], `${path} (${locale}, ${colorScheme})`);
        await page.context().close();
      }
    });
  }
}

test("at 320 px wide no page scrolls sideways; the tables and the diagram scroll inside", async () => {
  for (const locale of ["en-US", "ja-JP"]) {
    for (const path of PAGES) {
      const page = await open(path, { locale, width: 320 });
      await placeOrder(page);
      const { scrollWidth, clientWidth } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
      }));
      assert.ok(scrollWidth <= clientWidth, `${path} (${locale}): ${scrollWidth} px wide in ${clientWidth}`);
      await page.context().close();
    }
  }
});

/// Presses Tab until `selector` has the focus; returns how many presses it took.
async function tabTo(page, selector, limit = 40) {
  for (let presses = 1; presses <= limit; presses++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return presses;
  }
  assert.fail(`${selector} not reached in ${limit} presses of Tab`);
}

test("with the keyboard alone: Tab to the button, Enter five times, one order", async () => {
  const page = await open("/");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "skip-link");
  await tabTo(page, byTest("place-order"));
  for (let i = 0; i < 5; i++) await page.keyboard.press("Enter");
  await waitDone(page);
  assert.match(await page.locator(byTest("status")).textContent(), /^Done/);
  // The done order's button is disabled; the focus went on to "Send again", not to the top.
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "send-again");
  await waitOrdersShown(page, 1);
  const orders = await server.json(`/orders?userId=${await page.locator(byTest("user-id")).inputValue()}`);
  assert.equal(orders.length, 1);
  // The diagram's text equivalent names the same arrows.
  const lines = await page.locator(`${byTest("sequence-text")} li`).allTextContents();
  assert.equal(lines.length, await page.locator(byTest("message")).count());
  assert.match(lines[0], /^#1 Browser → Server: POST \/orders/);
  await page.context().close();
});

test("moving to the next step with the keyboard lands on that step's heading", async () => {
  const page = await open("/lesson/3");
  await tabTo(page, byTest("next-step"), 80);
  await Promise.all([page.waitForURL("**/lesson/4"), page.keyboard.press("Enter")]);
  await waitHydrated(page);
  await page.waitForFunction(() => document.activeElement?.id === "step-title");
  const section = (await page.locator(byTest("step-link-4")).textContent()).replace("✓", "").trim();
  assert.ok((await page.evaluate(() => document.activeElement.textContent)).startsWith(section));
  await page.context().close();
});

test("a 409 and a 422 each offer their explanation as the next stop for the keyboard", async () => {
  const page = await open("/sandbox");
  await setDelay(page, 2000);
  await page.locator(byTest("place-order")).click();
  await page.waitForSelector(`${byTest("attempt")}[data-status="…"]`);
  await page.locator(byTest("place-order")).click();
  await page.locator(`${byTest("attempt")}[data-status="409"]`).first().waitFor();
  assert.equal(await page.locator(byTest("why")).getAttribute("href"), "/problems/request-in-flight");
  await waitDone(page);

  await changeOrderUnderOneKey(page, async () => {
    await page.locator(byTest("place-order")).focus();
    await page.keyboard.press("Enter");
  });
  assert.ok(await tabTo(page, byTest("why"), 3) <= 3, "the explanation follows the button");
  assert.equal(await page.locator(byTest("why")).getAttribute("href"), "/problems/idempotency-key-reused");
  await page.context().close();
});
