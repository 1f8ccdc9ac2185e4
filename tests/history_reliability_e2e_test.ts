/**
 * The real monitor and its history when things go wrong: no write permission,
 * a read-only file system, a full disk, two monitors on one database, and
 * SIGKILL at random moments. Each run is `main.ts` under the flags
 * `conntrail permissions --flags` prints for its command line.
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { freshLoopback, hasTool, socketControl, withTempDirAndSockets } from "./open_sockets.ts";
import { SqliteStore } from "../lib/store/sqlite_store.ts";
import { openDatabase } from "./sqlite_opener.ts";
import { COMMAND_V8_FLAGS } from "../lib/cli/permissions.ts";
import { spawnConntrail } from "./conntrail_process.ts";
import { waitFor } from "./waiting.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const linuxWithSs = Deno.build.os === "linux" && hasTool("ss") && hasTool("python3");
const decoder = new TextDecoder();

/** Whether this machine lets the test mount a tmpfs (root in a namespace that allows it). */
function canMount(): boolean {
  if (Deno.build.os !== "linux" || !hasTool("mount")) return false;
  const dir = Deno.makeTempDirSync();
  try {
    const mounted =
      new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], stderr: "null" })
        .outputSync().success;
    if (mounted) new Deno.Command("umount", { args: [dir] }).outputSync();
    return mounted;
  } finally {
    Deno.removeSync(dir);
  }
}
const mountable = linuxWithSs && canMount();

async function run(program: string, args: string[]): Promise<void> {
  const output = await new Deno.Command(program, { args, stderr: "piped" }).output();
  if (!output.success) throw new Error(`${program} ${args.join(" ")}: ${decoder.decode(output.stderr)}`);
}

async function monitorFlags(args: string[]): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      COMMAND_V8_FLAGS,
      MAIN,
      "permissions",
      "--flags",
      "monitor",
      ...args,
    ],
  }).output();
  return decoder.decode(output.stdout).trim().split(" ").filter((f) => f !== "");
}

