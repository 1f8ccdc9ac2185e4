/**
 * Killed with SIGKILL at random moments while writing, many times over: the
 * SQLite history passes `PRAGMA integrity_check` and holds every batch the
 * writer reported committed (and nothing torn), and the JSON files always
 * parse with every reported connection in them.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { jsonFilesIn } from "./_json_files.ts";

const WRITER = fileURLToPath(new URL("./_history_writer.ts", import.meta.url));
const ROUNDS = 12;
const unix = Deno.build.os !== "windows";

/**
 * Start the writer, let it commit for a random while, kill it with SIGKILL,
 * and return the last count it reported before dying.
 */
async function writeThenKill(
  kind: "sqlite" | "json",
  path: string,
  first: number,
  batch: number,
): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-all", WRITER, kind, path, String(first), String(batch)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  // Wait for the first commit (start-up takes a while), then a random moment within the next 300 ms.
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const killAt = Date.now() + Math.random() * 300;
  while (Date.now() < killAt) {
    const chunk = await Promise.race([
      reader.read(),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), killAt - Date.now())),
    ]);
    if (chunk === null || chunk.done) break;
    text += chunk.value;
  }
  child.kill("SIGKILL");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const status = await child.status;
  await child.stderr.cancel();
  deepStrictEqual(status.signal, "SIGKILL", "the writer was still writing when it was killed");
  const counts = [...text.matchAll(/^committed (\d+)$/gm)].map((m) => Number(m[1]));
  ok(counts.length > 0, `the writer never reported a commit: ${text}`);
  return counts.at(-1) ?? first;
}

Deno.test({
  name:
    "SqliteStore killed with SIGKILL at random moments keeps every committed batch and passes integrity_check",
  ignore: !unix,
  async fn() {
    const dir = await Deno.makeTempDir();
    const path = join(dir, "history.db");
    const batch = 500;
    try {
      let stored = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const reported = await writeThenKill("sqlite", path, stored, batch);
        const db = new DatabaseSync(path);
        deepStrictEqual(db.prepare("PRAGMA integrity_check").get()?.integrity_check, "ok", `round ${round}`);
        const rows = db.prepare(
          "SELECT count(*) AS n, min(local_port) AS lo, max(local_port) AS hi FROM connections",
        )
          .get();
        const n = Number(rows?.n);
        // Every reported batch is there; at most the one batch whose report the kill cut off is extra;
        // the rows are exactly 0..n-1: no gap, no half batch.
        ok(n >= reported && n <= reported + batch, `round ${round}: ${n} rows, ${reported} reported`);
        deepStrictEqual([n % batch, Number(rows?.lo), Number(rows?.hi)], [0, 0, n - 1], `round ${round}`);
        const seen = db.prepare("SELECT sum(times_seen) AS n FROM addresses").get();
        deepStrictEqual(Number(seen?.n), n, "each connection counted once in its address");
        db.close();
        stored = n;
      }
      ok(stored > 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "JsonStore killed with SIGKILL at random moments always leaves files that parse, with every reported connection",
  ignore: !unix,
  async fn() {
    const dir = await Deno.makeTempDir();
    const files = jsonFilesIn(dir);
    const batch = 50;
    try {
      let stored = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const reported = await writeThenKill("json", dir, stored, batch);
        const connections = JSON.parse(await Deno.readTextFile(files.connections));
        const history = JSON.parse(await Deno.readTextFile(files.history));
        const n = Object.values(connections).reduce(
          (sum: number, list) => sum + (list as unknown[]).length,
          0,
        );
        ok(n >= reported && n <= reported + batch, `round ${round}: ${n} connections, ${reported} reported`);
        // Three files cannot change in one step: a kill between two renames leaves one a batch ahead of
        // another (the reputation tool's format), but each file is whole.
        for (const address of Object.values(history) as Record<string, unknown>[]) {
          deepStrictEqual(typeof address.times_seen, "number");
          ok(!Number.isNaN(Date.parse(String(address.first_seen))));
        }
        stored = n;
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
