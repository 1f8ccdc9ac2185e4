/**
 * History end to end: `main.ts` spawned with exactly the flags
 * `conntrail permissions --flags …` prints for each command line, against a
 * data directory of the test's own (XDG_DATA_HOME), watching loopback
 * connections the test opens.
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { freshLoopback, hasTool, withTempDirAndSockets } from "./open_sockets.ts";
import { permissionFlags, spawnConntrail } from "./conntrail_process.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const linuxWithSs = Deno.build.os === "linux" && hasTool("ss") && hasTool("python3");
const decoder = new TextDecoder();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run conntrail with the flags its `permissions` command prints (or `flags` when given). */
async function conntrail(dataHome: string, args: string[], flags?: string[]): Promise<Run> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      ...(flags ?? await permissionFlags(dataHome, args)),
      MAIN,
      ...args,
    ],
    env: { XDG_DATA_HOME: dataHome, NO_COLOR: "1" },
  }).output();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

Deno.test({
  name:
    "monitor records real loopback connections; history shows them as a table, JSON and CSV, and prune forgets them",
  ignore: !linuxWithSs,
  async fn() {
    await withTempDirAndSockets(async (dataHome, control) => {
      const ip = freshLoopback();
      const kept = await control.open(ip);
      const closed = await control.open(ip);
      const monitor = await spawnConntrail(["monitor", "-t", "0.4", "--format", "ndjson"], { dataHome });
      const about = (port: number) => (e: Record<string, unknown>) =>
        e.local_port === port && e.remote_ip === ip;
      await monitor.stdout.untilJson((e) => e.event === "NEW" && about(closed.client_port)(e), "NEW");
      await control.close(closed.id);
      // History closes a connection when it enters TIME_WAIT or disappears.
      await monitor.stdout.untilJson(
        (e) => about(closed.client_port)(e) && (e.event === "CLOSED" || e.status === "TIME_WAIT"),
        "the closed connection's end",
      );
      const output = await monitor.stop();
      const stderr = output.stderr;
      deepStrictEqual(output.code, 0, stderr);
      ok(!stderr.includes("memory only"), stderr);
      match(
        stderr,
        new RegExp(`history: sqlite ${join(dataHome, "conntrail", "history.db")} \\(\\d+ events recorded\\)`),
      );

      const json = await conntrail(dataHome, ["history", ip, "--format", "json"]);
      deepStrictEqual(json.code, 0, json.stderr);
      const report = JSON.parse(json.stdout);
      deepStrictEqual(report.total, 1);
      const [address] = report.addresses;
      deepStrictEqual(address.ip, ip);
      ok(address.times_seen >= 2, JSON.stringify(address));
      ok(address.processes.includes("python3"), JSON.stringify(address));
      const byPort = (port: number) =>
        address.connections.find((c: { local_port: number; remote_port: number }) =>
          c.remote_port === kept.port && c.local_port === port
        );
      const keptRecord = address.connections.find((c: { local_port: number }) =>
        c.local_port === kept.client_port
      );
      const closedRecord = address.connections.find((c: { local_port: number }) =>
        c.local_port === closed.client_port
      );
      ok(
        keptRecord !== undefined && byPort(kept.client_port) !== undefined,
        JSON.stringify(address.connections),
      );
      deepStrictEqual([keptRecord.closed_at, keptRecord.process_name, keptRecord.protocol], [
        null,
        "python3",
        "TCP",
      ]);
      ok(
        closedRecord !== undefined && typeof closedRecord.closed_at === "string",
        `the connection closed during the run has a closing time: ${JSON.stringify(closedRecord)}`,
      );

      const table = await conntrail(dataHome, ["history"]);
      deepStrictEqual(table.code, 0, table.stderr);
      match(table.stdout, new RegExp(`^${ip.replaceAll(".", "\\.")} .* python3$`, "m"));
      const csv = await conntrail(dataHome, ["history", "--process", "PYTHON", "--format", "csv"]);
      match(csv.stdout, /^ip,first_seen,last_seen,times_seen,hostname,country,asn,as_org,risk_level,/);
      ok(csv.stdout.includes(`\n${ip},`), csv.stdout);
      const none = await conntrail(dataHome, ["history", "--process", "no-such-process", "--format", "json"]);
      deepStrictEqual(JSON.parse(none.stdout).total, 0);
      // A table with no rows says so, and why.
      const nothing = await conntrail(dataHome, ["history", "--since", "1h", "--risk", "MALICIOUS"]);
      deepStrictEqual([nothing.code, nothing.stdout], [
        0,
        "no address in the history matches --since 1h --risk MALICIOUS\n",
      ]);

      const prune = await conntrail(dataHome, ["history", "prune", "--older-than", "1ms"]);
      deepStrictEqual(prune.code, 0, prune.stderr);
      match(
        prune.stdout,
        /^pruned [1-9]\d* addresses, [1-9]\d* connections, 0 alerts and 0 snapshots from sqlite /,
      );
      const after = await conntrail(dataHome, ["history", "--format", "json"]);
      deepStrictEqual(JSON.parse(after.stdout), { total: 0, addresses: [] });
    });
  },
});

