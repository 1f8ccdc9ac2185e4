/**
 * `conntrail serve` as a whole process at 10,000 and 20,000 established
 * loopback connections (plus 1,000 UDP sockets: about 21,000 and 41,000
 * rows), with one page following its live events, beside `ss -tunap` run on
 * the same sockets before and after it (the baseline). For each size:
 *
 *   CPU per poll:   the server process's CPU time (user + system, its `ss` children included, from
 *                   /proc/PID/stat) over 10 polls, divided by the polls; and per second of those polls
 *                   (the share of a core it took)
 *   poll's work:    collect, track, alerts and the page's update, as the server measures it (the `pace` of
 *                   each update event): median and longest of the same 10 polls
 *
 * once with nothing changing, and once while 25 connections open and 25 close every second. The server
 * runs with the flags `conntrail permissions --flags serve` prints; the farm, the server and the page
 * (curl reading `/api/events`) run in network and pid namespaces of their own when this runs as root
 * (tests/netns.ts), so `ss -p` reads only their descriptors. BENCH_SERVE_SIZES=10000,20000 chooses the
 * sizes; BENCH_SERVE_DENO_FLAGS adds flags to the server's `deno run` (e.g. `--inspect=127.0.0.1:9229`,
 * `--v8-flags=--trace-gc`), BENCH_SERVE_TRACE=1 runs it with `--trace`, and BENCH_SERVE_LOG=FILE keeps what
 * the server printed.
 */
import { MAIN, median, processCpu, timeCommand } from "./_process_cost.ts";
import { permissionFlags } from "../tests/conntrail_process.ts";
import { canIsolateProcesses, makeNetns } from "../tests/netns.ts";
import { freshLoopback, hasTool, socketControl } from "../tests/open_sockets.ts";
import { startSocketFarm } from "../tests/socket_farm.ts";

const SIZES = (Deno.env.get("BENCH_SERVE_SIZES") ?? "10000,20000").split(",").map(Number);
const UDP = 1_000;
const WARM_POLLS = 3;
const POLLS = 10;
const CHURN_PER_SECOND = 25;
const TRACE = Deno.env.get("BENCH_SERVE_TRACE") === "1";
const EXTRA_FLAGS = (Deno.env.get("BENCH_SERVE_DENO_FLAGS") ?? "").split(" ").filter((f) => f !== "");

async function loadAverage(): Promise<string> {
  return (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
}

const ms = (n: number) => `${Math.round(n).toLocaleString("en")} ms`;

/** Each `update` event's poll work (ms) as it arrives, from curl following the server's event stream. */
function followUpdates(prefix: string[], url: string, onUpdate: (pollMs: number) => void): Deno.ChildProcess {
  const [command, ...args] = [...prefix, "curl", "-sN", url];
  const child = new Deno.Command(command!, { args, stdout: "piped", stderr: "null" }).spawn();
  (async () => {
    let event = "";
    let buffered = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let cut;
      while ((cut = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, cut);
        buffered = buffered.slice(cut + 1);
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ") && event === "update") {
          onUpdate(JSON.parse(line.slice(6)).pace?.poll_ms ?? NaN);
        }
      }
    }
  })().catch(() => {});
  return child;
}

interface Phase {
  cpuPerPoll: number;
  /** CPU per second of the phase: the share of a core (over 1 when polls overrun their tick). */
  cpuPerSecond: number;
  medianMs: number;
  maxMs: number;
  load: string;
}

