// Which file of a crate imports which, from the source: `make lint` fails on an import circle
// between files, and on a module that imports from one above it (an ancestor's own file).
// Importing a sibling (`super::sibling::X`) or through another branch's facade
// (`crate::i18n::fill`) is fine; `use super::helper` where the parent's file defines `helper`,
// or `crate::AppState` defined in lib.rs, is not. Test code (`#[cfg(test)]`) is left out.
//
//   node server/scripts/imports.mjs app/src/lib.rs server/src/lib.rs …   (prints the graph with -v)
import { readFileSync, existsSync } from "node:fs";
import { dirname, join, basename } from "node:path";

const verbose = process.argv.includes("-v");
const roots = process.argv.slice(2).filter((arg) => arg !== "-v");
let problems = 0;

for (const root of roots) {
  const modules = new Map(); // "a::b" ("" for the root) -> its file's text, without tests
  collect(root, "", modules);
  const edges = new Map([...modules.keys()].map((m) => [m, new Set()]));
  for (const [module, text] of modules) {
    for (const path of referencedPaths(text)) {
      const target = resolve(module, path, modules);
      if (target === null || target === module) continue;
      edges.get(module).add(target);
      if (isAncestor(target, module)) {
        problems += 1;
        console.error(`${root}: ${name(module)} imports \`${path.join("::")}\` from ${name(target)}, a module above it`);
      }
    }
  }
  for (const circle of circles(edges)) {
    problems += 1;
    console.error(`${root}: import circle: ${circle.map(name).join(" → ")}`);
  }
  if (verbose) {
    for (const [from, to] of edges) console.log(`${name(from)} → ${[...to].map(name).join(", ")}`);
  }
  console.log(`${root}: ${modules.size} files, ${[...edges.values()].reduce((n, s) => n + s.size, 0)} imports between them`);
}
process.exit(problems === 0 ? 0 : 1);

function name(module) {
  return module === "" ? "crate" : module;
}

/// Reads `file` as module `module` and every `mod x;` it declares, depth first.
function collect(file, module, modules) {
  const text = withoutTests(readFileSync(file, "utf8"));
  modules.set(module, text);
  const dir = ["lib.rs", "main.rs", "mod.rs"].includes(basename(file))
    ? dirname(file)
    : join(dirname(file), basename(file, ".rs"));
  for (const [, child] of text.matchAll(/^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+([a-z_0-9]+)\s*;/gm)) {
    const flat = join(dir, `${child}.rs`);
    const nested = join(dir, child, "mod.rs");
    const childFile = existsSync(flat) ? flat : nested;
    if (existsSync(childFile)) collect(childFile, module ? `${module}::${child}` : child, modules);
  }
}

/// The text without comments, strings, and `#[cfg(test)]` items (a test module, a test fn).
function withoutTests(text) {
  text = text.replace(/\/\/[^\n]*/g, "").replace(/"(?:[^"\\]|\\.)*"/g, '""');
  let out = "";
  let at = 0;
  for (const match of text.matchAll(/#\[cfg\(test\)\]/g)) {
    if (match.index < at) continue;
    out += text.slice(at, match.index);
    // Skip the item: up to its `;` or its matching closing brace.
    let i = match.index + match[0].length;
    while (i < text.length && text[i] !== "{" && text[i] !== ";") i += 1;
    if (text[i] === "{") {
      let depth = 0;
      for (; i < text.length; i += 1) {
        if (text[i] === "{") depth += 1;
        if (text[i] === "}" && --depth === 0) break;
      }
    }
    at = i + 1;
  }
  return out + text.slice(at);
}

/// Every path a file names from inside its crate: `use` trees, expanded, and inline paths.
function referencedPaths(text) {
  const paths = [];
  for (const [, tree] of text.matchAll(/\buse\s+((?:crate|super|self)\b[^;]*);/g)) {
    paths.push(...expand(tree.replace(/\s+/g, "")));
  }
  const inline = text.replace(/\buse\s+[^;]*;/g, "");
  for (const [path] of inline.matchAll(/\b(?:crate|super|self)(?:::[A-Za-z_][A-Za-z_0-9]*)+/g)) {
    paths.push(path.split("::"));
  }
  return paths.filter((p) => ["crate", "super", "self"].includes(p[0]));
}

/// `a::{b,c::{d,e}}` → [a,b], [a,c,d], [a,c,e]; `x as y` keeps x; `*` names the module.
function expand(tree) {
  const open = tree.indexOf("{");
  if (open === -1) return [tree.replace(/as[A-Za-z_0-9]+$/, "").split("::").filter((s) => s && s !== "*")];
  const prefix = tree.slice(0, open).split("::").filter(Boolean);
  const inner = tree.slice(open + 1, tree.lastIndexOf("}"));
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= inner.length; i += 1) {
    if (inner[i] === "{") depth += 1;
    if (inner[i] === "}") depth -= 1;
    if ((inner[i] === "," && depth === 0) || i === inner.length) {
      if (i > start) parts.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  return parts.flatMap((part) => expand(part).map((rest) => [...prefix, ...rest.filter((s) => s !== "self")]));
}

/// The module (file) a path lands in: its longest prefix that is a module of this crate.
function resolve(module, path, modules) {
  let at = module.split("::").filter(Boolean);
  let rest = path;
  if (rest[0] === "crate") { at = []; rest = rest.slice(1); }
  while (rest[0] === "super") { at = at.slice(0, -1); rest = rest.slice(1); }
  if (rest[0] === "self") rest = rest.slice(1);
  for (const segment of rest) {
    const next = [...at, segment].join("::");
    if (!modules.has(next)) break;
    at = [...at, segment];
  }
  return at.join("::");
}

function isAncestor(above, module) {
  return above === "" ? module !== "" : module.startsWith(`${above}::`);
}

/// Strongly connected components of more than one file (Tarjan).
function circles(edges) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  let counter = 0;
  const visit = (v) => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.reverse());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}
