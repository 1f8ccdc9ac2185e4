import { Lines, nextTurn, waitFor } from "../waiting.ts";
import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { createSsCollector, MISSED_NOTE } from "../../lib/collect/ss_collector.ts";
import {
  DUMP_BUFFER_ARGS,
  DUMP_BUFFER_FROM,
  dumpFamilies,
  FAMILY_CHECK_EVERY,
  TCP_ROWS_BELOW,
  TIME_WAIT_MS,
} from "../../lib/collect/ss_tcp_dump.ts";
import { connectionKey } from "../../lib/model/connection_key.ts";
import {
  DESCRIPTOR_WALK_TIMEOUT_MS,
  type RunTool,
  type RunToolOptions,
  type ToolOutput,
  toolRunner,
} from "../../lib/collect/run_tool.ts";
import { PermissionError, ToolError } from "../../lib/model/errors.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import type { PermissionQuery } from "../../lib/platform/platform.ts";
import type { Socket } from "../../lib/model/connection.ts";
import { socketBatches } from "../../lib/collect/collector.ts";
import { toConnections } from "../../lib/model/direction.ts";
import { hasTool } from "../open_sockets.ts";
import { ScriptedHost } from "../monitor/_scripted_host.ts";
import { processWalkAnswer, statLine, withProcesses } from "./_process_walk.ts";

/**
 * The host, except that conntrail may not run `cat`: these scripted hosts answer UDP's listing as ss's text, as
 * conntrail reads it without `--allow-run=cat` (udp_listing_test.ts and live_sockets_test.ts read /proc's).
 */
const host0 = denoPlatform();
const platform = { ...host0, may: (query: PermissionQuery) => !isRun(query, "cat") && host0.may(query) };
/**
 * The host as it is, for readings that walk the descriptors on their own (cat names the processes): their
 * scripted `cat` has no /proc/net (see {@linkcode scriptedRun}), so UDP is listed as ss's text there too.
 */
const walkPlatform = host0;

/** Whether a permission query asks to run `command`. */
function isRun(query: PermissionQuery, command: string): boolean {
  return query.name === "run" && query.command === command;
}

const ROW_A =
  'tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 users:(("curl",pid=42,fd=3)) uid:1000 ino:111 sk:1 <->';
const ROW_B =
  'tcp ESTAB 0 0 127.0.0.1:5001 127.0.0.1:80 users:(("wget",pid=43,fd=3)) uid:1000 ino:222 sk:2 <->';
/** A socket that opens just after the start: its walk (the first after the start's) sets the spacing. */
const ROW_W =
  'tcp ESTAB 0 0 127.0.0.1:5009 127.0.0.1:80 users:(("warm",pid=49,fd=3)) uid:1000 ino:555 sk:9 <->';
const withoutOwners = (row: string) => row.replace(/users:\(\(.*?\)\) /, "");

/**
 * A scripted `ss`/`find`/`cat`: answers from the current rows and records every call, but for `cat` of /proc/net,
 * which fails as where /proc/net cannot be read (UDP is then listed by ss, once tried).
 */
function scriptedRun(
  rows: () => string[],
  calls: string[][],
  options: {
    denyFind?: boolean;
    noCat?: boolean;
    busyboxFind?: boolean;
    listsNoProcess?: boolean;
    unreadableStat?: boolean;
  } = {},
): RunTool {
  /** The processes owning the rows' sockets, by pid. */
  const processes = () =>
    new Map(
      rows().flatMap((r) => {
        const owner = /users:\(\("([^"]*)",pid=(\d+)/.exec(r);
        return owner === null ? [] : [[Number(owner[2]), owner[1]!] as const];
      }),
    );
  return (command, args) => {
    if (command === "cat" && args.some((a) => a.startsWith("/proc/net/"))) {
      return Promise.reject(new ToolError("cat: /proc/net/sockstat: No such file or directory"));
    }
    calls.push([command, ...args]);
    if (command === "find" && args[0] === "/proc") {
      // The walk's listing of the processes.
      if (options.denyFind) throw new PermissionError("denied", "--allow-run=find");
      if (options.busyboxFind) {
        return Promise.resolve({
          stdout: "",
          stderr: "find: unrecognized: -printf\nBusyBox v1.36.1",
          code: 1,
        });
      }
      if (options.listsNoProcess) return Promise.resolve({ stdout: "", stderr: "", code: 0 });
      return Promise.resolve(processWalkAnswer(command, args, processes())!);
    }
    if (command === "find" && args[0] === "-L") {
      // The own walk of the descriptors: a line per socket descriptor.
      if (options.denyFind) throw new PermissionError("denied", "--allow-run=find");
      const stdout = rows().flatMap((r) => {
        const owner = /users:\(\("[^"]*",pid=(\d+),fd=\d+\)\).* ino:(\d+)/.exec(r);
        return owner === null ? [] : [`/proc/${owner[1]}/fd\n${owner[2]}\n`];
      }).join("");
      return Promise.resolve({ stdout, stderr: "", code: 0 });
    }
    if (command === "cat") {
      // The names of the walk's processes.
      if (options.noCat) throw new ToolError("no cat", { notFound: true });
      if (options.unreadableStat) return Promise.resolve({ stdout: "42 curl\n", stderr: "", code: 0 });
      return Promise.resolve(processWalkAnswer(command, args, processes())!);
    }
    if (command === "find") {
      if (options.denyFind) throw new PermissionError("denied", "--allow-run=find");
      const pids = args.filter((a) => a.startsWith("/proc/")).map((a) => a.split("/")[2]);
      return Promise.resolve({
        stdout: pids.map((p) => `/proc/${p}/exe\t/usr/bin/tool${p}\0`).join(""),
        stderr: "",
        code: 0,
      });
    }
    const withOwners = args.includes("-tunapeH");
    const text = rows().map((r) => withOwners ? r : withoutOwners(r)).join("\n");
    return Promise.resolve({ stdout: text, stderr: "", code: 0 });
  };
}

/**
 * A collector (walks spaced 3 ×) over an ss whose listing and owner walk can differ, as when sockets come
 * and go between the two: `listed` is what `ss -tunaeH` prints (owners cut), `walked` what `ss -tunapeH`
 * prints; a walk takes 100 ms of `clock`.
 */
function skewedSs() {
  const state = {
    listed: [ROW_A],
    walked: [ROW_A],
    clock: 0,
    calls: [] as string[][],
  };
  const run: RunTool = (command, args) => {
    state.calls.push([command, ...args]);
    if (command === "find") return Promise.resolve({ stdout: "", stderr: "", code: 0 });
    const walk = args.includes("-tunapeH");
    if (walk) state.clock += 100;
    const text = walk ? state.walked.join("\n") : state.listed.map(withoutOwners).join("\n");
    return Promise.resolve({ stdout: text, stderr: "", code: 0 });
  };
  const collector = createSsCollector({
    platform,
    run,
    userNames: null,
    ownerWalkSpacing: 3,
    now: () => state.clock,
  });
  return Object.assign(state, { collector });
}

Deno.test("createSsCollector({ platform }) runs ss -p once, then reuses owners by inode without -p", async () => {
  const calls: string[][] = [];
  const collector = createSsCollector({ platform, run: scriptedRun(() => [ROW_A], calls), userNames: null });
  const first = await collector.collect();
  const second = await collector.collect();
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c[1]), ["-tunapeH", "-tunaeH"]);
  deepStrictEqual([second.sockets[0]?.pid, second.sockets[0]?.process_name], [42, "curl"]);
  deepStrictEqual(second.sockets[0]?.process_path, "/usr/bin/tool42");
  deepStrictEqual(first.sockets[0]?.process_path, "/usr/bin/tool42");
  deepStrictEqual(calls.filter((c) => c[0] === "find").length, 1); // the path is cached per process
});

Deno.test("createSsCollector({ once }) names every reading's owners by its own walk (find, cat) and keeps none for the next", async () => {
  const calls: string[][] = [];
  let rows = [ROW_A];
  const collector = createSsCollector({
    platform: walkPlatform,
    run: scriptedRun(() => rows, calls),
    userNames: null,
    once: true,
    dump: false, // the listing as text: see the tests of a one-shot reading's dump below
  });
  const first = await collector.collect();
  rows = [ROW_B];
  const second = await collector.collect();
  // No ss -p: the walk is find's (the processes, then their descriptors) and cat's (their names), and it names
  // each reading's sockets anew.
  deepStrictEqual(
    calls.filter((c) => c[0] !== "find" || !c[1]!.endsWith("/exe")).map((c) =>
      c[0] === "find" ? `find ${c[1]}` : c.join(" ")
    ),
    [
      "ss -tunaeH",
      "find /proc",
      "find -L",
      "cat /proc/42/stat",
      "ss -tunaeH",
      "find /proc",
      "find -L",
      "cat /proc/43/stat",
    ],
  );
  deepStrictEqual(
    calls.filter((c) => c[0] === "find" && c[1] === "-L").map((c) => c.filter((a) => a.startsWith("/proc/"))),
    [["/proc/42/fd"], ["/proc/43/fd"]],
  );
  deepStrictEqual(
    [first, second].map((r) => r.sockets.map((s) => [s.pid, s.process_name, s.process_path])),
    [[[42, "curl", "/usr/bin/tool42"]], [[43, "wget", "/usr/bin/tool43"]]],
  );
});

for (
  const [why, options] of [
    ["find may not run", { denyFind: true }],
    ["cat is not installed", { noCat: true }],
    ["find lists no process (BusyBox's, without -printf: exit 1 with a usage message)", {
      busyboxFind: true,
    }],
    ["find lists no process (a /proc without them)", { listsNoProcess: true }],
    ["cat prints no stat line it can read", { unreadableStat: true }],
  ] as const
) {
  Deno.test(`createSsCollector({ once }) reads owners from ss -p when ${why}, and stops trying its own walk`, async () => {
    const calls: string[][] = [];
    const collector = createSsCollector({
      platform: walkPlatform,
      run: scriptedRun(() => [ROW_A, ROW_B], calls, options),
      userNames: null,
      once: true,
      dump: false,
      processPaths: false,
    });
    const first = await collector.collect();
    const second = await collector.collect();
    deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c[1]), ["-tunaeH", "-tunapeH", "-tunapeH"]);
    deepStrictEqual(
      [first, second].map((r) => r.sockets.map((s) => [s.pid, s.process_name])),
      [[[42, "curl"], [43, "wget"]], [[42, "curl"], [43, "wget"]]],
    );
  });
}

Deno.test("createSsCollector({ once }) runs ss -p, and neither find's walk nor cat, when it may not run cat (the flags --allow-run=ss,find)", async () => {
  const calls: string[][] = [];
  const collector = createSsCollector({
    platform: { ...platform, may: (query) => !isRun(query, "cat") && platform.may(query) },
    run: scriptedRun(() => [ROW_A], calls),
    userNames: null,
    once: true,
    processPaths: false,
  });
  const { sockets } = await collector.collect();
  deepStrictEqual(calls.map((c) => c.slice(0, 2).join(" ")), ["ss -tunapeH"]);
  deepStrictEqual(sockets.map((s) => [s.pid, s.process_name]), [[42, "curl"]]);
});

