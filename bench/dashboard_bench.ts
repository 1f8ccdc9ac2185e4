/**
 * One dashboard frame at 20,000 rows, against `ss -tunap` at the same moment
 * (the baseline; a loopback socket farm of 10,000 connections, 20,000
 * sockets, is up for both):
 *
 *   connections: `--group-by connection` over the farm's real sockets (one row each)
 *   IPs:         20,000 public-looking remote IPs, with names and the embedded GeoIP's country and AS
 *   filtered:    the same 20,000 IP rows with a `/` filter (every row is matched)
 *
 * A frame sorts every row and lays out the ones on screen; it runs after each
 * poll and on each key.
 */
import { toolRunner } from "../lib/collect/run_tool.ts";
import { loadEmbeddedGeo } from "../lib/enrich/embedded_geo.ts";
import { GeoLookup } from "../lib/enrich/geo_lookup.ts";
import type { Connection } from "../lib/model/connection.ts";
import { toConnections } from "../lib/model/direction.ts";
import { Tracker } from "../lib/monitor/tracker.ts";
import { parseSs } from "../lib/parse/ss.ts";
import { Dashboard } from "../lib/render/dashboard.ts";
import { benchNetns } from "./_netns.ts";
import { startSocketFarm } from "./_socket_farm.ts";
import { denoPlatform } from "../lib/platform/deno_platform.ts";

const platform = denoPlatform();

const ROWS = Number(Deno.env.get("BENCH_DASHBOARD_ROWS") ?? 20_000);
const SIZE = { columns: 160, rows: 50 };
// In a network namespace of its own when possible, so that `ss` lists the farm's sockets and no one else's.
const netns = benchNetns();
const farm = await startSocketFarm(ROWS / 2, 0, netns.wrap);
globalThis.addEventListener("unload", () => {
  farm.stop();
  netns.remove();
});

const geo = new GeoLookup([(await loadEmbeddedGeo()).source], { country: true, asn: true });
const describe = (ip: string) => ({
  hostname: `host-${ip.replaceAll(".", "-")}.example`,
  ...geo.describe(ip),
});

function dashboardOf(connections: Connection[], groupBy: "ip" | "connection"): Dashboard {
  const tracker = new Tracker({ width: 80, groupBy, maxClosedRows: 10_000, timeUnitMs: 1000 });
  const start = Date.now();
  for (let poll = 0; poll < 3; poll++) tracker.update(connections, new Date(start + poll * 1000));
  return new Dashboard(tracker, {
    timeUnitSeconds: 1,
    width: 80,
    color: true,
    describe,
    rowNoun: groupBy === "ip" ? "IPs" : "connections",
    alertOf: (row) => (row.ip?.endsWith(".7") ? "blocklist ips.txt:1 bench" : null),
  });
}

const [ssCommand, ssArgs] = netns.wrap("ss", ["-tunapeH"]);
const capture = new TextDecoder().decode(
  (await new Deno.Command(ssCommand, { args: ssArgs }).output()).stdout,
);
const real = toConnections(parseSs(capture).sockets, new Date().toISOString());
const byConnection = dashboardOf(real, "connection");
const synthetic: Connection[] = Array.from({ length: ROWS }, (_, n) => {
  const v = 0x0b000000 + n * 97;
  return {
    timestamp: "",
    protocol: "TCP",
    family: 4,
    local_ip: "10.0.0.2",
    local_port: 20000 + (n % 40000),
    remote_ip: `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`,
    remote_port: [443, 80, 53, 22][n % 4] ?? 443,
    status: "ESTABLISHED",
    direction: "outgoing",
    pid: 1000 + (n % 50),
    process_name: `proc${n % 50}`,
    process_path: null,
    user: "bench",
  };
});
const byIp = dashboardOf(synthetic, "ip");
const filtered = dashboardOf(synthetic, "ip");
for (const key of ["/", ..."proc1", "enter"]) filtered.onKey(key);
console.log(
  `dashboard frames at ${SIZE.columns}x${SIZE.rows}: ${real.length.toLocaleString("en")} connection rows ` +
    `(real sockets), ${ROWS.toLocaleString("en")} IP rows`,
);

Deno.bench({
  name: "ss -tunap (baseline)",
  group: "frame",
  baseline: true,
  // No timeout: on a machine busy with other farms `ss -tunap` at 20,000 sockets has taken over the collector's
  // 10 s limit, and the baseline then failed the whole bench.
  fn: async () =>
    void await toolRunner(platform.programs)(...netns.wrap("ss", ["-tunap"]), { timeoutMs: 600_000 }),
});
Deno.bench({
  name: `frame, ${real.length.toLocaleString("en")} connection rows`,
  group: "frame",
  fn: () => void byConnection.render(SIZE),
});
Deno.bench({
  name: `frame, ${ROWS.toLocaleString("en")} IP rows with geo`,
  group: "frame",
  fn: () => void byIp.render(SIZE),
});
Deno.bench({
  name: `frame, ${ROWS.toLocaleString("en")} IP rows, / filter`,
  group: "frame",
  fn: () => void filtered.render(SIZE),
});
