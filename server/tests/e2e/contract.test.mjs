// The API against its own published contract: Schemathesis (an independent tool, from PyPI)
// reads /openapi.json from the live server and sends it generated requests, valid and not,
// with every check on: no 5xx, only documented statuses, headers and bodies, invalid input
// refused, valid input taken. The lab's delay is capped at 50 ms for the run (the document
// says so), and the reset, which forgets orders other requests look up, runs in a pass of
// its own.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "./server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const schemathesis = process.env.SCHEMATHESIS
  || join(here, "..", "..", "..", "target", "tools", "schemathesis", "bin", "schemathesis");

function run({ base, dir: cwd }, ...filter) {
  const result = spawnSync(schemathesis, [
    "--config-file", join(here, "schemathesis.toml"),
    "run", `${base}/openapi.json`,
    "--checks", "all",
    "--phases", "examples,coverage,fuzzing,stateful",
    ...filter,
  ], {
    // In the server's temp directory: whatever the tool leaves behind goes with it.
    cwd, encoding: "utf8", timeout: 10 * 60_000, env: { ...process.env, NO_COLOR: "1" },
  });
  assert.equal(result.error, undefined, `${schemathesis}: ${result.error}`);
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

test("the live server keeps its OpenAPI contract under Schemathesis", async () => {
  const server = await startServer(["--max-lab-delay-ms", "50"]);
  try {
    // Every operation but the reset and the events, an endless stream a fuzzer would wait on
    // for ever (the API suite tests it). (Schemathesis counts /openapi.json, its own input,
    // in neither figure.)
    const main = run(server, "--exclude-path", "/lab/reset", "--exclude-path", "/events");
    const [, selected, total] = /Operations:\s+(\d+) selected \/ (\d+) total/.exec(main);
    assert.equal(Number(selected), Number(total) - 2, main);
    const reset = run(server, "--include-path", "/lab/reset");
    assert.match(reset, /Operations:\s+1 selected/);
  } finally {
    await server.stop();
  }
});

// The key's pattern as published, run in an ECMA-262 engine (the dialect JSON Schema names):
// it takes exactly the keys the server takes, in the header and in `/lab/expire-key`'s body.
// The placeholders `undefined` and `null` are left out by a lookahead; what merely resembles
// them is an ordinary key.
test("the published key patterns take exactly the keys the server takes", async () => {
  const server = await startServer();
  try {
    const doc = await server.json("/openapi.json");
    const header = doc.paths["/orders"].post.parameters
      .find((parameter) => parameter.name === "Idempotency-Key");
    const inHeader = new RegExp(header.schema.pattern);
    const inBody = new RegExp(
      doc.components.schemas.ExpireKeyRequest.properties.idempotencyKey.pattern);
    const keys = [
      "undefined", "null", '"undefined"', '"null"', "UNDEFINED", "Null", '"NuLL"',
      "undefined-1", "nullable", "nil", "None", 'undefined"', '"null', "k-bare", '"k-quoted"',
      "",
    ];
    for (const [i, key] of keys.entries()) {
      const order = await fetch(`${server.base}/orders`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Idempotency-Key": key },
        body: JSON.stringify({ userId: `pattern-${i}`, items: [{ sku: "A-1", qty: 1 }] }),
      });
      const shown = JSON.stringify(key);
      assert.equal(inHeader.test(key), order.status === 201, `header ${shown}: ${order.status}`);
      const expire = await fetch(`${server.base}/lab/expire-key`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ userId: "nobody", idempotencyKey: key }),
      });
      // A key the server takes names no record of `nobody`'s: 404; one it refuses: 400.
      assert.equal(inBody.test(key), expire.status === 404, `body ${shown}: ${expire.status}`);
    }
  } finally {
    await server.stop();
  }
});