Deno.test("createSsCollector({ ownWalk }) names a live run's first reading by its own walk, keeps the owners, and walks its own way for new sockets later", async () => {
  const calls: string[][] = [];
  let rows = [ROW_A];
  const collector = createSsCollector({
    platform: walkPlatform,
    run: scriptedRun(() => rows, calls),
    userNames: null,
    ownWalk: true,
    ownerWalkSpacing: 3,
    processPaths: false,
  });
  const first = await collector.collect();
  const second = await collector.collect();
  rows = [ROW_A, ROW_B];
  const third = await collector.collect();
  // Every walk is find and cat, never ss -p: the start's beside its listing, and the spaced one for B (the
  // reading's text lists B: no listing runs beside it). After each walk, cat names every process holding a socket.
  deepStrictEqual(
    calls.map((c) => c[0] === "find" ? `find ${c[1]}` : c.join(" ")),
    [
      "ss -tunaeH",
      "find /proc",
      "find -L",
      "cat /proc/42/stat",
      "ss -tunaeH",
      "ss -tunaeH",
      "find /proc",
      "find -L",
      "cat /proc/42/stat /proc/43/stat",
    ],
  );
  deepStrictEqual(
    [first, second, third].map((r) => r.sockets.map((s) => [s.pid, s.process_name])),
    [[[42, "curl"]], [[42, "curl"]], [[42, "curl"], [43, "wget"]]],
  );
});

Deno.test("createSsCollector({ ownWalk }) starts a live run with ss -p when it may not run cat", async () => {
  const calls: string[][] = [];
  const collector = createSsCollector({
    platform: { ...platform, may: (query) => !isRun(query, "cat") && platform.may(query) },
    run: scriptedRun(() => [ROW_A], calls),
    userNames: null,
    ownWalk: true,
    ownerWalkSpacing: 3,
    processPaths: false,
  });
  const first = await collector.collect();
  await collector.collect();
  deepStrictEqual(calls.map((c) => c.slice(0, 2).join(" ")), ["ss -tunapeH", "ss -tunaeH"]);
  deepStrictEqual(first.sockets.map((s) => [s.pid, s.process_name]), [[42, "curl"]]);
});

Deno.test("createSsCollector({ once }) takes a socket shared by processes as ss -p names it first, and leaves an unlisted one without a process", async () => {
  const run: RunTool = (command, args, options) => {
    if (command === "ss") {
      return Promise.resolve({ stdout: [ROW_A, ROW_B].map(withoutOwners).join("\n"), stderr: "", code: 0 });
    }
    if (command === "find" && args[0] === "/proc") {
      return Promise.resolve({ stdout: "40\n41\n", stderr: "", code: 0 });
    }
    if (command === "cat") {
      // 41 exited before cat named it; a name with spaces stays whole.
      deepStrictEqual(args, ["/proc/40/stat", "/proc/41/stat"]);
      return Promise.resolve({
        stdout: statLine(40, "web worker"),
        stderr: "cat: /proc/41/stat: No such file or directory",
        code: 1,
      });
    }
    // Chunks that end inside lines, a line that is no socket's, and a process gone mid-walk (find exits 1).
    const text = new TextEncoder().encode(
      "/proc/40/fd\n111\nnot a line\n333\n/proc/41/fd\n111\n/proc/40/fd\n111\n",
    );
    for (let at = 0; at < text.length; at += 7) options?.onChunk?.(text.subarray(at, at + 7));
    deepStrictEqual([args[0], options?.okCodes], ["-L", [0, 1]]);
    return Promise.resolve({
      stdout: "",
      stderr: "find: '/proc/41/fd/9': No such file or directory",
      code: 1,
    });
  };
  const result = await createSsCollector({
    platform: walkPlatform,
    run,
    userNames: null,
    once: true,
    dump: false,
    processPaths: false,
  }).collect();
  deepStrictEqual(result.sockets.map((s) => [s.inode, s.pid, s.process_name]), [[111, 40, "web worker"], [
    222,
    null,
    null,
  ]]);
  // 333 follows a line that is no folder's: it is no process's either.
  deepStrictEqual(result.skipped.map((s) => s.line), ["not a line", "333"]);
});

/**
 * A one-shot machine whose pid 42 execs between the walk's find of the descriptors and its cat of the names: find
 * finds socket 111 in its folder, and cat answers `names` (by default "curl", as after the exec). Pid 44 owns
 * socket 999, which the listing does not show; pid 43 owns nothing.
 */
function execAfterFind(calls: string[][], names: () => Promise<ToolOutput>): RunTool {
  return (command, args) => {
    calls.push([command, ...args]);
    if (command === "ss") return Promise.resolve({ stdout: withoutOwners(ROW_A), stderr: "", code: 0 });
    if (command === "find" && args[0] === "/proc") {
      return Promise.resolve({ stdout: "42\n43\n44\n", stderr: "", code: 0 });
    }
    if (command === "cat") return names();
    if (command === "find" && args[0] === "-L") {
      return Promise.resolve({
        stdout: "/proc/42/fd\n111\n/proc/43/fd\n/proc/44/fd\n999\n",
        stderr: "",
        code: 0,
      });
    }
    throw new Error(`not scripted: ${command} ${args.join(" ")}`);
  };
}

for (
  const [what, names, name] of [
    [
      "names it by its new program (cat of its stat after the walk)",
      { stdout: statLine(42, "curl") + statLine(44, "idle"), stderr: "", code: 0 },
      "curl",
    ],
    ["leaves it without a name when the process exited since (cat exits 1)", {
      stdout: statLine(44, "idle"),
      stderr: "cat: /proc/42/stat: No such file or directory",
      code: 1,
    }, null],
  ] as const
) {
  Deno.test(`createSsCollector({ once }), when a socket's process execs after the walk found its socket, ${what}`, async () => {
    const calls: string[][] = [];
    const collector = createSsCollector({
      platform: walkPlatform,
      run: execAfterFind(calls, () => Promise.resolve({ ...names })),
      userNames: null,
      once: true,
      dump: false,
      processPaths: false,
    });
    const { sockets } = await collector.collect();
    deepStrictEqual(sockets.map((s) => [s.inode, s.pid, s.process_name]), [[111, 42, name]]);
    // cat asks for the processes holding a socket (not 43, which holds none).
    deepStrictEqual(calls.filter((c) => c[0] === "cat").map((c) => c.slice(1).join(" ")), [
      "/proc/42/stat /proc/44/stat",
    ]);
  });
}

/**
 * A Python process that listens on 127.0.0.1 with the descriptor inheritable, says its port, and on the line
 * "exec" execs `sleep`, which keeps the listener. Its stdout is closed on exec: the end of it says the exec is done.
 */
const EXEC_ON_CUE = "import os, socket, sys\n" +
  "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); s.set_inheritable(True)\n" +
  "os.set_inheritable(1, False)\n" +
  "print(s.getsockname()[1], flush=True)\n" +
  "if sys.stdin.readline() == 'exec\\n': os.execvp('sleep', ['sleep', '600'])\n";

Deno.test({
  name:
    "createSsCollector({ once }) names a real socket by the program its process exec'd after the walk listed it",
  ignore: Deno.build.os !== "linux" || !["python3", "sleep", "ss", "find", "cat"].every(hasTool),
  fn: async () => {
    const child = new Deno.Command("python3", {
      args: ["-c", EXEC_ON_CUE],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const stdin = child.stdin.getWriter();
    const said = new Lines(child.stdout);
    try {
      const port = Number(await said.until((line) => /^\d+$/.test(line), "the listener's port"));
      const real = toolRunner(platform.programs);
      let cued = false;
      // The real tools; right after the walk's listing of the processes, before its find, the process execs sleep.
      const run: RunTool = async (command, args, options) => {
        const output = await real(command, args, options);
        if (command === "find" && args[0] === "/proc" && !cued) {
          cued = true;
          await stdin.write(new TextEncoder().encode("exec\n"));
          await said.done;
          await waitFor(
            () => Deno.readTextFileSync(`/proc/${child.pid}/comm`) === "sleep\n",
            "the process to be sleep",
          );
        }
        return output;
      };
      const { sockets } = await createSsCollector({
        platform: walkPlatform,
        run,
        userNames: null,
        once: true,
        processPaths: false,
      })
        .collect();
      ok(cued);
      const listener = sockets.filter((s) =>
        s.protocol === "TCP" && s.local_port === port && s.status === "LISTEN"
      );
      deepStrictEqual(listener.map((s) => [s.pid, s.process_name]), [[child.pid, "sleep"]]);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // It has exited already.
      }
      await child.status;
      await stdin.close().catch(() => {});
      await said.done;
    }
  },
});

Deno.test("createSsCollector({ platform }) reads ss's text as it comes, chunk by chunk", async () => {
  const text = new TextEncoder().encode([ROW_A, ROW_B].join("\n") + "\n");
  const run: RunTool = (command, _args, options) => {
    if (command === "ss") {
      // Chunks that end inside lines; nothing comes back whole.
      for (let at = 0; at < text.length; at += 5) options?.onChunk?.(text.subarray(at, at + 5));
      return Promise.resolve({ stdout: "", stderr: "", code: 0 });
    }
    return Promise.resolve({ stdout: "", stderr: "", code: 1 });
  };
  const { sockets } = await createSsCollector({ platform, run, userNames: null, processPaths: false })
    .collect();
  deepStrictEqual(sockets.map((s) => [s.local_port, s.pid, s.process_name]), [[5000, 42, "curl"], [
    5001,
    43,
    "wget",
  ]]);
});

Deno.test("createSsCollector({ processPaths: false }) runs no find and leaves every path null", async () => {
  const calls: string[][] = [];
  const collector = createSsCollector({
    platform,
    run: scriptedRun(() => [ROW_A, ROW_B], calls),
    userNames: null,
    processPaths: false,
  });
  const { sockets } = await collector.collect();
  deepStrictEqual(calls.map((c) => c[0]), ["ss"]);
  deepStrictEqual(sockets.map((s) => [s.pid, s.process_path]), [[42, null], [43, null]]);
});

Deno.test("createSsCollector({ platform }) runs ss -p again only when a socket's inode is new", async () => {
  const calls: string[][] = [];
  let rows = [ROW_A];
  const collector = createSsCollector({ platform, run: scriptedRun(() => rows, calls), userNames: null });
  await collector.collect();
  await collector.collect();
  rows = [ROW_A, ROW_B];
  const third = await collector.collect();
  await collector.collect();
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c[1]), [
    "-tunapeH",
    "-tunaeH",
    "-tunaeH",
    "-tunapeH",
    "-tunaeH",
  ]);
  deepStrictEqual(third.sockets.map((s) => s.process_name), ["curl", "wget"]);
});

Deno.test("createSsCollector({ ownerWalkSpacing }) waits twice a walk's time before the next ss -p, holding new sockets back", async () => {
  const calls: string[][] = [];
  let rows = [ROW_A];
  let clock = 0;
  const scripted = scriptedRun(() => rows, calls);
  const run: RunTool = (command, args, options) => {
    if (args.includes("-tunapeH")) clock += 100; // a walk of every process's descriptors takes 100 ms
    return scripted(command, args, options);
  };
  const collector = createSsCollector({
    platform,
    run,
    userNames: null,
    ownerWalkSpacing: 2,
    now: () => clock,
  });
  await collector.collect(); // the start's walk, from 0 to 100, does not count
  rows = [ROW_A, ROW_W];
  await collector.collect(); // walks at once, from 100 to 200: the next walk not before 400
  // A new socket, a new listener and a connection queued on it (not accepted yet: no inode).
  const listener = 'tcp LISTEN 0 128 127.0.0.1:8080 0.0.0.0:* users:(("srv",pid=44,fd=3)) ino:333 sk:3 <->';
  const queued = "tcp ESTAB 0 0 127.0.0.1:8080 127.0.0.1:6000 ino:0 sk:4 <->";
  rows = [ROW_A, ROW_W, ROW_B, listener, queued];
  clock = 350;
  const early = await collector.collect();
  clock = 400;
  const due = await collector.collect();
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c[1]), [
    "-tunapeH",
    "-tunaeH",
    "-tunapeH",
    "-tunaeH",
    "-tunaeH",
    "-tunapeH",
  ]);
  // New sockets wait for the walk that names their process: they are never read without it, nor is a
  // connection queued on a listener that waits read without the listener.
  deepStrictEqual(early.sockets.map((s) => s.process_name), ["curl", "warm"]);
  deepStrictEqual(due.sockets.map((s) => [s.local_port, s.process_name]), [
    [5000, "curl"],
    [5009, "warm"],
    [5001, "wget"],
    [8080, "srv"],
    [8080, null],
  ]);
  deepStrictEqual([...early.notes, ...due.notes], []);
});

