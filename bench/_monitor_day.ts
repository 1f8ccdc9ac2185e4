/**
 * A simulated day for the monitor's memory bound, run as its own process so
 * its resident memory is its own: a scripted collector feeds 1,000,000
 * distinct remote IPs over 86,400 one-second polls (each IP connected for 5 to
 * 60 s, about 380 open at a time) into the tracker, the dashboard renders a
 * frame every 60 polls, reverse DNS answers from a fake resolver and country
 * and AS come from the embedded GeoIP database, as in a default run. Prints
 * the peak resident set size.
 *
 * Usage: deno run --allow-all bench/_monitor_day.ts [IPS] [POLLS] [MAX_CLOSED_ROWS]
 */
import type { Connection } from "../lib/model/connection.ts";
import { ReverseDns } from "../lib/enrich/reverse_dns.ts";
import { Tracker } from "../lib/monitor/tracker.ts";
import { Dashboard } from "../lib/render/dashboard.ts";
import { loadEmbeddedGeo } from "../lib/enrich/embedded_geo.ts";
import { GeoLookup } from "../lib/enrich/geo_lookup.ts";

const IPS = Number(Deno.args[0] ?? 1_000_000);
const POLLS = Number(Deno.args[1] ?? 86_400);
const MAX_CLOSED_ROWS = Number(Deno.args[2] ?? 10_000);

function ipOf(n: number): string {
  // Spread over public-looking space: 11.0.0.0 upwards.
  const v = 0x0b000000 + n;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

const tracker = new Tracker({
  width: 80,
  groupBy: "ip",
  maxClosedRows: Number.isFinite(MAX_CLOSED_ROWS) ? MAX_CLOSED_ROWS : Infinity,
});
const names = new ReverseDns((ip) => Promise.resolve([`host-${ip.replaceAll(".", "-")}.example.`]), {
  concurrency: 8,
});
const geo = new GeoLookup([(await loadEmbeddedGeo()).source], { country: true, asn: true });
const dashboard = new Dashboard(tracker, {
  timeUnitSeconds: 1,
  width: 80,
  color: true,
  describe: (ip) => ({ hostname: names.lookup(ip), ...geo.describe(ip) }),
  rowNoun: "IPs",
});

const open = new Map<number, { connection: Connection; until: number }>();
const perPoll = IPS / POLLS;
let next = 0;
let carry = 0;
let peakRss = 0;
let peakHeap = 0;
const started = performance.now();
const start = Date.UTC(2026, 10, 21);
for (let poll = 0; poll < POLLS; poll++) {
  carry += perPoll;
  while (carry >= 1 && next < IPS) {
    carry--;
    const n = next++;
    open.set(n, {
      until: poll + 5 + (n * 7919) % 56,
      connection: {
        timestamp: "",
        protocol: n % 10 === 0 ? "UDP" : "TCP",
        family: 4,
        local_ip: "10.0.0.2",
        local_port: 20000 + (n % 40000),
        remote_ip: ipOf(n),
        remote_port: [443, 80, 53, 22][n % 4] ?? 443,
        status: n % 10 === 0 ? "CONNECTED" : "ESTABLISHED",
        direction: "outgoing",
        pid: 1000 + (n % 50),
        process_name: `proc${n % 50}`,
        process_path: `/usr/bin/proc${n % 50}`,
        user: "bench",
      },
    });
  }
  for (const [n, entry] of open) if (entry.until <= poll) open.delete(n);
  tracker.update([...open.values()].map((e) => e.connection), new Date(start + poll * 1000));
  if (poll % 60 === 0) {
    dashboard.render({ columns: 160, rows: 50 });
    await names.idle();
  }
  if (Deno.env.get("LIVE") && poll % 10000 === 0) {
    (globalThis as { gc?: () => void }).gc?.();
    console.log(
      poll,
      Math.round(Deno.memoryUsage().heapUsed / 1048576),
      Math.round(Deno.memoryUsage().rss / 1048576),
    );
  }
  if (poll % 1000 === 0) {
    const usage = Deno.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  }
}
peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
// The samples every 1,000 polls can miss the peak: on Linux the kernel kept it (VmHWM).
try {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"))?.[1];
  if (hwm !== undefined) peakRss = Math.max(peakRss, Number(hwm) * 1024);
} catch {
  // Not Linux: the samples stand.
}
console.log(JSON.stringify({
  ips: next,
  polls: POLLS,
  rowsInMemory: [...tracker.rows()].length,
  evicted: tracker.evictedCount,
  peakRssMb: Math.round(peakRss / 1048576),
  peakHeapMb: Math.round(peakHeap / 1048576),
  seconds: Math.round((performance.now() - started) / 100) / 10,
}));
