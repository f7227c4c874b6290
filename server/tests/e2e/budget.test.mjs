// The first visit's size is a decision: growing past the budget fails the build until the
// budget is raised on purpose. Budget = the size measured when it was set, plus 10 %.
// Measured as a browser gets it: the page and the files it links, in the encoding sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { get } from "node:http";
import { startServer } from "./server.mjs";

// Set on 2026-11-29 (issue 12), measured brotli: WASM 248,632 B, HTML + CSS + JS 12,937 B.
// Issue 12's targets are 150 KB of WASM and 200 KB in all; these budgets only stop growth.
const WASM_BUDGET = 274_000;
const FIRST_VISIT_BUDGET = 288_000;

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

test("the first visit, as sent, stays within its byte budget and every file is compressed", async () => {
  const server = await startServer();
  try {
    const browser = { "accept-encoding": "gzip, deflate, br, zstd" };
    const page = await raw(`${server.base}/`, browser);
    assert.equal(page.response.headers["content-encoding"], "br");
    const html = (await raw(`${server.base}/`, {})).bytes.toString();
    const linked = [...html.matchAll(/"(\/pkg\/[^"]+)"/g)].map((m) => m[1]);
    const files = [...new Set(linked)];
    assert.equal(files.length, 3, `the page links its CSS, JS and WASM: ${files}`);

    let total = page.bytes.length;
    let wasm = 0;
    for (const file of files) {
      const { response, bytes } = await raw(server.base + file, browser);
      assert.equal(response.statusCode, 200, file);
      assert.equal(response.headers["content-encoding"], "br", `${file} is sent compressed`);
      assert.match(response.headers["cache-control"], /immutable/, `${file} is kept for good`);
      total += bytes.length;
      if (file.endsWith(".wasm")) wasm = bytes.length;
    }
    console.log(`first visit ${total} B (budget ${FIRST_VISIT_BUDGET}), of which WASM ${wasm} B (budget ${WASM_BUDGET})`);
    assert.ok(wasm <= WASM_BUDGET, `WASM is ${wasm} B as sent, over its budget of ${WASM_BUDGET}`);
    assert.ok(total <= FIRST_VISIT_BUDGET, `the first visit is ${total} B, over its budget of ${FIRST_VISIT_BUDGET}`);
  } finally {
    await server.stop();
  }
});
