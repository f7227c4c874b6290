// Starts the real release server for a test: its own temp SQLite file (or the database a test
// names), a free port.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
// A private build can be named instead: LAB_SERVER_BIN (the binary), LAB_SITE_ROOT (the site).
export const serverBinary = process.env.LAB_SERVER_BIN || join(root, "target", "release", "server");
const siteRoot = process.env.LAB_SITE_ROOT || join(root, "target", "site");

/// `port` and `dir` let a test restart the server where it was, as after a crash; `database`
/// replaces the SQLite file with another database URL.
export async function startServer(extraArgs = [], {
  port = 0,
  dir = mkdtempSync(join(tmpdir(), "idem-lab-")),
  database = `sqlite://${join(dir, "lab.db")}`,
} = {}) {
  const child = spawn(
    serverBinary,
    ["--host", "127.0.0.1", "--port", String(port), "--database-url", database,
      "--site-root", siteRoot, ...extraArgs],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, RUST_LOG: "warn" } },
  );
  const base = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const match = /^listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  return {
    base,
    dir,
    port: Number(new URL(base).port),
    async json(path, init) {
      const response = await fetch(base + path, init);
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      return response.json();
    },
    /// SIGKILL, as a crash or a pulled plug; `keep` leaves the database for a restart.
    async stop({ keep = false } = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.on("exit", resolve));
        child.kill("SIGKILL");
        await exited;
      }
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}
