/**
 * What `--trace` costs, measured whole, beside polling alone in the same run:
 * `conntrail monitor -t 1 --scroll --store none` with and without `--trace`,
 * started under the flags `permissions --flags` prints, in a network namespace
 * of the bench's own (so that other sockets on the machine do not weigh on
 * `ss`), while bench/_connect_load.py opens 0 (idle) or 500 connections a
 * second in it. Alternating, ROUNDS rounds, medians reported:
 *
 *   - start-up: spawn to the first poll's line (with --trace, bpftrace has compiled and attached by then,
 *     and when it said so is shown too);
 *   - CPU: the monitor's own, its finished children's (ss, find) and its live ones' (bpftrace), per second;
 *   - load: the load generator's CPU per second — the in-kernel cost of the BPF programs runs in the
 *     context of the process whose connect, accept or close triggers them, so it shows there.
 *
 * Needs Linux, root, bpftrace and `ip`; says so and measures nothing otherwise.
 */

import { printedFlags } from "./_printed_flags.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const LOAD = new URL("./_connect_load.py", import.meta.url).pathname;
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 2);
const SETTLE_S = 3;
const MEASURE_S = Number(Deno.env.get("BENCH_MEASURE_S") ?? 10);
const CLK_TCK = 100;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function stat(pid: number): string[] | null {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** CPU seconds of a process: own (utime+stime), and its waited-for children's (cutime+cstime). */
function cpu(pid: number): { own: number; children: number } {
  const fields = stat(pid);
  if (fields === null) return { own: 0, children: 0 };
  return {
    own: (Number(fields[11]) + Number(fields[12])) / CLK_TCK,
    children: (Number(fields[13]) + Number(fields[14])) / CLK_TCK,
  };
}

/** Live descendants of a process. */
function descendants(pid: number): number[] {
  const found: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = [...Deno.readDirSync(`/proc/${pid}/task`)].map((entry) => entry.name);
  } catch {
    return found;
  }
  for (const task of tasks) {
    let children = "";
    try {
      children = Deno.readTextFileSync(`/proc/${pid}/task/${task}/children`);
    } catch {
      continue;
    }
    for (const child of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
      found.push(child, ...descendants(child));
    }
  }
  return found;
}

