// Two server processes on one PostgreSQL, as `make run-two` starts them: what a learner sees.
// `make test` passes its throw-away cluster in LAB_TEST_POSTGRES.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { startServer } from "./server.mjs";
import {
  launchBrowser, openLab, byTest, setDelay, waitDone, currentKey, waitOrdersShown, textOnceShown,
} from "./browser.mjs";

const cluster = process.env.LAB_TEST_POSTGRES;
const skip = !cluster && "LAB_TEST_POSTGRES is not set (make test sets it)";

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser.close(); });

/// A fresh database on the cluster, so the test starts empty.
function createDatabase() {
  const name = `lab_e2e_${Date.now()}_${process.pid}`;
  execFileSync("psql", [cluster, "-qAtc", `CREATE DATABASE ${name}`]);
  return cluster.replace(/\/[^/]*$/, `/${name}`);
}

test("two processes on one PostgreSQL share the orders and replay each other's keys", { skip }, async () => {
  const database = createDatabase();
  const first = await startServer([], { database });
  const second = await startServer([], { database });
  try {
    const page = await openLab(browser, first.base);
    await setDelay(page, 0);
    await page.locator(byTest("place-order")).click();
    await waitDone(page);
    const key = await currentKey(page);
    assert.match(await textOnceShown(page, "backend", /Kept in PostgreSQL/), /Kept in PostgreSQL/);

    // The other process, in its own tab (another origin, so another learner), shows the order
    // placed through the first once "only mine" is off.
    const other = await openLab(browser, second.base);
    await other.locator(byTest("only-mine")).uncheck();
    await waitOrdersShown(other, 1);
    const [order] = await second.json("/orders");
    assert.equal(order.idempotencyKey, key);

    // A retry of that key sent to the other process is a replay of the first answer.
    const retry = await fetch(`${second.base}/orders`, {
      method: "POST",
      headers: { "Idempotency-Key": key, "Content-Type": "application/json" },
      body: JSON.stringify({ userId: order.userId, items: order.items }),
    });
    assert.equal(retry.status, 201);
    assert.equal(retry.headers.get("idempotent-replayed"), "true");
    assert.equal((await retry.json()).id, order.id);
    assert.equal((await first.json("/orders")).length, 1, "still one order");
  } finally {
    await first.stop();
    await second.stop();
  }
});
