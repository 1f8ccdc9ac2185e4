/**
 * The monitor a user runs, measured whole: `conntrail monitor -t 1` in scroll mode with history
 * on, started as a process under the flags `permissions --flags monitor` prints, from the file
 * `deno task start` runs (the bundle, dist/js/conntrail.js, built first), against a
 * loopback socket farm, beside two baselines run in the same session, alternating:
 *
 *   - psutil: bench/_psutil_timeline.py, what the earlier psutil timeline tool did per tick,
 *     on Debian's python3-psutil (/usr/bin/python3; installed by the bench when absent);
 *   - ss:     `ss -tunap` once a second.
 *
 * For each process: start to first line, CPU per tick (own, waited-for and live children, from
 * /proc/<pid>/stat, over MEASURE_S seconds after a settling period) and peak RSS (VmHWM), with its live
 * children's resident MiB at the end (the monitor's `ss -E`) beside it; run as root, also how much of theirs is
 * in pages the process does not map itself (shared libraries such as libc are resident once for both, but
 * counted in each one's RSS): what the child adds to the machine's memory.
 * Sizes: BENCH_SIZES (default "1000,10000") TCP connections plus a tenth as many UDP sockets;
 * BENCH_ROUNDS rounds (default 2). The farm and every contender run in a network namespace of the
 * bench's own when it can make one (root; see _netns.ts), one per size, so other programs' sockets (and the
 * TIME-WAIT sockets an earlier size left) do not count.
 * BENCH_CHURN=N: while each contender is measured, N loopback connections open and N close a second
 * in the namespace (bench/_churn.py; each lives 2 s), so every poll sees new sockets.
 * BENCH_COMPARE=DIR adds the monitor of another checkout (say a worktree of main), alternating with
 * this one, so a change is measured against its baseline in the same run. The load average is
 * printed beside each figure (the machine may be shared).
 *
 * With a namespace, a floor is measured too: the programs the monitor reads an empty namespace with in scroll
 * mode, once a second: one `cat` of /proc/net's sockstat, sockstat6, udp, udp6, tcp and tcp6, and every 10th
 * second the four first and `ss -taiD - -4` instead (the counters' reading). Until 3176024 it was two ss runs
 * a second (`ss -uaneH -s`, `ss -taiD - -4`). The kernel keeps one TCP table for every namespace and a
 * dump walks all of it, skipping other namespaces' sockets one by one: on a machine whose other
 * namespaces hold tens of thousands of sockets (other benches' farms) that walk, not the bench's
 * sockets, is most of a 1k tick's children. The TCP sockets of the whole machine (every
 * namespace, /proc/net/sockstat `alloc`) are printed beside each figure.
 * BENCH_ONLY=conntrail,conntrail@base measures only the contenders named (more rounds of a change against its base
 * in the same time; the ratios to psutil and ss then need a run with them).
 * BENCH_CGROUPS=N adds N empty cgroup folders for the run (root; bench/_cgroups.ts): `ss -e`, which the monitor's
 * UDP reading runs each tick, walks every cgroup folder of the machine, and a systemd host has one for every
 * service, scope and slice where this machine has almost none.
 * BENCH_SETTLE_S (default 3): seconds between the first line and the measurement. V8 goes on
 * compiling the tick's functions for about a minute (a 1k tick calls them a few thousand times), so
 * short settles include that (measured at 1k: own CPU 15-17 ms/s in the first 20 s, 10-13 after 60 s).
 */
import { addCgroups } from "./_cgroups.ts";
import { onInterrupt } from "./_interrupt.ts";
import { benchNetns, type Wrap } from "./_netns.ts";
import { startSocketFarm } from "./_socket_farm.ts";
import { printedFlags } from "./_printed_flags.ts";