Deno.test({
  name:
    "a connection open across two monitor runs is one record whose opening is unknown, never the monitor's start",
  ignore: !linuxWithSs,
  async fn() {
    await withTempDirAndSockets(async (dataHome, control) => {
      const ip = freshLoopback();
      const conn = await control.open(ip);
      const mine = (e: Record<string, unknown>) =>
        e.event === "NEW" && e.remote_ip === ip && e.local_port === conn.client_port;
      for (let run = 1; run <= 2; run++) {
        const monitor = await spawnConntrail(["monitor", "-t", "0.3", "--format", "ndjson"], { dataHome });
        await monitor.stdout.untilJson(mine, `run ${run}: NEW for the connection`);
        const end = await monitor.stop();
        deepStrictEqual(end.code, 0, end.stderr);
      }
      const json = await conntrail(dataHome, ["history", ip, "--format", "json"]);
      const [address] = JSON.parse(json.stdout).addresses;
      const records = address.connections.filter((c: { local_port: number }) =>
        c.local_port === conn.client_port
      );
      deepStrictEqual(records.length, 1, JSON.stringify(address.connections));
      deepStrictEqual([records[0].opened_at, records[0].closed_at, records[0].process_name], [
        null,
        null,
        "python3",
      ]);
      ok(!Number.isNaN(Date.parse(records[0].open_at_start)), JSON.stringify(records[0]));
      // Both ends of the loopback connection are sockets to this address: two records over two runs.
      deepStrictEqual([address.connections.length, address.times_seen], [2, 2], JSON.stringify(address));
      const table = await conntrail(dataHome, ["history", ip]);
      match(
        table.stdout,
        new RegExp(`^before \\S+ \\S+ +- +TCP +${ip.replaceAll(".", "\\.")}:${conn.client_port} `, "m"),
      );
      await control.close(conn.id);
    });
  },
});

