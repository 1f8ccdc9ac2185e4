import { deepStrictEqual, match, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { openTraceSource } from "../../lib/collect/trace_source.ts";
import { type StreamTool, toolStreamer, type ToolStreamOptions } from "../../lib/collect/tool_stream.ts";
import { toolRunner } from "../../lib/collect/run_tool.ts";
import { readUserNames } from "../../lib/collect/user_names.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { PermissionError, ToolError } from "../../lib/model/errors.ts";
import { hasTool } from "../open_sockets.ts";

const platform = denoPlatform();
/** What the real run hands openTraceSource: the platform's programs and /etc/passwd's names. */
const real = { run: toolRunner(platform.programs), userNames: readUserNames(platform) };

/** A scripted tool: prints the given lines, then (unless `runs`) exits with `code` after its stderr lines. */
function scripted(
  script: Record<
    string,
    { stdout?: string[]; stderr?: string[]; code?: number; runs?: boolean; throws?: Error }
  >,
): { stream: StreamTool; started: string[] } {
  const started: string[] = [];
  const stream: StreamTool = (command: string, args: readonly string[], options: ToolStreamOptions) => {
    started.push([command, ...args.slice(0, 2)].join(" "));
    const plan = script[command];
    if (plan === undefined) throw new ToolError(`cannot find "${command}" on PATH`, { notFound: true });
    if (plan.throws !== undefined) throw plan.throws;
    let exit: (status: { code: number; signal: string | null }) => void = () => {};
    const exited = new Promise<{ code: number; signal: string | null }>((resolve) => (exit = resolve));
    queueMicrotask(() => {
      for (const line of plan.stdout ?? []) options.onLine(line);
      for (const line of plan.stderr ?? []) options.onErrorLine?.(line);
      if (!plan.runs) exit({ code: plan.code ?? 1, signal: null });
    });
    return {
      exited,
      close: () => {
        exit({ code: 0, signal: "SIGTERM" });
        return exited.then(() => {});
      },
    };
  };
  return { stream, started };
}

const NO_PATHS = () => Promise.resolve({ stdout: "", stderr: "", code: 0 });

Deno.test("openTraceSource() uses bpftrace once its program says it is attached, and hands over events in time order", async () => {
  const { stream } = scripted({
    bpftrace: {
      runs: true,
      stdout: [
        "Attaching 10 probes...",
        "conntrail-trace ready 1796222988.648532",
        "close 1796222990.700000 TCP 127.0.0.1 34109 127.0.0.1 56844",
        "connect 1796222990.600000 TCP 127.0.0.1 56844 127.0.0.1 34109 7585 0 python3\\x00",
        "connect 1796222999.000000 TCP 127.0.0.1 56845 127.0.0.1 34109 7585 0 python3\\x00",
        "garbage",
      ],
    },
  });
  const { source, note } = await openTraceSource({
    os: "linux",
    stream,
    run: NO_PATHS,
    userNames: new Map([["0", "root"]]),
  });
  try {
    match(note, /^note: trace: bpftrace \(kernel events: every TCP connect and accept with its process/);
    deepStrictEqual(source?.name, "bpftrace");
    const events = await source!.drain(1796222995000);
    deepStrictEqual(events.map((e) => [e.kind, e.socket.local_port, e.socket.user]), [
      ["open", 56844, "root"],
      ["close", 34109, null],
    ]);
    // The newer event waits for a later drain.
    deepStrictEqual((await source!.drain(Infinity)).map((e) => e.socket.local_port), [56845]);
    deepStrictEqual(source!.takeNotes(), [
      "note: 1 lines of the tracer's output could not be read; they are skipped",
    ]);
  } finally {
    await source?.close();
  }
});

/**
 * A bpftrace that prints what the test `say`s, opened by openTraceSource on two clocks the test moves: bpftrace
 * starts at 1796222988.6 s of the wall clock, 1 s of performance.now (CLOCK_MONOTONIC: it never steps, and it
 * stands still while the host is suspended, where the wall clock and bpftrace's `nsecs` go on). Unless told
 * `ready: false` it says at once that it is attached.
 */
function clockedBpftrace({ ready = true } = {}) {
  let say = (_line: string) => {};
  const stream: StreamTool = (_command, _args, options) => {
    say = options.onLine;
    if (ready) queueMicrotask(() => say("conntrail-trace ready 1796222988.648532"));
    return { exited: new Promise(() => {}), close: () => Promise.resolve() };
  };
  let wall = 1796222988_600;
  let elapsed = 1_000;
  const opened = openTraceSource({
    os: "linux",
    stream,
    run: NO_PATHS,
    userNames: null,
    now: () => wall,
    elapsed: () => elapsed,
  });
  return {
    opened,
    say: (line: string) => say(line),
    /** Time passes: both clocks move `ms`. */
    pass: (ms: number) => (wall += ms, elapsed += ms),
    /** Only the wall clock moves: it is set (back when `ms` < 0), or the host was suspended for `ms`. */
    moveWall: (ms: number) => (wall += ms),
    /** The times of the events handed over up to a millisecond past the wall clock's now. */
    times: async () => (await (await opened).source!.drain(wall + 1)).map((e) => e.at),
  };
}

Deno.test("openTraceSource(): bpftrace's times follow the wall clock when it is set during a run (they are read from an offset bpftrace fixes as it starts)", async () => {
  const { opened, say, pass, moveWall, times } = clockedBpftrace();
  const { source } = await opened;
  try {
    // 2 s later: a connect, at the wall time bpftrace was told of at its start.
    pass(2_000);
    say("connect 1796222990.600000 TCP 127.0.0.1 56844 127.0.0.1 34109 7585 0 python3\\x00");
    deepStrictEqual(await times(), [1796222990_600]);
    // A connect not handed over yet (within the holdback); the wall clock is set back an hour; 2 s later a
    // close, which bpftrace still dates by its start's offset.
    say("connect 1796222990.700000 TCP 127.0.0.1 56845 127.0.0.1 34109 7585 0 python3\\x00");
    moveWall(-3_600_000);
    pass(2_000);
    say("close 1796222992.600000 TCP 127.0.0.1 56844 127.0.0.1 34109");
    // Dated by the clock the polls read, not an hour ahead of it (held back for that hour); the connect too.
    deepStrictEqual(await times(), [
      1796222990_700 - 3_600_000,
      1796222992_600 - 3_600_000,
    ]);
    // Set forward two hours: dated by it, not an hour in the past.
    moveWall(7_200_000);
    pass(1_000);
    say("close 1796222993.600000 TCP 127.0.0.1 56845 127.0.0.1 34109");
    deepStrictEqual(await times(), [1796222993_600 + 3_600_000]);
    // A change of a few milliseconds is the two clocks read a moment apart: nothing moves.
    moveWall(3);
    pass(1_000);
    say("close 1796222994.600000 TCP 127.0.0.1 56846 127.0.0.1 34109");
    deepStrictEqual(await times(), [1796222994_600 + 3_600_000]);
  } finally {
    await source?.close();
  }
});

Deno.test("openTraceSource(): bpftrace's times are not moved by a suspend, which its clock counts (CLOCK_BOOTTIME) and the one that never steps does not", async () => {
  const { opened, say, pass, moveWall, times } = clockedBpftrace();
  const { source } = await opened;
  try {
    pass(2_000);
    say("connect 1796222990.599000 TCP 127.0.0.1 56844 127.0.0.1 34109 7585 0 python3\\x00");
    deepStrictEqual(await times(), [1796222990_599]);
    // Suspended for eight hours; 1 s after the resume a close, which bpftrace dates right.
    moveWall(8 * 3_600_000);
    pass(1_000);
    say("close 1796251791.599000 TCP 127.0.0.1 56844 127.0.0.1 34109");
    // Not dated eight hours ahead (held back for eight hours by the polls' `drain(now - 250)`).
    deepStrictEqual(await times(), [1796251791_599]);
    pass(1_000);
    say("connect 1796251792.599000 TCP 127.0.0.1 56845 127.0.0.1 34109 7585 0 python3\\x00");
    deepStrictEqual(await times(), [1796251792_599]);
    // A step of the wall clock after the suspend is still a step: set back an hour.
    moveWall(-3_600_000);
    pass(1_000);
    say("close 1796251793.599000 TCP 127.0.0.1 56845 127.0.0.1 34109");
    deepStrictEqual(await times(), [1796251793_599 - 3_600_000]);
  } finally {
    await source?.close();
  }
});

Deno.test("openTraceSource(): a small step back read with a late event is a step (a suspend only ever puts the wall clock ahead)", async () => {
  const { opened, say, pass, moveWall, times } = clockedBpftrace();
  const { source } = await opened;
  try {
    // The wall clock is set back 150 ms; the next event, 100 ms old when it is read (a busy moment), is dated by
    // bpftrace 150 ms ahead of the clock the polls read.
    moveWall(-150);
    pass(3_000);
    say("connect 1796222991.500000 TCP 127.0.0.1 56845 127.0.0.1 34109 7585 0 python3\\x00");
    deepStrictEqual(await times(), [1796222991_500 - 150]);
    // And the ones after it.
    pass(1_000);
    say("close 1796222992.599000 TCP 127.0.0.1 56845 127.0.0.1 34109");
    deepStrictEqual(await times(), [1796222992_599 - 150]);
  } finally {
    await source?.close();
  }
});

Deno.test("openTraceSource(): a step of the wall clock while bpftrace starts, before it reads its offset, moves nothing", async () => {
  const { opened, say, pass, moveWall, times } = clockedBpftrace({ ready: false });
  // bpftrace compiles its program for a few seconds; the clock is set back an hour meanwhile, then bpftrace reads
  // its offset and attaches: its times are told by the clock as set.
  moveWall(-3_600_000);
  pass(2_000);
  say("conntrail-trace ready 1796219390.600000");
  const { source } = await opened;
  try {
    pass(1_000);
    say("connect 1796219391.599000 TCP 127.0.0.1 56845 127.0.0.1 34109 7585 0 python3\\x00");
    deepStrictEqual(await times(), [1796219391_599]);
  } finally {
    await source?.close();
  }
});

Deno.test("openTraceSource(): an event bpftrace read before a suspend and handed on after it does not date the later ones ahead", async () => {
  const { opened, say, pass, moveWall, times } = clockedBpftrace();
  const { source } = await opened;
  try {
    pass(2_000);
    // A close a moment before the host was suspended for an hour, read only after the resume: it looks an hour
    // late, as after a step forward of the wall clock.
    moveWall(3_600_000);
    say("close 1796222990.599000 TCP 127.0.0.1 56844 127.0.0.1 34109");
    await times();
    // The next events happened after the resume: they are not dated an hour ahead, nor held back for it.
    pass(1_000);
    say("connect 1796226591.599000 TCP 127.0.0.1 56845 127.0.0.1 34109 7585 0 python3\\x00");
    const first = await times();
    deepStrictEqual(first.length, 1);
    ok(Math.abs(first[0]! - 1796226591_599) <= 5, `dated ${first[0]! - 1796226591_599} ms off`);
    pass(1_000);
    say("close 1796226592.599000 TCP 127.0.0.1 56845 127.0.0.1 34109");
    const second = await times();
    deepStrictEqual(second.length, 1);
    ok(Math.abs(second[0]! - 1796226592_599) <= 5, `dated ${second[0]! - 1796226592_599} ms off`);
  } finally {
    await source?.close();
  }
});

Deno.test("openTraceSource().ownerOf() names the process of a connection bpftrace saw open, until it closes", async () => {
  const { stream } = scripted({
    bpftrace: {
      runs: true,
      stdout: [
        "conntrail-trace ready 1796222988.648532",
        "connect 1796222990.600000 TCP 127.0.0.1 56844 127.0.0.1 34109 7585 0 python3\\x00",
        "connect 1796222990.700000 TCP 127.0.0.1 56845 127.0.0.1 34109 7586 0 curl\\x00",
        "close 1796222990.800000 TCP 127.0.0.1 56845 127.0.0.1 34109",
      ],
    },
  });
  const { source } = await openTraceSource({ os: "linux", stream, run: NO_PATHS, userNames: null });
  try {
    const socket = (localPort: number) => ({
      protocol: "TCP" as const,
      family: 4 as const,
      local_ip: "127.0.0.1",
      local_port: localPort,
      remote_ip: "127.0.0.1",
      remote_port: 34109,
      status: "ESTABLISHED",
      pid: null,
      process_name: null,
      process_path: null,
      user: null,
      inode: 1,
    });
    deepStrictEqual(
      [56844, 56845, 56846].map((port) => source?.ownerOf?.(socket(port))),
      [{ pid: 7585, name: "python3" }, undefined, undefined],
    );
  } finally {
    await source?.close();
  }
});

Deno.test("openTraceSource() falls back to ss -E when bpftrace needs root, and says what bpftrace would add", async () => {
  const { stream, started } = scripted({
    bpftrace: { stderr: ["ERROR: bpftrace currently only supports running as the root user."] },
    stdbuf: { runs: true, stdout: ["tcp UNCONN 1      0      127.0.0.1:59723 127.0.0.1:57108"] },
  });
  const { source, note } = await openTraceSource({ os: "linux", stream, run: NO_PATHS, userNames: null });
  try {
    deepStrictEqual(started, ["bpftrace -B none", "stdbuf -oL ss"]);
    deepStrictEqual(source?.name, "ss -E");
    match(
      note,
      /^note: trace: ss -E \(every TCP and UDP socket as it closes; processes only for those a poll saw\)/,
    );
    match(
      note,
      /bpftrace needs root; to see every TCP connect and accept with its process.*apt-get install bpftrace/,
    );
    deepStrictEqual((await source!.drain(Infinity)).map((e) => [e.kind, e.socket.remote_port]), [[
      "close",
      57108,
    ]]);
  } finally {
    await source?.close();
  }
});

Deno.test("openTraceSource() stopped while bpftrace attaches ends bpftrace then, starts no ss -E and says nothing", async () => {
  const stop = new AbortController();
  const { stream, started } = scripted({ bpftrace: { runs: true }, stdbuf: { runs: true } });
  let closed = 0;
  const watched: StreamTool = (command, args, options) => {
    const tool = stream(command, args, options);
    // The stop comes once bpftrace has started, before it says it is attached (it never does here).
    if (command === "bpftrace") queueMicrotask(() => stop.abort());
    return { exited: tool.exited, close: () => (closed++, tool.close()) };
  };
  const opened = await openTraceSource({
    os: "linux",
    stream: watched,
    run: NO_PATHS,
    userNames: null,
    stop: stop.signal,
  });
  deepStrictEqual([opened.source, opened.note, started, closed], [null, "", ["bpftrace -B none"], 1]);
  // Stopped before it is called: nothing starts.
  deepStrictEqual(
    await openTraceSource({
      os: "linux",
      stream: watched,
      run: NO_PATHS,
      userNames: null,
      stop: stop.signal,
    }),
    { source: null, note: "" },
  );
  deepStrictEqual(started, ["bpftrace -B none"]);
});

Deno.test("openTraceSource() says how to mount tracefs when bpftrace finds no tracepoint", async () => {
  const { stream } = scripted({
    bpftrace: {
      stderr: [
        'ERROR: Unknown error -1: couldn\'t set RLIMIT_MEMLOCK for bpftrace. If your program is not loading, you can try "ulimit -l 8192" to fix the problem',
        "stdin:1:1-36: ERROR: tracepoint not found: sock:inet_sock_set_state",
      ],
    },
    stdbuf: { runs: true },
  });
  const { source, note } = await openTraceSource({ os: "linux", stream, run: NO_PATHS, userNames: null });
  await source?.close();
  match(
    note,
    /bpftrace: tracepoint not found: sock:inet_sock_set_state \(is tracefs mounted\? mount -t tracefs nodev \/sys\/kernel\/tracing\)/,
  );
});

Deno.test("openTraceSource() polls alone when neither tool may run, naming the flags to add", async () => {
  const denied = (tool: string) =>
    new PermissionError(`conntrail may not run "${tool}"`, `--allow-run=${tool}`);
  const { stream } = scripted({
    bpftrace: { throws: denied("bpftrace") },
    stdbuf: { throws: denied("stdbuf") },
  });
  const { source, note } = await openTraceSource({ os: "linux", stream, run: NO_PATHS, userNames: null });
  deepStrictEqual(source, null);
  match(
    note,
    /^note: trace: off, polling only — conntrail may not run bpftrace \(add --allow-run=bpftrace\); ss -E: conntrail may not run stdbuf \(add --allow-run=stdbuf\)/,
  );
  deepStrictEqual(
    (await openTraceSource({ os: "darwin", stream, run: NO_PATHS, userNames: null })).note,
    "note: --trace needs Linux (bpftrace or ss -E); polling only",
  );
});

Deno.test("openTraceSource() reports a tracer that stops mid-run once, and polling goes on", async () => {
  let stop: () => void = () => {};
  const stream: StreamTool = (_command, _args, options) => {
    const exited = new Promise<{ code: number; signal: string | null }>((resolve) => {
      stop = () => {
        options.onErrorLine?.("ERROR: out of memory");
        resolve({ code: 1, signal: null });
      };
    });
    queueMicrotask(() => options.onLine("conntrail-trace ready 1796222988.648532"));
    return { exited, close: () => exited.then(() => {}) };
  };
  const { source } = await openTraceSource({ os: "linux", stream, run: NO_PATHS, userNames: null });
  stop();
  await new Promise((resolve) => setTimeout(resolve, 0));
  deepStrictEqual(source?.takeNotes(), [
    "warning: bpftrace stopped (ERROR: out of memory); kernel events are no longer seen, polling goes on",
  ]);
  await source?.close();
});

const root = Deno.build.os === "linux" && Deno.uid() === 0;
const PAIR = fileURLToPath(new URL("../fixtures/trace_pairs.py", import.meta.url));

/** bpftrace needs tracefs; CI mounts it, and so does this test when it is not (as root, idempotent). */
async function ensureTracefs(): Promise<void> {
  const mounted = await new Deno.Command("mountpoint", { args: ["-q", "/sys/kernel/tracing"] }).output();
  if (mounted.success) return;
  const mount = await new Deno.Command("mount", { args: ["-t", "tracefs", "nodev", "/sys/kernel/tracing"] })
    .output();
  ok(mount.success, new TextDecoder().decode(mount.stderr));
}

async function connectPairs(count: number): Promise<{ pid: number; ports: number[] }> {
  const output = await new Deno.Command("python3", { args: [PAIR, String(count), "0"] }).output();
  ok(output.success, new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

Deno.test({
  name: "openTraceSource() with the real bpftrace sees a Python process's connects, accepts and closes",
  ignore: !root || !hasTool("bpftrace") || !hasTool("python3"),
  async fn() {
    await ensureTracefs();
    const { source, note } = await openTraceSource({
      os: "linux",
      stream: toolStreamer(platform.programs),
      ...real,
    });
    try {
      match(note, /trace: bpftrace/, note);
      const { pid, ports } = await connectPairs(3);
      // Wait for the events themselves (the tracer prints them within milliseconds), not for a time.
      const seen: string[] = [];
      for (let i = 0; i < 600 && seen.length < 9; i++) {
        for (const e of await source!.drain(Infinity)) {
          if (ports.includes(e.socket.local_port) || ports.includes(e.socket.remote_port ?? -1)) {
            seen.push(`${e.kind} ${e.direction ?? "-"} ${e.socket.pid === pid ? "pid" : e.socket.pid}`);
          }
        }
        if (seen.length < 9) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // Per pair: the client's connect, the server's accept (same process here), and two closes.
      deepStrictEqual(seen.filter((s) => s === "open outgoing pid").length, 3, seen.join("\n"));
      deepStrictEqual(seen.filter((s) => s === "open incoming pid").length, 3, seen.join("\n"));
      ok(seen.filter((s) => s.startsWith("close")).length >= 3, seen.join("\n"));
    } finally {
      await source?.close();
    }
  },
});

Deno.test({
  name: "openTraceSource() falls back to the real ss -E (line-buffered by stdbuf) when bpftrace is missing",
  ignore: !root || !hasTool("ss") || !hasTool("stdbuf") || !hasTool("python3"),
  async fn() {
    const streamTool = toolStreamer(platform.programs);
    const stream: StreamTool = (command, args, options) => {
      if (command === "bpftrace") throw new ToolError('cannot find "bpftrace" on PATH', { notFound: true });
      return streamTool(command, args, options);
    };
    const { source, note } = await openTraceSource({ os: "linux", stream, ...real });
    try {
      match(note, /trace: ss -E .*bpftrace is not installed/);
      // ss -E may subscribe a moment after it starts: connect until it reports one of ours.
      let found = false;
      for (let round = 0; round < 100 && !found; round++) {
        const { ports } = await connectPairs(2);
        for (let i = 0; i < 10 && !found; i++) {
          found = (await source!.drain(Infinity)).some((e) => ports.includes(e.socket.local_port));
          if (!found) await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      ok(found, "ss -E reported none of the closed connections");
    } finally {
      await source?.close();
    }
  },
});