const SIZES = (Deno.env.get("BENCH_SIZES") ?? "1000,10000").split(",").map(Number);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 2);
const SETTLE_S = Number(Deno.env.get("BENCH_SETTLE_S") ?? 3);
const MEASURE_S = Number(Deno.env.get("BENCH_MEASURE_S") ?? 10);
const CLK_TCK = 100;
const CHURN = Number(Deno.env.get("BENCH_CHURN") ?? 0);
const CGROUPS = Number(Deno.env.get("BENCH_CGROUPS") ?? 0);
const CHURN_SCRIPT = new URL("./_churn.py", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;
const PSUTIL_SCRIPT = new URL("./_psutil_timeline.py", import.meta.url).pathname;

interface Sample {
  firstLineS: number;
  cpuPerTickS: number;
  peakRssMiB: number;
  /** Resident MiB of the process's live children at the end (the monitor's `ss -E`), apart from its peak. */
  childrenRssMiB: number;
  /**
   * Of those, the MiB in pages the process itself does not map at that moment (libc, ld.so... are one page
   * for both); null where page frames cannot be read (not root).
   */
  childrenOwnMiB: number | null;
  /** The 1-minute load average at the end of the measurement. */
  load: number;
  /** TCP sockets on the whole machine (every namespace) at the end of the measurement. */
  machineTcp: number;
}

function loadAverage(): number {
  return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
}

/** TCP sockets allocated on the machine, every namespace counted (the count is global). */
function machineTcpSockets(): number {
  return Number(/TCP: .*alloc (\d+)/.exec(Deno.readTextFileSync("/proc/net/sockstat"))?.[1] ?? NaN);
}

/** The fields of /proc/<pid>/stat after the command's name (field 3 first), or null once it is gone. */
function statFields(pid: number): string[] | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** The live descendants of `pid` (children, their children...), read from every process's parent pid. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    const child = Number(entry.name);
    if (!Number.isInteger(child)) continue;
    const parent = Number(statFields(child)?.[1]);
    if (Number.isInteger(parent)) children.set(parent, [...children.get(parent) ?? [], child]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = children.get(queue.pop()!) ?? [];
    found.push(...next);
    queue.push(...next);
  }
  return found;
}

/**
 * CPU seconds of `pid` and its whole tree: its own, its reaped children's (cutime, cstime), and the live
 * descendants' (a long-lived child such as the monitor's `ss -E` is in no cutime until it ends). A child that ends
 * between two readings moves its whole time into its parent's cutime, so a difference of two readings is the
 * tree's CPU between them.
 */
function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const member of [pid, ...descendants(pid)]) {
    const fields = statFields(member);
    // utime, stime, cutime, cstime are fields 14-17 of stat; here counted from field 3.
    if (fields !== null) ticks += [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0);
  }
  return ticks / CLK_TCK;
}

