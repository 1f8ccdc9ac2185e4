import type { DescribeAddress } from "../model/address_info.ts";
import type { Connection } from "../model/connection.ts";
import { rowAddress, servicePort } from "../model/direction.ts";
import type { EgressAlert, EgressPort, EgressSummary } from "../model/egress.ts";
import type { AlertCondition, ConnectionEvent } from "../model/monitor_event.ts";
import { compareText } from "../model/text_order.ts";
import { isoWithOffset } from "../model/timestamp.ts";

/** Options of an {@linkcode EgressTally}. */
export interface EgressTallyOptions {
  /** Country and AS of an address (offline; called once per destination, at the end). */
  describe: DescribeAddress;
  /** The name the program asked for, when known (`--sniff-dns`). */
  domainOf?: (connection: Connection) => string | null | undefined;
  /** The `--expect` file, when there is one. */
  expect: string | null;
  /** Destinations kept; later ones are counted only. */
  maxDestinations?: number;
  /** Alerts kept; later ones are counted only. */
  maxAlerts?: number;
}

/** Addresses, ports and processes kept per destination; more are rare and not worth unbounded memory. */
const MAX_PER_DESTINATION = 64;
const LOOPBACK = /^(127\.|::1$)/;

interface Entry {
  name: string;
  isDomain: boolean;
  addresses: Set<string>;
  ports: Map<string, EgressPort>;
  /** Names of the processes that connected. */
  processes: Set<string>;
  /** Connections whose process is not known (yet: a later walk may name it). */
  unowned: number;
  firstSeen: string;
  connections: number;
  conditions: Set<AlertCondition>;
}

function addBounded<T>(set: Set<T>, value: T): void {
  if (set.size < MAX_PER_DESTINATION || set.has(value)) set.add(value);
}

/**
 * Where a run's outgoing connections went: one entry per destination (the
 * domain asked for when known, else the address) with its ports, processes,
 * first sighting, connection count and the alert conditions met, plus the
 * alerts themselves. Fed the monitor's events; memory is bounded.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { EgressTally } from "./egress_tally.ts";
 * const tally = new EgressTally({ describe: () => ({ country: "US" }), expect: null });
 * const connection = { timestamp: "2026-11-21T14:30:00.000+00:00", protocol: "TCP" as const, family: 4 as const,
 *   local_ip: "10.0.0.2", local_port: 50000, remote_ip: "198.51.100.7", remote_port: 443, status: "ESTABLISHED",
 *   direction: "outgoing" as const, pid: 4211, process_name: "curl", process_path: null, user: null };
 * tally.record([{ event: "NEW", connection }]);
 * const summary = tally.summary(new Date(0), new Date(1000));
 * deepStrictEqual(summary.destinations.map((d) => [d.name, d.processes, d.country]), [["198.51.100.7", ["curl"], "US"]]);
 * ```
 */
export class EgressTally {
  readonly #options: EgressTallyOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #alerts: EgressAlert[] = [];
  #connections = 0;
  #loopback = 0;
  #droppedDestinations = 0;
  #droppedAlerts = 0;

  constructor(options: EgressTallyOptions) {
    this.#options = options;
  }

  /** The destination a connection counts under, and whether it is a domain. */
  #destination(connection: Connection): { name: string; isDomain: boolean } {
    const domain = this.#options.domainOf?.(connection);
    if (domain) return { name: domain.toLowerCase().replace(/\.$/, ""), isDomain: true };
    return { name: rowAddress(connection), isDomain: false };
  }

  /** Take one poll's events: `NEW` outgoing connections and every `ALERT`. */
  record(events: readonly ConnectionEvent[]): void {
    for (const event of events) {
      if (event.event === "NEW") this.#recordNew(event.connection);
      else if (event.event === "ALERT") this.#recordAlert(event);
    }
  }

  #recordNew(connection: Connection): void {
    const ip = connection.remote_ip;
    if (connection.direction !== "outgoing" || ip === null) return;
    if (LOOPBACK.test(ip)) {
      this.#loopback++;
      return;
    }
    this.#connections++;
    const { name, isDomain } = this.#destination(connection);
    let entry = this.#entries.get(name);
    if (entry === undefined) {
      if (this.#entries.size >= (this.#options.maxDestinations ?? 10_000)) {
        this.#droppedDestinations++;
        return;
      }
      entry = {
        name,
        isDomain,
        addresses: new Set(),
        ports: new Map(),
        processes: new Set(),
        unowned: 0,
        firstSeen: connection.timestamp,
        connections: 0,
        conditions: new Set(),
      };
      this.#entries.set(name, entry);
    }
    entry.connections++;
    addBounded(entry.addresses, ip);
    if (connection.process_name === null) entry.unowned++;
    else addBounded(entry.processes, connection.process_name);
    if (connection.remote_port !== null) {
      const key = `${connection.protocol}/${connection.remote_port}`;
      if (entry.ports.size < MAX_PER_DESTINATION && !entry.ports.has(key)) {
        entry.ports.set(key, { protocol: connection.protocol, port: connection.remote_port });
      }
    }
  }

  /**
   * Connections whose process a later poll learned (the tracker's
   * `ownersLearned()`): their destinations name the process instead of an
   * unknown one.
   */
  ownersLearned(connections: readonly Connection[]): void {
    for (const connection of connections) {
      if (connection.process_name === null || connection.direction !== "outgoing") continue;
      const entry = this.#entries.get(this.#destination(connection).name);
      if (entry === undefined || entry.unowned === 0) continue;
      entry.unowned--;
      addBounded(entry.processes, connection.process_name);
    }
  }

  #recordAlert(event: ConnectionEvent): void {
    const connection = event.connection;
    const { name } = this.#destination(connection);
    const conditions = [...(event.conditions ?? [])];
    const entry = connection.direction === "outgoing" ? this.#entries.get(name) : undefined;
    for (const condition of conditions) entry?.conditions.add(condition);
    if (this.#alerts.length >= (this.#options.maxAlerts ?? 1000)) {
      this.#droppedAlerts++;
      return;
    }
    this.#alerts.push({
      conditions,
      severity: event.severity ?? "error",
      destination: name,
      address: rowAddress(connection),
      protocol: connection.protocol,
      port: servicePort(connection),
      process_name: connection.process_name,
      pid: connection.pid,
      reason: event.reason ?? "",
      seen: connection.timestamp,
    });
  }

  /** The run so far as an {@linkcode EgressSummary}; country and AS are looked up now. */
  summary(started: Date, ended: Date): EgressSummary {
    const destinations = [...this.#entries.values()].map((entry) => {
      const addresses = [...entry.addresses];
      const info = addresses[0] === undefined ? {} : this.#options.describe(addresses[0]);
      return {
        name: entry.name,
        isDomain: entry.isDomain,
        addresses,
        ports: [...entry.ports.values()].sort((a, b) =>
          a.port - b.port || compareText(a.protocol, b.protocol)
        ),
        processes: entry.unowned > 0 ? [...entry.processes, null] : [...entry.processes],
        country: info.country ?? null,
        asn: info.asn ?? null,
        as_org: info.as_org ?? null,
        first_seen: entry.firstSeen,
        connections: entry.connections,
        conditions: [...entry.conditions],
      };
    });
    return {
      started: isoWithOffset(started),
      ended: isoWithOffset(ended),
      destinations,
      alerts: [...this.#alerts],
      connections: this.#connections,
      loopback: this.#loopback,
      expect: this.#options.expect,
      droppedDestinations: this.#droppedDestinations,
      droppedAlerts: this.#droppedAlerts,
    };
  }
}
