// First load on a slow network, cold (empty cache) and warm (second visit), in Debian's Chromium.
// A measurement for `make bench`: prints figures and the targets of issue 12, asserts nothing.
// Usage: node server/benches/first_load.mjs [<url>] [--runs 3]
// Without a url it starts the release server on a free port, with a fresh SQLite file.
import { parseArgs } from "node:util";
import { startServer } from "../tests/e2e/server.mjs";
// The e2e helper resolves playwright-core from its own node_modules and holds the launch flags
// the tests already rely on (root, headless), so both measure the same browser.
import { launchBrowser } from "../tests/e2e/browser.mjs";

// Slow 4G as Lighthouse defines it; the CPU is left alone so only the network is simulated.
const SLOW_4G = { offline: false, latency: 150, downloadThroughput: 200_000, uploadThroughput: 93_750 };
const HYDRATE_TIMEOUT = 60_000;
const KINDS = ["html", "css", "js", "wasm", "other"];

const { values, positionals } = parseArgs({ allowPositionals: true, options: { runs: { type: "string", default: "3" } } });
const runs = Number(values.runs);
if (!(runs >= 1)) await fail("usage: node server/benches/first_load.mjs [<url>] [--runs 3]");
const ownServer = positionals[0] ? null : await startServer();
const url = positionals[0] ?? `${ownServer.base}/`;
try {
  await fetch(url);
} catch (e) {
  await fail(`server unreachable at ${url}: ${e.cause?.message ?? e.message}`);
}