async function measure(connections: number): Promise<string[]> {
  const netns = canIsolateProcesses ? await makeNetns("ctserve", { ownProcesses: true }) : null;
  const prefix = netns?.prefix ?? [];
  const inside = netns === null ? {} : { prefix, signal: netns.signal };
  const dir = await Deno.makeTempDir();
  const farm = await startSocketFarm(connections, UDP, inside);
  const control = socketControl(prefix);
  const ss: { wall: number; cpu: number }[] = [];
  const lines: string[] = [];
  try {
    const ssLoad = await loadAverage();
    for (let i = 0; i < 3; i++) ss.push(await timeCommand([...prefix, "ss", "-tunap"]));
    const args = ["serve", "--port", "0", "--store", "none", ...(TRACE ? ["--trace"] : [])];
    const flags = await permissionFlags(dir, args);
    const [command, ...prefixArgs] = [...prefix, Deno.execPath()];
    const serve = new Deno.Command(command!, {
      args: [...prefixArgs, "run", "--quiet", "--no-prompt", ...flags, ...EXTRA_FLAGS, MAIN, ...args],
      env: { XDG_DATA_HOME: dir, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(serve.stderr).text();
    const reader = serve.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let stdout = "";
    while (!stdout.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`serve ended before listening: ${stdout}${await stderr}`);
      stdout += value;
    }
    const rest = (async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read()) stdout += r.value;
    })();
    const url = stdout.match(/serving on (\S+)/)?.[1];
    if (url === undefined) throw new Error(`serve printed no address: ${stdout}`);
    const pid = netns === null ? serve.pid : await netns.pidOutside(serve);

    const polls: number[] = [];
    const waiters: { count: number; resolve: () => void }[] = [];
    const page = followUpdates(prefix, new URL("api/events", url).href, (pollMs) => {
      polls.push(pollMs);
      for (const w of waiters.filter((w) => polls.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    });
    const untilPolls = (count: number) =>
      polls.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ count, resolve }));
    const phase = async (during?: () => Promise<void>): Promise<Phase> => {
      const from = polls.length;
      const cpu = await processCpu(pid);
      const began = performance.now();
      let done = false;
      const work = during === undefined ? Promise.resolve() : (async () => {
        while (!done) await during();
      })();
      await untilPolls(from + POLLS);
      const spent = await processCpu(pid) - cpu;
      const seconds = (performance.now() - began) / 1000;
      done = true;
      await work;
      const times = polls.slice(from, from + POLLS);
      return {
        cpuPerPoll: spent / POLLS,
        cpuPerSecond: spent / seconds,
        medianMs: median(times),
        maxMs: Math.max(...times),
        load: await loadAverage(),
      };
    };
    let quiet: Phase;
    let churn: Phase;
    try {
      await untilPolls(WARM_POLLS);
      quiet = await phase();
      const opened: number[] = [];
      churn = await phase(async () => {
        const started = Date.now();
        for (let i = 0; i < CHURN_PER_SECOND / 5; i++) opened.push((await control.open(freshLoopback())).id);
        while (opened.length > CHURN_PER_SECOND * 2) await control.close(opened.shift()!);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, 200 - (Date.now() - started))));
      });
      for (const id of opened) await control.close(id);
    } finally {
      page.kill("SIGTERM");
      await page.status;
      if (netns === null) serve.kill("SIGTERM");
      else await netns.signal(serve, "SIGTERM");
      await serve.status;
      await rest;
      const log = Deno.env.get("BENCH_SERVE_LOG");
      if (log !== undefined) await Deno.writeTextFile(log, stdout + await stderr);
    }
    const ssAfterLoad = await loadAverage();
    for (let i = 0; i < 3; i++) ss.push(await timeCommand([...prefix, "ss", "-tunap"]));
    const wall = median(ss.map((t) => t.wall));
    const cpu = median(ss.map((t) => t.cpu));
    const row = (name: string, p: Phase) =>
      `  ${name.padEnd(36)} ${ms(p.cpuPerPoll).padStart(9)} CPU per poll (${
        (p.cpuPerPoll / cpu).toFixed(2)
      }× ss, ${ms(p.cpuPerSecond)}/s); work ${ms(p.medianMs)} median, ${
        ms(p.maxMs)
      } longest (load ${p.load})`;
    lines.push(
      `serve${TRACE ? " --trace" : ""} at ${connections.toLocaleString("en")} connections + ${
        UDP.toLocaleString("en")
      } UDP${netns === null ? "" : ", in namespaces of its own"}, ${POLLS} polls each, a 1 s time unit:`,
      `  ${"ss -tunap (baseline, median of 6)".padEnd(36)} ${ms(cpu).padStart(9)} CPU, ${
        ms(wall)
      } wall (load ${ssLoad} before, ${ssAfterLoad} after)`,
      row("serve, nothing changing", quiet),
      row(`serve, ${CHURN_PER_SECOND} opened + closed a second`, churn),
      `  server: ${stdout.match(/a poll's work took [^|\n]*/)?.[0] ?? stdout.trim()}`,
    );
  } finally {
    await control.stop();
    await farm.stop();
    await netns?.close();
    await Deno.remove(dir, { recursive: true });
  }
  return lines;
}

if (!hasTool("curl") || !hasTool("ss")) {
  console.log("serve bench: needs curl and ss; skipped");
} else {
  for (const size of SIZES) {
    try {
      console.log((await measure(size)).join("\n"));
    } catch (error) {
      console.log(
        `serve at ${size.toLocaleString("en")} connections: FAILED: ${
          error instanceof Error ? error.stack : error
        }`,
      );
    }
  }
}
