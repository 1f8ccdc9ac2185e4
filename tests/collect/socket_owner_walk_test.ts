import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import {
  findSocketsArgs,
  OwnerWalkUnusable,
  renameAfterWalk,
  walkSocketOwners,
} from "../../lib/collect/socket_owner_walk.ts";
import { type RunTool, type ToolOutput, toolRunner } from "../../lib/collect/run_tool.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { hasTool } from "../open_sockets.ts";

const platform = denoPlatform();
const usable = Deno.build.os === "linux" && hasTool("find") && hasTool("ps") && hasTool("ss");

/** The inode of this process's TCP listener on `port`, as ss lists it. */
async function listenerInode(port: number): Promise<number> {
  const { stdout } = await new Deno.Command("ss", { args: ["-tlneH", `sport = :${port}`] }).output();
  const inode = /ino:(\d+)/.exec(new TextDecoder().decode(stdout))?.[1];
  if (inode === undefined) throw new Error(`ss does not list the listener on ${port}`);
  return Number(inode);
}

Deno.test({
  name:
    "walkSocketOwners names a real socket's process, and a process name with escapes and ')' stays one name",
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
      const walk = await walkSocketOwners(toolRunner(platform.programs));
      deepStrictEqual(walk.pids.pidOf(mine), Deno.pid);
      deepStrictEqual(walk.names.get(Deno.pid), Deno.readTextFileSync("/proc/self/comm").trimEnd());
      deepStrictEqual(walk.pids.pidOf(theirs), hostile.pid);
      // ps shows what it cannot print as '?'; the name is whole, past ')' and the space.
      deepStrictEqual(walk.names.get(hostile.pid), "?[31mx) y");
      deepStrictEqual(walk.skipped, []);
      ok(walk.pids.size >= 2);
    } finally {
      listener.close();
      await hostile.stdin.close();
      await hostile.status;
    }
  },
});

Deno.test("walkSocketOwners walks the descriptor folders of the processes ps -e listed, 4,096 to a find run, and names each", async () => {
  // 5,000 processes: two find runs, the second for the last 904 folders; each run prints its folders' sockets.
  const pids = Array.from({ length: 5_000 }, (_, i) => i + 2);
  const finds: string[][] = [];
  const run: RunTool = (command, args, options) => {
    if (command === "ps") {
      deepStrictEqual(args, ["-e", "-o", "pid=,comm="]);
      return Promise.resolve({
        stdout: pids.map((pid) => `${String(pid).padStart(5)} p${pid}\n`).join(""),
        stderr: "",
        code: 0,
      });
    }
    finds.push([...args]);
    const folders = args.filter((a) => a.startsWith("/proc/"));
    const text = folders.map((folder) => `${folder}\n${900_000 + Number(folder.split("/")[2])}\n`).join("");
    options?.onChunk?.(new TextEncoder().encode(text));
    // The last process exited after ps listed it.
    const gone = folders.includes("/proc/5001/fd");
    return Promise.resolve({
      stdout: "",
      stderr: gone ? "find: '/proc/5001/fd': No such file or directory" : "",
      code: gone ? 1 : 0,
    });
  };
  const walk = await walkSocketOwners(run);
  deepStrictEqual(finds.map((args) => args.filter((a) => a.startsWith("/proc/")).length), [4_096, 904]);
  deepStrictEqual(finds[0]!.slice(0, 3), ["-L", "/proc/2/fd", "/proc/3/fd"]);
  deepStrictEqual(finds[0]!.slice(-15), findSocketsArgs([]).slice(1));
  deepStrictEqual([walk.pids.pidOf(900_002), walk.pids.pidOf(905_001), walk.pids.size], [2, 5_001, 5_000]);
  deepStrictEqual([walk.names.get(2), walk.names.get(5_001), walk.unreadable], ["p2", "p5001", 1]);
});

/**
 * A ps that answers `-q` or `-p` for the pids asked for (one not asked for too, and not 7: it exited), `after` each,
 * and records each run's selection and pids; `quick` answers a run of `-q` instead.
 */
