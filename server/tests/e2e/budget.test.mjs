// The release bundle's size is a decision: growing past the budget fails the build until the
// budget is raised on purpose. Budget = the size measured when it was set, plus 10 %.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "target", "site", "pkg");
// Raised on 2026-11-29 with the guided lesson (eight steps, three experiments): measured
// 599,739 bytes. Where the bytes go (twiggy, by hand): 419 KB of the 2.5 MB of code before
// wasm-opt is `hydrate_async`, which leptos_router's type-erased route views instantiate for
// the whole page although hydration never calls it; issue 12 is to cut that, not this budget.
const WASM_GZIP_BUDGET = 660_000; // was 480,000 (measured 434,152 bytes on 2026-11-27)
const JS_GZIP_BUDGET = 11_000; // measured 9,458 bytes

const gzipped = (file) => gzipSync(readFileSync(join(pkg, file)), { level: 9 }).length;

test("the release WASM and its JS glue stay within their gzipped budgets", () => {
  const wasm = gzipped("idempotency_lab_bg.wasm");
  const js = gzipped("idempotency_lab.js");
  console.log(`wasm ${wasm} B gzipped (budget ${WASM_GZIP_BUDGET}), js ${js} B gzipped (budget ${JS_GZIP_BUDGET})`);
  assert.ok(wasm <= WASM_GZIP_BUDGET, `WASM is ${wasm} B gzipped, over its budget of ${WASM_GZIP_BUDGET}`);
  assert.ok(js <= JS_GZIP_BUDGET, `JS is ${js} B gzipped, over its budget of ${JS_GZIP_BUDGET}`);
});
