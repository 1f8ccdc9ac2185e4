/**
 * Bytes at close end to end: the real monitor in scroll mode (under the flags
 * `conntrail permissions` prints, history in SQLite), in a network namespace of
 * the test's own, reads the byte counters only every 10th poll and takes each
 * closing connection's exact final counters from the kernel's destroy events
 * (the real `ss -E`). Connections that move a known number of bytes and close
 * right after, between two readings, must be reported and recorded with them.
 * Without stdbuf (so without ss -E) the counters are read at every poll.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { permissionFlags } from "./conntrail_process.ts";
import { canCreateNamespaces, createNamespace, type TestNamespace } from "./network_namespace.ts";
import {
  type ControlledConnection,
  freshLoopback,
  hasTool,
  type SocketControl,
  socketControl,
} from "./open_sockets.ts";
import { type LineProcess, spawnLines } from "./line_process.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const ready = canCreateNamespaces() && hasTool("python3") && hasTool("ss") && hasTool("stdbuf");
const ARGS = ["monitor", "--scroll", "--format", "ndjson", "-t", "1"];

/** Bytes each round's client sends and gets back: no two alike, so that a wrong join shows. */
const ROUNDS = [[300_000, 4_321], [77_777, 1], [1_000_000, 65_536]] as const;

type Event = Record<string, unknown>;

/** The monitor running in `namespace` with `flags`, and the socket helper beside it, once its first poll ran. */
async function start(namespace: TestNamespace, dataHome: string, flags: (given: string[]) => string[]) {
  const control = socketControl(namespace.exec([]));
  const ip = freshLoopback();
  // A connection open before the monitor starts: its NEW says the first poll has run.
  const first = await control.open(ip);
  const monitor = spawnLines(
    namespace.exec([
      Deno.execPath(),
      "run",
      "--quiet",
      "--no-prompt",
      ...flags(await permissionFlags(dataHome, ARGS)),
      MAIN,
      ...ARGS,
    ]),
    { NO_COLOR: "1", XDG_DATA_HOME: dataHome },
  );
  await monitor.stdout.untilJson(
    (e) => e.event === "NEW" && e.local_port === first.client_port,
    "the first poll",
  );
  return { control, monitor, ip };
}

/**
 * Run `body` with the monitor started by {@linkcode start} in a namespace of its own named `name`, then stop the
 * monitor and the socket helper and remove the namespace and the data directory, whatever happened.
 */
async function withMonitor(
  name: string,
  flags: (given: string[]) => string[],
  body: (run: { control: SocketControl; monitor: LineProcess; dataHome: string }) => Promise<void>,
): Promise<void> {
  const namespace = await createNamespace(name);
  const dataHome = await Deno.makeTempDir();
  let started: Awaited<ReturnType<typeof start>> | null = null;
  try {
    started = await start(namespace, dataHome, flags);
    await body({ control: started.control, monitor: started.monitor, dataHome });
  } finally {
    await started?.monitor.stop();
    await started?.control.stop();
    await namespace.remove();
    await Deno.remove(dataHome, { recursive: true });
  }
}

/** The monitor's first event (from its output's line `from` on) matching `side` of `c` and `test`. */
function eventOf(
  monitor: LineProcess,
  c: ControlledConnection,
  side: "client" | "server",
  test: (e: Event) => boolean,
  what: string,
  from = 0,
): Promise<Event> {
  const [local, remote] = side === "client" ? [c.client_port, c.port] : [c.port, c.client_port];
  return monitor.stdout.untilJson(
    (e) => e.local_port === local && e.remote_port === remote && test(e),
    `${what} of the ${side} side of ${local}`,
    from,
  );
}

/** What history recorded for `c`'s side with local port `local`: its bytes. */
function recorded(dataHome: string, local: number, remote: number): [unknown, unknown] {
  const db = new DatabaseSync(join(dataHome, "conntrail", "history.db"), { readOnly: true });
  try {
    const row = db.prepare(
      "SELECT bytes_sent, bytes_received FROM connections WHERE local_port = ? AND remote_port = ?",
    ).get(local, remote);
    return [row?.bytes_sent, row?.bytes_received];
  } finally {
    db.close();
  }
}

/** Sent counts retransmissions too (a loaded machine retransmits even on loopback): at least what was sent. */
function okSent(sent: unknown, bytes: number, what: string): void {
  ok(
    typeof sent === "number" && sent >= bytes && sent < 2 * bytes + 100,
    `${what}: sent ${sent}, want ${bytes}`,
  );
}

