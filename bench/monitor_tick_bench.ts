/**
 * The monitor's cost per tick at -t 1, against a loopback socket farm of
 * 1,000 and then 10,000 established connections: one tick is a poll with the
 * warm ss collector, direction, filtering, tracking and a dashboard frame.
 * CPU time is this process's own (process.cpuUsage) plus its children's (ss,
 * from /proc/self/stat), compared with running `ss -tunap` at the same rate
 * (the baseline). The targets: under 2 % of a core at 1,000, under 10 % at 10,000.
 *
 * The same run measures the tick with `--traffic` (`ss -taiD -` for TCP, the
 * kernel's raw answer with every socket's counters, and `ss -uaneH` for UDP;
 * the ledger's per-connection, row, process, address and machine meters),
 * whose target is under 1.5 times the tick without it. The three are measured
 * in turn, round after round, so that a change in the machine's load touches
 * all of them alike. Run it in a network namespace of its own so the farm's
 * sockets are the only ones `ss` lists and no one else's `ss` lists them:
 * `unshare --net sh -c 'ip link set lo up && deno bench -A bench/monitor_tick_bench.ts'`. Not under
 * `ip netns exec`: it mounts a /sys without the cgroup2 mount, and `ss -e` then looks for it once per
 * socket ("Failed to find cgroup2 mount" on stderr), which made the tick without `--traffic` 5 times dearer.
 */
import process from "node:process";
import { createSsCollector } from "../lib/collect/ss_collector.ts";
import { toolRunner } from "../lib/collect/run_tool.ts";
import { toConnections } from "../lib/model/direction.ts";
import { monitorFilter } from "../lib/monitor/monitor_filter.ts";
import { Tracker } from "../lib/monitor/tracker.ts";
import { Dashboard } from "../lib/render/dashboard.ts";
import { isoWithOffset } from "../lib/model/timestamp.ts";
import { startSocketFarm } from "./_socket_farm.ts";
import { denoPlatform } from "../lib/platform/deno_platform.ts";

const platform = denoPlatform();

const TICKS = 10;
/** Rounds of (plain tick, traffic tick, ss -tunap), interleaved; each figure is the median round. */
const ROUNDS = 3;

function childrenCpuMs(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 16 and 17 of stat (cutime, cstime), counted from after the command name.
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

interface Cpu {
  own: number;
  children: number;
}

async function measure(work: () => Promise<void>): Promise<Cpu> {
  const own0 = ownCpuMs();
  const children0 = childrenCpuMs();
  for (let i = 0; i < TICKS; i++) await work();
  return { own: (ownCpuMs() - own0) / TICKS, children: (childrenCpuMs() - children0) / TICKS };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** One monitor tick's work, with or without `--traffic`. */
async function monitorTick(traffic: boolean) {
  const collector = createSsCollector({ platform, traffic });
  const tracker = new Tracker({ width: 80, groupBy: "ip", maxClosedRows: 10_000, traffic });
  const dashboard = new Dashboard(tracker, {
    timeUnitSeconds: 1,
    width: 80,
    color: true,
    describe: () => ({}),
    rowNoun: "IPs",
  });
  const keep = monitorFilter({ filterLocal: false, hidden: null, outgoing: false });
  let sockets = 0;
  const tick = async () => {
    const result = await collector.collect();
    sockets = result.sockets.length;
    const now = new Date();
    tracker.update(toConnections(result.sockets, isoWithOffset(now)).filter(keep), now);
    dashboard.render({ columns: 160, rows: 50 });
  };
  await tick(); // the first poll resolves every owner; later ones use the inode cache
  return { tick, sockets: () => sockets };
}

async function tickCost(connections: number): Promise<string> {
  const farm = await startSocketFarm(connections, 0);
  try {
    const plain = await monitorTick(false);
    const traffic = await monitorTick(true);
    const runs = { plain: [] as Cpu[], traffic: [] as Cpu[], ss: [] as Cpu[] };
    for (let round = 0; round < ROUNDS; round++) {
      runs.plain.push(await measure(plain.tick));
      runs.traffic.push(await measure(traffic.tick));
      runs.ss.push(await measure(async () => void await toolRunner(platform.programs)("ss", ["-tunap"])));
    }
    const total = (c: Cpu) => c.own + c.children;
    const figure = (list: Cpu[]) => {
      const best = list.find((c) => total(c) === median(list.map(total))) ?? list[0] as Cpu;
      return { own: best.own, children: best.children, total: total(best) };
    };
    const p = figure(runs.plain);
    const t = figure(runs.traffic);
    const ss = figure(runs.ss);
    const line = (name: string, c: { own: number; children: number; total: number }) =>
      `  ${name}: ${c.total.toFixed(1)} ms CPU (conntrail ${c.own.toFixed(1)} + ss ${
        c.children.toFixed(1)
      }) = ` +
      `${(c.total / 10).toFixed(1)} % of a core at -t 1`;
    return [
      `monitor tick at ${connections.toLocaleString("en")} connections (${
        plain.sockets().toLocaleString("en")
      } sockets), median of ${ROUNDS} rounds of ${TICKS} ticks:`,
      line("without --traffic", p),
      line("with --traffic   ", t) +
      ` (ratio to without: ${(t.total / p.total).toFixed(2)}; target under 1.5)`,
      `  ss -tunap alone: ${ss.total.toFixed(1)} ms; ratios to it: without ${
        (p.total / ss.total).toFixed(2)
      }, ` +
      `with ${(t.total / ss.total).toFixed(2)}`,
    ].join("\n");
  } finally {
    farm.stop();
  }
}

for (const connections of [1_000, 10_000]) console.log(await tickCost(connections));
