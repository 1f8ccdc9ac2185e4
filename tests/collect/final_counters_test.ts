import { deepStrictEqual, match, ok } from "node:assert/strict";
import {
  FINAL_COUNTERS_ARGS,
  type FinalCountersSource,
  startFinalCounters,
} from "../../lib/collect/final_counters.ts";
import { STOP_GRACE_MS } from "../../lib/collect/group_stop.ts";
import { type StreamTool, toolStreamer, type ToolStreamOptions } from "../../lib/collect/tool_stream.ts";
import { PermissionError, ToolError } from "../../lib/model/errors.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { canCreateNamespaces, createNamespace } from "../network_namespace.ts";
import { freshLoopback, hasTool, socketControl } from "../open_sockets.ts";
import { HANG_GUARD_MS, waitFor } from "../waiting.ts";

const platform = denoPlatform();
const ready = canCreateNamespaces() && hasTool("python3") && hasTool("ss") && hasTool("stdbuf");

/** A tool that runs until closed: the test says its lines (and its exit) when it wants. */
function handTool(): {
  stream: StreamTool;
  say: (line: string) => void;
  exit: (code: number) => void;
  /** End it as a signal does (no message). */
  kill: (signal: string, code: number) => void;
  args: string[];
} {
  let onLine: ToolStreamOptions["onLine"] = () => {};
  let onError: (line: string) => void = () => {};
  let exit: (status: { code: number; signal: string | null }) => void = () => {};
  const args: string[] = [];
  return {
    args,
    stream: (command, given, options) => {
      args.push(command, ...given);
      onLine = options.onLine;
      onError = options.onErrorLine ?? (() => {});
      const exited = new Promise<{ code: number; signal: string | null }>((resolve) => (exit = resolve));
      return { exited, close: () => (exit({ code: 0, signal: "SIGTERM" }), exited.then(() => {})) };
    },
    say: (line) => onLine(line),
    exit: (code) => {
      onError("Cannot bind netlink socket: Operation not permitted");
      exit({ code, signal: null });
    },
    kill: (signal, code) => exit({ code, signal }),
  };
}

/** Wait until `source` has heard `key`, opening and closing probe connections until one is heard first: ss -E
 * prints nothing when it has subscribed, so the first close it hears says it listens. */
async function listening(source: FinalCountersSource, open: () => Promise<string>): Promise<void> {
  const giveUp = Date.now() + HANG_GUARD_MS;
  while (Date.now() < giveUp) {
    const key = await open();
    await source.waitFor([key], 1_000);
    if (source.take(key) !== undefined) return;
  }
  throw new Error("ss -E never reported a probe connection's close");
}

/** Each connection closed in a namespace of the test's own gets its exact final counters, ss -E run as `user`. */
async function finalCountersInNamespace(user: string[]): Promise<void> {
  const namespace = await createNamespace("ctfin");
  const control = socketControl(namespace.exec([]));
  const inside: StreamTool = (command, args, options) =>
    toolStreamer(platform.programs)(
      "ip",
      ["netns", "exec", namespace.name, ...user, command, ...args],
      options,
    );
  const source = startFinalCounters({ stream: inside });
  try {
    if (typeof source === "string") throw new Error(source);
    const ip = freshLoopback();
    await listening(source, async () => {
      const probe = await control.open(ip);
      await control.close(probe.id);
      return `TCP ${ip} ${probe.client_port} ${ip} ${probe.port}`;
    });
    const connection = await control.open(ip);
    await control.send(connection.id, 300_000, 4_321);
    await control.close(connection.id); // client first, then the accepted side
    const client = `TCP ${ip} ${connection.client_port} ${ip} ${connection.port}`;
    const server = `TCP ${ip} ${connection.port} ${ip} ${connection.client_port}`;
    await source.waitFor([client, server], HANG_GUARD_MS);
    const [atClient, atServer] = [source.take(client), source.take(server)];
    // What each side received is exact, and one more when the peer's FIN came before its end (the accepted
    // side's always did: it closed after the client's); what it sent counts retransmissions too (a loaded
    // machine retransmits even on loopback), so it is at least what was sent.
    ok([4_321, 4_322].includes(atClient?.received ?? 0), `${atClient?.received}`);
    deepStrictEqual(atServer?.received, 300_001);
    ok((atClient?.sent ?? 0) >= 300_000 && (atClient?.sent ?? 0) < 600_000, `${atClient?.sent}`);
    ok((atServer?.sent ?? 0) >= 4_321 && (atServer?.sent ?? 0) < 9_000, `${atServer?.sent}`);
    deepStrictEqual([source.take(client), source.running], [undefined, true]);
  } finally {
    if (typeof source !== "string") await source.close();
    await control.stop();
    await namespace.remove();
  }
}