/** Resident MiB of the live descendants of `pid` now (the monitor's long-lived `ss -E`, a tracer...). */
function descendantsRssMiB(pid: number): number {
  let kib = 0;
  for (const member of descendants(pid)) {
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${member}/status`))?.[1] ?? 0);
    } catch {
      // Ended since it was listed.
    }
  }
  return kib / 1024;
}

/**
 * The physical page frames `pid` has resident (/proc/<pid>/pagemap; only root reads the frame numbers, others
 * read zeros: null then). Only mappings with resident pages are read (V8 reserves gigabytes it never touches).
 */
function pageFrames(pid: number): Set<number> | null {
  const frames = new Set<number>();
  const ranges: [number, number][] = [];
  let range: [number, number] | null = null;
  for (const line of Deno.readTextFileSync(`/proc/${pid}/smaps`).split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (head !== null) range = [parseInt(head[1]!, 16), parseInt(head[2]!, 16)];
    else if (range !== null && line.startsWith("Rss:") && !/^Rss:\s+0 kB/.test(line)) ranges.push(range);
  }
  const file = Deno.openSync(`/proc/${pid}/pagemap`);
  try {
    for (const [from, to] of ranges) {
      // The vsyscall page (above the 47-bit user space) has no entry.
      if (from >= 2 ** 47) continue;
      const bytes = new Uint8Array(((to - from) / 4096) * 8);
      file.seekSync((from / 4096) * 8, Deno.SeekMode.Start);
      let read = 0;
      while (read < bytes.length) {
        const n = file.readSync(bytes.subarray(read));
        if (n === null || n === 0) break;
        read += n;
      }
      const view = new DataView(bytes.buffer, 0, read - (read % 8));
      for (let at = 0; at < view.byteLength; at += 8) {
        const high = view.getUint32(at + 4, true);
        // Bit 63: present; bits 0-54: the frame number.
        if ((high & 0x80000000) === 0) continue;
        const frame = (high & 0x7fffff) * 2 ** 32 + view.getUint32(at, true);
        if (frame === 0) return null;
        frames.add(frame);
      }
    }
  } finally {
    file.close();
  }
  return frames;
}

/** MiB of the live descendants' resident pages that `pid` does not map itself now; null when unreadable. */
function descendantsOwnMiB(pid: number): number | null {
  try {
    const own = pageFrames(pid);
    if (own === null) return null;
    const theirs = new Set<number>();
    for (const member of descendants(pid)) {
      try {
        for (const frame of pageFrames(member) ?? []) if (!own.has(frame)) theirs.add(frame);
      } catch {
        // Ended since it was listed.
      }
    }
    return (theirs.size * 4096) / 2 ** 20;
  } catch {
    return null;
  }
}

function peakRssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kib / 1024;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Start `command`, wait for its first stdout line, then measure CPU per second and peak RSS. */
async function measureProcess(
  given: string,
  givenArgs: string[],
  env: Record<string, string>,
  cwd = ROOT,
  wrap: Wrap = netns.wrap,
): Promise<Sample> {
  const [command, args] = wrap(given, givenArgs);
  const started = performance.now();
  const child = new Deno.Command(command, { args, env, stdout: "piped", stderr: "null", cwd }).spawn();
  const forget = onInterrupt(() => child.kill("SIGKILL"));
  const reader = child.stdout.getReader();
  let firstLineS = NaN;
  const drain = (async () => {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      if (Number.isNaN(firstLineS) && value.includes(10)) firstLineS = (performance.now() - started) / 1000;
    }
  })();
  let exited = false;
  child.status.then(() => exited = true);
  while (Number.isNaN(firstLineS)) {
    if (exited) throw new Error(`${given} ${givenArgs.join(" ")} ended before its first line`);
    await delay(10);
  }
  const churn = CHURN > 0 ? await startChurn() : null;
  await delay(SETTLE_S * 1000);
  const cpu0 = treeCpuSeconds(child.pid);
  const t0 = performance.now();
  await delay(MEASURE_S * 1000);
  const cpu1 = treeCpuSeconds(child.pid);
  const seconds = (performance.now() - t0) / 1000;
  const rss = peakRssMiB(child.pid);
  const childrenRss = descendantsRssMiB(child.pid);
  const childrenOwn = childrenRss > 0 ? descendantsOwnMiB(child.pid) : null;
  await churn?.stop();
  forget();
  // Its long-lived children too (the monitor's ss -E): left behind by a SIGKILL, one waits in the bench's deleted
  // namespace for a write that never fails (seen: other runs' orphans, idle but never ending).
  const children = descendants(child.pid);
  child.kill("SIGKILL");
  for (const pid of children) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  await child.status;
  await drain.catch(() => {});
  return {
    firstLineS,
    cpuPerTickS: (cpu1 - cpu0) / seconds,
    peakRssMiB: rss,
    childrenRssMiB: childrenRss,
    childrenOwnMiB: childrenOwn,
    load: loadAverage(),
    machineTcp: machineTcpSockets(),
  };
}

/** bench/_churn.py in the namespace, once its listener is up. */
async function startChurn(): Promise<{ stop(): Promise<void> }> {
  const [command, args] = netns.wrap("/usr/bin/python3", [CHURN_SCRIPT, String(CHURN)]);
  const child = new Deno.Command(command, { args, stdout: "piped", stderr: "inherit" }).spawn();
  const forget = onInterrupt(() => child.kill("SIGTERM"));
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  if (value === undefined || !new TextDecoder().decode(value).includes("started")) {
    throw new Error("bench/_churn.py ended before it started");
  }
  reader.releaseLock();
  return {
    async stop() {
      forget();
      child.kill("SIGTERM");
      await child.status;
      await child.stdout.cancel().catch(() => {});
    },
  };
}

function conntrailFlags(env: Record<string, string>, cwd = ROOT): Promise<string[]> {
  return printedFlags("main.ts", ["monitor"], { runFlags: ["--allow-env"], cwd, env });
}

async function ensurePsutil(): Promise<void> {
  const probe = await new Deno.Command("/usr/bin/python3", { args: ["-c", "import psutil"] }).output();
  if (probe.success) return;
  const install = await new Deno.Command("apt-get", {
    args: ["install", "-y", "-qq", "python3-psutil"],
    env: { DEBIAN_FRONTEND: "noninteractive" },
  }).output();
  if (!install.success) throw new Error("cannot install python3-psutil with apt-get");
}

await ensurePsutil();
const dataDir = await Deno.makeTempDir({ prefix: "conntrail-bench-" });
onInterrupt(() => Deno.removeSync(dataDir, { recursive: true }));
// As `deno task start` runs it: without Deno's background check for a newer Deno.
const conntrailEnv = { XDG_DATA_HOME: dataDir, HOME: dataDir, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
// The flags for this data directory: the history file lives under it.
const flags = await conntrailFlags(conntrailEnv);
const COMPARE = Deno.env.get("BENCH_COMPARE");
const compareFlags = COMPARE === undefined ? [] : await conntrailFlags(conntrailEnv, COMPARE);
let netns = benchNetns();
/** A namespace with no socket, for the floor (none when the farm's namespace could not be made). */
const emptyNetns = netns.name === null ? null : benchNetns("empty");
console.log(
  `monitor bench: ${netns.name === null ? "no network namespace (not root?)" : `in netns ${netns.name}`}`,
);
/**
 * Each monitor run starts without the history of an earlier one (`conntrail/` under the data directory; the
 * directory also holds Deno's cache, since HOME points there).
 */
async function emptyDataDir(): Promise<void> {
  await Deno.remove(`${dataDir}/conntrail`, { recursive: true }).catch(() => {});
}

/**
 * What a checkout's `deno task start` runs: the Deno flags it gives before the permission flags
 * (`--no-config --unstable-raw-imports`) and the file its last word names (dist/js/conntrail.js, the
 * bundle, built here as the task builds it; main.ts in a checkout from before the bundle).
 */
async function startEntry(cwd: string): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${cwd}/deno.json`)) as { tasks: Record<string, string> };
  const start = config.tasks.start ?? "";
  if (start.startsWith("deno task bundle &&")) {
    const built = await new Deno.Command(Deno.execPath(), { args: ["task", "bundle"], cwd, stderr: "piped" })
      .output();
    if (!built.success) {
      throw new Error(`deno task bundle in ${cwd} failed: ${new TextDecoder().decode(built.stderr).trim()}`);
    }
  }
  const flags = /deno run ((?:--[\w-]+ )*)\$\(/.exec(start)?.[1]?.trim().split(" ").filter((f) => f !== "") ??
    [];
  return [...flags, start.trim().split(/\s+/).at(-1) ?? "main.ts"];
}