Deno.test({
  name: "snapshot --save twice, then diff reports the added connection and the status change as its own kind",
  ignore: !linuxWithSs,
  async fn() {
    await withTempDirAndSockets(async (dataHome, control) => {
      const ip = freshLoopback();
      const changing = await control.open(ip);
      const save = ["snapshot", "--save", "--proto", "tcp", "--no-listening", "--format", "json"];
      const first = await conntrail(dataHome, save);
      deepStrictEqual(first.code, 0, first.stderr);
      match(first.stderr, /saved snapshot 1 \(\d+ connections\) in sqlite /);
      const added = await control.open(ip);
      // Closing the client side leaves its socket in FIN_WAIT/TIME_WAIT: same endpoints, another status.
      await control.close(changing.id);
      const second = await conntrail(dataHome, save);
      match(second.stderr, /saved snapshot 2 /);

      const diff = await conntrail(dataHome, ["diff", "--format", "json"]);
      deepStrictEqual(diff.code, 0, diff.stderr);
      const result = JSON.parse(diff.stdout);
      deepStrictEqual([result.from.id, result.to.id], [1, 2]);
      const mine = (c: { remote_ip: string; local_ip: string }) => c.remote_ip === ip || c.local_ip === ip;
      const addedPorts = result.added.filter(mine).map((c: { local_port: number }) => c.local_port);
      ok(addedPorts.includes(added.client_port), JSON.stringify(result.added.filter(mine)));
      const changed = result.changed.filter((x: { after: { remote_ip: string; local_ip: string } }) =>
        mine(x.after)
      );
      const clientSide = changed.find((x: { after: { local_port: number } }) =>
        x.after.local_port === changing.client_port
      );
      ok(clientSide !== undefined, JSON.stringify(changed));
      deepStrictEqual(clientSide.before.status, "ESTABLISHED");
      ok(clientSide.after.status !== "ESTABLISHED");
      // Snapshots hold the whole machine: another test's socket may have the same port on another address.
      ok(
        !result.removed.filter(mine).some((c: { local_port: number }) =>
          c.local_port === changing.client_port
        ),
      );

      const text = await conntrail(dataHome, ["diff", "1", "2"]);
      match(
        text.stdout,
        /^snapshot 1 \(.*\) → snapshot 2 \(.*\): \d+ added, \d+ removed, \d+ status changed$/m,
      );
      match(
        text.stdout,
        new RegExp(`^~ +TCP +${ip.replaceAll(".", "\\.")}:${changing.client_port} .* ESTABLISHED → `, "m"),
      );
      const list = await conntrail(dataHome, ["diff", "--list"]);
      match(list.stdout, /^ID +TAKEN +CONNECTIONS\n1 .*\n2 /);
      const missing = await conntrail(dataHome, ["diff", "1", "9"]);
      deepStrictEqual([missing.code, missing.stderr], [
        2,
        "error: there is no saved snapshot 9; `conntrail diff --list` shows them\n",
      ]);
    });
  },
});

Deno.test({
  name:
    "history commands say in one sentence what is missing: no history yet, no permission, a newer database",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dataHome = await Deno.makeTempDir();
    try {
      const empty = await conntrail(dataHome, ["history"]);
      deepStrictEqual([empty.code, empty.stdout], [0, ""]);
      match(empty.stderr, /^note: no history yet; the monitor records it/);
      const diff = await conntrail(dataHome, ["diff"]);
      deepStrictEqual([diff.code, diff.stderr], [
        2,
        "error: no saved snapshots; run `conntrail snapshot --save` to save one\n",
      ]);
      const path = join(dataHome, "conntrail", "history.db");
      const denied = await conntrail(dataHome, ["history", "prune", "--older-than", "1d"], [
        "--allow-env=XDG_DATA_HOME",
        `--allow-read=${dataHome}`,
      ]);
      deepStrictEqual(denied.code, 1);
      deepStrictEqual(
        denied.stderr,
        `error: cannot write the history "${path}": permission denied; run with --allow-write=${
          join(dataHome, "conntrail")
        }\n`,
      );
      await Deno.mkdir(join(dataHome, "conntrail"));
      const db = new DatabaseSync(path);
      db.exec("PRAGMA user_version = 99");
      db.close();
      const newer = await conntrail(dataHome, ["history"]);
      deepStrictEqual(newer.code, 1);
      match(
        newer.stderr,
        /^error: ".*history\.db" was written by a newer conntrail \(schema 99, this one knows \d+\)\n/,
      );
      const usage = await conntrail(dataHome, ["history", "--store", "json", "--db", "x.db"], []);
      deepStrictEqual(usage.code, 2);
      match(usage.stderr, /^error: --db names an SQLite database; --store json does not use one/);
    } finally {
      await Deno.remove(dataHome, { recursive: true });
    }
  },
});
