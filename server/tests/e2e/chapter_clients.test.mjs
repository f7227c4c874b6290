// The chapter's two TypeScript clients (section 11.5), run from ../shared/chapter/clients/
// exactly as printed there (they are the chapter author's code: the project keeps no copy),
// against the real server. They call http://localhost:3000; a fetch shim points that at this
// test's server. Without that folder the tests fail: they are not optional.
//
// Then each client meets each failure the lesson talks about, caused with the lab's own
// controls: an answer lost on the way back, a request already running under its key (a 409),
// a key that already holds a different order (a 422), and a prepare call that fails. The shim
// may add the lab's headers to a client's request or send a request of the test's own first;
// it never changes what a client sends or does. The test records every request, answer and
// wait, asserts them, and prints one line per client and case: the facts the lesson's table
// of "what each client does" is written from.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { startServer } from "./server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const chapterClients = join(here, "..", "..", "..", "..", "shared", "chapter", "clients");
/// Where the chapter's clients send their requests.
const CHAPTER_BASE = "http://localhost:3000";
/// How long the test's earlier request holds its key: longer than client A's three attempts
/// (300 + 600 ms of waiting), so every attempt meets it still running.
const EARLIER_DELAY_MS = 4000;
const realFetch = globalThis.fetch;
const realSetTimeout = globalThis.setTimeout;
let server;
/// What the running case records, while a case runs: see `observe`.
let current = null;

before(async () => {
  server = await startServer();
  globalThis.fetch = async (url, init = {}) => {
    const address = String(url);
    if (!address.startsWith(CHAPTER_BASE)) return realFetch(url, init);
    const target = address.replace(CHAPTER_BASE, server.base);
    return current ? current.send(target, init) : realFetch(target, init);
  };
});

after(async () => {
  globalThis.fetch = realFetch;
  await server.stop();
});

/// The client's module, and the address of its transpiled file (to tell its own calls to
/// setTimeout from anyone else's).
async function importChapterClient(name) {
  const path = join(chapterClients, name);
  assert.ok(existsSync(path), `the chapter's client ${name} is missing: expected it at ${path}`);
  const source = readFileSync(path, "utf8");
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const file = join(mkdtempSync(join(tmpdir(), "chapter-")), name.replace(/\.ts$/, ".mjs"));
  writeFileSync(file, outputText);
  const url = pathToFileURL(file).href;
  return { module: await import(url), url };
}

const body = { userId: "chapter-reader", items: [{ sku: "A-1", qty: 2 }] };

test("server-issued key: prepare, then one order under the issued key", async () => {
  const { module } = await importChapterClient("client_server_generated.ts");
  const order = await module.createOrderServerIssuedKey(body);

  assert.match(order.idempotencyKey, /^srv_/);
  const stored = await server.json(`/orders/${order.id}`);
  assert.deepEqual(stored, order);
});

// ---- The two clients under each failure ----

const CLIENTS = {
  A: { file: "client.ts", call: "createOrderWithRetry" },
  B: { file: "client_server_generated.ts", call: "createOrderServerIssuedKey" },
};

/// Each case: what the test does to the client's requests, in the words the summary prints.
const CASES = {
  lostAnswer: {
    title: "answer lost",
    setup: "the answer to the client's first POST /orders is dropped after the server has sent it",
    loseFirstOrderAnswer: true,
  },
  inFlight: {
    title: "409 (request in flight)",
    setup: `the same request under the same key is already running (sent by the test just ` +
      `before the client's first POST /orders, with X-Lab-Delay-Ms: ${EARLIER_DELAY_MS})`,
    beforeFirstOrder: earlierRequestStillRunning,
  },
  reusedKey: {
    title: "422 (key reused)",
    setup: "the key already holds a different order (placed by the test just before the " +
      "client's first POST /orders: same key, other items)",
    beforeFirstOrder: differentOrderUnderTheKey,
  },
  failedPrepare: {
    title: "failed prepare",
    setup: "X-Lab-Fail: prepare is added to every POST /orders/prepare, so prepare answers 503",
    failPrepare: true,
  },
};