const entries = new Map<string, string[]>();

/** The monitor of the checkout at `cwd` under its flags, as `deno task start` starts it. */
async function monitor(flagsThere: string[], cwd: string): Promise<Sample> {
  await emptyDataDir();
  return await measureProcess(
    Deno.execPath(),
    ["run", ...flagsThere, ...entries.get(cwd) ?? ["main.ts"], "monitor", "-t", "1", "--scroll"],
    conntrailEnv,
    cwd,
  );
}

/**
 * One short run of a checkout's monitor before anything is measured. The first run in a fresh DENO_DIR (the
 * bench's, under its data directory) transpiles every module and writes V8's code cache: at 1k it peaked at
 * 79.6 MiB against 74.6 for the next run, first line 2.84 s against 0.67 (fixed21, 12:25). That is what an
 * install's first start costs, not the monitor; measured, it was the "peak" and "first line" of every size.
 */
async function warmUp(flagsThere: string[], cwd: string): Promise<void> {
  await emptyDataDir();
  const entry = await startEntry(cwd);
  entries.set(cwd, entry);
  console.log(`monitor of ${cwd}: deno run ${entry.join(" ")} (and the printed permission flags)`);
  const [command, args] = (emptyNetns ?? netns).wrap(
    Deno.execPath(),
    ["run", ...flagsThere, ...entry, "monitor", "-t", "1", "--scroll", "--count", "2"],
  );
  const output = await new Deno.Command(command, {
    args,
    env: conntrailEnv,
    cwd,
    stdout: "null",
    stderr: "piped",
  })
    .output();
  if (!output.success) {
    throw new Error(`the warm-up run in ${cwd} failed: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
}

/** The floor's reading of a second: /proc's tables through one cat; every 10th, UDP's and the counters' dump. */
const PROC_NET = "/proc/net/sockstat /proc/net/sockstat6 /proc/net/udp /proc/net/udp6";
const FLOOR_ROWS = `cat ${PROC_NET} /proc/net/tcp /proc/net/tcp6 >/dev/null`;
const FLOOR_COUNTERS = `cat ${PROC_NET} >/dev/null; ss -taiD - -4 >/dev/null`;

const allContenders: Record<string, () => Promise<Sample>> = {
  conntrail: () => monitor(flags, ROOT),
  ...(COMPARE === undefined ? {} : { "conntrail@base": () => monitor(compareFlags, COMPARE) }),
  psutil: () => measureProcess("/usr/bin/python3", [PSUTIL_SCRIPT, "1"], {}),
  "ss -tunap": () =>
    measureProcess("sh", ["-c", "echo started; while :; do ss -tunap >/dev/null; sleep 1; done"], {}),
  ...(emptyNetns === null ? {} : {
    "floor": () =>
      measureProcess(
        "sh",
        [
          "-c",
          `echo started; i=0; while :; do i=$((i + 1)); if [ $((i % 10)) = 1 ]; then ${FLOOR_COUNTERS}; ` +
          `else ${FLOOR_ROWS}; fi; sleep 1; done`,
        ],
        {},
        ROOT,
        emptyNetns.wrap,
      ),
  }),
};

const ONLY = Deno.env.get("BENCH_ONLY")?.split(",");
const contenders = ONLY === undefined
  ? allContenders
  : Object.fromEntries(Object.entries(allContenders).filter(([name]) => ONLY.includes(name)));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

const cgroups = CGROUPS > 0 ? addCgroups(CGROUPS) : null;
if (cgroups !== null) {
  console.log(`monitor bench: ${cgroups.count} extra cgroup folders under ${cgroups.mount}`);
}
try {
  await warmUp(flags, ROOT);
  if (COMPARE !== undefined) await warmUp(compareFlags, COMPARE);
  for (const [index, size] of SIZES.entries()) {
    // A namespace per size: a stopped farm's connections sit in TIME-WAIT for a minute and would be read with
    // the next size (20,000 of them after the 10k farm).
    if (index > 0) {
      netns.remove();
      netns = benchNetns();
    }
    const farm = await startSocketFarm(size, Math.round(size / 10), netns.wrap);
    const samples: Record<string, Sample[]> = {};
    try {
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, run] of Object.entries(contenders)) {
          (samples[name] ??= []).push(await run());
        }
      }
    } finally {
      farm.stop();
    }
    const summary = Object.fromEntries(
      Object.entries(samples).map(([name, list]) => [name, {
        cpu: median(list.map((s) => s.cpuPerTickS)),
        rss: Math.max(...list.map((s) => s.peakRssMiB)),
        rssRuns: list.map((s) => s.peakRssMiB.toFixed(1)).join(" "),
        childrenRss: Math.max(...list.map((s) => s.childrenRssMiB)),
        childrenOwn: list.some((s) => s.childrenOwnMiB === null)
          ? null
          : Math.max(...list.map((s) => s.childrenOwnMiB!)),
        first: median(list.map((s) => s.firstLineS)),
        runs: list.map((s) => s.cpuPerTickS.toFixed(3)).join(" "),
        loads: list.map((s) => s.load.toFixed(1)).join(" "),
        machine: list.map((s) => (s.machineTcp / 1000).toFixed(0)).join(" "),
      }]),
    );
    console.log(
      `\n${size.toLocaleString("en")} TCP connections + ${Math.round(size / 10)} UDP, -t 1${
        CHURN > 0 ? `, ${CHURN} opened + ${CHURN} closed a second` : ""
      }:`,
    );
    for (const [name, s] of Object.entries(summary)) {
      console.log(
        `  ${name.padEnd(14)} CPU/tick ${
          s.cpu.toFixed(3)
        } s (runs ${s.runs}; load ${s.loads}; machine's TCP sockets ${s.machine} k)  peak RSS ${
          s.rss.toFixed(0)
        } MiB (runs ${s.rssRuns})${
          s.childrenRss > 0
            ? ` + live children ${s.childrenRss.toFixed(1)} MiB${
              s.childrenOwn === null
                ? ""
                : ` (${s.childrenOwn.toFixed(1)} of it in pages the process does not map)`
            }`
            : ""
        }  first line ${s.first.toFixed(2)} s`,
      );
    }
    if (summary.floor !== undefined) {
      console.log(
        "  floor: the monitor's reading programs once a second in an empty namespace (the kernel's walk of the",
      );
      console.log("  machine's other sockets and starting the programs; every poller here pays it)");
    }
    for (const name of ["conntrail", "conntrail@base"]) {
      const s = summary[name];
      if (s === undefined || summary.psutil === undefined || summary["ss -tunap"] === undefined) continue;
      console.log(
        `  ratios: ${name}/psutil ${(s.cpu / summary.psutil!.cpu).toFixed(2)}, ${name}/ss ${
          (s.cpu / summary["ss -tunap"]!.cpu).toFixed(2)
        }`,
      );
    }
  }
} finally {
  cgroups?.remove();
  netns.remove();
  emptyNetns?.remove();
  await Deno.remove(dataDir, { recursive: true });
}