async function run(command: string[]): Promise<void> {
  const [program = "", ...args] = command;
  const output = await new Deno.Command(program, { args, stdout: "null", stderr: "piped" }).output();
  if (!output.success) throw new Error(`${command.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
}

interface Sample {
  startS: number;
  /** Spawn to the line saying bpftrace is attached (NaN without --trace). */
  attachedS: number;
  monitorCpu: number;
  tracerCpu: number;
  loadCpu: number;
  /** Connections a second the generator made while measured. */
  rate: number;
}

function flagsFor(args: string[]): Promise<string[]> {
  return printedFlags("main.ts", args, { runFlags: ["--allow-env"], cwd: ROOT });
}

/** One measurement: the load at `rate`, the monitor with or without --trace. */
async function measure(namespace: string, rate: number, trace: boolean): Promise<Sample> {
  const inNamespace = (command: string[]) => [
    "ip",
    "netns",
    "exec",
    namespace,
    "sh",
    "-c",
    'mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing; exec "$@"',
    "sh",
    ...command,
  ];
  const [loadProgram = "", ...loadArgs] = inNamespace(["python3", LOAD, String(rate)]);
  const load = new Deno.Command(loadProgram, { args: loadArgs, stdout: "piped", stderr: "inherit" }).spawn();
  const loadReader = load.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let loadText = "";
  while (!loadText.includes("\n")) loadText += (await loadReader.read()).value ?? "";
  // The generator prints a "+" for every 100 connections: count them during the measurement.
  let pluses = 0;
  let counting = false;
  const loadDrain = (async () => {
    for (;;) {
      const { value, done } = await loadReader.read();
      if (done) return;
      if (counting) pluses += [...value].filter((ch) => ch === "+").length;
    }
  })();
  const args = ["monitor", "-t", "1", "--scroll", "--store", "none", ...(trace ? ["--trace"] : [])];
  const [program = "", ...rest] = inNamespace([
    Deno.execPath(),
    "run",
    ...await flagsFor(args),
    "main.ts",
    ...args,
  ]);
  const started = performance.now();
  const monitor = new Deno.Command(program, {
    args: rest,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // The line that names the trace source comes once bpftrace has attached: its time is the tracer's start-up.
  let attachedS = NaN;
  const errors = (async () => {
    for await (const chunk of monitor.stderr.pipeThrough(new TextDecoderStream())) {
      if (Number.isNaN(attachedS) && chunk.includes("note: trace:")) {
        attachedS = (performance.now() - started) / 1000;
      }
    }
  })();
  const reader = monitor.stdout.getReader();
  let startS = NaN;
  const drain = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      if (Number.isNaN(startS) && value.includes(10)) startS = (performance.now() - started) / 1000;
    }
  })();
  while (Number.isNaN(startS)) await delay(10);
  await delay(SETTLE_S * 1000);
  const tracers = descendants(monitor.pid).filter((pid) => {
    try {
      return Deno.readTextFileSync(`/proc/${pid}/comm`).trim() === "bpftrace";
    } catch {
      return false;
    }
  });
  const before = {
    monitor: cpu(monitor.pid),
    tracer: tracers.map((pid) => cpu(pid).own),
    load: cpu(load.pid).own,
  };
  counting = true;
  const t0 = performance.now();
  await delay(MEASURE_S * 1000);
  const seconds = (performance.now() - t0) / 1000;
  counting = false;
  const after = {
    monitor: cpu(monitor.pid),
    tracer: tracers.map((pid) => cpu(pid).own),
    load: cpu(load.pid).own,
  };
  monitor.kill("SIGTERM");
  await monitor.status;
  await drain.catch(() => {});
  await errors.catch(() => {});
  load.kill("SIGKILL");
  await load.status;
  await loadDrain.catch(() => {});
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  return {
    startS,
    attachedS,
    monitorCpu: (after.monitor.own + after.monitor.children - before.monitor.own - before.monitor.children) /
      seconds,
    tracerCpu: (sum(after.tracer) - sum(before.tracer)) / seconds,
    loadCpu: (after.load - before.load) / seconds,
    rate: (pluses * 100) / seconds,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function canRun(): string | null {
  if (Deno.build.os !== "linux") return "Linux only";
  if (Deno.uid() !== 0) return "needs root";
  for (const tool of ["bpftrace", "ip", "python3"]) {
    const found = new Deno.Command("sh", { args: ["-c", `command -v ${tool}`], stdout: "null" }).outputSync();
    if (!found.success) return `needs ${tool}`;
  }
  return null;
}

const missing = canRun();
if (missing !== null) {
  console.log(`trace bench skipped: ${missing}`);
} else {
  const namespace = `ct18bench-${Deno.pid}`;
  await run(["ip", "netns", "add", namespace]);
  try {
    await run(["ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up"]);
    for (const rate of [0, 500]) {
      const samples: Record<string, Sample[]> = { "polling only": [], "--trace": [] };
      for (let round = 0; round < ROUNDS; round++) {
        samples["polling only"]?.push(await measure(namespace, rate, false));
        samples["--trace"]?.push(await measure(namespace, rate, true));
      }
      console.log(
        `\n${rate === 0 ? "idle" : `${rate} connects/s`} (monitor -t 1 in its own network namespace):`,
      );
      for (const [name, list] of Object.entries(samples)) {
        const m = (pick: (s: Sample) => number) => median(list.map(pick));
        console.log(
          `  ${name.padEnd(13)} start-up ${m((s) => s.startS).toFixed(2)} s${
            name === "--trace" ? ` (bpftrace attached at ${m((s) => s.attachedS).toFixed(2)} s)` : ""
          } | CPU: monitor ${(m((s) => s.monitorCpu) * 100).toFixed(1)} % of a core, bpftrace ${
            (m((s) => s.tracerCpu) * 100).toFixed(1)
          } %` +
            (rate === 0
              ? ""
              : ` | load generator ${(m((s) => s.loadCpu) * 100).toFixed(1)} % at ${
                m((s) => s.rate).toFixed(0)
              } connects/s`),
        );
      }
    }
  } finally {
    await run(["ip", "netns", "delete", namespace]);
  }
}