Deno.test("createSsCollector({ ownerWaitMs }) reads a socket that waited too long without its process, then fills it in, with how long it waited", async () => {
  const calls: string[][] = [];
  let rows = [ROW_A];
  let clock = 0;
  const scripted = scriptedRun(() => rows, calls);
  const run: RunTool = (command, args, options) => {
    if (args.includes("-tunapeH")) clock += 1_000; // a walk of every process's descriptors takes 1 s
    return scripted(command, args, options);
  };
  const collector = createSsCollector({
    platform,
    run,
    userNames: null,
    ownerWalkSpacing: 3,
    ownerWaitMs: 2_000,
    now: () => clock,
  });
  await collector.collect(); // the start's walk does not count
  rows = [ROW_A, ROW_W];
  clock = 1_000;
  await collector.collect(); // walks from 1,000 to 2,000: the next walk not before 5,000
  rows = [ROW_A, ROW_W, ROW_B];
  clock = 2_500;
  const first = await collector.collect(); // ROW_B first seen: held back
  clock = 4_500;
  const late = await collector.collect(); // waited 2 s: read without its process
  clock = 4_900;
  const still = await collector.collect(); // no walk yet: still without, not stamped again
  clock = 5_000;
  const named = await collector.collect(); // the walk names it
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c[1]), [
    "-tunapeH",
    "-tunaeH",
    "-tunapeH",
    "-tunaeH",
    "-tunaeH",
    "-tunaeH",
    "-tunaeH",
    "-tunapeH",
  ]);
  const b = (r: typeof first) => r.sockets.find((s) => s.local_port === 5001);
  deepStrictEqual([b(first), b(late)?.pid, b(still)?.pid, b(named)?.pid], [undefined, null, null, 43]);
  deepStrictEqual([first.waited, late.waited, still.waited, named.waited], [
    undefined,
    new Map([[222, 2_000]]),
    undefined,
    undefined,
  ]);
  deepStrictEqual(b(named)?.process_name, "wget");
});

Deno.test("createSsCollector({ ownerWaitMs }) holds a socket past the wait while a walk that started after it runs", async () => {
  const calls: string[][] = [];
  let rows = [ROW_A];
  let clock = 0;
  const scripted = scriptedRun(() => rows, calls);
  let finishWalk: (() => void) | null = null;
  let slow = false;
  const run: RunTool = async (command, args, options) => {
    const answer = scripted(command, args, options);
    if (args.includes("-tunapeH") && slow) await new Promise<void>((resolve) => finishWalk = resolve);
    return await answer;
  };
  const collector = createSsCollector({
    platform,
    run,
    userNames: null,
    ownerWalkSpacing: 3,
    ownerWaitMs: 1_000,
    now: () => clock,
  });
  await collector.collect();
  slow = true;
  rows = [ROW_A, ROW_B];
  clock = 100;
  const started = await collector.collect(); // first seen at 100, a walk starts at 100 and runs on
  clock = 5_000;
  const waiting = await collector.collect(); // waited 4.9 s, but the running walk will name it
  (finishWalk as (() => void) | null)?.();
  const named = await collector.collect();
  const b = (r: typeof started) => r.sockets.find((s) => s.local_port === 5001);
  deepStrictEqual([b(started), b(waiting), b(named)?.process_name], [undefined, undefined, "wget"]);
  deepStrictEqual(named.waited, new Map([[222, 4_900]]));
});

Deno.test("createSsCollector({ ownerWalkSpacing }) tells how long a held socket waited for the walk that named it, and says once when one closed unseen", async () => {
  const ROW_C =
    'tcp ESTAB 0 0 127.0.0.1:5002 127.0.0.1:80 users:(("nc",pid=44,fd=3)) uid:1000 ino:333 sk:3 <->';
  const calls: string[][] = [];
  let rows = [ROW_A];
  let clock = 0;
  const scripted = scriptedRun(() => rows, calls);
  const run: RunTool = (command, args, options) => {
    if (args.includes("-tunapeH")) clock += 100;
    return scripted(command, args, options);
  };
  const collector = createSsCollector({
    platform,
    run,
    userNames: null,
    ownerWalkSpacing: 3,
    now: () => clock,
  });
  await collector.collect(); // the start's walk does not count
  rows = [ROW_A, ROW_W];
  await collector.collect(); // walks from 100 to 200: the next walk not before 500
  rows = [ROW_A, ROW_W, ROW_B, ROW_C];
  clock = 250;
  const held = await collector.collect();
  rows = [ROW_A, ROW_W, ROW_B]; // ROW_C closes before any walk named it
  clock = 500;
  const named = await collector.collect(); // the walk runs at 500 (the clock reads 600 after it)
  deepStrictEqual(held.sockets.map((s) => s.local_port), [5000, 5009]);
  deepStrictEqual(named.sockets.map((s) => [s.local_port, s.pid]), [[5000, 42], [5009, 49], [5001, 43]]);
  deepStrictEqual(named.waited, new Map([[222, 350]]));
  deepStrictEqual(held.notes, []);
  deepStrictEqual(named.notes, [MISSED_NOTE]);
  rows = [ROW_A];
  clock = 2_000;
  deepStrictEqual((await collector.collect()).notes, [], "a note only when one more was missed");
});

Deno.test("createSsCollector({ ownerWalkSpacing }) does not hold a poll up for a long walk: the polls after it take its owners", async () => {
  const calls: string[][] = [];
  let rows = [ROW_A];
  let clock = 0;
  const scripted = scriptedRun(() => rows, calls);
  let finishWalk: (() => void) | null = null;
  let slow = false;
  const run: RunTool = async (command, args, options) => {
    const answer = scripted(command, args, options);
    if (args.includes("-tunapeH")) {
      clock += 100;
      // The second walk takes until the test lets it finish.
      if (slow) await new Promise<void>((resolve) => finishWalk = resolve);
    }
    return await answer;
  };
  const collector = createSsCollector({
    platform,
    run,
    userNames: null,
    ownerWalkSpacing: 3,
    now: () => clock,
  });
  await collector.collect();
  slow = true;
  rows = [ROW_A, ROW_B];
  clock = 1_000;
  const during = await collector.collect(); // starts the walk, goes on without it
  const alsoDuring = await collector.collect(); // no second walk while one runs
  ok(finishWalk !== null, "a walk started");
  (finishWalk as () => void)();
  const after = await collector.collect();
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c[1]), [
    "-tunapeH",
    "-tunaeH",
    "-tunapeH",
    "-tunaeH",
    "-tunaeH",
  ]);
  deepStrictEqual(during.sockets.map((s) => s.local_port), [5000]);
  deepStrictEqual(alsoDuring.sockets.map((s) => s.local_port), [5000]);
  deepStrictEqual(after.sockets.map((s) => [s.local_port, s.process_name]), [[5000, "curl"], [5001, "wget"]]);
});

Deno.test("createSsCollector().takeOwnersFrom() names new sockets a tracer saw open without a walk; others are still walked for", async () => {
  const calls: string[][] = [];
  let rows = [ROW_A];
  const collector = createSsCollector({ platform, run: scriptedRun(() => rows, calls), userNames: null });
  await collector.collect();
  collector.takeOwnersFrom?.((s) =>
    connectionKey(s) === "TCP 127.0.0.1 5001 127.0.0.1 80" ? { pid: 43, name: "wget" } : undefined
  );
  rows = [ROW_A, ROW_B];
  const traced = await collector.collect();
  const listener = 'tcp LISTEN 0 128 127.0.0.1:8080 0.0.0.0:* users:(("srv",pid=44,fd=3)) ino:333 sk:3 <->';
  rows = [ROW_A, ROW_B, listener];
  const walked = await collector.collect();
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c[1]), [
    "-tunapeH",
    "-tunaeH",
    "-tunaeH",
    "-tunapeH",
  ]);
  deepStrictEqual(traced.sockets.map((s) => [s.local_port, s.pid, s.process_name]), [
    [5000, 42, "curl"],
    [5001, 43, "wget"],
  ]);
  deepStrictEqual(walked.sockets.map((s) => s.process_name), ["curl", "wget", "srv"]);
});

Deno.test("createSsCollector({ ownerWalkSpacing }) keeps the owner a walk learned of a socket the reading had not listed yet", async () => {
  const listener = 'tcp LISTEN 0 128 127.0.0.1:8080 0.0.0.0:* users:(("srv",pid=44,fd=3)) ino:333 sk:3 <->';
  const accepted = 'tcp ESTAB 0 0 127.0.0.1:8080 127.0.0.1:6000 users:(("srv",pid=44,fd=4)) ino:334 sk:4 <->';
  const ss = skewedSs();
  const { calls, collector } = ss;
  await collector.collect();
  // The kernel's dump missed the listener (made while it read) but caught the connection it accepted; the
  // walk for that connection sees both.
  ss.listed = [ROW_A, accepted];
  ss.walked = [ROW_A, listener, accepted];
  ss.clock = 1_000;
  const first = await collector.collect();
  ss.listed = [ROW_A, listener, accepted];
  ss.clock = 1_050; // long before the next walk may run
  const second = await collector.collect();
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c[1]), [
    "-tunapeH",
    "-tunaeH",
    "-tunapeH",
    "-tunaeH",
  ]);
  deepStrictEqual(first.sockets.map((s) => [s.local_port, s.process_name]), [[5000, "curl"], [8080, "srv"]]);
  deepStrictEqual(second.sockets.map((s) => [s.local_port, s.status, s.process_name]), [
    [5000, "ESTABLISHED", "curl"],
    [8080, "LISTEN", "srv"],
    [8080, "ESTABLISHED", "srv"],
  ]);
});

Deno.test("createSsCollector({ ownerWalkSpacing }) waits for a second walk before it takes a new socket to have no process", async () => {
  const ss = skewedSs();
  const { calls, collector } = ss;
  await collector.collect();
  // ss listed the new socket after its scan of /proc, before the process's descriptor for it existed.
  ss.listed = [ROW_A, ROW_B];
  ss.walked = [ROW_A, withoutOwners(ROW_B)];
  ss.clock = 1_000;
  const raced = await collector.collect(); // walks from 1,000 to 1,100: the next not before 1,400
  ss.walked = [ROW_A, ROW_B];
  ss.clock = 1_200;
  const waiting = await collector.collect();
  ss.clock = 1_400;
  const named = await collector.collect();
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c[1]), [
    "-tunapeH",
    "-tunaeH",
    "-tunapeH",
    "-tunaeH",
    "-tunaeH",
    "-tunapeH",
  ]);
  const b = (r: typeof raced) => r.sockets.find((s) => s.local_port === 5001);
  deepStrictEqual([b(raced), b(waiting), b(named)?.process_name], [undefined, undefined, "wget"]);
});