Deno.test({
  name:
    "monitor --scroll with history: a connection that moves known bytes and closes between two readings of the counters has its exact bytes at CLOSED (ss -E), in the output and in history",
  ignore: !ready,
  sanitizeResources: false,
  fn: async () => {
    await withMonitor("ctfce", (flags) => flags, async ({ control, monitor, dataHome }) => {
      const closes: {
        c: ControlledConnection;
        client: Event;
        server: Event;
        bytes: readonly [number, number];
      }[] = [];
      for (const bytes of ROUNDS) {
        const c = await control.open(freshLoopback());
        // Listed open by a poll (which read its counters or not), then it moves its bytes and closes at once:
        // the next reading of the counters would find it gone.
        await eventOf(monitor, c, "client", (e) => e.event === "NEW", "NEW");
        await control.send(c.id, bytes[0], bytes[1]);
        await control.close(c.id); // the client first: it lingers in TIME_WAIT, the accepted side goes
        const client = await eventOf(
          monitor,
          c,
          "client",
          (e) => e.event === "CLOSED" || (e.event === "STATE" && e.status === "TIME_WAIT"),
          "the close",
        );
        const server = await eventOf(monitor, c, "server", (e) => e.event === "CLOSED", "the CLOSED");
        closes.push({ c, client, server, bytes });
      }
      deepStrictEqual(await monitor.stop(), 0);
      for (const { c, client, server, bytes: [up, down] } of closes) {
        const what = `${c.client_port} -> ${c.port}`;
        // What each side received is exact, the peer's FIN counted as the kernel counts it: the accepted side
        // closed after the client's FIN came (one more); the client's end came before the accepted side's FIN
        // unless that rode on the acknowledgement of its own.
        ok(
          [down, down + 1].includes(client.bytes_received as number),
          `${what} client ${client.bytes_received}`,
        );
        deepStrictEqual(server.bytes_received, up + 1, what);
        okSent(client.bytes_sent, up, `${what} client`);
        okSent(server.bytes_sent, down, `${what} server`);
        deepStrictEqual(
          recorded(dataHome, c.client_port, c.port),
          [client.bytes_sent, client.bytes_received],
          `${what} history`,
        );
        deepStrictEqual(
          recorded(dataHome, c.port, c.client_port),
          [server.bytes_sent, up + 1],
          `${what} history`,
        );
      }
    });
  },
});

Deno.test({
  name:
    "monitor --scroll: a side that closes first ends at FIN_WAIT_2 (its FIN acknowledged): that STATE and its TIME_WAIT polls later carry its final bytes, the other side's CLOSED its own",
  ignore: !ready,
  sanitizeResources: false,
  fn: async () => {
    await withMonitor("ctfcw", (flags) => flags, async ({ control, monitor, dataHome }) => {
      const [up, down] = [250_000, 3_333];
      const c = await control.open(freshLoopback());
      await eventOf(monitor, c, "client", (e) => e.event === "NEW", "NEW");
      await control.send(c.id, up, down);
      // The accepted side closes first: the kernel ends it once the client acknowledges its FIN, and lists a
      // timewait record as FIN_WAIT_2 until the client closes too.
      await control.closeServer(c.id);
      const finWait = await eventOf(
        monitor,
        c,
        "server",
        (e) => e.event === "STATE" && e.status === "FIN_WAIT_2",
        "FIN_WAIT_2",
      );
      // Ended before the client's FIN: exactly what the client sent.
      deepStrictEqual(finWait.bytes_received, up);
      okSent(finWait.bytes_sent, down, "FIN_WAIT_2");
      // The client closes a poll or more later (the FIN_WAIT_2 line was printed after a poll saw it).
      await control.close(c.id);
      const timeWait = await eventOf(
        monitor,
        c,
        "server",
        (e) => e.event === "STATE" && e.status === "TIME_WAIT",
        "TIME_WAIT",
      );
      deepStrictEqual([timeWait.bytes_sent, timeWait.bytes_received], [finWait.bytes_sent, up]);
      const client = await eventOf(monitor, c, "client", (e) => e.event === "CLOSED", "the CLOSED");
      // The client got the server's FIN before it closed: one more.
      deepStrictEqual(client.bytes_received, down + 1);
      okSent(client.bytes_sent, up, "client");
      deepStrictEqual(await monitor.stop(), 0);
      deepStrictEqual(recorded(dataHome, c.port, c.client_port), [finWait.bytes_sent, up]);
      deepStrictEqual(recorded(dataHome, c.client_port, c.port), [client.bytes_sent, down + 1]);
    });
  },
});

