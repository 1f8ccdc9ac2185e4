import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import {
  findSocketsArgs,
  nameProcesses,
  OwnerWalkUnusable,
  PROCESS_FOLDERS_ARGS,
  WALK_ENV,
  walkSocketOwners,
} from "../../lib/collect/socket_owner_walk.ts";
import { type RunTool, toolRunner } from "../../lib/collect/run_tool.ts";
import { processWalkAnswer, statLine } from "./_process_walk.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { hasTool } from "../open_sockets.ts";
import { fileURLToPath } from "node:url";

const platform = denoPlatform();
const usable = Deno.build.os === "linux" && hasTool("find") && hasTool("cat") && hasTool("ss");
const FIND_FAULTS = fileURLToPath(new URL("../fixtures/find_faults.py", import.meta.url));

/** The inode of this process's TCP listener on `port`, as ss lists it. */
async function listenerInode(port: number): Promise<number> {
  const { stdout } = await new Deno.Command("ss", { args: ["-tlneH", `sport = :${port}`] }).output();
  const inode = /ino:(\d+)/.exec(new TextDecoder().decode(stdout))?.[1];
  if (inode === undefined) throw new Error(`ss does not list the listener on ${port}`);
  return Number(inode);
}

Deno.test({
  name:
    "walkSocketOwners finds and names a real socket's process; a name with escapes, ')' and a space stays one whole name",
  ignore: !usable,
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    // A process that names itself with ESC, ')' and a space, holds a listener and says its port.
    const hostile = new Deno.Command("python3", {
      args: [
        "-c",
        "import socket,sys\n" +
        "open('/proc/self/comm','w').write('\\x1b[31mx) y')\n" +
        "s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen()\n" +
        "print(s.getsockname()[1], flush=True); sys.stdin.read()",
      ],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    try {
      const reader = hostile.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let said = "";
      while (!said.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the process ended before it listened");
        said += value;
      }
      const [mine, theirs] = await Promise.all([
        listenerInode((listener.addr as Deno.NetAddr).port),
        listenerInode(Number(said.trim())),
      ]);
      const run = toolRunner(platform.programs);
      const walk = await walkSocketOwners(run);
      deepStrictEqual(walk.pids.pidOf(mine), Deno.pid);
      deepStrictEqual(walk.pids.pidOf(theirs), hostile.pid);
      const names = walk.names;
      deepStrictEqual(names.get(Deno.pid), Deno.readTextFileSync("/proc/self/comm").trimEnd());
      // The name as the kernel keeps it, whole past ')' and the space (what shows it makes it safe).
      deepStrictEqual(names.get(hostile.pid), "\x1b[31mx) y");
      deepStrictEqual(walk.skipped, []);
      ok(walk.pids.size >= 2);
    } finally {
      listener.close();
      await hostile.stdin.close();
      await hostile.status;
    }
  },
});

Deno.test("walkSocketOwners walks the descriptor folders of the processes find listed in /proc, 4,096 to a find run, and names the owners", async () => {
  // 5,000 processes: two find runs, the second for the last 904 folders; each run prints its folders' sockets.
  const processes = new Map(Array.from({ length: 5_000 }, (_, i) => [i + 2, `p${i + 2}`]));
  const finds: string[][] = [];
  const walkEnvs: (Readonly<Record<string, string>> | undefined)[] = [];
  const named: string[] = [];
  const run: RunTool = (command, args, options) => {
    if (command === "find" && args[0] === "/proc") {
      deepStrictEqual([args, options?.okCodes, options?.env], [PROCESS_FOLDERS_ARGS, [0, 1], WALK_ENV]);
      return Promise.resolve(processWalkAnswer(command, args, processes)!);
    }
    if (command === "cat") {
      named.push(...args);
      return Promise.resolve(processWalkAnswer(command, args, processes)!);
    }
    deepStrictEqual(command, "find");
    finds.push([...args]);
    walkEnvs.push(options?.env);
    const folders = args.filter((a) => a.startsWith("/proc/"));
    const text = folders.map((folder) => `${folder}\n${900_000 + Number(folder.split("/")[2])}\n`).join("");
    options?.onChunk?.(new TextEncoder().encode(text));
    // The last process exited after find listed it.
    const gone = folders.includes("/proc/5001/fd");
    return Promise.resolve({
      stdout: "",
      stderr: gone ? "find: '/proc/5001/fd': No such file or directory" : "",
      code: gone ? 1 : 0,
    });
  };
  const walk = await walkSocketOwners(run);
  deepStrictEqual(walkEnvs, [WALK_ENV, WALK_ENV]);
  deepStrictEqual(finds.map((args) => args.filter((a) => a.startsWith("/proc/")).length), [4_096, 904]);
  deepStrictEqual(finds[0]!.slice(0, 3), ["-L", "/proc/2/fd", "/proc/3/fd"]);
  deepStrictEqual(finds[0]!.slice(-15), findSocketsArgs([]).slice(1));
  deepStrictEqual([walk.pids.pidOf(900_002), walk.pids.pidOf(905_001), walk.pids.size], [2, 5_001, 5_000]);
  deepStrictEqual(walk.unreadable, 1);
  // After the walk, the processes holding a socket are named: all 5,000 here (5,001's name is its own still).
  deepStrictEqual([named.length, walk.names.get(2), walk.names.get(5_001)], [5_000, "p2", "p5001"]);
});

Deno.test("nameProcesses reads the stat of the pids asked for, each once, 4,096 to a cat run; one that exited is left out", async () => {
  const processes = new Map(Array.from({ length: 5_000 }, (_, i) => [i + 2, `p${i + 2}`]));
  processes.delete(7); // it exited since the walk
  const runs: number[] = [];
  const run: RunTool = (command, args, options) => {
    deepStrictEqual(options?.okCodes, [0, 1]);
    runs.push(args.length);
    const answer = processWalkAnswer(command, args, processes)!;
    // One stat line the run did not ask for (none does here; a runner may): it is not taken.
    return Promise.resolve({ ...answer, stdout: answer.stdout + statLine(9_999, "other") });
  };
  const owners = [...processes.keys(), 7];
  const names = await nameProcesses(run, [...owners, ...owners]);
  deepStrictEqual(runs, [4_096, 904]);
  deepStrictEqual([2, 7, 5_001, 9_999].map((pid) => names.get(pid)), ["p2", undefined, "p5001", undefined]);
  runs.length = 0;
  deepStrictEqual(await nameProcesses(run, []), new Map());
  deepStrictEqual(runs, []);
});

Deno.test("nameProcesses gives the walk up (the caller runs ss -p) when cat prints text of which no line is a stat line", async () => {
  // A /proc whose stat lines read otherwise (here: too few numbers after the state).
  const run: RunTool = () =>
    Promise.resolve({ stdout: "42 (curl) S 1 42\n43 (sh) S 1 43\n", stderr: "", code: 0 });
  await rejects(() => nameProcesses(run, [42, 43]), OwnerWalkUnusable);
  // Nothing printed (every process asked for exited): no names, and the walk stands.
  const gone: RunTool = () =>
    Promise.resolve({ stdout: "", stderr: "cat: /proc/42/stat: No such file", code: 1 });
  deepStrictEqual(await nameProcesses(gone, [42]), new Map());
});

Deno.test({
  name: "nameProcesses names real processes with the real cat, and leaves out a pid no process has",
  ignore: Deno.build.os !== "linux" || !hasTool("cat"),
  fn: async () => {
    const sleeper = new Deno.Command("sleep", { args: ["60"] }).spawn();
    try {
      // 4,194,305 is above the kernel's PID_MAX_LIMIT (4,194,304): no process has it.
      const names = await nameProcesses(toolRunner(platform.programs), [Deno.pid, sleeper.pid, 4_194_305]);
      deepStrictEqual(
        names,
        new Map([[Deno.pid, Deno.readTextFileSync("/proc/self/comm").trimEnd()], [sleeper.pid, "sleep"]]),
      );
    } finally {
      sleeper.kill();
      await sleeper.status;
    }
  },
});

Deno.test({
  name: "PROCESS_FOLDERS_ARGS, run by the real find, lists this process's pid and no other entry of /proc",
  ignore: Deno.build.os !== "linux" || !hasTool("find"),
  fn: async () => {
    const { stdout } = await new Deno.Command("find", { args: [...PROCESS_FOLDERS_ARGS] }).output();
    const lines = new TextDecoder().decode(stdout).split("\n").filter((line) => line !== "");
    ok(lines.includes(String(Deno.pid)));
    ok(lines.every((line) => /^[1-9][0-9]*$/.test(line)), lines.find((line) => !/^[1-9][0-9]*$/.test(line)));
  },
});

for (
  const [why, listing] of [
    ["refuses -printf (exit 1 with a usage message, as BusyBox's does)", {
      stdout: "",
      stderr: "find: unrecognized: -printf\nBusyBox v1.36.1",
      code: 1,
    }],
    ["exits 1 without a word", { stdout: "", stderr: "", code: 1 }],
    ["lists no process", { stdout: "\n", stderr: "", code: 0 }],
  ] as const
) {
  Deno.test(`walkSocketOwners gives up (the caller runs ss -p) when find ${why}, before any walk`, async () => {
    let walked = 0;
    const run: RunTool = (command, args) => {
      if (command === "find" && args[0] === "-L") walked++;
      return Promise.resolve(args[0] === "/proc" ? { ...listing } : { stdout: "", stderr: "", code: 0 });
    };
    await rejects(() => walkSocketOwners(run), OwnerWalkUnusable);
    deepStrictEqual(walked, 0);
  });
}

Deno.test(
  "findSocketsArgs, run by the real find over this process's folder, lists the folder and its socket",
  {
    ignore: !usable,
  },
  async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const inode = await listenerInode((listener.addr as Deno.NetAddr).port);
      const { stdout } = await new Deno.Command("find", { args: findSocketsArgs([`/proc/${Deno.pid}/fd`]) })
        .output();
      const lines = new TextDecoder().decode(stdout).split("\n");
      deepStrictEqual(lines[0], `/proc/${Deno.pid}/fd`);
      ok(lines.includes(String(inode)));
      // Only socket inodes follow the folder: no descriptor of a file or a pipe, no folder entered.
      ok(lines.slice(1).every((line) => line === "" || /^[1-9][0-9]*$/.test(line)));
    } finally {
      listener.close();
    }
  },
);

