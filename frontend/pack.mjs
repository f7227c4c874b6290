// Content-hashes and precompresses the browser bundle so the server can send it with a long
// cache lifetime and without compressing on every request.
// Usage: node frontend/pack.mjs <pkg-dir> <output-name>   (after `make site`; standard library only)
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants as z, gzipSync } from "node:zlib";

// The three outputs of `make site`, by manifest key, named after the bundle's output name
// (the Makefile passes it from Cargo.toml). `text` picks brotli's text mode.
const [dir, output] = process.argv.slice(2);
if (!dir || !output) fail("usage: node frontend/pack.mjs <pkg-dir> <output-name>");
const ASSETS = [
  { key: "js", stem: output, ext: "js", text: true },
  { key: "wasm", stem: `${output}_bg`, ext: "wasm", text: false },
  { key: "css", stem: output, ext: "css", text: true },
];
const COMPRESSED = [".br", ".gz"];
// Check every input before writing anything, so a half-built site leaves the old state intact.
const missing = ASSETS.map((a) => join(dir, `${a.stem}.${a.ext}`)).filter((p) => !existsSync(p));
if (missing.length) fail(`missing input (run \`make site\` first): ${missing.join(", ")}`);

const manifestPath = join(dir, "manifest.json");
const previous = readManifest(manifestPath);
const manifest = {};
const rows = [];

for (const a of ASSETS) {
  const bytes = readFileSync(join(dir, `${a.stem}.${a.ext}`));
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  const name = `${a.stem}.${hash}.${a.ext}`;
  manifest[a.key] = name;
  // Same name means same content, so a complete set on disk is already right: skip the slow brotli.
  if (![name, ...COMPRESSED.map((s) => name + s)].every((n) => existsSync(join(dir, n)))) {
    const br = brotliCompressSync(bytes, {
      params: {
        [z.BROTLI_PARAM_QUALITY]: 11,
        [z.BROTLI_PARAM_MODE]: a.text ? z.BROTLI_MODE_TEXT : z.BROTLI_MODE_GENERIC,
        [z.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    });
    // The plain file goes last: the existence check above keys on all three, and each write is
    // atomic, so an interrupted run is simply redone next time rather than trusted.
    writeAtomic(join(dir, name + ".gz"), gzipSync(bytes, { level: 9 }));
    writeAtomic(join(dir, name + ".br"), br);
    writeAtomic(join(dir, name), bytes);
  }
  const size = (n) => statSync(join(dir, n)).size;
  rows.push([name, bytes.length, size(name + ".gz"), size(name + ".br")]);
}

// Only now may a server see the new names: every file it names exists.
const text = JSON.stringify(manifest) + "\n";
if (!existsSync(manifestPath) || readFileSync(manifestPath, "utf8") !== text) writeAtomic(manifestPath, text);

// Keep this generation and the one before it, so a page opened before this build can still
// fetch its assets; older hashed files go. The unhashed originals never match the pattern.
const keep = new Set([...Object.values(manifest), ...Object.values(previous ?? {})]);
const hashed = new RegExp(`^(${ASSETS.map((a) => `${a.stem}\\.[0-9a-f]{16}\\.${a.ext}`).join("|")})(\\.br|\\.gz)?$`);
for (const file of readdirSync(dir)) {
  const m = hashed.exec(file);
  if (m && !keep.has(m[1])) {
    rmSync(join(dir, file));
    console.log(`removed ${file}`);
  }
}

const w = Math.max(...rows.map((r) => r[0].length));
for (const [name, raw, gz, br] of rows) {
  const n = (v) => v.toLocaleString("en-US").padStart(10);
  console.log(`${name.padEnd(w)}  raw ${n(raw)} B  gzip ${n(gz)} B  brotli ${n(br)} B`);
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