Deno.test({
  name:
    "startFinalCounters() gives each connection closed in a namespace its exact final counters from the real ss -E",
  ignore: !ready,
  fn: () => finalCountersInNamespace([]),
});

Deno.test({
  name:
    "startFinalCounters() hears the same with ss -E run as nobody (uid 65534): the destroy events need no root",
  ignore: !ready || !hasTool("setpriv"),
  fn: () => finalCountersInNamespace(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]),
});

Deno.test("startFinalCounters() runs stdbuf -oL ss -E -tinOH and keeps what it heard for a close reported later", async () => {
  const tool = handTool();
  let now = 0;
  // A time unit of 1 s: heard counters are kept 10 s, held ones 70 s.
  const source = startFinalCounters({ stream: tool.stream, now: () => now, timeUnitMs: 1_000 });
  if (typeof source === "string") throw new Error(source);
  deepStrictEqual(tool.args, ["stdbuf", ...FINAL_COUNTERS_ARGS]);
  const key = "TCP 10.0.0.2 40000 198.51.100.7 443";
  tool.say(
    "UNCONN 1 0 10.0.0.2:40000 198.51.100.7:443 bytes_sent:52000 bytes_acked:52002 bytes_received:1878",
  );
  tool.say("UNCONN 0 0 10.0.0.2:40001 198.51.100.7:443 bytes_sent:1 bytes_received:2");
  tool.say("not a socket at all");
  // Held for a connection in TIME_WAIT: its CLOSED a minute later takes it again, once.
  deepStrictEqual(source.take(key, true), { sent: 52_000, received: 1_878 });
  now = 60_000;
  deepStrictEqual([source.take(key), source.take(key)], [{ sent: 52_000, received: 1_878 }, undefined]);
  // What no close took is forgotten 10 s after it was heard, when later lines come.
  tool.say("UNCONN 0 0 10.0.0.2:40002 198.51.100.7:443 bytes_sent:1 bytes_received:2");
  deepStrictEqual(source.take("TCP 10.0.0.2 40001 198.51.100.7 443"), undefined);
  deepStrictEqual(source.take("TCP 10.0.0.2 40002 198.51.100.7 443", true), { sent: 1, received: 2 });
  // A held one is forgotten 70 s after it was taken.
  now = 130_001;
  deepStrictEqual(source.take("TCP 10.0.0.2 40002 198.51.100.7 443"), undefined);
  deepStrictEqual(source.skipped, 1);
  await source.close();
  deepStrictEqual([source.running, source.takeNotes()], [false, []]);
});

Deno.test("startFinalCounters() with a long time unit keeps what it heard for two of them", () => {
  const tool = handTool();
  let now = 0;
  const source = startFinalCounters({ stream: tool.stream, now: () => now, timeUnitMs: 20_000 });
  if (typeof source === "string") throw new Error(source);
  tool.say("UNCONN 0 0 10.0.0.2:40001 198.51.100.7:443 bytes_sent:1 bytes_received:2");
  now = 39_000;
  tool.say("UNCONN 0 0 10.0.0.2:40002 198.51.100.7:443 bytes_sent:1 bytes_received:2");
  deepStrictEqual(source.take("TCP 10.0.0.2 40001 198.51.100.7 443"), { sent: 1, received: 2 });
});

