/**
 * `--traffic` end to end: the real monitor and `snapshot`, spawned with the
 * permission flags `conntrail permissions --flags` prints, reading the kernel's
 * byte counters of loopback connections this test opens and fills.
 */
import { fileURLToPath } from "node:url";
import { deepStrictEqual, ok } from "node:assert/strict";
import { freshLoopback, hasTool, socketControl } from "./open_sockets.ts";
import { permissionFlags, runConntrail } from "./conntrail_process.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const linuxWithSs = Deno.build.os === "linux" && hasTool("ss") && hasTool("python3");

const SENT = 40 * 1024 * 1024;
const RECEIVED_BACK = 100 * 1000;

// deno-lint-ignore no-explicit-any
type Event = Record<string, any>;

/**
 * Longest wait for one event before the test fails with what the monitor said: a guard against a
 * hang (a machine too loaded for ss to answer), not a timing the test relies on.
 */
const GIVE_UP_MS = 240_000;

/** A monitor writing NDJSON; `next` waits for an event that matches (events of one poll come in any order). */
function ndjsonMonitor(args: string[], flags: string[], dataHome: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", ...flags, MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { XDG_DATA_HOME: dataHome, NO_COLOR: "1" },
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const events: Event[] = [];
  const taken = new Set<number>();
  let buffered = "";
  return {
    events,
    /** The first event so far (or to come) that matches and no earlier call returned. */
    async next(what: string, match: (e: Event) => boolean): Promise<Event> {
      const giveUp = Date.now() + GIVE_UP_MS;
      let scanned = 0;
      for (;;) {
        for (; scanned < events.length; scanned++) {
          const event = events[scanned];
          if (event !== undefined && !taken.has(scanned) && match(event)) {
            taken.add(scanned);
            return event;
          }
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const { value, done } = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              child.kill("SIGKILL");
              stderr.then((text) =>
                reject(new Error(`no event for ${what} in ${GIVE_UP_MS / 1000} s: ${text}`))
              );
            }, Math.max(0, giveUp - Date.now()));
          }),
        ]).finally(() => clearTimeout(timer));
        if (done) throw new Error(`the monitor ended before ${what}: ${await stderr}`);
        buffered += value;
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) if (line.trim() !== "") events.push(JSON.parse(line));
      }
    },
    async stop(): Promise<{ code: number; stderr: string }> {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already ended.
      }
      const rest = (async () => {
        for (;;) if ((await reader.read()).done) return;
      })();
      const status = await child.status;
      await rest;
      return { code: status.code, stderr: await stderr };
    },
  };
}

function within5Percent(actual: unknown, expected: number): boolean {
  return typeof actual === "number" && Math.abs(actual - expected) <= expected * 0.05;
}

/**
 * A `bytes_sent` for `expected` bytes of payload: it counts retransmissions too, which a loaded machine
 * makes even on loopback (a suite at load 20 gave 134,464 for 100,000), so it is at least what was sent,
 * and retransmissions do not double it.
 */
function sentWithRetransmissions(actual: unknown, expected: number): boolean {
  return typeof actual === "number" && actual >= expected && actual < 2 * expected;
}

Deno.test({
  name: "monitor --traffic: 40 MiB sent over 3 s and 100 kB back show on the connection's CLOSED event",
  ignore: !linuxWithSs,
  async fn() {
    const dataHome = await Deno.makeTempDir();
    const control = socketControl();
    try {
      const connection = await control.open(freshLoopback());
      const args = [
        "monitor",
        "--format",
        "ndjson",
        "-t",
        "0.25",
        "--traffic",
        "--store",
        "none",
        "--port",
        String(connection.port),
      ];
      const monitor = ndjsonMonitor(args, await permissionFlags(dataHome, args), dataHome);
      let finished = false;
      try {
        const mine = (e: Event, local: number, remote: number) =>
          e.local_ip === connection.ip && e.local_port === local && e.remote_port === remote;
        const client = (e: Event) => mine(e, connection.client_port, connection.port);
        const server = (e: Event) => mine(e, connection.port, connection.client_port);
        await monitor.next("the connection appeared", (e) => e.event === "NEW" && client(e));

        await control.send(connection.id, SENT, RECEIVED_BACK, 3);
        // The client shuts its side: it waits in FIN_WAIT_2 and the accepted side in CLOSE_WAIT, both
        // keeping their counters, until the monitor has seen them there, which is after the last byte
        // (the FIN follows the data). No wait on the clock: the events say when.
        await control.shut(connection.id);
        const finWait = await monitor.next(
          "the client in FIN_WAIT_2",
          (e) => e.event === "STATE" && client(e) && e.status === "FIN_WAIT_2",
        );
        // In scroll mode the counters are read every 10th poll (sparseCounters): a STATE line carries the
        // latest reading, which may be older than the last bytes. Exact figures come at the close (below).
        const finWaitBytes = [finWait.bytes_sent, finWait.bytes_received];
        ok(finWaitBytes.every((n) => n === null || typeof n === "number"), JSON.stringify(finWait));
        await monitor.next(
          "the accepted side in CLOSE_WAIT",
          (e) => e.event === "STATE" && server(e) && e.status === "CLOSE_WAIT",
        );
        await control.close(connection.id);

        const closed = await monitor.next(
          "CLOSED of the accepted side",
          (e) => e.event === "CLOSED" && server(e),
        );
        ok(within5Percent(closed.bytes_received, SENT), `bytes_received ${closed.bytes_received} of ${SENT}`);
        ok(
          sentWithRetransmissions(closed.bytes_sent, RECEIVED_BACK),
          `bytes_sent ${closed.bytes_sent} of ${RECEIVED_BACK}`,
        );
        // The client is in TIME_WAIT now, where the kernel keeps no counters (its CLOSED comes when the
        // kernel drops it, a minute later): its STATE event carries the final ones the kernel gave when it
        // destroyed the full socket (ss -E), exact whatever poll last read the counters.
        const timeWait = await monitor.next(
          "the client in TIME_WAIT",
          (e) => e.event === "STATE" && client(e) && e.status === "TIME_WAIT",
        );
        ok(sentWithRetransmissions(timeWait.bytes_sent, SENT), JSON.stringify(timeWait));
        ok(within5Percent(timeWait.bytes_received, RECEIVED_BACK), JSON.stringify(timeWait));
        // The FIN_WAIT_2 line's reading came before: never more than the final counters.
        ok((finWait.bytes_sent ?? 0) <= timeWait.bytes_sent, JSON.stringify([finWait, timeWait]));
        ok((finWait.bytes_received ?? 0) <= timeWait.bytes_received, JSON.stringify([finWait, timeWait]));

        // The machine's totals count both sides; the 3 s of sending showed as a rate on the way.
        const after = Date.parse(timeWait.timestamp);
        const status = await monitor.next(
          "a STATUS after the transfer",
          (e) => e.event === "STATUS" && Date.parse(e.timestamp) >= after,
        );
        ok(sentWithRetransmissions(status.bytes_sent, SENT + RECEIVED_BACK), JSON.stringify(status));
        ok(within5Percent(status.bytes_received, SENT + RECEIVED_BACK), JSON.stringify(status));
        finished = true;
      } finally {
        const { code, stderr } = await monitor.stop();
        // A failure above is the one to report; the exit code matters when everything else passed.
        if (finished) deepStrictEqual(code, 0, stderr);
      }
    } finally {
      await control.stop();
      await Deno.remove(dataHome, { recursive: true });
    }
  },
});