Deno.test("createSsCollector({ platform }) caches sockets without a visible owner and says why once per run, truly", async () => {
  const orphan = "tcp LISTEN 0 128 0.0.0.0:2024 0.0.0.0:* ino:999 sk:3 <->";
  const orphan2 = "tcp LISTEN 0 128 0.0.0.0:2025 0.0.0.0:* ino:998 sk:4 <->";
  for (const root of [true, false, null]) {
    const calls: string[][] = [];
    let rows = [orphan];
    const collector = createSsCollector({
      platform,
      run: scriptedRun(() => rows, calls),
      userNames: null,
      root,
    });
    const first = await collector.collect();
    const second = await collector.collect();
    rows = [orphan, orphan2];
    const third = await collector.collect();
    deepStrictEqual(calls.map((c) => c[1]), ["-tunapeH", "-tunaeH", "-tunaeH", "-tunapeH"]);
    deepStrictEqual([first.notes.length, second.notes, third.notes], [1, [], []], "said once per run");
    const note = first.notes[0] ?? "";
    ok(note.startsWith("1 socket shows no process: "), note);
    // Only a run that is not root is told to run as root.
    deepStrictEqual(note.includes("run as root"), root === false, note);
    deepStrictEqual(note.includes("network namespace"), true, note);
  }
});

Deno.test("createSsCollector({ platform }) leaves paths null and names the flag when find may not run", async () => {
  const calls: string[][] = [];
  const collector = createSsCollector({
    platform,
    run: scriptedRun(() => [ROW_A], calls, { denyFind: true }),
    userNames: new Map([["1000", "alice"]]),
  });
  const result = await collector.collect();
  deepStrictEqual(result.sockets[0]?.process_path, null);
  deepStrictEqual(result.sockets[0]?.user, "alice");
  deepStrictEqual(result.notes, [
    "process paths are left out: add --allow-run=find to read them from /proc/<pid>/exe",
  ]);
});

Deno.test("createSsCollector({ platform }) never runs two ss at once", async () => {
  // Each ss run finishes only when the test lets it: overlapping calls would be seen running together.
  const finish: (() => void)[] = [];
  let running = 0;
  let most = 0;
  const run: RunTool = async () => {
    running++;
    most = Math.max(most, running);
    await new Promise<void>((resolve) => finish.push(resolve));
    running--;
    return { stdout: "", stderr: "", code: 0 };
  };
  const collector = createSsCollector({ platform, run, userNames: null });
  const all = Promise.all([collector.collect(), collector.collect(), collector.collect()]);
  let settled = false;
  all.then(() => (settled = true), () => (settled = true));
  while (!settled) {
    finish.shift()?.();
    await nextTurn();
  }
  await all;
  deepStrictEqual(most, 1);
});

const DUMP = Deno.readFileSync(new URL("../fixtures/ss-taiD_iproute2-6.1_debian12.bin", import.meta.url));
const OWNERS_TEXT = new TextDecoder().decode(
  Deno.readFileSync(new URL("../fixtures/ss-tapeiOH_iproute2-6.1_debian12.txt", import.meta.url)),
).split("\n").map((line) => line.length === 0 ? line : `tcp ${line}`).join("\n");

/** Whether `args` asks ss for UDP's listing: with -e (`-uaneH`), or without (`-uanH`, a live reading's polls). */
function isUdpListing(args: readonly string[]): boolean {
  return args[0] === "-uaneH" || args[0] === "-uanH";
}

/** What ss prints of UDP rows (as `-uaneH` prints them) for `args`: without -e's fields for `-uanH`. */
function udpRowsFor(args: readonly string[], rows: string): string {
  return args[0] === "-uanH" ? rows.replace(/ (?:uid:\d+ )?ino:\d+ sk:\S+ <->/g, "") : rows;
}

/** Answer `ss -taiD -` as the real runner does: the dump handed to `onChunk` in pieces of 100 bytes, in one buffer. */
function dumpInChunks(dump: Uint8Array, options: RunToolOptions | undefined): Promise<ToolOutput> {
  const onChunk = options?.onChunk;
  if (onChunk === undefined) throw new Error("the dump is read as it comes (onChunk), never whole");
  const buffer = new Uint8Array(100);
  for (let at = 0; at < dump.length; at += buffer.length) {
    const chunk = buffer.subarray(0, Math.min(buffer.length, dump.length - at));
    chunk.set(dump.subarray(at, at + chunk.length));
    onChunk(chunk);
    buffer.fill(0);
  }
  return Promise.resolve({ stdout: "", stderr: "", code: 0 });
}

/**
 * A scripted machine for a collector that dumps TCP with `dumpFlag` (`-taiD` or `-taD`): DUMP's sockets, one
 * UDP socket as text, and their owners from `ss -tunapeH` (find walks nothing, so ss -p names them); every
 * command run is added to `calls`.
 */
function dumpingMachine(calls: string[][], dumpFlag: "-taiD" | "-taD"): RunTool {
  // `ss -u` alone prints no Netid column (as on this machine); `ss -tunapeH` does.
  const udp = "UNCONN 0 0 127.0.0.1:34964 0.0.0.0:* ino:2558470 sk:1 <->";
  return (command, args, options) => {
    calls.push([command, ...args]);
    if (command === "find") return Promise.resolve({ stdout: "", stderr: "", code: 0 });
    // The same sockets' messages either way (they carry tcp_info, which a reading without traffic skips).
    if (args[0] === dumpFlag) return dumpInChunks(DUMP, options);
    if (isUdpListing(args)) return Promise.resolve({ stdout: udpRowsFor(args, udp), stderr: "", code: 0 });
    const owned = `${OWNERS_TEXT}\nudp ${udp.replace("ino:", 'users:(("python3",pid=26160,fd=14)) ino:')}`;
    return Promise.resolve({ stdout: owned, stderr: "", code: 0 });
  };
}

Deno.test("createSsCollector({ platform, traffic }) reads TCP from ss -taiD -, UDP as text, owners by inode from ss -p", async () => {
  const calls: string[][] = [];
  const run = dumpingMachine(calls, "-taiD");
  const collector = createSsCollector({ platform, run, userNames: null, traffic: true });
  const first = await collector.collect();
  const second = await collector.collect();
  // UDP first (with ss's summary, which this scripted ss does not print: both families are dumped).
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c.slice(1).join(" ")), [
    "-uaneH -s",
    "-taiD -",
    "-tunapeH",
    // The second poll lists UDP without -e: its one socket is the one the first listed (see udp_listing.ts).
    "-uanH -s",
    "-taiD -",
  ]);
  deepStrictEqual(first.notes, []);
  const client = second.sockets.find((s) => s.local_port === 58058);
  deepStrictEqual(
    [client?.bytes_sent, client?.bytes_received, client?.pid, client?.process_name],
    [1_014_875, 5_000, 26160, "python3"],
  );
  const udp = second.sockets.find((s) => s.protocol === "UDP");
  deepStrictEqual([udp?.bytes_sent, udp?.pid], [null, 26160]);
  deepStrictEqual(second.sockets.length, 12);
});

Deno.test("createSsCollector({ dump }) reads TCP from ss -taD - without traffic: no counters asked for, none given", async () => {
  const calls: string[][] = [];
  const run = dumpingMachine(calls, "-taD");
  const collector = createSsCollector({ platform, run, userNames: null, dump: true });
  const first = await collector.collect();
  const second = await collector.collect();
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c.slice(1).join(" ")), [
    "-uaneH -s",
    "-taD -",
    "-tunapeH",
    // The second poll lists UDP without -e: its one socket is the one the first listed (see udp_listing.ts).
    "-uanH -s",
    "-taD -",
  ]);
  deepStrictEqual(first.notes, []);
  const client = second.sockets.find((s) => s.local_port === 58058);
  deepStrictEqual(
    [client?.status, client?.pid, client?.process_name, client !== undefined && "bytes_sent" in client],
    ["ESTABLISHED", 26160, "python3", false],
  );
  const udpSocket = second.sockets.find((s) => s.protocol === "UDP");
  deepStrictEqual([udpSocket?.pid, udpSocket !== undefined && "bytes_sent" in udpSocket], [26160, false]);
  deepStrictEqual(second.sockets.length, 12);
});

Deno.test("createSsCollector({ dump }) without traffic reads the text of ss -tunaeH when ss -D cannot be read, and says nothing", async () => {
  const calls: string[][] = [];
  const run: RunTool = async (command, args, options) => {
    calls.push([command, ...args]);
    if (command === "find") return { stdout: "", stderr: "", code: 0 };
    if (args[0] === "-taD") return await dumpInChunks(new TextEncoder().encode("not netlink"), options);
    const text = isUdpListing(args) ? "" : args[0] === "-tunaeH" ? withoutOwners(OWNERS_TEXT) : OWNERS_TEXT;
    return { stdout: text, stderr: "", code: 0 };
  };
  const collector = createSsCollector({ platform, run, userNames: null, dump: true });
  const first = await collector.collect();
  const second = await collector.collect();
  deepStrictEqual([first.notes, second.notes], [[], []]);
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c.slice(1).join(" ")), [
    "-uaneH -s",
    "-taD -",
    "-tunapeH",
    "-tunaeH",
  ]);
  const client = second.sockets.find((s) => s.local_port === 58058);
  deepStrictEqual([client?.pid, client !== undefined && "bytes_sent" in client], [26160, false]);
});

Deno.test("createSsCollector({ dump }) takes a first dump that was killed (its guard, a stop) for a failed poll and dumps again at the next: a killed ss says nothing of whether it can dump", async () => {
  const calls: string[][] = [];
  let dumps = 0;
  const run: RunTool = async (command, args, options) => {
    calls.push([command, ...args]);
    if (command === "find") return { stdout: "", stderr: "", code: 0 };
    if (args[0] === "-taD") {
      // Worded as neither run_tool message: only the error's timedOut may tell.
      if (dumps++ === 0) throw new ToolError('"ss -taD -" was ended (killed by SIGKILL)', { timedOut: true });
      return await dumpInChunks(DUMP, options);
    }
    const text = isUdpListing(args) ? "" : args[0] === "-tunaeH" ? withoutOwners(OWNERS_TEXT) : OWNERS_TEXT;
    return { stdout: text, stderr: "", code: 0 };
  };
  const collector = createSsCollector({ platform, run, userNames: null, dump: true });
  await rejects(collector.collect(), /was ended/);
  await collector.collect();
  const tcpReadings = calls.filter((c) => c[0] === "ss" && (c[1] === "-taD" || c[1] === "-tunaeH"));
  deepStrictEqual(tcpReadings.map((c) => c[1]), ["-taD", "-taD"]);
});

/** What `ss -uaneH -s` prints (iproute2 6.1): the summary, a blank line, the UDP rows. */
function udpWithSummary(tcp: { ipv4: number; ipv6: number; timeWait: number }, rows: string[]): string {
  return [
    "Total: 2101",
    `TCP:   44948 (estab 2000, closed 42947, orphaned 0, timewait ${tcp.timeWait})`,
    "",
    "Transport Total     IP        IPv6",
    "RAW\t  0         0         0        ",
    `UDP\t  ${rows.length}         ${rows.length}         0        `,
    `TCP\t  ${tcp.ipv4 + tcp.ipv6}      ${tcp.ipv4}      ${tcp.ipv6}        `,
    "INET\t  2101      2101      0        ",
    "FRAG\t  0         0         0        ",
    "",
    ...rows,
  ].join("\n");
}

