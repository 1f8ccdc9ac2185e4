import { deepStrictEqual } from "node:assert/strict";
import type { Connection } from "../../lib/model/connection.ts";
import { Tracker } from "../../lib/monitor/tracker.ts";
import { trafficView } from "../../lib/web/traffic_view.ts";
import { at, connection } from "../monitor/_connections.ts";

const PLACES: Record<string, { country: string; asn: number; as_org: string; hostname?: string }> = {
  "198.51.100.20": { country: "NL", asn: 64500, as_org: "Example Transit", hostname: "cdn.example" },
  "198.51.100.21": { country: "NL", asn: 64500, as_org: "Example Transit" },
  "203.0.113.9": { country: "JP", asn: 64501, as_org: "Another Net" },
};

/** Bulk from two Dutch addresses for curl, a trickle from Japan for firefox, a UDP socket with no counters. */
function polls(): Connection[][] {
  return Array.from({ length: 5 }, (_, i) => [
    connection({
      remote_ip: "198.51.100.20",
      local_port: 50001,
      pid: 7,
      process_name: "curl",
      bytes_sent: 100 * i,
      bytes_received: 1_000_000 * i,
    }),
    connection({
      remote_ip: "198.51.100.21",
      local_port: 50002,
      pid: 7,
      process_name: "curl",
      bytes_sent: 0,
      bytes_received: 500_000 * i,
    }),
    connection({
      remote_ip: "203.0.113.9",
      local_port: 50003,
      bytes_sent: 50 * i,
      bytes_received: 2_000 * i,
    }),
    connection({
      protocol: "UDP",
      status: "CONNECTED",
      remote_ip: "192.0.2.53",
      local_port: 50004,
      bytes_sent: null,
      bytes_received: null,
    }),
  ]);
}

Deno.test("trafficView() ranks processes, destinations, countries and networks by their recent rate", () => {
  const tracker = new Tracker({ width: 20, groupBy: "process", maxClosedRows: 100, traffic: true });
  polls().forEach((poll, i) => tracker.update(poll, at(i)));
  const ledger = tracker.traffic;
  if (ledger === null) throw new Error("no ledger");
  const view = trafficView(ledger, { describe: (ip) => PLACES[ip] ?? {}, timeUnitSeconds: 1, at: at(4) });
  const brief = (list: typeof view.processes) => list.map((t) => [t.label, t.rate_received, t.received]);
  deepStrictEqual(brief(view.processes), [["curl (7)", 1_500_000, 6_000_000], [
    "firefox (4211)",
    2_000,
    8_000,
  ]]);
  deepStrictEqual(brief(view.destinations), [
    ["cdn.example (198.51.100.20)", 1_000_000, 4_000_000],
    ["198.51.100.21", 500_000, 2_000_000],
    ["203.0.113.9", 2_000, 8_000],
  ]);
  deepStrictEqual(view.destinations.map((t) => t.country), ["NL", "NL", "JP"]);
  deepStrictEqual(brief(view.countries), [["NL", 1_500_000, 6_000_000], ["JP", 2_000, 8_000]]);
  deepStrictEqual(view.networks.map((t) => t.label), ["AS64500 Example Transit", "AS64501 Another Net"]);
  deepStrictEqual([view.machine.received, view.machine.rate_received], [6_008_000, 1_502_000]);
  deepStrictEqual(view.series.map((s) => s.received), [null, 1_502_000, 1_502_000, 1_502_000, 1_502_000]);
});

Deno.test("trafficView() counts this machine's and its network's addresses as local network, others as unknown", () => {
  const tracker = new Tracker({ width: 20, groupBy: "process", maxClosedRows: 100, traffic: true });
  for (const i of [0, 1]) {
    tracker.update([
      connection({ remote_ip: "127.0.0.1", local_port: 50001, bytes_sent: 10 * i, bytes_received: 10 * i }),
      connection({ remote_ip: "10.1.2.3", local_port: 50002, bytes_sent: 20 * i, bytes_received: 0 }),
      connection({ remote_ip: "8.8.8.8", local_port: 50003, bytes_sent: 5 * i, bytes_received: 0 }),
    ], at(i));
  }
  const ledger = tracker.traffic;
  if (ledger === null) throw new Error("no ledger");
  const view = trafficView(ledger, { describe: () => ({}), timeUnitSeconds: 1, at: at(1) });
  const brief = (list: typeof view.countries) => list.map((t) => [t.key, t.label, t.sent]);
  deepStrictEqual(brief(view.countries), [["local", "local network", 30], ["-", "unknown", 5]]);
  deepStrictEqual(brief(view.networks), [["local", "local network", 30], ["-", "unknown", 5]]);
});