/// Runs the client once per body, one call after another, under `kase`'s conditions.
/// Records, in order, every request the client sends (its key and the answer's status,
/// problem type, Retry-After, Idempotent-Replayed) and every wait it asks setTimeout for,
/// then what each call returned or threw, and the orders stored for the bodies' users.
async function observe(clientName, kase, bodies) {
  const { file, call } = CLIENTS[clientName];
  const { module, url } = await importChapterClient(file);
  const record = { timeline: [], calls: [], earlier: [] };
  let ordersSent = 0;
  current = {
    async send(target, init) {
      const headers = new Headers(init.headers);
      const path = new URL(target).pathname;
      const exchange = {
        kind: "request", method: init.method ?? "GET", path,
        key: headers.get("Idempotency-Key"), body: init.body,
      };
      record.timeline.push(exchange);
      if (path === "/orders/prepare" && kase.failPrepare) headers.set("X-Lab-Fail", "prepare");
      const firstOrder = path === "/orders" && ordersSent++ === 0;
      if (firstOrder && kase.beforeFirstOrder) {
        await kase.beforeFirstOrder(exchange.key, init.body, record);
      }
      const response = await realFetch(target, { ...init, headers });
      exchange.status = response.status;
      exchange.retryAfter = response.headers.get("Retry-After");
      exchange.replayed = response.headers.get("Idempotent-Replayed") === "true";
      if (response.headers.get("Content-Type") === "application/problem+json") {
        exchange.problem = (await response.clone().json()).type;
      }
      if (firstOrder && kase.loseFirstOrderAnswer) {
        // The server has done the work; the answer is lost on the way back.
        exchange.lost = true;
        await response.body?.cancel();
        throw new TypeError("fetch failed (response lost on purpose)");
      }
      return response;
    },
  };
  globalThis.setTimeout = (callback, ms, ...rest) => {
    if (new Error().stack.includes(url)) record.timeline.push({ kind: "wait", ms });
    return realSetTimeout(callback, ms, ...rest);
  };
  try {
    for (const body of bodies) {
      ordersSent = 0;
      const start = record.timeline.length;
      const outcome = await module[call](body).then(
        (result) => ({ result }),
        (error) => ({ error }),
      );
      record.calls.push({ body, ...outcome, timeline: record.timeline.slice(start) });
    }
  } finally {
    globalThis.setTimeout = realSetTimeout;
    current = null;
  }
  // An earlier request of the test's own may still be running: let it finish first.
  const earlierStatuses = await Promise.all(record.earlier);
  record.placedByTest = earlierStatuses.filter((status) => status === 201).length;
  const users = [...new Set(bodies.map((b) => b.userId))];
  record.orders = (await Promise.all(
    users.map((user) => server.json(`/orders?userId=${encodeURIComponent(user)}`)),
  )).flat();
  console.log(summary(clientName, kase, record));
  return record;
}

/// `kase.beforeFirstOrder` for a 409: the same request, held by the lab's delay, has claimed
/// the key by the time the client's request arrives.
async function earlierRequestStillRunning(key, requestBody, record) {
  record.earlier.push(postOrder(key, requestBody, { "X-Lab-Delay-Ms": String(EARLIER_DELAY_MS) })
    .then((response) => response.status));
  for (let tries = 0; ; tries++) {
    const records = await server.json("/idempotency-records");
    if (records.some((r) => r.key === key && r.state === "inFlight")) return;
    assert.ok(tries < 500, `the earlier request never claimed ${key}`);
    await sleep(10);
  }
}

/// `kase.beforeFirstOrder` for a 422: the key already holds an order with other items.
async function differentOrderUnderTheKey(key, requestBody, record) {
  const other = { ...JSON.parse(requestBody), items: [{ sku: "OTHER-9", qty: 1 }] };
  const response = await postOrder(key, JSON.stringify(other));
  assert.equal(response.status, 201, "the test's own order under the key");
  record.earlier.push(response.status);
}

function postOrder(key, requestBody, extraHeaders = {}) {
  return realFetch(`${server.base}/orders`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Idempotency-Key": key, ...extraHeaders },
    body: requestBody,
  });
}

// ---- The printed summary ----

/// A key as printed: short ones whole (`undefined`), long ones by their first 8 characters.
const shortKey = (key) => (key.length <= 12 ? key : `${key.slice(0, 8)}…`);

function describeStep(step) {
  if (step.kind === "wait") return `waits ${step.ms} ms`;
  const key = step.key === null ? "" : ` [Idempotency-Key: ${shortKey(step.key)}]`;
  const notes = [
    step.problem && step.problem.replace("/problems/", ""),
    step.retryAfter && `Retry-After: ${step.retryAfter}`,
    step.replayed && "Idempotent-Replayed: true",
    step.lost && "answer lost on the way back",
  ].filter(Boolean);
  const answer = notes.length ? `${step.status} (${notes.join(", ")})` : `${step.status}`;
  return `${step.method} ${step.path}${key} → ${answer}`;
}