Deno.test("createSsCollector({ traffic }) dumps only the TCP families ss -s counts sockets of, and both while any is in TIME-WAIT", async () => {
  const dumped: string[] = [];
  const udp = ["UNCONN 0 0 127.0.0.1:34964 0.0.0.0:* ino:2558470 sk:1 <->"];
  let summary = { ipv4: 2001, ipv6: 0, timeWait: 0 };
  const run: RunTool = (command, args, options) => {
    if (command === "find") return Promise.resolve({ stdout: "", stderr: "", code: 0 });
    if (args[0] === "-taiD") {
      dumped.push(args.slice(1).join(" "));
      return dumpInChunks(DUMP, options);
    }
    if (args[0] === "-uaneH") {
      deepStrictEqual(args, ["-uaneH", "-s"]);
      return Promise.resolve({ stdout: udpWithSummary(summary, udp), stderr: "", code: 0 });
    }
    const owned = udp.map((row) => `udp ${row.replace("ino:", 'users:(("python3",pid=26160,fd=14)) ino:')}`);
    return Promise.resolve({ stdout: [OWNERS_TEXT, ...owned].join("\n"), stderr: "", code: 0 });
  };
  const collector = createSsCollector({ platform, run, userNames: null, traffic: true });
  const first = await collector.collect();
  summary = { ipv4: 2001, ipv6: 3, timeWait: 0 };
  await collector.collect();
  summary = { ipv4: 2001, ipv6: 0, timeWait: 1 };
  await collector.collect();
  summary = { ipv4: 0, ipv6: 5, timeWait: 0 };
  await collector.collect();
  deepStrictEqual(dumped, ["- -4", "-", "-", "- -6"]);
  // The summary is not read as rows: the UDP socket is there, nothing skipped.
  deepStrictEqual(first.skipped, []);
  deepStrictEqual(first.sockets.filter((s) => s.protocol === "UDP").map((s) => [s.local_port, s.pid]), [
    [34964, 26160],
  ]);
});

Deno.test("createSsCollector({ traffic }) leaves a family out despite TIME-WAIT sockets once it has had no socket for longer than TIME-WAIT lasts", async () => {
  const dumped: string[] = [];
  let clock = 0;
  let summary = { ipv4: 2001, ipv6: 2, timeWait: 40 };
  let dump: Uint8Array = DUMP;
  const run: RunTool = (command, args, options) => {
    if (command === "find") return Promise.resolve({ stdout: "", stderr: "", code: 0 });
    if (args[0] === "-taiD") {
      dumped.push(args.slice(1).join(" "));
      return dumpInChunks(dump, options);
    }
    if (args[0] === "-uaneH") {
      return Promise.resolve({ stdout: udpWithSummary(summary, []), stderr: "", code: 0 });
    }
    return Promise.resolve({ stdout: OWNERS_TEXT, stderr: "", code: 0 });
  };
  const collector = createSsCollector({ platform, run, userNames: null, traffic: true, now: () => clock });
  await collector.collect(); // IPv6 sockets open: both
  summary = { ipv4: 2001, ipv6: 0, timeWait: 40 };
  // The TIME-WAIT sockets are IPv4's: a dump of both lists no IPv6 socket (one it listed would linger).
  dump = diagDump([{ state: "LISTEN", local: ["127.0.0.1", 80], peer: ["0.0.0.0", 0], inode: 11 }]);
  clock = TIME_WAIT_MS - 1;
  await collector.collect(); // the last IPv6 socket may be in TIME-WAIT: both
  clock = TIME_WAIT_MS + 1;
  await collector.collect(); // none counted for longer than TIME-WAIT lasts: IPv4 only
  summary = { ipv4: 0, ipv6: 5, timeWait: 40 };
  clock += 1000;
  await collector.collect(); // IPv4 sockets were counted a second ago: both
  deepStrictEqual(dumped, ["-", "-", "- -4", "-"]);
  // Without a history (or with both families lately), TIME-WAIT sockets of either family may be there: both.
  deepStrictEqual(dumpFamilies({ ipv4: 5, ipv6: 0, timeWait: 1 }), []);
  deepStrictEqual(dumpFamilies({ ipv4: 5, ipv6: 0, timeWait: 1 }, { ipv4: true, ipv6: false }), ["-4"]);
  deepStrictEqual(dumpFamilies({ ipv4: 0, ipv6: 5, timeWait: 1 }, { ipv4: false, ipv6: true }), ["-6"]);
});

Deno.test("createSsCollector({ traffic }) checks the summary with a dump of both families every FAMILY_CHECK_EVERY readings, and stops trusting one that was wrong", async () => {
  const v4Only = diagDump([{ state: "LISTEN", local: ["127.0.0.1", 80], peer: ["0.0.0.0", 0], inode: 11 }]);
  const dumpsFor = async (dump: Uint8Array, summary: { ipv4: number; ipv6: number; timeWait: number }) => {
    const dumped: string[] = [];
    const run: RunTool = (command, args, options) => {
      if (command === "find") return Promise.resolve({ stdout: "", stderr: "", code: 0 });
      if (args[0] === "-taiD") {
        dumped.push(args.slice(1).join(" "));
        return dumpInChunks(dump, options);
      }
      if (args[0] === "-uaneH") {
        return Promise.resolve({ stdout: udpWithSummary(summary, []), stderr: "", code: 0 });
      }
      return Promise.resolve({ stdout: OWNERS_TEXT, stderr: "", code: 0 });
    };
    const collector = createSsCollector({ platform, run, userNames: null, traffic: true });
    for (let i = 0; i < FAMILY_CHECK_EVERY + 2; i++) await collector.collect();
    return dumped;
  };
  const checked = [...Array(FAMILY_CHECK_EVERY - 1).fill("- -4"), "-"];
  // The summary says no IPv6 socket and the dump of both agrees: -4 again after the check.
  deepStrictEqual(await dumpsFor(v4Only, { ipv4: 1, ipv6: 0, timeWait: 0 }), [...checked, "- -4", "- -4"]);
  // The dump of both lists IPv6 sockets (the capture has three) the summary did not count: both from then on.
  deepStrictEqual(await dumpsFor(DUMP, { ipv4: 8, ipv6: 0, timeWait: 0 }), [...checked, "-", "-"]);
  // No TCP socket at all is what an ss that could not read /proc/net/sockstat says: both, always.
  deepStrictEqual(dumpFamilies({ ipv4: 0, ipv6: 0, timeWait: 0 }), []);
});

Deno.test("createSsCollector({ traffic, ownerWalkSpacing }) spaces the ss -p runs for new sockets too", async () => {
  const calls: string[][] = [];
  let clock = 0;
  let udp = ["UNCONN 0 0 127.0.0.1:34964 0.0.0.0:* ino:2558470 sk:1 <->"];
  const run: RunTool = (command, args, options) => {
    calls.push([command, ...args]);
    if (command === "find") return Promise.resolve({ stdout: "", stderr: "", code: 0 });
    if (args[0] === "-taiD") return dumpInChunks(DUMP, options);
    if (isUdpListing(args)) {
      return Promise.resolve({ stdout: udpRowsFor(args, udp.join("\n")), stderr: "", code: 0 });
    }
    clock += 100;
    const owned = udp.map((row) => `udp ${row.replace("ino:", 'users:(("python3",pid=26160,fd=14)) ino:')}`);
    return Promise.resolve({ stdout: [OWNERS_TEXT, ...owned].join("\n"), stderr: "", code: 0 });
  };
  const collector = createSsCollector({
    platform,
    run,
    userNames: null,
    traffic: true,
    ownerWalkSpacing: 2,
    now: () => clock,
  });
  await collector.collect(); // the start's walk does not count
  udp = [...udp, "UNCONN 0 0 127.0.0.1:34966 0.0.0.0:* ino:2558472 sk:3 <->"];
  await collector.collect(); // walks from 100 to 200: the next walk not before 400
  udp = [...udp, "UNCONN 0 0 127.0.0.1:34965 0.0.0.0:* ino:2558471 sk:2 <->"];
  clock = 350;
  const early = await collector.collect();
  clock = 400;
  const due = await collector.collect();
  deepStrictEqual(calls.filter((c) => c[1] === "-tunapeH").length, 3);
  const added = (r: typeof early) => r.sockets.find((s) => s.local_port === 34965)?.pid;
  deepStrictEqual([added(early), added(due)], [undefined, 26160]);
  deepStrictEqual(early.sockets.length, due.sockets.length - 1);
});

Deno.test("createSsCollector({ traffic, ownerWalkSpacing }) names at once a socket that a walk for a new one finds a process for, though it had none", async () => {
  let clock = 0;
  const first = "UNCONN 0 0 127.0.0.1:34964 0.0.0.0:* ino:2558470 sk:1 <->";
  const added = "UNCONN 0 0 127.0.0.1:34966 0.0.0.0:* ino:2558472 sk:3 <->";
  let udp = [first];
  /** Whether ss -p shows the first socket's process (the start's walk does not). */
  let firstOwned = false;
  const run: RunTool = (command, args, options) => {
    if (command === "find") return Promise.resolve({ stdout: "", stderr: "", code: 0 });
    if (args[0] === "-taiD") return dumpInChunks(DUMP, options);
    if (isUdpListing(args)) {
      return Promise.resolve({ stdout: udpRowsFor(args, udp.join("\n")), stderr: "", code: 0 });
    }
    clock += 100;
    const owned = udp.map((row) =>
      row === first && !firstOwned
        ? `udp ${row}`
        : `udp ${row.replace("ino:", 'users:(("python3",pid=26160,fd=14)) ino:')}`
    );
    return Promise.resolve({ stdout: [OWNERS_TEXT, ...owned].join("\n"), stderr: "", code: 0 });
  };
  const collector = createSsCollector({
    platform,
    run,
    userNames: null,
    traffic: true,
    ownerWalkSpacing: 2,
    now: () => clock,
  });
  const pidOf = (r: { sockets: Socket[] }, port: number) => r.sockets.find((s) => s.local_port === port)?.pid;
  // The start's walk is believed: no process (read now: an unchanged socket is the same object next time).
  const start = pidOf(await collector.collect(), 34964);
  udp = [first, added];
  firstOwned = true;
  const next = await collector.collect(); // the walk for the new socket names both
  deepStrictEqual([start, pidOf(next, 34964), pidOf(next, 34966)], [null, 26160, 26160]);
});

/** A runner whose ss cannot dump (`-D` unusable): the collector falls back to the text of `ss -i`. */
function withoutDump(
  calls: string[][],
  answer: (args: readonly string[]) => Promise<{ stdout: string }>,
): RunTool {
  return async (command, args, options) => {
    calls.push([command, ...args]);
    if (command === "find") return { stdout: "", stderr: "", code: 0 };
    if (args[0] === "-taiD") return await dumpInChunks(new TextEncoder().encode("not netlink"), options);
    return { ...await answer(args), stderr: "", code: 0 };
  };
}

Deno.test("createSsCollector({ platform, traffic }) falls back to -iO text runs when ss -D cannot be read, and says so", async () => {
  const calls: string[][] = [];
  const info = " cubic cwnd:10 bytes_sent:300 bytes_acked:301 bytes_received:4096 segs_out:4";
  const run = withoutDump(calls, (args) => {
    const owners = args[0]?.includes("p") ?? false;
    return Promise.resolve({ stdout: (owners ? ROW_A : withoutOwners(ROW_A)) + info });
  });
  const collector = createSsCollector({ platform, run, userNames: null, traffic: true });
  const first = await collector.collect();
  const second = await collector.collect();
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c[1]), [
    "-uaneH",
    "-taiD",
    "-tunapeiOH",
    "-tunaeiOH",
  ]);
  ok(
    first.notes.some((n) => n.startsWith("byte counters come from the text of `ss -i`")),
    first.notes.join(),
  );
  deepStrictEqual(
    [second.sockets[0]?.bytes_sent, second.sockets[0]?.bytes_received, second.sockets[0]?.pid],
    [300, 4096, 42],
  );
});