/**
 * Whether find's faults can be counted here with glibc's malloc (musl ignores `MALLOC_TRIM_THRESHOLD_`) and three
 * processes may hold 3,000 sockets each (the hard limit of open files allows it).
 */
function canCountFindFaults(): boolean {
  if (!usable || !hasTool("python3") || !hasTool("getconf")) return false;
  const libc = new Deno.Command("getconf", { args: ["GNU_LIBC_VERSION"], stderr: "null" }).outputSync();
  const limit = new Deno.Command("sh", { args: ["-c", "ulimit -Hn"] }).outputSync();
  const hard = new TextDecoder().decode(limit.stdout).trim();
  return libc.success && (hard === "unlimited" || Number(hard) >= 3_100);
}

Deno.test({
  name:
    "the walk's environment has glibc keep what find frees: three folders of 3,000 descriptors fault far fewer pages",
  ignore: !canCountFindFaults(),
  fn: async () => {
    // find reads a folder's entries whole and frees them after it; without MALLOC_TRIM_THRESHOLD_ glibc gave that
    // memory back and each next folder faulted it in again (1,707 against 543 faults for four folders of 6,300).
    // Only that variable is left out of the second runs: LC_ALL=C alone saves ~6 % of the faults.
    const { stdout, stderr, success } = await new Deno.Command("python3", {
      args: [
        FIND_FAULTS,
        "3",
        "3000",
        "--without",
        "MALLOC_TRIM_THRESHOLD_",
        "--",
        "find",
        ...findSocketsArgs(["{folders}"]),
      ],
      env: { ...WALK_ENV },
    }).output();
    ok(success, new TextDecoder().decode(stderr));
    const faults = JSON.parse(new TextDecoder().decode(stdout)) as { with: number; without: number };
    ok(faults.with < faults.without * 0.7, JSON.stringify(faults));
  },
});
