import type { AddressInfo } from "../model/address_info.ts";
import type { Connection } from "../model/connection.ts";
import type { Reputation } from "../model/risk.ts";
import { connectionKey } from "../model/connection_key.ts";
import {
  addBytes,
  type AddressQuery,
  type AddressRecord,
  type AlertRecord,
  compareAddresses,
  type ConnectionRecord,
  connectionRecord,
  continuesRecord,
  type HistoryEvent,
  type HistoryStore,
  type PruneCounts,
  type SnapshotInfo,
} from "./history_store.ts";

/** An address as the memory store keeps it: its process names as a set, its bytes summed when asked. */
interface StoredAddress extends Omit<AddressRecord, "processes" | "bytes_sent" | "bytes_received"> {
  processes: Set<string>;
}

/** Everything a memory store holds; the JSON store loads and saves it. */
export interface MemoryState {
  addresses: Map<string, StoredAddress>;
  connections: ConnectionRecord[];
  alerts: AlertRecord[];
  snapshots: { info: SnapshotInfo; connections: Connection[] }[];
  /** The last snapshot id given out; ids are never reused, even after a prune. */
  lastSnapshotId: number;
}

/** Options of {@linkcode MemoryStore}. */
export interface MemoryStoreOptions {
  /** Keep at most this many connections, dropping the oldest (default: no limit). */
  maxConnections?: number;
  /** What `location` says (default `memory`). */
  location?: string;
}

/** A new, empty address. */
export function emptyAddress(ip: string, at: number): StoredAddress {
  return {
    ip,
    first_seen: at,
    last_seen: at,
    times_seen: 0,
    hostname: null,
    country: null,
    asn: null,
    as_org: null,
    domain: null,
    risk_level: null,
    abuse_score: null,
    last_scanned: null,
    lists: [],
    processes: new Set(),
  };
}

/** The state of an empty store. */
export function emptyState(): MemoryState {
  return { addresses: new Map(), connections: [], alerts: [], snapshots: [], lastSnapshotId: 0 };
}

/** Take a reading's counters into a record, where it has them (a TIME_WAIT reading keeps the last). */
function takeBytes(record: ConnectionRecord, c: Connection): void {
  if (c.bytes_sent != null) record.bytes_sent = c.bytes_sent;
  if (c.bytes_received != null) record.bytes_received = c.bytes_received;
}

function containsText(haystack: string, needle: string): boolean {
  return haystack.toLowerCase().includes(needle.toLowerCase());
}

/**
 * History held in memory for one run: the monitor's fallback when the
 * database cannot be written, and the working copy of the JSON store.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { MemoryStore } from "./memory_store.ts";
 * const store = new MemoryStore();
 * const connection = { timestamp: "", protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2",
 *   local_port: 50000, remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED", direction: "outgoing" as const,
 *   pid: 7, process_name: "curl", process_path: null, user: null };
 * await store.record([{ kind: "opened", at: 1000, connection, info: { country: "US" } }]);
 * const { rows } = await store.addresses({ ip: "8.8.8.8" });
 * deepStrictEqual([rows[0]?.times_seen, rows[0]?.country, rows[0]?.processes], [1, "US", ["curl"]]);
 * ```
 */
export class MemoryStore implements HistoryStore {
  readonly location: string;
  readonly #state: MemoryState;
  readonly #maxConnections: number;
  /** Open connections of this run, by {@linkcode connectionKey}. */
  readonly #open = new Map<string, ConnectionRecord>();
  #byIp = new Map<string, ConnectionRecord[]>();

  constructor(options: MemoryStoreOptions = {}, state: MemoryState = emptyState()) {
    this.location = options.location ?? "memory";
    this.#maxConnections = options.maxConnections ?? Infinity;
    this.#state = state;
    this.#index();
  }

  /** The state, for the JSON store to save. */
  get state(): MemoryState {
    return this.#state;
  }

  #index(): void {
    this.#byIp = new Map();
    for (const record of this.#state.connections) this.#listFor(record.remote_ip).push(record);
  }

