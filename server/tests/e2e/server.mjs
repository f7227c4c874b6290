// Starts the real release server for a test: its own temp SQLite file, a free port.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const serverBinary = join(root, "target", "release", "server");

export async function startServer(extraArgs = []) {
  const dir = mkdtempSync(join(tmpdir(), "idem-lab-"));
  const child = spawn(
    serverBinary,
    ["--host", "127.0.0.1", "--port", "0", "--database-url", `sqlite://${join(dir, "lab.db")}`,
      "--site-root", join(root, "target", "site"), ...extraArgs],
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
    async json(path, init) {
      const response = await fetch(base + path, init);
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      return response.json();
    },
    async stop() {
      child.kill("SIGKILL");
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on("exit", resolve)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
