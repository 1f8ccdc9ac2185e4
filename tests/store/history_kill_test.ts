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
import { Lines } from "../waiting.ts";

const WRITER = fileURLToPath(new URL("./_history_writer.ts", import.meta.url));
const ROUNDS = 12;
const unix = Deno.build.os !== "windows";

/**
 * Start the writer, let it commit a random number of batches, kill it with
 * SIGKILL and return the last count it reported before dying. The kill lands
 * while the writer is somewhere in a later batch: it writes as fast as it
 * can, and its report reaches this process after it has moved on.
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
  // One reader takes every chunk until the pipe closes: nothing the writer printed is dropped.
  const output = new Lines(child.stdout);
  const commits = 1 + Math.floor(Math.random() * 6);
  let seen = 0;
  await output.until((line) => /^committed \d+$/.test(line) && ++seen >= commits, `${commits} commits`);
  child.kill("SIGKILL");
  await output.done;
  const status = await child.status;
  await child.stderr.cancel();
  deepStrictEqual(status.signal, "SIGKILL", "the writer was still writing when it was killed");
  const counts = output.lines.flatMap((line) => /^committed (\d+)$/.exec(line)?.[1] ?? []).map(Number);
  ok(counts.length > 0, `the writer never reported a commit: ${output.text}`);
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