function describeOutcome({ result, error }) {
  if (error) return `the call threw ${error.name}: ${error.message}`;
  if (result?.type?.startsWith("/problems/")) {
    return `the call returned the ${result.status} problem body ` +
      `(${result.type.replace("/problems/", "")}) as its result`;
  }
  if (result?.id) {
    return `the call returned an order (id ${shortKey(result.id)}, ` +
      `key ${shortKey(result.idempotencyKey)})`;
  }
  return `the call returned ${JSON.stringify(result)}`;
}

function summary(clientName, kase, record) {
  const calls = record.calls.map((call, i) => {
    const steps = call.timeline.map(describeStep).join("; ");
    const label = record.calls.length > 1 ? `Call ${i + 1} (${call.body.userId}, ` +
      `${call.body.items.map((item) => item.sku).join("+")}): ` : "";
    return `${label}${steps}; ${describeOutcome(call)}`;
  });
  const mine = record.orders.filter((order) =>
    record.calls.some((call) => sameItems(order.items, call.body.items))).length;
  const placedByTest = record.placedByTest;
  const notes = [
    placedByTest > 0 && `by the test's earlier request: ${placedByTest}`,
    mine !== record.orders.length && `with the client's items: ${mine}`,
  ].filter(Boolean);
  const orders = `Orders stored: ${record.orders.length}` +
    (notes.length ? ` (${notes.join("; ")})` : "");
  return `client ${clientName} (${CLIENTS[clientName].file}), ${kase.title} — setup: ` +
    `${kase.setup}. ${calls.join(". ")}. ${orders}.`;
}

const sameItems = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// ---- The assertions, per client and case ----

const orderRequests = (call) => call.timeline.filter((s) => s.kind === "request" && s.path === "/orders");
const prepareRequests = (call) =>
  call.timeline.filter((s) => s.kind === "request" && s.path === "/orders/prepare");
const waits = (call) => call.timeline.filter((s) => s.kind === "wait").map((s) => s.ms);
const bodyFor = (name) => ({ userId: `chapter-${name}`, items: [{ sku: "A-1", qty: 2 }] });

test("client A, answer lost: resends after 300 ms with the same key and gets the stored order", async () => {
  const request = bodyFor("a-lost");
  const { calls: [call], orders } = await observe("A", CASES.lostAnswer, [request]);
  const sent = orderRequests(call);

  assert.equal(sent.length, 2, "the client retried once");
  assert.equal(sent[0].key, sent[1].key, "with the same key");
  assert.deepEqual(sent.map((s) => [s.status, Boolean(s.lost), s.replayed]),
    [[201, true, false], [201, false, true]]);
  assert.deepEqual(waits(call), [300]);
  assert.equal(call.result.idempotencyKey, sent[0].key);
  assert.deepEqual(call.result.items, request.items);
  assert.equal(orders.length, 1);
  assert.equal(orders.filter((o) => o.idempotencyKey === sent[0].key).length, 1);
});

test("client B, answer lost: no resend; the call throws, and the order is stored", async () => {
  const { calls: [call], orders } = await observe("B", CASES.lostAnswer, [bodyFor("b-lost")]);
  const sent = orderRequests(call);

  assert.deepEqual(prepareRequests(call).map((s) => s.status), [201]);
  assert.equal(sent.length, 1, "no retry");
  assert.match(sent[0].key, /^srv_/);
  assert.equal(sent[0].lost, true);
  assert.deepEqual(waits(call), []);
  assert.ok(call.error instanceof TypeError, "the network error reaches the caller");
  assert.equal(orders.length, 1, "the order the caller was not told of");
  assert.equal(orders[0].idempotencyKey, sent[0].key);
});