Deno.test("startFinalCounters().waitFor() waits for the keys' lines, heard since `since`, up to its time", async () => {
  const tool = handTool();
  let now = 1_000;
  const source = startFinalCounters({ stream: tool.stream, now: () => now });
  if (typeof source === "string") throw new Error(source);
  const key = "TCP 10.0.0.2 40000 198.51.100.7 443";
  // An earlier connection on the same addresses and ports, heard before the poll this close came after.
  tool.say("UNCONN 0 0 10.0.0.2:40000 198.51.100.7:443 bytes_sent:111 bytes_received:223");
  now = 5_000;
  let done = false;
  const waiting = source.waitFor([key], HANG_GUARD_MS, 4_000).then(() => (done = true));
  tool.say("UNCONN 0 0 10.0.0.2:40009 198.51.100.7:443 bytes_sent:1 bytes_received:2");
  await new Promise((resolve) => setTimeout(resolve, 0));
  deepStrictEqual([done, source.take(key, false, 4_000)], [false, undefined]);
  tool.say("UNCONN 0 0 10.0.0.2:40000 198.51.100.7:443 bytes_sent:5000100 bytes_received:300");
  await waiting;
  deepStrictEqual(source.take(key, false, 4_000), { sent: 5_000_100, received: 300 });
  // Without `since`, any line of the key will do; none yet: it waits.
  let anyDone = false;
  const any = source.waitFor(["TCP 10.0.0.2 40007 198.51.100.7 443"], HANG_GUARD_MS).then(
    () => (anyDone = true),
  );
  await new Promise((resolve) => setTimeout(resolve, 0));
  deepStrictEqual(anyDone, false);
  tool.say("UNCONN 0 0 10.0.0.2:40007 198.51.100.7:443 bytes_sent:1 bytes_received:2");
  await any;
  // A socket this host aborted is reported with its address and counters cleared: the wait ends, no counters.
  const abortedOne = "TCP 10.0.0.2 40011 198.51.100.7 443";
  const waitingAbort = source.waitFor([abortedOne], HANG_GUARD_MS, 4_000);
  tool.say("UNCONN 0 70658 0.0.0.0:40011 198.51.100.7:* rto:1000 mss:35328 cwnd:10");
  await waitingAbort;
  deepStrictEqual(source.take(abortedOne, false, 4_000), undefined);
  // Nothing comes: it gives up after its time (real, and short here).
  await source.waitFor(["TCP 10.0.0.2 1 198.51.100.7 443"], 5);
});