function psAsked(runs: [string, number][], quick?: ToolOutput): RunTool {
  return (command, args, options) => {
    deepStrictEqual([command, args.slice(0, 2), options?.okCodes], ["ps", ["-o", "pid=,comm="], [0, 1]]);
    const pids = args[3]!.split(",");
    runs.push([args[2]!, pids.length]);
    if (args[2] === "-q" && quick !== undefined) return Promise.resolve({ ...quick });
    const listed = [...pids.filter((pid) => pid !== "7"), "9999"].map((pid) => `${pid.padStart(5)} after\n`);
    return Promise.resolve({ stdout: listed.join(""), stderr: "", code: 0 });
  };
}

Deno.test("renameAfterWalk names the pids asked for again, 255 to a ps -q run, and only them; none asked, no run", async () => {
  // 600 owners, each given twice: three runs, the last for 90; 7 exited, and 9999 was not asked for.
  const owners = Array.from({ length: 600 }, (_, i) => i + 2);
  const names = new Map([...owners, 9_999].map((pid) => [pid, "before"]));
  const runs: [string, number][] = [];
  await renameAfterWalk(psAsked(runs), names, [...owners, ...owners]);
  deepStrictEqual(runs, [["-q", 255], ["-q", 255], ["-q", 90]]);
  deepStrictEqual([2, 7, 601, 9_999].map((pid) => names.get(pid)), ["after", "before", "after", "before"]);
  runs.length = 0;
  await renameAfterWalk(psAsked(runs), names, []);
  deepStrictEqual(runs, []);
});

Deno.test("renameAfterWalk asks with ps -p, 4,096 pids to a run, when ps refuses -q; not when -q lists none of them", async () => {
  const owners = Array.from({ length: 5_000 }, (_, i) => i + 2);
  const names = new Map(owners.map((pid) => [pid, "before"]));
  const runs: [string, number][] = [];
  const refused = { stdout: "", stderr: "error: unsupported SysV option\n\nUsage:\n ps [options]", code: 1 };
  await renameAfterWalk(psAsked(runs, refused), names, owners);
  deepStrictEqual(runs, [["-q", 255], ["-p", 4_096], ["-p", 904]]);
  deepStrictEqual([2, 7, 5_001].map((pid) => names.get(pid)), ["after", "before", "after"]);
  // Exit 1 without a word: every pid asked for has exited. Their first names stay, and -p is not tried.
  runs.length = 0;
  await renameAfterWalk(psAsked(runs, { stdout: "", stderr: "", code: 1 }), names, [7, 8]);
  deepStrictEqual(runs, [["-q", 2]]);
});

Deno.test({
  name:
    "renameAfterWalk names a real process with the real ps -q, 255 pids to a run (the most procps-ng selects)",
  ignore: Deno.build.os !== "linux" || !hasTool("ps"),
  fn: async () => {
    // This process among 299 pids no process can have (above the kernel's PID_MAX_LIMIT, 4,194,304).
    const pids = [Deno.pid, ...Array.from({ length: 299 }, (_, i) => 4_194_305 + i)];
    const names = new Map([[Deno.pid, "before"]]);
    const real = toolRunner(platform.programs);
    const selected: string[] = [];
    await renameAfterWalk(
      (command, args, options) => {
        selected.push(`${args[2]} ${args[3]!.split(",").length}`);
        return real(command, args, options);
      },
      names,
      pids,
    );
    // Neither run refused -q (that would have been asked again with -p).
    deepStrictEqual(selected, ["-q 255", "-q 45"]);
    deepStrictEqual(names.get(Deno.pid), Deno.readTextFileSync("/proc/self/comm").trimEnd());
  },
});

for (
  const [why, ps] of [
    ["refuses -e (exit 1 with a usage message)", {
      stdout: "",
      stderr: "ps: unrecognized option: e",
      code: 1,
    }],
    ["exits 1 without a word", { stdout: "", stderr: "", code: 1 }],
    ["lists no process", { stdout: "\n", stderr: "", code: 0 }],
  ] as const
) {
  Deno.test(`walkSocketOwners gives up (the caller runs ss -p) when ps ${why}, before any find`, async () => {
    let found = 0;
    const run: RunTool = (command) => {
      if (command === "find") found++;
      return Promise.resolve(command === "ps" ? { ...ps } : { stdout: "", stderr: "", code: 0 });
    };
    await rejects(() => walkSocketOwners(run), OwnerWalkUnusable);
    deepStrictEqual(found, 0);
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
