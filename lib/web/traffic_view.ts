/**
 * `--traffic` on the web page: the machine's throughput over time and the top
 * talkers by process, destination, country and network (AS), as
 * `/api/traffic` answers them.
 *
 * @module
 */
import type { DescribeAddress } from "../model/address_info.ts";
import { isLocalAddress } from "../model/address_scope.ts";
import { isoWithOffset } from "../model/timestamp.ts";
import { RATE_SPANS, type TrafficLedger } from "../model/traffic_ledger.ts";
import type { TrafficMeter } from "../model/traffic_meter.ts";

/** One talker: what it moved so far and its rate over the last 10 polls (bytes per second). */
export interface TalkerView {
  key: string;
  label: string;
  sent: number;
  received: number;
  /** Null before a rate can be known (the first poll). */
  rate_sent: number | null;
  rate_received: number | null;
  /** For destinations: the country code, when known. */
  country?: string | null;
}

/** What `/api/traffic` answers with `--traffic`. */
export interface TrafficView {
  enabled: true;
  at: string | null;
  time_unit_seconds: number;
  /** Bytes every connection moved, and the rate over the last poll and the last 10. */
  machine: {
    sent: number;
    received: number;
    rate_sent: number | null;
    rate_received: number | null;
    recent_rate_sent: number | null;
    recent_rate_received: number | null;
  };
  /** Machine throughput per poll, oldest first (the last 600 polls). */
  series: { at: string; sent: number | null; received: number | null }[];
  processes: TalkerView[];
  destinations: TalkerView[];
  countries: TalkerView[];
  networks: TalkerView[];
}

/** Talkers listed per kind. */
export const TOP_TALKERS = 10;

interface Tally {
  key: string;
  label: string;
  sent: number;
  received: number;
  rate_sent: number | null;
  rate_received: number | null;
  country?: string | null;
}

function tally(key: string, label: string, meter: TrafficMeter, ledger: TrafficLedger): Tally {
  const rate = ledger.rate(meter, RATE_SPANS.recent);
  return {
    key,
    label,
    sent: meter.sent,
    received: meter.received,
    rate_sent: rate?.sent ?? null,
    rate_received: rate?.received ?? null,
  };
}

function addTo(groups: Map<string, Tally>, key: string, label: string, from: Tally): void {
  const group = groups.get(key) ?? { key, label, sent: 0, received: 0, rate_sent: null, rate_received: null };
  group.sent += from.sent;
  group.received += from.received;
  if (from.rate_sent !== null) group.rate_sent = (group.rate_sent ?? 0) + from.rate_sent;
  if (from.rate_received !== null) group.rate_received = (group.rate_received ?? 0) + from.rate_received;
  groups.set(key, group);
}

/** The busiest first: rate over the last 10 polls, then bytes so far; at most {@linkcode TOP_TALKERS}. */
function top(talkers: Iterable<Tally>): TalkerView[] {
  const rate = (t: Tally) => (t.rate_sent ?? 0) + (t.rate_received ?? 0);
  return [...talkers]
    .filter((t) => t.sent + t.received > 0)
    .sort((a, b) =>
      rate(b) - rate(a) || b.sent + b.received - (a.sent + a.received) || (a.key < b.key ? -1 : 1)
    )
    .slice(0, TOP_TALKERS);
}

/** `pid name` (the ledger's process key) as `name (pid)`. */
function processLabel(key: string): string {
  const space = key.indexOf(" ");
  const pid = key.slice(0, space);
  const name = key.slice(space + 1);
  if (name === "") return pid === "-" ? "unknown process" : `? (${pid})`;
  return pid === "-" ? name : `${name} (${pid})`;
}

/**
 * The page's traffic panel from the tracker's ledger: rates over the last 10
 * polls rank the talkers; countries and networks add up their addresses.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { TrafficLedger } from "../model/traffic_ledger.ts";
 * import { trafficView } from "./traffic_view.ts";
 * const ledger = new TrafficLedger();
 * ledger.begin(new Date(0));
 * ledger.observe({ sent: null, received: null }, { timestamp: "", protocol: "TCP", family: 4, local_ip: "10.0.0.2", local_port: 5000,
 *   remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED", direction: "outgoing", pid: 42,
 *   process_name: "curl", process_path: null, user: null, bytes_sent: 100, bytes_received: 9000 }, null);
 * const view = trafficView(ledger, { describe: () => ({ country: "US" }), timeUnitSeconds: 1, at: null });
 * deepStrictEqual([view.processes[0]?.label, view.destinations[0]?.country, view.countries[0]?.received],
 *   ["curl (42)", "US", 9000]);
 * ```
 */
export function trafficView(
  ledger: TrafficLedger,
  options: { describe: DescribeAddress; timeUnitSeconds: number; at: Date | null },
): TrafficView {
  const machineTick = ledger.rate(ledger.machine, RATE_SPANS.tick);
  const machineRecent = ledger.rate(ledger.machine, RATE_SPANS.recent);
  const processes: Tally[] = [];
  for (const [key, meter] of ledger.processes()) processes.push(tally(key, processLabel(key), meter, ledger));
  const destinations: Tally[] = [];
  const countries = new Map<string, Tally>();
  const networks = new Map<string, Tally>();
  for (const [ip, meter] of ledger.addresses()) {
    const info = options.describe(ip);
    const one = tally(ip, info.hostname ? `${info.hostname} (${ip})` : ip, meter, ledger);
    one.country = info.country ?? null;
    destinations.push(one);
    // As the page's count panels: an address of this machine or its network is "local network".
    const [nowhere, nowhereLabel] = isLocalAddress(ip) ? ["local", "local network"] : ["-", "unknown"];
    addTo(countries, info.country ?? nowhere, info.country ?? nowhereLabel, one);
    const network = info.asn == null ? nowhere : `AS${info.asn}`;
    addTo(
      networks,
      network,
      info.asn == null ? nowhereLabel : `AS${info.asn}${info.as_org ? ` ${info.as_org}` : ""}`,
      one,
    );
  }
  return {
    enabled: true,
    at: options.at === null ? null : isoWithOffset(options.at),
    time_unit_seconds: options.timeUnitSeconds,
    machine: {
      sent: ledger.machine.sent,
      received: ledger.machine.received,
      rate_sent: machineTick?.sent ?? null,
      rate_received: machineTick?.received ?? null,
      recent_rate_sent: machineRecent?.sent ?? null,
      recent_rate_received: machineRecent?.received ?? null,
    },
    series: ledger.series().map((s) => ({
      at: isoWithOffset(new Date(s.at)),
      sent: s.sent,
      received: s.received,
    })),
    processes: top(processes),
    destinations: top(destinations),
    countries: top(countries.values()),
    networks: top(networks.values()),
  };
}