const browser = await launchBrowser();
const results = [];
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ locale: "en-US" });
    // Runs before the page's own scripts on every navigation, so the moment the app marks itself
    // hydrated is caught at once, on the page's clock. The observer watches `document` because
    // <html> does not exist yet when this runs.
    // Likewise the moment the explaining panels, from the second WASM file, are all built.
    await context.addInitScript(() => {
      new MutationObserver(() => {
        if (window.__hydratedAt === undefined && document.documentElement?.getAttribute("data-hydrated") === "true")
          window.__hydratedAt = performance.now();
        if (window.__panelsAt === undefined && window.__hydratedAt !== undefined &&
            !document.querySelector("[data-deferred]:not([data-deferred=ready])"))
          window.__panelsAt = performance.now();
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-hydrated", "data-deferred"] });
    });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", SLOW_4G);
    const cold = await visit(page, cdp);
    const warm = await visit(page, cdp);
    await context.close();
    results.push({ cold, warm });
    console.error(`run ${i + 1}/${runs}: cold ${fmtS(cold.ms)}, ${fmtB(cold.pageBytes)}; warm ${fmtS(warm.ms)}, ${fmtB(warm.assetBytes)} assets`);
  }
} catch (e) {
  // Close the browser before leaving, so no Chromium outlives a failed run.
  console.error(`first_load: ${e.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  await ownServer?.stop();
}
if (!process.exitCode) report(results);

/// One navigation: time to hydrated and to the panels built, and what every request of this
/// page load cost on the wire, told apart by whether it began before the page was interactive.
async function visit(page, cdp) {
  const requests = new Map();
  const get = (id) => requests.get(id) ?? requests.set(id, { done: false, bytes: 0 }).get(id);
  const on = {
    "Network.requestWillBeSent": (e) => (get(e.requestId).sentAt ??= e.wallTime * 1000),
    "Network.requestServedFromCache": (e) => (get(e.requestId).cached = true),
    "Network.responseReceived": ({ requestId, type, response: r }) => {
      const q = get(requestId);
      q.kind = classify(type, r.mimeType, r.url);
      q.status ??= r.status;
      q.encoding = header(r.headers, "content-encoding") ?? "none";
      // Memory-cache hits come as requestServedFromCache (the response has no flag for them);
      // disk-cache hits (seen for the WASM fetch) only as this flag.
      q.cached ||= Boolean(r.fromDiskCache || r.fromPrefetchCache);
    },
    // The status on the wire: for a revalidated fetch() (the WASM) the response above reports
    // the cached 200, and only this event shows the 304.
    "Network.responseReceivedExtraInfo": (e) => (get(e.requestId).status = e.statusCode),
    "Network.loadingFinished": (e) => Object.assign(get(e.requestId), { done: true, bytes: e.encodedDataLength }),
    "Network.loadingFailed": (e) => Object.assign(get(e.requestId), { done: true, failed: true }),
  };
  for (const [name, fn] of Object.entries(on)) cdp.on(name, fn);
  try {
    await page.goto(url, { waitUntil: "commit", timeout: HYDRATE_TIMEOUT });
    await page.waitForSelector("html[data-hydrated=true]", { timeout: HYDRATE_TIMEOUT }).catch(() => {
      throw new Error(`the page never hydrated within ${HYDRATE_TIMEOUT / 1000} s`);
    });
    await page.waitForFunction(() => window.__panelsAt !== undefined, null, { timeout: HYDRATE_TIMEOUT }).catch(() => {
      throw new Error(`the panels were not built within ${HYDRATE_TIMEOUT / 1000} s`);
    });
    const { ms, panelsMs, hydratedWall } = await page.evaluate(() => ({
      ms: window.__hydratedAt,
      panelsMs: window.__panelsAt,
      hydratedWall: performance.timeOrigin + window.__hydratedAt,
    }));
    // Count what the page needed, not the table polling that goes on after: wait for the
    // requests already begun to finish (their byte counts arrive with loadingFinished).
    const needed = [...requests.values()];
    for (let t = 0; t < 100 && needed.some((q) => !q.done); t++) await new Promise((r) => setTimeout(r, 100));
    const kinded = needed.filter((q) => q.kind);
    const later = kinded.filter((q) => q.sentAt > hydratedWall && q.kind === "wasm");
    return {
      ...summarise(ms, kinded.filter((q) => !(q.sentAt > hydratedWall))),
      panelsMs,
      laterWasmBytes: later.reduce((sum, q) => sum + q.bytes, 0),
    };
  } finally {
    for (const [name, fn] of Object.entries(on)) cdp.off(name, fn);
  }
}

function summarise(ms, list) {
  const bytes = Object.fromEntries(KINDS.map((k) => [k, 0]));
  const encodings = Object.fromEntries(KINDS.map((k) => [k, new Set()]));
  let assetBytes = 0, revalidationBytes = 0;
  for (const q of list) {
    bytes[q.kind] += q.bytes;
    encodings[q.kind].add(`${q.encoding} ${q.status}${q.cached ? " cache" : ""}`);
    if (["css", "js", "wasm"].includes(q.kind) && !q.cached) {
      if (q.status === 304) revalidationBytes += q.bytes;
      else assetBytes += q.bytes;
    }
  }
  const pageBytes = bytes.html + bytes.css + bytes.js + bytes.wasm;
  const doc = list.find((q) => q.kind === "html");
  return { ms, bytes, encodings, pageBytes, assetBytes, revalidationBytes, docStatus: doc?.status, wasmEncoding: [...new Set(list.filter((q) => q.kind === "wasm").map((q) => q.encoding))].join(", ") };
}

function classify(type, mime = "", url = "") {
  const path = url.split(/[?#]/)[0];
  if (mime === "application/wasm" || path.endsWith(".wasm")) return "wasm";
  if (type === "Document") return "html";
  if (type === "Stylesheet" || mime === "text/css" || path.endsWith(".css")) return "css";
  if (type === "Script" || /javascript/.test(mime) || /\.m?js$/.test(path)) return "js";
  return "other";
}

function report(results) {
  const med = (f) => median(results.map(f));
  const cold = (f) => med((r) => f(r.cold));
  const last = results.at(-1);
  const rows = [
    ["bytes transferred, first visit (HTML + CSS + JS + WASM, as sent)", cold((v) => v.pageBytes), fmtB, "≤ 200 KB", (v) => v <= 200_000],
    [`WASM as sent, first visit (Content-Encoding: ${last.cold.wasmEncoding})`, cold((v) => v.bytes.wasm), fmtB, "≤ 150 KB (brotli)", (v) => v <= 150_000],
    ["page interactive (hydrated), first visit, slow 4G", cold((v) => v.ms), fmtS, "≤ 2.0 s", (v) => v <= 2000],
    ["page interactive, second visit", med((r) => r.warm.ms), fmtS, "≤ 0.3 s", (v) => v <= 300],
    ["asset bytes re-downloaded, second visit", med((r) => r.warm.assetBytes), fmtB, "0 B", (v) => v === 0],
  ];
  const after = [
    ["explaining panels' WASM, fetched once interactive (as sent)", cold((v) => v.laterWasmBytes), fmtB],
    ["explaining panels built, first visit", cold((v) => v.panelsMs), fmtS],
    ["explaining panels built, second visit", med((r) => r.warm.panelsMs), fmtS],
  ];
  console.log(`\nFirst load of ${url}, median of ${results.length} run(s); slow 4G (150 ms, 200,000 B/s down, 93,750 B/s up), CPU not throttled\n`);
  console.log("| figure | measured | target | |\n|---|---:|---:|---|");
  for (const [name, v, fmt, target, met] of rows) console.log(`| ${name} | ${fmt(v)} | ${target} | ${met(v) ? "met" : "not met"} |`);
  for (const [name, v, fmt] of after) console.log(`| ${name} | ${fmt(v)} | – | |`);

  console.log("\n| first visit up to interactive, by kind | as sent (median) | Content-Encoding, status (last run) |\n|---|---:|---|");
  for (const k of KINDS) console.log(`| ${k} | ${fmtB(cold((v) => v.bytes[k]))} | ${[...last.cold.encodings[k]].join("; ") || "–"} |`);
  console.log(`| all requests | ${fmtB(cold((v) => KINDS.reduce((s, k) => s + v.bytes[k], 0)))} | |`);
  console.log(`\nSecond visit: HTML document status ${[...new Set(results.map((r) => r.warm.docStatus))].join("/")}; ` +
    `asset revalidations (304) ${fmtB(med((r) => r.warm.revalidationBytes))}.`);
  console.log("KB = 1,000 bytes. Bytes are CDP encodedDataLength (body as sent plus headers), of the requests " +
    "begun before the page was interactive (hydrated), except the row of the panels' WASM; " +
    "\"cache\" = served from the browser cache; assets = CSS, JS and WASM.");
}

function header(headers, name) {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmtB(b) {
  return b < 1000 ? `${Math.round(b)} B` : `${Math.round(b / 1000).toLocaleString("en-US")} KB`;
}

function fmtS(ms) {
  return `${(ms / 1000).toFixed(2)} s`;
}

async function fail(message) {
  console.error(`first_load: ${message}`);
  await ownServer?.stop();
  process.exit(1);
}