Deno.test({
  name:
    "monitor --scroll without stdbuf (no ss -E) reads the counters at every poll: each change of state reports the bytes moved just before it",
  ignore: !ready,
  sanitizeResources: false,
  fn: async () => {
    const withoutStdbuf = (flags: string[]) => flags.map((flag) => flag.replace(/,stdbuf\b/, ""));
    await withMonitor("ctfcf", withoutStdbuf, async ({ control, monitor }) => {
      // With the counters read every 10th poll, each of these would carry them with 1 chance in 10.
      for (const [up, down] of ROUNDS) {
        const c = await control.open(freshLoopback());
        await eventOf(monitor, c, "client", (e) => e.event === "NEW", "NEW");
        await control.send(c.id, up, down);
        await control.shut(c.id); // the client goes to FIN_WAIT_2: a change of state the next poll reports
        const state = await eventOf(
          monitor,
          c,
          "client",
          (e) => e.event === "STATE" && e.status === "FIN_WAIT_2",
          "FIN_WAIT_2",
        );
        deepStrictEqual(state.bytes_received, down, `${c.client_port}`);
        okSent(state.bytes_sent, up, `${c.client_port}`);
        await control.close(c.id);
      }
      deepStrictEqual(await monitor.stop(), 0);
    });
  },
});

Deno.test({
  name:
    "monitor --scroll: a connection on an earlier one's four-tuple (its TIME_WAIT reused) does not take the earlier one's final bytes",
  ignore: !ready,
  sanitizeResources: false,
  fn: async () => {
    await withMonitor("ctfcr", (flags) => flags, async ({ control, monitor, dataHome }) => {
      const up = 70_000;
      // Bound with SO_REUSEADDR, so that the next connection may bind the same port.
      const a = await control.open(freshLoopback(), 0, 0);
      await eventOf(monitor, a, "client", (e) => e.event === "NEW", "NEW");
      await control.send(a.id, up, 9);
      await control.close(a.id); // the client first: it lingers in TIME_WAIT, its final bytes held
      const lingering = await eventOf(
        monitor,
        a,
        "client",
        (e) => e.event === "STATE" && e.status === "TIME_WAIT",
        "TIME_WAIT",
      );
      okSent(lingering.bytes_sent, up, "the first connection");
      // The same client port to the same listener: the kernel reuses the TIME_WAIT (loopback, tcp_tw_reuse).
      const from = monitor.stdout.lines.length;
      const b = await control.open(a.ip, a.port, a.client_port);
      deepStrictEqual([b.port, b.client_port], [a.port, a.client_port]);
      // Listed by a poll: a new connection (the earlier one's TIME_WAIT gone: its CLOSED, with what it held).
      const second = await eventOf(
        monitor,
        b,
        "client",
        (e) => e.event !== "CLOSED",
        "the second connection",
        from,
      );
      deepStrictEqual([second.event, second.status], ["NEW", "ESTABLISHED"]);
      await control.send(b.id, 500, 3);
      // Aborted: the kernel reports it with its addresses and counters cleared, so it keeps its last reading.
      await control.abort(b.id);
      const closed = await eventOf(
        monitor,
        b,
        "client",
        (e) => e.event === "CLOSED" && e.status === "ESTABLISHED",
        "the second connection's CLOSED",
        from,
      );
      const sent = closed.bytes_sent;
      ok(sent === null || (typeof sent === "number" && sent < up), `the second connection's sent: ${sent}`);
      // The earlier connection's CLOSED (its TIME_WAIT gone, in the poll that listed the second) repeated what
      // its TIME_WAIT took.
      const first = monitor.stdout.json().filter((e) =>
        e.event === "CLOSED" && e.local_port === a.client_port && e.status === "TIME_WAIT"
      );
      deepStrictEqual(first.map((e) => e.bytes_sent), [lingering.bytes_sent], JSON.stringify(first));
      deepStrictEqual(await monitor.stop(), 0);
      // History has both.
      const db = new DatabaseSync(join(dataHome, "conntrail", "history.db"), { readOnly: true });
      try {
        const rows = db.prepare(
          "SELECT status FROM connections WHERE local_port = ? AND remote_port = ? ORDER BY id",
        )
          .all(a.client_port, a.port);
        deepStrictEqual(rows.map((r) => r.status), ["TIME_WAIT", "ESTABLISHED"]);
      } finally {
        db.close();
      }
    });
  },
});