Deno.test("createSsCollector({ platform, traffic }) drops -O for an ss too old to know it, once", async () => {
  const calls: string[][] = [];
  const run = withoutDump(calls, (args) => {
    if (args[0]?.includes("O")) {
      return Promise.reject(
        new Error(`"ss ${args[0]}" failed with exit code 255: ss: invalid option -- 'O'`),
      );
    }
    return Promise.resolve({ stdout: `${ROW_A}\n\t cubic bytes_acked:9000 bytes_received:12 segs_in:9` });
  });
  const collector = createSsCollector({ platform, run, userNames: null, traffic: true });
  const first = await collector.collect();
  await collector.collect();
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c[1]), [
    "-uaneH",
    "-taiD",
    "-tunapeiOH",
    "-tunapeiH",
    "-tunaeiH",
  ]);
  deepStrictEqual([first.sockets[0]?.bytes_sent, first.sockets[0]?.bytes_received], [9000, 12]);
});

Deno.test("createSsCollector({ platform }) forgets the owner of an inode no longer listed: a reused inode is asked about again", async () => {
  const calls: string[][] = [];
  let rows = [ROW_A, ROW_B];
  const collector = createSsCollector({ platform, run: scriptedRun(() => rows, calls), userNames: null });
  await collector.collect();
  rows = [ROW_A];
  await collector.collect();
  // Inode 222 comes back for another process's socket.
  const reused = ROW_B.replace('"wget",pid=43', '"nc",pid=44');
  rows = [ROW_A, reused];
  const third = await collector.collect();
  await collector.collect();
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c[1]), [
    "-tunapeH",
    "-tunaeH",
    "-tunaeH",
    "-tunapeH",
    "-tunaeH",
  ]);
  deepStrictEqual(third.sockets.map((s) => [s.pid, s.process_name]), [[42, "curl"], [44, "nc"]]);
});

Deno.test("createSsCollector({ platform }) forgets the owner of an inode no longer listed though another is listed twice", async () => {
  const calls: string[][] = [];
  let rows = [ROW_A, ROW_B];
  const collector = createSsCollector({ platform, run: scriptedRun(() => rows, calls), userNames: null });
  await collector.collect();
  // As many rows as owners known, but not the same sockets: 222 is gone.
  rows = [ROW_A, ROW_A];
  await collector.collect();
  const reused = ROW_B.replace('"wget",pid=43', '"nc",pid=44');
  rows = [ROW_A, reused];
  const third = await collector.collect();
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c[1]), [
    "-tunapeH",
    "-tunaeH",
    "-tunaeH",
    "-tunapeH",
  ]);
  deepStrictEqual(third.sockets.map((s) => [s.pid, s.process_name]), [[42, "curl"], [44, "nc"]]);
});

Deno.test("createSsCollector gives every ss run the descriptor walk's hang guard, not run_tool's 10 s (ss -p walks every descriptor)", async () => {
  const calls: string[][] = [];
  const scripted = scriptedRun(() => [ROW_A], calls);
  const ssTimeouts: (number | undefined)[] = [];
  const run: RunTool = (command, args, options) => {
    if (command === "ss") ssTimeouts.push(options?.timeoutMs);
    return scripted(command, args, options);
  };
  const collector = createSsCollector({ platform, run, userNames: null });
  await collector.collect();
  await collector.collect();
  deepStrictEqual(ssTimeouts, [DESCRIPTOR_WALK_TIMEOUT_MS, DESCRIPTOR_WALK_TIMEOUT_MS]);
});

/** An IPv4 TCP socket as `ss -taiD -` dumps it. */
interface DiagSocket {
  state: "LISTEN" | "ESTABLISHED";
  local: [string, number];
  peer: [string, number];
  inode: number;
}

/** A `sock_diag` dump of IPv4 TCP sockets (no `tcp_info`), then NLMSG_DONE, as `ss -taiD -` writes it. */
function diagDump(sockets: DiagSocket[]): Uint8Array {
  const length = 16 + 72;
  const bytes = new Uint8Array(length * sockets.length + 16);
  const view = new DataView(bytes.buffer);
  const ipv4 = (ip: string) => ip.split(".").map(Number);
  sockets.forEach((s, i) => {
    const at = i * length;
    view.setUint32(at, length, true);
    view.setUint16(at + 4, 20, true); // SOCK_DIAG_BY_FAMILY
    bytes.set([2, s.state === "LISTEN" ? 10 : 1], at + 16); // AF_INET, TCP state
    view.setUint16(at + 20, s.local[1]);
    view.setUint16(at + 22, s.peer[1]);
    bytes.set(ipv4(s.local[0]), at + 24);
    bytes.set(ipv4(s.peer[0]), at + 40);
    view.setUint32(at + 84, s.inode, true);
  });
  view.setUint32(length * sockets.length, 16, true);
  view.setUint16(length * sockets.length + 4, 3, true); // NLMSG_DONE
  return bytes;
}

/** How a scripted `stdbuf` fails to run `ss` through it. */
type StdbufFailure = "not granted" | "not allowed" | "not installed" | "cannot run ss" | null;

/**
 * A collector reading a dump of `count` sockets through a scripted runner whose `stdbuf` fails as `failure` says
 * (or runs ss); returns the commands the dumps ran and the sockets each of three readings listed. "not granted":
 * the platform says the flags do not let conntrail run stdbuf (running it would stop at Deno's prompt).
 */
async function dumpsThroughStdbuf(count: number, failure: StdbufFailure) {
  const sockets: DiagSocket[] = [];
  for (let i = 0; i < count; i++) {
    sockets.push({
      state: "ESTABLISHED",
      local: ["127.0.0.1", 1024 + i],
      peer: ["127.0.0.1", 80],
      inode: 1000 + i,
    });
  }
  const dump = diagDump(sockets);
  const owned = sockets.map(ownedRow).join("\n");
  const dumps: string[] = [];
  const run: RunTool = (command, args, options) => {
    if (command === "find") return Promise.resolve({ stdout: "", stderr: "", code: 0 });
    if (command === "stdbuf") {
      dumps.push([command, ...args].join(" "));
      if (failure === "not granted") throw new Error("stdbuf was run though the platform said it may not");
      if (failure === "not allowed") {
        throw new PermissionError('conntrail may not run "stdbuf"', "--allow-run=stdbuf");
      }
      if (failure === "not installed") {
        throw new ToolError('cannot find "stdbuf" on PATH', { notFound: true });
      }
      // stdbuf's exit code when it cannot run its command; only codes the runner was told are no failure return.
      if (failure === "cannot run ss") {
        ok(options?.okCodes?.includes(127));
        return Promise.resolve({ stdout: "", stderr: "stdbuf: failed to run command 'ss'", code: 127 });
      }
      deepStrictEqual(args.slice(0, 3), [...DUMP_BUFFER_ARGS, "ss"]);
      return dumpInChunks(dump, options);
    }
    if (args[0] === "-taiD") {
      dumps.push([command, ...args].join(" "));
      return dumpInChunks(dump, options);
    }
    if (args[0] === "-uaneH") {
      return Promise.resolve({
        stdout: udpWithSummary({ ipv4: count, ipv6: 0, timeWait: 0 }, []),
        stderr: "",
        code: 0,
      });
    }
    return Promise.resolve({ stdout: owned, stderr: "", code: 0 });
  };
  const may = failure === "not granted"
    ? (query: PermissionQuery) => !(query.name === "run" && query.command === "stdbuf")
    : platform.may;
  const collector = createSsCollector({
    platform: { ...platform, may },
    run,
    userNames: null,
    traffic: true,
    dump: true,
  });
  const listed: number[] = [];
  for (let i = 0; i < 3; i++) {
    listed.push((await collector.collect()).sockets.filter((s) => s.pid === 14192).length);
  }
  return { dumps, listed };
}

Deno.test("createSsCollector({ dump }) reads a dump of DUMP_BUFFER_FROM sockets or more through stdbuf -o 256K ss, a smaller one from ss", async () => {
  const large = await dumpsThroughStdbuf(DUMP_BUFFER_FROM, null);
  // The first reading has no earlier one to size it by.
  deepStrictEqual(large.dumps, [
    "ss -taiD - -4",
    "stdbuf -o 256K ss -taiD - -4",
    "stdbuf -o 256K ss -taiD - -4",
  ]);
  deepStrictEqual(large.listed, [DUMP_BUFFER_FROM, DUMP_BUFFER_FROM, DUMP_BUFFER_FROM]);
  const small = await dumpsThroughStdbuf(DUMP_BUFFER_FROM - 1, null);
  deepStrictEqual(small.dumps, ["ss -taiD - -4", "ss -taiD - -4", "ss -taiD - -4"]);
});

Deno.test("createSsCollector({ dump }) reads the dump from plain ss, in the same reading and from then on, when stdbuf may not run, is not installed or cannot run ss", async () => {
  for (const failure of ["not allowed", "not installed", "cannot run ss"] as const) {
    const { dumps, listed } = await dumpsThroughStdbuf(DUMP_BUFFER_FROM, failure);
    deepStrictEqual(dumps, [
      "ss -taiD - -4",
      "stdbuf -o 256K ss -taiD - -4",
      "ss -taiD - -4",
      "ss -taiD - -4",
    ], failure);
    deepStrictEqual(listed, [DUMP_BUFFER_FROM, DUMP_BUFFER_FROM, DUMP_BUFFER_FROM], failure);
  }
});

Deno.test("createSsCollector({ dump }) never runs stdbuf when the flags do not grant it (no Deno prompt mid-run)", async () => {
  const { dumps, listed } = await dumpsThroughStdbuf(DUMP_BUFFER_FROM, "not granted");
  deepStrictEqual(dumps, ["ss -taiD - -4", "ss -taiD - -4", "ss -taiD - -4"]);
  deepStrictEqual(listed, [DUMP_BUFFER_FROM, DUMP_BUFFER_FROM, DUMP_BUFFER_FROM]);
});

/** The line `ss -tunapeH` prints for a socket of python3 (pid 14192). */
function ownedRow(s: DiagSocket): string {
  const listening = s.state === "LISTEN";
  const peer = listening ? "0.0.0.0:*" : `${s.peer[0]}:${s.peer[1]}`;
  return `tcp ${listening ? "LISTEN" : "ESTAB"} 0 4 ${s.local[0]}:${s.local[1]} ${peer} ` +
    `users:(("python3",pid=14192,fd=${s.inode})) ino:${s.inode} sk:1 <->`;
}

