// Debian's Chromium, headless, driven by playwright-core (which downloads no browser).
import { chromium } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run",
    ],
  });
}

/// A fresh tab on the lab (the sandbox unless told), once the WASM is live (never a fixed sleep).
export async function openLab(browser, base, path = "/sandbox") {
  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error("page error:", error.message));
  await page.goto(base + path);
  await waitHydrated(page);
  return page;
}

/// Once the WASM is live, and the explaining panels, which come in a second file, are built.
export async function waitHydrated(page) {
  await page.waitForSelector("html[data-hydrated=true]", { timeout: 30_000 });
  await page.waitForFunction(() => !document.querySelector("[data-deferred]:not([data-deferred=ready])"), null, { timeout: 30_000 });
}

export const byTest = (id) => `[data-testid="${id}"]`;

export async function setDelay(page, ms) {
  await page.locator(byTest("delay")).evaluate((input, value) => {
    input.value = String(value);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }, ms);
  await page.waitForFunction((v) => document.querySelector('[data-testid="delay-value"]').textContent === String(v), ms);
}

export async function waitDone(page) {
  await page.waitForSelector(".status.done", { timeout: 30_000 });
}

export async function currentKey(page) {
  return (await page.locator(byTest("current-key")).textContent()).trim();
}

/// Accident 2 (one key per user): an order, then a changed order under the same key, which
/// `send` sends and the server refuses with a 422.
export async function changeOrderUnderOneKey(page, send) {
  await page.locator(byTest("accident-reuse-key")).check();
  await setDelay(page, 0);
  await page.locator(byTest("new-order")).click();
  await page.locator(byTest("place-order")).click();
  await waitDone(page);
  await page.locator(byTest("new-order")).click();
  await page.locator(byTest("qty-0")).fill("2");
  await page.locator(byTest("qty-0")).dispatchEvent("change");
  await send();
  await page.waitForSelector(".status.failed");
}

/// Waits until the orders table (refreshed from the server) shows `count` orders.
export async function waitOrdersShown(page, count) {
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="orders-count"]')?.textContent === String(n),
    count,
    { timeout: 15_000 },
  );
}

/// The text of a `data-testid` element once it matches `pattern`: for what the page fills in
/// after a fetch (the backend, the expiry policy), which hydration alone does not wait for.
export async function textOnceShown(page, id, pattern) {
  const handle = await page.waitForFunction(
    ([id, source, flags]) => {
      const text = document.querySelector(`[data-testid="${id}"]`)?.textContent ?? "";
      return new RegExp(source, flags).test(text) && text;
    },
    [id, pattern.source, pattern.flags],
    { timeout: 15_000 },
  );
  return handle.jsonValue();
}