/** Spawn the monitor with its printed flags (or `flags`), NDJSON on stdout. */
async function spawnMonitor(args: string[], flags?: string[]): Promise<Deno.ChildProcess> {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", ...(flags ?? await monitorFlags(args)), MAIN, "monitor", ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

/** Local ports of the connections to `ip` the database holds. */
function storedPorts(db: string, ip: string): number[] {
  const check = new DatabaseSync(db, { readOnly: true });
  try {
    return check.prepare("SELECT local_port FROM connections WHERE remote_ip = ?").all(ip)
      .map((row) => Number(row.local_port));
  } finally {
    check.close();
  }
}

async function finished(child: Deno.ChildProcess) {
  const output = await child.output();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

const RUN = ["--format", "ndjson", "-t", "0.3", "--count", "5"];

Deno.test({
  name: "monitor without write permission for its history says so in one line and keeps running in memory",
  ignore: !linuxWithSs,
  async fn() {
    await withTempDirAndSockets(async (dir, control) => {
      const db = join(dir, "history.db");
      await control.open(freshLoopback());
      const flags = (await monitorFlags(["--db", db, ...RUN])).filter((f) => !f.startsWith("--allow-write"));
      const result = await finished(await spawnMonitor(["--db", db, ...RUN], flags));
      deepStrictEqual(result.code, 0, result.stderr);
      const lines = result.stderr.split("\n").filter((l) => l.includes("memory only"));
      deepStrictEqual(lines, [
        `note: history is kept in memory only: cannot write "${db}": permission denied; run with --allow-write=${db}`,
      ]);
      match(result.stderr, /history: memory \(\d+ events recorded\)/);
      ok(result.stdout.includes('"event":"NEW"'), "the monitor ran on");
      deepStrictEqual([...Deno.readDirSync(dir)], [], "no database was created");
    });
  },
});

Deno.test({
  name:
    "monitor on a read-only file system and on a full disk keeps running, history in memory, one line each",
  ignore: !mountable,
  async fn() {
    const dir = await Deno.makeTempDir();
    const control = socketControl();
    const readOnly = join(dir, "ro");
    const full = join(dir, "full");
    try {
      await Deno.mkdir(readOnly);
      await Deno.mkdir(full);
      await run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", readOnly]);
      // A database made while writable, then the file system goes read-only.
      await (SqliteStore.open(join(readOnly, "history.db"), { openDatabase })).close();
      await run("mount", ["-o", "remount,ro", readOnly]);
      await run("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", full]);
      for (let i = 0; i < 3; i++) await control.open(freshLoopback());
      const ro = await finished(await spawnMonitor(["--db", join(readOnly, "history.db"), ...RUN]));
      deepStrictEqual(ro.code, 0, ro.stderr);
      const roLines = ro.stderr.split("\n").filter((l) => l.includes("memory only"));
      deepStrictEqual(roLines.length, 1, ro.stderr);
      match(roLines[0] ?? "", /^(note|warning): history is kept in memory only.*history\.db/);
      ok(ro.stdout.includes('"event":"NEW"'));

      // The disk fills up while the monitor runs: the batches after that cannot be written.
      const running = await spawnConntrail(
        ["monitor", "--db", join(full, "history.db"), "--format", "ndjson", "-t", "0.25"],
        { flags: await monitorFlags(["--db", join(full, "history.db"), "--format", "ndjson", "-t", "0.25"]) },
      );
      // Its first poll is printed after the database was opened (and found writable).
      await running.stdout.until((line) => line.includes('"event"'), "the monitor's first poll");
      await new Deno.Command("dd", {
        args: ["if=/dev/zero", `of=${join(full, "filler")}`, "bs=4k"],
        stderr: "null",
      })
        .output();
      for (let i = 0; i < 40; i++) await control.open(freshLoopback());
      await running.stderr.until((line) => line.includes("memory only from now on"), "the full-disk warning");
      const disk = await running.stop();
      deepStrictEqual(disk.code, 0, disk.stderr);
      const diskLines = disk.stderr.split("\n").filter((l) => l.includes("memory only"));
      deepStrictEqual(diskLines.length, 1, disk.stderr);
      match(
        diskLines[0] ?? "",
        /^warning: history is kept in memory only from now on: sqlite .*: database or disk is full$/,
      );
      match(disk.stderr, /history: memory \(\d+ events recorded\)/);
      // The database is still whole.
      await Deno.remove(join(full, "filler"));
      const check = new DatabaseSync(join(full, "history.db"));
      deepStrictEqual(check.prepare("PRAGMA integrity_check").get()?.integrity_check, "ok");
      check.close();
    } finally {
      await control.stop();
      await new Deno.Command("umount", { args: [readOnly] }).output();
      await new Deno.Command("umount", { args: [full] }).output();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "two monitors on one database both record, and the database stays whole",
  ignore: !linuxWithSs,
  async fn() {
    await withTempDirAndSockets(async (dir, control) => {
      const db = join(dir, "history.db");
      const ip = freshLoopback();
      const args = ["monitor", "--db", db, "--format", "ndjson", "-t", "0.2"];
      const flags = await monitorFlags(args.slice(1));
      const monitors = [await spawnConntrail(args, { flags }), await spawnConntrail(args, { flags })];
      const both = (what: string, test: (e: Record<string, unknown>) => boolean) =>
        Promise.all(monitors.map((m) => m.stdout.untilJson(test, what)));
      await both("a first poll", (e) => typeof e.event === "string");
      for (let i = 0; i < 6; i++) {
        const opened = await control.open(ip);
        const mine = (e: Record<string, unknown>) =>
          e.remote_ip === ip && e.local_port === opened.client_port;
        await both(`NEW for connection ${i}`, (e) => e.event === "NEW" && mine(e));
        if (i % 2 === 0) {
          await control.close(opened.id);
          await both(
            `the end of connection ${i}`,
            (e) => mine(e) && (e.event === "CLOSED" || e.event === "STATE"),
          );
        }
      }
      const results = [await monitors[0]!.stop(), await monitors[1]!.stop()];
      for (const result of results) {
        deepStrictEqual(result.code, 0, result.stderr);
        ok(!result.stderr.includes("memory only"), result.stderr);
        match(result.stderr, new RegExp(`history: sqlite ${db} \\([1-9]\\d* events recorded\\)`));
      }
      const store = SqliteStore.open(db, { readOnly: true, openDatabase });
      deepStrictEqual(store.integrityCheck(), "ok");
      // Each monitor stored exactly the connections it announced: a port both saw is there twice.
      const announced = new Map<number, number>();
      for (const result of results) {
        for (const line of result.stdout.trim().split("\n")) {
          const event = JSON.parse(line);
          if (event.event !== "NEW" || event.remote_ip !== ip) continue;
          announced.set(event.local_port, (announced.get(event.local_port) ?? 0) + 1);
        }
      }
      const stored = new Map<number, number>();
      for (const c of await store.connections(ip)) {
        stored.set(c.local_port, (stored.get(c.local_port) ?? 0) + 1);
      }
      const sorted = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]);
      deepStrictEqual(sorted(stored), sorted(announced));
      ok(
        [...stored.values()].filter((n) => n === 2).length >= 6,
        "both monitors wrote the connections they both saw",
      );
      await store.close();
    });
  },
});

Deno.test({
  name: "monitor killed with SIGKILL at random moments leaves a whole database holding only what it reported",
  ignore: !linuxWithSs,
  async fn() {
    await withTempDirAndSockets(async (dir, control) => {
      const db = join(dir, "history.db");
      const ip = freshLoopback();
      const args = ["monitor", "--db", db, "--format", "ndjson", "-t", "0.1"];
      const flags = await monitorFlags(args.slice(1));
      const reportedPorts = new Set<number>();
      for (let round = 0; round < 5; round++) {
        const monitor = await spawnConntrail(args, { flags });
        // A monitor that ends first says why on stderr: the failure carries it.
        await monitor.stdout.until((line) => line.includes('"event"'), "the monitor's first poll").catch(
          async (error) => {
            const { code, stderr } = await monitor.stop();
            throw new Error(`${(error as Error).message}\nexit code ${code}, stderr:\n${stderr}`);
          },
        );
        // Connections come and go while it runs; the kill lands after a random number of them, at
        // whatever point of its work the monitor is. The last round waits until a batch is committed.
        const kills = 1 + Math.floor(Math.random() * 8);
        for (let i = 0; i < kills; i++) {
          const opened = await control.open(ip);
          await monitor.stdout.untilJson(
            (e) => e.event === "NEW" && e.remote_ip === ip && e.local_port === opened.client_port,
            "NEW for a churned connection",
          );
          await control.close(opened.id);
        }
        if (round === 4) {
          await waitFor(() => storedPorts(db, ip).length > 0, "a committed batch in the database");
        }
        monitor.kill("SIGKILL");
        const { signal } = await monitor.finished();
        deepStrictEqual(signal, "SIGKILL");
        // The kill may cut the last line short; every whole line parses.
        const lines = monitor.stdout.lines;
        for (const line of monitor.stdout.endedMidLine ? lines.slice(0, -1) : lines) {
          if (line === "") continue;
          const event = JSON.parse(line);
          if (event.event === "NEW" && event.remote_ip === ip) reportedPorts.add(event.local_port);
        }
        const check = new DatabaseSync(db, { readOnly: true });
        deepStrictEqual(
          check.prepare("PRAGMA integrity_check").get()?.integrity_check,
          "ok",
          `round ${round}`,
        );
        check.close();
        const stored = storedPorts(db, ip);
        // Every stored connection is one the monitor announced before it died: nothing torn or invented.
        ok(
          stored.every((port) => reportedPorts.has(port)),
          `round ${round}: ${stored} not all in ${[...reportedPorts]}`,
        );
        if (round === 4) ok(stored.length > 0, "some batches were committed before the kills");
      }
    });
  },
});