Deno.test("createSsCollector({ traffic, ownerWalkSpacing }) reads a listener the dump missed from the walk after it: what it accepted is incoming", async () => {
  // A dump is no snapshot: the kernel sends listeners first, then the other sockets. A process that listens,
  // connects and accepts while ss dumps (tests/fixtures/socket_control.py's `open`) is read as client C and
  // accepted S without listener L; the walk that follows the dump lists all three (seen in serve under load).
  const ip = "127.58.157.138";
  const L: DiagSocket = { state: "LISTEN", local: [ip, 35779], peer: ["0.0.0.0", 0], inode: 501 };
  const C: DiagSocket = { state: "ESTABLISHED", local: [ip, 34465], peer: [ip, 35779], inode: 502 };
  const S: DiagSocket = { state: "ESTABLISHED", local: [ip, 35779], peer: [ip, 34465], inode: 503 };
  // D: a connection opened after the dump, before the walk: the walk names it, the next dump lists it.
  const D: DiagSocket = { state: "ESTABLISHED", local: [ip, 40000], peer: ["198.51.100.7", 443], inode: 504 };
  // M: a listener opened during the walk, after it read the processes: listed without one, it is not taken.
  const M: DiagSocket = { state: "LISTEN", local: [ip, 36000], peer: ["0.0.0.0", 0], inode: 505 };
  let dumped = [C, S];
  let walked = [L, C, S, D, M];
  let clock = 0;
  const calls: string[][] = [];
  const run: RunTool = (command, args, options) => {
    calls.push([command, ...args]);
    if (command === "find") return Promise.resolve({ stdout: "", stderr: "", code: 0 });
    if (args[0] === "-taiD") return dumpInChunks(diagDump(dumped), options);
    if (isUdpListing(args)) return Promise.resolve({ stdout: "", stderr: "", code: 0 });
    clock += 4_000; // a walk of 4 s, as measured under load: the next one not before 12 s
    const rows = walked.map((s) => s === M ? ownedRow(s).replace(/users:\(.*?\)\) /, "") : ownedRow(s));
    return Promise.resolve({ stdout: rows.join("\n"), stderr: "", code: 0 });
  };
  const collector = createSsCollector({
    platform,
    run,
    userNames: null,
    traffic: true,
    ownerWalkSpacing: 2,
    now: () => clock,
  });
  const read = (sockets: Socket[]) =>
    toConnections(sockets, "2026-12-03T05:37:35.396+00:00").map((c) =>
      [c.local_port, c.remote_port, c.direction, c.pid] as const
    );
  const first = await collector.collect();
  deepStrictEqual(read(first.sockets), [
    [34465, 35779, "outgoing", 14192],
    [35779, 34465, "incoming", 14192],
    [35779, null, "listening", 14192],
  ]);
  // The next dump lists them all, and D: their owners were not forgotten, none waits for the next walk; M
  // waits for it.
  dumped = [L, C, S, D, M];
  clock = 5_000;
  const second = await collector.collect();
  deepStrictEqual(read(second.sockets), [
    [35779, null, "listening", 14192],
    [34465, 35779, "outgoing", 14192],
    [35779, 34465, "incoming", 14192],
    [40000, 443, "outgoing", 14192],
  ]);
  // M is new to this reading: it is walked for at once (the start's walk does not count toward the spacing), and
  // shown without a process again it waits for a third walk to confirm that.
  deepStrictEqual(calls.filter((c) => c[1] === "-tunapeH").length, 2);
  // An inode a walk named and a later dump does not list is forgotten as any other: reused, it is asked about.
  walked = [L, C, S, { ...D, local: [ip, 40001] }];
  dumped = [L, C, S];
  await collector.collect();
  dumped = walked;
  clock = 20_000;
  const reused = await collector.collect();
  deepStrictEqual(calls.filter((c) => c[1] === "-tunapeH").length, 3);
  deepStrictEqual(read(reused.sockets).at(-1), [40001, 443, "outgoing", 14192]);
});

/** A live collector with --traffic that names owners by its own walk, spaced 2 ×, over `run`. */
function walkingTrafficCollector(run: RunTool) {
  return createSsCollector({
    platform: walkPlatform,
    run,
    userNames: null,
    traffic: true,
    ownWalk: true,
    ownerWalkSpacing: 2,
    processPaths: false,
  });
}

Deno.test("createSsCollector({ traffic, ownWalk }) keeps its walk's owners and its dumps when the listeners' dump beside the walk fails", async () => {
  const ip = "127.58.157.138";
  const C: DiagSocket = { state: "ESTABLISHED", local: [ip, 34465], peer: ["198.51.100.7", 443], inode: 502 };
  const calls: string[] = [];
  const run: RunTool = (command, args, options) => {
    calls.push(command === "ss" ? `ss ${args[0]}` : command);
    if (command === "find") return Promise.resolve({ stdout: "/proc/14192/fd\n502\n", stderr: "", code: 0 });
    if (args[0] === "-taiD") return dumpInChunks(diagDump([C]), options);
    if (isUdpListing(args)) return Promise.resolve({ stdout: "", stderr: "", code: 0 });
    return Promise.reject(new ToolError(`ss ${args[0]} failed (exit code 1): not scripted`));
  };
  const collector = walkingTrafficCollector(withProcesses(run, new Map([[14192, "python3"]])));
  const first = await collector.collect();
  const second = await collector.collect();
  deepStrictEqual(
    [first, second].map((r) => r.sockets.map((s) => [s.pid, s.process_name])),
    [[[14192, "python3"]], [[14192, "python3"]]],
  );
  deepStrictEqual([first.notes, second.notes], [[], []]);
  ok(calls.includes("ss -tlD"));
  // The second reading dumps as the first did: the failed listeners' dump said nothing of the readings'.
  deepStrictEqual(calls.slice(-2), ["ss -uanH", "ss -taiD"]);
});

Deno.test("createSsCollector({ traffic, ownWalk }) walks for the first reading with find and cat, not ss -p, and still reads the listener the dump missed from it", async () => {
  // As above: the dump reads client C and accepted S without listener L; the listeners' dump beside the own
  // walk (ss -tlD -, beside find and cat) follows the dump and lists L, with its process from the walk, so what L
  // accepted is incoming.
  const ip = "127.58.157.138";
  const L: DiagSocket = { state: "LISTEN", local: [ip, 35779], peer: ["0.0.0.0", 0], inode: 501 };
  const C: DiagSocket = { state: "ESTABLISHED", local: [ip, 34465], peer: [ip, 35779], inode: 502 };
  const S: DiagSocket = { state: "ESTABLISHED", local: [ip, 35779], peer: [ip, 34465], inode: 503 };
  const N: DiagSocket = { state: "ESTABLISHED", local: [ip, 40000], peer: ["198.51.100.7", 443], inode: 504 };
  let dumped = [C, S];
  let listed = [L, C, S];
  const calls: string[][] = [];
  /** The walk's listing of the processes and their naming (see withProcesses). */
  const walkCalls: string[] = [];
  const run: RunTool = (command, args, options) => {
    calls.push([command, ...args]);
    if (command === "find") {
      const stdout = `/proc/14192/fd\n${listed.map((s) => `${s.inode}\n`).join("")}`;
      return Promise.resolve({ stdout, stderr: "", code: 0 });
    }
    if (args[0] === "-taiD") return dumpInChunks(diagDump(dumped), options);
    if (args[0] === "-tlD") {
      return dumpInChunks(diagDump(listed.filter((s) => s.state === "LISTEN")), options);
    }
    if (isUdpListing(args)) return Promise.resolve({ stdout: "", stderr: "", code: 0 });
    return Promise.resolve({ stdout: "", stderr: `ss ${args[0]}: not scripted`, code: 1 });
  };
  const collector = walkingTrafficCollector(withProcesses(run, new Map([[14192, "python3"]]), walkCalls));
  const read = (sockets: Socket[]) =>
    toConnections(sockets, "2026-12-03T05:37:35.396+00:00").map((c) =>
      [c.local_port, c.remote_port, c.direction, c.pid, c.process_name] as const
    );
  const first = await collector.collect();
  deepStrictEqual(read(first.sockets), [
    [34465, 35779, "outgoing", 14192, "python3"],
    [35779, 34465, "incoming", 14192, "python3"],
    [35779, null, "listening", 14192, "python3"],
  ]);
  // The walk (find's listing of the processes, find of their descriptors, then cat of the owners' names) starts
  // with the reading, beside the dump; the listeners' dump follows the dump. No listing of every socket
  // (ss -tunaeH, whose -e walks the cgroup tree): the walk names the dump's sockets.
  const named = calls.map((c) => c[0] === "ss" ? c.slice(0, 2).join(" ") : c[0]);
  deepStrictEqual([...named].sort(), ["find", "ss -taiD", "ss -tlD", "ss -uaneH"]);
  deepStrictEqual(walkCalls, ["find /proc", "cat stat"]);
  ok(named.indexOf("ss -tlD") > named.indexOf("ss -taiD"));
  // Its owners stay; a new socket is walked for by the spaced walk, its own way too (not ss -p).
  dumped = [L, C, S, N];
  listed = dumped;
  const second = await collector.collect();
  deepStrictEqual(read(second.sockets).at(-1), [40000, 443, "outgoing", 14192, "python3"]);
  deepStrictEqual(calls.slice(4).map((c) => c[0] === "ss" ? c.slice(0, 2).join(" ") : c[0]), [
    "ss -uanH", // UDP (none) as before: no -e
    "ss -taiD",
    "ss -tlD",
    "find",
  ]);
  deepStrictEqual(walkCalls, ["find /proc", "cat stat", "find /proc", "cat stat"]);
});

/**
 * A machine of three sockets (a UDP one, a TCP listener and a connection to it, of processes 42 and 43) for a
 * one-shot reading: `ss -tunaeH` prints them as text, `ss -uaneH -s` and `ss -taD -` as UDP's text and a dump;
 * find and cat name their owners. `dumpFails`: ss cannot dump (an iproute2 without -D).
 */
function oneShotMachine(calls: string[][], dumpFails = false): RunTool {
  return withProcesses(oneShotSs(calls, dumpFails), new Map([[42, "nginx"], [43, "dig"]]));
}

/** {@linkcode oneShotMachine}'s ss, and find of the descriptors. */
function oneShotSs(calls: string[][], dumpFails: boolean): RunTool {
  const udp = "UNCONN 0 0 0.0.0.0:5353 0.0.0.0:* ino:1003 sk:1 <->";
  const tcp: DiagSocket[] = [
    { state: "LISTEN", local: ["127.0.0.1", 80], peer: ["0.0.0.0", 0], inode: 1001 },
    { state: "ESTABLISHED", local: ["127.0.0.1", 80], peer: ["127.0.0.1", 5000], inode: 1002 },
  ];
  const text = [
    `udp ${udp}`,
    "tcp LISTEN 0 128 127.0.0.1:80 0.0.0.0:* ino:1001 sk:2 <->",
    "tcp ESTAB 0 0 127.0.0.1:80 127.0.0.1:5000 ino:1002 sk:3 <->",
  ].join("\n");
  return (command, args, options) => {
    calls.push([command, ...args]);
    const answer = (stdout: string, code = 0) => Promise.resolve({ stdout, stderr: "", code });
    if (command === "find") return answer("/proc/42/fd\n1001\n1002\n/proc/43/fd\n1003\n");
    if (args[0] === "-uaneH") return answer(udpWithSummary({ ipv4: 2, ipv6: 0, timeWait: 0 }, [udp]));
    if (args[0] === "-taD") {
      if (dumpFails) return Promise.reject(new ToolError("ss: invalid option -- 'D'"));
      return dumpInChunks(diagDump(tcp), options);
    }
    if (args[0] === "-tunaeH") return answer(text);
    throw new Error(`not scripted: ${command} ${args.join(" ")}`);
  };
}

