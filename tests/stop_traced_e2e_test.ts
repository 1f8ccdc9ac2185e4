/**
 * A stop while a poll reads the sockets, with `--trace`: the connections the real bpftrace saw since the poll
 * before are still reported (NDJSON on stdout, what a SIEM reads) and recorded in history (SQLite), not lost
 * with the poll the stop cut short.
 *
 * The monitor runs in a network namespace of the test's own, with a stand-in `ss` first on PATH that runs the real
 * one until the test creates a file, then hangs (noting its pid and its parent's): the poll it is part of hangs
 * until the stop kills it. A Python process makes one connection, both ends closed, while that poll hangs.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { permissionFlags } from "./conntrail_process.ts";
import { canCreateNamespaces, createNamespace } from "./network_namespace.ts";
import { hasTool } from "./open_sockets.ts";
import { type LineProcess, spawnLines } from "./line_process.ts";
import { waitFor } from "./waiting.ts";
import { childrenOf, type ProcessId, stillThere } from "./child_processes.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const PAIRS = fileURLToPath(new URL("./fixtures/trace_pairs.py", import.meta.url));
const ready = canCreateNamespaces() && hasTool("bpftrace") && hasTool("python3") && hasTool("ss");

/** Where the real ss is (the stand-in runs it until told to hang). */
function realSs(): string {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
    try {
      if (Deno.statSync(`${dir}/ss`).isFile) return `${dir}/ss`;
    } catch {
      // Not there.
    }
  }
  throw new Error("no ss on PATH");
}

Deno.test({
  name:
    "monitor --trace stopped while a poll hangs in ss still reports the connections bpftrace saw since the poll before",
  ignore: !ready,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "conntrail-stop-traced-" });
    await Deno.mkdir(`${dir}/bin`);
    await Deno.writeTextFile(
      `${dir}/bin/ss`,
      `#!/bin/sh\nif [ -e '${dir}/hold' ]; then echo "$$ $PPID" >> '${dir}/inside'; exec sleep 1000; fi\n` +
        `exec '${realSs()}' "$@"\n`,
      { mode: 0o755 },
    );
    const args = ["monitor", "--scroll", "--format", "ndjson", "-t", "1", "--trace"];
    const flags = await permissionFlags(dir, args);
    const namespace = await createNamespace("ct34s");
    const pairs = spawnLines(namespace.exec(["python3", PAIRS, "1", "0", "127.0.0.1", "wait"]));
    let monitor: LineProcess | null = null;
    let left: ProcessId[] = [];
    try {
      const serverPort = JSON.parse(
        await pairs.stdout.until((line) => line.startsWith("{"), "the server port"),
      )
        .server_port as number;
      monitor = spawnLines(
        namespace.execWithTracefs([
          Deno.execPath(),
          "run",
          "--quiet",
          "--no-prompt",
          ...flags,
          MAIN,
          ...args,
        ]),
        { NO_COLOR: "1", XDG_DATA_HOME: dir, PATH: `${dir}/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` },
      );
      await monitor.stderr.until((line) => line.startsWith("note: trace: bpftrace"), "bpftrace in use");
      await monitor.stdout.untilJson(
        (e) => e.status === "LISTEN" && e.local_port === serverPort,
        "the listener",
      );
      // From now on a poll hangs in ss; the connection is made while one does (or before it starts).
      await Deno.writeTextFile(`${dir}/hold`, "");
      await pairs.send("go");
      const burst = JSON.parse(
        await pairs.stdout.until((line) => line.includes('"ports"'), "the connection"),
      );
      const held = await waitFor(
        async () => (await Deno.readTextFile(`${dir}/inside`).catch(() => "")).trim() || null,
        "a poll to hang in ss",
      );
      const [standIn, conntrail] = held.split("\n")[0]!.split(" ").map(Number) as [number, number];
      left = await childrenOf(conntrail);
      ok(left.some((p) => p.pid === standIn), `ss (${standIn}) among ${JSON.stringify(left)}`);
      const code = await monitor.stop("SIGTERM");
      deepStrictEqual(code, 0, monitor.stderr.text);
      const port = burst.ports[0] as number;
      const reported = monitor.stdout.json()
        .filter((e) => e.local_port === port && e.remote_port === serverPort)
        .map((e) => `${e.event} ${e.direction} ${e.pid === burst.pid ? "python" : e.pid}`);
      deepStrictEqual(reported, ["NEW outgoing python", "CLOSED outgoing python"], monitor.stderr.text);
      // And the history the run kept: the connection, with its process, opened and closed.
      const db = new DatabaseSync(join(dir, "conntrail", "history.db"), { readOnly: true });
      try {
        const rows = db.prepare(
          "SELECT direction, pid, process_name, closed_at IS NOT NULL AS closed FROM connections " +
            "WHERE local_port = ? AND remote_port = ?",
        ).all(port, serverPort).map((row) => ({ ...row }));
        deepStrictEqual(rows, [{
          direction: "outgoing",
          pid: burst.pid,
          process_name: "python3",
          closed: 1,
        }]);
      } finally {
        db.close();
      }
      deepStrictEqual(await stillThere(left), [], "a program of the run left running");
      // Only the poll the stop cut short hung: no reading was made after the stop.
      deepStrictEqual((await Deno.readTextFile(`${dir}/inside`)).trim(), held);
    } finally {
      await monitor?.stop("SIGKILL");
      await pairs.stop();
      for (const p of await stillThere(left)) Deno.kill(p.pid, "SIGKILL");
      await namespace.remove();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
