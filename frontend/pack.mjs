// Content-hashes and precompresses the browser bundle so the server can send it with a long
// cache lifetime and without compressing on every request.
// Usage: node frontend/pack.mjs <pkg-dir> <output-name> <wasm-dir>   (standard library only)
//
// <wasm-dir> holds the WebAssembly set as `make site` left it: the main module and its JS, the
// lazily loaded parts and the loader that fetches them. Its files name each other (the JS
// imports the loader, the loader imports the JS back and fetches the parts), so they are not
// renamed one by one: the set goes whole into `pkg/<hash of the set>/`. The CSS stands alone
// and is named `<output-name>.<hash>.css`.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants as z, gzipSync } from "node:zlib";

const [dir, output, wasmDir] = process.argv.slice(2);
if (!dir || !output || !wasmDir) fail("usage: node frontend/pack.mjs <pkg-dir> <output-name> <wasm-dir>");
const JS = `${output}.js`;
const WASM = `${output}_bg.wasm`;
const CSS = `${output}.css`;
// wasm-split-cli's name for the loader of the second WASM file, which the JS imports.
const LOADER = "__wasm_split.js";
const COMPRESSED = [".br", ".gz"];
const HASH = /^[0-9a-f]{16}$/;

// Check every input before writing anything, so a half-built site leaves the old state intact.
const missing = [join(wasmDir, JS), join(wasmDir, WASM), join(dir, CSS)].filter((p) => !existsSync(p));
// The JS imports the loader of the second WASM file: without it the page would not start.
if (!missing.length && readFileSync(join(wasmDir, JS), "utf8").includes(`"./${LOADER}"`) && !existsSync(join(wasmDir, LOADER)))
  missing.push(join(wasmDir, LOADER));
if (missing.length) fail(`missing input (run \`make site\` first): ${missing.join(", ")}`);

const manifestPath = join(dir, "manifest.json");
const previous = readManifest(manifestPath);
const rows = [];

const set = readdirSync(wasmDir).filter((n) => /\.(js|wasm)$/.test(n)).sort();
const setHash = hash(Buffer.concat(set.flatMap((n) => [Buffer.from(`${n}\0`), readFileSync(join(wasmDir, n)), Buffer.from("\0")])));
mkdirSync(join(dir, setHash), { recursive: true });
for (const name of set) publish(join(wasmDir, name), join(setHash, name));

const css = readFileSync(join(dir, CSS));
const cssName = `${output}.${hash(css)}.css`;
publish(join(dir, CSS), cssName);

// The generation before this one stays, so a page opened before this build can still fetch
// its files (the second WASM file is fetched late, and again after a failure). A rebuild
// that changed nothing keeps the same generation before it.
const current = { js: `${setHash}/${JS}`, wasm: `${setHash}/${WASM}`, css: cssName };
if (set.includes(LOADER)) current.loader = `${setHash}/${LOADER}`;
const unchanged = previous && previous.js === current.js && previous.css === current.css;
const before = unchanged ? previous.before ?? [] : previous ? generation(previous) : [];
const manifest = { ...current, before };

// Only now may a server see the new names: every file it names exists.
const text = JSON.stringify(manifest) + "\n";
if (!existsSync(manifestPath) || readFileSync(manifestPath, "utf8") !== text) writeAtomic(manifestPath, text);

// Older generations go: hashed sets and CSS, and what builds before the split wrote (a hashed
// JS and WASM each, and unhashed copies). The CSS input `<output>.css` never matches.
const keep = new Set([...generation(manifest), ...before]);
const old = new RegExp(`^(${output}\\.[0-9a-f]{16}\\.css|${output}(_bg)?\\.[0-9a-f]{16}\\.(js|wasm)|${output}\\.js|${output}_bg\\.wasm)(\\.br|\\.gz)?$`);
for (const file of readdirSync(dir)) {
  const name = HASH.test(file) ? file : old.exec(file)?.[1];
  if (name && !keep.has(name)) {
    rmSync(join(dir, file), { recursive: true });
    console.log(`removed ${file}`);
  }
}

const w = Math.max(...rows.map((r) => r[0].length));
for (const [name, raw, gz, br] of rows) {
  const n = (v) => v.toLocaleString("en-US").padStart(10);
  console.log(`${name.padEnd(w)}  raw ${n(raw)} B  gzip ${n(gz)} B  brotli ${n(br)} B`);
}

/// Writes `source` to `pkg/<name>` with its brotli and gzip copies, unless all three are there.
function publish(source, name) {
  const target = join(dir, name);
  const bytes = readFileSync(source);
  // A hashed name means fixed content, so a complete set on disk is already right: skip brotli.
  if (![target, ...COMPRESSED.map((s) => target + s)].every(existsSync)) {
    const br = brotliCompressSync(bytes, {
      params: {
        [z.BROTLI_PARAM_QUALITY]: 11,
        [z.BROTLI_PARAM_MODE]: name.endsWith(".wasm") ? z.BROTLI_MODE_GENERIC : z.BROTLI_MODE_TEXT,
        [z.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    });
    // The plain file goes last: the existence check above keys on all three, and each write is
    // atomic, so an interrupted run is simply redone next time rather than trusted.
    writeAtomic(target + ".gz", gzipSync(bytes, { level: 9 }));
    writeAtomic(target + ".br", br);
    writeAtomic(target, bytes);
  }
  const size = (suffix) => statSync(target + suffix).size;
  rows.push([name, bytes.length, size(".gz"), size(".br")]);
}

/// What a manifest's page needs under `pkg/`: the set's directory (or, from before the split,
/// the files themselves) and the CSS.
function generation(m) {
  return [...new Set([m.js, m.wasm, m.css, m.loader].filter(Boolean).map((name) => name.split("/")[0]))];
}

function hash(bytes) {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 16);
}

function writeAtomic(path, data) {
  // A temp file in the same directory, then rename: readers see the old file or the whole new one.
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function readManifest(path) {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    // An unreadable manifest protects nothing; say so and carry on with this generation only.
    console.warn(`warning: ignoring unreadable ${path}: ${e.message}`);
    return null;
  }
}

function fail(message) {
  console.error(`pack: ${message}`);
  process.exit(1);
}
