/**
 * The monitor's cost per tick at -t 1, against a loopback socket farm of
 * 1,000 and then 10,000 established connections: one tick is a poll with the
 * warm ss collector, direction, filtering, tracking and a dashboard frame.
 * CPU time is this process's own (process.cpuUsage) plus its children's (ss,
 * from /proc/self/stat), compared with running `ss -tunap` at the same rate
 * (the baseline). The targets: under 2 % of a core at 1,000, under 10 % at 10,000.
 */
import process from "node:process";
import { createSsCollector } from "../lib/collect/ss_collector.ts";
import { runTool } from "../lib/collect/run_tool.ts";
import { toConnections } from "../lib/model/direction.ts";
import { monitorFilter } from "../lib/monitor/monitor_filter.ts";
import { Tracker } from "../lib/monitor/tracker.ts";
import { Dashboard } from "../lib/render/dashboard.ts";
import { isoWithOffset } from "../lib/model/timestamp.ts";
import { startSocketFarm } from "./_socket_farm.ts";

const TICKS = 10;

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

async function measure(work: () => Promise<void>): Promise<{ own: number; children: number }> {
  const own0 = ownCpuMs();
  const children0 = childrenCpuMs();
  for (let i = 0; i < TICKS; i++) await work();
  return { own: (ownCpuMs() - own0) / TICKS, children: (childrenCpuMs() - children0) / TICKS };
}

async function tickCost(connections: number): Promise<string> {
  const farm = await startSocketFarm(connections, 0);
  try {
    const collector = createSsCollector();
    const tracker = new Tracker({ width: 80, groupBy: "ip", maxClosedRows: 10_000 });
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
    const monitor = await measure(tick);
    const baseline = await measure(async () => void await runTool("ss", ["-tunap"]));
    const total = monitor.own + monitor.children;
    const ss = baseline.own + baseline.children;
    return `monitor tick at ${connections.toLocaleString("en")} connections (${
      sockets.toLocaleString("en")
    } sockets): ` +
      `${total.toFixed(1)} ms CPU (conntrail ${monitor.own.toFixed(1)} + ss ${
        monitor.children.toFixed(1)
      }) = ` +
      `${(total / 10).toFixed(1)} % of a core at -t 1; ss -tunap alone ${ss.toFixed(1)} ms; ratio ${
        (total / ss).toFixed(2)
      }`;
  } finally {
    farm.stop();
  }
}

for (const connections of [1_000, 10_000]) console.log(await tickCost(connections));