Deno.test("createSsCollector({ once }) lists UDP's text and the TCP dump beside its walk (one family, as the summary says), and gets the sockets, in the order, that the text of ss -tunaeH gives", async () => {
  const calls: string[][] = [];
  const read = (dump?: boolean) =>
    createSsCollector({
      platform: walkPlatform,
      run: oneShotMachine(calls),
      userNames: null,
      once: true,
      processPaths: false,
      ...(dump === undefined ? {} : { dump }),
    }).collect();
  const dumped = await read();
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c.slice(1).join(" ")), [
    "-uaneH -s",
    "-taD - -4",
  ]);
  calls.length = 0;
  const text = await read(false);
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c.slice(1).join(" ")), ["-tunaeH"]);
  deepStrictEqual(dumped, text);
  deepStrictEqual(
    dumped.sockets.map((s) => [s.protocol, s.local_port, s.status, s.pid, s.process_name, s.user]),
    [
      ["UDP", 5353, "UNCONNECTED", 43, "dig", "0"],
      ["TCP", 80, "LISTEN", 42, "nginx", "0"],
      ["TCP", 80, "ESTABLISHED", 42, "nginx", "0"],
    ],
  );
});

Deno.test("createSsCollector({ once }) reads the text of ss -tunaeH when ss cannot dump, and dumps no more", async () => {
  const calls: string[][] = [];
  const collector = createSsCollector({
    platform: walkPlatform,
    run: oneShotMachine(calls, true),
    userNames: null,
    once: true,
    processPaths: false,
  });
  const first = await collector.collect();
  const second = await collector.collect();
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c.slice(1).join(" ")), [
    "-uaneH -s",
    "-taD - -4",
    "-tunaeH",
    "-tunaeH",
  ]);
  deepStrictEqual([first.notes, first.sockets.length, second.sockets.map((s) => s.pid)], [[], 3, [
    43,
    42,
    42,
  ]]);
});

/** {@linkcode oneShotMachine} whose `find` of `/proc/<pid>/exe` links names nginx's and dig's programs. */
function oneShotMachineWithPaths(calls: string[][]): RunTool {
  const machine = oneShotMachine(calls);
  return (command, args, options) => {
    if (command !== "find" || !args[0]!.endsWith("/exe")) return machine(command, args, options);
    calls.push([command, ...args]);
    const paths = { 42: "/usr/sbin/nginx", 43: "/usr/bin/dig" };
    const links = args.filter((a) => a.endsWith("/exe")).map((link) => {
      const pid = Number(link.split("/")[2]) as 42 | 43;
      return `${link}\t${paths[pid]}\0`;
    });
    return Promise.resolve({ stdout: links.join(""), stderr: "", code: 0 });
  };
}

Deno.test("createSsCollector({ once }) asked for batches keeps TCP's dump as bytes beside its walk and hands its sockets over in batches: the sockets, owners, paths and users read whole, its listeners first", async () => {
  const calls: string[][] = [];
  const read = (batches: boolean) =>
    createSsCollector({
      platform: walkPlatform,
      run: oneShotMachineWithPaths(calls),
      userNames: new Map([["0", "root"]]),
      once: true,
    }).collect({ batches });
  const whole = await read(false);
  const wholeCalls = calls.splice(0);
  const batched = await read(true);
  const ssCalls = (list: string[][]) => list.filter((c) => c[0] === "ss").map((c) => c.slice(1).join(" "));
  deepStrictEqual(ssCalls(calls), ssCalls(wholeCalls));
  deepStrictEqual(ssCalls(calls), ["-uaneH -s", "-taD - -4"]);
  // The paths of the processes the walk named, asked once, before any batch is made.
  deepStrictEqual(calls.filter((c) => c[1]?.endsWith("/exe")).map((c) => c.slice(1, 3)), [[
    "/proc/42/exe",
    "/proc/43/exe",
  ]]);
  deepStrictEqual(batched.sockets.map((s) => s.protocol), ["UDP"]);
  deepStrictEqual(batched.more?.listeners.map((s) => [s.local_port, s.status]), [[80, "LISTEN"]]);
  const sockets = [...socketBatches(batched)].flat();
  deepStrictEqual(sockets, whole.sockets);
  deepStrictEqual(
    sockets.map((s) => [s.protocol, s.status, s.pid, s.process_name, s.process_path, s.user]),
    [
      ["UDP", "UNCONNECTED", 43, "dig", "/usr/bin/dig", "root"],
      ["TCP", "LISTEN", 42, "nginx", "/usr/sbin/nginx", "root"],
      ["TCP", "ESTABLISHED", 42, "nginx", "/usr/sbin/nginx", "root"],
    ],
  );
  deepStrictEqual([batched.skipped, batched.notes], [whole.skipped, whole.notes]);
  // Without being asked, the same reading hands every socket over at once.
  deepStrictEqual(whole.more, undefined);
});

/**
 * A one-shot machine of one UDP socket (inode 1003, of dig) and TCP's `dump` (`tcp` sockets counted), whose walk
 * (find) prints `walked`; nginx is pid 42.
 */
function skippingMachine(dump: Uint8Array, walked: string, tcp: number): RunTool {
  const udp = "UNCONN 0 0 0.0.0.0:5353 0.0.0.0:* ino:1003 sk:1 <->";
  return withProcesses((command, args, options) => {
    const answer = (stdout: string) => Promise.resolve({ stdout, stderr: "", code: 0 });
    if (command === "find") return answer(walked);
    if (args[0] === "-uaneH") return answer(udpWithSummary({ ipv4: tcp, ipv6: 0, timeWait: 0 }, [udp]));
    if (args[0] === "-taD") return dumpInChunks(dump, options);
    throw new Error(`not scripted: ${command} ${args.join(" ")}`);
  }, new Map([[42, "nginx"], [43, "dig"]]));
}

/** A one-shot ss collector of `run` that walks on its own, as root, without paths or user names. */
function walkedOneShot(run: RunTool) {
  return createSsCollector({
    platform: walkPlatform,
    run,
    userNames: null,
    once: true,
    root: true,
    processPaths: false,
  });
}

Deno.test("createSsCollector({ once }) asked for batches gives the dump's skipped lines at once, and the note on sockets without a process when the last batch has been made", async () => {
  const dump = diagDump([
    { state: "LISTEN", local: ["127.0.0.1", 80], peer: ["0.0.0.0", 0], inode: 1001 },
    { state: "ESTABLISHED", local: ["127.0.0.1", 80], peer: ["127.0.0.1", 5000], inode: 1002 },
    { state: "ESTABLISHED", local: ["127.0.0.1", 81], peer: ["127.0.0.1", 5001], inode: 1004 },
  ]);
  dump[2 * 88 + 16] = 99; // the third socket's family: no address conntrail can read
  // The walk finds the listener and the UDP socket, not the connection (another network namespace's).
  const read = (batches: boolean) =>
    walkedOneShot(skippingMachine(dump, "/proc/42/fd\n1001\n/proc/43/fd\n1003\n", 3)).collect({ batches });
  const whole = await read(false);
  const noted = [
    "1 socket shows no process: they belong to another network namespace or were being torn down",
  ];
  deepStrictEqual([whole.notes, whole.skipped.map((s) => s.reason)], [noted, [
    "unreadable address (family 99)",
  ]]);
  const batched = await read(true);
  deepStrictEqual([batched.notes, batched.skipped], [[], whole.skipped]);
  const sockets = [...socketBatches(batched)].flat();
  deepStrictEqual(sockets, whole.sockets);
  deepStrictEqual([batched.notes, batched.skipped], [whole.notes, whole.skipped]);
});

Deno.test("createSsCollector({ once }) asked for batches lists the skipped lines in the order of a reading read whole: the dump's before the walk's", async () => {
  const dump = diagDump([
    { state: "LISTEN", local: ["127.0.0.1", 80], peer: ["0.0.0.0", 0], inode: 1001 },
    { state: "ESTABLISHED", local: ["127.0.0.1", 81], peer: ["127.0.0.1", 5001], inode: 1004 },
  ]);
  dump[88 + 16] = 99; // the second socket's family: no address conntrail can read
  // find prints a line that is no inode after a folder: the walk skips it.
  const run = skippingMachine(dump, "/proc/42/fd\n1001\nnot an inode\n/proc/43/fd\n1003\n", 2);
  const read = async (batches: boolean) => {
    const result = await walkedOneShot(run).collect({ batches });
    const sockets = [...socketBatches(result)].flat();
    return { sockets, reasons: result.skipped.map((s) => s.reason) };
  };
  const whole = await read(false);
  deepStrictEqual(whole.reasons, [
    "unreadable address (family 99)",
    "not a socket's inode after a /proc/<pid>/fd folder",
  ]);
  // The order is what skippedSummary names the reasons in.
  deepStrictEqual(await read(true), whole);
});

Deno.test("createSsCollector({ once }) asked for batches reads the text of ss -tunaeH when what ss -D printed is no whole dump, and dumps no more", async () => {
  for (const printed of ["ss: netlink is not supported here\n", "cut"]) {
    const calls: string[][] = [];
    const machine = oneShotMachine(calls);
    const whole = diagDump([
      { state: "LISTEN", local: ["127.0.0.1", 80], peer: ["0.0.0.0", 0], inode: 1001 },
    ]);
    // Text where the dump should be, or a dump cut short inside its first message after the header.
    const bytes = printed === "cut" ? whole.subarray(0, 40) : new TextEncoder().encode(printed);
    const run: RunTool = (command, args, options) =>
      command === "ss" && args[0] === "-taD"
        ? (calls.push([command, ...args]), dumpInChunks(bytes, options))
        : machine(command, args, options);
    const collector = createSsCollector({
      platform: walkPlatform,
      run,
      userNames: null,
      once: true,
      processPaths: false,
    });
    const first = await collector.collect({ batches: true });
    const second = await collector.collect({ batches: true });
    deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c.slice(1).join(" ")), [
      "-uaneH -s",
      "-taD - -4",
      "-tunaeH",
      "-tunaeH",
    ], printed);
    deepStrictEqual([first.more, second.more], [undefined, undefined]);
    deepStrictEqual(first.sockets.map((s) => [s.protocol, s.local_port, s.pid]), [
      ["UDP", 5353, 43],
      ["TCP", 80, 42],
      ["TCP", 80, 42],
    ]);
  }
});

Deno.test("createSsCollector({ traffic }) reads TCP's rows from /proc in UDP's cat for a reading without counters below TCP_ROWS_BELOW sockets, and dumps otherwise", async () => {
  const readsOf = async (connections: number) => {
    const host = new ScriptedHost({ connections, udp: 3, churn: 0, seed: 1 });
    const collector = createSsCollector({
      platform: host0,
      run: host.run,
      userNames: null,
      traffic: true,
      dump: true,
    });
    const reads: string[] = [];
    const tcpCounts = new Set<number>();
    for (const counters of [false, false, true, false]) {
      host.calls.length = 0;
      const { sockets } = await collector.collect({ counters });
      tcpCounts.add(sockets.filter((s) => s.protocol === "TCP").length);
      const tcpRows = host.calls.some((c) => c.startsWith("cat ") && c.includes("/proc/net/tcp"));
      const dumped = host.calls.some((c) => /^ss -ta(i?)D/.test(c));
      reads.push(tcpRows && !dumped ? "rows" : dumped && !tcpRows ? "dump" : host.calls.join(", "));
    }
    // Each way lists the same TCP sockets, the farm's (two a connection) among them.
    deepStrictEqual(tcpCounts.size, 1);
    ok([...tcpCounts][0]! > 2 * connections);
    return reads;
  };
  // The first reading dumps (no count yet), a reading with counters dumps.
  deepStrictEqual(await readsOf(10), ["dump", "rows", "dump", "rows"]);
  const many = Math.ceil(TCP_ROWS_BELOW / 2);
  deepStrictEqual(await readsOf(many), ["dump", "dump", "dump", "dump"]);
});
