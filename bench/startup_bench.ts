/**
 * What starting conntrail costs, measured whole, beside the floor of an empty Deno script run
 * under the same flags: `--version`, `snapshot` (table and `--format json`) and the monitor
 * (`--scroll -t 1`, history on) at BENCH_CONNECTIONS loopback connections (default 1,000, plus a
 * tenth as many UDP sockets) in a network namespace of the bench's own (see _netns.ts). Each
 * runs under the flags `permissions --flags <command>` prints for a data directory of the bench's.
 *
 * One-shot runs: CPU (user + system, own plus waited-for children such as `ss`) and peak RSS from
 * GNU time, and wall time to the first line of stdout. The monitor: CPU (own plus children, from
 * /proc/<pid>/stat) and peak RSS (VmHWM) when its first line arrives, wall time to it, and peak
 * RSS again after BENCH_MONITOR_S seconds (default 5).
 *
 * BENCH_MAINS compares checkouts in one run, alternating: `before=/path/to/old/main.ts,after=main.ts`
 * (default: this checkout's main.ts only). BENCH_ROUNDS rounds (default 5); medians are printed,
 * with the load average before and after. BENCH_ONLY (a regular expression) picks contenders by name.
 *
 *   deno run --allow-all bench/startup_bench.ts
 */
import { fileURLToPath } from "node:url";
import { benchNetns } from "./_netns.ts";
import { startSocketFarm } from "./_socket_farm.ts";
import { hasGnuTime } from "./_process_cost.ts";
import { printedFlags } from "./_printed_flags.ts";

const CONNECTIONS = Number(Deno.env.get("BENCH_CONNECTIONS") ?? 1000);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 5);
const MONITOR_S = Number(Deno.env.get("BENCH_MONITOR_S") ?? 5);
const CLK_TCK = 100;
const HERE = fileURLToPath(new URL("../main.ts", import.meta.url));
const MAINS: [string, string][] = (Deno.env.get("BENCH_MAINS") ?? `main=${HERE}`).split(",").map((pair) => {
  const [name = "", path = ""] = pair.split("=");
  return [name, path];
});

interface Sample {
  /** Wall time from spawn to the first line of stdout. */
  firstLineS: number;
  /** One-shot: the whole run; monitor: up to its first line. Own plus children. */
  cpuS: number;
  /** One-shot: the whole run; monitor: at its first line. */
  peakRssMiB: number;
  /** Monitor only: peak RSS after MONITOR_S seconds. */
  laterRssMiB?: number;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function loadAverage(): string {
  return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
}

function procCpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0) / CLK_TCK;
}

function vmHwmMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

