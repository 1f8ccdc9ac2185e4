/**
 * Sparse counters under churn, end to end: the real monitor in scroll mode (under the flags `conntrail
 * permissions` prints), in a network namespace of the test's own, runs `ss -E` while connections close
 * seldom; when hundreds of sockets close a second (bench/_churn.py) it says so and stops its ss -E (which
 * then costs more than reading the byte counters at every poll saves).
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { permissionFlags } from "./conntrail_process.ts";
import { canCreateNamespaces, createNamespace } from "./network_namespace.ts";
import { freshLoopback, hasTool, socketControl } from "./open_sockets.ts";
import { spawnLines } from "./line_process.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const CHURN = fileURLToPath(new URL("../bench/_churn.py", import.meta.url));
const ready = canCreateNamespaces() && hasTool("python3") && hasTool("ss") && hasTool("stdbuf");
const ARGS = ["monitor", "--scroll", "--format", "ndjson", "-t", "1"];

/** Processes in network namespace `name` whose command line is ss -E's (stdbuf's before it runs ss). */
function ssDestroyListeners(name: string): number[] {
  const inode = Deno.statSync(`/run/netns/${name}`).ino;
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      if (Deno.statSync(`/proc/${entry.name}/ns/net`).ino !== inode) continue;
      const words = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).split("\0");
      if (words.includes("-E") && words.includes("-tinOH")) found.push(Number(entry.name));
    } catch {
      // It has ended.
    }
  }
  return found;
}

Deno.test({
  name:
    "monitor --scroll: churn of hundreds of closes a second stops ss -E, with a note; before it, ss -E runs",
  ignore: !ready,
  sanitizeResources: false,
  fn: async () => {
    const namespace = await createNamespace("ctfcs");
    const dataHome = await Deno.makeTempDir();
    const control = socketControl(namespace.exec([]));
    let churn: ReturnType<typeof spawnLines> | null = null;
    const monitor = spawnLines(
      namespace.exec([
        Deno.execPath(),
        "run",
        "--quiet",
        "--no-prompt",
        ...await permissionFlags(dataHome, ARGS),
        MAIN,
        ...ARGS,
      ]),
      { NO_COLOR: "1", XDG_DATA_HOME: dataHome },
    );
    try {
      // A connection open before the monitor starts: its NEW says the first poll has run, with ss -E started.
      const first = await control.open(freshLoopback());
      await monitor.stdout.untilJson(
        (e) => e.event === "NEW" && e.local_port === first.client_port,
        "the first poll",
      );
      deepStrictEqual(ssDestroyListeners(namespace.name).length, 1, "ss -E runs before the churn");
      churn = spawnLines(namespace.exec(["python3", CHURN, "200"]));
      await churn.stdout.until((line) => line === "started", "the churn's start");
      const said = await monitor.stderr.until((line) => line.includes("ss -E stopped"), "ss -E's stop");
      ok(/ss -E stopped: \d+ TCP closes a second/.test(said), said);
      // The note comes once ss -E has ended.
      deepStrictEqual(ssDestroyListeners(namespace.name), [], "ss -E ended");
      deepStrictEqual(await monitor.stop(), 0);
    } finally {
      await churn?.stop();
      await monitor.stop();
      await control.stop();
      await namespace.remove();
      await Deno.remove(dataHome, { recursive: true });
    }
  },
});
