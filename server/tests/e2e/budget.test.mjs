// The first visit's size is a decision: growing past the budget fails the build until the
// budget is raised on purpose. Budget = the size measured when it was set, plus 10 %, or
// issue 12's target where that is less.
// Measured as a browser gets it: the page, the files it links and the loader the JS imports,
// in the encoding sent; then, apart, the second WASM file, fetched once the page is live.
import { test } from "node:test";
import assert from "node:assert/strict";
import { get } from "node:http";
import { startServer } from "./server.mjs";

// Set on 2026-11-29 (issue 12), measured brotli. The WASM comes in two files (see
// app/src/pages/deferred.rs): the first, which the page needs to become interactive, was
// 146,007 B; the second, the explaining panels fetched after, 129,402 B. Up to interactive
// (HTML, CSS, JS, the loader of the second file and the first WASM file): 160,181 B.
// Issue 12's targets: 150 KB of WASM and 200 KB up to interactive.
// The second file's was raised on 2026-12-03 (issue 21), measured at 150,286 B: the tables
// now own their data as a Leptos resource (its async machinery is about 25 KB before
// compression) and follow the server's announcements (GET /events) instead of a poll loop.
const WASM_BUDGET = 150_000;
const FIRST_VISIT_BUDGET = 172_000;
const LATER_WASM_BUDGET = 165_000;

/// The response's bytes as they came over the wire (Node's http does not decompress).
function raw(url, headers) {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => resolve({ response, bytes: Buffer.concat(chunks) }));
    }).on("error", reject);
  });
}

/// The files a script names relative to itself: its static imports and the WASM it fetches.
function named(script, scriptUrl) {
  const relative = [...script.matchAll(/(?:from\s*|new URL\()"(\.\/[^"]+)"/g)].map((m) => m[1]);
  return relative.map((name) => new URL(name, scriptUrl).pathname);
}

test("the first visit, as sent, stays within its byte budget and every file is compressed", async () => {
  const server = await startServer();
  try {
    const browser = { "accept-encoding": "gzip, deflate, br, zstd" };
    const fetchSent = async (file) => {
      const { response, bytes } = await raw(server.base + file, browser);
      assert.equal(response.statusCode, 200, file);
      assert.equal(response.headers["content-encoding"], "br", `${file} is sent compressed`);
      assert.match(response.headers["cache-control"], /immutable/, `${file} is kept for good`);
      return bytes.length;
    };
    const page = await raw(`${server.base}/`, browser);
    assert.equal(page.response.headers["content-encoding"], "br");
    const html = (await raw(`${server.base}/`, {})).bytes.toString();
    const linked = [...new Set([...html.matchAll(/"(\/pkg\/[^"]+)"/g)].map((m) => m[1]))];
    assert.equal(linked.length, 4, `the page links its CSS, JS, WASM and the loader the JS imports: ${linked}`);

    // The JS imports the loader of the second file; the loader names that file.
    // The main JS, not the loader beside it (`__wasm_split.js`).
    const js = linked.find((f) => /\/[^_/][^/]*\.js$/.test(f));
    const loader = named((await raw(server.base + js, {})).bytes.toString(), server.base + js);
    assert.equal(loader.length, 1, `the JS imports one loader: ${loader}`);
    assert.ok(linked.includes(loader[0]), `the page preloads the loader ${loader[0]}`);
    const later = named((await raw(server.base + loader[0], {})).bytes.toString(), server.base + loader[0])
      .filter((f) => f.endsWith(".wasm"));
    assert.equal(later.length, 1, `the loader fetches one more WASM file: ${later}`);

    let total = page.bytes.length;
    let wasm = 0;
    for (const file of linked) {
      const bytes = await fetchSent(file);
      total += bytes;
      if (file.endsWith(".wasm")) wasm = bytes;
    }
    const laterWasm = await fetchSent(later[0]);
    console.log(`up to interactive ${total} B (budget ${FIRST_VISIT_BUDGET}), of which WASM ${wasm} B ` +
      `(budget ${WASM_BUDGET}); then the panels' WASM ${laterWasm} B (budget ${LATER_WASM_BUDGET})`);
    assert.ok(wasm <= WASM_BUDGET, `WASM is ${wasm} B as sent, over its budget of ${WASM_BUDGET}`);
    assert.ok(total <= FIRST_VISIT_BUDGET, `the first visit is ${total} B, over its budget of ${FIRST_VISIT_BUDGET}`);
    assert.ok(laterWasm <= LATER_WASM_BUDGET, `the panels' WASM is ${laterWasm} B, over its budget of ${LATER_WASM_BUDGET}`);
  } finally {
    await server.stop();
  }
});