/** Run a one-shot command under GNU time; its stdout is read to the end. */
async function oneShot(command: string, args: string[], env: Record<string, string>): Promise<Sample> {
  const report = await Deno.makeTempFile();
  try {
    const [wrapped, wrappedArgs] = netns.wrap(command, args);
    const started = performance.now();
    const child = new Deno.Command("/usr/bin/time", {
      args: ["-f", "%U %S %M", "-o", report, wrapped, ...wrappedArgs],
      env,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    let firstLineS = NaN;
    for await (const chunk of child.stdout) {
      if (Number.isNaN(firstLineS) && chunk.includes(10)) firstLineS = (performance.now() - started) / 1000;
    }
    const status = await child.status;
    if (!status.success) throw new Error(`${args.join(" ")} exited with ${status.code}: ${await stderr}`);
    await stderr;
    const [user = NaN, system = NaN, rssKiB = NaN] = (await Deno.readTextFile(report)).trim().split("\n")
      .at(-1)!.split(" ").map(Number);
    return { firstLineS, cpuS: user + system, peakRssMiB: rssKiB / 1024 };
  } finally {
    await Deno.remove(report);
  }
}

/** Run the monitor until its first line, then MONITOR_S seconds more; SIGINT ends it. */
async function monitor(args: string[], env: Record<string, string>): Promise<Sample> {
  const [wrapped, wrappedArgs] = netns.wrap(Deno.execPath(), args);
  const started = performance.now();
  const child = new Deno.Command(wrapped, {
    args: wrappedArgs,
    env,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  let first: Sample | null = null;
  const drain = (async () => {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      if (first === null && value.includes(10)) {
        const firstLineS = (performance.now() - started) / 1000;
        first = { firstLineS, cpuS: procCpuSeconds(child.pid), peakRssMiB: vmHwmMiB(child.pid) };
      }
    }
  })();
  while (first === null) await delay(5);
  await delay(MONITOR_S * 1000);
  const sample: Sample = { ...(first as Sample), laterRssMiB: vmHwmMiB(child.pid) };
  child.kill("SIGINT");
  await child.status;
  await drain.catch(() => {});
  return sample;
}

function permissionFlags(main: string, command: string, env: Record<string, string>): Promise<string[]> {
  return printedFlags(main, [command], { runFlags: ["--allow-env"], env });
}

function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** CPU times come in clock ticks (10 ms): over many rounds the mean resolves less than a tick. */
function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

if (!hasGnuTime()) {
  console.log("startup bench: skipped, it needs GNU time (/usr/bin/time; apt-get install time)");
  Deno.exit(0);
}
const dataDir = await Deno.makeTempDir({ prefix: "conntrail-startup-" });
const empty = `${dataDir}/empty.ts`;
const capture = `${dataDir}/ss.txt`;
await Deno.writeTextFile(empty, "\n");
// HOME moves the data directory; DENO_DIR keeps Deno's module cache where it is.
const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;
const env = { XDG_DATA_HOME: dataDir, HOME: dataDir, DENO_DIR: denoDir, NO_COLOR: "1" };
const netns = benchNetns();

const contenders: [string, () => Promise<Sample>][] = [];
const snapshotFlags = await permissionFlags(HERE, "snapshot", env);
const monitorFlags = await permissionFlags(HERE, "monitor", env);
const deno = Deno.execPath();
// The floors: an empty script, alone and with the project's deno.json (its npm imports cost ~3 MB at start
// whether used or not; main.ts always runs with it).
const config = fileURLToPath(new URL("../deno.json", import.meta.url));
contenders.push(["floor: empty script", () => oneShot(deno, ["run", ...snapshotFlags, empty], env)]);
contenders.push([
  "floor: empty script, deno.json",
  () => oneShot(deno, ["run", ...snapshotFlags, "--config", config, empty], env),
]);
contenders.push([
  "floor: empty script, deno.json, monitor flags",
  () => oneShot(deno, ["run", ...monitorFlags, "--config", config, empty], env),
]);
for (const [name, main] of MAINS) {
  // Each checkout under its own flags: they differ in V8 flags across checkouts (--max-opt=2 from stop 36 on).
  const mainSnapshotFlags = await permissionFlags(main, "snapshot", env);
  const mainMonitorFlags = await permissionFlags(main, "monitor", env);
  // A capture needs none of the snapshot's permissions; its V8 flags are the snapshot's (one code cache entry).
  const v8Flags = mainSnapshotFlags.filter((flag) => flag.startsWith("--v8-flags="));
  contenders.push([
    `${name} --version`,
    () => oneShot(deno, ["run", ...mainSnapshotFlags, main, "--version"], env),
  ]);
  contenders.push([
    `${name} snapshot`,
    () => oneShot(deno, ["run", ...mainSnapshotFlags, main, "snapshot"], env),
  ]);
  contenders.push([
    `${name} snapshot --format json`,
    () => oneShot(deno, ["run", ...mainSnapshotFlags, main, "snapshot", "--format", "json"], env),
  ]);
  // The same sockets from a capture: conntrail's own cost, without ss's walk of every process's descriptors.
  contenders.push([
    `${name} snapshot --input (capture) --format json`,
    () =>
      oneShot(deno, [
        "run",
        `--allow-read=${capture}`,
        ...v8Flags,
        main,
        "snapshot",
        "--collector",
        "ss",
        "--input",
        capture,
        "--format",
        "json",
      ], env),
  ]);
  contenders.push([
    `${name} monitor --scroll -t 1`,
    () => monitor(["run", ...mainMonitorFlags, main, "monitor", "--scroll", "-t", "1"], env),
  ]);
}

// BENCH_ONLY: a regular expression; only the contenders whose names match run (the floors always do).
const only = new RegExp(Deno.env.get("BENCH_ONLY") ?? "");
contenders.splice(
  0,
  contenders.length,
  ...contenders.filter(([name]) => name.startsWith("floor") || only.test(name)),
);

const loadBefore = loadAverage();
const samples = new Map<string, Sample[]>();
const farm = await startSocketFarm(CONNECTIONS, Math.round(CONNECTIONS / 10), netns.wrap);
// Interrupted, it still stops its farm and removes its namespace.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    farm.stop();
    netns.remove();
    Deno.exit(130);
  });
}
try {
  const [ss, ssArgs] = netns.wrap("ss", ["-tunapH"]);
  await Deno.writeFile(
    capture,
    (await new Deno.Command(ss, { args: ssArgs, stdout: "piped" }).output()).stdout,
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of contenders) {
      const list = samples.get(name) ?? [];
      list.push(await run());
      samples.set(name, list);
    }
  }
} finally {
  farm.stop();
  netns.remove();
  await Deno.remove(dataDir, { recursive: true });
}
console.log(
  `start-up at ${CONNECTIONS.toLocaleString("en")} TCP connections + ${Math.round(CONNECTIONS / 10)} UDP, ` +
    `${netns.name === null ? "no network namespace" : "own network namespace"}, ${ROUNDS} rounds, medians; ` +
    `load average ${loadBefore} before, ${loadAverage()} after`,
);
for (const [name, list] of samples) {
  const later = list.some((s) => s.laterRssMiB !== undefined)
    ? `  peak RSS after ${MONITOR_S} s ${median(list.map((s) => s.laterRssMiB ?? NaN)).toFixed(1)} MiB`
    : "";
  console.log(
    `  ${name.padEnd(40)} CPU ${median(list.map((s) => s.cpuS)).toFixed(2)} s (mean ${
      mean(list.map((s) => s.cpuS)).toFixed(3)
    })  peak RSS ${median(list.map((s) => s.peakRssMiB)).toFixed(1)} MiB  first line ${
      median(list.map((s) => s.firstLineS)).toFixed(2)
    } s${later}`,
  );
}