test("client A, 409: takes it as a failure and resends after 300 ms × attempt, not after Retry-After", async () => {
  const { calls: [call], orders, earlier } =
    await observe("A", CASES.inFlight, [bodyFor("a-409")]);
  const sent = orderRequests(call);

  assert.equal(sent.length, 3, "three attempts, the most the client makes");
  assert.ok(sent.every((s) => s.key === sent[0].key && s.body === sent[0].body));
  assert.deepEqual(sent.map((s) => [s.status, s.problem, s.retryAfter]),
    Array(3).fill([409, "/problems/request-in-flight", "1"]));
  assert.deepEqual(waits(call), [300, 600], "its own waits; Retry-After said 1 s");
  assert.equal(call.error?.message, "HTTP 409");
  assert.deepEqual(await Promise.all(earlier), [201]);
  assert.equal(orders.length, 1, "the earlier request's order, placed under the client's key");
  assert.equal(orders[0].idempotencyKey, sent[0].key);
});

test("client B, 409: no resend; the call returns the problem body as its result", async () => {
  const { calls: [call], orders } = await observe("B", CASES.inFlight, [bodyFor("b-409")]);
  const sent = orderRequests(call);

  assert.equal(sent.length, 1, "no retry");
  assert.deepEqual([sent[0].status, sent[0].retryAfter], [409, "1"]);
  assert.deepEqual(waits(call), []);
  assert.equal(call.error, undefined, "the call does not fail");
  assert.equal(call.result.type, "/problems/request-in-flight");
  assert.equal(call.result.id, undefined, "what it returns is not an order");
  assert.equal(orders.length, 1, "the earlier request's order");
  assert.equal(orders[0].idempotencyKey, sent[0].key);
});

test("client A, 422: resends a refusal that cannot change, twice, with the same key and body", async () => {
  const request = bodyFor("a-422");
  const { calls: [call], orders } = await observe("A", CASES.reusedKey, [request]);
  const sent = orderRequests(call);

  assert.equal(sent.length, 3);
  assert.ok(sent.every((s) => s.key === sent[0].key && s.body === sent[0].body));
  assert.deepEqual(sent.map((s) => [s.status, s.problem]),
    Array(3).fill([422, "/problems/idempotency-key-reused"]));
  assert.deepEqual(waits(call), [300, 600]);
  assert.equal(call.error?.message, "HTTP 422");
  assert.equal(orders.length, 1, "only the order the key already held");
  assert.equal(orders.filter((o) => sameItems(o.items, request.items)).length, 0);
});

test("client B, 422: no resend; the call returns the problem body as its result", async () => {
  const request = bodyFor("b-422");
  const { calls: [call], orders } = await observe("B", CASES.reusedKey, [request]);
  const sent = orderRequests(call);

  assert.equal(sent.length, 1, "no retry");
  assert.equal(sent[0].status, 422);
  assert.equal(call.error, undefined, "the call does not fail");
  assert.equal(call.result.type, "/problems/idempotency-key-reused");
  assert.equal(call.result.id, undefined, "what it returns is not an order");
  assert.equal(orders.length, 1, "only the order the key already held");
  assert.equal(orders.filter((o) => sameItems(o.items, request.items)).length, 0);
});

test("client A, failed prepare: it makes no prepare call, so it orders as usual", async () => {
  const { calls: [call], orders } = await observe("A", CASES.failedPrepare, [bodyFor("a-prep")]);

  assert.deepEqual(prepareRequests(call), []);
  assert.deepEqual(orderRequests(call).map((s) => s.status), [201]);
  assert.ok(call.result.id);
  assert.equal(orders.length, 1);
});

test("client B, failed prepare: sends Idempotency-Key: undefined, which the server refuses", async () => {
  // Two identical orders and a different one: before the server refused `undefined`, the
  // three shared it as a key (the second was answered with the first's order as a replay,
  // the third with 422).
  const same = bodyFor("b-prep");
  const other = { userId: "chapter-b-prep-2", items: [{ sku: "B-2", qty: 1 }] };
  const { calls, orders } = await observe("B", CASES.failedPrepare, [same, same, other]);

  for (const call of calls) {
    assert.deepEqual(prepareRequests(call).map((s) => [s.status, s.problem]),
      [[503, "/problems/lab-failure"]]);
    const sent = orderRequests(call);
    assert.equal(sent.length, 1, "no retry");
    assert.equal(sent[0].key, "undefined", "what fetch sends for the missing key");
    assert.deepEqual([sent[0].status, sent[0].problem],
      [400, "/problems/idempotency-key-placeholder"]);
    assert.equal(call.error, undefined, "the call does not fail");
    assert.equal(call.result.type, "/problems/idempotency-key-placeholder");
    assert.equal(call.result.id, undefined, "what it returns is not an order");
  }
  assert.equal(orders.length, 0);
});
