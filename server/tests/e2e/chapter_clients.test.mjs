// The chapter's two TypeScript clients (section 11.5), run from ../shared/chapter/clients/
// exactly as printed there (they are the chapter author's code: the project keeps no copy),
// against the real server. They call http://localhost:3000; a fetch shim points that at this
// test's server. Without that folder the tests fail: they are not optional.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { startServer } from "./server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const chapterClients = join(here, "..", "..", "..", "..", "shared", "chapter", "clients");
const realFetch = globalThis.fetch;
let server;
let loseNextResponse = false;
const sentKeys = [];

before(async () => {
  server = await startServer();
  globalThis.fetch = async (url, init = {}) => {
    const target = String(url).replace("http://localhost:3000", server.base);
    const key = init.headers?.["Idempotency-Key"];
    if (key) sentKeys.push(key);
    const response = await realFetch(target, init);
    if (loseNextResponse) {
      // The server has done the work; the answer is lost on the way back.
      loseNextResponse = false;
      throw new TypeError("fetch failed (response lost on purpose)");
    }
    return response;
  };
});

after(async () => {
  globalThis.fetch = realFetch;
  await server.stop();
});

async function importChapterClient(name) {
  const path = join(chapterClients, name);
  assert.ok(existsSync(path), `the chapter's client ${name} is missing: expected it at ${path}`);
  const source = readFileSync(path, "utf8");
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const file = join(mkdtempSync(join(tmpdir(), "chapter-")), name.replace(/\.ts$/, ".mjs"));
  writeFileSync(file, outputText);
  return import(pathToFileURL(file).href);
}

const body = { userId: "chapter-reader", items: [{ sku: "A-1", qty: 2 }] };

test("client-generated key: one order, even when the first response is lost", async () => {
  const { createOrderWithRetry } = await importChapterClient("client.ts");
  sentKeys.length = 0;
  loseNextResponse = true;
  const order = await createOrderWithRetry(body);

  assert.equal(sentKeys.length, 2, "the client retried once");
  assert.equal(sentKeys[0], sentKeys[1], "with the same key");
  assert.equal(order.idempotencyKey, sentKeys[0]);
  assert.deepEqual(order.items, body.items);
  const orders = await server.json("/orders?userId=chapter-reader");
  assert.equal(orders.filter((o) => o.idempotencyKey === sentKeys[0]).length, 1);
});

test("server-issued key: prepare, then one order under the issued key", async () => {
  const { createOrderServerIssuedKey } = await importChapterClient("client_server_generated.ts");
  const order = await createOrderServerIssuedKey(body);

  assert.match(order.idempotencyKey, /^srv_/);
  const stored = await server.json(`/orders/${order.id}`);
  assert.deepEqual(stored, order);
});