  #listFor(ip: string): ConnectionRecord[] {
    let list = this.#byIp.get(ip);
    if (list === undefined) {
      list = [];
      this.#byIp.set(ip, list);
    }
    return list;
  }

  #address(ip: string, at: number): StoredAddress {
    let address = this.#state.addresses.get(ip);
    if (address === undefined) {
      address = emptyAddress(ip, at);
      this.#state.addresses.set(ip, address);
    }
    address.first_seen = Math.min(address.first_seen, at);
    address.last_seen = Math.max(address.last_seen, at);
    return address;
  }

  #learn(address: StoredAddress, info: AddressInfo): void {
    if (info.hostname != null) address.hostname = info.hostname;
    if (info.country != null) address.country = info.country;
    if (info.asn != null) address.asn = info.asn;
    if (info.as_org != null) address.as_org = info.as_org;
  }

  #reputation(ip: string, reputation: Reputation): void {
    // An answer is not a sighting: it creates the address when unknown, and leaves its times alone.
    const address = this.#state.addresses.get(ip) ?? this.#address(ip, reputation.checked_at);
    address.risk_level = reputation.risk_level;
    address.abuse_score = reputation.abuse_score;
    address.last_scanned = reputation.checked_at;
    address.country ??= reputation.country;
  }

  record(events: readonly HistoryEvent[]): Promise<void> {
    // The records this run follows, built when a batch first needs it (the first poll's).
    let followed: Set<ConnectionRecord> | null = null;
    for (const event of events) {
      if (event.kind === "reputation") {
        this.#reputation(event.ip, event.reputation);
        continue;
      }
      const c = event.connection;
      if (c.remote_ip === null) continue;
      const address = this.#address(c.remote_ip, event.at);
      const key = connectionKey(c);
      switch (event.kind) {
        case "opened": {
          followed ??= event.atStart === true ? new Set(this.#open.values()) : null;
          const continued = event.atStart === true && followed !== null
            ? this.#leftOpen(c, followed)
            : undefined;
          if (continued !== undefined) {
            // The same socket an earlier run saw open: one connection, one record (its counters went on).
            continued.status = c.status;
            takeBytes(continued, c);
            if (continued.pid === null && c.pid !== null) {
              Object.assign(continued, {
                pid: c.pid,
                process_name: c.process_name,
                process_path: c.process_path,
                user: c.user,
              });
            }
            continued.domain ??= c.domain ?? null;
            this.#open.set(key, continued);
            followed?.add(continued);
          } else {
            const record = connectionRecord(c, event.at, event.atStart === true);
            this.#state.connections.push(record);
            this.#listFor(c.remote_ip).push(record);
            this.#open.set(key, record);
            followed?.add(record);
            address.times_seen++;
          }
          if (c.process_name !== null) address.processes.add(c.process_name);
          if (c.domain != null) address.domain = c.domain;
          this.#learn(address, event.info);
          break;
        }
        case "status": {
          const record = this.#open.get(key);
          if (record !== undefined) {
            record.status = c.status;
            takeBytes(record, c);
          }
          break;
        }
        case "owner": {
          const record = this.#open.get(key);
          if (record !== undefined && record.pid === null) {
            record.pid = c.pid;
            record.process_name = c.process_name;
            record.process_path = c.process_path;
            record.user = c.user;
          }
          if (c.process_name !== null) address.processes.add(c.process_name);
          break;
        }
        case "closed": {
          const record = this.#open.get(key);
          if (record !== undefined) {
            record.status = c.status;
            record.closed_at = event.at;
            takeBytes(record, c);
            this.#open.delete(key);
          }
          this.#learn(address, event.info);
          break;
        }
        case "seen": {
          const record = this.#open.get(key);
          if (record !== undefined) takeBytes(record, c);
          break;
        }
        case "alert":
          this.#state.alerts.push({
            at: event.at,
            protocol: c.protocol,
            remote_ip: c.remote_ip,
            remote_port: c.remote_port,
            pid: c.pid,
            process_name: c.process_name,
            reason: event.reason,
            blocklist: event.details.blocklist ?? null,
            risk_level: event.details.risk_level ?? null,
            abuse_score: event.details.abuse_score ?? null,
          });
          if (event.details.blocklist !== undefined && !address.lists.includes(event.details.blocklist)) {
            address.lists.push(event.details.blocklist);
          }
          break;
      }
    }
    this.#trim();
    return Promise.resolve();
  }

  /** The latest record an earlier run left open for this socket, unless this run already follows it. */
  #leftOpen(c: Connection, followed: ReadonlySet<ConnectionRecord>): ConnectionRecord | undefined {
    const list = this.#byIp.get(c.remote_ip ?? "") ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const record = list[i] as ConnectionRecord;
      if (!followed.has(record) && continuesRecord(record, c)) return record;
    }
    return undefined;
  }

  #trim(): void {
    const connections = this.#state.connections;
    if (connections.length <= this.#maxConnections) return;
    // Drop a tenth at a time, so the index is rebuilt rarely.
    const dropped = connections.splice(0, Math.max(1, Math.ceil(this.#maxConnections / 10)));
    const gone = new Set(dropped);
    for (const [key, record] of this.#open) if (gone.has(record)) this.#open.delete(key);
    this.#index();
  }

  reputations(): Promise<[string, Reputation][]> {
    const known: [string, Reputation][] = [];
    for (const a of this.#state.addresses.values()) {
      if (a.risk_level === null || a.last_scanned === null) continue;
      known.push([a.ip, {
        risk_level: a.risk_level,
        abuse_score: a.abuse_score,
        country: a.country,
        checked_at: a.last_scanned,
      }]);
    }
    return Promise.resolve(known);
  }

  addresses(query: AddressQuery): Promise<{ rows: AddressRecord[]; total: number }> {
    const candidates = query.ip === undefined
      ? [...this.#state.addresses.values()]
      : [this.#state.addresses.get(query.ip)].filter((a) => a !== undefined);
    const matching = candidates.filter((a) =>
      (query.since === undefined || a.last_seen >= query.since) &&
      (query.risk === undefined || (a.risk_level ?? "UNKNOWN") === query.risk) &&
      (query.process === undefined || [...a.processes].some((p) => containsText(p, query.process ?? "")))
    );
    const records = matching.map((a) => {
      let bytes_sent: number | null = null;
      let bytes_received: number | null = null;
      for (const c of this.#byIp.get(a.ip) ?? []) {
        bytes_sent = addBytes(bytes_sent, c.bytes_sent);
        bytes_received = addBytes(bytes_received, c.bytes_received);
      }
      return { ...a, lists: [...a.lists], processes: [...a.processes].sort(), bytes_sent, bytes_received };
    });
    records.sort(compareAddresses(query.sort));
    const rows = records.slice(0, query.limit ?? records.length);
    return Promise.resolve({ rows, total: records.length });
  }

  connections(ip: string, limit = Infinity): Promise<ConnectionRecord[]> {
    const list = [...(this.#byIp.get(ip) ?? [])].reverse();
    list.sort((a, b) => b.opened_at - a.opened_at);
    return Promise.resolve(list.slice(0, limit).map((r) => ({ ...r })));
  }

  alerts(options: { ip?: string; since?: number; limit?: number } = {}): Promise<AlertRecord[]> {
    const matching = this.#state.alerts.filter((a) =>
      (options.ip === undefined || a.remote_ip === options.ip) &&
      (options.since === undefined || a.at >= options.since)
    ).reverse();
    matching.sort((a, b) => b.at - a.at);
    return Promise.resolve(matching.slice(0, options.limit ?? matching.length).map((a) => ({ ...a })));
  }

  saveSnapshot(takenAt: number, connections: readonly Connection[]): Promise<SnapshotInfo> {
    const info = { id: ++this.#state.lastSnapshotId, taken_at: takenAt, connections: connections.length };
    this.#state.snapshots.push({ info, connections: connections.map((c) => ({ ...c })) });
    return Promise.resolve({ ...info });
  }

  snapshots(): Promise<SnapshotInfo[]> {
    return Promise.resolve(this.#state.snapshots.map((s) => ({ ...s.info })));
  }

  snapshot(id: number): Promise<Connection[] | null> {
    const found = this.#state.snapshots.find((s) => s.info.id === id);
    return Promise.resolve(found === undefined ? null : found.connections.map((c) => ({ ...c })));
  }

  prune(before: number): Promise<PruneCounts> {
    const state = this.#state;
    const counts = { addresses: 0, connections: 0, alerts: 0, snapshots: 0 };
    for (const [ip, address] of state.addresses) {
      if (address.last_seen < before) {
        state.addresses.delete(ip);
        counts.addresses++;
      }
    }
    // A connection never seen closing goes with its address.
    const kept = state.connections.filter((c) =>
      c.closed_at === null ? state.addresses.has(c.remote_ip) : c.closed_at >= before
    );
    counts.connections = state.connections.length - kept.length;
    state.connections = kept;
    const keptAlerts = state.alerts.filter((a) => a.at >= before);
    counts.alerts = state.alerts.length - keptAlerts.length;
    state.alerts = keptAlerts;
    const keptSnapshots = state.snapshots.filter((s) => s.info.taken_at >= before);
    counts.snapshots = state.snapshots.length - keptSnapshots.length;
    state.snapshots = keptSnapshots;
    const live = new Set(kept);
    for (const [key, record] of this.#open) if (!live.has(record)) this.#open.delete(key);
    this.#index();
    return Promise.resolve(counts);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