Deno.test("startFinalCounters() that cannot start says why; one whose ss -E stops starts it again, and gives up when it stops again within a minute", async () => {
  const refused: StreamTool = () => {
    throw new PermissionError('conntrail may not run "stdbuf"', "--allow-run=stdbuf");
  };
  match(String(startFinalCounters({ stream: refused })), /stdbuf may not run/);
  const missing: StreamTool = () => {
    throw new ToolError('cannot find "stdbuf" on PATH', { notFound: true });
  };
  match(String(startFinalCounters({ stream: missing })), /cannot find "stdbuf"/);
  const tool = handTool();
  let now = 0;
  const source = startFinalCounters({ stream: tool.stream, now: () => now });
  if (typeof source === "string") throw new Error(source);
  // It stops (a netlink overrun, say): started again at once.
  now = 5_000;
  tool.exit(1);
  await new Promise((resolve) => setTimeout(resolve, 0));
  deepStrictEqual([source.running, tool.args.filter((arg) => arg === "stdbuf").length], [true, 2]);
  match(
    source.takeNotes()[0] ?? "",
    /ss -E stopped \(exit 1: Cannot bind netlink socket.*\) and was started again/,
  );
  // It stops again within the minute: given up, and a poll waiting for it is let go.
  const waiting = source.waitFor(["TCP 10.0.0.2 40000 198.51.100.7 443"], HANG_GUARD_MS);
  now = 30_000;
  tool.exit(1);
  await waiting;
  deepStrictEqual([source.running, tool.args.filter((arg) => arg === "stdbuf").length], [false, 2]);
  const [note] = source.takeNotes();
  match(note ?? "", /read at every poll: ss -E stopped \(exit 1: Cannot bind netlink socket/);
});

Deno.test("startFinalCounters({ stop }): ss -E ended by SIGINT or SIGTERM is the run's stop when the stop comes, in either order: not started again, nothing said", async () => {
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    for (const stopFirst of [false, true]) {
      const tool = handTool();
      const stop = new AbortController();
      const source = startFinalCounters({ stream: tool.stream, stop: stop.signal });
      if (typeof source === "string") throw new Error(source);
      if (stopFirst) stop.abort();
      tool.kill(signal, code);
      if (!stopFirst) stop.abort();
      const starts = () => tool.args.filter((arg) => arg === "stdbuf").length;
      // Either: taken for the stop (not running), or started again (the second start).
      await waitFor(
        () => !source.running || starts() === 2 || null,
        "ss -E taken for stopped or started again",
      );
      const case_ = `${signal}, the stop ${stopFirst ? "first" : "second"}`;
      deepStrictEqual([source.running, starts()], [false, 1], case_);
      deepStrictEqual(source.takeNotes(), [], case_);
    }
  }
});

Deno.test("startFinalCounters({ stop }): ss -E ended by SIGTERM with no stop within STOP_GRACE_MS (killed on its own) is started again, and said", async () => {
  const tool = handTool();
  const stop = new AbortController();
  const source = startFinalCounters({ stream: tool.stream, stop: stop.signal });
  if (typeof source === "string") throw new Error(source);
  const killed = performance.now();
  tool.kill("SIGTERM", 143);
  await waitFor(
    () => tool.args.filter((arg) => arg === "stdbuf").length === 2 || null,
    "ss -E started again",
  );
  ok(performance.now() - killed >= STOP_GRACE_MS - 1, "it waited for the stop first");
  deepStrictEqual(source.running, true);
  match(source.takeNotes()[0] ?? "", /^ss -E stopped \(exit 143\) and was started again/);
  await source.close();
});

Deno.test("startFinalCounters() stamps what it hears by a clock that never steps, not the wall clock", async () => {
  const wallNow = Date.now;
  let step = 0;
  Date.now = () => wallNow() + step;
  try {
    const tool = handTool();
    const source = startFinalCounters({ stream: tool.stream });
    if (typeof source === "string") throw new Error(source);
    // An earlier connection on the same addresses and ports ends; a poll starts (its `since`, by the clock the
    // monitor gives it: performance.now); the wall clock is set back an hour; the connection ends after that poll.
    tool.say("UNCONN 0 0 10.0.0.2:40002 198.51.100.7:443 bytes_sent:1 bytes_received:2");
    const key = "TCP 10.0.0.2 40002 198.51.100.7 443";
    // The poll starts once the clock has moved on from that hearing.
    const heardBy = performance.now();
    let since = heardBy;
    while (since <= heardBy) since = performance.now();
    step = -3_600_000;
    deepStrictEqual(source.take(key, true, since), undefined);
    tool.say("UNCONN 0 0 10.0.0.2:40002 198.51.100.7:443 bytes_sent:3 bytes_received:4");
    // Heard after the poll (the wait ends at once, a whole minute to wait else).
    await source.waitFor([key], HANG_GUARD_MS, since);
    deepStrictEqual(source.take(key, false, since), { sent: 3, received: 4 });
    await source.close();
  } finally {
    Date.now = wallNow;
  }
});