Deno.test({
  name: "snapshot --traffic adds each connection's counters, under the flags permissions prints",
  ignore: !linuxWithSs,
  async fn() {
    const dataHome = await Deno.makeTempDir();
    const control = socketControl();
    try {
      const connection = await control.open(freshLoopback());
      await control.send(connection.id, 250_000, 4_096);
      const run = await runConntrail(dataHome, [
        "snapshot",
        "--traffic",
        "--format",
        "json",
        "--proto",
        "tcp",
      ]);
      deepStrictEqual(run.code, 0, run.stderr);
      const rows = JSON.parse(run.stdout).filter((c: Event) => c.local_ip === connection.ip);
      const counters = (local: number, remote: number | null) =>
        rows.filter((c: Event) => c.local_port === local && c.remote_port === remote)
          .map((c: Event) => [c.bytes_sent, c.bytes_received]);
      // bytes_received counts each byte once: it is checked exactly. bytes_sent counts retransmissions too,
      // which a loaded machine makes even on loopback (a full suite at load 13 gave 264,875 for 250,000:
      // +6 %): it is at least what was sent, and retransmissions do not double it.
      const [[clientSent, clientReceived] = []] = counters(connection.client_port, connection.port);
      ok(clientSent >= 250_000 && clientSent < 2 * 250_000, String(clientSent));
      deepStrictEqual(clientReceived, 4_096);
      const [[serverSent, serverReceived] = []] = counters(connection.port, connection.client_port);
      ok(serverSent >= 4_096 && serverSent < 2 * 4_096, String(serverSent));
      deepStrictEqual(serverReceived, 250_000);
      deepStrictEqual(counters(connection.port, null), [[null, null]]);
      const keys = Object.keys(rows[0] ?? {});
      deepStrictEqual(keys.slice(-3), ["user", "bytes_sent", "bytes_received"]);

      const plain = await runConntrail(dataHome, ["snapshot", "--format", "json", "--proto", "tcp"]);
      deepStrictEqual(JSON.parse(plain.stdout).some((c: Event) => "bytes_sent" in c), false);
    } finally {
      await control.stop();
      await Deno.remove(dataHome, { recursive: true });
    }
  },
});

Deno.test("snapshot --traffic --input reads the counters of a saved `ss -tni`, as a table and CSV", async () => {
  const dataHome = await Deno.makeTempDir();
  try {
    const file = `${FIXTURES}ss-tni_iproute2-6.1_debian12.txt`;
    const table = await runConntrail(dataHome, ["snapshot", "--traffic", "--input", file]);
    deepStrictEqual(table.code, 0, table.stderr);
    const header = table.stdout.split("\n")[0] ?? "";
    ok(/SENT\s+RECEIVED\s*$/.test(header), header);
    ok(/127\.0\.0\.1:50726\s+127\.0\.0\.1:53755\s.*\s977 KiB\s+4\.88 KiB/.test(table.stdout), table.stdout);
    const csv = await runConntrail(dataHome, ["snapshot", "--traffic", "--input", file, "--format", "csv"]);
    const lines = csv.stdout.trim().split("\n");
    ok(lines[0]?.endsWith(",user,bytes_sent,bytes_received"), lines[0]);
    ok(lines.some((l) => l.includes(",50726,") && l.endsWith(",1000000,5000")), csv.stdout);
  } finally {
    await Deno.remove(dataHome, { recursive: true });
  }
});
